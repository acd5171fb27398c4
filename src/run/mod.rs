//! Runs a checked plan through cucumber: the plan's features go in as they are (already parsed,
//! filtered and copied per host), the step library runs them concurrently, and cucumber's
//! events come out as our own run events for the reporters (`bridge`). `hooks` is what happens
//! around each scenario; `stop` is how SIGINT, SIGTERM and `--timeout` end a run cleanly.

mod bridge;
mod hooks;
mod stop;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cucumber::gherkin::Feature;
use cucumber::{Cucumber, cli, parser, runner};
use futures::stream;
use shakedown_steps::{RunContext, install_run_context};

use crate::error::Error;
use crate::plan::{Fleet, Provenance, RunPlan};
use crate::report::{Reporter, RunEvent, RunInfo, RunSummary};
use bridge::EventBridge;
use hooks::{Hooks, LeftBehind};
use stop::{Gate, Reached, Shared, Signals, Stop};

/// Runs every selected scenario and tells every reporter; returns the totals. SIGINT or SIGTERM
/// stops the run (see `stop`): what ran is reported, the rest as not run, and the error carries
/// the signal's exit code. At `deadline` (`--timeout`) the run is cut the same way, the cut
/// scenarios reported as stopped, and the totals say so (`stopped_by`). Scenarios that
/// `--fail-fast` kept from starting are reported as not run too. The fleet's connections stay
/// open for the caller to close.
pub async fn execute(
    plan: RunPlan,
    mut reporters: Vec<Box<dyn Reporter>>,
    deadline: Option<tokio::time::Instant>,
) -> Result<RunSummary, Error> {
    let mut signals = Signals::listen()?;
    let RunPlan {
        steps,
        suite,
        fleet,
        concurrency,
        retries,
        fail_fast,
        roles_in_use,
        tags,
        provenance,
        ..
    } = plan;
    let scenarios = suite.scenario_count();
    let schedule = Schedule {
        scenario_timeout: steps.scenario_timeout,
        features: suite.features,
        fleet,
        concurrency,
        retries,
        fail_fast,
    };
    let context = RunContext::new(steps).map_err(|error| Error::Io {
        what: "cannot set up the HTTP client".into(),
        source: std::io::Error::other(error),
    })?;
    // A signal while a password command runs stops the run before any scenario: the command
    // dies with its group, and the reports still say that nothing ran.
    let stopped_early = tokio::select! {
        () = context.read_passwords(&roles_in_use) => None,
        stop = signals.next() => Some(stop),
        () = stop::reached(deadline) => Some(Stop::TimeLimit),
    };
    let context = Arc::new(context);
    install_run_context(Arc::clone(&context));
    let reached = Reached::default();
    reporters.push(Box::new(reached.clone()));
    let left_behind = LeftBehind::default();
    let mut bridge = EventBridge::new(reporters, Arc::clone(&left_behind), Arc::clone(&schedule.fleet));
    bridge.emit(&run_started(
        &context,
        &schedule.fleet,
        scenarios,
        tags,
        provenance,
    ));
    // Kept to list the scenarios a stop or `--fail-fast` kept from running; cucumber consumes
    // the plan's copy.
    let selected = schedule.features.clone();
    let (writer, bridge) = Shared::new(bridge);
    let stopped = match stopped_early {
        Some(stop) => Some(stop),
        None => run_scenarios(schedule, writer, left_behind, &mut signals, deadline).await,
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
    let Some(mut bridge) = bridge.take().await else {
        return Err(Error::Io {
            what: "the run's reporters were lost".into(),
            source: std::io::Error::other("the event writer was taken twice"),
        });
    };
    bridge.report_not_run(&selected, &reached, stopped);
    let summary = bridge.finish(scenarios)?;
    match stopped.and_then(|stop| Some((stop.name(), stop.signal_exit_code()?))) {
        Some((signal, code)) => Err(Error::Interrupted { signal, code }),
        None => Ok(summary),
    }
}

/// What cucumber runs, and how: the plan's scenarios, its servers and its limits.
struct Schedule {
    features: Vec<Feature>,
    fleet: Arc<Fleet>,
    concurrency: usize,
    retries: Option<usize>,
    fail_fast: bool,
    scenario_timeout: Duration,
}

/// Runs the plan's scenarios with cucumber until they are done or a signal cuts them.
async fn run_scenarios(
    plan: Schedule,
    writer: Shared<EventBridge>,
    left_behind: LeftBehind,
    signals: &mut Signals,
    deadline: Option<tokio::time::Instant>,
) -> Option<Stop> {
    let gate = Arc::new(Gate::default());
    let hooks = Hooks::new(
        Arc::clone(&plan.fleet),
        Arc::clone(&gate),
        left_behind,
        plan.scenario_timeout,
    );
    let after = hooks.clone();
    let mut runner = runner::Basic::default()
        .max_concurrent_scenarios(plan.concurrency)
        .retries(plan.retries)
        .steps(shakedown_steps::catalogue::collection())
        .before(move |feature, rule, scenario, world| hooks.before(feature, rule, scenario, world))
        .after(move |feature, _, scenario, _, world| after.after(feature, scenario, world));
    if plan.fail_fast {
        runner = runner.fail_fast();
    }
    let run = Cucumber::<_, _, _, _, _, cli::Empty>::custom(Preparsed(plan.features), runner, writer)
        .with_default_cli()
        .run(());
    stop::until_stopped(run, signals, &gate, deadline).await
}

/// What the reports' headers say of the run.
fn run_started(
    context: &RunContext,
    fleet: &Fleet,
    scenarios: usize,
    tags: Option<String>,
    provenance: Provenance,
) -> RunEvent {
    RunEvent::Started(RunInfo {
        environment: context.environment().to_owned(),
        base_url: context.base_url().to_string(),
        hosts: fleet.names(),
        scenarios,
        tags,
        revision: provenance.revision,
        user: provenance.user,
        machine: provenance.machine,
        started: SystemTime::now(),
    })
}

/// Closes every SSH connection of the run, within `SHUTDOWN_LIMIT`: past it, whatever still
/// runs is killed.
pub async fn close_fleet(fleet: &Fleet) {
    if tokio::time::timeout(SHUTDOWN_LIMIT, fleet.close()).await.is_err() {
        shakedown_steps::children::kill_all();
    }
}

/// How long quitting the browsers and stopping the driver may take at the end of a run.
const SHUTDOWN_LIMIT: Duration = Duration::from_secs(3);

/// Hands cucumber the features the plan already parsed, expanded and filtered.
struct Preparsed(Vec<Feature>);

impl parser::Parser<()> for Preparsed {
    type Cli = cli::Empty;
    type Output = stream::Iter<std::vec::IntoIter<parser::Result<Feature>>>;

    fn parse(self, (): (), _: cli::Empty) -> Self::Output {
        stream::iter(self.0.into_iter().map(Ok).collect::<Vec<_>>())
    }
}
