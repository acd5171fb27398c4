//! Probes of a machine (this one, or a server over SSH): ports, processes, services, commands,
//! Nagios plugins, files and cron, and the baseline of them all.

pub mod baseline;
mod commands;
mod cron;
mod files;
mod nagios;
mod permissions;
mod ports;
mod processes;
mod services;
mod settings;
mod steps;

pub(crate) use commands::{CommandRun, ProbeState, bounded, run as run_command};
pub use nagios::{resource_macros, user_macro_number};
pub use settings::ProbeSettings;
