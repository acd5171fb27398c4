//! shakedown: runs stakeholder-written Gherkin features against a live web application and its
//! server, before a release (pre-flight) and right after it (post-install).
//!
//! `main` parses the command line, turns it into a checked plan and hands it to the runner; the
//! exit code says what happened so deployment scripts can gate on it.

mod audit;
mod baseline;
mod catalogue;
mod check;
mod cli;
mod config;
#[cfg(feature = "demo")]
mod demo;
mod demo_out;
mod error;
mod feature_lines;
mod fleet;
mod init;
mod output;
mod plan;
#[cfg(test)]
mod properties;
mod report;
mod runner;
mod signals;
mod suggest;
mod suite;

use std::path::Path;

use clap::Parser as _;
use shakedown_steps::redact::redact;

use crate::cli::{BaselineCommand, CheckArgs, Cli, Command};
use crate::error::{Error, exit};
use crate::output::{say, tell};
use crate::plan::{Checked, RunPlan};
use crate::report::{
    CucumberJsonReporter, HtmlReporter, JunitReporter, NagiosReporter, NagiosStatus, ProgressReporter,
    Reporter, RunSummary, TerminalReporter,
};

/// Runs the command line of this process and returns the exit code.
pub fn main() -> i32 {
    // A bug must still read as one line, not as a panic message with a backtrace hint.
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|at| format!(" at {}:{}", at.file(), at.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("unknown cause");
        tell!(
            "error: internal error in shakedown{location}: {}\nhint: this is a bug in shakedown, not in your site or your input; the run's result cannot be trusted (exit code {})",
            redact(message),
            exit::INTERNAL
        );
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return error.exit_code();
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(source) => {
            return report_error(&Error::Io {
                what: "cannot start the async runtime".into(),
                source,
            });
        }
    };
    // The hook above has told the user; the code tells the script that called us.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(dispatch(cli.command))
    }));
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(error)) => report_error(&error),
        Err(_) => exit::INTERNAL,
    }
}

fn report_error(error: &Error) -> i32 {
    tell!("{}", redact(&error.render()));
    error.exit_code()
}

async fn dispatch(command: Command) -> Result<i32, Error> {
    let working_dir = std::env::current_dir().map_err(|source| Error::Io {
        what: "cannot read the current folder".into(),
        source,
    })?;
    match command {
        Command::Run(args) if args.reports.format == cli::OutputFormat::Nagios => {
            Ok(run_for_nagios(RunPlan::from_args(args, &working_dir).await).await)
        }
        Command::Run(args) => run(RunPlan::from_args(args, &working_dir).await?).await,
        Command::Baseline(BaselineCommand::Record(args)) => baseline::record(args, &working_dir).await,
        Command::Baseline(BaselineCommand::Compare(args))
            if args.reports.format == cli::OutputFormat::Nagios =>
        {
            Ok(run_for_nagios(baseline::compare_plan(args, &working_dir).await).await)
        }
        Command::Baseline(BaselineCommand::Compare(args)) => {
            run(baseline::compare_plan(args, &working_dir).await?).await
        }
        Command::Check(args) => check(&args, &working_dir),
        Command::Steps(args) => catalogue::print(args.format),
        #[cfg(feature = "demo")]
        Command::Demo(args) => demo::demo(args, &working_dir).await,
        Command::Init(args) => init::init(args, &working_dir).await,
        Command::Audit(args) => audit::list(&args, &working_dir),
    }
}

/// A monitoring system reads one line and the exit code: a run that cannot start is UNKNOWN,
/// not a usage error.
async fn run_for_nagios(plan: Result<RunPlan, Error>) -> i32 {
    let outcome = match plan {
        Ok(plan) => run(plan).await,
        Err(error) => Err(error),
    };
    outcome.unwrap_or_else(|error| {
        // Masked before the status line keeps the first line and rewrites `|`.
        say!("{}", report::nagios_unknown_line(&redact(&error.render())));
        NagiosStatus::Unknown.exit_code()
    })
}

/// Runs a plan and records it in the audit log, whatever its outcome.
async fn run(plan: RunPlan) -> Result<i32, Error> {
    let audit = audit::Pending::begin(&plan).await;
    let mut summary = None;
    let outcome = run_reported(plan, &mut summary).await;
    let code = outcome.as_ref().map_or_else(Error::exit_code, |code| *code);
    audit.finish(summary.as_ref(), code);
    outcome
}

/// Runs a plan with the terminal report and any file reports it asks for; the totals are left
/// in `totals` for the audit log.
async fn run_reported(plan: RunPlan, totals: &mut Option<RunSummary>) -> Result<i32, Error> {
    let selected = plan.suite.scenario_count();
    let nagios = plan.reports.nagios;
    if selected == 0 {
        if nagios {
            say!(
                "{}",
                report::nagios_unknown_line("no scenario matches the selection; nothing was run")
            );
            return Ok(NagiosStatus::Unknown.exit_code());
        }
        tell!("shakedown: no scenario matches the selection; nothing was run");
        return Ok(exit::NOTHING_SELECTED);
    }
    let files = [
        ("JUnit report", plan.junit.clone()),
        ("Cucumber JSON report", plan.reports.json.clone()),
        ("HTML report", plan.reports.html.clone()),
    ];
    let mut reporters: Vec<Box<dyn Reporter>> = Vec::new();
    if nagios {
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
    if let Some(path) = &plan.junit {
        reporters.push(Box::new(JunitReporter::new(path.clone())));
    }
    if let Some(path) = &plan.reports.json {
        reporters.push(Box::new(CucumberJsonReporter::new(path.clone())));
    }
    if let Some(path) = &plan.reports.html {
        reporters.push(Box::new(HtmlReporter::new(path.clone())));
    }
    let summary = totals.insert(runner::execute(plan, reporters).await?);
    if nagios {
        return Ok(NagiosStatus::of(summary).exit_code());
    }
    for (what, path) in files {
        if let Some(path) = path {
            say!("{what}: {}", path.display());
        }
    }
    Ok(exit_code(summary))
}

fn exit_code(summary: &RunSummary) -> i32 {
    if summary.failed > 0 {
        exit::FAILED
    } else {
        exit::PASSED
    }
}

/// Checks what a run would check before it starts, touching no server: a clean check means the
/// run starts (given an environment to run against).
fn check(args: &CheckArgs, working_dir: &Path) -> Result<i32, Error> {
    let config = Checked::optional_config(&args.selection, working_dir)?;
    let Checked { findings, .. } = Checked::load(&args.selection, config.as_ref(), working_dir)?;
    findings.refuse_invalid()?;
    if config.is_none() {
        say!("shakedown: no `shakedown.toml` found, so the roles the steps name were not checked");
    }
    let totals = &findings.totals;
    if findings.unmatched.is_empty() {
        say!(
            "shakedown: {} feature(s), {} scenario(s), {} step(s): every step matches the library",
            totals.features,
            totals.scenarios,
            totals.steps
        );
        return Ok(exit::PASSED);
    }
    say!("{}", check::listing(&findings.unmatched));
    say!(
        "shakedown: {} of {} step(s) match no phrase, or more than one (`shakedown steps` lists them all)",
        findings.unmatched.len(),
        totals.steps
    );
    Ok(exit::FAILED)
}
