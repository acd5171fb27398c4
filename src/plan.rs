//! Turns the command line and the configuration into one checked run plan. Everything that can
//! be wrong with the input is found here, before any server is touched.

use std::path::{Path, PathBuf};
use std::time::Duration;

use shakedown_steps::StepSettings;

use crate::cli::{OutputFormat, RunArgs, Selection};
use crate::config::{self, Config};
use crate::error::Error;
use crate::suite::{self, Suite};

/// A run that is ready to go: the selected scenarios, how many run at once, the reports, and
/// everything the steps need to know (environment, limits, roles, rules, browser).
#[derive(Debug)]
pub struct RunPlan {
    pub steps: StepSettings,
    pub concurrency: usize,
    pub fail_fast: bool,
    pub suite: Suite,
    pub junit: Option<PathBuf>,
    pub reports: Reports,
    /// How many more times a failing scenario runs (`--retries`); `@retry(N)` still applies.
    pub retries: Option<usize>,
    /// The `--tags` expression as written, for the reports.
    pub tags: Option<String>,
}

/// The reports beyond JUnit, and how the terminal reads.
#[derive(Debug, Default)]
pub struct Reports {
    pub json: Option<PathBuf>,
    pub html: Option<PathBuf>,
    pub nagios: bool,
    pub quiet: bool,
}

/// What `run` was asked, beyond the selection of features.
#[derive(Debug, Default)]
pub struct Overrides {
    pub environment: Option<String>,
    pub base_url: Option<String>,
    pub step_timeout: Option<Duration>,
    pub concurrency: Option<usize>,
    pub fail_fast: bool,
    pub junit: Option<PathBuf>,
    pub headed: bool,
    pub reports: Reports,
    pub retries: Option<usize>,
}

impl RunPlan {
    pub fn from_args(args: RunArgs, working_dir: &Path) -> Result<Self, Error> {
        let RunArgs {
            selection,
            env,
            base_url,
            junit,
            json,
            html,
            format,
            quiet,
            retries,
            concurrency,
            fail_fast,
            headed,
        } = args;
        let overrides = Overrides {
            environment: env,
            base_url,
            step_timeout: None,
            concurrency,
            fail_fast,
            junit,
            headed,
            reports: Reports {
                json,
                html,
                nagios: format == OutputFormat::Nagios,
                quiet,
            },
            retries,
        };
        Self::new(&selection, overrides, working_dir)
    }

    pub fn new(selection: &Selection, overrides: Overrides, working_dir: &Path) -> Result<Self, Error> {
        let config = config::load(&config::locate(selection.config.as_deref(), working_dir)?)?;
        let (environment, settings) = choose_environment(&config, overrides.environment.as_deref())?;
        let base_url = match overrides.base_url {
            Some(text) => config::parse_base_url(&text).map_err(|problem| Error::InvalidValue {
                what: "--base-url",
                value: text.clone(),
                problem,
            })?,
            None => settings.base_url.clone(),
        };
        let concurrency = overrides.concurrency.unwrap_or(config.limits.concurrency);
        if concurrency == 0 {
            return Err(Error::InvalidValue {
                what: "--concurrency",
                value: "0".into(),
                problem: "at least one scenario must run at a time".into(),
            });
        }
        let suite = load_suite(selection, &config, working_dir)?;
        let reports = [
            ("JUnit", &overrides.junit),
            ("JSON", &overrides.reports.json),
            ("HTML", &overrides.reports.html),
        ];
        for (what, report) in reports {
            if let Some(report) = report {
                prepare_report_folder(what, report)?;
            }
        }
        let artifacts = match &overrides.junit {
            Some(report) => working_dir
                .join(report)
                .parent()
                .map_or_else(|| working_dir.to_path_buf(), Path::to_path_buf),
            None => working_dir.join("shakedown-reports"),
        }
        .join("screenshots");
        let mut browser = config.browser.clone();
        if overrides.headed {
            browser.headless = false;
        }
        let steps = StepSettings {
            environment,
            base_url,
            read_only: settings.read_only,
            step_timeout: overrides.step_timeout.unwrap_or(config.limits.step_timeout),
            scenario_timeout: config.limits.scenario_timeout,
            config_dir: config_folder(&config.path, working_dir),
            login: config.login,
            roles: config.roles,
            content: config.content,
            probes: config.probes,
            browser,
            artifacts,
        };
        Ok(Self {
            steps,
            concurrency,
            fail_fast: overrides.fail_fast,
            suite,
            junit: overrides.junit,
            reports: overrides.reports,
            retries: overrides.retries,
            tags: selection.tags.clone(),
        })
    }
}

/// The configuration file's folder, made absolute so commands started elsewhere agree on it.
fn config_folder(config: &Path, working_dir: &Path) -> PathBuf {
    let folder = config.parent().unwrap_or(Path::new(""));
    working_dir.join(folder)
}

fn choose_environment<'a>(
    config: &'a Config,
    name: Option<&str>,
) -> Result<(String, &'a config::Environment), Error> {
    let known = || {
        config
            .environments
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(name) => config
            .environments
            .get(name)
            .map(|environment| (name.to_owned(), environment))
            .ok_or_else(|| Error::UnknownEnvironment {
                name: name.to_owned(),
                config: config.path.clone(),
                known: known(),
            }),
        None if config.environments.len() == 1 => {
            let (name, environment) = config.environments.iter().next().expect("one environment");
            Ok((name.clone(), environment))
        }
        None => Err(Error::NoEnvironment {
            config: config.path.clone(),
            known: if config.environments.is_empty() {
                "no environments".into()
            } else {
                format!("the environments {}", known())
            },
        }),
    }
}

/// The named paths, else the configuration's `features`, else `features/` beside it.
/// Paths under the working folder are kept relative, so reports read `features/a.feature:3`.
pub fn feature_paths(selection: &Selection, config: Option<&Config>, working_dir: &Path) -> Vec<PathBuf> {
    let paths = if !selection.paths.is_empty() {
        selection.paths.clone()
    } else {
        match config {
            Some(config) if !config.features.is_empty() => config.features.clone(),
            Some(config) => vec![config.path.parent().unwrap_or(working_dir).join("features")],
            None => vec![PathBuf::from("features")],
        }
    };
    paths
        .into_iter()
        .map(|path| {
            path.strip_prefix(working_dir)
                .map(Path::to_path_buf)
                .unwrap_or(path)
        })
        .collect()
}

fn load_suite(selection: &Selection, config: &Config, working_dir: &Path) -> Result<Suite, Error> {
    let tags = selection.tags.as_deref().map(suite::parse_tags).transpose()?;
    suite::load(
        &feature_paths(selection, Some(config), working_dir),
        tags.as_ref(),
    )
}

/// A report that could not be written would be found out only after the run: make sure its
/// folder exists now.
fn prepare_report_folder(what: &'static str, report: &Path) -> Result<(), Error> {
    match report.parent().filter(|folder| !folder.as_os_str().is_empty()) {
        Some(folder) => std::fs::create_dir_all(folder).map_err(|source| Error::WriteReport {
            what,
            path: report.to_path_buf(),
            source,
        }),
        None => Ok(()),
    }
}
