//! `shakedown run` (and `baseline compare`, which runs a generated plan the same way): the plan
//! is run with the terminal report and the file reports it asks for, then recorded in the audit
//! log and, with `audit.syslog`, in the servers' system logs.

use std::path::Path;
use std::time::SystemTime;

use shakedown_steps::redact::redact;

use crate::audit;
use crate::cli::{OutputFormat, RunArgs};
use crate::error::{Error, exit};
use crate::output::{self, say, tell};
use crate::plan::{RunPlan, ScenarioId};
use crate::report::{
    self, CucumberJsonReport, FileReport, FileReports, HtmlReport, JunitReport, NagiosReporter, NagiosStatus,
    ProgressReporter, Reporter, RunSummary, TerminalReporter,
};
use crate::run;

pub async fn run(args: RunArgs, working_dir: &Path) -> Result<i32, Error> {
    if args.list {
        return Ok(list(&RunPlan::from_args(args, working_dir).await?));
    }
    let nagios = args.reports.format == OutputFormat::Nagios;
    // Counted from the start, so planning (a `[secrets]` command) and waiting for a password
    // command count too.
    let deadline = args.timeout.map(|limit| tokio::time::Instant::now() + limit);
    let planning = RunPlan::from_args(args, working_dir);
    let plan = match deadline {
        None => planning.await,
        Some(deadline) => tokio::time::timeout_at(deadline, planning)
            .await
            .unwrap_or_else(|_| {
                // What planning started (a secret's command) ends with it.
                shakedown_steps::children::kill_all();
                Err(Error::Io {
                    what: "the run reached its --timeout before any scenario started".into(),
                    source: std::io::ErrorKind::TimedOut.into(),
                })
            }),
    };
    run_planned_within(plan, nagios, deadline).await
}

/// `run --list`: the scenarios the run would start, each with the server it would run on, from
/// the plan itself, so the list is the run's own selection and assignment. Planning opens no
/// connection (hosts are reached at a scenario's turn) and nothing is started or recorded.
fn list(plan: &RunPlan) -> i32 {
    for (feature, scenario) in plan.suite.scenarios() {
        let id = ScenarioId::of(feature, scenario);
        let place = match plan.fleet.assigned(&id) {
            Some(host) => format!("on {}", host.name),
            None => "from this machine".to_owned(),
        };
        say!(
            "{}:{}  {}  ({place})",
            id.path.display(),
            id.line,
            redact(&scenario.name)
        );
    }
    let count = plan.suite.scenario_count();
    say!(
        "shakedown: {count} scenario(s) selected in environment `{}` ({}); nothing was run",
        plan.steps.environment,
        redact(plan.steps.base_url.as_str())
    );
    if count == 0 {
        exit::NOTHING_SELECTED
    } else {
        exit::PASSED
    }
}

/// Runs a plan, or says why there is none. A monitoring system reads one line and the exit
/// code: for it, a run that cannot start is UNKNOWN, not a usage error.
pub async fn run_planned(plan: Result<RunPlan, Error>, nagios: bool) -> Result<i32, Error> {
    run_planned_within(plan, nagios, None).await
}

/// [`run_planned`], cut at `deadline` (`--timeout`) if the run has not ended by then.
async fn run_planned_within(
    plan: Result<RunPlan, Error>,
    nagios: bool,
    deadline: Option<tokio::time::Instant>,
) -> Result<i32, Error> {
    if !nagios {
        return run_recorded(plan?, deadline).await;
    }
    let outcome = match plan {
        Ok(plan) => run_recorded(plan, deadline).await,
        Err(error) => Err(error),
    };
    Ok(outcome.unwrap_or_else(|error| {
        // A run a signal stopped has printed its status line (UNKNOWN, with what finished):
        // a second one would be read as the plugin's long output.
        if !matches!(error, Error::Interrupted { .. }) {
            // Masked before the status line keeps the first line and rewrites `|`.
            say!("{}", report::nagios_unknown_line(&redact(&error.render())));
        }
        NagiosStatus::Unknown.exit_code()
    }))
}

/// Runs a plan, then records it in the audit log whatever its outcome: the run is over before
/// anything is written there, and the servers' system logs hear of a run that ended (not one a
/// signal cut) while their connections are still open.
async fn run_recorded(plan: RunPlan, deadline: Option<tokio::time::Instant>) -> Result<i32, Error> {
    let started = SystemTime::now();
    let record = audit::Record::of(&plan);
    let fleet = std::sync::Arc::clone(&plan.fleet);
    // Telling the servers is a command on each, bounded like a step's own.
    let step_timeout = plan.steps.step_timeout;
    let outcome = run_reported(plan, deadline).await;
    let summary = outcome.as_ref().ok().and_then(|(summary, _)| summary.as_ref());
    if let (Some(summary), true) = (summary, record.syslog()) {
        let deadline = shakedown_steps::Deadline::after(step_timeout, shakedown_steps::Limit::Step);
        audit::log_on_servers(&fleet, summary, &record, deadline).await;
    }
    run::close_fleet(&fleet).await;
    let code = outcome.as_ref().map_or_else(Error::exit_code, |(_, code)| *code);
    record.write(started, summary, code);
    outcome.map(|(_, code)| code)
}

/// Runs a plan with the terminal report and any file reports it asks for.
/// The summary is `None` when nothing was run.
async fn run_reported(
    plan: RunPlan,
    deadline: Option<tokio::time::Instant>,
) -> Result<(Option<RunSummary>, i32), Error> {
    let nagios = plan.reports.nagios;
    if plan.suite.scenario_count() == 0 {
        if nagios {
            say!(
                "{}",
                report::nagios_unknown_line("no scenario matches the selection; nothing was run")
            );
            return Ok((None, NagiosStatus::Unknown.exit_code()));
        }
        tell!("shakedown: no scenario matches the selection; nothing was run");
        return Ok((None, exit::NOTHING_SELECTED));
    }
    let files = [
        ("JUnit report", plan.junit.clone()),
        ("Cucumber JSON report", plan.reports.json.clone()),
        ("HTML report", plan.reports.html.clone()),
    ];
    let reporters = reporters(&plan);
    let summary = run::execute(plan, reporters, deadline).await?;
    if nagios {
        let code = NagiosStatus::of(&summary).exit_code();
        return Ok((Some(summary), code));
    }
    for (what, path) in files {
        if let Some(path) = path {
            say!("{what}: {}", path.display());
        }
    }
    // A run cut by its time limit did not check everything it was asked to: no pass.
    let code = if summary.failed > 0 || summary.stopped_by.is_some() {
        exit::FAILED
    } else {
        exit::PASSED
    };
    Ok((Some(summary), code))
}

/// The terminal's (or Nagios's) report and the file reports the plan asks for.
fn reporters(plan: &RunPlan) -> Vec<Box<dyn Reporter>> {
    let mut reporters: Vec<Box<dyn Reporter>> = Vec::new();
    if plan.reports.nagios {
        reporters.push(Box::new(NagiosReporter::new(output::Stdout)));
    } else {
        let terminal = TerminalReporter::new(output::Stdout, plan.reports.quiet);
        // The progress line hears each event first, so it is cleared before the summary prints.
        match ProgressReporter::for_stderr() {
            Some(progress) => {
                let bar = progress.bar();
                reporters.push(Box::new(progress));
                reporters.push(Box::new(terminal.with_progress(bar)));
            }
            None => reporters.push(Box::new(terminal)),
        }
    }
    let mut files: Vec<Box<dyn FileReport>> = Vec::new();
    if let Some(path) = &plan.junit {
        files.push(Box::new(JunitReport::new(path.clone())));
    }
    if let Some(path) = &plan.reports.json {
        files.push(Box::new(CucumberJsonReport::new(path.clone())));
    }
    if let Some(path) = &plan.reports.html {
        files.push(Box::new(HtmlReport::new(path.clone())));
    }
    if !files.is_empty() {
        reporters.push(Box::new(FileReports::new(files)));
    }
    reporters
}
