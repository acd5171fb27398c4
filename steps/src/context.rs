//! The run's services, bundled: the one HTTP connection pool, the login sessions, the crawler,
//! the browsers and the probes' settings, each built from its own part of the run plan's
//! settings. No domain module imports this bundle: the World hands each step the service it
//! needs. cucumber builds each World with no arguments, so the runner installs the bundle here
//! before the run starts and every new World picks it up: the one global cucumber forces.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use url::Url;

use crate::baseline::BaselineSettings;
use crate::browser::{BrowserSettings, Browsers};
use crate::content::{CrawlSettings, Crawler, RuleSet};
use crate::failure::StepFailure;
use crate::locked::{read, write};
use crate::probes::ProbeSettings;
use crate::public::PublicSettings;
use crate::session::{ClientCertificate, LoginSettings, RoleSettings, Sessions};
use crate::site::{self, Site};

/// How much longer than the step timeout the HTTP client itself waits before giving up: only a
/// backstop, the step's deadline comes first and its message names the limit.
const BACKSTOP_MARGIN: Duration = Duration::from_secs(5);

/// What the run plan hands the step library: the selected environment and the run's limits.
#[derive(Debug, Clone)]
pub struct StepSettings {
    /// Name of the selected environment, for messages (`live`, `staging`).
    pub environment: String,
    /// Paths in features are resolved against this URL.
    pub base_url: Url,
    /// A read-only environment refuses mutating HTTP requests before they are sent.
    pub read_only: bool,
    /// Upper bound for one step, all the calls it makes together.
    pub step_timeout: Duration,
    /// Upper bound for a whole scenario; a step never waits beyond it.
    pub scenario_timeout: Duration,
    /// How roles log in, when the configuration says.
    pub login: Option<LoginSettings>,
    /// The environment's TLS client certificate, presented by every request a role without its
    /// own makes.
    pub client_certificate: Option<ClientCertificate>,
    /// The configured roles by name (`anonymous` is built in and never listed).
    pub roles: BTreeMap<String, RoleSettings>,
    /// The forbidden-content rules, compiled once, and how far a crawl may go.
    pub content: ContentSettings,
    /// The folder of the configuration file: relative paths in probe steps start here.
    pub config_dir: PathBuf,
    /// The `[probes]` settings.
    pub probes: ProbeSettings,
    /// `[baseline]`: what the server baseline leaves out and where it looks.
    pub baseline: BaselineSettings,
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
    /// `[headers]`: what the public-face checks require.
    pub public: PublicSettings,
}

impl StepSettings {
    /// A path such as `/reports/` taken relative to the base URL; a full URL as it is.
    pub fn resolve(&self, target: &str) -> Result<Url, StepFailure> {
        site::resolve(&self.base_url, target)
    }
}

/// The two limits every step's deadline is taken from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub step_timeout: Duration,
    pub scenario_timeout: Duration,
}

/// The run's services, shared by every scenario.
#[derive(Debug)]
pub struct RunContext {
    pub(crate) site: Site,
    pub(crate) limits: Limits,
    /// One connection pool for the whole run; cookies are kept per scenario, not here.
    pub(crate) http: reqwest::Client,
    /// One login per role per run.
    pub(crate) sessions: Sessions,
    pub(crate) crawler: Crawler,
    pub(crate) public: PublicSettings,
    /// The run's browser sessions, started on the first browser step.
    pub(crate) browsers: Browsers,
    pub(crate) probes: ProbeSettings,
    pub(crate) baseline: BaselineSettings,
    /// Relative paths in probe steps start here.
    pub(crate) config_dir: PathBuf,
}

impl RunContext {
    /// Builds every service from its settings.
    pub fn new(settings: StepSettings) -> Result<Self, String> {
        let roots = settings
            .probes
            .tls_ca_file
            .as_deref()
            .map(extra_roots)
            .transpose()?;
        let http = http_client(&settings, roots.as_deref(), settings.client_certificate.as_ref())
            .map_err(|why| format!("`environments.{}`: {why}", settings.environment))?;
        // A role with its own certificate has its own pool; one that cannot be built fails only
        // that role's scenarios, as a password that cannot be read does.
        let role_clients = settings
            .roles
            .iter()
            .filter_map(|(role, role_settings)| {
                let certificate = role_settings.client_certificate.as_ref()?;
                let client = http_client(&settings, roots.as_deref(), Some(certificate)).map_err(|why| {
                    StepFailure::configuration(format!(
                        "the client certificate of role `{role}` cannot be used: {why}"
                    ))
                });
                Some((role.clone(), client))
            })
            .collect();
        let browsers = Browsers::new(
            settings.browser,
            settings.step_timeout,
            settings.artifacts,
            settings.read_only.then(|| settings.environment.clone()),
        );
        let sessions = Sessions::new(
            http.clone(),
            role_clients,
            settings.login,
            settings.roles,
            settings.base_url.clone(),
        );
        sessions.sign_on_with(browsers.sign_on());
        let crawler = Crawler::new(http.clone(), settings.content.rules, settings.content.crawl);
        Ok(Self {
            site: Site {
                environment: settings.environment,
                base_url: settings.base_url,
                read_only: settings.read_only,
            },
            limits: Limits {
                step_timeout: settings.step_timeout,
                scenario_timeout: settings.scenario_timeout,
            },
            http,
            sessions,
            crawler,
            public: settings.content.public,
            browsers,
            probes: settings.probes,
            baseline: settings.baseline,
            config_dir: settings.config_dir,
        })
    }

    pub fn environment(&self) -> &str {
        &self.site.environment
    }

    pub fn base_url(&self) -> &Url {
        &self.site.base_url
    }

    /// Reads the password of every role the selected scenarios use, once, before any scenario
    /// runs, so each is registered with the redactor before anything could print it.
    pub async fn read_passwords(&self, roles_in_use: &BTreeSet<String>) {
        self.sessions
            .read_passwords(self.limits.step_timeout, roles_in_use)
            .await;
    }

    /// Quits every browser session and stops the driver this run started. Safe to call twice.
    pub async fn shutdown(&self) {
        self.browsers.shutdown().await;
    }
}

/// A connection pool that follows no redirect itself (the HTTP steps do, so that every hop's
/// cookies land in the scenario's jar and the chain can be reported), trusts the extra roots and
/// presents `certificate` when there is one.
fn http_client(
    settings: &StepSettings,
    roots: Option<&[reqwest::Certificate]>,
    certificate: Option<&ClientCertificate>,
) -> Result<reqwest::Client, String> {
    let mut http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.step_timeout + BACKSTOP_MARGIN)
        .connect_timeout(settings.step_timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("shakedown/", env!("CARGO_PKG_VERSION")));
    // A private CA trusted by the TLS probe is trusted by the HTTP steps too.
    if let Some(roots) = roots {
        http = http.tls_certs_merge(roots.to_vec());
    }
    if let Some(certificate) = certificate {
        http = http.identity(certificate.identity()?);
    }
    http.build().map_err(|error| error.to_string())
}

/// The certificates of `probes.tls_ca_file`, as roots for the HTTP client.
fn extra_roots(file: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(file)
        .map_err(|error| format!("cannot read `probes.tls_ca_file` `{}`: {error}", file.display()))?;
    let roots = reqwest::Certificate::from_pem_bundle(&pem).map_err(|error| {
        format!(
            "`probes.tls_ca_file` `{}` is not PEM certificates: {error}",
            file.display()
        )
    })?;
    if roots.is_empty() {
        return Err(format!(
            "`probes.tls_ca_file` `{}` holds no certificates",
            file.display()
        ));
    }
    Ok(roots)
}

static CURRENT: RwLock<Option<Arc<RunContext>>> = RwLock::new(None);

/// Makes `context` the one every World created from now on receives.
pub fn install_run_context(context: Arc<RunContext>) {
    let mut current = write(&CURRENT);
    *current = Some(context);
}

/// The installed context; `None` only when a World is built outside a run.
pub(crate) fn current_run_context() -> Option<Arc<RunContext>> {
    read(&CURRENT).clone()
}
