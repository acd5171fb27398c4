//! SIGINT, SIGTERM and `--timeout` stop a run cleanly: no scenario starts after the signal,
//! the running ones get a short grace (none at the time limit, which is the limit), then the
//! run is cut, every process a step started is killed, and the reporters still get what ran
//! (the rest reported as not run, and at the time limit the cut ones as stopped).

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cucumber::{Event, event, parser, writer};
use tokio::signal::unix::{SignalKind, signal};

use crate::error::{Error, exit};
use crate::output::tell;
use crate::plan::ScenarioId;
use crate::report::{Reporter, RunEvent};

/// How long scenarios already running may go on after a signal before they are cut.
const GRACE: Duration = Duration::from_secs(5);

/// Time for the last finished scenario's events to reach the reporters once none is running.
const EVENTS_SETTLE: Duration = Duration::from_millis(200);

/// What stopped a run before its end: a signal, or the run's own time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Interrupt,
    Terminate,
    /// `--timeout` ran out.
    TimeLimit,
}

impl Stop {
    /// As the reports name the cause.
    pub fn name(self) -> &'static str {
        match self {
            Self::Interrupt => "SIGINT",
            Self::Terminate => "SIGTERM",
            Self::TimeLimit => TIME_LIMIT,
        }
    }

    /// For a signal, as shells report a process ended by it: 128 + its number. The time
    /// limit has none: the run ends with its report's own code.
    pub fn signal_exit_code(self) -> Option<i32> {
        match self {
            Self::Interrupt => Some(exit::INTERRUPTED),
            Self::Terminate => Some(exit::TERMINATED),
            Self::TimeLimit => None,
        }
    }
}

/// The cause the reports give for a run cut by its time limit.
pub const TIME_LIMIT: &str = "--timeout";

/// SIGINT and SIGTERM, caught from the moment this exists (before, they end the process).
pub struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    pub fn listen() -> Result<Self, Error> {
        let listen = |kind| {
            signal(kind).map_err(|source| Error::Io {
                what: "cannot listen for SIGINT and SIGTERM".into(),
                source,
            })
        };
        Ok(Self {
            interrupt: listen(SignalKind::interrupt())?,
            terminate: listen(SignalKind::terminate())?,
        })
    }

    pub async fn next(&mut self) -> Stop {
        tokio::select! {
            _ = self.interrupt.recv() => Stop::Interrupt,
            _ = self.terminate.recv() => Stop::Terminate,
        }
    }
}

/// Whether scenarios may still start, and how many are running: the runner's before and after
/// hooks keep it.
#[derive(Debug, Default)]
pub struct Gate {
    closed: AtomicBool,
    running: AtomicUsize,
}

impl Gate {
    /// A scenario about to start: once the gate is closed it waits here until the run is cut,
    /// so it never touches a server.
    pub async fn enter(&self) {
        if self.closed.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        self.running.fetch_add(1, Ordering::SeqCst);
    }

    pub fn leave(&self) {
        self.running.fetch_sub(1, Ordering::SeqCst);
    }

    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// Resolves once no scenario that passed the gate is still running.
    async fn drained(&self) {
        while self.running.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(EVENTS_SETTLE).await;
    }
}

/// Drives `run` to its end, to a signal or to `deadline`. At a signal the gate closes and the
/// running scenarios get the grace (a second signal cuts it short); at the deadline they are
/// cut at once, since whoever set it (a monitor's own check timeout) stops waiting then.
/// Returns what stopped the run, if anything did; `run` is dropped either way, which ends
/// every step still in flight.
pub async fn until_stopped(
    run: impl Future,
    signals: &mut Signals,
    gate: &Gate,
    deadline: Option<tokio::time::Instant>,
) -> Option<Stop> {
    let mut run = std::pin::pin!(run);
    let stop = tokio::select! {
        _ = &mut run => return None,
        stop = signals.next() => stop,
        () = reached(deadline) => {
            gate.close();
            return Some(Stop::TimeLimit);
        }
    };
    gate.close();
    tell!(
        "shakedown: {} received: no new scenario starts; running ones get up to {}s",
        stop.name(),
        GRACE.as_secs()
    );
    tokio::select! {
        _ = &mut run => {}
        () = gate.drained() => {}
        () = tokio::time::sleep(GRACE) => {}
        () = reached(deadline) => {}
        _ = signals.next() => {}
    }
    Some(stop)
}

/// Resolves at `deadline`, or never without one.
pub async fn reached(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// A writer shared with its owner, who takes it back even when the run holding it is dropped
/// half-way (cucumber hands a writer back only from a run that ends).
pub struct Shared<W>(Arc<tokio::sync::Mutex<Option<W>>>);

impl<W> Shared<W> {
    pub fn new(writer: W) -> (Self, Self) {
        let shared = Arc::new(tokio::sync::Mutex::new(Some(writer)));
        (Self(Arc::clone(&shared)), Self(shared))
    }

    /// The writer, once the run that used it has ended or been dropped.
    pub async fn take(self) -> Option<W> {
        self.0.lock().await.take()
    }
}

impl<World, W: cucumber::Writer<World>> cucumber::Writer<World> for Shared<W> {
    type Cli = W::Cli;

    async fn handle_event(&mut self, event: parser::Result<Event<event::Cucumber<World>>>, cli: &Self::Cli) {
        if let Some(writer) = self.0.lock().await.as_mut() {
            writer.handle_event(event, cli).await;
        }
    }
}

impl<W: writer::Normalized> writer::Normalized for Shared<W> {}

/// The scenarios that reached the reporters, so the rest can be listed as not run.
#[derive(Debug, Clone, Default)]
pub struct Reached(Arc<Mutex<HashSet<ScenarioId>>>);

impl Reached {
    pub fn contains(&self, scenario: &ScenarioId) -> bool {
        self.lock().contains(scenario)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<ScenarioId>> {
        shakedown_steps::locked::lock(&self.0)
    }
}

impl Reporter for Reached {
    fn on_event(&mut self, event: &RunEvent) -> Result<(), Error> {
        if let RunEvent::ScenarioFinished(report) = event {
            self.lock().insert(ScenarioId {
                path: report.path.clone(),
                line: report.line,
                name: report.name.clone(),
            });
        }
        Ok(())
    }
}
