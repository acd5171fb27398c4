//! The World: what one scenario knows while it runs. A fresh one per scenario, holding the
//! run's services, the host its probes look at, and the scenario's own cookies, last response,
//! browser session and notes. Every World method lives here; steps reach their domain's service
//! through it and take one deadline each.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::time::Instant;
use url::Url;

use crate::baseline::BaselineSettings;
use crate::browser::{Identity, Page, ScenarioBrowser};
use crate::content::{Crawler, RuleSet};
use crate::context::{RunContext, current_run_context};
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::http::HttpState;
use crate::machine::{Host, LocalHost};
use crate::probes::{ProbeSettings, ProbeState};
use crate::public::PublicSettings;
use crate::session::Sessions;
use crate::site::Site;

#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct ShakedownWorld {
    run: Arc<RunContext>,
    /// The machine this scenario's probes look at: this one unless the runner says otherwise.
    host: Arc<dyn Host>,
    /// The folder on that machine its web server serves the site from, when configured.
    docroot: Option<PathBuf>,
    /// The site as this scenario sees it: the environment's, or one server's own web server.
    site: Site,
    started: Instant,
    /// The end of the wait of the check running now, when it waits (`within N seconds`).
    wait: Option<Deadline>,
    pub(crate) http: HttpState,
    /// The role the scenario acts as; `None` is an anonymous visitor.
    pub(crate) role: Option<String>,
    /// What passing steps want in the report (how many pages a crawl checked).
    notes: Vec<String>,
    pub(crate) probes: ProbeState,
    /// The scenario's browser session, leased on its first browser step.
    browser: ScenarioBrowser,
}

impl ShakedownWorld {
    fn new() -> Result<Self, StepFailure> {
        let run = current_run_context().ok_or_else(|| {
            StepFailure::configuration("no run context: scenarios run only inside `shakedown run`")
        })?;
        Ok(Self {
            site: run.site.clone(),
            run,
            host: Arc::new(LocalHost),
            docroot: None,
            started: Instant::now(),
            wait: None,
            http: HttpState::default(),
            role: None,
            notes: Vec::new(),
            probes: ProbeState::default(),
            browser: ScenarioBrowser::default(),
        })
    }

    /// Gives the scenario the host its probes run on and, when that server has its own web
    /// server, the base URL its HTTP and browser steps use; the runner calls this before the
    /// first step. `docroot` is where that server keeps the files its web server serves.
    pub fn assign_host(&mut self, host: Arc<dyn Host>, base_url: Option<Url>, docroot: Option<PathBuf>) {
        self.host = host;
        self.docroot = docroot;
        if let Some(base_url) = base_url {
            self.site.base_url = base_url;
        }
    }

    /// Counts the scenario's time from `first_attempt`: a retry runs in what is left of the
    /// scenario's limit, not in a fresh one, so retries end when the scenario's time is up.
    pub fn count_time_from(&mut self, first_attempt: Instant) {
        self.started = first_attempt.min(self.started);
    }

    /// Tells the World every step its scenario will run (backgrounds included) before the first
    /// runs; the runner calls this. A scenario that checks the response status expects whatever
    /// it names, so only then may a server error pass the request step, and only a status it
    /// names may a check that text is absent read.
    pub fn look_ahead<'a>(&mut self, step_texts: impl IntoIterator<Item = &'a str>) {
        self.http.expected_statuses = step_texts
            .into_iter()
            .filter_map(crate::http::checked_status)
            .collect();
    }

    /// The deadline of a step starting now. A step takes it once and hands it to every call.
    /// An attempt of a check that waits ends by the end of its wait too.
    pub(crate) fn deadline(&self) -> Deadline {
        let limits = self.run.limits;
        let step = Deadline::for_step(self.started, limits.step_timeout, limits.scenario_timeout);
        self.wait.map_or(step, |wait| step.earlier(wait))
    }

    /// Sets (or, with `None`, ends) the wait every attempt of the running check ends by.
    pub(crate) fn bound_by_wait(&mut self, wait: Option<Deadline>) {
        self.wait = wait;
    }

    /// The end of the scenario, which a check that waits never outlasts.
    pub(crate) fn scenario_deadline(&self) -> Deadline {
        Deadline::for_scenario(self.started, self.run.limits.scenario_timeout)
    }

    pub(crate) fn site(&self) -> &Site {
        &self.site
    }

    pub(crate) fn resolve(&self, target: &str) -> Result<Url, StepFailure> {
        self.site.resolve(target)
    }

    /// The run's one HTTP connection pool.
    pub(crate) fn http_client(&self) -> &reqwest::Client {
        &self.run.http
    }

    pub(crate) fn sessions(&self) -> &Sessions {
        &self.run.sessions
    }

    pub(crate) fn crawler(&self) -> &Crawler {
        &self.run.crawler
    }

    pub(crate) fn public_settings(&self) -> &PublicSettings {
        &self.run.public
    }

    pub(crate) fn content_rules(&self) -> &RuleSet {
        self.run.crawler.rules()
    }

    pub(crate) fn host(&self) -> &dyn Host {
        self.host.as_ref()
    }

    /// The web root on the scenario's host, when its configuration names one.
    pub(crate) fn docroot(&self) -> Option<&std::path::Path> {
        self.docroot.as_deref()
    }

    pub(crate) fn probe_settings(&self) -> &ProbeSettings {
        &self.run.probes
    }

    pub(crate) fn baseline_settings(&self) -> &BaselineSettings {
        &self.run.baseline
    }

    /// Relative paths in probe steps start at the configuration's folder on this machine, and
    /// at the SSH user's home on a server.
    pub(crate) fn probe_path(&self, path: &str) -> PathBuf {
        if self.host.is_local() {
            self.run.config_dir.join(path)
        } else {
            PathBuf::from(path)
        }
    }

    /// The configuration file's folder on this machine, where files shakedown itself reads
    /// (a baseline) are found, whichever host the scenario looks at.
    pub(crate) fn config_folder(&self) -> &std::path::Path {
        &self.run.config_dir
    }

    /// Where commands start: the configuration's folder here, the SSH user's home on a server.
    pub(crate) fn probe_folder(&self) -> Option<PathBuf> {
        self.host.is_local().then(|| self.run.config_dir.clone())
    }

    /// The role the scenario acts as, for messages.
    pub(crate) fn role_name(&self) -> &str {
        self.role.as_deref().unwrap_or(crate::session::ANONYMOUS)
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

    /// Acts as `role` from now on, with its session's cookies and credentials.
    pub(crate) async fn become_role(&mut self, role: String) -> Result<(), StepFailure> {
        let session = self.run.sessions.session(&role, self.deadline()).await?;
        self.http.visitor = session.visitor(&self.site.base_url);
        self.role = Some(role);
        Ok(())
    }

    /// The run's WebDriver endpoint for a program this scenario runs; none on a remote host,
    /// which cannot reach a driver on this machine's loopback.
    pub(crate) async fn webdriver_for_programs(&self) -> Option<String> {
        if !self.host.is_local() {
            return None;
        }
        self.run.browsers.endpoint(self.deadline()).await
    }

    /// Whether the scenario has used the browser, so its page is the one to check.
    pub(crate) fn browser_is_open(&self) -> bool {
        self.browser.is_open()
    }

    /// Hands the scenario's browser session back to the pool; the runner calls this when a
    /// scenario ends, passed or failed. A request the page sent after the scenario's last
    /// browser step that a read-only environment refused fails the scenario.
    pub async fn release_browser(&mut self) -> Result<(), StepFailure> {
        self.run.browsers.give_back(&mut self.browser).await
    }

    /// The scenario's browser page, leasing a session on first use and making it act as the
    /// scenario's role (logged in, or anonymous). Waiting for a free session is queueing, bounded
    /// by the scenario's limit; the step's own deadline starts once the session is in hand.
    pub(crate) async fn page(&mut self) -> Result<Page, StepFailure> {
        let run = &self.run;
        let queue = Deadline::for_scenario(self.started, run.limits.scenario_timeout);
        run.browsers.lease_into(&mut self.browser, queue).await?;
        let wanted = match &self.role {
            Some(role) => Identity::Role(role.clone()),
            None => Identity::Anonymous,
        };
        let deadline = self.deadline();
        run.browsers
            .page(
                &mut self.browser,
                deadline,
                &wanted,
                &run.sessions,
                &run.site.base_url,
            )
            .await
    }
}

/// Written by hand: cookies are credentials and must never reach a report.
impl fmt::Debug for ShakedownWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShakedownWorld")
            .field("environment", &self.run.site.environment)
            .field("host", &self.host.name())
            .field("role", &self.role_name())
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
