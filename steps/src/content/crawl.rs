//! A bounded, polite crawl: same origin only, `<a href>` links only (as `<base href>` resolves
//! them), no form is ever submitted, links that end a session or destroy something are skipped,
//! each page is fetched once, several at a time, up to a page limit, a depth limit and one
//! deadline. Where a limit keeps it from every page, it has taken one page of each shape of
//! address (`/ticket/{n}`) before a second of any, nearest the start first, so the pages it reads
//! are the same from one run to the next and cover every kind. It remembers the addresses it has
//! seen, never the pages.
//!
//! The crawl is one; what a page means is up to its [`Reader`]. The crawl step's reader checks
//! every page against the forbidden-content rules, and a page it could not read whole fails it:
//! an error page proves nothing about what the page should have shown. `shakedown init`'s reader
//! sorts the pages of its first visit into the checks it writes.

use std::collections::{BTreeSet, HashMap, HashSet};

use regex::Regex;
use reqwest::{Client, StatusCode};
use scraper::Html;
use url::Url;

use super::links::{LinkRules, Skip, page_key, shape_of};
use super::rules::{Finding, RuleSet};
use crate::deadline::Deadline;
use crate::failure::{FailureKind, StepFailure};
use crate::http::{Exchange, Outgoing, Visitor, challenged_schemes, perform};
use crate::text;

/// Pages fetched at the same time.
const CONCURRENT_FETCHES: usize = 8;
/// Pages that answered 4xx named in the crawl's note; the rest are counted.
const NAMED_REFUSALS: usize = 5;

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
    /// Paths every crawl starts from besides its start page (the pages clients use most, which
    /// a link may not lead to).
    pub seeds: Vec<String>,
}

impl Default for CrawlSettings {
    fn default() -> Self {
        Self {
            max_pages: 200,
            max_depth: 5,
            skip: Vec::new(),
            allow: Vec::new(),
            seeds: Vec::new(),
        }
    }
}

/// One page the crawl fetched, as its reader gets it.
#[derive(Debug)]
pub struct Page {
    /// The address the crawl asked for.
    pub url: Url,
    /// The page whose link led here; `None` for the start page.
    pub linked_from: Option<Url>,
    pub answer: Answer,
}

/// What came back for one address.
#[derive(Debug)]
pub enum Answer {
    /// The site answered, wherever its redirects on the site ended.
    Answered(Box<Answered>),
    /// It redirected to another site, where the crawl does not follow.
    LeftTheSite(Url),
    /// No complete answer came.
    Failed(StepFailure),
}

/// An answer from the site, already read against the forbidden-content rules.
#[derive(Debug)]
pub struct Answered {
    exchange: Exchange,
    /// Where its redirects ended: the page this answer is.
    pub landed: Url,
    /// What the forbidden-content rules found on it.
    pub findings: Vec<Finding>,
}

impl Answered {
    pub fn status(&self) -> StatusCode {
        self.exchange.status
    }

    pub fn body(&self) -> &str {
        &self.exchange.body
    }

    /// Whether a redirect led to it.
    pub fn redirected(&self) -> bool {
        !self.exchange.redirects.is_empty()
    }

    /// The scheme a `WWW-Authenticate` challenge asks for (`Basic`), the first when several do.
    pub fn challenged_scheme(&self) -> Option<String> {
        challenged_schemes(&self.exchange.headers).into_iter().next()
    }
}

/// How the crawl goes on once its reader has read a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Follow the page's links (an HTML page within the depth limit); where it landed counts as
    /// read, so a link there is not fetched again.
    FollowLinks,
    /// Leave its links alone; where it landed counts as read.
    LeaveLinks,
    /// Leave its links alone, and still fetch a link to where it landed: the answer speaks for
    /// the address asked only (a redirect to the login page says "log in first", it does not
    /// read the login page).
    LandingUnread,
    /// End the crawl: the start page gave nothing to crawl.
    Stop,
}

/// What a crawl is for: each page it fetched goes to its reader, which says how to go on.
pub trait Reader {
    fn read(&mut self, page: Page) -> Next;

    /// Whether a link of the site is one to fetch at all; every one unless a reader narrows it.
    fn wants(&self, _link: &Url) -> bool {
        true
    }
}

/// How far a crawl got, whatever it read the pages for.
#[derive(Debug, Default)]
pub struct Coverage {
    /// Pages fetched, whatever came back.
    pub pages_fetched: usize,
    /// Distinct links left alone because they look destructive.
    pub destructive_links: usize,
    /// Distinct links left alone because `content.crawl_skip` says so.
    pub configured_skips: usize,
    /// Shapes of address (`/ticket/{n}`) among the pages fetched, and among all links found.
    pub shapes_checked: usize,
    pub shapes_found: usize,
    /// Pages found and never fetched, because a limit stopped the crawl first.
    pub left_out: usize,
    /// Whether the page limit stopped the crawl before it ran out of links.
    pub hit_page_limit: bool,
    /// Whether the deadline stopped the crawl before it ran out of links.
    pub hit_deadline: bool,
}

/// A page the crawl did not read as the site means it: where it is, the page that linked to
/// it, and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unchecked {
    pub url: Url,
    /// The page whose link led here; `None` for the start page.
    pub linked_from: Option<Url>,
    /// `answered 500 Internal Server Error`, `could not be fetched: ...`
    pub why: String,
    pub kind: FailureKind,
}

impl Unchecked {
    fn line(&self) -> String {
        match &self.linked_from {
            Some(from) => format!("{} {} (linked from {from})", self.url, self.why),
            None => format!("{} {}", self.url, self.why),
        }
    }
}

/// What the crawl step saw: how far the crawl got, and what each page held.
#[derive(Debug, Default)]
pub(crate) struct CrawlReport {
    pub coverage: Coverage,
    /// Pages of the site whose answer was read against the rules.
    pub pages_checked: usize,
    pub findings: Vec<(Url, Finding)>,
    /// Why the start page gave nothing to crawl, when it did not.
    pub not_started: Option<Unchecked>,
    /// Pages whose content could not be told: they answered 5xx, their body was cut, or they
    /// could not be fetched.
    pub unreadable: Vec<Unchecked>,
    /// Pages that answered 4xx: read against the rules, their links not followed. A broken or
    /// forbidden link is not forbidden content.
    pub refused: Vec<Unchecked>,
}

/// The crawl service: an HTTP pool, the rules every page is checked against and the crawl's
/// bounds.
#[derive(Debug)]
pub struct Crawler {
    http: Client,
    rules: RuleSet,
    max_pages: usize,
    max_depth: usize,
    links: LinkRules,
    seeds: Vec<String>,
}

impl Crawler {
    pub fn new(http: Client, rules: RuleSet, settings: CrawlSettings) -> Self {
        Self {
            http,
            rules,
            max_pages: settings.max_pages,
            max_depth: settings.max_depth,
            links: LinkRules::new(settings.skip, settings.allow),
            seeds: settings.seeds,
        }
    }

    /// A crawler with a pool of its own, for a crawl outside a run (`shakedown init`'s visit).
    pub fn standalone(rules: RuleSet, settings: CrawlSettings) -> Result<Self, String> {
        // As the run's pool: redirects are `perform`'s, hop by hop; the deadline bounds the rest.
        let http = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("shakedown/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| format!("cannot build an HTTP client: {error}"))?;
        Ok(Self::new(http, rules, settings))
    }

    /// The forbidden-content rules every page is checked against, the crawl's and a single
    /// page's alike.
    pub(crate) fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn max_pages(&self) -> usize {
        self.max_pages
    }

    /// Crawls from `start` as `visitor` (its cookies and credentials), checking every page
    /// against the rules, until the links, the limits or the step's deadline run out.
    pub(crate) async fn crawl(&self, visitor: &Visitor, start: Url, deadline: Deadline) -> CrawlReport {
        let mut report = CrawlReport::default();
        report.coverage = self.walk(visitor, start, deadline, &mut report).await;
        report
    }

    /// Crawls from `start` as an anonymous visitor, handing every page to `reader`, until the
    /// links, the limits, `deadline` or the reader stop it.
    pub async fn visit(&self, start: Url, deadline: Deadline, reader: &mut impl Reader) -> Coverage {
        self.walk(&Visitor::default(), start, deadline, reader).await
    }

    /// One address outside the crawl's links (a health endpoint), fetched and read as the crawl
    /// fetches and reads its pages, as an anonymous visitor.
    pub async fn fetch(&self, url: Url, deadline: Deadline) -> Answer {
        let site = url.clone();
        let fetched = self.get(&Visitor::default(), url, deadline).await;
        self.answer(fetched, &site).0
    }

    async fn get(&self, visitor: &Visitor, url: Url, deadline: Deadline) -> Result<Exchange, StepFailure> {
        perform(&self.http, visitor, Outgoing::get_on_this_site(url), deadline).await
    }

    /// What came back, read against the rules, and the page parsed when it is HTML (for its
    /// links); an answer from anywhere but `site`'s origin is not read.
    fn answer(&self, fetched: Result<Exchange, StepFailure>, site: &Url) -> (Answer, Option<Html>) {
        let exchange = match fetched {
            Ok(exchange) => exchange,
            Err(failure) => return (Answer::Failed(failure), None),
        };
        let landed = exchange.final_url();
        if landed.origin() != site.origin() {
            return (Answer::LeftTheSite(landed), None);
        }
        let document = text::is_html(exchange.content_type(), &exchange.body)
            .then(|| Html::parse_document(&exchange.body));
        let findings = match &document {
            Some(document) => self.rules.scan(
                landed.path(),
                &text::visible_text_of(document),
                Some(&exchange.body),
            ),
            None => self.rules.scan(landed.path(), &exchange.body, None),
        };
        let answered = Answered {
            exchange,
            landed,
            findings,
        };
        (Answer::Answered(Box::new(answered)), document)
    }

    /// The crawl itself, whoever reads its pages, as `visitor`.
    pub(crate) async fn walk(
        &self,
        visitor: &Visitor,
        start: Url,
        deadline: Deadline,
        reader: &mut impl Reader,
    ) -> Coverage {
        let mut coverage = Coverage::default();
        let mut frontier = Frontier::default();
        let mut skipped: HashSet<(Url, Skip)> = HashSet::new();
        frontier.offer(start.clone(), 0, None);
        self.offer_seeds(&mut frontier, &start);
        'crawl: while !frontier.waiting.is_empty() {
            if deadline.has_passed() {
                coverage.hit_deadline = true;
                break;
            }
            let room = self.max_pages - coverage.pages_fetched;
            if room == 0 {
                coverage.hit_page_limit = true;
                break;
            }
            let batch = frontier.take(room.min(CONCURRENT_FETCHES));
            coverage.pages_fetched += batch.len();
            let fetches = batch.into_iter().map(|candidate| async move {
                let fetched = self.get(visitor, candidate.url.clone(), deadline).await;
                (candidate, fetched)
            });
            for (candidate, fetched) in futures::future::join_all(fetches).await {
                let Candidate {
                    url,
                    depth,
                    linked_from,
                    ..
                } = candidate;
                // The deadline cut this page off, not the site: it is left out, not read.
                if fetched.is_err() && deadline.has_passed() && linked_from.is_some() {
                    coverage.hit_deadline = true;
                    coverage.left_out += 1;
                    continue;
                }
                let (answer, document) = self.answer(fetched, &start);
                let landed = match &answer {
                    Answer::Answered(answered) => Some(answered.landed.clone()),
                    Answer::LeftTheSite(_) | Answer::Failed(_) => None,
                };
                let next = reader.read(Page {
                    url,
                    linked_from,
                    answer,
                });
                if next == Next::Stop {
                    break 'crawl;
                }
                let Some(landed) = landed.filter(|_| next != Next::LandingUnread) else {
                    continue;
                };
                frontier.mark_seen(&landed);
                let Some(document) = document.filter(|_| next == Next::FollowLinks && depth < self.max_depth)
                else {
                    continue;
                };
                let found = self.links.sort(&document, &landed, &start);
                skipped.extend(found.skipped);
                for link in found.follow.into_iter().filter(|link| reader.wants(link)) {
                    frontier.offer(link, depth + 1, Some(landed.clone()));
                }
            }
        }
        coverage.left_out += frontier.waiting.len();
        coverage.shapes_found = frontier.taken.len();
        coverage.shapes_checked = frontier.taken.iter().filter(|taken| **taken > 0).count();
        let count = |kind: Skip| skipped.iter().filter(|(_, why)| *why == kind).count();
        coverage.destructive_links = count(Skip::Destructive);
        coverage.configured_skips = count(Skip::Configured);
        coverage
    }
}

impl Crawler {
    /// The configured seeds, waiting beside the start page at its depth. A seed counts as
    /// reached from the start page: a seed that answers an error is named as a page the crawl
    /// reached, and does not stop the crawl as a start page would.
    fn offer_seeds(&self, frontier: &mut Frontier, start: &Url) {
        for seed in &self.seeds {
            if let Ok(url) = start.join(seed)
                && url.origin() == start.origin()
            {
                frontier.offer(url, 0, Some(start.clone()));
            }
        }
    }
}

/// A link found and not yet fetched.
#[derive(Debug)]
struct Candidate {
    url: Url,
    /// Links followed from the start page to reach it.
    depth: usize,
    linked_from: Option<Url>,
    /// Its shape's index in [`Frontier::taken`].
    shape: usize,
}

/// The links waiting to be fetched, and the order they are taken in: the shape with the fewest
/// pages taken first (every shape once before any twice), then the nearest the start, then the
/// shortest and first in alphabetical order (`/ticket/2` before `/ticket/10`), so which page
/// stands for a shape depends on the links there are, not on the order they were found in.
#[derive(Debug, Default)]
struct Frontier {
    waiting: Vec<Candidate>,
    seen: HashSet<Url>,
    shapes: HashMap<String, usize>,
    /// Pages taken so far, by shape.
    taken: Vec<usize>,
}

impl Frontier {
    /// Adds a link unless the page it names was seen already.
    fn offer(&mut self, url: Url, depth: usize, linked_from: Option<Url>) {
        if !self.seen.insert(page_key(&url)) {
            return;
        }
        let next = self.shapes.len();
        let shape = *self.shapes.entry(shape_of(&url)).or_insert(next);
        if shape == self.taken.len() {
            self.taken.push(0);
        }
        self.waiting.push(Candidate {
            url,
            depth,
            linked_from,
            shape,
        });
    }

    /// Where a redirect landed counts as seen: a link there is not fetched again.
    fn mark_seen(&mut self, url: &Url) {
        self.seen.insert(page_key(url));
    }

    /// Up to `count` of the waiting links, first first.
    fn take(&mut self, count: usize) -> Vec<Candidate> {
        let mut batch = Vec::new();
        while batch.len() < count {
            let first = self
                .waiting
                .iter()
                .enumerate()
                .min_by_key(|(_, candidate)| {
                    let address = candidate.url.as_str();
                    (
                        self.taken[candidate.shape],
                        candidate.depth,
                        address.len(),
                        address,
                    )
                })
                .map(|(index, _)| index);
            let Some(first) = first else {
                break;
            };
            let candidate = self.waiting.swap_remove(first);
            self.taken[candidate.shape] += 1;
            batch.push(candidate);
        }
        batch
    }
}

/// The crawl step's reading: every answer from the site is checked against the rules, a page
/// that gave nothing to read is named, and a start page that gave nothing stops the crawl.
impl Reader for CrawlReport {
    fn read(&mut self, page: Page) -> Next {
        let Page {
            url,
            linked_from,
            answer,
        } = page;
        let is_start = linked_from.is_none();
        let unchecked = |why: String, kind: FailureKind| Unchecked {
            url,
            linked_from,
            why,
            kind,
        };
        let answered = match answer {
            Answer::Answered(answered) => answered,
            Answer::LeftTheSite(landed) if is_start => {
                self.not_started = Some(unchecked(
                    format!("went on to {landed}, another site, where the crawl does not follow"),
                    FailureKind::Assertion,
                ));
                return Next::Stop;
            }
            Answer::LeftTheSite(_) => return Next::LeaveLinks,
            Answer::Failed(failure) => {
                let page = unchecked(
                    format!("could not be fetched: {}", failure.summary()),
                    failure.kind(),
                );
                return self.record(page, |report| &mut report.unreadable);
            }
        };
        self.pages_checked += 1;
        let status = answered.status();
        let cut_short = answered.exchange.cut_short();
        let landed = answered.landed;
        self.findings.extend(
            answered
                .findings
                .into_iter()
                .map(|finding| (landed.clone(), finding)),
        );
        let said = format!("answered {status}");
        if status.is_server_error() {
            return self.record(unchecked(said, FailureKind::Assertion), |report| {
                &mut report.unreadable
            });
        }
        if status.is_client_error() {
            return self.record(unchecked(said, FailureKind::Assertion), |report| {
                &mut report.refused
            });
        }
        if let Some(why) = cut_short {
            self.unreadable.push(unchecked(why, FailureKind::Assertion));
        }
        Next::FollowLinks
    }
}

impl CrawlReport {
    /// A page that gave nothing to read: the start page stops the crawl before it began, any
    /// other goes into `list`.
    fn record(&mut self, page: Unchecked, list: impl FnOnce(&mut Self) -> &mut Vec<Unchecked>) -> Next {
        match page.linked_from {
            None => {
                self.not_started = Some(page);
                Next::Stop
            }
            Some(_) => {
                list(self).push(page);
                Next::LeaveLinks
            }
        }
    }

    /// The crawl's note when every page it reached was read whole and holds nothing
    /// forbidden; else the failure, naming each page with what was found or what came back.
    pub(crate) fn verdict(
        &self,
        start: &str,
        role: &str,
        max_pages: usize,
        deadline: Deadline,
    ) -> Result<String, StepFailure> {
        let summary = self.summary(start, role, max_pages, deadline);
        let found: Vec<String> = self
            .findings
            .iter()
            .map(|(url, finding)| format!("{url} [{}] {}", finding.rule, finding.snippet))
            .collect();
        let with_findings = |failure: StepFailure| match found.is_empty() {
            true => failure,
            false => failure.with("found", found.join("\n")),
        };
        if let Some(not_started) = &self.not_started {
            let failure = StepFailure::new(format!("the crawl could not start: {start} {}", not_started.why))
                .of_kind(not_started.kind)
                .with("request", format!("GET {}", not_started.url))
                .with("as", role.to_owned());
            return Err(with_findings(failure));
        }
        if found.is_empty() && self.unreadable.is_empty() {
            return Ok(summary);
        }
        let failure = if found.is_empty() {
            // Only pages that did not answer: the site's own kind of trouble (a timeout, a
            // refused connection); one that answered badly is the site's fault.
            let kind = match self
                .unreadable
                .iter()
                .all(|page| page.kind != FailureKind::Assertion)
            {
                true => self.unreadable[0].kind,
                false => FailureKind::Assertion,
            };
            StepFailure::new(format!(
                "could not tell whether {} of {} page(s) reachable from {start} hold forbidden content: they could not be read whole",
                self.unreadable.len(),
                self.coverage.pages_fetched
            ))
            .of_kind(kind)
        } else {
            let pages: BTreeSet<&Url> = self.findings.iter().map(|(url, _)| url).collect();
            StepFailure::new(format!(
                "forbidden content on {} of {} page(s) reachable from {start}",
                pages.len(),
                self.pages_checked
            ))
        };
        let mut failure = with_findings(failure.with("crawl", summary));
        if !self.unreadable.is_empty() {
            let lines: Vec<String> = self.unreadable.iter().map(Unchecked::line).collect();
            failure = failure.with("not checked", lines.join("\n"));
        }
        Err(failure)
    }

    /// `checked 20 page(s) reachable from / as clerk, ...`: what was checked, what was passed
    /// over and why, and where a limit stopped the crawl.
    fn summary(&self, start: &str, role: &str, max_pages: usize, deadline: Deadline) -> String {
        let mut summary = format!(
            "checked {} page(s) reachable from {start} as {role}",
            self.pages_checked
        );
        if !self.refused.is_empty() {
            let named: Vec<String> = self
                .refused
                .iter()
                .take(NAMED_REFUSALS)
                .map(Unchecked::line)
                .collect();
            let more = match self.refused.len().saturating_sub(NAMED_REFUSALS) {
                0 => String::new(),
                more => format!(" and {more} more"),
            };
            summary.push_str(&format!(
                ", {} of them answered 4xx, their links not followed ({}{more})",
                self.refused.len(),
                named.join("; ")
            ));
        }
        if self.coverage.configured_skips > 0 {
            summary.push_str(&format!(
                ", {} link(s) skipped by `content.crawl_skip`",
                self.coverage.configured_skips
            ));
        }
        if self.coverage.destructive_links > 0 {
            summary.push_str(&format!(
                ", {} unsafe link(s) skipped",
                self.coverage.destructive_links
            ));
        }
        if self.coverage.hit_page_limit {
            summary.push_str(&format!(", stopped at `content.crawl_max_pages` = {max_pages}"));
        }
        if self.coverage.hit_deadline {
            summary.push_str(&format!(", stopped at the step's deadline, {deadline}"));
        }
        if self.coverage.left_out > 0 {
            summary.push_str(&format!(
                ", covering {} of {} page shape(s) found, {} page(s) left out",
                self.coverage.shapes_checked, self.coverage.shapes_found, self.coverage.left_out
            ));
        }
        summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(path: &str) -> Url {
        Url::parse("http://site.test/")
            .expect("url")
            .join(path)
            .expect("link")
    }

    fn taken(frontier: &mut Frontier, count: usize) -> Vec<String> {
        frontier
            .take(count)
            .into_iter()
            .map(|candidate| candidate.url.path().to_owned() + candidate.url.query().map_or("", |_| "?…"))
            .collect()
    }

    #[test]
    fn every_shape_is_taken_once_before_any_twice_nearest_first() {
        let mut frontier = Frontier::default();
        for number in (1..=300).rev() {
            frontier.offer(url(&format!("/ticket/{number}")), 1, Some(url("/")));
        }
        frontier.offer(url("/report/7"), 2, Some(url("/ticket/1")));
        frontier.offer(url("/wiki/Start"), 1, Some(url("/")));
        frontier.offer(url("/timeline?from=2026-12-06&daysback=1"), 1, Some(url("/")));
        frontier.offer(url("/timeline?daysback=1&from=2026-12-06"), 1, Some(url("/")));
        frontier.offer(url("/timeline?from=2026-12-05&daysback=1"), 1, Some(url("/")));
        assert_eq!(
            frontier.waiting.len(),
            304,
            "the same page in another order is one page"
        );
        assert_eq!(
            taken(&mut frontier, 6),
            [
                "/ticket/1",
                "/wiki/Start",
                "/timeline?…",
                "/report/7",
                "/ticket/2",
                "/timeline?…"
            ]
        );
        assert_eq!(frontier.shapes.len(), 4);
        assert_eq!(frontier.taken, [2, 1, 1, 2]);
        assert_eq!(taken(&mut frontier, 2), ["/ticket/3", "/ticket/4"]);
    }

    #[test]
    fn the_sample_does_not_depend_on_the_order_links_were_found_in() {
        let paths: Vec<String> = (1..=40).map(|number| format!("/ticket/{number}")).collect();
        let mut forwards = Frontier::default();
        let mut backwards = Frontier::default();
        for path in &paths {
            forwards.offer(url(path), 1, None);
        }
        for path in paths.iter().rev() {
            backwards.offer(url(path), 1, None);
        }
        assert_eq!(taken(&mut forwards, 5), taken(&mut backwards, 5));
    }

    fn report() -> CrawlReport {
        CrawlReport {
            coverage: Coverage {
                pages_fetched: 3,
                ..Coverage::default()
            },
            pages_checked: 2,
            ..CrawlReport::default()
        }
    }

    fn deadline() -> Deadline {
        Deadline::after(std::time::Duration::from_secs(15), crate::deadline::Limit::Step)
    }

    #[test]
    fn a_page_that_answered_an_error_fails_the_crawl_as_could_not_tell() {
        let mut report = report();
        report.unreadable.push(Unchecked {
            url: url("/broken"),
            linked_from: Some(url("/")),
            why: "answered 500 Internal Server Error".into(),
            kind: FailureKind::Assertion,
        });
        let failure = report
            .verdict("/", "anonymous", 200, deadline())
            .expect_err("an error page fails the crawl");
        assert_eq!(
            failure.summary(),
            "could not tell whether 1 of 3 page(s) reachable from / hold forbidden content: they could not be read whole"
        );
        assert_eq!(failure.kind(), FailureKind::Assertion);
        assert!(
            failure.details().contains(&(
                "not checked",
                "http://site.test/broken answered 500 Internal Server Error (linked from http://site.test/)"
                    .to_owned()
            ))
        );
        report.unreadable[0].kind = FailureKind::Connection;
        let failure = report
            .verdict("/", "anonymous", 200, deadline())
            .expect_err("fails");
        assert_eq!(failure.kind(), FailureKind::Connection);
    }

    #[test]
    fn a_start_page_that_answered_an_error_is_a_crawl_that_never_started() {
        let mut report = report();
        report.not_started = Some(Unchecked {
            url: url("/"),
            linked_from: None,
            why: "answered 404 Not Found".into(),
            kind: FailureKind::Assertion,
        });
        let failure = report.verdict("/", "clerk", 200, deadline()).expect_err("fails");
        assert_eq!(
            failure.summary(),
            "the crawl could not start: / answered 404 Not Found"
        );
    }

    #[test]
    fn the_note_names_refusals_skips_and_what_a_limit_left_out() {
        let mut report = report();
        report.refused.push(Unchecked {
            url: url("/private/"),
            linked_from: Some(url("/")),
            why: "answered 403 Forbidden".into(),
            kind: FailureKind::Assertion,
        });
        report.coverage.configured_skips = 2;
        report.coverage.destructive_links = 1;
        report.coverage.hit_page_limit = true;
        report.coverage.shapes_checked = 4;
        report.coverage.shapes_found = 5;
        report.coverage.left_out = 280;
        assert_eq!(
            report.verdict("/", "clerk", 20, deadline()).expect("passes"),
            "checked 2 page(s) reachable from / as clerk, 1 of them answered 4xx, their links not followed \
             (http://site.test/private/ answered 403 Forbidden (linked from http://site.test/)), \
             2 link(s) skipped by `content.crawl_skip`, 1 unsafe link(s) skipped, \
             stopped at `content.crawl_max_pages` = 20, covering 4 of 5 page shape(s) found, 280 page(s) left out"
        );
    }
}
