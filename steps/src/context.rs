//! The state one run shares between all its scenarios: settings from the run plan and the one
//! HTTP connection pool. cucumber builds each World with no arguments, so the runner installs
//! the context here before the run starts and every new World picks it up.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use url::Url;

use crate::browser::{BrowserPool, BrowserSettings};
use crate::content::{CrawlSettings, RuleSet};
use crate::failure::StepFailure;
use crate::probes::{Host, LocalHost, ProbeSettings};
use crate::session::{LoginSettings, RoleSettings, SessionCache};

/// How much longer than a step's budget the HTTP client itself waits before giving up.
const BACKSTOP_MARGIN: Duration = Duration::from_secs(5);

/// What the steps need to know about the selected environment and the run's limits.
#[derive(Debug, Clone)]
pub struct StepSettings {
    /// Name of the selected environment, for messages (`live`, `staging`).
    pub environment: String,
    /// Paths in features are resolved against this URL.
    pub base_url: Url,
    /// A read-only environment refuses mutating HTTP requests before they are sent.
    pub read_only: bool,
    /// Upper bound for any single network call or command a step makes.
    pub step_timeout: Duration,
    /// Upper bound for a whole scenario; a step never waits beyond it.
    pub scenario_timeout: Duration,
    /// How roles log in, when the configuration says.
    pub login: Option<LoginSettings>,
    /// The configured roles by name (`anonymous` is built in and never listed).
    pub roles: BTreeMap<String, RoleSettings>,
    /// The forbidden-content rules, compiled once, and how far a crawl may go.
    pub content: ContentSettings,
    /// The folder of the configuration file: relative paths in probe steps start here.
    pub config_dir: PathBuf,
    /// The `[probes]` settings.
    pub probes: ProbeSettings,
    /// How browser steps reach a browser (`[browser]`).
    pub browser: BrowserSettings,
    /// Where failing steps leave their evidence (screenshots), beside the reports.
    pub artifacts: PathBuf,
}

/// `[content]`: the rules pages are checked against and the crawl's bounds.
#[derive(Debug, Clone, Default)]
pub struct ContentSettings {
    pub rules: RuleSet,
    pub crawl: CrawlSettings,
}

impl StepSettings {
    /// A path such as `/reports/` is taken relative to the base URL (keeping any path prefix
    /// the base URL has); a full URL is used as it is.
    pub fn resolve(&self, target: &str) -> Result<Url, StepFailure> {
        if let Ok(url) = Url::parse(target) {
            return Ok(url);
        }
        let mut base = self.base_url.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        base.join(target.trim_start_matches('/')).map_err(|error| {
            StepFailure::new(format!("`{target}` is not a path or URL: {error}"))
                .with("base URL", base.to_string())
        })
    }
}

/// Shared, read-only run state handed to every World.
#[derive(Debug)]
pub struct RunContext {
    pub settings: StepSettings,
    /// One connection pool for the whole run; cookies are kept per scenario, not here.
    pub http: reqwest::Client,
    /// One login per role per run.
    pub sessions: SessionCache,
    /// Where probes run commands and read files.
    pub host: Arc<dyn Host>,
    /// The run's browser sessions, started on the first browser step.
    pub browser: BrowserPool,
}

impl RunContext {
    /// Builds the run's HTTP client. Redirects are followed by the steps themselves so that
    /// every hop's cookies land in the scenario's jar and the chain can be reported. Steps
    /// bound each exchange by their time budget; the client's own timeout is only a backstop,
    /// set later so that the step's message (which names the limit) is the one users see.
    pub fn new(settings: StepSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.step_timeout + BACKSTOP_MARGIN)
            .connect_timeout(settings.step_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("shakedown/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let browser = BrowserPool::new(settings.browser.clone(), settings.step_timeout)?;
        Ok(Self {
            settings,
            http,
            sessions: SessionCache::default(),
            host: Arc::new(LocalHost),
            browser,
        })
    }
}

static CURRENT: RwLock<Option<Arc<RunContext>>> = RwLock::new(None);

/// Makes `context` the one every World created from now on receives.
pub fn install_run_context(context: Arc<RunContext>) {
    let mut current = CURRENT.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    *current = Some(context);
}

/// The installed context; `None` only when a World is built outside a run.
pub(crate) fn current_run_context() -> Option<Arc<RunContext>> {
    CURRENT
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}
