//! The step library: the World every scenario runs in and one module per step domain, so the
//! runner (and its CLI) can stay ignorant of what a step does.

pub mod access;
mod argument;
pub mod baseline;
pub mod browser;
pub mod catalogue;
pub mod content;
mod context;
mod deadline;
mod failure;
pub mod gherkin_reader;
mod http;
pub mod locked;
mod machine;
pub mod phrases;
mod probes;
pub mod public;
pub mod read_input;
pub mod redact;
pub mod session;
mod site;
pub mod suggest;
mod text;
mod tls;
pub mod waiting;
mod world;
pub mod written;
mod wsgi;

pub use context::{ContentSettings, RunContext, StepSettings, install_run_context};
pub use deadline::{Deadline, Limit};
pub use failure::{Attachment, FailureKind, StepFailure, StepResult};
pub use machine::children;
pub use machine::{
    Connection, DestinationError, FileFacts, Finished, Host, Invocation, LocalHost, Process, RunError,
    SshDestination, SshHost, SshSettings,
};
pub use probes::{PluginRunner, ProbeSettings, deployed_at, resource_macros, user_macro_number};
pub use text::acts_on_terminal;
pub use world::ShakedownWorld;
