//! The visit `init --base-url` makes before it writes anything: an anonymous visitor on the crawl
//! step's own crawler, by its rules (same origin, GET only, no link that looks like it logs out
//! or deletes, every shape of address once before any twice, the configuration's default depth)
//! and within the page count and the one deadline of the whole `init`. Each page is sorted as it
//! comes: read against the run's forbidden-content rules, and its address against what expires,
//! so that only checks that pass today, and tomorrow, are written.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use reqwest::StatusCode;
use shakedown_steps::content::{
    Answer, CrawlSettings, Crawler, Finding, Next, Page, Reader, Variable, decoded_target, variable_part,
};
use shakedown_steps::{ContentSettings, Deadline, FailureKind};
use url::Url;

use crate::error::Error;

/// Where sites commonly answer a monitor, tried in this order; the first that answers 200 wins.
const HEALTH_PATHS: [&str; 4] = ["/health", "/healthz", "/api/health", "/status"];

/// A page with a password field is a login page: what a redirect there means is "log in first".
static PASSWORD_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)<input\b[^>]*\btype\s*=\s*["']?password\b"#).expect("the password pattern is valid")
});

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

/// What an anonymous visitor found. Paths are relative to the base URL, as features write them,
/// and in the order of their paths, whatever order the crawl reached them in.
#[derive(Debug, Default)]
pub struct Visit {
    /// Pages that answered 200 with nothing forbidden, at addresses that last.
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

/// Visits the site at `base_url` with `content`, the rules and crawl settings the written
/// configuration keeps, at most `max_pages` pages by `deadline`. Fails only when the start page
/// cannot be had at all: a site that cannot be reached gives nothing to write.
pub async fn visit(
    base_url: &Url,
    content: ContentSettings,
    max_pages: usize,
    deadline: Deadline,
) -> Result<Visit, Error> {
    let unreachable = |problem: String| Error::SiteUnreachable {
        url: base_url.to_string(),
        problem,
    };
    let settings = CrawlSettings {
        max_pages,
        ..content.crawl
    };
    let crawler = Crawler::standalone(content.rules, settings).map_err(unreachable)?;
    let mut sorting = Sorting {
        base_url,
        visit: Visit::default(),
        sorted: HashSet::new(),
        unreachable: None,
    };
    let coverage = crawler.visit(base_url.clone(), deadline, &mut sorting).await;
    if let Some(problem) = sorting.unreachable {
        return Err(unreachable(problem));
    }
    let mut visit = sorting.visit;
    visit.links_skipped = coverage.destructive_links + coverage.configured_skips;
    visit.cut_short = match (coverage.hit_page_limit, coverage.hit_deadline) {
        (true, _) => Some("the page limit"),
        (false, true) => Some("the time limit"),
        (false, false) => None,
    };
    visit.health = health(&crawler, base_url, deadline).await;
    if let Some(health) = &visit.health {
        visit.answered.retain(|page| *page != health.path);
    }
    let order = |one: &str, other: &str| reading_order(one).cmp(&reading_order(other));
    visit.answered.sort_by(|one, other| order(one, other));
    visit.behind_login.sort_by(|one, other| order(one, other));
    visit.http_auth.sort_by(|(one, _), (other, _)| order(one, other));
    visit.left_out.sort_by(|one, other| order(&one.path, &other.path));
    Ok(visit)
}

/// Sorts each page the crawl fetched into what the feature checks and what it leaves out.
struct Sorting<'a> {
    base_url: &'a Url,
    visit: Visit,
    /// Pages sorted already: a redirect may land on a page the crawl also fetches by its link.
    sorted: HashSet<Url>,
    /// Why the start page gave nothing to write, when it did not.
    unreachable: Option<String>,
}

impl Reader for Sorting<'_> {
    fn read(&mut self, page: Page) -> Next {
        let is_start = page.is_start();
        let mut answered = match page.answer {
            Answer::Answered(answered) => answered,
            // Any other page that gave nothing is passed over.
            Answer::LeftTheSite(_) | Answer::Failed(_) if !is_start => return Next::LeaveLinks,
            Answer::LeftTheSite(elsewhere) => {
                return self.unreachable(format!(
                    "it redirects to `{elsewhere}`, another site: run `init` with that address"
                ));
            }
            // The deadline's own message names a run's limit; init has only `--timeout`.
            Answer::Failed(failure) if failure.kind() == FailureKind::Timeout => {
                return self.unreachable("it gave no complete answer within `--timeout`".to_owned());
            }
            Answer::Failed(failure) => return self.unreachable(failure.summary().to_owned()),
        };
        let status = answered.status();
        if is_start && (status.is_client_error() || status.is_server_error()) {
            return self.unreachable(format!(
                "it answered {status}; `init` writes checks that pass on a healthy site"
            ));
        }
        if answered.redirected() && status.is_success() && PASSWORD_FIELD.is_match(answered.body()) {
            self.behind_login(&page.url, &answered.landed);
            return Next::LandingUnread;
        }
        // Anywhere else a redirect leads, the page is the one it landed on, sorted once.
        let Some(path) = relative_to(self.base_url, &answered.landed) else {
            return Next::LeaveLinks;
        };
        if !self.sorted.insert(answered.landed.clone()) {
            return Next::LeaveLinks;
        }
        let visit = &mut self.visit;
        if status == StatusCode::OK {
            let findings = std::mem::take(&mut answered.findings);
            match left_out(&answered.landed, findings) {
                Some(why) => visit.left_out.push(LeftOut {
                    path: shown(&path, &why),
                    why,
                }),
                None => visit.answered.push(path),
            }
            return Next::FollowLinks;
        }
        if status == StatusCode::UNAUTHORIZED
            && let Some(scheme) = answered.challenged_scheme()
        {
            visit.http_auth.push((without_query(&path), scheme));
        } else if status.is_server_error() {
            visit.left_out.push(LeftOut {
                path,
                why: Why::ServerError(status),
            });
        }
        Next::LeaveLinks
    }

    /// Only pages under the base URL's path: the feature's paths are written relative to it.
    fn wants(&self, link: &Url) -> bool {
        relative_to(self.base_url, link).is_some()
    }
}

impl Sorting<'_> {
    /// The start page gave nothing to write: the visit ends with why.
    fn unreachable(&mut self, problem: String) -> Next {
        self.unreachable = Some(problem);
        Next::Stop
    }

    /// `url` sent the visitor to the login page at `login`.
    fn behind_login(&mut self, url: &Url, login: &Url) {
        let (Some(path), Some(login)) = (relative_to(self.base_url, url), relative_to(self.base_url, login))
        else {
            return;
        };
        match expires(url) {
            Some(why) => self.visit.left_out.push(LeftOut {
                path: without_query(&path),
                why: Why::Expires(why),
            }),
            None => self.visit.behind_login.push(path),
        }
        self.visit.login_path.get_or_insert(without_query(&login));
    }
}

/// Why a page that answered 200 is not one to write, if it is not: its address expires, or
/// the forbidden-content rules fired on it.
fn left_out(url: &Url, findings: Vec<Finding>) -> Option<Why> {
    if let Some(why) = expires(url) {
        return Some(Why::Expires(why));
    }
    (!findings.is_empty()).then(|| Why::Forbidden {
        findings,
        skip_pattern: format!("^{}$", regex::escape(&decoded_target(url))),
    })
}

/// The first of the usual health endpoints that answers 200, tried by the visit's crawler and
/// deadline.
async fn health(crawler: &Crawler, base_url: &Url, deadline: Deadline) -> Option<Health> {
    for path in HEALTH_PATHS {
        if deadline.has_passed() {
            return None;
        }
        let url = base_url.join(path.trim_start_matches('/')).ok()?;
        let Answer::Answered(answer) = crawler.fetch(url, deadline).await else {
            continue;
        };
        if answer.status() == StatusCode::OK {
            let status = serde_json::from_str::<serde_json::Value>(answer.body())
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

/// A part of a path as a person orders a list of them: a run of digits by its value.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Chunk<'a> {
    /// Its digits without leading zeros, and how many there are: more digits, a larger number.
    Number(usize, &'a str),
    Text(&'a str),
}

/// `path` as chunks of text and numbers, so that `/help/2/` sorts before `/help/10/`.
fn reading_order(path: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut rest = path;
    while let Some(first) = rest.chars().next() {
        let digits = first.is_ascii_digit();
        let end = rest
            .find(|character: char| character.is_ascii_digit() != digits)
            .unwrap_or(rest.len());
        let (chunk, after) = rest.split_at(end);
        chunks.push(match digits {
            true => {
                let value = chunk.trim_start_matches('0');
                Chunk::Number(value.len(), value)
            }
            false => Chunk::Text(chunk),
        });
        rest = after;
    }
    chunks
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
    fn pages_are_listed_with_their_numbers_in_order_whatever_order_the_crawl_took() {
        let mut pages = vec![
            "/help/?page=2",
            "/help/10/",
            "/help/",
            "/help/2/",
            "/accounts/login/",
            "/",
            "/help/002a/",
        ];
        pages.sort_by(|one, other| reading_order(one).cmp(&reading_order(other)));
        assert_eq!(
            pages,
            [
                "/",
                "/accounts/login/",
                "/help/",
                "/help/2/",
                "/help/002a/",
                "/help/10/",
                "/help/?page=2"
            ]
        );
    }

    #[test]
    fn a_page_with_a_password_field_is_a_login_page() {
        assert!(PASSWORD_FIELD.is_match(r#"<form><input name="p" type="password"></form>"#));
        assert!(PASSWORD_FIELD.is_match("<INPUT TYPE=Password name=p>"));
        assert!(!PASSWORD_FIELD.is_match(r#"<input type="text" name="password">"#));
    }
}
