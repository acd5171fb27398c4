//! Turns the command line and the configuration into one checked run plan. Everything that can
//! be wrong with the input is found here, before any server is touched.

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use shakedown_steps::{Deadline, Limit, ProbeSettings, StepSettings};

pub mod check;
mod fleet;
pub use shakedown_steps::gherkin_reader;
mod provenance;
pub mod suite;
mod variables;

use std::sync::Arc;

use crate::cli::Partition;
use crate::cli::{OutputFormat, ReportArgs, RunArgs, Selection};
use crate::config::{self, Config};
use crate::error::Error;
use check::{Findings, Roles};
pub use fleet::{Fleet, HostLease};
pub use provenance::{CI_PEOPLE, Provenance};
use shakedown_steps::suggest::suggest;
pub use suite::ScenarioId;
use suite::Suite;
pub use variables::Variables;

/// A run that is ready to go: the selected scenarios, how many run at once, the reports, and
/// everything the steps need to know (environment, limits, roles, rules, browser).
#[derive(Debug)]
pub struct RunPlan {
    pub steps: StepSettings,
    pub concurrency: usize,
    pub fail_fast: bool,
    pub suite: Suite,
    /// The roles the selected scenarios name: only their password sources are read.
    pub roles_in_use: BTreeSet<String>,
    pub junit: Option<PathBuf>,
    pub reports: Reports,
    /// How many more times a failing scenario runs (`--retries`); `@retry(N)` still applies.
    pub retries: Option<usize>,
    /// The `--tags` expression as written, for the reports.
    pub tags: Option<String>,
    /// The environment's servers, which probe and `@on:GROUP` scenarios run on; shared with
    /// the audit, which tells their system logs of the run once it is over.
    pub fleet: Arc<Fleet>,
    /// Who runs it, from where, with which features.
    pub provenance: Provenance,
    /// Where the run's audit line goes; `None` when no folder for it is known.
    pub audit_log: Option<PathBuf>,
    /// `audit.syslog`: the servers' system logs hear of the run too.
    pub audit_syslog: bool,
}

/// The reports beyond JUnit, and how the terminal reads.
#[derive(Debug, Default)]
pub struct Reports {
    pub json: Option<PathBuf>,
    pub html: Option<PathBuf>,
    pub nagios: bool,
    pub quiet: bool,
}

impl From<ReportArgs> for Reports {
    /// The reports asked on the command line, JUnit aside (`Overrides::junit`).
    fn from(args: ReportArgs) -> Self {
        Self {
            json: args.json,
            html: args.html,
            nagios: args.format == OutputFormat::Nagios,
            quiet: args.quiet,
        }
    }
}

/// What `run` was asked, beyond the selection of features.
#[derive(Debug, Default)]
pub struct Overrides {
    pub environment: Option<String>,
    pub base_url: Option<String>,
    pub step_timeout: Option<Duration>,
    pub concurrency: Option<NonZeroUsize>,
    pub fail_fast: bool,
    pub junit: Option<PathBuf>,
    pub headed: bool,
    pub reports: Reports,
    pub retries: Option<usize>,
    /// `--host`: only these hosts of the environment.
    pub hosts: Vec<String>,
    /// Only this slice of the selected scenarios (`--partition`).
    pub partition: Option<Partition>,
    /// Features shakedown wrote itself (`baseline compare`), run instead of the feature files.
    pub generated: Option<Suite>,
    /// `--deployed-at`: when the deployment started, over `[deploy] marker`.
    pub deployed_at: Option<std::time::SystemTime>,
    /// `--var NAME=VALUE`, in the order given.
    pub variables: Vec<(String, String)>,
}

impl RunPlan {
    pub async fn from_args(args: RunArgs, working_dir: &Path) -> Result<Self, Error> {
        let RunArgs {
            selection,
            env,
            base_url,
            reports,
            retries,
            concurrency,
            fail_fast,
            headed,
            hosts,
            partition,
            // How long the run may take and whether it runs at all are the run command's.
            timeout: _,
            list: _,
            deployed_at,
            variables,
        } = args;
        let overrides = Overrides {
            environment: env,
            base_url,
            step_timeout: None,
            concurrency: concurrency.and_then(|count| NonZeroUsize::new(count.into())),
            fail_fast,
            junit: reports.junit.clone(),
            headed,
            reports: Reports::from(reports),
            retries: retries.map(usize::from),
            hosts,
            partition,
            deployed_at,
            generated: None,
            variables: variables.vars,
        };
        Self::new(&selection, overrides, working_dir).await
    }

    /// The plan of every command that touches a site or a server (`run`, `demo`, `baseline`).
    /// Once the input is found sound, the run's secrets are read and registered here, before
    /// anything (a step, a report, the baseline, the audit log) could show them.
    pub async fn new(selection: &Selection, overrides: Overrides, working_dir: &Path) -> Result<Self, Error> {
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
        let read_only = settings.read_only;
        let client_certificate = settings.client_certificate.clone();
        let reports = [
            (
                "JUnit",
                &overrides.junit,
                "`--junit` names the report file to write, e.g. `reports/junit.xml`",
            ),
            (
                "JSON",
                &overrides.reports.json,
                "`--json` names the report file to write, e.g. `reports/cucumber.json`",
            ),
            (
                "HTML",
                &overrides.reports.html,
                "`--html` names the report file to write, e.g. `reports/shakedown.html`",
            ),
        ];
        for (_, report, wanted) in &reports {
            if let Some(report) = report {
                check_report_path(report, wanted)?;
            }
        }
        let step_timeout = overrides.step_timeout.unwrap_or(config.limits.step_timeout);
        let Checked { mut suite, findings } = match overrides.generated {
            Some(suite) => Checked::of(suite, Some(&config)),
            None => {
                let variables =
                    Variables::for_run(&overrides.variables, settings, reading(step_timeout)).await?;
                Checked::load(selection, Some(&config), working_dir, &variables)?
            }
        };
        findings.refuse_run()?;
        findings.warn();
        if let Some(partition) = overrides.partition {
            suite.partition(partition);
        }
        let mut fleet = Fleet::plan(
            &settings.hosts,
            &config.ssh,
            &overrides.hosts,
            config.limits.host_concurrency,
        )?;
        suite.features = fleet.expand(std::mem::take(&mut suite.features))?;
        // Every input's canonical path costs a system call: read only when a report is asked.
        let inputs = std::cell::OnceCell::new();
        let mut targets: Vec<(&'static str, PathBuf)> = Vec::new();
        for (what, report, _) in reports {
            if let Some(report) = report {
                inputs
                    .get_or_init(|| Inputs::of(&config.path, &suite))
                    .refuse_as_report(what, report, &targets)?;
                prepare_report_folder(what, report)?;
                targets.push((what, report.clone()));
            }
        }
        shakedown_steps::redact::register_url(&base_url);
        config::register_secrets(&config.secrets, reading(step_timeout)).await?;
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
        let audit_log = config::audit_log_path(config.audit_log.as_ref().map(|path| working_dir.join(path)));
        let provenance = Provenance::of(&suite).await;
        let roles_in_use = check::roles_in_use(&suite, &config.roles);
        let steps = StepSettings {
            environment,
            base_url,
            read_only,
            step_timeout,
            scenario_timeout: config.limits.scenario_timeout,
            config_dir: config_folder(&config.path, working_dir),
            login: config.login,
            client_certificate,
            roles: config.roles,
            content: config.content,
            probes: ProbeSettings {
                deployed_at: overrides.deployed_at,
                ..config.probes
            },
            baseline: config.baseline,
            browser,
            artifacts,
        };
        Ok(Self {
            steps,
            concurrency: overrides.concurrency.unwrap_or(config.limits.concurrency).get(),
            fail_fast: overrides.fail_fast,
            roles_in_use,
            suite,
            junit: overrides.junit,
            reports: overrides.reports,
            retries: overrides.retries,
            tags: selection.tags.clone(),
            fleet: Arc::new(fleet),
            provenance,
            audit_log,
            audit_syslog: config.audit_syslog,
        })
    }
}

/// What `check` and `run` both stand on, loaded one way so that a check passes exactly when a
/// run would start: the selected features, and what matching them against the step library and
/// the configuration found.
#[derive(Debug)]
pub struct Checked {
    pub suite: Suite,
    pub findings: Findings,
}

impl Checked {
    /// `config` is `None` only for `check` in a folder with no `shakedown.toml`: then the
    /// features alone are checked.
    pub fn load(
        selection: &Selection,
        config: Option<&Config>,
        working_dir: &Path,
        variables: &Variables,
    ) -> Result<Self, Error> {
        let tags = selection.tags.as_deref().map(suite::parse_tags).transpose()?;
        let mut suite = suite::load(&feature_paths(selection, config, working_dir), tags.as_ref())?;
        let unknown = variables.substitute(&mut suite);
        let mut checked = Self::of(suite, config);
        checked.findings.invalid.extend(unknown);
        Ok(checked)
    }

    /// A suite already in hand, matched against the step library and the configuration.
    pub fn of(suite: Suite, config: Option<&Config>) -> Self {
        let roles = config.map(|config| Roles {
            roles: &config.roles,
            login: config.login.as_ref(),
        });
        let findings = check::check(&suite, roles.as_ref());
        Self { suite, findings }
    }
}

/// The deadline for reading secrets before the run, which a password command must meet as a
/// step's own command would.
fn reading(step_timeout: Duration) -> Deadline {
    Deadline::after(step_timeout, Limit::Step)
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
                suggestion: suggest(name, config.environments.keys().map(String::as_str)).map(str::to_owned),
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

/// A report path that names a folder would be found out only after the run.
fn check_report_path(report: &Path, wanted: &'static str) -> Result<(), Error> {
    if report.is_dir() || report.as_os_str().to_string_lossy().ends_with('/') {
        return Err(Error::IsAFolder {
            path: report.to_path_buf(),
            wanted,
        });
    }
    Ok(())
}

/// What a run reads: its configuration and its feature files, each as its canonical path. No
/// report is ever written over one of them.
struct Inputs(Vec<(PathBuf, &'static str)>);

impl Inputs {
    fn of(config: &Path, suite: &Suite) -> Self {
        let features = suite
            .features
            .iter()
            .filter_map(|feature| feature.path.as_deref())
            .map(|path| (path, "a feature file of this run"));
        let inputs = std::iter::once((config, "the configuration"))
            .chain(features)
            .filter_map(|(path, what)| Some((path.canonicalize().ok()?, what)))
            .collect();
        Self(inputs)
    }

    /// Refuses `report` when it names an input, a file that is no regular file, or the file of a
    /// report already named (`earlier`).
    fn refuse_as_report(
        &self,
        what: &'static str,
        report: &Path,
        earlier: &[(&'static str, PathBuf)],
    ) -> Result<(), Error> {
        let refused = |problem: String| Error::ReportTarget {
            what,
            path: report.to_path_buf(),
            problem,
        };
        let Ok(target) = report.canonicalize() else {
            return match earlier.iter().find(|(_, path)| path == report) {
                Some((other, _)) => Err(refused(format!("the {other} report is written there too"))),
                None => Ok(()),
            };
        };
        if let Some((_, input)) = self.0.iter().find(|(path, _)| *path == target) {
            return Err(refused(format!("it is {input}, which a report never replaces")));
        }
        if !target.is_file() {
            return Err(refused(
                "it is not a regular file (a device, a FIFO or a socket), which a report never replaces"
                    .into(),
            ));
        }
        match earlier
            .iter()
            .find(|(_, path)| path.canonicalize().is_ok_and(|path| path == target))
        {
            Some((other, _)) => Err(refused(format!("the {other} report is written there too"))),
            None => Ok(()),
        }
    }
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
