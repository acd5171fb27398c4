//! The World: what one scenario knows while it runs. A fresh one per scenario, holding the
//! run's shared context and the scenario's own cookies and last response.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use url::Url;

use crate::browser::ScenarioBrowser;
use crate::context::{RunContext, StepSettings, current_run_context};
use crate::failure::StepFailure;
use crate::http::HttpState;
use crate::probes::ProbeState;

#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct ShakedownWorld {
    run: Arc<RunContext>,
    started: Instant,
    pub(crate) http: HttpState,
    /// The role the scenario acts as; `None` is an anonymous visitor.
    pub(crate) role: Option<String>,
    /// What passing steps want in the report (how many pages a crawl checked).
    notes: Vec<String>,
    pub(crate) probes: ProbeState,
    /// The scenario's browser session, leased on its first browser step.
    pub(crate) browser: ScenarioBrowser,
}

/// How long a step may wait, and which limit set that.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeBudget {
    pub limit: Duration,
    pub source: &'static str,
}

impl ShakedownWorld {
    fn new() -> Result<Self, StepFailure> {
        let run = current_run_context()
            .ok_or_else(|| StepFailure::new("no run context: scenarios run only inside `shakedown run`"))?;
        Ok(Self {
            run,
            started: Instant::now(),
            http: HttpState::default(),
            role: None,
            notes: Vec::new(),
            probes: ProbeState::default(),
            browser: ScenarioBrowser::default(),
        })
    }

    pub(crate) fn run(&self) -> &RunContext {
        &self.run
    }

    /// The run's context, for work that outlives a borrow of the World.
    pub(crate) fn shared_run(&self) -> Arc<RunContext> {
        Arc::clone(&self.run)
    }

    /// What is left of the scenario's own time limit.
    pub(crate) fn scenario_time_left(&self) -> Duration {
        self.settings()
            .scenario_timeout
            .saturating_sub(self.started.elapsed())
    }

    pub(crate) fn settings(&self) -> &StepSettings {
        &self.run.settings
    }

    pub(crate) fn resolve(&self, target: &str) -> Result<Url, StepFailure> {
        self.settings().resolve(target)
    }

    /// Adds a line to the scenario's report, passing or not.
    pub(crate) fn note(&mut self, line: String) {
        self.notes.push(line);
    }

    /// The scenario's notes, handed to the reports when it finishes.
    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    /// Forgets every cookie: the scenario continues as an anonymous visitor.
    pub(crate) fn become_anonymous(&mut self) {
        self.http.forget_cookies();
        self.role = None;
    }

    /// The step timeout, or less when the scenario's own limit comes sooner.
    pub(crate) fn time_budget(&self) -> TimeBudget {
        let settings = self.settings();
        let scenario_left = settings.scenario_timeout.saturating_sub(self.started.elapsed());
        if scenario_left < settings.step_timeout {
            TimeBudget {
                limit: scenario_left,
                source: "limits.scenario_timeout",
            }
        } else {
            TimeBudget {
                limit: settings.step_timeout,
                source: "limits.step_timeout",
            }
        }
    }
}

/// Written by hand: cookies are credentials and must never reach a report.
impl fmt::Debug for ShakedownWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShakedownWorld")
            .field("environment", &self.settings().environment)
            .field("role", &self.role.as_deref().unwrap_or("anonymous"))
            .field("elapsed", &self.started.elapsed())
            .field(
                "last_request",
                &self.http.last.as_ref().map(|exchange| {
                    format!("{} {} → {}", exchange.method, exchange.requested, exchange.status)
                }),
            )
            .field("cookies", &"<redacted>")
            .field("browser", &self.browser)
            .finish()
    }
}
