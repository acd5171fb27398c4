//! `shakedown init`: a team's first hour, written for them. A starting `shakedown.toml`, a smoke
//! feature from an anonymous visit to their site, and their Nagios or NRPE checks imported as a
//! monitoring feature. Nothing existing is ever overwritten.

mod access_log;
mod command;
mod config_file;
mod explore;
mod files;
mod gherkin;
mod macros;
mod monitoring;
mod nagios;
mod nagios_cfg;
mod nrpe;
mod selenium_ide;
mod smoke;

pub use command::init;
