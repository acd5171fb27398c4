//! Reports of a run: one stream of events, fanned out to every reporter.

mod collected;
mod cucumber_json;
mod html;
mod junit;
mod model;
mod nagios;
mod progress;
mod terminal;

pub use collected::{FileReport, FileReports};
pub use cucumber_json::CucumberJsonReport;
pub use html::HtmlReport;
pub use junit::JunitReport;
pub use model::{
    Attempt, Reporter, RunEvent, RunInfo, RunSummary, ScenarioReport, StepArgument, StepReport, StepStatus,
};
pub use nagios::{NagiosReporter, NagiosStatus, unknown_line as nagios_unknown_line};
pub use progress::ProgressReporter;
pub use terminal::TerminalReporter;

#[cfg(test)]
mod snapshots;
