//! A bounded, polite crawl as the scenario's role: same origin only, `<a href>` links only (as
//! `<base href>` resolves them), no form is ever submitted, links that end a session or destroy
//! something are skipped, each page is fetched once, several at a time, up to a page limit, a
//! depth limit and the step's deadline. It remembers the addresses it has seen, never the pages.

use std::collections::HashSet;

use futures::StreamExt as _;
use percent_encoding::percent_decode_str;
use regex::Regex;
use reqwest::Client;
use reqwest::cookie::Jar;
use scraper::{Html, Selector};
use url::Url;

use super::rules::{Finding, RuleSet};
use crate::deadline::Deadline;
use crate::http::{Outgoing, perform};
use crate::text;

/// Words (or runs of words) that name an action ending a session or destroying something: a link
/// whose decoded path, query or text holds one of them is never followed. Matched as whole words,
/// so `/reports/removals` is crawled and `/items/7/remove` is not.
const DESTRUCTIVE_WORDS: &[&str] = &[
    "logout",
    "log out",
    "logoff",
    "log off",
    "signout",
    "sign out",
    "signoff",
    "sign off",
    "delete",
    "destroy",
    "remove",
    "drop",
    "reset",
    "purge",
    "cancel",
    "deactivate",
    "disable",
    "unsubscribe",
    "revoke",
    "session end",
];

/// Pages fetched at the same time.
const CONCURRENT_FETCHES: usize = 8;

/// `[content]` crawl settings.
#[derive(Debug, Clone)]
pub struct CrawlSettings {
    pub max_pages: usize,
    pub max_depth: usize,
    /// Extra patterns (over a link's decoded path and query, and its text) never to follow.
    pub skip: Vec<Regex>,
    /// Patterns of links followed even though a built-in destructive word matches them (a
    /// `/search/reset-filters` the site knows to be harmless); `skip` still wins.
    pub allow: Vec<Regex>,
}

impl Default for CrawlSettings {
    fn default() -> Self {
        Self {
            max_pages: 200,
            max_depth: 5,
            skip: Vec::new(),
            allow: Vec::new(),
        }
    }
}

/// What a crawl saw.
#[derive(Debug, Default)]
pub(crate) struct CrawlReport {
    pub pages_checked: usize,
    pub findings: Vec<(Url, Finding)>,
    /// Pages that could not be fetched, with the reason.
    pub unreachable: Vec<(Url, String)>,
    pub links_skipped: usize,
    /// Whether the page limit stopped the crawl before it ran out of links.
    pub hit_page_limit: bool,
    /// Whether the step's deadline stopped the crawl before it ran out of links.
    pub hit_deadline: bool,
}

/// The crawl service: the run's HTTP pool, the rules every page is checked against and the
/// crawl's bounds.
#[derive(Debug)]
pub struct Crawler {
    http: Client,
    rules: RuleSet,
    settings: CrawlSettings,
}

impl Crawler {
    pub fn new(http: Client, rules: RuleSet, settings: CrawlSettings) -> Self {
        Self {
            http,
            rules,
            settings,
        }
    }

    pub fn max_pages(&self) -> usize {
        self.settings.max_pages
    }

    /// Crawls from `start` with the cookies in `jar`, checking every page against the rules,
    /// until the links, the limits or the step's deadline run out.
    pub(crate) async fn crawl(&self, jar: &Jar, start: Url, deadline: Deadline) -> CrawlReport {
        crawl(self, jar, start, deadline).await
    }
}

async fn crawl(crawler: &Crawler, jar: &Jar, start: Url, deadline: Deadline) -> CrawlReport {
    let Crawler {
        http,
        rules,
        settings,
    } = crawler;
    let mut report = CrawlReport::default();
    let mut seen: HashSet<Url> = HashSet::from([without_fragment(&start)]);
    let mut frontier = vec![start.clone()];
    for depth in 0..=settings.max_depth {
        if deadline.has_passed() {
            report.hit_deadline = true;
            break;
        }
        let room = settings.max_pages - report.pages_checked;
        if frontier.len() > room {
            frontier.truncate(room);
            report.hit_page_limit = true;
        }
        let fetches = futures::stream::iter(frontier.drain(..))
            .map(|url| async move {
                (
                    url.clone(),
                    perform(http, jar, Outgoing::get(url), deadline).await,
                )
            })
            .buffered(CONCURRENT_FETCHES)
            .collect::<Vec<_>>()
            .await;
        let mut next = Vec::new();
        for (url, fetched) in fetches {
            let exchange = match fetched {
                Ok(exchange) => exchange,
                Err(_) if deadline.has_passed() => {
                    report.hit_deadline = true;
                    continue;
                }
                Err(failure) => {
                    report.unreachable.push((url, failure.summary().to_owned()));
                    continue;
                }
            };
            let landed = exchange.final_url();
            if landed.origin() != start.origin() {
                continue;
            }
            report.pages_checked += 1;
            if !text::is_html(exchange.content_type(), &exchange.body) {
                for finding in rules.scan(landed.path(), &exchange.body, None) {
                    report.findings.push((landed.clone(), finding));
                }
                continue;
            }
            let document = Html::parse_document(&exchange.body);
            let visible = text::visible_text_of(&document);
            for finding in rules.scan(landed.path(), &visible, Some(&exchange.body)) {
                report.findings.push((landed.clone(), finding));
            }
            if depth == settings.max_depth {
                continue;
            }
            for (link, label) in links(&document, &landed) {
                if link.origin() != start.origin() || !matches!(link.scheme(), "http" | "https") {
                    continue;
                }
                if settings.skips(&link, &label) {
                    report.links_skipped += 1;
                } else if seen.insert(without_fragment(&link)) {
                    next.push(without_fragment(&link));
                }
            }
        }
        if next.is_empty() || report.pages_checked >= settings.max_pages {
            report.hit_page_limit |= !next.is_empty();
            break;
        }
        frontier = next;
    }
    report
}

impl CrawlSettings {
    /// Whether a link is one never to follow: a `crawl_skip` pattern matches its decoded path
    /// and query or its text, or a destructive word does and no `crawl_allow` pattern lets it
    /// through.
    fn skips(&self, link: &Url, label: &str) -> bool {
        let target = decoded_target(link);
        let matches = |pattern: &Regex| pattern.is_match(&target) || pattern.is_match(label);
        if self.skip.iter().any(matches) {
            return true;
        }
        let destructive = [target.as_str(), label]
            .into_iter()
            .any(|text| holds_destructive_word(&words(text)));
        destructive && !self.allow.iter().any(matches)
    }
}

/// A link's path and query as the server reads them: percent-decoded (`/log%6fut` is
/// `/logout`), `+` in the query as a space.
fn decoded_target(link: &Url) -> String {
    let path = percent_decode_str(link.path()).decode_utf8_lossy();
    match link.query() {
        Some(query) => format!(
            "{path}?{}",
            percent_decode_str(&query.replace('+', " ")).decode_utf8_lossy()
        ),
        None => path.into_owned(),
    }
}

/// The lower-case words of a text, split at anything not a letter or digit and where a
/// lower-case letter meets an upper-case one (`deleteAccount` is `delete account`).
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for character in text.chars() {
        let boundary = !character.is_alphanumeric() || (previous_lower && character.is_uppercase());
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if character.is_alphanumeric() {
            current.extend(character.to_lowercase());
        }
        previous_lower = character.is_lowercase();
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether a run of `words` spells one of [`DESTRUCTIVE_WORDS`].
fn holds_destructive_word(words: &[String]) -> bool {
    DESTRUCTIVE_WORDS.iter().any(|phrase| {
        let wanted: Vec<&str> = phrase.split(' ').collect();
        words
            .windows(wanted.len())
            .any(|window| window.iter().zip(&wanted).all(|(word, want)| word == want))
    })
}

/// Every `<a href>` of a page, resolved as the browser would (against the page's `<base href>`
/// when it has one, else where the page ended), with its visible label.
fn links(document: &Html, page: &Url) -> Vec<(Url, String)> {
    let (Ok(anchors), Ok(base)) = (Selector::parse("a[href]"), Selector::parse("base[href]")) else {
        return Vec::new();
    };
    let base = document
        .select(&base)
        .next()
        .and_then(|base| page.join(base.value().attr("href")?.trim()).ok());
    let page = base.as_ref().unwrap_or(page);
    document
        .select(&anchors)
        .filter_map(|anchor| {
            let href = anchor.value().attr("href")?.trim();
            let label = anchor.text().collect::<Vec<_>>().join(" ");
            Some((page.join(href).ok()?, label))
        })
        .collect()
}

fn without_fragment(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_against_the_page_and_keep_their_labels() {
        let page = Url::parse("http://site.test/a/b").expect("url");
        let found = links(
            &Html::parse_document(
                r#"<a href="c">C</a><a href="/accounts/logout/">Log <b>out</b></a><a href="https://else.test/">x</a><a name="anchor">no href</a>"#,
            ),
            &page,
        );
        let urls: Vec<String> = found
            .iter()
            .map(|(url, label)| format!("{url} [{label}]"))
            .collect();
        assert_eq!(
            urls,
            [
                "http://site.test/a/c [C]",
                "http://site.test/accounts/logout/ [Log  out]",
                "https://else.test/ [x]"
            ]
        );
        let with_base = links(
            &Html::parse_document(r#"<base href="/app/"><a href="reports/">Reports</a>"#),
            &page,
        );
        assert_eq!(with_base[0].0.as_str(), "http://site.test/app/reports/");
    }

    #[test]
    fn destructive_links_are_known_by_their_decoded_words_not_by_substrings() {
        let settings = CrawlSettings::default();
        let skipped = |href: &str, label: &str| {
            let link = Url::parse("http://site.test/")
                .expect("url")
                .join(href)
                .expect("link");
            settings.skips(&link, label)
        };
        for href in [
            "/log%6fut",
            "/accounts/log-out/",
            "/orders/7/delete",
            "/api/deleteAccount",
            "/session/end",
            "/newsletter?action=unsubscribe",
            "/cache/purge/",
            "/keys/7/revoke",
        ] {
            assert!(skipped(href, "Go"), "{href} is followed");
        }
        assert!(skipped("/a", "Sign out"));
        for href in ["/reports/removals", "/dropbox-help/", "/catalog/outdoor", "/"] {
            assert!(!skipped(href, "Reports"), "{href} is skipped");
        }
        let allowing = CrawlSettings {
            allow: vec![Regex::new("^/search/reset-filters$").expect("regex")],
            skip: vec![Regex::new("(?i)export").expect("regex")],
            ..CrawlSettings::default()
        };
        let link = |href: &str| {
            Url::parse("http://site.test")
                .expect("url")
                .join(href)
                .expect("link")
        };
        assert!(!allowing.skips(&link("/search/reset-filters"), "Reset"));
        assert!(allowing.skips(&link("/reports/export"), "Export"));
    }
}
