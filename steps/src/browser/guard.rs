//! The session's guard over every request its browser sends. It holds DevTools' `Fetch`
//! interception on the browser itself (the browser-level DevTools target, reached on the
//! debugging address chromedriver reports), so every request of every page, frame, popup and
//! worker (dedicated, shared and service), pings and policy reports included, waits until the
//! guard lets it go or fails it. It is started when a session may carry a password typed into a
//! page (`browser.login_form`, a single sign-on at an identity provider, `sso.rs`), runs on a
//! read-only environment, or acts as a role that sends HTTP credentials (Basic, Digest, a fixed
//! header).
//!
//! Two rules. On a read-only environment a request whose method is not GET, HEAD or OPTIONS is
//! failed, except the login posts shakedown submits itself (the password's form, then the
//! one-time code's). While a role's password (or code) is typed into a login page and until the
//! browser has left it, a request to any origin that may not receive that password is failed,
//! whatever its method. What was failed is kept, with its
//! method and URL, for the step that set it off to fail with.
//!
//! A role's HTTP credentials are added by the guard to each request whose origin may receive
//! them (the site's and `login.allowed_origins`), never to others and never to a redirect's
//! next hop elsewhere; an HTTP authentication challenge is answered (Digest included) only for
//! those origins, and only once per request, so a wrong password ends in the site's 401 page.
//!
//! WebSockets are the one kind of connection `Fetch` does not see (nor `Network.setBlockedURLs`,
//! tried on Chromium 156). For them, every document and worker script the browser receives
//! during a form login carries one more `Content-Security-Policy`, `connect-src` limited to the
//! origins that may receive the password: the browser enforces it on WebSockets (and again on
//! `fetch`, XHR and beacons) in the login page, its frames and its workers, and a policy added
//! to the site's own can only narrow it.
//!
//! Why its own connection and not thirtyfour's `cdp`: that sends single commands through
//! chromedriver and carries no events, and an intercepted request is told only as an event.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use futures::{SinkExt as _, StreamExt as _};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};
use thirtyfour::WebDriver;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use url::{Origin, Url};

use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::http::HttpCredentials;
use crate::locked::lock;

/// The methods a read-only environment lets through: they read, by HTTP's own definition.
const SAFE_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS"];

/// One request the guard failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub method: String,
    /// The whole URL; only its origin when it was refused for leaving a login's origins, since
    /// the rest may carry the password.
    pub url: String,
    /// What sent it, as the browser names it: `Document`, `Fetch`, `XHR`, `Ping`,
    /// `CSPViolationReport`, `Image`, `Other`…
    pub kind: String,
    /// A redirect the server answered an earlier request with.
    pub redirected: bool,
    pub rule: Rule,
}

impl Refused {
    /// `POST http://… (Ping)`, with `, a redirect` when the server sent the browser there.
    pub fn describe(&self) -> String {
        let redirect = if self.redirected { ", a redirect" } else { "" };
        format!("{} {} ({}{redirect})", self.method, self.url, self.kind)
    }
}

/// Which rule failed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rule {
    /// The environment (named) is read-only and the method is not one that only reads.
    ReadOnly(String),
    /// A password was in the page and the request went to an origin that may not receive it.
    OffLoginOrigins,
}

#[derive(Default)]
struct Rules {
    /// The read-only environment's name, when it is one.
    read_only: Option<String>,
    login: Option<LoginRules>,
    refused: Vec<Refused>,
    /// The HTTP credentials of the role the session acts as, if it sends any.
    credentials: Option<Arc<HttpCredentials>>,
    /// Requests whose authentication challenge was answered once: a second challenge means the
    /// answer was refused, and is not answered again.
    answered: std::collections::HashSet<String>,
}

struct LoginRules {
    /// The origins that may receive the password.
    origins: Vec<Origin>,
    /// Set once the password is in the page: from then on requests elsewhere are failed.
    typed: bool,
    /// The login form's target: the one post a read-only environment lets through.
    post_to: Option<Url>,
}

impl LoginRules {
    /// The policy every document and worker gets while the login lasts.
    fn connect_policy(&self) -> String {
        let origins: Vec<String> = self.origins.iter().map(Origin::ascii_serialization).collect();
        format!("connect-src {}", origins.join(" "))
    }
}

impl Rules {
    /// Which rule, if any, fails `method url`.
    fn verdict(&self, method: &str, url: &str) -> Option<Rule> {
        let parsed = Url::parse(url).ok();
        if let Some(login) = self.login.as_ref().filter(|login| login.typed) {
            let allowed = parsed
                .as_ref()
                .is_some_and(|url| login.origins.contains(&url.origin()));
            if !allowed {
                return Some(Rule::OffLoginOrigins);
            }
        }
        let environment = self.read_only.as_ref()?;
        if SAFE_METHODS.contains(&method.to_ascii_uppercase().as_str()) {
            return None;
        }
        let without_fragment = |url: &Url| {
            let mut url = url.clone();
            url.set_fragment(None);
            url
        };
        let is_login_post = match (
            self.login.as_ref().and_then(|login| login.post_to.as_ref()),
            &parsed,
        ) {
            (Some(post_to), Some(url)) => without_fragment(post_to) == without_fragment(url),
            _ => false,
        };
        (!is_login_post).then(|| Rule::ReadOnly(environment.clone()))
    }
}

type Replies = HashMap<u64, oneshot::Sender<Result<Value, String>>>;

struct Shared {
    outgoing: mpsc::UnboundedSender<Message>,
    rules: Mutex<Rules>,
    replies: Mutex<Replies>,
    next_id: AtomicU64,
    /// Set when the connection ended: from then on the browser's requests go unguarded.
    lost: AtomicBool,
}

/// A session's guard; the connection closes when it is dropped.
pub(crate) struct RequestGuard {
    shared: Arc<Shared>,
    tasks: [JoinHandle<()>; 2],
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A form login, or a single sign-on through the identity provider's pages: documents and
/// workers connect only to the origins that may receive the password, and once it is typed
/// nothing at all goes elsewhere. Ends when dropped.
pub(crate) struct LoginWindow<'a> {
    guard: &'a RequestGuard,
}

impl LoginWindow<'_> {
    /// The password, or after it the one-time code, is about to be typed: requests to other
    /// origins are failed from now on, and on a read-only environment the form's own post (to
    /// `target`) is let through.
    pub fn secret_typed(&self, target: &Url) {
        if let Some(login) = self.guard.rules().login.as_mut() {
            login.typed = true;
            login.post_to = Some(target.clone());
        }
    }
}

impl LoginWindow<'_> {
    /// Leaves the login's rules in force for as long as the session lives: for a session whose
    /// login page could not be left, which is then quit rather than reused.
    pub fn keep_until_the_session_ends(self) {
        std::mem::forget(self);
    }
}

impl Drop for LoginWindow<'_> {
    fn drop(&mut self) {
        self.guard.rules().login = None;
    }
}

impl RequestGuard {
    /// Connects to the browser behind `driver` and intercepts its every request from now on.
    pub async fn start(
        driver: &WebDriver,
        http: &reqwest::Client,
        read_only: Option<String>,
        deadline: Deadline,
    ) -> Result<Self, StepFailure> {
        let unreachable = |why: String| {
            StepFailure::configuration(format!(
                "the browser started but its DevTools could not be reached to guard its requests: {why}"
            ))
            .with(
                "hint",
                "a read-only environment, `browser.login_form` and roles that log in by HTTP authentication or a header need Chromium's DevTools on an address this machine reaches (chromedriver's `debuggerAddress`, or a Selenium Grid's `se:cdp`)",
            )
        };
        let address = deadline
            .run(devtools_address(driver, http))
            .await
            .ok_or_else(|| deadline.exceeded("the browser's DevTools did not answer"))?
            .map_err(unreachable)?;
        let (socket, _) = deadline
            .run(tokio_tungstenite::connect_async(address.as_str()))
            .await
            .ok_or_else(|| deadline.exceeded("the browser's DevTools did not answer"))?
            .map_err(|error| unreachable(format!("{address}: {error}")))?;
        let (mut sink, mut stream) = socket.split();
        let (outgoing, mut queued) = mpsc::unbounded_channel::<Message>();
        let shared = Arc::new(Shared {
            outgoing,
            rules: Mutex::new(Rules {
                read_only,
                ..Rules::default()
            }),
            replies: Mutex::default(),
            next_id: AtomicU64::new(1),
            lost: AtomicBool::new(false),
        });
        let writer = tokio::spawn(async move {
            while let Some(message) = queued.recv().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let reader = tokio::spawn({
            let shared = Arc::clone(&shared);
            async move {
                while let Some(Ok(message)) = stream.next().await {
                    match message {
                        Message::Text(text) => shared.receive(text.as_str()),
                        Message::Close(_) => break,
                        _ => {}
                    }
                }
                shared.lost.store(true, Ordering::SeqCst);
                lock(&shared.replies).clear();
            }
        });
        let guard = Self {
            shared,
            tasks: [writer, reader],
        };
        guard
            .command(
                "Fetch.enable",
                json!({
                    "patterns": [
                        { "urlPattern": "*", "requestStage": "Request" },
                        { "urlPattern": "*", "requestStage": "Response" },
                    ],
                    "handleAuthRequests": true,
                }),
                deadline,
            )
            .await
            .map_err(|why| unreachable(format!("it refused to intercept requests ({why})")))?;
        Ok(guard)
    }

    /// The HTTP credentials the session's requests carry from now on (`None`: none at all).
    pub fn send_credentials(&self, credentials: Option<Arc<HttpCredentials>>) {
        let mut rules = self.rules();
        rules.credentials = credentials;
        rules.answered.clear();
    }

    /// Starts a form login whose password may reach `origins` only; call it before the login
    /// page is loaded, so that page and its workers come with the connection policy.
    pub fn login_window(&self, origins: &[Origin]) -> LoginWindow<'_> {
        self.rules().login = Some(LoginRules {
            origins: origins.to_vec(),
            typed: false,
            post_to: None,
        });
        LoginWindow { guard: self }
    }

    /// Ends the service workers of `origins`: one may have been handed the password by the login
    /// page and keep it past the login. The browser's own DevTools target cannot clear a site's
    /// data, so this goes through a page of the session.
    pub async fn end_service_workers(
        &self,
        origins: &[Origin],
        deadline: Deadline,
    ) -> Result<(), StepFailure> {
        let failed = |why: String| {
            StepFailure::new(format!(
                "the browser did not end the login page's service workers: {why}"
            ))
        };
        let targets = self
            .command("Target.getTargets", json!({}), deadline)
            .await
            .map_err(failed)?;
        let page = targets["targetInfos"]
            .as_array()
            .and_then(|targets| targets.iter().find(|target| target["type"] == "page"))
            .and_then(|target| target["targetId"].as_str())
            .ok_or_else(|| failed("the browser shows no page".to_owned()))?;
        let attached = self
            .command(
                "Target.attachToTarget",
                json!({ "targetId": page, "flatten": true }),
                deadline,
            )
            .await
            .map_err(failed)?;
        let session = attached["sessionId"].as_str().unwrap_or_default().to_owned();
        let mut cleared = Ok(());
        for origin in origins {
            let params = json!({ "origin": origin.ascii_serialization(), "storageTypes": "service_workers" });
            cleared = cleared.and(
                self.shared
                    .command_in(&session, "Storage.clearDataForOrigin", params, deadline)
                    .await
                    .map(drop),
            );
        }
        let _ = self
            .command(
                "Target.detachFromTarget",
                json!({ "sessionId": session }),
                deadline,
            )
            .await;
        cleared.map_err(failed)
    }

    /// The requests failed since the last call, oldest first; a lost connection is a failure
    /// of its own, since from then on nothing is guarded.
    pub fn take_refused(&self) -> Result<Vec<Refused>, StepFailure> {
        if self.shared.lost.load(Ordering::SeqCst) {
            return Err(StepFailure::connection(
                "the browser's DevTools connection that guards its requests was lost: nothing it sent since can be vouched for",
            ));
        }
        Ok(std::mem::take(&mut self.rules().refused))
    }

    fn rules(&self) -> std::sync::MutexGuard<'_, Rules> {
        lock(&self.shared.rules)
    }

    async fn command(&self, method: &str, params: Value, deadline: Deadline) -> Result<Value, String> {
        self.shared.command(method, params, deadline).await
    }
}

impl Shared {
    /// Sends one DevTools command to the browser and waits, by `deadline`, for its answer.
    async fn command(&self, method: &str, params: Value, deadline: Deadline) -> Result<Value, String> {
        self.command_in("", method, params, deadline).await
    }

    /// A command to the attached target `session` (the browser itself when empty).
    async fn command_in(
        &self,
        session: &str,
        method: &str,
        params: Value,
        deadline: Deadline,
    ) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let (answer, answered) = oneshot::channel();
        lock(&self.replies).insert(id, answer);
        let mut frame = json!({ "id": id, "method": method, "params": params });
        if !session.is_empty() {
            frame["sessionId"] = json!(session);
        }
        let _ = self.outgoing.send(Message::text(frame.to_string()));
        match deadline.run(answered).await {
            Some(Ok(answer)) => answer,
            Some(Err(_)) => Err("the connection closed".to_owned()),
            None => {
                lock(&self.replies).remove(&id);
                Err(format!("no answer within {deadline}"))
            }
        }
    }

    fn send(&self, id: u64, method: &str, params: Value) {
        let frame = json!({ "id": id, "method": method, "params": params });
        let _ = self.outgoing.send(Message::text(frame.to_string()));
    }

    /// One message from the browser: an answer to a command, or a request waiting for a verdict.
    fn receive(self: &Arc<Self>, text: &str) {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return;
        };
        if let Some(id) = message["id"].as_u64() {
            if let Some(waiting) = lock(&self.replies).remove(&id) {
                let answer = match message.get("error") {
                    Some(error) => Err(error["message"].as_str().unwrap_or("an error").to_owned()),
                    None => Ok(message["result"].clone()),
                };
                let _ = waiting.send(answer);
            }
            return;
        }
        if message["method"] == "Fetch.requestPaused" {
            self.judge(&message["params"]);
        } else if message["method"] == "Fetch.authRequired" {
            self.answer_challenge(&message["params"]);
        }
    }

    /// Lets a paused request go, or fails it and keeps what it was; a paused response goes on,
    /// during a form login with the connection policy added.
    fn judge(self: &Arc<Self>, paused: &Value) {
        let Some(request_id) = paused["requestId"].as_str() else {
            return;
        };
        let is_response =
            paused.get("responseStatusCode").is_some() || paused.get("responseErrorReason").is_some();
        if is_response {
            let policy = lock(&self.rules).login.as_ref().map(LoginRules::connect_policy);
            match policy.filter(|_| takes_policy(paused)) {
                Some(policy) => {
                    tokio::spawn(Arc::clone(self).deliver_with_policy(paused.clone(), policy));
                }
                None => {
                    let id = self.next_id.fetch_add(1, Ordering::SeqCst);
                    self.send(id, "Fetch.continueRequest", json!({ "requestId": request_id }));
                }
            }
            return;
        }
        let method = paused["request"]["method"].as_str().unwrap_or("GET");
        let url = paused["request"]["url"].as_str().unwrap_or_default();
        let verdict = {
            let mut rules = lock(&self.rules);
            let verdict = rules.verdict(method, url);
            if let Some(rule) = &verdict {
                // Where a password may be in it, only the address's origin is kept.
                let kept = match rule {
                    Rule::OffLoginOrigins => Url::parse(url).map_or_else(
                        |_| "an address".to_owned(),
                        |url| format!("{}/…", url.origin().ascii_serialization()),
                    ),
                    Rule::ReadOnly(_) => url.to_owned(),
                };
                rules.refused.push(Refused {
                    method: method.to_owned(),
                    url: kept,
                    kind: paused["resourceType"].as_str().unwrap_or("Other").to_owned(),
                    redirected: paused.get("redirectedRequestId").is_some(),
                    rule: rule.clone(),
                });
            }
            verdict
        };
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        match verdict {
            None => {
                let mut go_on = json!({ "requestId": request_id });
                if let Some(headers) = self.with_credentials(method, url, &paused["request"]["headers"]) {
                    go_on["headers"] = headers;
                }
                self.send(id, "Fetch.continueRequest", go_on);
            }
            Some(_) => self.send(
                id,
                "Fetch.failRequest",
                json!({ "requestId": request_id, "errorReason": "BlockedByClient" }),
            ),
        }
    }
}

impl Shared {
    /// The request's headers with the role's credentials among them, when it has some for
    /// `url`'s origin; `None` leaves the request as the browser made it.
    fn with_credentials(&self, method: &str, url: &str, headers: &Value) -> Option<Value> {
        let credentials = lock(&self.rules).credentials.clone()?;
        let method = reqwest::Method::from_bytes(method.as_bytes()).ok()?;
        let (name, value) = credentials.header_for(&method, &Url::parse(url).ok()?)?;
        let mut entries: Vec<Value> = headers
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(existing, _)| !existing.eq_ignore_ascii_case(name.as_str()))
            .map(|(name, value)| json!({ "name": name, "value": value }))
            .collect();
        entries.push(json!({ "name": name.as_str(), "value": value.to_str().ok()? }));
        Some(Value::Array(entries))
    }

    /// Answers a server's authentication challenge with the role's user name and password when
    /// its origin may receive them, once per request; every other challenge is cancelled, and
    /// the browser shows the site's own answer.
    fn answer_challenge(&self, challenged: &Value) {
        let Some(request_id) = challenged["requestId"].as_str() else {
            return;
        };
        let login = {
            let mut rules = lock(&self.rules);
            let first_time = rules.answered.insert(request_id.to_owned());
            let from_the_server = challenged["authChallenge"]["source"] != "Proxy";
            let origin = challenged["authChallenge"]["origin"]
                .as_str()
                .and_then(|origin| Url::parse(origin).ok());
            match (&rules.credentials, origin) {
                (Some(credentials), Some(origin)) if first_time && from_the_server => {
                    credentials.login_for_challenge(&origin)
                }
                _ => None,
            }
        };
        let response = match &login {
            Some((username, password)) => json!({
                "response": "ProvideCredentials",
                "username": username,
                "password": password.expose_secret(),
            }),
            None => json!({ "response": "CancelAuth" }),
        };
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        self.send(
            id,
            "Fetch.continueWithAuth",
            json!({ "requestId": request_id, "authChallengeResponse": response }),
        );
    }
}

/// Whether a response is one a policy applies to: a document, or a script (a worker's among
/// them), answered with a body and not a redirect.
fn takes_policy(paused: &Value) -> bool {
    let status = paused["responseStatusCode"].as_u64().unwrap_or(0);
    let is_script = paused["responseHeaders"].as_array().is_some_and(|headers| {
        headers.iter().any(|header| {
            header["name"]
                .as_str()
                .is_some_and(|name| name.eq_ignore_ascii_case("content-type"))
                && header["value"]
                    .as_str()
                    .is_some_and(|value| value.contains("javascript"))
        })
    });
    (200..300).contains(&status) && (paused["resourceType"] == "Document" || is_script)
}

impl Shared {
    /// Delivers a paused response with the connection policy among its headers. The browser
    /// reads a response's policies before DevTools may change its headers, so the response is
    /// delivered anew, body and all; one that cannot be is failed, never let through without it.
    async fn deliver_with_policy(self: Arc<Self>, paused: Value, policy: String) {
        let request_id = paused["requestId"].clone();
        let limit = Deadline::after(RESPONSE_LIMIT, crate::deadline::Limit::Step);
        let body = self
            .command("Fetch.getResponseBody", json!({ "requestId": request_id }), limit)
            .await;
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let Ok(body) = body else {
            self.send(
                id,
                "Fetch.failRequest",
                json!({ "requestId": request_id, "errorReason": "BlockedByClient" }),
            );
            return;
        };
        let text = body["body"].as_str().unwrap_or_default();
        let encoded = match body["base64Encoded"].as_bool() {
            Some(true) => text.to_owned(),
            _ => base64::engine::general_purpose::STANDARD.encode(text),
        };
        let mut headers = paused["responseHeaders"].as_array().cloned().unwrap_or_default();
        headers.push(json!({ "name": "Content-Security-Policy", "value": policy }));
        self.send(
            id,
            "Fetch.fulfillRequest",
            json!({
                "requestId": request_id,
                "responseCode": paused["responseStatusCode"],
                "responseHeaders": headers,
                "body": encoded,
            }),
        );
    }
}

/// How long reading a paused response's body may take.
const RESPONSE_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The browser-level DevTools address of the session: a Selenium Grid's `se:cdp`, or what the
/// browser's debugging address says of itself.
async fn devtools_address(driver: &WebDriver, http: &reqwest::Client) -> Result<String, String> {
    let capabilities = driver.capabilities();
    if let Some(Value::String(address)) = capabilities.get("se:cdp") {
        return Ok(address.clone());
    }
    let debugger = capabilities
        .get("goog:chromeOptions")
        .and_then(|options| options.get("debuggerAddress"))
        .and_then(Value::as_str)
        .ok_or(
            "the WebDriver names no debugging address for the browser (`goog:chromeOptions.debuggerAddress`)",
        )?;
    let version = format!("http://{debugger}/json/version");
    let described: Value = http
        .get(&version)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|error| format!("{version}: {error}"))?
        .json()
        .await
        .map_err(|error| format!("{version}: {error}"))?;
    described["webSocketDebuggerUrl"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{version} names no `webSocketDebuggerUrl`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Origin {
        Url::parse(url).expect("url").origin()
    }

    #[test]
    fn a_read_only_environment_lets_through_only_reading_methods() {
        let rules = Rules {
            read_only: Some("production".into()),
            ..Rules::default()
        };
        for method in ["GET", "head", "OPTIONS"] {
            assert_eq!(rules.verdict(method, "https://shop.example/a"), None, "{method}");
        }
        for method in ["POST", "PUT", "DELETE", "PATCH", "PROPFIND"] {
            assert_eq!(
                rules.verdict(method, "https://shop.example/a"),
                Some(Rule::ReadOnly("production".into())),
                "{method}"
            );
        }
    }

    #[test]
    fn a_login_lets_only_its_own_post_through_and_nothing_off_its_origins() {
        let mut rules = Rules {
            read_only: Some("production".into()),
            login: Some(LoginRules {
                origins: vec![origin("https://shop.example"), origin("https://sso.example")],
                typed: true,
                post_to: Some(Url::parse("https://shop.example/login").expect("url")),
            }),
            ..Rules::default()
        };
        assert_eq!(rules.verdict("POST", "https://shop.example/login#x"), None);
        assert_eq!(rules.verdict("GET", "https://sso.example/start"), None);
        assert_eq!(
            rules.verdict("POST", "https://shop.example/other"),
            Some(Rule::ReadOnly("production".into()))
        );
        for url in [
            "https://evil.example/x?p=pw",
            "http://shop.example/login",
            "data:,x",
            "not a url",
        ] {
            assert_eq!(rules.verdict("GET", url), Some(Rule::OffLoginOrigins), "{url}");
        }
        rules.read_only = None;
        assert_eq!(rules.verdict("POST", "https://shop.example/other"), None);
        if let Some(login) = rules.login.as_mut() {
            login.typed = false;
        }
        assert_eq!(
            rules.verdict("GET", "https://cdn.example/font.woff"),
            None,
            "nothing typed yet"
        );
    }
}
