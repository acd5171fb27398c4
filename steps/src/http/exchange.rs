//! One HTTP exchange as a scenario sees it: the request, every redirect hop (each hop's
//! cookies go into the scenario's jar, a role's HTTP credentials only to their own origins),
//! the final answer and how long it all took.

use std::error::Error as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, Method, StatusCode};
use url::{Origin, Url};

use super::credentials::HttpCredentials;
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::text;

/// Redirects followed before a request is declared to loop.
const MAX_REDIRECTS: usize = 10;
/// Bytes of a body kept; a larger body is cut here so one huge page cannot exhaust memory.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A scenario's HTTP state: who its requests go out as, the last answer it received, and the
/// statuses its steps check (a server error named there is something it expects, not a failure).
#[derive(Default)]
pub(crate) struct HttpState {
    pub visitor: Visitor,
    pub last: Option<Exchange>,
    pub expected_statuses: Vec<u16>,
    /// Whether a check read `last` since the scenario's waiting last asked: a check that waits
    /// for a new answer needs its request sent again, one that reads the server itself not.
    consulted: AtomicBool,
}

impl HttpState {
    /// The last answer, for a check of it.
    pub fn answer(&self) -> Option<&Exchange> {
        self.consulted.store(true, Ordering::Relaxed);
        self.last.as_ref()
    }

    /// Whether a check read the last answer since the previous call.
    pub fn answer_was_read(&self) -> bool {
        self.consulted.swap(false, Ordering::Relaxed)
    }

    /// Forgets every cookie and credential: the scenario continues as an anonymous visitor.
    pub fn forget_cookies(&mut self) {
        self.visitor = Visitor::default();
    }
}

/// Who a request goes out as: a cookie jar, and for a role that logs in by HTTP authentication
/// or a client certificate, those credentials. The default is an anonymous visitor.
#[derive(Clone, Default)]
pub(crate) struct Visitor {
    pub jar: Arc<Jar>,
    /// Basic, Digest or a fixed header, added only on hops to their own origins.
    pub credentials: Option<Arc<HttpCredentials>>,
    /// The role's own connection pool, presenting its client certificate; none uses the run's.
    pub client: Option<Client>,
}

/// Cookies and credentials are secrets: only whether there are any shows.
impl std::fmt::Debug for Visitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Visitor")
            .field("credentials", &self.credentials)
            .field("client_certificate", &self.client.is_some())
            .finish_non_exhaustive()
    }
}

/// One hop of a redirect chain.
#[derive(Debug, Clone)]
pub(crate) struct Redirect {
    pub status: StatusCode,
    pub to: Url,
}

/// A completed request: what was asked, where it ended and what came back.
#[derive(Debug, Clone)]
pub(crate) struct Exchange {
    pub method: Method,
    pub requested: Url,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    pub elapsed: Duration,
    pub redirects: Vec<Redirect>,
    /// Whether the body was cut at its limit ([`MAX_BODY_BYTES`] unless the caller asked for
    /// less): what was not read cannot prove absence.
    pub truncated: bool,
    /// `readable_body`, worked out once: parsing the HTML was most of the cost of a content check.
    pub readable: OnceLock<String>,
}

impl Exchange {
    /// `GET http://host/path → 200 OK in 12 ms`, plus the redirect chain when there was one.
    pub fn describe(&self) -> String {
        let mut line = format!(
            "{} {} → {} in {} ms",
            self.method,
            self.requested,
            self.status,
            self.elapsed.as_millis()
        );
        if !self.redirects.is_empty() {
            let chain: Vec<String> = self
                .redirects
                .iter()
                .map(|hop| format!("{} → {}", hop.status.as_u16(), hop.to))
                .collect();
            line.push_str(&format!("\nredirected: {}", chain.join(", ")));
        }
        line
    }

    /// Why a check that text is absent proves nothing on this body, when it was cut short.
    pub fn cut_short(&self) -> Option<String> {
        self.truncated.then(|| {
            format!(
                "the body of `{} {}` was cut at {} MiB; text past the cut was never read, so its absence proves nothing",
                self.method,
                self.requested.path(),
                MAX_BODY_BYTES / (1024 * 1024)
            )
        })
    }

    /// Where the request ended after its redirects.
    pub fn final_url(&self) -> Url {
        self.redirects
            .last()
            .map_or_else(|| self.requested.clone(), |hop| hop.to.clone())
    }

    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
    }

    /// The body as a person reads it: the visible text of an HTML page, other bodies as sent.
    pub fn readable_body(&self) -> &str {
        self.readable.get_or_init(|| {
            if text::is_html(self.content_type(), &self.body) {
                text::visible_text(&self.body)
            } else {
                self.body.clone()
            }
        })
    }
}

/// What to send.
pub(crate) struct Outgoing {
    pub method: Method,
    pub url: Url,
    pub body: Option<String>,
    /// The body's type; when absent it is told from the body's shape.
    pub content_type: Option<String>,
    /// Where the body may go: a body carrying credentials names the origins it may reach, and a
    /// 307 or 308 that would carry it anywhere else fails before it is followed.
    pub body_stays_within: Option<Vec<Origin>>,
    /// Whether redirects are followed only within the first request's origin: a hop anywhere
    /// else ends the exchange at that redirect, and nothing is sent there.
    pub stays_on_origin: bool,
}

impl Outgoing {
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::GET,
            url,
            body: None,
            content_type: None,
            body_stays_within: None,
            stays_on_origin: false,
        }
    }

    /// A GET whose redirects are followed only within its own origin, as the crawl makes.
    pub fn get_on_this_site(url: Url) -> Self {
        Self {
            stays_on_origin: true,
            ..Self::get(url)
        }
    }
}

/// Sends `outgoing` as `visitor` and follows redirects, every hop by the step's one deadline.
/// `client` is the run's pool, used unless the visitor has its own.
pub(crate) async fn perform(
    client: &Client,
    visitor: &Visitor,
    outgoing: Outgoing,
    deadline: Deadline,
) -> Result<Exchange, StepFailure> {
    perform_reading(client, visitor, outgoing, deadline, MAX_BODY_BYTES).await
}

/// [`perform`], keeping at most `body_limit` bytes of the body: a check that needs only the
/// status, or the start of a style sheet, neither waits for nor holds the rest.
pub(crate) async fn perform_reading(
    client: &Client,
    visitor: &Visitor,
    outgoing: Outgoing,
    deadline: Deadline,
    body_limit: usize,
) -> Result<Exchange, StepFailure> {
    let request_line = format!("{} {}", outgoing.method, outgoing.url);
    let client = visitor.client.as_ref().unwrap_or(client);
    match deadline
        .run(follow_redirects(
            client,
            visitor,
            outgoing,
            body_limit.min(MAX_BODY_BYTES),
        ))
        .await
    {
        Some(result) => result,
        None => Err(deadline
            .exceeded("no complete answer")
            .with("request", request_line)),
    }
}

async fn follow_redirects(
    client: &Client,
    visitor: &Visitor,
    outgoing: Outgoing,
    body_limit: usize,
) -> Result<Exchange, StepFailure> {
    let jar = &*visitor.jar;
    let credentials = visitor.credentials.as_deref();
    let started = Instant::now();
    let requested = outgoing.url.clone();
    let Outgoing {
        mut method,
        mut url,
        mut body,
        content_type,
        body_stays_within,
        stays_on_origin,
    } = outgoing;
    let home = requested.origin();
    let first_method = method.clone();
    let mut redirects = Vec::new();
    loop {
        let send = || {
            let mut request = client.request(method.clone(), url.clone());
            if let Some(cookies) = jar.cookies(&url) {
                request = request.header(COOKIE, cookies);
            }
            // Added here, hop by hop, so a redirect elsewhere never carries them.
            if let Some((name, value)) =
                credentials.and_then(|credentials| credentials.header_for(&method, &url))
            {
                request = request.header(name, value);
            }
            if let Some(body) = &body {
                let kind = content_type.as_deref().unwrap_or_else(|| content_type_of(body));
                request = request.header(CONTENT_TYPE, kind).body(body.clone());
            }
            request.send()
        };
        let mut response = send()
            .await
            .map_err(|error| transport_failure(&method, &url, &error))?;
        // A Digest challenge (the first, or a stale nonce) is answered once; a second 401 stands.
        let challenged = response.status() == StatusCode::UNAUTHORIZED
            && credentials.is_some_and(|credentials| credentials.take_challenge(&url, response.headers()));
        if challenged {
            response = send()
                .await
                .map_err(|error| transport_failure(&method, &url, &error))?;
        }
        jar.set_cookies(&mut response.headers().get_all(SET_COOKIE).iter(), &url);
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| url.join(value).ok());
        if let (true, Some(next)) = (status.is_redirection(), location) {
            if redirects.len() == MAX_REDIRECTS {
                return Err(StepFailure::new(format!("more than {MAX_REDIRECTS} redirects"))
                    .with("request", format!("{first_method} {requested}"))
                    .with("last hop", format!("{} → {next}", status.as_u16())));
            }
            // Browsers turn a redirected form post into a GET; 307 and 308 keep the method.
            let keeps_body = matches!(
                status,
                StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT
            );
            if let (true, Some(_), Some(allowed)) = (keeps_body, &body, &body_stays_within) {
                confine(&url, &next, status, allowed)?;
            }
            if !keeps_body {
                if method != Method::HEAD {
                    method = Method::GET;
                }
                body = None;
            }
            let leaves = stays_on_origin && next.origin() != home;
            redirects.push(Redirect {
                status,
                to: next.clone(),
            });
            if !leaves {
                url = next;
                continue;
            }
        }
        let headers = response.headers().clone();
        let (body, truncated) = read_body(response, body_limit)
            .await
            .map_err(|error| transport_failure(&method, &url, &error))?;
        return Ok(Exchange {
            method: first_method,
            requested,
            status,
            headers,
            body,
            elapsed: started.elapsed(),
            redirects,
            truncated,
            readable: OnceLock::new(),
        });
    }
}

/// Refuses a redirect that would resend a credential-bearing body to an origin not allowed.
fn confine(from: &Url, to: &Url, status: StatusCode, allowed: &[Origin]) -> Result<(), StepFailure> {
    if allowed.contains(&to.origin()) {
        return Ok(());
    }
    Err(StepFailure::configuration(format!(
        "refused to follow a {} redirect from {} to {}: it would resend the credentials to another origin",
        status.as_u16(),
        from.origin().ascii_serialization(),
        to.origin().ascii_serialization()
    ))
    .with("redirect", format!("{from} → {to}"))
    .with(
        "hint",
        "if that origin is the site's own single sign-on, name it in `login.allowed_origins`",
    ))
}

/// The body, and whether it was cut at `limit` bytes.
async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<(String, bool), reqwest::Error> {
    // Sized from the announced length, the body is read without regrowing; up to 1 MiB only, so
    // a length that lies costs nothing.
    let announced = response
        .content_length()
        .unwrap_or(0)
        .min(1 << 20)
        .min(u64::try_from(limit).unwrap_or(u64::MAX));
    let mut bytes = Vec::with_capacity(usize::try_from(announced).unwrap_or(0));
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await? {
        let room = limit - bytes.len();
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if chunk.len() > room {
            truncated = true;
            break;
        }
    }
    // A body in UTF-8, nearly every one, becomes the text without a copy.
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned());
    Ok((text, truncated))
}

/// The content type a doc string's media type names (`json` in `"""json`): a known short
/// name, or a full `type/subtype` as written; `None` for anything else, so the body's shape
/// decides.
pub(crate) fn content_type_named(media_type: &str) -> Option<String> {
    let known = match media_type.to_ascii_lowercase().as_str() {
        "json" => "application/json",
        "xml" => "application/xml",
        "html" => "text/html; charset=utf-8",
        "text" | "txt" | "plain" => "text/plain; charset=utf-8",
        "form" => "application/x-www-form-urlencoded",
        "yaml" | "yml" => "application/yaml",
        "csv" => "text/csv",
        _ => {
            let token = |part: &str| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
            };
            let (kind, subtype) = media_type.split_once('/')?;
            return (token(kind) && token(subtype)).then(|| media_type.to_owned());
        }
    };
    Some(known.to_owned())
}

/// JSON bodies are announced as JSON, `a=1&b=2` as a submitted form, anything else as text.
fn content_type_of(body: &str) -> &'static str {
    let trimmed = body.trim();
    if serde_json::from_str::<serde_json::Value>(trimmed).is_ok() {
        "application/json"
    } else if trimmed.contains('=') && !trimmed.contains(char::is_whitespace) {
        "application/x-www-form-urlencoded"
    } else {
        "text/plain; charset=utf-8"
    }
}

fn transport_failure(method: &Method, url: &Url, error: &reqwest::Error) -> StepFailure {
    let server = url.host_str().unwrap_or_default();
    let reason = crate::tls::in_error_chain(error, server).unwrap_or_else(|| error_chain(error));
    StepFailure::connection(format!("the request could not be completed: {reason}"))
        .with("request", format!("{method} {url}"))
}

/// The error and its causes on one line, without the repeats reqwest's layers add.
fn error_chain(error: &reqwest::Error) -> String {
    let mut parts: Vec<String> = vec![message_without_url(error)];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// reqwest puts the URL in its message; the failure shows it on its own line already.
fn message_without_url(error: &reqwest::Error) -> String {
    let text = error.to_string();
    match text.split_once(" for url (") {
        Some((head, _)) => head.to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_announced_by_their_shape() {
        assert_eq!(content_type_of("{\"a\": 1}\n"), "application/json");
        assert_eq!(
            content_type_of("username=clerk&password=x"),
            "application/x-www-form-urlencoded"
        );
        assert_eq!(content_type_of("hello there = you"), "text/plain; charset=utf-8");
        assert_eq!(content_type_named("json").as_deref(), Some("application/json"));
        assert_eq!(
            content_type_named("application/vnd.api+json").as_deref(),
            Some("application/vnd.api+json")
        );
        assert_eq!(content_type_named("no such thing"), None);
        assert_eq!(content_type_named("text/html\r\nX-Evil: 1"), None);
    }
}
