//! One deadline per step. A step takes it once, when it starts, as the earlier of *step start +
//! `limits.step_timeout`* and *scenario start + `limits.scenario_timeout`*; every network call,
//! browser command, child process and crawl page it makes ends by that instant, so a step that
//! makes several calls never gets the limit several times over.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::failure::StepFailure;
use crate::text::humanize;

/// The configured limit a deadline comes from, named as users write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Step,
    Scenario,
    /// The time a check that waits asks for (`Then within 30 seconds …`).
    Wait,
}

impl Limit {
    /// The configuration key that sets this limit.
    pub fn key(self) -> &'static str {
        match self {
            Self::Step => "limits.step_timeout",
            Self::Scenario => "limits.scenario_timeout",
            Self::Wait => "within N seconds",
        }
    }
}

/// The instant by which a step's work must be done, and which limit set it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    /// The limit as configured, for messages: "within 15s (`limits.step_timeout`)".
    granted: Duration,
    limit: Limit,
}

impl Deadline {
    /// The deadline of a step starting now in a scenario that started at `scenario_started`.
    pub fn for_step(scenario_started: Instant, step_timeout: Duration, scenario_timeout: Duration) -> Self {
        Self::after(step_timeout, Limit::Step).earlier(Self::for_scenario(scenario_started, scenario_timeout))
    }

    /// The end of a scenario that started at `scenario_started`: for waiting on a shared
    /// resource (a free browser session), which is queueing rather than a step's own work.
    pub fn for_scenario(scenario_started: Instant, scenario_timeout: Duration) -> Self {
        Self {
            at: scenario_started + scenario_timeout,
            granted: scenario_timeout,
            limit: Limit::Scenario,
        }
    }

    /// A deadline `granted` from now, set by `limit` (for work outside a step's own timing,
    /// such as reading passwords before the first scenario).
    pub fn after(granted: Duration, limit: Limit) -> Self {
        Self {
            at: Instant::now() + granted,
            granted,
            limit,
        }
    }

    /// The end of a check's wait of `asked` that started at `started`: every attempt of the
    /// check ends by it, so the wait asked for is the wait taken.
    pub fn for_wait(started: Instant, asked: Duration) -> Self {
        Self {
            at: started + asked,
            granted: asked,
            limit: Limit::Wait,
        }
    }

    /// Whichever of the two comes first.
    pub fn earlier(self, other: Self) -> Self {
        if other.at < self.at { other } else { self }
    }

    pub fn at(&self) -> Instant {
        self.at
    }

    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Time left until the deadline; zero once it has passed.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub fn has_passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// Waits for `work` until the deadline; `None` when the deadline came first.
    pub async fn run<F: Future>(&self, work: F) -> Option<F::Output> {
        tokio::time::timeout_at(self.at, work).await.ok()
    }

    /// Waits for `work` made of calls that each end by this deadline too: once it has come,
    /// `None`, even when a call's own timeout answered at the same instant, so the caller's
    /// timeout failure is the one told rather than what a cut call made of it.
    pub async fn run_before<F: Future>(&self, work: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            () = tokio::time::sleep_until(self.at) => None,
            done = work => Some(done),
        }
    }

    /// The timeout failure for `what` ("the plugin", "no complete answer"): names the limit.
    pub fn exceeded(&self, what: impl fmt::Display) -> StepFailure {
        StepFailure::timeout(format!("{what} within {self}"))
    }
}

/// `15s (`limits.step_timeout`)`: the limit as users configured it.
impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (`{}`)", humanize(self.granted), self.limit.key())
    }
}

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Deadline({self}, {:?} left)", self.remaining())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_step_limit_applies_while_the_scenario_has_time_left() {
        let deadline = Deadline::for_step(Instant::now(), Duration::from_secs(5), Duration::from_secs(60));
        assert_eq!(deadline.limit(), Limit::Step);
        assert_eq!(deadline.to_string(), "5s (`limits.step_timeout`)");
    }

    #[tokio::test]
    async fn the_scenario_limit_applies_when_it_comes_sooner() {
        let started = Instant::now() - Duration::from_secs(58);
        let deadline = Deadline::for_step(started, Duration::from_secs(5), Duration::from_secs(60));
        assert_eq!(deadline.limit(), Limit::Scenario);
        assert!(deadline.remaining() <= Duration::from_secs(2));
        assert_eq!(deadline.to_string(), "1m (`limits.scenario_timeout`)");
    }

    #[tokio::test]
    async fn calls_made_one_after_another_share_one_deadline() {
        let deadline = Deadline::after(Duration::from_millis(300), Limit::Step);
        let started = Instant::now();
        let first = deadline.run(tokio::time::sleep(Duration::from_millis(200))).await;
        let second = deadline.run(tokio::time::sleep(Duration::from_millis(200))).await;
        assert!(first.is_some());
        assert!(second.is_none(), "the second call ran past the deadline");
        let took = started.elapsed();
        assert!(took < Duration::from_millis(450), "{took:?}");
    }
}
