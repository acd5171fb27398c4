//! Runs a checked plan through cucumber: the plan's features go in as they are (already parsed
//! and filtered), the step library runs them concurrently, and cucumber's events come out as
//! our own run events for the reporters.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use cucumber::event::{self, Source};
use cucumber::gherkin::{Feature, Rule, Scenario};
use cucumber::{Cucumber, Event, cli, parser, runner, writer};
use futures::stream;
use shakedown_steps::redact::redact;
use shakedown_steps::{Deadline, Limit, RunContext, ShakedownWorld, StepFailure, install_run_context};

use crate::audit::HostResults;
use crate::error::Error;
use crate::fleet::{Fleet, HostLease};
use crate::plan::RunPlan;
use crate::report::{
    Attempt, Reporter, RunEvent, RunInfo, RunSummary, ScenarioReport, StepArgument, StepReport, StepStatus,
};
use crate::signals::{self, Gate, Reached, Shared, Signals};

/// Runs every selected scenario and tells every reporter; returns the totals. SIGINT or SIGTERM
/// stops the run (see `signals`): what ran is reported, the rest as not run, and the error
/// carries the signal's exit code.
pub async fn execute(plan: RunPlan, mut reporters: Vec<Box<dyn Reporter>>) -> Result<RunSummary, Error> {
    let mut signals = Signals::listen()?;
    let scenario_timeout = plan.steps.scenario_timeout;
    let context = RunContext::new(plan.steps).map_err(|error| Error::Io {
        what: "cannot set up the HTTP client".into(),
        source: std::io::Error::other(error),
    })?;
    // A signal while a password command runs stops the run before any scenario: the command
    // dies with its group, and the reports still say that nothing ran.
    let stopped_early = tokio::select! {
        () = context.read_passwords(&plan.roles_in_use) => None,
        stop = signals.next() => Some(stop),
    };
    if stopped_early.is_some() {
        shakedown_steps::children::kill_all();
    }
    let context = Arc::new(context);
    install_run_context(Arc::clone(&context));

    let scenarios = plan.suite.scenario_count();
    // Kept to list the scenarios a signal kept from running; cucumber consumes the plan's copy.
    let selected = plan.suite.features.clone();
    let reached = Reached::default();
    reporters.push(Box::new(reached.clone()));
    let syslog = plan.audit_syslog.then(HostResults::default);
    if let Some(results) = &syslog {
        reporters.push(Box::new(results.clone()));
    }
    let notes = Notes::default();
    let mut bridge = EventBridge::new(reporters, Arc::clone(&notes));
    bridge.emit(&RunEvent::Started(RunInfo {
        environment: context.environment().to_owned(),
        base_url: context.base_url().to_string(),
        hosts: plan.fleet.names(),
        scenarios,
        tags: plan.tags.clone(),
        revision: features_revision(&plan.suite).await,
        user: login_name(),
        started: SystemTime::now(),
    }));
    let fleet = Arc::new(plan.fleet);
    let (writer, bridge) = Shared::new(bridge);
    let stopped = match stopped_early {
        Some(stop) => Some(stop),
        None => {
            let assigning = Arc::clone(&fleet);
            let turns = Turns::default();
            let first_attempts = FirstAttempts::default();
            let ending_turns = Arc::clone(&turns);
            let gate = Arc::new(Gate::default());
            let entering = Arc::clone(&gate);
            let leaving = Arc::clone(&gate);
            let mut runner = runner::Basic::default()
                .max_concurrent_scenarios(plan.concurrency)
                .retries(plan.retries)
                .steps(shakedown_steps::catalogue::collection())
                .before(move |feature, rule, scenario, world| {
                    // A scenario copied for a server probes that server, and an `@on:GROUP` one talks
                    // to its own web server.
                    if let Some(assigned) = assigning.assigned(scenario) {
                        world.assign_host(Arc::clone(&assigned.host), assigned.base_url.clone());
                    }
                    // A scenario that checks the status expects a server error; the World must know
                    // before its first request whether one is expected.
                    let backgrounds = [
                        feature.background.as_ref(),
                        rule.and_then(|rule| rule.background.as_ref()),
                    ];
                    let steps = backgrounds
                        .into_iter()
                        .flatten()
                        .flat_map(|background| &background.steps)
                        .chain(&scenario.steps);
                    world.look_ahead(steps.map(|step| step.value.as_str()));
                    // After a signal, no scenario starts: it waits here until the run is cut. A scenario
                    // of a server then waits for that server's turn (`limits.host_concurrency`), which
                    // is queueing, bounded by the scenario's limit and not charged to its first step.
                    // One entry per scenario (its retries share it), so this grows with the suite only.
                    let first_attempt = *lock(&first_attempts)
                        .entry(note_key(feature, scenario))
                        .or_insert_with(tokio::time::Instant::now);
                    world.count_time_from(first_attempt);
                    let gate = Arc::clone(&entering);
                    let fleet = Arc::clone(&assigning);
                    let turns = Arc::clone(&turns);
                    let key = note_key(feature, scenario);
                    Box::pin(async move {
                        gate.enter().await;
                        if let Some(assigned) = fleet.assigned(scenario) {
                            let queue = Deadline::after(scenario_timeout, Limit::Scenario);
                            match fleet.turn(assigned, queue).await {
                                Ok(lease) => lock(&turns).entry(key).or_default().push(lease),
                                Err(failure) => failure.raise(),
                            }
                        }
                    })
                })
                .after(move |feature, _, scenario, _, world| {
                    // The World is gone by the time the scenario's last event arrives: its notes are
                    // kept here for the bridge to attach, and its browser session goes back to the pool.
                    let notes = Arc::clone(&notes);
                    let gate = Arc::clone(&leaving);
                    // The scenario's share of its server's turn ends with it.
                    {
                        let mut turns = lock(&ending_turns);
                        let key = note_key(feature, scenario);
                        if let Some(shares) = turns.get_mut(&key) {
                            shares.pop();
                            if shares.is_empty() {
                                turns.remove(&key);
                            }
                        }
                    }
                    Box::pin(async move {
                        if let Some(world) = world {
                            let taken = world.take_notes();
                            let late_failure = world.release_browser().await.err();
                            if !taken.is_empty() || late_failure.is_some() {
                                let afterwards = Afterwards {
                                    notes: taken,
                                    late_failure,
                                };
                                lock(&notes).insert(note_key(feature, scenario), afterwards);
                            }
                        }
                        gate.leave();
                    })
                });
            if plan.fail_fast {
                runner = runner.fail_fast();
            }
            let run =
                Cucumber::<_, _, _, _, _, cli::Empty>::custom(Preparsed(plan.suite.features), runner, writer)
                    .with_default_cli()
                    .run(());
            signals::until_signal(run, &mut signals, &gate).await
        }
    };
    if stopped.is_some() {
        // Whatever the cut left running dies first, so quitting the browsers below cannot hang
        // on a page that never loads; their profile folders go with the sessions.
        shakedown_steps::children::kill_all();
    }
    if tokio::time::timeout(SHUTDOWN_LIMIT, context.shutdown())
        .await
        .is_err()
    {
        shakedown_steps::children::kill_all();
    }
    // A run that ended (not one cut by a signal) is told to the servers' system logs while
    // their connections are still open.
    if let (None, Some(results)) = (&stopped, &syslog) {
        crate::audit::log_on_servers(&fleet, results, context.environment()).await;
    }
    if tokio::time::timeout(SHUTDOWN_LIMIT, fleet.close()).await.is_err() {
        shakedown_steps::children::kill_all();
    }
    let Some(mut bridge) = bridge.take().await else {
        return Err(Error::Io {
            what: "the run's reporters were lost".into(),
            source: std::io::Error::other("the event writer was taken twice"),
        });
    };
    let Some(stop) = stopped else {
        return bridge.finish(scenarios);
    };
    let now = SystemTime::now();
    for (feature, rule, scenario) in every_scenario(&selected) {
        let path = feature.path.clone().unwrap_or_else(|| PathBuf::from("<unknown>"));
        if !reached.contains(&path, scenario.position.line, &scenario.name) {
            let unstarted = InFlight {
                started: now,
                step_started: now,
                steps: Vec::new(),
            };
            bridge.emit(&RunEvent::ScenarioFinished(scenario_report(
                feature, rule, scenario, unstarted, now,
            )));
        }
    }
    bridge.summary.stopped_by = Some(stop.name());
    bridge.finish(scenarios)?;
    Err(Error::Interrupted {
        signal: stop.name(),
        code: stop.exit_code(),
    })
}

/// How long quitting the browsers and stopping the driver may take at the end of a run.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(3);

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

/// Hands cucumber the features the plan already parsed, expanded and filtered.
struct Preparsed(Vec<Feature>);

impl parser::Parser<()> for Preparsed {
    type Cli = cli::Empty;
    type Output = stream::Iter<std::vec::IntoIter<parser::Result<Feature>>>;

    fn parse(self, (): (), _: cli::Empty) -> Self::Output {
        stream::iter(self.0.into_iter().map(Ok).collect::<Vec<_>>())
    }
}

/// The server turns held by running scenarios, by scenario (a retry runs after its attempt
/// ended, so a key has one share at a time).
type Turns = Arc<Mutex<HashMap<(Option<PathBuf>, usize, String), Vec<HostLease>>>>;

/// When each scenario's first attempt started: its retries run in the time it has left.
type FirstAttempts = Arc<Mutex<HashMap<(Option<PathBuf>, usize, String), tokio::time::Instant>>>;

/// What finished scenarios left for the bridge to report, by scenario.
type Notes = Arc<Mutex<HashMap<(Option<PathBuf>, usize, String), Afterwards>>>;

/// What a scenario's World leaves when it is gone: its notes, and a failure found only as
/// its browser session was handed back (a read-only refusal after its last browser step).
#[derive(Default)]
struct Afterwards {
    notes: Vec<String>,
    late_failure: Option<StepFailure>,
}

fn note_key(feature: &Feature, scenario: &Scenario) -> (Option<PathBuf>, usize, String) {
    (
        feature.path.clone(),
        scenario.position.line,
        scenario.name.clone(),
    )
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The git commit the features were read from, for the reports, when they live in a git work
/// tree and git answers within a second; `None` otherwise, never an error. Asked of git once per
/// folder: the audit log and the run's reports both carry it, and each `git` is milliseconds
/// before the first request.
pub(crate) async fn features_revision(suite: &crate::suite::Suite) -> Option<String> {
    static KNOWN: Mutex<BTreeMap<PathBuf, Option<String>>> = Mutex::new(BTreeMap::new());
    let folder = suite
        .features
        .iter()
        .find_map(|feature| feature.path.as_deref()?.parent().map(PathBuf::from))?;
    let folder = if folder.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        folder
    };
    if let Some(known) = lock(&KNOWN).get(&folder) {
        return known.clone();
    }
    let revision = if in_a_git_work_tree(&folder) {
        git_revision(&folder).await
    } else {
        None
    };
    lock(&KNOWN).insert(folder, revision.clone());
    revision
}

/// Whether git could know the folder: a `.git` in it or above, or a repository named by the
/// environment. Outside one, nothing is spawned (and git would only say "not a git repository").
fn in_a_git_work_tree(folder: &Path) -> bool {
    if std::env::var_os("GIT_DIR").is_some() {
        return true;
    }
    std::path::absolute(folder).map_or(true, |folder| {
        folder.ancestors().any(|ancestor| ancestor.join(".git").exists())
    })
}

async fn git_revision(folder: &Path) -> Option<String> {
    let git = tokio::process::Command::new("git")
        .arg("-C")
        .arg(folder)
        .args(["rev-parse", "--short=12", "HEAD"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(1), git)
        .await
        .ok()?
        .ok()?;
    let revision = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !revision.is_empty()).then_some(revision)
}

/// Who runs the suite, as the system knows them.
pub(crate) fn login_name() -> Option<String> {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|user| user.name)
}

/// A scenario in flight: when it started and the steps it has finished.
struct InFlight {
    /// When the runner started it (the event's own time: events can reach the bridge late).
    started: SystemTime,
    /// When the step now running started.
    step_started: SystemTime,
    steps: Vec<StepReport>,
}

/// cucumber's writer that turns its events into run events. Scenarios run concurrently, so
/// their events interleave; each is gathered under its own key until it finishes.
struct EventBridge {
    reporters: Vec<Box<dyn Reporter>>,
    in_flight: HashMap<Source<Scenario>, InFlight>,
    /// Failed attempts of scenarios that cucumber runs again, until their last attempt ends.
    retried: HashMap<Source<Scenario>, Vec<Attempt>>,
    notes: Notes,
    summary: RunSummary,
    started: Instant,
    errors: Vec<Error>,
}

impl EventBridge {
    fn new(reporters: Vec<Box<dyn Reporter>>, notes: Notes) -> Self {
        Self {
            reporters,
            in_flight: HashMap::new(),
            retried: HashMap::new(),
            notes,
            summary: RunSummary::default(),
            started: Instant::now(),
            errors: Vec::new(),
        }
    }

    /// Tells every reporter, with the run's secrets masked in every text of the event.
    fn emit(&mut self, event: &RunEvent) {
        let event = event.map_text(&|text| redact(text).into_owned());
        for reporter in &mut self.reporters {
            if let Err(error) = reporter.on_event(&event) {
                self.errors.push(error);
            }
        }
    }

    fn finish(mut self, selected: usize) -> Result<RunSummary, Error> {
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
        scenario: &Source<Scenario>,
        event: event::RetryableScenario<ShakedownWorld>,
        at: SystemTime,
    ) {
        let event::RetryableScenario { event, retries } = event;
        match event {
            event::Scenario::Started => {
                self.emit(&RunEvent::ScenarioStarted {
                    location: format!(
                        "{}:{}",
                        feature
                            .path
                            .as_deref()
                            .unwrap_or(Path::new(UNKNOWN_PATH))
                            .display(),
                        scenario.position.line
                    ),
                    name: scenario.name.clone(),
                });
                self.in_flight.insert(
                    scenario.clone(),
                    InFlight {
                        started: at,
                        step_started: at,
                        steps: Vec::new(),
                    },
                );
            }
            event::Scenario::Step(step, step_event) | event::Scenario::Background(step, step_event) => {
                let Some(in_flight) = self.in_flight.get_mut(scenario) else {
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
                if let Some(in_flight) = self.in_flight.get_mut(scenario) {
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
                let Some(in_flight) = self.in_flight.remove(scenario) else {
                    return;
                };
                let mut report = scenario_report(feature, rule, scenario, in_flight, at);
                let afterwards = lock(&self.notes)
                    .remove(&note_key(feature, scenario))
                    .unwrap_or_default();
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
                    self.retried.entry(scenario.clone()).or_default().push(Attempt {
                        steps: report.steps,
                        duration: report.duration,
                    });
                    return;
                }
                report.earlier_attempts = self.retried.remove(scenario).unwrap_or_default();
                report.notes = afterwards.notes;
                self.summary.count(&report);
                self.emit(&RunEvent::ScenarioFinished(report));
            }
            event::Scenario::Hook(..) | event::Scenario::Log(_) => {}
        }
    }
}

/// Where a feature that was not read from a file says it is.
const UNKNOWN_PATH: &str = "<unknown>";

/// The finished scenario, with the steps a failure kept from running listed as not run.
fn scenario_report(
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
    let backgrounds = feature
        .background
        .iter()
        .chain(rule.and_then(|rule| rule.background.as_ref()))
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
    let mut tags = feature
        .tags
        .iter()
        .chain(rule.iter().flat_map(|rule| &rule.tags))
        .chain(&scenario.tags)
        .cloned()
        .collect();
    let host = Fleet::take_host(&mut tags);
    ScenarioReport {
        feature: feature.name.clone(),
        feature_line: feature.position.line,
        path: feature
            .path
            .clone()
            .unwrap_or_else(|| PathBuf::from(UNKNOWN_PATH)),
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

/// The step's doc string or table.
fn step_argument(step: &cucumber::gherkin::Step) -> Option<StepArgument> {
    match (&step.docstring, &step.table) {
        (Some(docstring), _) => Some(StepArgument::DocString(docstring.clone())),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_is_asked_for_the_revision_only_inside_a_work_tree() {
        let root = tempfile::tempdir().expect("a temporary folder");
        let features = root.path().join("suite").join("features");
        std::fs::create_dir_all(&features).expect("the features folder");
        // A `GIT_DIR` in the environment names a repository for any folder.
        if std::env::var_os("GIT_DIR").is_none() {
            assert!(!in_a_git_work_tree(&features), "{}", features.display());
        }
        std::fs::create_dir(root.path().join(".git")).expect("a `.git` folder");
        assert!(in_a_git_work_tree(&features), "{}", features.display());
    }
}
