//! cucumber's events in, our run events out: scenarios run concurrently, so their events
//! interleave; each is gathered under its id until it finishes, then told whole (retries and
//! what its World left behind included) to every reporter, with the run's secrets masked.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use cucumber::gherkin::{Feature, Rule, Scenario};
use cucumber::{Event, cli, event, parser, writer};
use shakedown_steps::redact::redact;
use shakedown_steps::{ShakedownWorld, StepFailure};
use std::collections::HashMap;

use super::hooks::LeftBehind;
use super::stop::{self, Reached, Stop};
use crate::error::Error;
use crate::plan::{Fleet, ScenarioId};
use crate::report::{
    Attempt, Reporter, RunEvent, RunSummary, ScenarioReport, StepArgument, StepReport, StepStatus,
};
use shakedown_steps::locked::lock;

/// A scenario in flight: when it started and the steps it has finished.
struct InFlight {
    /// When the runner started it (the event's own time: events can reach the bridge late).
    started: SystemTime,
    /// When the step now running started.
    step_started: SystemTime,
    steps: Vec<StepReport>,
}

/// cucumber's writer that turns its events into run events.
pub struct EventBridge {
    reporters: Vec<Box<dyn Reporter>>,
    in_flight: HashMap<ScenarioId, InFlight>,
    /// Failed attempts of scenarios that cucumber runs again, until their last attempt ends.
    retried: HashMap<ScenarioId, Vec<Attempt>>,
    left_behind: LeftBehind,
    /// Whose host each scenario copy ran on, for its report.
    fleet: Arc<Fleet>,
    summary: RunSummary,
    started: Instant,
    errors: Vec<Error>,
}

impl EventBridge {
    pub fn new(reporters: Vec<Box<dyn Reporter>>, left_behind: LeftBehind, fleet: Arc<Fleet>) -> Self {
        Self {
            reporters,
            in_flight: HashMap::new(),
            retried: HashMap::new(),
            left_behind,
            fleet,
            summary: RunSummary::default(),
            started: Instant::now(),
            errors: Vec::new(),
        }
    }

    /// Tells every reporter, with the run's secrets masked in every text of the event.
    pub fn emit(&mut self, event: &RunEvent) {
        let event = event.map_text(&|text| redact(text).into_owned());
        for reporter in &mut self.reporters {
            if let Err(error) = reporter.on_event(&event) {
                self.errors.push(error);
            }
        }
    }

    /// Lists every selected scenario that never reached the reporters (a stop or `--fail-fast`
    /// ended the run first) as not run, and notes the stop. At the time limit a scenario that
    /// was running is reported with the steps it finished and the one it was in as stopped:
    /// a "could not tell", as its check never ended.
    pub fn report_not_run(&mut self, selected: &[Feature], reached: &Reached, stopped: Option<Stop>) {
        let now = SystemTime::now();
        for (feature, rule, scenario) in every_scenario(selected) {
            let id = ScenarioId::of(feature, scenario);
            if reached.contains(&id) {
                continue;
            }
            let cut = match stopped {
                Some(Stop::TimeLimit) => self.in_flight.remove(&id),
                _ => None,
            };
            let report = match cut {
                Some(in_flight) => {
                    let mut report = self.scenario_report(feature, rule, scenario, in_flight, now);
                    if let Some(step) = report
                        .steps
                        .iter_mut()
                        .find(|step| step.status == StepStatus::NotRun)
                    {
                        step.status = StepStatus::Failed(StepFailure::configuration(format!(
                            "stopped: the run reached its {} while this step ran",
                            stop::TIME_LIMIT
                        )));
                    }
                    self.summary.count(&report);
                    report
                }
                None => {
                    let unstarted = InFlight {
                        started: now,
                        step_started: now,
                        steps: Vec::new(),
                    };
                    self.scenario_report(feature, rule, scenario, unstarted, now)
                }
            };
            self.emit(&RunEvent::ScenarioFinished(report));
        }
        self.summary.stopped_by = stopped.map(Stop::name);
    }

    pub fn finish(mut self, selected: usize) -> Result<RunSummary, Error> {
        self.summary.duration = self.started.elapsed();
        self.summary.not_run = selected.saturating_sub(self.summary.finished());
        let summary = self.summary.clone();
        self.emit(&RunEvent::Finished(summary.clone()));
        match self.errors.into_iter().next() {
            Some(error) => Err(error),
            None => Ok(summary),
        }
    }

    fn on_scenario(
        &mut self,
        feature: &Feature,
        rule: Option<&Rule>,
        scenario: &Scenario,
        event: event::RetryableScenario<ShakedownWorld>,
        at: SystemTime,
    ) {
        let event::RetryableScenario { event, retries } = event;
        let id = ScenarioId::of(feature, scenario);
        match event {
            event::Scenario::Started => {
                self.emit(&RunEvent::ScenarioStarted {
                    location: format!("{}:{}", id.path.display(), id.line),
                    name: scenario.name.clone(),
                });
                self.in_flight.insert(
                    id,
                    InFlight {
                        started: at,
                        step_started: at,
                        steps: Vec::new(),
                    },
                );
            }
            event::Scenario::Step(step, step_event) | event::Scenario::Background(step, step_event) => {
                let Some(in_flight) = self.in_flight.get_mut(&id) else {
                    return;
                };
                let status = match step_event {
                    event::Step::Started => {
                        in_flight.step_started = at;
                        return;
                    }
                    event::Step::Passed(..) => StepStatus::Passed,
                    event::Step::Skipped => StepStatus::Failed(StepFailure::configuration(
                        "no step of the library matches this line",
                    )),
                    event::Step::Failed(_, _, _, error) => StepStatus::Failed(step_failure(&error)),
                };
                in_flight.steps.push(StepReport {
                    keyword: step.keyword.clone(),
                    text: step.value.clone(),
                    line: step.position.line,
                    status,
                    duration: at
                        .duration_since(in_flight.step_started)
                        .unwrap_or(Duration::ZERO),
                    argument: step_argument(&step),
                });
            }
            event::Scenario::Hook(_, event::Hook::Failed(_, info)) => {
                if let Some(in_flight) = self.in_flight.get_mut(&id) {
                    in_flight.steps.push(StepReport {
                        keyword: String::new(),
                        text: "(scenario set-up)".into(),
                        line: scenario.position.line,
                        status: StepStatus::Failed(failure_of_panic(&info)),
                        duration: Duration::ZERO,
                        argument: None,
                    });
                }
            }
            event::Scenario::Finished => {
                let Some(in_flight) = self.in_flight.remove(&id) else {
                    return;
                };
                let mut report = self.scenario_report(feature, rule, scenario, in_flight, at);
                let afterwards = lock(&self.left_behind).remove(&id).unwrap_or_default();
                if let Some(failure) = afterwards.late_failure {
                    report.steps.push(StepReport {
                        keyword: String::new(),
                        text: "(after the scenario's last step)".into(),
                        line: scenario.position.line,
                        status: StepStatus::Failed(failure),
                        duration: Duration::ZERO,
                        argument: None,
                    });
                }
                // cucumber runs a failed scenario again while it has retries left: this attempt
                // is kept for the last one's report, which alone is counted and reported.
                if !report.passed() && retries.is_some_and(|retries| retries.left > 0) {
                    self.retried.entry(id).or_default().push(Attempt {
                        steps: report.steps,
                        duration: report.duration,
                    });
                    return;
                }
                report.earlier_attempts = self.retried.remove(&id).unwrap_or_default();
                report.notes = afterwards.notes;
                self.summary.count(&report);
                self.emit(&RunEvent::ScenarioFinished(report));
            }
            event::Scenario::Hook(..) | event::Scenario::Log(_) => {}
        }
    }
}

impl EventBridge {
    /// The finished scenario, with the steps a failure kept from running listed as not run.
    fn scenario_report(
        &self,
        feature: &Feature,
        rule: Option<&Rule>,
        scenario: &Scenario,
        in_flight: InFlight,
        finished: SystemTime,
    ) -> ScenarioReport {
        let mut steps = in_flight.steps;
        let reported = steps
            .iter()
            .filter(|step| step.line != scenario.position.line)
            .count();
        // A scenario without steps runs no Background (as the Gherkin reference compiles it).
        let backgrounds = feature
            .background
            .iter()
            .chain(rule.and_then(|rule| rule.background.as_ref()))
            .filter(|_| !scenario.steps.is_empty())
            .flat_map(|background| &background.steps);
        for step in backgrounds.chain(&scenario.steps).skip(reported) {
            steps.push(StepReport {
                keyword: step.keyword.clone(),
                text: step.value.clone(),
                line: step.position.line,
                status: StepStatus::NotRun,
                duration: Duration::ZERO,
                argument: step_argument(step),
            });
        }
        let tags = feature
            .tags
            .iter()
            .chain(rule.iter().flat_map(|rule| &rule.tags))
            .chain(&scenario.tags)
            .cloned()
            .collect();
        let id = ScenarioId::of(feature, scenario);
        let host = self.fleet.assigned(&id).map(|host| host.name.clone());
        ScenarioReport {
            feature: feature.name.clone(),
            feature_line: feature.position.line,
            path: id.path,
            rule: rule.map(|rule| rule.name.clone()),
            keyword: scenario.keyword.clone(),
            name: scenario.name.clone(),
            line: scenario.position.line,
            tags,
            host,
            steps,
            notes: Vec::new(),
            earlier_attempts: Vec::new(),
            duration: finished
                .duration_since(in_flight.started)
                .unwrap_or(Duration::ZERO),
        }
    }
}

/// The step's doc string or table.
fn step_argument(step: &cucumber::gherkin::Step) -> Option<StepArgument> {
    match (&step.docstring, &step.table) {
        (Some(docstring), _) => Some(StepArgument::DocString {
            content: docstring.clone(),
            media_type: step.docstring_media_type.clone(),
        }),
        (None, Some(table)) => Some(StepArgument::Table(table.rows.clone())),
        (None, None) => None,
    }
}

fn step_failure(error: &event::StepError) -> StepFailure {
    match error {
        event::StepError::Panic(info) => failure_of_panic(info),
        other => StepFailure::configuration(other.to_string()),
    }
}

/// Steps raise their `StepFailure` as the panic's payload, so it arrives whole; any other
/// panic is a bug in a step, reported with its message.
fn failure_of_panic(info: &event::Info) -> StepFailure {
    if let Some(failure) = info.downcast_ref::<StepFailure>() {
        return failure.clone();
    }
    let message = info
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| info.downcast_ref::<&str>().map(|text| (*text).to_owned()))
        .unwrap_or_else(|| "no message".to_owned());
    StepFailure::new(format!("the step stopped on an internal error: {message}"))
}

impl cucumber::Writer<ShakedownWorld> for EventBridge {
    type Cli = cli::Empty;

    async fn handle_event(
        &mut self,
        event: parser::Result<Event<event::Cucumber<ShakedownWorld>>>,
        _: &cli::Empty,
    ) {
        let Ok(event) = event else { return };
        let at = event.at;
        let event::Cucumber::Feature(feature, feature_event) = event.into_inner() else {
            return;
        };
        match feature_event {
            event::Feature::Scenario(scenario, retryable) => {
                self.on_scenario(&feature, None, &scenario, retryable, at)
            }
            event::Feature::Rule(rule, event::Rule::Scenario(scenario, retryable)) => {
                self.on_scenario(&feature, Some(&rule), &scenario, retryable, at);
            }
            event::Feature::Started | event::Feature::Finished | event::Feature::Rule(..) => {}
        }
    }
}

/// Events are handled per scenario as they come, so their order across scenarios is free.
impl writer::Normalized for EventBridge {}

/// Every scenario of the features, with its rule when it has one.
fn every_scenario(features: &[Feature]) -> impl Iterator<Item = (&Feature, Option<&Rule>, &Scenario)> {
    features.iter().flat_map(|feature| {
        let plain = feature
            .scenarios
            .iter()
            .map(move |scenario| (feature, None, scenario));
        let ruled = feature.rules.iter().flat_map(move |rule| {
            rule.scenarios
                .iter()
                .map(move |scenario| (feature, Some(rule), scenario))
        });
        plain.chain(ruled)
    })
}
