//! A bounded, polite crawl as the scenario's role: same origin only, `<a href>` links only (as
//! `<base href>` resolves them), no form is ever submitted, links that end a session or destroy
//! something are skipped, each page is fetched once, several at a time, up to a page limit, a
//! depth limit and the step's deadline. It remembers the addresses it has seen, never the pages.

use std::collections::HashSet;

use futures::StreamExt as _;
use regex::Regex;
use reqwest::Client;
use reqwest::cookie::Jar;
use scraper::Html;
use url::Url;

use super::links::{LinkRules, without_fragment};
use super::rules::{Finding, RuleSet};
use crate::deadline::Deadline;
use crate::http::{Outgoing, perform};
use crate::text;

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
    max_pages: usize,
    max_depth: usize,
    links: LinkRules,
}

impl Crawler {
    pub fn new(http: Client, rules: RuleSet, settings: CrawlSettings) -> Self {
        Self {
            http,
            rules,
            max_pages: settings.max_pages,
            max_depth: settings.max_depth,
            links: LinkRules::new(settings.skip, settings.allow),
        }
    }

    /// The forbidden-content rules every page is checked against, the crawl's and a single
    /// page's alike.
    pub(crate) fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn max_pages(&self) -> usize {
        self.max_pages
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
        max_pages,
        max_depth,
        links,
    } = crawler;
    let mut report = CrawlReport::default();
    let mut seen: HashSet<Url> = HashSet::from([without_fragment(&start)]);
    let mut frontier = vec![start.clone()];
    for depth in 0..=*max_depth {
        if deadline.has_passed() {
            report.hit_deadline = true;
            break;
        }
        let room = max_pages - report.pages_checked;
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
            if depth == *max_depth {
                continue;
            }
            let found = links.sort(&document, &landed, &start);
            report.links_skipped += found.skipped;
            for link in found.follow {
                if seen.insert(link.clone()) {
                    next.push(link);
                }
            }
        }
        if next.is_empty() || report.pages_checked >= *max_pages {
            report.hit_page_limit |= !next.is_empty();
            break;
        }
        frontier = next;
    }
    report
}
