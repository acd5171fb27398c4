//! `shakedown baseline record` and `compare`: the servers' facts and who could see what on
//! the site written down before a deployment, and checked again after it through the ordinary
//! runner, so a regression shows in every report like any failing scenario.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use cucumber::gherkin::{Feature, Step};
use shakedown_steps::access::{MATRIX_PHRASE, matrix_paths};
use shakedown_steps::baseline::{
    ACCESS_PHRASE, AccessFacts, BASELINE_PHRASE, Baseline, NagiosChecks, VERSION, gather, record_access,
};
use shakedown_steps::catalogue::step_line;
use shakedown_steps::session::{ANONYMOUS, password_variables};
use shakedown_steps::{Deadline, Host, Limit, LocalHost, PluginRunner, RunContext};

use crate::cli::{BaselineTarget, CompareArgs, OutputFormat, RecordArgs, Selection};
use crate::config;
use crate::error::{Error, exit};
use crate::output::{say, tell};
use crate::plan::gherkin_reader;
use crate::plan::suite::{self, Suite};
use crate::plan::{Overrides, Reports, RunPlan, feature_paths};

/// Gathers every host of the environment at once, each within `limits.scenario_timeout`, and
/// writes the file only when every host answered; then asks the site who may open the paths of
/// the features' access matrices.
pub async fn record(args: RecordArgs, working_dir: &Path) -> Result<i32, Error> {
    let overrides = Overrides {
        environment: args.target.env.clone(),
        hosts: args.target.hosts.clone(),
        generated: Some(Suite::default()),
        ..Overrides::default()
    };
    let selected = selection(&args.target);
    let plan = RunPlan::new(&selected, overrides, working_dir).await?;
    let paths = matrices_paths(&selected, working_dir)?;
    // The name a host goes by in the file is the one the step finds it by: its own.
    let hosts: Vec<(String, Arc<dyn Host>)> = match plan.fleet.hosts() {
        [] => vec![(LocalHost.name(), Arc::new(LocalHost))],
        hosts => hosts
            .iter()
            .map(|host| (host.name.clone(), Arc::clone(&host.host)))
            .collect(),
    };
    let settings = &plan.steps.baseline;
    let runner = PluginRunner::new(
        &plan.steps.probes,
        &plan.steps.base_url,
        password_variables(&plan.steps.roles),
        &plan.steps.config_dir,
    );
    let checks = NagiosChecks::from_feature(&settings.monitoring_feature, runner).await;
    let deadline = Deadline::after(plan.steps.scenario_timeout, Limit::Scenario);
    let gathered = futures::future::join_all(
        hosts
            .iter()
            .map(|(_, host)| gather(host.as_ref(), settings, &checks, deadline)),
    )
    .await;
    plan.fleet.close().await;
    let mut facts = BTreeMap::new();
    let mut failures = Vec::new();
    for ((name, host), outcome) in hosts.iter().zip(gathered) {
        match outcome {
            Ok(gathered) => {
                facts.insert(host.name(), gathered);
            }
            Err(failure) => failures.push(format!("{name}: {failure}")),
        }
    }
    if !failures.is_empty() {
        return Err(Error::Io {
            what: format!(
                "cannot record the baseline of `{}`: {} of {} host(s) could not be read, so `{}` was not written",
                plan.steps.environment,
                failures.len(),
                hosts.len(),
                args.out.display()
            ),
            source: std::io::Error::other(failures.join("\n")),
        });
    }
    let baseline = Baseline {
        version: VERSION,
        recorded_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        environment: plan.steps.environment.clone(),
        shakedown: env!("CARGO_PKG_VERSION").to_owned(),
        hosts: facts,
        access: access_matrix(&plan, &paths).await?,
    };
    let out = working_dir.join(&args.out);
    baseline.write(&out).map_err(|source| Error::Io {
        what: format!("cannot write the baseline to `{}`", args.out.display()),
        source,
    })?;
    for (name, gathered) in &baseline.hosts {
        say!("{name}: {}", gathered.summary());
    }
    match &baseline.access {
        Some(access) => say!(
            "the site: who could see what, for every role on {} path(s): the features' access matrices' and the pages a short crawl as each role reached",
            access.len()
        ),
        None => say!("the site: no feature holds `{MATRIX_PHRASE}`, so who could see what was not recorded"),
    }
    say!(
        "shakedown: the baseline of `{}` is in `{}`; after the deployment, run `shakedown baseline compare {} --env {}`",
        baseline.environment,
        args.out.display(),
        args.out.display(),
        baseline.environment
    );
    Ok(exit::PASSED)
}

/// Every path of the access matrices in the features `run` would select; no features folder is
/// no matrix.
fn matrices_paths(selection: &Selection, working_dir: &Path) -> Result<Vec<String>, Error> {
    let config = config::load(&config::locate(selection.config.as_deref(), working_dir)?)?;
    let existing: Vec<PathBuf> = feature_paths(selection, Some(&config), working_dir)
        .into_iter()
        .filter(|path| working_dir.join(path).exists())
        .collect();
    let suite = suite::load(&existing, None)?;
    let backgrounds = suite.features.iter().flat_map(|feature| {
        feature
            .background
            .iter()
            .chain(feature.rules.iter().filter_map(|rule| rule.background.as_ref()))
            .flat_map(|background| &background.steps)
    });
    let steps = backgrounds.chain(suite.scenarios().flat_map(|(_, scenario)| &scenario.steps));
    let paths: BTreeSet<&str> = steps
        .filter(|step: &&Step| step.value.trim() == MATRIX_PHRASE)
        .filter_map(|step| step.table.as_ref())
        .flat_map(matrix_paths)
        .collect();
    Ok(paths.into_iter().map(str::to_owned).collect())
}

/// Who could see what: `anonymous` and every role of the environment on each of `paths` and of
/// the pages a short crawl as each role reached, as the access matrix judges them; `None` when
/// no feature holds an access matrix. A cell that
/// cannot be told is recorded as such, never compared, and named here.
async fn access_matrix(plan: &RunPlan, paths: &[String]) -> Result<Option<AccessFacts>, Error> {
    if paths.is_empty() {
        return Ok(None);
    }
    let context = RunContext::new(plan.steps.clone()).map_err(|error| Error::Io {
        what: "cannot set up the HTTP client".into(),
        source: std::io::Error::other(error),
    })?;
    let configured: BTreeSet<String> = plan.steps.roles.keys().cloned().collect();
    context.read_passwords(&configured).await;
    let roles: Vec<String> = std::iter::once(ANONYMOUS.to_owned()).chain(configured).collect();
    let deadline = Deadline::after(plan.steps.scenario_timeout, Limit::Scenario);
    let (access, untold) = record_access(&context, &roles, paths, deadline).await;
    context.shutdown().await;
    for cell in untold {
        tell!(
            "warning: whether `{}` may open {} could not be told ({}), so it is never compared",
            cell.role,
            cell.path,
            cell.why
        );
    }
    Ok(Some(access))
}

/// Runs `baseline compare` like any run, with its reports and its audit line.
pub async fn compare(args: CompareArgs, working_dir: &Path) -> Result<i32, Error> {
    let nagios = args.reports.format == OutputFormat::Nagios;
    super::run::run_planned(compare_plan(args, working_dir).await, nagios).await
}

/// The plan of `baseline compare`: one generated scenario holding the baseline step, which the
/// fleet copies onto every host like any probe scenario.
async fn compare_plan(args: CompareArgs, working_dir: &Path) -> Result<RunPlan, Error> {
    let file = working_dir.join(&args.file);
    // A file that cannot be read is the server step's to explain.
    let access = Baseline::read(&file)
        .await
        .ok()
        .and_then(|baseline| baseline.access);
    let feature = feature(&file, &args.file, access.is_some())?;
    let overrides = Overrides {
        environment: args.target.env.clone(),
        hosts: args.target.hosts.clone(),
        junit: args.reports.junit.clone(),
        reports: Reports::from(args.reports),
        generated: Some(Suite {
            features: vec![feature],
            ..Suite::default()
        }),
        ..Overrides::default()
    };
    RunPlan::new(&selection(&args.target), overrides, working_dir).await
}

/// The feature `compare` runs, named after the baseline file in the reports; it asks who may
/// see what again when the file recorded it.
fn feature(file: &Path, as_given: &Path, with_access: bool) -> Result<Feature, Error> {
    let shown = file.to_string_lossy();
    if shown.contains(['"', '\n', '\\']) {
        return Err(Error::InvalidValue {
            what: "the baseline file",
            value: shown.into_owned(),
            problem: "a path holding `\"`, `\\` or a line break cannot be written into a step".into(),
        });
    }
    let argument = format!("\"{shown}\"");
    let step = step_line(BASELINE_PHRASE, &[&argument]);
    let mut text = format!(
        "Feature: The servers since the baseline\n\
         \n  Scenario: Nothing on the server has regressed\n    \
         Then {step}\n"
    );
    if with_access {
        let step = step_line(ACCESS_PHRASE, &[&argument]);
        text.push_str(&format!(
            "\n  Scenario: Nobody has gained access to the site\n    Then {step}\n"
        ));
    }
    // Read as every feature file is, so the step reaches the runner as a file's would.
    let unreadable = |problem: String| Error::InvalidValue {
        what: "the baseline file",
        value: shown.clone().into_owned(),
        problem,
    };
    gherkin_reader::read(&text, as_given)
        .map_err(|found| unreadable(format!("line {}: {}", found.line, found.problem)))?
        .feature
        .ok_or_else(|| unreadable("the feature written for it holds no `Feature:`".into()))
}

fn selection(target: &BaselineTarget) -> Selection {
    Selection {
        paths: Vec::new(),
        config: target.config.clone(),
        tags: None,
    }
}
