//! The run's browser sessions. Starting Chromium costs about a second, so a run keeps
//! `browser.sessions` of them, started on first use (a run with no browser step starts none),
//! and leases one to each scenario that needs a browser. A session comes back cleaned (cookies
//! and storage cleared, on a blank page); one that crashed or would not clean is quit and a
//! new one takes its place. When the run ends, or is interrupted, every session is quit and
//! the chromedriver this run started is stopped.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thirtyfour::error::WebDriverError;
use thirtyfour::{TimeoutConfiguration, WebDriver};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

use super::credentials;
use super::driver::{self, Driver, INSTALL_HINT};
use super::guard::RequestGuard;
use super::identity::{self, Identity};
use super::page::Page;
use super::read_only;
use super::settings::BrowserSettings;
use super::webdriver_errors;
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::locked::lock;
use crate::session::{Sessions, SignOn, SignOnRequest};
use url::Url;

/// The longest cleaning a session or quitting one may take before it is given up on.
const HOUSEKEEPING_LIMIT: Duration = Duration::from_secs(5);
/// How much longer than a step's timeout a WebDriver call may take before the HTTP client
/// itself gives up: only a backstop, the step's own timeout comes first.
const BACKSTOP_MARGIN: Duration = Duration::from_secs(10);

/// The run's browser sessions and the driver behind them.
pub struct Browsers {
    inner: Arc<PoolInner>,
}

struct PoolInner {
    settings: BrowserSettings,
    step_timeout: Duration,
    /// Where failing steps leave their screenshots.
    artifacts: PathBuf,
    /// The environment's name when it is read-only: every session then carries the guard
    /// against mutating requests.
    read_only: Option<String>,
    /// The client every WebDriver call goes through: no proxy (the driver is on loopback or a
    /// grid the user named) and a bounded request time. Built on first use (`client`): it loads
    /// the system's trust store, which a run without browser steps need not wait for.
    client: std::sync::OnceLock<reqwest::Client>,
    permits: Arc<Semaphore>,
    driver: OnceCell<Result<Arc<Driver>, StepFailure>>,
    idle: Mutex<Vec<Session>>,
    /// Every session started and not yet quit, whoever holds it, so the end of the run (or a
    /// Ctrl-C) can quit them all.
    live: Mutex<HashMap<usize, (WebDriver, Option<PathBuf>)>>,
    next_id: AtomicUsize,
    closed: AtomicBool,
}

/// One browser session and who it is logged in as.
pub(crate) struct Session {
    pub id: usize,
    pub driver: WebDriver,
    pub identity: Identity,
    /// The guard over the browser's requests, on a read-only environment or with
    /// `browser.login_form`; its connection closes with the session.
    pub guard: Option<Arc<RequestGuard>>,
}

/// A session lent to one scenario; the permit keeps the pool at its size.
pub(crate) struct Lease {
    session: Session,
    broken: Arc<AtomicBool>,
    _permit: OwnedSemaphorePermit,
}

/// A scenario's browser: nothing until its first browser step.
#[derive(Default)]
pub struct ScenarioBrowser {
    lease: Option<Lease>,
}

impl ScenarioBrowser {
    /// Whether the scenario has used the browser, so its page is the one to check.
    pub(crate) fn is_open(&self) -> bool {
        self.lease.is_some()
    }
}

impl fmt::Debug for ScenarioBrowser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.lease {
            Some(lease) => write!(f, "session {} ({:?})", lease.session.id, lease.session.identity),
            None => f.write_str("none"),
        }
    }
}

impl fmt::Debug for Browsers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Browsers")
            .field("settings", &self.inner.settings)
            .field("live", &self.inner.live_count())
            .finish()
    }
}

impl Browsers {
    pub fn new(
        settings: BrowserSettings,
        step_timeout: Duration,
        artifacts: PathBuf,
        read_only: Option<String>,
    ) -> Self {
        let permits = Arc::new(Semaphore::new(settings.sessions.max(1)));
        Self {
            inner: Arc::new(PoolInner {
                settings,
                step_timeout,
                artifacts,
                read_only,
                client: std::sync::OnceLock::new(),
                permits,
                driver: OnceCell::new(),
                idle: Mutex::new(Vec::new()),
                live: Mutex::new(HashMap::new()),
                next_id: AtomicUsize::new(1),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// How roles of `method = "sso"` log in: each in a browser session of its own.
    pub(crate) fn sign_on(&self) -> Arc<dyn SignOn> {
        Arc::new(SignOnBrowser {
            inner: Arc::clone(&self.inner),
        })
    }

    /// Gives the scenario a session if it has none yet: waits until `queue` for one to be
    /// free, then takes an idle one or starts a new one.
    pub(crate) async fn lease_into(
        &self,
        browser: &mut ScenarioBrowser,
        queue: Deadline,
    ) -> Result<(), StepFailure> {
        if browser.lease.is_none() {
            browser.lease = Some(self.lease(queue).await?);
        }
        Ok(())
    }

    /// The scenario's page for one step, acting as `wanted`.
    pub(crate) async fn page(
        &self,
        browser: &mut ScenarioBrowser,
        deadline: Deadline,
        wanted: &Identity,
        sessions: &Sessions,
        base_url: &Url,
    ) -> Result<Page, StepFailure> {
        let Some(lease) = browser.lease.as_mut() else {
            return Err(StepFailure::new("the browser session was lost"));
        };
        let needs_a_guard = match wanted {
            Identity::Role(role) => credentials::sends_http_credentials(sessions, role),
            Identity::Anonymous | Identity::Unknown => false,
        };
        if needs_a_guard && lease.session.guard.is_none() {
            let guard = RequestGuard::start(
                &lease.session.driver,
                self.inner.client()?,
                self.inner.read_only.clone(),
                deadline,
            )
            .await?;
            lease.session.guard = Some(Arc::new(guard));
        }
        let page = Page::new(
            lease.session.driver.clone(),
            lease.session.guard.clone(),
            Arc::clone(&lease.broken),
            deadline,
            self.inner.artifacts.clone(),
        );
        if lease.session.identity != *wanted {
            // Until the change is complete the session is neither the old role nor the new.
            lease.session.identity = Identity::Unknown;
            if let Some(guard) = &lease.session.guard {
                guard.send_credentials(credentials::of(&page, wanted, sessions).await?);
            }
            identity::apply(&page, wanted, self.inner.settings.login_form, sessions, base_url).await?;
            lease.session.identity = wanted.clone();
        }
        Ok(page)
    }

    /// A session for one scenario: waits until `queue` for one to be free, then takes an idle
    /// one or starts a new one by the same deadline.
    async fn lease(&self, queue: Deadline) -> Result<Lease, StepFailure> {
        let inner = &self.inner;
        let closed = || StepFailure::new("the run is ending: no new browser session");
        if inner.closed.load(Ordering::SeqCst) {
            return Err(closed());
        }
        let permit = queue
            .run(Arc::clone(&inner.permits).acquire_owned())
            .await
            .ok_or_else(|| {
                queue.exceeded("no browser session became free").with(
                    "hint",
                    "raise `browser.sessions`, or run fewer scenarios at a time",
                )
            })?
            .map_err(|_| closed())?;
        let driver = inner.driver().await?;
        let idle = lock(&inner.idle).pop();
        let session = match idle {
            Some(session) => session,
            None => inner.start_session(&driver, queue).await?,
        };
        Ok(Lease {
            session,
            broken: Arc::default(),
            _permit: permit,
        })
    }

    /// Takes a scenario's session back, if it had one: cleaned for the next scenario, or quit
    /// if it broke. What the guard refused after the scenario's last browser step (a page's
    /// timer, a beacon as it unloads) fails the scenario, as a lost guard does: nothing the
    /// page sent since can be vouched for.
    pub(crate) async fn give_back(&self, browser: &mut ScenarioBrowser) -> Result<(), StepFailure> {
        let Some(lease) = browser.lease.take() else {
            return Ok(());
        };
        let Lease {
            mut session, broken, ..
        } = lease;
        let inner = &self.inner;
        let closing = inner.closed.load(Ordering::SeqCst);
        let cleaned = !broken.load(Ordering::SeqCst)
            && !closing
            && matches!(
                tokio::time::timeout(HOUSEKEEPING_LIMIT, identity::clean(&session.driver)).await,
                Ok(Ok(()))
            );
        // Taken after the cleaning, which unloads the page: what it sent on its way out counts.
        let taken = session.guard.as_ref().map(|guard| guard.take_refused());
        let guard_lost = matches!(taken, Some(Err(_)));
        let late = match taken {
            _ if closing => Ok(()),
            Some(Ok(refused)) => read_only::refuse_requests(&refused),
            Some(Err(lost)) => Err(lost),
            None => Ok(()),
        };
        if cleaned && !guard_lost {
            if let Some(guard) = &session.guard {
                guard.send_credentials(None);
            }
            session.identity = Identity::Anonymous;
            lock(&inner.idle).push(session);
        } else {
            inner.retire(session.id).await;
        }
        late
    }

    /// The run's WebDriver endpoint for a program a step runs (a team's own WebDriver script):
    /// the configured one, or the run's chromedriver, started now when no browser step has yet.
    /// `None` when no driver can be had by `deadline`; the program then runs without one.
    pub(crate) async fn endpoint(&self, deadline: Deadline) -> Option<String> {
        let inner = &self.inner;
        if inner.closed.load(Ordering::SeqCst) {
            return None;
        }
        let driver = deadline.run(inner.driver()).await?.ok()?;
        Some(driver.url.clone())
    }

    /// Quits every session and stops the driver this run started. Safe to call twice.
    pub async fn shutdown(&self) {
        let inner = &self.inner;
        inner.closed.store(true, Ordering::SeqCst);
        lock(&inner.idle).clear();
        let ids: Vec<usize> = lock(&inner.live).keys().copied().collect();
        futures::future::join_all(ids.into_iter().map(|id| inner.retire(id))).await;
        if let Some(Ok(driver)) = inner.driver.get() {
            driver.stop().await;
        }
    }
}

/// Single sign-on's browser. Each login gets a session of its own, outside the pool's count:
/// it is asked for by whatever step first needs the role (an HTTP step, a browser step holding
/// a session already), and waiting for a pooled session there could wait for itself. The
/// session is quit once the role's cookies are read.
struct SignOnBrowser {
    inner: Arc<PoolInner>,
}

#[async_trait::async_trait]
impl SignOn for SignOnBrowser {
    async fn sign_on(&self, request: SignOnRequest<'_>) -> Result<Vec<(String, String)>, StepFailure> {
        let inner = &self.inner;
        let deadline = request.deadline;
        if inner.closed.load(Ordering::SeqCst) {
            return Err(StepFailure::new("the run is ending: no new browser session"));
        }
        let driver = inner.driver().await?;
        let session = inner.start_session(&driver, deadline).await?;
        let guard = match &session.guard {
            Some(guard) => Ok(Arc::clone(guard)),
            None => RequestGuard::start(
                &session.driver,
                inner.client()?,
                inner.read_only.clone(),
                deadline,
            )
            .await
            .map(Arc::new),
        };
        let outcome = match guard {
            Ok(guard) => {
                let page = Page::new(
                    session.driver.clone(),
                    Some(Arc::clone(&guard)),
                    Arc::default(),
                    deadline,
                    inner.artifacts.clone(),
                );
                super::sso::sign_on(&page, &guard, &request).await
            }
            Err(failure) => Err(failure),
        };
        inner.retire(session.id).await;
        outcome
    }
}

/// Why a new session could not be had, by its real cause: a driver that is gone or does not
/// answer (no word of installing anything), a browser that would not start (the install hint),
/// or whatever else the driver said.
fn start_failure(error: &WebDriverError, driver: &Driver) -> StepFailure {
    let said = webdriver_errors::said(error);
    if let Some(ended) = driver.ended() {
        return StepFailure::connection(format!("the browser did not start: {ended}"))
            .with("driver", driver.url.clone())
            .with("error", said);
    }
    if webdriver_errors::lost_the_driver(error) {
        return StepFailure::connection(format!(
            "the browser did not start: the WebDriver at {} does not answer",
            driver.url
        ))
        .with("error", said);
    }
    let failure = StepFailure::configuration(format!("the browser did not start: {said}"))
        .with("driver", driver.url.clone());
    match webdriver_errors::browser_would_not_start(error) {
        true => failure.with("hint", INSTALL_HINT),
        false => failure,
    }
}

impl PoolInner {
    fn client(&self) -> Result<&reqwest::Client, StepFailure> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(self.step_timeout + BACKSTOP_MARGIN)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| {
                StepFailure::new(format!("cannot set up the client for the WebDriver: {error}"))
            })?;
        Ok(self.client.get_or_init(|| client))
    }

    /// The run's chromedriver, started by the first browser step that needs it.
    async fn driver(&self) -> Result<Arc<Driver>, StepFailure> {
        self.driver
            .get_or_init(|| async { Driver::start(&self.settings, self.client()?).await.map(Arc::new) })
            .await
            .clone()
    }

    fn live_count(&self) -> usize {
        lock(&self.live).len()
    }

    async fn start_session(&self, driver: &Driver, deadline: Deadline) -> Result<Session, StepFailure> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let local = self.settings.webdriver_url.is_none();
        // A fresh, empty profile per session: nothing carried over from a person's browser or
        // from an earlier run.
        let profile = local
            .then(|| std::env::temp_dir().join(format!("shakedown-chromium-{}-{id}", std::process::id())));
        if let Some(profile) = &profile {
            let _ = std::fs::remove_dir_all(profile);
            std::fs::create_dir_all(profile).map_err(|error| {
                StepFailure::new(format!(
                    "cannot create the browser profile folder `{}`: {error}",
                    profile.display()
                ))
            })?;
        }
        let capabilities = driver::capabilities(&self.settings, local, profile.as_deref())?;
        let connect = WebDriver::builder(driver.url.as_str(), capabilities)
            .client(self.client()?.clone())
            .connect();
        let started = deadline.run(connect).await;
        let web_driver = match started {
            Some(Ok(web_driver)) => web_driver,
            Some(Err(error)) => return Err(start_failure(&error, driver)),
            None => {
                return Err(deadline
                    .exceeded("the browser did not start")
                    .with("driver", driver.url.clone()));
            }
        };
        lock(&self.live).insert(id, (web_driver.clone(), profile));
        // Implicit waits off: every wait is explicit and bounded by the step's deadline.
        let timeouts = TimeoutConfiguration::new(
            Some(self.step_timeout),
            Some(self.step_timeout),
            Some(Duration::ZERO),
        );
        // A fresh Chromium on a busy machine can be slow to answer its first commands: they get
        // the time the session's start has, not a fixed housekeeping limit.
        let configured = deadline.run(web_driver.update_timeouts(timeouts)).await;
        if !matches!(configured, Some(Ok(()))) {
            self.retire(id).await;
            return Err(StepFailure::new(
                "the browser started but did not accept its timeouts",
            ));
        }
        let guard = match self.read_only.is_some() || self.settings.login_form {
            true => {
                let started =
                    RequestGuard::start(&web_driver, self.client()?, self.read_only.clone(), deadline).await;
                match started {
                    Ok(guard) => Some(Arc::new(guard)),
                    Err(failure) => {
                        self.retire(id).await;
                        return Err(failure);
                    }
                }
            }
            false => None,
        };
        Ok(Session {
            id,
            driver: web_driver,
            identity: Identity::Anonymous,
            guard,
        })
    }

    /// Quits a session for good and removes its profile.
    async fn retire(&self, id: usize) {
        let entry = lock(&self.live).remove(&id);
        let Some((web_driver, profile)) = entry else {
            return;
        };
        let _ = tokio::time::timeout(HOUSEKEEPING_LIMIT, web_driver.quit()).await;
        if let Some(profile) = profile {
            let _ = tokio::fs::remove_dir_all(profile).await;
        }
    }
}
