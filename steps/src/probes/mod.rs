//! Probes of a machine (this one, or a server over SSH): ports, processes, services, commands,
//! Nagios plugins, files and cron, and the baseline of them all.

pub mod baseline;
mod commands;
mod cron;
mod files;
mod host;
mod nagios;
mod permissions;
mod ports;
mod processes;
mod services;
mod settings;
mod ssh;
mod steps;

pub(crate) use commands::{CommandRun, ProbeState, bounded, run as run_command};
pub use host::{Connection, FileFacts, Finished, Host, Invocation, LocalHost, RunError};
pub use nagios::{resource_macros, user_macro_number};
pub use processes::Process;
pub use settings::ProbeSettings;
pub use ssh::{DestinationError, SshDestination, SshHost, SshSettings};
