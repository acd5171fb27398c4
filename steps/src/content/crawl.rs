//! A bounded, polite crawl as the scenario's role: same origin only, `<a href>` links only, no
//! form is ever submitted, logout and other unsafe links are skipped, each page is fetched once,
//! several at a time, up to a page limit and a depth limit.

use std::collections::HashSet;

use futures::StreamExt as _;
use regex::Regex;
use reqwest::Client;
use reqwest::cookie::Jar;
use scraper::{Html, Selector};
use url::Url;

use super::rules::{Finding, RuleSet};
use crate::deadline::Deadline;
use crate::http::{Outgoing, perform};
use crate::text;

/// Links whose path or text match these are never followed: they end the session or change
/// data, and a crawl must leave the site as it found it.
const BUILT_IN_SKIPS: &str =
    r"(?i)log[-_\s]*out|sign[-_\s]*out|log[-_\s]*off|delete|remove|destroy|unsubscribe";

/// Pages fetched at the same time.
const CONCURRENT_FETCHES: usize = 8;

/// `[content]` crawl settings.
#[derive(Debug, Clone)]
pub struct CrawlSettings {
    pub max_pages: usize,
    pub max_depth: usize,
    /// Extra patterns (over a link's path and query, and its text) never to follow.
    pub skip: Vec<Regex>,
}

impl Default for CrawlSettings {
    fn default() -> Self {
        Self {
            max_pages: 200,
            max_depth: 5,
            skip: Vec::new(),
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
    built_in_skips: Regex,
}

impl Crawler {
    pub fn new(http: Client, rules: RuleSet, settings: CrawlSettings) -> Self {
        Self {
            http,
            rules,
            settings,
            built_in_skips: Regex::new(BUILT_IN_SKIPS).expect("valid regex"),
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
        built_in_skips,
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
                let target = &link[url::Position::BeforePath..];
                let unsafe_link = [built_in_skips]
                    .into_iter()
                    .chain(&settings.skip)
                    .any(|skip| skip.is_match(target) || skip.is_match(&label));
                if unsafe_link {
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

/// Every `<a href>` of a page, resolved against where the page ended, with its visible label.
fn links(document: &Html, page: &Url) -> Vec<(Url, String)> {
    let Ok(anchors) = Selector::parse("a[href]") else {
        return Vec::new();
    };
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
        let skips = Regex::new(BUILT_IN_SKIPS).expect("valid");
        assert!(
            skips.is_match("/accounts/logout/")
                && skips.is_match("Sign out")
                && skips.is_match("/orders/7/delete")
        );
        assert!(!skips.is_match("/reports/") && !skips.is_match("Log in"));
    }
}
