//! What happens around each scenario: before it, the World learns its host and what its steps
//! expect, the scenario waits for the run's gate and its server's turn; after it, its notes and
//! a failure found as its browser went back are kept for the event bridge, and the turn ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cucumber::gherkin::{Feature, Rule, Scenario};
use futures::future::LocalBoxFuture;
use shakedown_steps::{Deadline, Limit, ShakedownWorld, StepFailure};

use super::stop::Gate;
use crate::plan::{Fleet, HostLease, ScenarioId};
use shakedown_steps::locked::lock;

/// What a scenario's World leaves when it is gone: its notes, and a failure found only as
/// its browser session was handed back (a read-only refusal after its last browser step).
#[derive(Default)]
pub struct Afterwards {
    pub notes: Vec<String>,
    pub late_failure: Option<StepFailure>,
}

/// What finished scenarios left for the bridge to report, by scenario.
pub type LeftBehind = Arc<Mutex<HashMap<ScenarioId, Afterwards>>>;

/// The state the hooks of every scenario share.
#[derive(Clone)]
pub struct Hooks {
    fleet: Arc<Fleet>,
    gate: Arc<Gate>,
    left_behind: LeftBehind,
    scenario_timeout: Duration,
    /// The server turns held by running scenarios (a retry runs after its attempt ended, so a
    /// scenario has one share at a time).
    turns: Arc<Mutex<HashMap<ScenarioId, Vec<HostLease>>>>,
    /// When each scenario's first attempt started: its retries run in the time it has left.
    /// One entry per scenario, so this grows with the suite only.
    first_attempts: Arc<Mutex<HashMap<ScenarioId, tokio::time::Instant>>>,
}

impl Hooks {
    pub fn new(
        fleet: Arc<Fleet>,
        gate: Arc<Gate>,
        left_behind: LeftBehind,
        scenario_timeout: Duration,
    ) -> Self {
        Self {
            fleet,
            gate,
            left_behind,
            scenario_timeout,
            turns: Arc::default(),
            first_attempts: Arc::default(),
        }
    }

    pub fn before<'a>(
        &self,
        feature: &'a Feature,
        rule: Option<&'a Rule>,
        scenario: &'a Scenario,
        world: &'a mut ShakedownWorld,
    ) -> LocalBoxFuture<'a, ()> {
        let id = ScenarioId::of(feature, scenario);
        // A scenario copied for a server probes that server, and an `@on:GROUP` one talks to
        // its own web server.
        if let Some(assigned) = self.fleet.assigned(&id) {
            world.assign_host(
                Arc::clone(&assigned.host),
                assigned.base_url.clone(),
                assigned.docroot.clone(),
            );
        }
        // A scenario that checks the status expects a server error; the World must know before
        // its first request whether one is expected.
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
        // After a signal, no scenario starts: it waits here until the run is cut. A scenario of
        // a server then waits for that server's turn (`limits.host_concurrency`), which is
        // queueing, bounded by the scenario's limit and not charged to its first step.
        let first_attempt = *lock(&self.first_attempts)
            .entry(id.clone())
            .or_insert_with(tokio::time::Instant::now);
        world.count_time_from(first_attempt);
        let hooks = self.clone();
        Box::pin(async move {
            hooks.gate.enter().await;
            if let Some(assigned) = hooks.fleet.assigned(&id) {
                let queue = Deadline::after(hooks.scenario_timeout, Limit::Scenario);
                match hooks.fleet.turn(assigned, queue).await {
                    Ok(lease) => lock(&hooks.turns).entry(id).or_default().push(lease),
                    Err(failure) => failure.raise(),
                }
            }
        })
    }

    pub fn after<'a>(
        &self,
        feature: &'a Feature,
        scenario: &'a Scenario,
        world: Option<&'a mut ShakedownWorld>,
    ) -> LocalBoxFuture<'a, ()> {
        let id = ScenarioId::of(feature, scenario);
        // The scenario's share of its server's turn ends with it.
        {
            let mut turns = lock(&self.turns);
            if let Some(shares) = turns.get_mut(&id) {
                shares.pop();
                if shares.is_empty() {
                    turns.remove(&id);
                }
            }
        }
        // The World is gone by the time the scenario's last event arrives: its notes are kept
        // here for the bridge to attach, and its browser session goes back to the pool.
        let hooks = self.clone();
        Box::pin(async move {
            if let Some(world) = world {
                let notes = world.take_notes();
                let late_failure = world.release_browser().await.err();
                if !notes.is_empty() || late_failure.is_some() {
                    lock(&hooks.left_behind).insert(id, Afterwards { notes, late_failure });
                }
            }
            hooks.gate.leave();
        })
    }
}
