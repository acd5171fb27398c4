//! shakedown: runs stakeholder-written Gherkin features against a live web application and its
//! server, before a release (pre-flight) and right after it (post-install).
//!
//! This file only dispatches: `main` parses the command line and hands it to its command
//! (`commands/`), which turns it into a checked plan (`plan/`), runs it (`run/`), reports it
//! (`report/`) and records it (`audit/`); the exit code says what happened so deployment scripts
//! can gate on it. docs/ARCHITECTURE.md has the layers and the directions they may not take.

#[cfg(test)]
mod architecture;
mod audit;
mod cli;
mod commands;
mod config;
mod error;
mod output;
mod plan;
#[cfg(test)]
mod properties;
mod report;
mod run;

use clap::Parser as _;
use shakedown_steps::redact::redact;

use crate::cli::{BaselineCommand, Cli, Command};
use crate::error::{Error, exit};
use crate::output::tell;

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
        Command::Run(args) => commands::run::run(args, &working_dir).await,
        Command::Baseline(BaselineCommand::Record(args)) => {
            commands::baseline::record(args, &working_dir).await
        }
        Command::Baseline(BaselineCommand::Compare(args)) => {
            commands::baseline::compare(args, &working_dir).await
        }
        Command::Check(args) => commands::check::check(&args, &working_dir),
        Command::Steps(args) => commands::steps::print(args.format),
        #[cfg(feature = "demo")]
        Command::Demo(args) => commands::demo::demo(args, &working_dir).await,
        Command::Init(args) => commands::init::init(args, &working_dir).await,
        Command::Audit(args) => commands::audit::list(&args, &working_dir),
        Command::Completions(args) => commands::completions::print(args.shell),
        Command::Manpage => commands::manpage::print(),
    }
}
