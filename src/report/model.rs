//! What reporters are told: scenarios as they finish and the run's totals at the end. Built
//! once from cucumber's events so no reporter parses or re-runs anything.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use shakedown_steps::StepFailure;

use crate::error::Error;

/// One event of the run, in the order things happen.
#[derive(Debug)]
pub enum RunEvent {
    Started(RunInfo),
    /// A scenario (or a retry of it) began: `features/a.feature:12` and its name.
    ScenarioStarted {
        location: String,
        name: String,
    },
    ScenarioFinished(ScenarioReport),
    Finished(RunSummary),
}

/// What the run is, for the reports' headers and JUnit's `properties`.
impl RunEvent {
    /// The same event with `rewrite` (the redactor) applied to every text a reporter may show,
    /// scenario names and step lines included: one pass before the reporters, so no reporter
    /// shows a text that skipped it, and each escapes for its format only what was masked.
    pub fn map_text(&self, rewrite: &dyn Fn(&str) -> String) -> Self {
        let all = |texts: &[String]| texts.iter().map(|text| rewrite(text)).collect::<Vec<_>>();
        match self {
            Self::Started(info) => Self::Started(RunInfo {
                environment: rewrite(&info.environment),
                base_url: rewrite(&info.base_url),
                hosts: all(&info.hosts),
                tags: info.tags.as_deref().map(rewrite),
                revision: info.revision.as_deref().map(rewrite),
                user: info.user.as_deref().map(rewrite),
                machine: info.machine.as_deref().map(rewrite),
                ..info.clone()
            }),
            Self::ScenarioStarted { location, name } => Self::ScenarioStarted {
                location: rewrite(location),
                name: rewrite(name),
            },
            Self::ScenarioFinished(report) => Self::ScenarioFinished(ScenarioReport {
                feature: rewrite(&report.feature),
                rule: report.rule.as_deref().map(rewrite),
                keyword: rewrite(&report.keyword),
                name: rewrite(&report.name),
                tags: all(&report.tags),
                host: report.host.as_deref().map(rewrite),
                steps: report.steps.iter().map(|step| step.map_text(rewrite)).collect(),
                notes: all(&report.notes),
                earlier_attempts: report
                    .earlier_attempts
                    .iter()
                    .map(|attempt| Attempt {
                        steps: attempt.steps.iter().map(|step| step.map_text(rewrite)).collect(),
                        duration: attempt.duration,
                    })
                    .collect(),
                ..report.clone()
            }),
            Self::Finished(summary) => Self::Finished(summary.clone()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct RunInfo {
    pub environment: String,
    pub base_url: String,
    /// The servers probe scenarios ran on; empty when probes looked at this machine.
    pub hosts: Vec<String>,
    /// How many scenarios were selected.
    pub scenarios: usize,
    /// The `--tags` expression as it was written, if any.
    pub tags: Option<String>,
    /// The git commit of the features, when they live in a git work tree.
    pub revision: Option<String>,
    /// Who ran it (the login name).
    pub user: Option<String>,
    /// The machine shakedown ran on (its host name), which is not the servers it checked.
    pub machine: Option<String>,
    pub started: SystemTime,
}

/// Every reporter sees every event; the error of a reporter that cannot write is kept and
/// reported after the run.
pub trait Reporter {
    fn on_event(&mut self, event: &RunEvent) -> Result<(), Error>;
}

#[derive(Debug, Clone)]
pub struct ScenarioReport {
    pub feature: String,
    /// Where the feature's `Feature:` line is.
    pub feature_line: usize,
    pub path: PathBuf,
    pub rule: Option<String>,
    /// `Scenario`, `Scenario Outline`, or the word of the feature's language.
    pub keyword: String,
    pub name: String,
    pub line: usize,
    /// The scenario's own tags, without `@`, and the ones it inherits from its feature and rule.
    pub tags: Vec<String>,
    /// The server this copy of the scenario ran on (`web1`), when the environment has hosts.
    pub host: Option<String>,
    pub steps: Vec<StepReport>,
    /// What passing steps had to say (e.g. how many pages a crawl checked).
    pub notes: Vec<String>,
    pub duration: Duration,
    /// Failed attempts before the last one (`@retry(N)`, `--retries N`), oldest first: a
    /// scenario that passed only on a retry is flaky, not clean.
    pub earlier_attempts: Vec<Attempt>,
}

/// One failed run of a scenario that was tried again.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub steps: Vec<StepReport>,
    pub duration: Duration,
}

impl Attempt {
    /// The step that failed the attempt and why.
    pub fn failure(&self) -> Option<(&StepReport, &StepFailure)> {
        first_failure(&self.steps)
    }
}

/// How a scenario ended, as every reporter counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// Passed, but only after failing at least once.
    Flaky,
    Failed,
    /// Not started: the run was stopped (a signal, `--fail-fast`) before it.
    NotRun,
}

impl ScenarioReport {
    pub fn passed(&self) -> bool {
        self.failure().is_none()
    }

    pub fn verdict(&self) -> Verdict {
        if !self.ran() {
            return Verdict::NotRun;
        }
        match (self.passed(), self.earlier_attempts.is_empty()) {
            (false, _) => Verdict::Failed,
            (true, true) => Verdict::Passed,
            (true, false) => Verdict::Flaky,
        }
    }

    /// False for a scenario a signal kept from starting: every step is listed as not run.
    pub fn ran(&self) -> bool {
        self.steps.iter().any(|step| step.status != StepStatus::NotRun)
    }

    /// The step that failed the scenario and why.
    pub fn failure(&self) -> Option<(&StepReport, &StepFailure)> {
        first_failure(&self.steps)
    }

    /// `features/a.feature:12`
    pub fn location(&self) -> String {
        format!("{}:{}", self.path.display(), self.line)
    }

    /// Where the scenario sits, for readers that group by a class or suite name (JUnit's
    /// `classname`): `Feature name › Rule name`, or the feature's name. The scenario's own name
    /// stays its name.
    pub fn container_name(&self) -> String {
        match &self.rule {
            Some(rule) => format!("{} › {rule}", self.feature),
            None => self.feature.clone(),
        }
    }

    /// The name as people read it on a terminal or a page: with its rule, when it has one.
    pub fn full_name(&self) -> String {
        match &self.rule {
            Some(rule) => format!("{rule}: {}", self.name),
            None => self.name.clone(),
        }
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|own| own == tag)
    }
}

fn first_failure(steps: &[StepReport]) -> Option<(&StepReport, &StepFailure)> {
    steps.iter().find_map(|step| match &step.status {
        StepStatus::Failed(failure) => Some((step, failure)),
        _ => None,
    })
}

#[derive(Debug, Clone)]
pub struct StepReport {
    pub keyword: String,
    pub text: String,
    pub line: usize,
    pub status: StepStatus,
    /// How long the step ran; zero for a step that did not run.
    pub duration: Duration,
    /// The step's doc string or data table, as the feature wrote it.
    pub argument: Option<StepArgument>,
}

impl StepReport {
    fn map_text(&self, rewrite: &dyn Fn(&str) -> String) -> Self {
        Self {
            keyword: rewrite(&self.keyword),
            text: rewrite(&self.text),
            status: match &self.status {
                StepStatus::Failed(failure) => StepStatus::Failed(failure.clone().map_text(rewrite)),
                other => other.clone(),
            },
            argument: self.argument.as_ref().map(|argument| match argument {
                StepArgument::DocString { content, media_type } => StepArgument::DocString {
                    content: rewrite(content),
                    media_type: media_type.as_deref().map(rewrite),
                },
                StepArgument::Table(rows) => StepArgument::Table(
                    rows.iter()
                        .map(|row| row.iter().map(|cell| rewrite(cell)).collect())
                        .collect(),
                ),
            }),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepArgument {
    /// The content as the Gherkin reference gives it, and the media type written after its
    /// opening fence (`json` in `"""json`), if any.
    DocString {
        content: String,
        media_type: Option<String>,
    },
    Table(Vec<Vec<String>>),
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
    /// Scenarios that passed at their first attempt.
    pub passed: usize,
    /// Scenarios that passed only on a retry.
    pub flaky: usize,
    pub failed: usize,
    /// Failed scenarios that failed for a problem of the tool or its configuration (a missing
    /// driver, an unknown role) rather than of the site; Nagios reads these as UNKNOWN.
    pub tool_problems: usize,
    /// Failed scenarios tagged `@warning` (tool problems aside): Nagios reads them as WARNING,
    /// not CRITICAL.
    pub warnings: usize,
    /// Scenarios not started because `--fail-fast` or a signal stopped the run.
    pub not_run: usize,
    /// The signal that stopped the run (`SIGINT`, `SIGTERM`), if one did.
    pub stopped_by: Option<&'static str>,
    pub duration: Duration,
    /// Each server's own results, for a run on several: which hosts failed what. Empty when no
    /// scenario ran on a host (and in a host's own results).
    pub by_host: BTreeMap<String, RunSummary>,
}

impl RunSummary {
    /// Why scenarios were left unrun: the stop's name, else the only other cause there is.
    pub fn stop_cause(&self) -> &'static str {
        self.stopped_by.unwrap_or("--fail-fast")
    }

    /// Every scenario that finished, whatever its verdict.
    pub fn finished(&self) -> usize {
        self.passed + self.flaky + self.failed
    }

    pub fn total(&self) -> usize {
        self.finished() + self.not_run
    }

    /// Counts one finished scenario, for the run and for its host.
    pub fn count(&mut self, scenario: &ScenarioReport) {
        if let Some(host) = &scenario.host {
            self.by_host.entry(host.clone()).or_default().count_one(scenario);
        }
        self.count_one(scenario);
    }

    fn count_one(&mut self, scenario: &ScenarioReport) {
        match scenario.verdict() {
            Verdict::Passed => self.passed += 1,
            Verdict::Flaky => self.flaky += 1,
            Verdict::Failed => {
                self.failed += 1;
                if scenario
                    .failure()
                    .is_some_and(|(_, failure)| is_tool_problem(failure))
                {
                    self.tool_problems += 1;
                } else if scenario.has_tag(WARNING_TAG) {
                    self.warnings += 1;
                }
            }
            Verdict::NotRun => self.not_run += 1,
        }
    }
}

/// The tag that makes a scenario's failure a warning for Nagios.
pub const WARNING_TAG: &str = "warning";

/// A failure that says nothing about the site: the tool could not run the check.
pub fn is_tool_problem(failure: &StepFailure) -> bool {
    failure.kind() == shakedown_steps::FailureKind::Configuration
}
