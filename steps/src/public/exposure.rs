//! Files that must never be public: version-control folders, environment and settings files,
//! server status pages, dumps, and backup and editor copies of the site's own pages, each asked
//! for as an anonymous visitor. A path is exposed when it answers 2xx, at its own address, with
//! something that is neither the site's ordinary not-found page (the answer to a random path
//! beside it, compared by status and by its words with every echo of the path taken out, so a
//! "soft 404" page that answers 200 everywhere is no finding) nor a login page; where the
//! content proves what it is (a `.git/HEAD` starting with `ref:`), the failure says so. A server
//! error proves nothing either way: that path is "could not tell". Only GET is ever sent.

use std::collections::hash_map::RandomState;
use std::collections::{BTreeSet, HashMap};
use std::hash::BuildHasher;

use futures::StreamExt;
use reqwest::Client;
use scraper::{Html, Selector};
use url::Url;

use super::served::{self, Served};
use crate::content::Allowance;
use crate::deadline::Deadline;
use crate::failure::{FailureKind, StepFailure};
use crate::http::{Exchange, Outgoing, REQUESTS_AT_ONCE, Visitor, perform_reading};
use crate::text;

/// The site's own pages whose backup and editor copies are asked for.
const MAX_OWN_PAGES: usize = 10;
/// Share of words two answers have in common above which they are the same page.
const SAME_PAGE: f64 = 0.9;
/// Bytes of an answer compared word by word.
const COMPARED_BYTES: usize = 64 * 1024;

/// The paths every site is asked for: version control, environment and settings files, server
/// pages, a macOS folder index, dumps, and the usual copies of a PHP front page.
pub const BUILT_IN_PATHS: &[&str] = &[
    "/.git/HEAD",
    "/.git/config",
    "/.svn/entries",
    "/.hg/requires",
    "/.env",
    "/.env.production",
    "/config.php.bak",
    "/wp-config.php~",
    "/settings.py",
    "/server-status",
    "/server-info",
    "/phpinfo.php",
    "/nginx_status",
    "/.DS_Store",
    "/backup.sql",
    "/dump.sql",
    "/index.php.bak",
    "/index.php~",
    "/.index.php.swp",
];

/// File endings of pages a server builds from a file of the same name, whose editor and backup
/// copies hold that file's source.
const PAGE_ENDINGS: &[&str] = &[
    "php", "phtml", "html", "htm", "shtml", "asp", "aspx", "jsp", "cfm", "cgi", "pl", "py",
];

/// `[exposure]`: paths asked for besides the built-in ones, and paths public on purpose.
#[derive(Debug, Clone, Default)]
pub struct ExposureSettings {
    /// Paths (`/backup.tar.gz`) asked for besides [`BUILT_IN_PATHS`].
    pub paths: Vec<String>,
    /// Paths never reported, with everything under them (`/downloads/`, `*` within a segment).
    pub allow: Vec<String>,
}

/// One address asked for, and why.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub url: Url,
    /// Where it came from, when not the built-in list: `[exposure] paths`, a page's backup, a
    /// file found on the server.
    pub because: Option<String>,
}

/// The backup and editor copies (`X.bak`, `.X.swp`, `X~`) of the pages `start_page` links to on
/// its own site, and of itself, for up to [`MAX_OWN_PAGES`] pages named like files.
pub(super) fn own_page_copies(start_page: &Exchange) -> Vec<Candidate> {
    static LINKS: std::sync::LazyLock<Selector> =
        std::sync::LazyLock::new(|| Selector::parse("a[href]").expect("a valid selector"));
    let landed = start_page.final_url();
    let mut pages = vec![landed.clone()];
    if text::is_html(start_page.content_type(), &start_page.body) {
        let document = Html::parse_document(&start_page.body);
        pages.extend(
            document
                .select(&LINKS)
                .filter_map(|link| landed.join(link.attr("href")?).ok())
                .filter(|link| link.origin() == landed.origin()),
        );
    }
    let mut seen = BTreeSet::new();
    pages
        .into_iter()
        .filter(|page| {
            let name = file_name(page);
            name.rsplit_once('.')
                .is_some_and(|(_, ending)| PAGE_ENDINGS.contains(&ending.to_ascii_lowercase().as_str()))
        })
        .filter(|page| seen.insert(page.path().to_owned()))
        .take(MAX_OWN_PAGES)
        .flat_map(|page| {
            let name = file_name(&page).to_owned();
            [format!("{name}.bak"), format!(".{name}.swp"), format!("{name}~")]
                .into_iter()
                .filter_map(move |copy| {
                    let url = page.join(&copy).ok()?;
                    Some(Candidate {
                        url,
                        because: Some(format!("a copy of {}", page.path())),
                    })
                })
        })
        .collect()
}

/// The last segment of a URL's path: the file a page is named after.
fn file_name(url: &Url) -> &str {
    url.path().rsplit('/').next().unwrap_or_default()
}

/// The candidates less those `allow` covers (paths as sent), each address once.
pub(super) fn without_allowed(candidates: Vec<Candidate>, allow: &[Url]) -> Vec<Candidate> {
    let allowances: Vec<Allowance> = allow
        .iter()
        .map(|url| Allowance {
            path: url.path().to_owned(),
            rules: Vec::new(),
        })
        .collect();
    let mut seen = BTreeSet::new();
    candidates
        .into_iter()
        .filter(|candidate| {
            !allowances
                .iter()
                .any(|allowance| allowance.covers(candidate.url.path()))
        })
        .filter(|candidate| seen.insert(candidate.url.to_string()))
        .collect()
}

/// What one address turned out to be.
#[derive(Debug)]
enum Look {
    /// Not served: refused, not found, sent elsewhere, empty, a login page.
    Clean,
    /// Served, and its content proves what it is.
    Proven(Exchange, Served),
    /// Served with content that proves nothing by itself: it is exposed unless it is the page
    /// a random path beside it gets.
    Unproven(Exchange, Served),
    /// Could not tell: a server error, no complete answer.
    Unknown(String, FailureKind),
    /// The deadline came before it was asked for.
    NotAsked,
}

/// What the check found, path by path.
#[derive(Debug, Default)]
pub(super) struct Findings {
    /// `URL → status: what it is`, for each exposed file.
    pub exposed: Vec<String>,
    /// `URL: why it could not be told`, and the kind of trouble.
    pub unknown: Vec<(String, FailureKind)>,
    /// Addresses the deadline left unasked.
    pub not_asked: usize,
    /// Addresses asked for.
    pub asked: usize,
    /// The random paths answers were compared with, and what each answered.
    pub compared_with: Vec<String>,
}

impl Findings {
    pub(super) fn could_not_tell(&mut self, line: String, kind: FailureKind) {
        self.unknown.push((line, kind));
    }
}

/// Asks for every candidate as an anonymous visitor, all by `deadline`.
pub(super) async fn inspect(
    client: &Client,
    candidates: &[Candidate],
    deadline: Deadline,
    findings: &mut Findings,
) {
    let looks: Vec<Look> = futures::stream::iter(candidates)
        .map(|candidate| first_look(client, candidate, deadline))
        .buffered(REQUESTS_AT_ONCE)
        .collect()
        .await;
    let mut baselines: HashMap<Url, Result<Exchange, StepFailure>> = HashMap::new();
    let beside: Vec<Url> = looks
        .iter()
        .filter_map(|look| match look {
            Look::Unproven(exchange, _) => Some(random_beside(&exchange.requested)),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let fetched: Vec<(Url, Result<Exchange, StepFailure>)> = futures::stream::iter(beside)
        .map(|random| async move { (random.clone(), get(client, random, deadline).await) })
        .buffered(REQUESTS_AT_ONCE)
        .collect()
        .await;
    for (random, answer) in fetched {
        findings.compared_with.push(match &answer {
            Ok(exchange) => format!("GET {random} → {}", exchange.status),
            Err(failure) => format!("GET {random}: {}", failure.summary()),
        });
        baselines.insert(random, answer);
    }
    for (candidate, look) in candidates.iter().zip(looks) {
        let because = candidate
            .because
            .as_ref()
            .map_or_else(String::new, |because| format!(" ({because})"));
        match look {
            Look::Clean => findings.asked += 1,
            Look::NotAsked => findings.not_asked += 1,
            Look::Unknown(why, kind) => {
                findings.asked += 1;
                findings.could_not_tell(format!("{}{because} {why}", candidate.url), kind);
            }
            Look::Proven(exchange, served) => {
                findings.asked += 1;
                findings.exposed.push(exposed_line(
                    &candidate.url,
                    &because,
                    &exchange,
                    &served.description,
                ));
            }
            Look::Unproven(exchange, served) => {
                findings.asked += 1;
                let random = random_beside(&exchange.requested);
                match baselines.get(&random) {
                    Some(Ok(ordinary)) if ordinary.status.is_server_error() => findings.could_not_tell(
                        format!(
                            "{}{because} answered {}, and the random path it is compared with answered {}",
                            candidate.url, exchange.status, ordinary.status
                        ),
                        FailureKind::Assertion,
                    ),
                    Some(Ok(ordinary)) if same_page(&exchange, ordinary) => {}
                    Some(Ok(ordinary)) => {
                        let unlike = format!(
                            "{}, unlike the answer to a random path beside it ({})",
                            served.description, ordinary.status
                        );
                        findings
                            .exposed
                            .push(exposed_line(&candidate.url, &because, &exchange, &unlike));
                    }
                    Some(Err(failure)) => findings.could_not_tell(
                        format!(
                            "{}{because} answered {}, and the random path it is compared with could not be fetched: {}",
                            candidate.url,
                            exchange.status,
                            failure.summary()
                        ),
                        failure.kind(),
                    ),
                    None => findings.not_asked += 1,
                }
            }
        }
    }
}

fn exposed_line(url: &Url, because: &str, exchange: &Exchange, what: &str) -> String {
    format!("{url}{because} → {}: {what}", exchange.status)
}

/// Asks for `url`, keeping only as much of the body as is compared and read: a dump or an
/// archive served whole is not downloaded whole.
async fn get(client: &Client, url: Url, deadline: Deadline) -> Result<Exchange, StepFailure> {
    perform_reading(
        client,
        &Visitor::default(),
        Outgoing::get_on_this_site(url),
        deadline,
        COMPARED_BYTES.max(served::READ_BYTES),
    )
    .await
}

/// Asks for one candidate and reads what came back, short of comparing it with the site's
/// ordinary not-found page.
async fn first_look(client: &Client, candidate: &Candidate, deadline: Deadline) -> Look {
    if deadline.has_passed() {
        return Look::NotAsked;
    }
    let exchange = match get(client, candidate.url.clone(), deadline).await {
        Ok(exchange) => exchange,
        Err(_) if deadline.has_passed() => return Look::NotAsked,
        Err(failure) => {
            return Look::Unknown(
                format!("could not be fetched: {}", failure.summary()),
                failure.kind(),
            );
        }
    };
    let status = exchange.status;
    if status.is_server_error() {
        return Look::Unknown(
            format!("answered {status}: a server error tells nothing of what the path holds"),
            FailureKind::Assertion,
        );
    }
    // Sent elsewhere (a login page, the home page): what came back is not the file.
    let landed = exchange.final_url();
    if !status.is_success() || landed.path() != candidate.url.path() || exchange.body.trim().is_empty() {
        return Look::Clean;
    }
    let served = served::identify(exchange.content_type(), &exchange.body);
    if served.proven {
        return Look::Proven(exchange, served);
    }
    if is_login_page(&exchange) {
        return Look::Clean;
    }
    Look::Unproven(exchange, served)
}

/// Whether the answer is a page that asks for a password.
fn is_login_page(exchange: &Exchange) -> bool {
    static PASSWORD: std::sync::LazyLock<Selector> =
        std::sync::LazyLock::new(|| Selector::parse("input[type=password i]").expect("a valid selector"));
    text::is_html(exchange.content_type(), &exchange.body)
        && Html::parse_document(&exchange.body)
            .select(&PASSWORD)
            .next()
            .is_some()
}

/// A path no site has, beside `url` and with its ending (`/.git/shakedown-…-not-here`,
/// `/shakedown-…-not-here.sql`): what the site answers for a file that is not there, in that
/// folder and of that kind.
fn random_beside(url: &Url) -> Url {
    // One random name per run, so answers beside each other are compared with one request.
    static NAME: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "shakedown-{:016x}-not-here",
            RandomState::new().hash_one("shakedown")
        )
    });
    let name = file_name(url);
    let ending = name
        .trim_start_matches('.')
        .split_once('.')
        .map_or_else(String::new, |(_, ending)| format!(".{ending}"));
    url.join(&format!("{}{ending}", *NAME))
        .unwrap_or_else(|_| url.clone())
}

/// Whether two answers are the same page: the same status and, with every echo of the paths
/// asked for taken out and numbers left aside, nearly the same words.
fn same_page(answer: &Exchange, ordinary: &Exchange) -> bool {
    if answer.status != ordinary.status {
        return false;
    }
    let echoes = echoes_of(&[&answer.requested, &ordinary.requested]);
    similarity(&words(answer, &echoes), &words(ordinary, &echoes)) >= SAME_PAGE
}

/// The ways a page may repeat the address asked for: the path as sent and decoded, and its
/// file name, longest first.
fn echoes_of(urls: &[&Url]) -> Vec<String> {
    let mut echoes: Vec<String> = urls
        .iter()
        .flat_map(|url| {
            let path = url.path().to_owned();
            let decoded = percent_encoding::percent_decode_str(&path)
                .decode_utf8_lossy()
                .into_owned();
            [url.to_string(), path, decoded, file_name(url).to_owned()]
        })
        .filter(|echo| echo.len() > 1)
        .collect();
    echoes.sort_by_key(|echo| std::cmp::Reverse(echo.len()));
    echoes.dedup();
    echoes
}

/// The words of an answer as a person reads it, lower-cased, without the echoes and without
/// anything holding a digit (dates, request ids, tokens), counted.
fn words(exchange: &Exchange, echoes: &[String]) -> HashMap<String, usize> {
    let mut end = exchange.body.len().min(COMPARED_BYTES);
    while !exchange.body.is_char_boundary(end) {
        end -= 1;
    }
    let start = &exchange.body[..end];
    let mut readable = match text::is_html(exchange.content_type(), start) {
        true => text::visible_text(start),
        false => start.to_owned(),
    };
    for echo in echoes {
        readable = readable.replace(echo.as_str(), " ");
    }
    let mut counted = HashMap::new();
    for word in readable
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && !word.chars().any(|c| c.is_ascii_digit()))
    {
        *counted.entry(word.to_lowercase()).or_insert(0) += 1;
    }
    counted
}

/// Words in common over words in either, counting repeats: 1 for the same words, 0 for none
/// shared; two empty answers are the same.
fn similarity(one: &HashMap<String, usize>, other: &HashMap<String, usize>) -> f64 {
    let mut common = 0;
    let mut either = 0;
    for (word, &count) in one {
        let theirs = other.get(word).copied().unwrap_or(0);
        common += count.min(theirs);
        either += count.max(theirs);
    }
    either += other
        .iter()
        .filter(|(word, _)| !one.contains_key(*word))
        .map(|(_, count)| count)
        .sum::<usize>();
    if either == 0 {
        return 1.0;
    }
    #[expect(
        clippy::cast_precision_loss,
        reason = "word counts of 64 KiB are far below 2^52"
    )]
    let share = common as f64 / either as f64;
    share
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;
    use std::time::Duration;

    use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
    use reqwest::{Method, StatusCode};

    use super::*;

    fn answer(path: &str, status: u16, content_type: &str, body: &str) -> Exchange {
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_str(content_type).expect("a header value"),
        );
        Exchange {
            method: Method::GET,
            requested: Url::parse("http://site.test/")
                .expect("url")
                .join(path)
                .expect("url"),
            status: StatusCode::from_u16(status).expect("a status"),
            headers,
            body: body.to_owned(),
            elapsed: Duration::ZERO,
            redirects: Vec::new(),
            truncated: false,
            readable: OnceLock::new(),
        }
    }

    fn soft_404(path: &str) -> String {
        format!(
            "<html><title>Not here</title><body><h1>Sorry</h1><p>We looked everywhere for {path} but found nothing. Request 8f3a91 at 12:04:55.</p><a href=\"/\">Home</a></body></html>"
        )
    }

    #[test]
    fn a_soft_404_page_that_echoes_the_path_is_the_same_page() {
        let random = answer(
            "/shakedown-1-not-here",
            200,
            "text/html",
            &soft_404("/shakedown-1-not-here"),
        );
        let candidate = answer("/.env", 200, "text/html", &soft_404("/.env"));
        assert!(same_page(&candidate, &random));
        let env = answer("/.env", 200, "text/plain", "APP_KEY=x\nDB_PASSWORD=y\n");
        assert!(!same_page(&env, &random));
        let not_found = answer("/shakedown-1-not-here", 404, "text/html", &soft_404("/x"));
        assert!(!same_page(&candidate, &not_found));
    }

    #[test]
    fn the_random_path_keeps_the_folder_and_the_ending() {
        let url = |path: &str| {
            Url::parse("http://site.test/app/")
                .expect("url")
                .join(path)
                .expect("url")
        };
        let random = random_beside(&url(".git/HEAD"));
        assert!(random.path().starts_with("/app/.git/shakedown-"), "{random}");
        assert!(random.path().ends_with("-not-here"));
        assert!(random_beside(&url("dump.sql")).path().ends_with("-not-here.sql"));
        assert!(
            random_beside(&url(".env.production"))
                .path()
                .ends_with("-not-here.production")
        );
        assert!(random_beside(&url(".env")).path().ends_with("-not-here"));
    }

    #[test]
    fn the_copies_of_the_sites_own_pages_are_asked_for_those_named_like_files() {
        let home = answer(
            "/index.php",
            200,
            "text/html",
            r#"<a href="/about.php">About</a> <a href="contact.html#form">Contact</a> <a href="/help/">Help</a>
               <a href="https://elsewhere.test/x.php">Elsewhere</a> <a href="/style.css">CSS</a>"#,
        );
        let paths: Vec<String> = own_page_copies(&home)
            .into_iter()
            .map(|candidate| candidate.url.path().to_owned())
            .collect();
        assert_eq!(
            paths,
            [
                "/index.php.bak",
                "/.index.php.swp",
                "/index.php~",
                "/about.php.bak",
                "/.about.php.swp",
                "/about.php~",
                "/contact.html.bak",
                "/.contact.html.swp",
                "/contact.html~"
            ]
        );
    }

    #[test]
    fn allowed_paths_and_everything_under_them_are_left_out() {
        let base = Url::parse("http://site.test/").expect("url");
        let candidate = |path: &str| Candidate {
            url: base.join(path).expect("url"),
            because: None,
        };
        let kept = without_allowed(
            vec![
                candidate("/server-status"),
                candidate("/downloads/brochure.zip"),
                candidate("/.env"),
                candidate("/.env"),
            ],
            &[
                base.join("/downloads/").expect("url"),
                base.join("/server-status").expect("url"),
            ],
        );
        let paths: Vec<&str> = kept.iter().map(|candidate| candidate.url.path()).collect();
        assert_eq!(paths, ["/.env"]);
    }
}
