//! Probes of the machine: ports, processes, services, commands, Nagios plugins, files and cron.

mod commands;
mod cron;
mod files;
mod host;
mod nagios;
mod ports;
mod processes;
mod services;
mod settings;
mod steps;

pub(crate) use commands::{CommandRun, ProbeState, bounded, resolve_path, run as run_command};
#[cfg(test)]
pub(crate) use host::Finished;
pub(crate) use host::{Host, Invocation, LocalHost, RunError};
pub use settings::ProbeSettings;
