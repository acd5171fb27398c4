//! The visit `init --base-url` makes before it writes anything: an anonymous visitor following
//! links from the start page, by the crawl step's own rules (same origin, GET only, no link that
//! looks like it logs out or deletes), one page at a time, within a page count and a deadline.
//! Each page that answers is read against the run's forbidden-content rules, and its address
//! against what expires, so that only checks that pass today, and tomorrow, are written.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use reqwest::{Client, StatusCode, header};
use shakedown_steps::content::{Finding, LinkRules, RuleSet, Variable, decoded_target, variable_part};
use tokio::time::Instant;
use url::Url;

use crate::error::Error;

/// Where sites commonly answer a monitor, tried in this order; the first that answers 200 wins.
const HEALTH_PATHS: [&str; 4] = ["/health", "/healthz", "/api/health", "/status"];

/// A page with a password field is a login page: what a redirect there means is "log in first".
static PASSWORD_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)<input\b[^>]*\btype\s*=\s*["']?password\b"#).expect("the password pattern is valid")
});

/// No single request waits longer than this, even with time left before the deadline.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How far the visit may go.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_pages: usize,
    pub deadline: Instant,
}

/// Query parameters that carry a visitor's session or a one-time key: a link holding one leads
/// nowhere for the next visitor.
const SESSION_PARAMETERS: &[&str] = &[
    "sid",
    "session",
    "sessionid",
    "session_id",
    "jsessionid",
    "phpsessid",
    "token",
    "csrf",
    "csrftoken",
    "_csrf",
    "csrf_token",
    "__form_token",
    "nonce",
];

/// What an anonymous visitor found. Paths are relative to the base URL, as features write them.
#[derive(Debug, Default)]
pub struct Visit {
    /// Pages that answered 200 with nothing forbidden, at addresses that last, in the order they
    /// were reached.
    pub answered: Vec<String>,
    /// Pages that sent the visitor to the login page.
    pub behind_login: Vec<String>,
    /// The login page those redirects lead to (its path, without the query).
    pub login_path: Option<String>,
    /// Pages that ask for HTTP authentication (a 401 with `WWW-Authenticate`), with the
    /// challenge's scheme (`Basic`).
    pub http_auth: Vec<(String, String)>,
    /// Pages that answered and are not in the feature, with the reason.
    pub left_out: Vec<LeftOut>,
    pub health: Option<Health>,
    /// Distinct links left alone because they looked like they end a session or change data.
    pub links_skipped: usize,
    /// Why the visit stopped before it ran out of links, if it did.
    pub cut_short: Option<&'static str>,
}

/// A page the visit reached and the feature does not check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftOut {
    /// As the feature would have written it; the query cut off when it holds a session or a
    /// token, which is nobody's business in a file.
    pub path: String,
    pub why: Why,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The forbidden-content rules fired on it; the crawl should pass it by (`crawl_skip`
    /// gets this pattern) until it is fixed.
    Forbidden {
        findings: Vec<Finding>,
        skip_pattern: String,
    },
    /// Its address will not lead to the same page tomorrow: why.
    Expires(String),
    /// It answered with a server error.
    ServerError(StatusCode),
}

/// The health endpoint that answered, and its JSON `status` when it gives one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub path: String,
    pub status: Option<String>,
}

/// One GET, without following redirects.
struct Fetched {
    status: StatusCode,
    location: Option<Url>,
    /// The scheme of a `WWW-Authenticate` challenge (`Basic`, `Digest`).
    challenge: Option<String>,
    html: bool,
    body: String,
}

struct Visitor<'a> {
    client: Client,
    base_url: &'a Url,
    bounds: Bounds,
    rules: &'a RuleSet,
    fetched: usize,
}

/// Visits the site at `base_url`, reading each page against `rules`. Fails only when the start
/// page cannot be had at all: a site that cannot be reached gives nothing to write.
pub async fn visit(base_url: &Url, bounds: Bounds, rules: &RuleSet) -> Result<Visit, Error> {
    let unreachable = |problem: String| Error::SiteUnreachable {
        url: base_url.to_string(),
        problem,
    };
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("shakedown-init/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| unreachable(format!("cannot build an HTTP client: {error}")))?;
    let mut visitor = Visitor {
        client,
        base_url,
        bounds,
        rules,
        fetched: 0,
    };
    let start = visitor.fetch(base_url).await.map_err(unreachable)?;
    match start.status {
        status if status.is_success() || status.is_redirection() => {}
        status => {
            return Err(unreachable(format!(
                "it answered {status}; `init` writes checks that pass on a healthy site"
            )));
        }
    }
    if let Some(location) = &start.location
        && location.origin() != base_url.origin()
    {
        return Err(unreachable(format!(
            "it redirects to `{location}`, another site: run `init` with that address"
        )));
    }
    let mut visit = visitor.follow_links(start).await;
    visit.health = visitor.health().await;
    if let Some(health) = &visit.health {
        visit.answered.retain(|page| *page != health.path);
    }
    Ok(visit)
}

impl Visitor<'_> {
    async fn follow_links(&mut self, start: Fetched) -> Visit {
        let mut visit = Visit::default();
        let rules = LinkRules::default();
        let mut skipped = HashSet::new();
        let mut login_pages: HashMap<String, bool> = HashMap::new();
        let mut seen = HashSet::from([self.base_url.clone()]);
        let mut queue = VecDeque::from([(self.base_url.clone(), Some(start))]);
        while let Some((url, already)) = queue.pop_front() {
            let page = match already {
                Some(page) => page,
                None => match self.next_fetch(&url, &mut visit).await {
                    Some(page) => page,
                    None if visit.cut_short.is_some() => break,
                    None => continue,
                },
            };
            let Some(path) = self.relative(&url) else {
                continue;
            };
            if page.status == StatusCode::OK {
                match self.left_out(&url, &page) {
                    Some(why) => visit.left_out.push(LeftOut {
                        path: shown(&path, &why),
                        why,
                    }),
                    None => visit.answered.push(path),
                }
                if page.html {
                    let links = rules.links_of(&page.body, &url, self.base_url);
                    skipped.extend(links.skipped.into_iter().map(|(link, _)| link));
                    queue.extend(
                        links
                            .follow
                            .into_iter()
                            .filter(|link| self.relative(link).is_some() && seen.insert(link.clone()))
                            .map(|link| (link, None)),
                    );
                }
            } else if let Some(target) = page
                .location
                .filter(|target| target.origin() == self.base_url.origin())
            {
                let Some(target_path) = self.relative(&target).map(|path| without_query(&path)) else {
                    continue;
                };
                let is_login = match login_pages.get(&target_path) {
                    Some(known) => *known,
                    None => {
                        let Some(login) = self.next_fetch(&target, &mut visit).await else {
                            continue;
                        };
                        let is_login = login.status.is_success() && PASSWORD_FIELD.is_match(&login.body);
                        login_pages.insert(target_path.clone(), is_login);
                        is_login
                    }
                };
                if is_login {
                    match expires(&url) {
                        Some(why) => visit.left_out.push(LeftOut {
                            path: without_query(&path),
                            why: Why::Expires(why),
                        }),
                        None => visit.behind_login.push(path),
                    }
                    visit.login_path.get_or_insert(target_path);
                } else if seen.insert(target.clone()) {
                    queue.push_back((target, None));
                }
            } else if page.status == StatusCode::UNAUTHORIZED
                && let Some(scheme) = page.challenge
            {
                visit.http_auth.push((without_query(&path), scheme));
            } else if page.status.is_server_error() {
                visit.left_out.push(LeftOut {
                    path,
                    why: Why::ServerError(page.status),
                });
            }
        }
        visit.links_skipped = skipped.len();
        visit
    }

    /// Why a page that answered 200 is not one to write, if it is not: its address expires, or
    /// the forbidden-content rules fire on it.
    fn left_out(&self, url: &Url, page: &Fetched) -> Option<Why> {
        if let Some(why) = expires(url) {
            return Some(Why::Expires(why));
        }
        let findings = self.rules.scan_body(url.path(), &page.body, page.html);
        (!findings.is_empty()).then(|| Why::Forbidden {
            findings,
            skip_pattern: format!("^{}$", regex::escape(&decoded_target(url))),
        })
    }

    /// Fetches unless a bound says stop (then says which, in `visit`); a page that fails is
    /// passed over.
    async fn next_fetch(&mut self, url: &Url, visit: &mut Visit) -> Option<Fetched> {
        if self.fetched >= self.bounds.max_pages {
            visit.cut_short = Some("the page limit");
            return None;
        }
        if Instant::now() >= self.bounds.deadline {
            visit.cut_short = Some("the time limit");
            return None;
        }
        self.fetch(url).await.ok()
    }

    async fn health(&mut self) -> Option<Health> {
        for path in HEALTH_PATHS {
            let url = self.base_url.join(path.trim_start_matches('/')).ok()?;
            if Instant::now() >= self.bounds.deadline {
                return None;
            }
            let Ok(answer) = self.fetch(&url).await else {
                continue;
            };
            if answer.status == StatusCode::OK {
                let status = serde_json::from_str::<serde_json::Value>(&answer.body)
                    .ok()
                    .and_then(|json| json.get("status")?.as_str().map(str::to_owned));
                return Some(Health {
                    path: path.to_owned(),
                    status,
                });
            }
        }
        None
    }

    async fn fetch(&mut self, url: &Url) -> Result<Fetched, String> {
        self.fetched += 1;
        let timeout = REQUEST_TIMEOUT.min(self.bounds.deadline.saturating_duration_since(Instant::now()));
        let request = async {
            let response = self.client.get(url.clone()).timeout(timeout).send().await?;
            let status = response.status();
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| url.join(value).ok());
            let challenge = response
                .headers()
                .get(header::WWW_AUTHENTICATE)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split_whitespace().next())
                .map(str::to_owned);
            let html = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.contains("html"));
            let body = response.text().await?;
            Ok::<_, reqwest::Error>(Fetched {
                status,
                location,
                challenge,
                html,
                body,
            })
        };
        request.await.map_err(|error| {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        })
    }

    /// `url` as a feature writes it: its path under the base URL's, with its query.
    fn relative(&self, url: &Url) -> Option<String> {
        relative_to(self.base_url, url)
    }
}

fn relative_to(base_url: &Url, url: &Url) -> Option<String> {
    if url.origin() != base_url.origin() {
        return None;
    }
    let prefix = base_url.path().trim_end_matches('/');
    let rest = url.path().strip_prefix(prefix)?;
    if !rest.is_empty() && !rest.starts_with('/') {
        return None;
    }
    let path = if rest.is_empty() { "/" } else { rest };
    Some(match url.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    })
}

fn without_query(path: &str) -> String {
    path.split('?').next().unwrap_or(path).to_owned()
}

/// A left-out page's path as a file may show it: without a query that holds a session or a
/// token.
fn shown(path: &str, why: &Why) -> String {
    match why {
        Why::Expires(_) if path.contains('?') => format!("{}?…", without_query(path)),
        _ => path.to_owned(),
    }
}

/// Why `url` will not lead to the same page tomorrow, if it will not: it carries a session, a
/// token or, in its query, a moment (Trac's `/timeline?from=2026-12-06T10:20:30Z`, linked from
/// every page, names the second it was written). Values that may be secrets are never quoted.
fn expires(url: &Url) -> Option<String> {
    let path = url.path().to_ascii_lowercase();
    if let Some(at) = path.find(";jsessionid=").or_else(|| path.find(";sessionid=")) {
        let name = path[at..].split('=').next().unwrap_or_default();
        return Some(format!("its address carries a session (`{name}=`)"));
    }
    for (name, value) in url.query_pairs() {
        if SESSION_PARAMETERS.contains(&name.to_ascii_lowercase().as_str()) {
            return Some(format!(
                "its address carries a session or a one-time key (`{}=`)",
                name.escape_debug()
            ));
        }
        match variable_part(&value) {
            Some(Variable::Moment) => {
                return Some(format!(
                    "its address names a moment (`{}={}`), which a link made today will not name tomorrow",
                    name.escape_debug(),
                    value.escape_debug()
                ));
            }
            Some(Variable::Token) => {
                return Some(format!(
                    "its address carries a token (`{}=`)",
                    name.escape_debug()
                ));
            }
            _ => {}
        }
    }
    let token = url
        .path_segments()
        .into_iter()
        .flatten()
        .any(|segment| variable_part(segment) == Some(Variable::Token));
    token.then(|| "its path carries a token (a long run of hex digits or a UUID)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("url")
    }

    #[test]
    fn pages_are_written_relative_to_the_base_url_and_its_folder() {
        let root = url("http://site.test/");
        assert_eq!(
            relative_to(&root, &url("http://site.test/help/?page=2")).as_deref(),
            Some("/help/?page=2")
        );
        assert_eq!(relative_to(&root, &url("http://else.test/help/")), None);
        let folder = url("http://site.test/app/");
        assert_eq!(
            relative_to(&folder, &url("http://site.test/app/")).as_deref(),
            Some("/")
        );
        assert_eq!(
            relative_to(&folder, &url("http://site.test/app/x/")).as_deref(),
            Some("/x/")
        );
        assert_eq!(relative_to(&folder, &url("http://site.test/application/")), None);
        assert_eq!(relative_to(&folder, &url("http://site.test/other/")), None);
    }

    #[test]
    fn addresses_with_a_moment_a_session_or_a_token_expire_and_the_rest_last() {
        for (address, reason) in [
            (
                "http://site.test/timeline?from=2026-12-06T10%3A20%3A30Z&precision=second",
                "its address names a moment (`from=2026-12-06T10:20:30Z`)",
            ),
            (
                "http://site.test/report?sid=a81f",
                "a session or a one-time key (`sid=`)",
            ),
            (
                "http://site.test/app;jsessionid=A81F0C?x=1",
                "a session (`;jsessionid=`)",
            ),
            ("http://site.test/login?__FORM_TOKEN=abc", "(`__FORM_TOKEN=`)"),
            ("http://site.test/reset?k=3f2a9c0d41b7e8a5", "a token (`k=`)"),
            (
                "http://site.test/share/3f2a9c0d41b7e8a5c0ffee/",
                "its path carries a token",
            ),
        ] {
            let why = expires(&url(address)).unwrap_or_else(|| panic!("{address} lasts"));
            assert!(why.contains(reason), "{address}: {why}");
            assert!(!why.contains("a81f") && !why.contains("A81F0C"), "{why}");
        }
        for lasting in [
            "http://site.test/ticket/17",
            "http://site.test/query?status=new&order=priority",
            "http://site.test/blog/2020-01-01/launch",
            "http://site.test/help/?page=2",
        ] {
            assert_eq!(expires(&url(lasting)), None, "{lasting}");
        }
    }

    #[test]
    fn a_page_with_a_password_field_is_a_login_page() {
        assert!(PASSWORD_FIELD.is_match(r#"<form><input name="p" type="password"></form>"#));
        assert!(PASSWORD_FIELD.is_match("<INPUT TYPE=Password name=p>"));
        assert!(!PASSWORD_FIELD.is_match(r#"<input type="text" name="password">"#));
    }
}
