//! The step library: the World every scenario runs in and one module per step domain, so the
//! runner (and its CLI) can stay ignorant of what a step does.

mod access;
pub mod browser;
pub mod catalogue;
mod context;
mod failure;
mod http;
pub mod redact;
pub mod session;
mod text;
mod world;

pub use context::{RunContext, StepSettings, install_run_context};
pub use failure::StepFailure;
pub use world::ShakedownWorld;
