//! Reports of a run: one stream of events, fanned out to every reporter.

mod junit;
mod model;
mod terminal;

pub use junit::JunitReporter;
pub use model::{Reporter, RunEvent, RunSummary, ScenarioReport, StepReport, StepStatus};
pub use terminal::TerminalReporter;
