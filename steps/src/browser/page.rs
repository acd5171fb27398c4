//! The scenario's page in the browser: every WebDriver call bounded by the step's deadline,
//! waits that poll until something holds or the deadline comes, WebDriver errors said in a
//! stakeholder's words, and the evidence a failing step leaves (URL, title, screenshot).

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use thirtyfour::error::{WebDriverError, WebDriverErrorInner};
use thirtyfour::{TimeoutConfiguration, WebDriver};
use url::Url;

use super::guard::{Refused, RequestGuard};
use super::webdriver_errors;
use crate::deadline::Deadline;
use crate::failure::{Attachment, StepFailure};
use crate::text;

/// How often a wait looks again.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// What gathering a failure's evidence may take, on top of the step itself.
const EVIDENCE_LIMIT: Duration = Duration::from_secs(5);
/// Numbers screenshots in the order failures happen, so their names never collide in a run.
static SCREENSHOTS: AtomicUsize = AtomicUsize::new(1);

/// The scenario's browser page for one step.
pub(crate) struct Page {
    pub driver: WebDriver,
    /// The guard over the browser's requests, where the session has one.
    guard: Option<Arc<RequestGuard>>,
    /// Set when the session died under the step, so the pool replaces it.
    broken: Arc<AtomicBool>,
    deadline: Deadline,
    screenshots: PathBuf,
}

impl Page {
    pub fn new(
        driver: WebDriver,
        guard: Option<Arc<RequestGuard>>,
        broken: Arc<AtomicBool>,
        deadline: Deadline,
        screenshots: PathBuf,
    ) -> Self {
        Self {
            driver,
            guard,
            broken,
            deadline,
            screenshots,
        }
    }

    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// Marks the session as not to be used again: the pool quits it when the scenario ends.
    pub fn abandon(&self) {
        self.broken.store(true, Ordering::SeqCst);
    }

    /// The session's request guard; a session without one cannot take a password into a page.
    pub fn guard(&self) -> Option<&RequestGuard> {
        self.guard.as_deref()
    }

    /// The requests the guard failed since the last look (none without a guard).
    pub fn refused_requests(&self) -> Result<Vec<Refused>, StepFailure> {
        self.guard
            .as_ref()
            .map_or(Ok(Vec::new()), |guard| guard.take_refused())
    }

    fn left(&self) -> Duration {
        self.deadline.remaining()
    }

    /// One WebDriver call, ending by the step's deadline.
    pub async fn call<T>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, WebDriverError>>,
    ) -> Result<T, StepFailure> {
        match self.deadline.run(call).await {
            Some(Ok(value)) => Ok(value),
            Some(Err(error)) => Err(self.webdriver_failure(what, &error)),
            None => Err(self.out_of_time(what)),
        }
    }

    /// Loads `url`, failing on time when the page never finishes loading.
    pub async fn visit(&self, url: &Url) -> Result<(), StepFailure> {
        let left = self.left();
        self.call(
            "set the page load timeout",
            self.driver
                .update_timeouts(TimeoutConfiguration::new(None, Some(left), None)),
        )
        .await?;
        self.call(&format!("load {url}"), self.driver.goto(url.as_str()))
            .await
            .map_err(|failure| failure.with("url", url.to_string()))
    }

    /// Why the page on show cannot be judged, if it cannot: its main document answered a server
    /// error, or the browser shows its own error page because nothing could be loaded. Read from
    /// the page's navigation timing, which records the document's HTTP status.
    pub async fn failed_load(&self) -> Result<Option<StepFailure>, StepFailure> {
        let seen = self
            .script("read how the page loaded", LOAD_OUTCOME, Vec::new())
            .await?;
        let address = seen["url"].as_str().unwrap_or_default().to_owned();
        if address.starts_with("chrome-error:") {
            return Ok(Some(StepFailure::connection(
                "the browser shows its own error page: the page could not be loaded",
            )));
        }
        let status = seen["status"]
            .as_u64()
            .and_then(|status| u16::try_from(status).ok());
        let Some(status) = status.and_then(|status| reqwest::StatusCode::from_u16(status).ok()) else {
            return Ok(None);
        };
        Ok(status.is_server_error().then(|| {
            StepFailure::new(format!("the page answered {status}"))
                .with("url", address)
                .with(
                    "page text",
                    seen["text"].as_str().map(text::excerpt).unwrap_or_default(),
                )
        }))
    }

    /// Whether the page on show can show that something is absent from it: not when it could
    /// not be loaded (see [`Self::failed_load`]).
    pub async fn proves_absence(&self) -> Result<(), StepFailure> {
        match self.failed_load().await? {
            Some(failure) => Err(failure.reworded(|why| {
                format!("cannot tell: {why}, and an error page proves nothing about what the page shows")
            })),
            None => Ok(()),
        }
    }

    /// Asks `probe` until it answers `Some` or the deadline comes (`None`).
    pub async fn wait_for<T, F, Fut>(&self, mut probe: F) -> Result<Option<T>, StepFailure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, StepFailure>>,
    {
        loop {
            if let Some(found) = probe().await? {
                return Ok(Some(found));
            }
            // Another look needs time to answer: too little left is as good as none.
            if self.left() < 2 * POLL_INTERVAL {
                return Ok(None);
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Looks at the page with `look` until `holds` says yes or the deadline comes; answers
    /// whether it held and what was seen last.
    pub async fn watch<T, F, Fut>(
        &self,
        mut look: F,
        holds: impl Fn(&T) -> bool,
    ) -> Result<(bool, T), StepFailure>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StepFailure>>,
    {
        loop {
            let seen = look().await?;
            if holds(&seen) || self.left() < 2 * POLL_INTERVAL {
                return Ok((holds(&seen), seen));
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    /// Runs a script in the page and returns its JSON value.
    pub async fn script(
        &self,
        what: &str,
        source: &str,
        args: Vec<serde_json::Value>,
    ) -> Result<serde_json::Value, StepFailure> {
        self.call(what, self.driver.execute(source, args))
            .await
            .map(|answer| answer.json().clone())
    }

    /// The page's visible text, whitespace collapsed.
    pub async fn visible_text(&self) -> Result<String, StepFailure> {
        let text = self
            .script(
                "read the page's text",
                "return document.body ? document.body.innerText : '';",
                Vec::new(),
            )
            .await?;
        Ok(text::collapse_whitespace(text.as_str().unwrap_or_default()))
    }

    /// Where the browser is, what it shows and the markup behind it, for content checks.
    pub async fn contents(&self) -> Result<(Url, String, String), StepFailure> {
        let url = self
            .call("read the page's address", self.driver.current_url())
            .await?;
        let html = self.call("read the page's source", self.driver.source()).await?;
        Ok((url, self.visible_text().await?, html))
    }

    /// Waits (by the deadline) until the page has finished loading.
    pub async fn loaded(&self) -> Result<bool, StepFailure> {
        let ready = self
            .wait_for(|| async {
                let state = self
                    .script("read the page's state", "return document.readyState;", Vec::new())
                    .await?;
                Ok((state == "complete").then_some(()))
            })
            .await?;
        Ok(ready.is_some())
    }

    /// `failure` with what the browser showed: URL, title and a screenshot.
    pub async fn explain(&self, failure: StepFailure, action: &str) -> StepFailure {
        if self.broken.load(Ordering::SeqCst) {
            return failure.with("screenshot", "none: the browser session had ended");
        }
        let evidence = async {
            let url = self.driver.current_url().await.map(|url| url.to_string());
            let title = self.driver.title().await;
            let screenshot = self.screenshot(action).await;
            (url, title, screenshot)
        };
        match tokio::time::timeout(EVIDENCE_LIMIT, evidence).await {
            Ok((url, title, screenshot)) => {
                let mut failure = failure;
                if let Ok(url) = url {
                    failure = failure.with("page", url);
                }
                if let Ok(title) = title {
                    failure = failure.with("title", title);
                }
                match screenshot {
                    Ok(attachment) => failure.attach(attachment),
                    Err(why) => failure.with("screenshot", format!("none: {why}")),
                }
            }
            Err(_) => failure.with(
                "screenshot",
                format!(
                    "none: the browser did not answer within {}s",
                    EVIDENCE_LIMIT.as_secs()
                ),
            ),
        }
    }

    /// Saves a PNG of the page, as the failure's attachment.
    async fn screenshot(&self, action: &str) -> Result<Attachment, String> {
        let png = self
            .driver
            .screenshot_as_png()
            .await
            .map_err(|error| format!("the browser could not take one ({error})"))?;
        let number = SCREENSHOTS.fetch_add(1, Ordering::SeqCst);
        let path = self.screenshots.join(format!("{number:03}-{action}.png"));
        let written = async {
            tokio::fs::create_dir_all(&self.screenshots).await?;
            tokio::fs::write(&path, png).await
        };
        written
            .await
            .map_err(|error| format!("cannot write `{}`: {error}", path.display()))?;
        Ok(Attachment {
            label: "screenshot",
            path,
            media_type: "image/png",
        })
    }

    fn out_of_time(&self, what: &str) -> StepFailure {
        self.deadline.exceeded(format!("the browser could not {what}"))
    }

    fn webdriver_failure(&self, what: &str, error: &WebDriverError) -> StepFailure {
        let said = webdriver_errors::said(error);
        match &**error {
            WebDriverErrorInner::Timeout(_) | WebDriverErrorInner::WebDriverTimeout(_) => {
                self.out_of_time(what)
            }
            WebDriverErrorInner::InvalidSessionId(_) | WebDriverErrorInner::NoSuchWindow(_) => {
                self.broken.store(true, Ordering::SeqCst);
                StepFailure::connection(format!("the browser session ended while trying to {what}"))
                    .with("error", said)
            }
            _ if webdriver_errors::lost_the_driver(error) => {
                self.broken.store(true, Ordering::SeqCst);
                StepFailure::connection(format!(
                    "the WebDriver stopped answering while the browser tried to {what}: the driver was stopped or the connection to it dropped"
                ))
                .with("error", said)
            }
            _ => match webdriver_errors::page_load_failure(&said) {
                Some(meaning) => StepFailure::connection(format!("the browser could not {what}: {meaning}")),
                None => StepFailure::new(format!("the browser could not {what}")).with("error", said),
            },
        }
    }
}

/// The page's address, its main document's HTTP status (0 where the browser does not say) and
/// its text, whole: cut here, before it is masked, a secret at the cut would show its first
/// part.
const LOAD_OUTCOME: &str = "const entry = performance.getEntriesByType('navigation')[0]; \
    return { url: location.href, status: (entry && entry.responseStatus) || 0, \
    text: document.body ? document.body.innerText : '' };";
