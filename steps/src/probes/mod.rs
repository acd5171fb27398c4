//! Probes of a machine (this one, or a server over SSH): ports, processes, services, commands,
//! Nagios plugins, files and cron.

mod commands;
mod cron;
mod deployment;
mod file_contents;
mod files;
mod nagios;
mod packages;
mod permissions;
mod ports;
mod processes;
mod services;
mod settings;
mod steps;

pub(crate) use commands::{CommandRun, ProbeState, bounded, run as run_command};
pub(crate) use cron::{is_system_crontab, parse_crontab};
pub use deployment::deployed_at;
pub(crate) use nagios::State;
pub use nagios::{PluginRunner, resource_macros, user_macro_number};
pub use settings::ProbeSettings;
pub use steps::NAGIOS_OK_PHRASE;
