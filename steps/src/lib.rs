//! The step library: the World every scenario runs in and one module per step domain, so the
//! runner (and its CLI) can stay ignorant of what a step does.

pub mod catalogue;
mod context;
mod failure;
mod http;
mod probes;
mod session;
mod text;
mod tls;
mod world;
mod wsgi;

pub use context::{RunContext, StepSettings, install_run_context};
pub use failure::StepFailure;
pub use probes::{FileFacts, Finished, Host, Invocation, LocalHost, ProbeSettings, RunError};
pub use world::ShakedownWorld;
