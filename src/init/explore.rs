//! The visit `init --base-url` makes before it writes anything: an anonymous visitor following
//! links from the start page, by the crawl step's own rules (same origin, GET only, no link that
//! looks like it logs out or deletes), one page at a time, within a page count and a deadline.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;
use reqwest::{Client, StatusCode, header};
use shakedown_steps::content::LinkRules;
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

/// What an anonymous visitor found. Paths are relative to the base URL, as features write them.
#[derive(Debug, Default)]
pub struct Visit {
    /// Pages that answered 200, in the order they were reached.
    pub answered: Vec<String>,
    /// Pages that sent the visitor to the login page.
    pub behind_login: Vec<String>,
    /// The login page those redirects lead to (its path, without the query).
    pub login_path: Option<String>,
    pub health: Option<Health>,
    /// Links left alone because they looked like they end a session or change data.
    pub links_skipped: usize,
    /// Why the visit stopped before it ran out of links, if it did.
    pub cut_short: Option<&'static str>,
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
    html: bool,
    body: String,
}

struct Visitor<'a> {
    client: Client,
    base_url: &'a Url,
    bounds: Bounds,
    fetched: usize,
}

/// Visits the site at `base_url`. Fails only when the start page cannot be had at all: a site
/// that cannot be reached gives nothing to write.
pub async fn visit(base_url: &Url, bounds: Bounds) -> Result<Visit, Error> {
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
                visit.answered.push(path);
                if page.html {
                    let links = rules.links_of(&page.body, &url, self.base_url);
                    visit.links_skipped += links.skipped;
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
                    visit.behind_login.push(path);
                    visit.login_path.get_or_insert(target_path);
                } else if seen.insert(target.clone()) {
                    queue.push_back((target, None));
                }
            }
        }
        visit
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
            let html = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.contains("html"));
            let body = response.text().await?;
            Ok::<_, reqwest::Error>(Fetched {
                status,
                location,
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
    fn a_page_with_a_password_field_is_a_login_page() {
        assert!(PASSWORD_FIELD.is_match(r#"<form><input name="p" type="password"></form>"#));
        assert!(PASSWORD_FIELD.is_match("<INPUT TYPE=Password name=p>"));
        assert!(!PASSWORD_FIELD.is_match(r#"<input type="text" name="password">"#));
    }
}
