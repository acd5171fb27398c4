//! `shakedown baseline record` and `compare`: the servers' facts written down before a
//! deployment, and checked again after it through the ordinary runner, so a regression shows
//! in every report like any failing scenario.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use cucumber::gherkin::Feature;
use shakedown_steps::baseline::{BASELINE_PHRASE, Baseline, NagiosChecks, VERSION, gather};
use shakedown_steps::catalogue::step_line;
use shakedown_steps::session::password_variables;
use shakedown_steps::{Deadline, Host, Limit, LocalHost, PluginRunner};

use crate::cli::{BaselineTarget, CompareArgs, OutputFormat, RecordArgs, Selection};
use crate::error::{Error, exit};
use crate::output::say;
use crate::plan::gherkin_reader;
use crate::plan::suite::Suite;
use crate::plan::{Overrides, Reports, RunPlan};

/// Gathers every host of the environment at once, each within `limits.scenario_timeout`, and
/// writes the file only when every host answered.
pub async fn record(args: RecordArgs, working_dir: &Path) -> Result<i32, Error> {
    let overrides = Overrides {
        environment: args.target.env.clone(),
        hosts: args.target.hosts.clone(),
        generated: Some(Suite::default()),
        ..Overrides::default()
    };
    let plan = RunPlan::new(&selection(&args.target), overrides, working_dir).await?;
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
    };
    let out = working_dir.join(&args.out);
    baseline.write(&out).map_err(|source| Error::Io {
        what: format!("cannot write the baseline to `{}`", args.out.display()),
        source,
    })?;
    for (name, gathered) in &baseline.hosts {
        say!("{name}: {}", gathered.summary());
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

/// Runs `baseline compare` like any run, with its reports and its audit line.
pub async fn compare(args: CompareArgs, working_dir: &Path) -> Result<i32, Error> {
    let nagios = args.reports.format == OutputFormat::Nagios;
    super::run::run_planned(compare_plan(args, working_dir).await, nagios).await
}

/// The plan of `baseline compare`: one generated scenario holding the baseline step, which the
/// fleet copies onto every host like any probe scenario.
async fn compare_plan(args: CompareArgs, working_dir: &Path) -> Result<RunPlan, Error> {
    let file = working_dir.join(&args.file);
    let feature = feature(&file, &args.file)?;
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

/// The feature `compare` runs; named after the baseline file in the reports.
fn feature(file: &Path, as_given: &Path) -> Result<Feature, Error> {
    let shown = file.to_string_lossy();
    if shown.contains(['"', '\n', '\\']) {
        return Err(Error::InvalidValue {
            what: "the baseline file",
            value: shown.into_owned(),
            problem: "a path holding `\"`, `\\` or a line break cannot be written into a step".into(),
        });
    }
    let step = step_line(BASELINE_PHRASE, &[&format!("\"{shown}\"")]);
    let text = format!(
        "Feature: The servers since the baseline\n\
         \n  Scenario: Nothing on the server has regressed\n    \
         Then {step}\n"
    );
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
