//! What reporters are told: scenarios as they finish and the run's totals at the end. Built
//! once from cucumber's events so no reporter parses or re-runs anything.

use std::path::PathBuf;
use std::time::Duration;

use shakedown_steps::StepFailure;

use crate::error::Error;

/// One event of the run, in the order things happen.
#[derive(Debug)]
pub enum RunEvent {
    Started {
        environment: String,
        base_url: String,
        scenarios: usize,
    },
    ScenarioFinished(ScenarioReport),
    Finished(RunSummary),
}

/// Every reporter sees every event; the error of a reporter that cannot write is kept and
/// reported after the run.
pub trait Reporter {
    fn on_event(&mut self, event: &RunEvent) -> Result<(), Error>;
}

#[derive(Debug, Clone)]
pub struct ScenarioReport {
    pub feature: String,
    pub path: PathBuf,
    pub rule: Option<String>,
    /// `Scenario`, `Scenario Outline`, or the word of the feature's language.
    pub keyword: String,
    pub name: String,
    pub line: usize,
    /// The scenario's own tags, without `@`, and the ones it inherits from its feature and rule.
    pub tags: Vec<String>,
    pub steps: Vec<StepReport>,
    /// What passing steps had to say (e.g. how many pages a crawl checked).
    pub notes: Vec<String>,
    pub duration: Duration,
}

impl ScenarioReport {
    pub fn passed(&self) -> bool {
        self.failure().is_none()
    }

    /// False for a scenario a signal kept from starting: every step is listed as not run.
    pub fn ran(&self) -> bool {
        self.steps.iter().any(|step| step.status != StepStatus::NotRun)
    }

    /// The step that failed the scenario and why.
    pub fn failure(&self) -> Option<(&StepReport, &StepFailure)> {
        self.steps.iter().find_map(|step| match &step.status {
            StepStatus::Failed(failure) => Some((step, failure)),
            _ => None,
        })
    }

    /// `features/a.feature:12`
    pub fn location(&self) -> String {
        format!("{}:{}", self.path.display(), self.line)
    }
}

#[derive(Debug, Clone)]
pub struct StepReport {
    pub keyword: String,
    pub text: String,
    pub line: usize,
    pub status: StepStatus,
    /// How long the step ran; zero for a step that did not run.
    pub duration: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepStatus {
    Passed,
    /// The failure as the step raised it (redacted), for every reporter to render its way.
    Failed(StepFailure),
    /// Not run because an earlier step of the scenario failed.
    NotRun,
}

#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub passed: usize,
    pub failed: usize,
    /// Scenarios not started because `--fail-fast` or a signal stopped the run.
    pub not_run: usize,
    /// The signal that stopped the run (`SIGINT`, `SIGTERM`), if one did.
    pub stopped_by: Option<&'static str>,
    pub duration: Duration,
}
