//! `shakedown.toml`: found by walking up from the current folder (or named with `--config`),
//! laid over the embedded `defaults.toml`, read strictly (an unknown key is an error with a
//! suggestion), and every problem reported with the file, line and column it comes from. One
//! module per section.

mod audit;
mod baseline;
mod browser;
mod content;
mod environments;
mod exposure;
mod headers;
mod hosts;
mod inventory;
mod limits;
mod load;
mod login;
mod methods;
mod probes;
#[cfg(test)]
mod reference;
mod roles;
mod secrets;
mod source;
mod values;
mod vars;

pub use audit::audit_log_path;
pub use environments::Environment;
pub use hosts::HostConfig;
pub use load::{Config, FILE_NAME, load, locate, optional, parse};
pub use secrets::register_secrets;
pub use source::DEFAULTS;
pub use values::{parse_base_url, parse_duration};
pub use vars::{VariableSource, is_variable_name};

#[cfg(test)]
mod tests;
