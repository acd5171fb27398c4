//! A bounded, polite crawl: same origin only, `<a href>` links only (as `<base href>` resolves
//! them), no form is ever submitted, links that end a session or destroy something are skipped,
//! each page is fetched once, several at a time, up to a page limit, a depth limit and one
//! deadline. Where a limit keeps it from every page, it has taken one page of each shape of
//! address (`/ticket/{n}`) before a second of any, nearest the start first, so the pages it reads
//! are the same from one run to the next and cover every kind. It remembers the addresses it has
//! seen, never the pages.
//!
//! The crawl is one; what a page means is up to its [`Reader`]. The crawl step's reader checks
//! every page against the forbidden-content rules and checks that it works: a page linked from
//! the site that answers an error is a broken link, and what the pages load (images, scripts,
//! style sheets and what those load) is asked for once each (see [`super::asset_check`]). A page
//! it could not read whole fails it too: an error page proves nothing about what the page should
//! have shown. `shakedown init`'s reader sorts the pages of its first visit into the checks it
//! writes, and asks for no sub-resource.

use std::collections::{BTreeSet, HashMap, HashSet};

use regex::Regex;
use reqwest::{Client, StatusCode};
use scraper::Html;
use url::Url;

use super::asset_check::{AssetCheck, AssetSettings, AssetsSeen};
use super::assets::{sub_resources, upgrades_insecure_requests};
use super::links::{LinkRules, Skip, page_key, shape_of};
use super::rules::{Finding, RuleSet};
use crate::deadline::Deadline;
use crate::failure::{FailureKind, StepFailure};
use crate::http::{Exchange, Outgoing, REQUESTS_AT_ONCE, Visitor, challenged_schemes, perform};
use crate::text;

/// Lines of one kind a failure or note names; the rest are counted.
const NAMED_LINES: usize = 20;
/// Characters of a link's text kept to name it.
const LINK_TEXT_CHARS: usize = 60;

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
    /// What the crawl step asks of the sub-resources its pages load.
    pub assets: AssetSettings,
}

impl Default for CrawlSettings {
    fn default() -> Self {
        Self {
            max_pages: 200,
            max_depth: 5,
            skip: Vec::new(),
            allow: Vec::new(),
            seeds: Vec::new(),
            assets: AssetSettings::default(),
        }
    }
}

/// One page the crawl fetched, as its reader gets it.
#[derive(Debug)]
pub struct Page {
    /// The address the crawl asked for.
    pub url: Url,
    pub reached: Reached,
    pub answer: Answer,
}

impl Page {
    /// Whether it is the page the crawl started from, whose failure stops the crawl.
    pub fn is_start(&self) -> bool {
        matches!(self.reached, Reached::Start)
    }
}

/// How the crawl came to a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reached {
    /// The page the crawl started from.
    Start,
    /// A link on the page `from`, with its text (what stands for text where it has none).
    Link { from: Url, text: String },
    /// `content.crawl_seeds` names it: no page links to it, and it is read like a page the
    /// start page links to (a seed that answers an error is a broken page, not a crawl that
    /// could not start).
    Seed,
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

/// Something the crawl met that did not work, or whose working it could not tell: what it is,
/// where it was found, and what came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trouble {
    pub url: Url,
    /// The page (or style sheet) that links to it or loads it; `None` for the start page and
    /// a seed.
    pub found_on: Option<Url>,
    /// How it is asked for there: `link "Old reports"`, `<img srcset>`, `url()`; for a seed,
    /// the setting that names it; empty for the start page.
    pub via: String,
    /// `answered 500 Internal Server Error`, `could not be fetched: ...`
    pub why: String,
    pub kind: FailureKind,
    /// Pages (or style sheets) beyond `found_on` that load it too.
    pub more_uses: usize,
}

impl Trouble {
    /// `http://site/gone answered 404 Not Found (link "Old" on http://site/)`.
    fn line(&self) -> String {
        let Some(found_on) = &self.found_on else {
            return match self.via.as_str() {
                "" => format!("{} {}", self.url, self.why),
                via => format!("{} {} ({via})", self.url, self.why),
            };
        };
        let more = match self.more_uses {
            0 => String::new(),
            more => format!(", and {more} more"),
        };
        format!("{} {} ({} on {found_on}{more})", self.url, self.why, self.via)
    }
}

/// `link "Old reports"`: how a report names a link, its text cut short and quoted as text.
fn link_named(text: &str) -> String {
    let text = text::collapse_whitespace(text);
    let mut kept: String = text.chars().take(LINK_TEXT_CHARS).collect();
    if kept.len() < text.len() {
        kept.push('…');
    }
    format!("link {}", text::quoted(&kept))
}

/// What the crawl step saw: how far the crawl got, what each page held, and what did not work.
#[derive(Debug, Default)]
pub(crate) struct CrawlReport {
    pub coverage: Coverage,
    /// `content.crawl_max_pages`, for the note.
    pub max_pages: usize,
    /// Pages of the site whose answer was read against the rules.
    pub pages_checked: usize,
    pub findings: Vec<(Url, Finding)>,
    /// Why the start page gave nothing to crawl, when it did not.
    pub not_started: Option<Trouble>,
    /// Pages linked from the site that answered 404, 410, another 4xx but those of
    /// [`refuses_access`], or 5xx.
    pub broken_links: Vec<Trouble>,
    /// Pages that gave no complete answer: whether they work, or what they hold, cannot be told.
    pub unanswered: Vec<Trouble>,
    /// Pages whose body was cut at its limit: what they hold cannot be told past the cut.
    pub cut_short: Vec<Trouble>,
    /// Pages that answered 401, 403 or 429: read against the rules, their links not followed,
    /// noted and not failed (see [`refuses_access`]).
    pub refused: Vec<Trouble>,
    /// What the pages load, and how it answered.
    pub assets: AssetsSeen,
}

/// What a crawl step holds against the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Judging {
    /// Forbidden content, broken links and assets, and pages that could not be read whole.
    Everything,
    /// Broken links and assets (mixed content among them) only.
    BrokenThings,
}

/// Whether a status speaks of access rather than breakage: 401 and 403 say this visitor may not
/// see the page (a link to `/admin/` on a page everyone sees is normal), 429 says the site asked
/// shakedown to slow down. None says the page is broken, so a page answering them is noted, not
/// failed. A sub-resource answering 401 or 403 is broken all the same: the page that loads it was
/// shown to this visitor, whose browser is refused it too (the static folder the server may no
/// longer read).
fn refuses_access(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
    )
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
    assets: AssetSettings,
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
            assets: settings.assets,
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

    /// Crawls from `start` as `visitor` (its cookies and credentials), checking everything the
    /// pages load and, when `judging` holds forbidden content against the site, every page
    /// against the rules, until the links, the limits or the step's deadline run out.
    pub(crate) async fn crawl(
        &self,
        visitor: &Visitor,
        start: Url,
        deadline: Deadline,
        judging: Judging,
    ) -> CrawlReport {
        let mut report = CrawlReport {
            max_pages: self.max_pages,
            ..CrawlReport::default()
        };
        let mut assets = AssetCheck::new(self.assets, &start);
        let rules = (judging == Judging::Everything).then_some(&self.rules);
        report.coverage = self
            .walk(visitor, start, deadline, &mut report, rules, Some(&mut assets))
            .await;
        report.assets = assets.finish();
        report
    }

    /// Crawls from `start` as an anonymous visitor, handing every page to `reader`, until the
    /// links, the limits, `deadline` or the reader stop it.
    pub async fn visit(&self, start: Url, deadline: Deadline, reader: &mut impl Reader) -> Coverage {
        self.walk(
            &Visitor::default(),
            start,
            deadline,
            reader,
            Some(&self.rules),
            None,
        )
        .await
    }

    /// One address outside the crawl's links (a health endpoint), fetched and read as the crawl
    /// fetches and reads its pages, as an anonymous visitor.
    pub async fn fetch(&self, url: Url, deadline: Deadline) -> Answer {
        let site = url.clone();
        let fetched = self.get(&Visitor::default(), url, deadline).await;
        self.answer(fetched, &site, Some(&self.rules)).0
    }

    async fn get(&self, visitor: &Visitor, url: Url, deadline: Deadline) -> Result<Exchange, StepFailure> {
        perform(&self.http, visitor, Outgoing::get_on_this_site(url), deadline).await
    }

    /// What came back, read against `rules` when given, and the page parsed when it is HTML (for
    /// its links); an answer from anywhere but `site`'s origin is not read.
    fn answer(
        &self,
        fetched: Result<Exchange, StepFailure>,
        site: &Url,
        rules: Option<&RuleSet>,
    ) -> (Answer, Option<Html>) {
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
        let findings = match (rules, &document) {
            (None, _) => Vec::new(),
            (Some(rules), Some(document)) => rules.scan(
                landed.path(),
                &text::visible_text_of(document),
                Some(&exchange.body),
            ),
            (Some(rules), None) => rules.scan(landed.path(), &exchange.body, None),
        };
        let answered = Answered {
            exchange,
            landed,
            findings,
        };
        (Answer::Answered(Box::new(answered)), document)
    }

    /// The crawl itself, whoever reads its pages, as `visitor`; with `rules`, each page is read
    /// against them; with `assets`, what each page that answered loads is asked for too, after
    /// each batch of pages, within the same deadline.
    pub(crate) async fn walk(
        &self,
        visitor: &Visitor,
        start: Url,
        deadline: Deadline,
        reader: &mut impl Reader,
        rules: Option<&RuleSet>,
        mut assets: Option<&mut AssetCheck>,
    ) -> Coverage {
        let mut coverage = Coverage::default();
        let mut frontier = Frontier::default();
        let mut skipped: HashSet<(Url, Skip)> = HashSet::new();
        frontier.offer(start.clone(), 0, Reached::Start);
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
            let batch = frontier.take(room.min(REQUESTS_AT_ONCE));
            coverage.pages_fetched += batch.len();
            let fetches = batch.into_iter().map(|candidate| async move {
                let fetched = self.get(visitor, candidate.url.clone(), deadline).await;
                (candidate, fetched)
            });
            for (candidate, fetched) in futures::future::join_all(fetches).await {
                let Candidate {
                    url, depth, reached, ..
                } = candidate;
                // The deadline cut this page off, not the site: it is left out, not read.
                if fetched.is_err() && deadline.has_passed() && reached != Reached::Start {
                    coverage.hit_deadline = true;
                    coverage.left_out += 1;
                    continue;
                }
                let (answer, document) = self.answer(fetched, &start, rules);
                let (landed, upgrades) = match &answer {
                    Answer::Answered(answered) => {
                        // Only a page that worked has its sub-resources checked.
                        let checked = assets.is_some() && answered.status().is_success();
                        let upgrades = document
                            .as_ref()
                            .filter(|_| checked)
                            .map(|document| upgrades_insecure_requests(&answered.exchange.headers, document));
                        (Some(answered.landed.clone()), upgrades)
                    }
                    Answer::LeftTheSite(_) | Answer::Failed(_) => (None, None),
                };
                let next = reader.read(Page { url, reached, answer });
                if next == Next::Stop {
                    break 'crawl;
                }
                let Some(landed) = landed.filter(|_| next != Next::LandingUnread) else {
                    continue;
                };
                frontier.mark_seen(&landed);
                if let (Some(assets), Some(document), Some(upgrades)) =
                    (assets.as_deref_mut(), &document, upgrades)
                {
                    assets.found_on(&landed, sub_resources(document, &landed), upgrades);
                }
                let Some(document) = document.filter(|_| next == Next::FollowLinks && depth < self.max_depth)
                else {
                    continue;
                };
                let found = self.links.sort(&document, &landed, &start);
                skipped.extend(found.skipped);
                for (link, text) in found.follow.into_iter().filter(|(link, _)| reader.wants(link)) {
                    let reached = Reached::Link {
                        from: landed.clone(),
                        text,
                    };
                    frontier.offer(link, depth + 1, reached);
                }
            }
            if let Some(assets) = assets.as_deref_mut() {
                assets.check_waiting(&self.http, visitor, deadline).await;
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
    /// The configured seeds, waiting beside the start page at its depth.
    fn offer_seeds(&self, frontier: &mut Frontier, start: &Url) {
        for seed in &self.seeds {
            if let Ok(url) = start.join(seed)
                && url.origin() == start.origin()
            {
                frontier.offer(url, 0, Reached::Seed);
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
    /// How it was first found.
    reached: Reached,
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
    fn offer(&mut self, url: Url, depth: usize, reached: Reached) {
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
            reached,
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
/// linked from the site that answers an error is a broken link, a page that gave nothing to
/// read is named, and a start page that gave nothing stops the crawl.
impl Reader for CrawlReport {
    fn read(&mut self, page: Page) -> Next {
        let is_start = page.is_start();
        let Page { url, reached, answer } = page;
        let (found_on, via) = match reached {
            Reached::Start => (None, String::new()),
            Reached::Link { from, text } => (Some(from), link_named(&text)),
            Reached::Seed => (None, "named in `content.crawl_seeds`".to_owned()),
        };
        let trouble = |why: String, kind: FailureKind| Trouble {
            url,
            via,
            found_on,
            why,
            kind,
            more_uses: 0,
        };
        let answered = match answer {
            Answer::Answered(answered) => answered,
            Answer::LeftTheSite(landed) if is_start => {
                self.not_started = Some(trouble(
                    format!("went on to {landed}, another site, where the crawl does not follow"),
                    FailureKind::Assertion,
                ));
                return Next::Stop;
            }
            Answer::LeftTheSite(_) => return Next::LeaveLinks,
            Answer::Failed(failure) => {
                let page = trouble(
                    format!("could not be fetched: {}", failure.summary()),
                    failure.kind(),
                );
                return self.record(page, is_start, |report| &mut report.unanswered);
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
        if refuses_access(status) {
            return self.record(trouble(said, FailureKind::Assertion), is_start, |report| {
                &mut report.refused
            });
        }
        if status.is_client_error() || status.is_server_error() {
            return self.record(trouble(said, FailureKind::Assertion), is_start, |report| {
                &mut report.broken_links
            });
        }
        if let Some(why) = cut_short {
            self.cut_short.push(trouble(why, FailureKind::Assertion));
        }
        Next::FollowLinks
    }
}

/// `line one\nline two\n... and 5 more`: the first [`NAMED_LINES`] of a list, the rest counted.
fn bounded(troubles: impl ExactSizeIterator<Item = String>) -> String {
    let total = troubles.len();
    let mut lines: Vec<String> = troubles.take(NAMED_LINES).collect();
    if total > NAMED_LINES {
        lines.push(format!("... and {} more", total - NAMED_LINES));
    }
    lines.join("\n")
}

/// `1 broken link`, `3 broken links`.
fn counted(count: usize, one: &str, many: &str) -> String {
    match count {
        1 => format!("1 {one}"),
        _ => format!("{count} {many}"),
    }
}

impl CrawlReport {
    /// A page that gave nothing to read: the start page stops the crawl before it began, any
    /// other goes into `list`.
    fn record(
        &mut self,
        page: Trouble,
        is_start: bool,
        list: impl FnOnce(&mut Self) -> &mut Vec<Trouble>,
    ) -> Next {
        if is_start {
            self.not_started = Some(page);
            return Next::Stop;
        }
        list(self).push(page);
        Next::LeaveLinks
    }

    /// The crawl's note when nothing it holds against the site (`judging`) was found; else the
    /// failure, naming each thing with where it was found and what came back, a long list cut
    /// to its first lines and the rest counted.
    pub(crate) fn verdict(
        &self,
        judging: Judging,
        start: &str,
        role: &str,
        deadline: Deadline,
    ) -> Result<String, StepFailure> {
        let summary = self.summary(start, role, deadline);
        let findings: &[(Url, Finding)] = match judging {
            Judging::Everything => &self.findings,
            Judging::BrokenThings => &[],
        };
        let found = (!findings.is_empty()).then(|| {
            bounded(
                findings
                    .iter()
                    .map(|(url, finding)| format!("{url} [{}] {}", finding.rule, finding.snippet)),
            )
        });
        let with_findings = |failure: StepFailure| match &found {
            Some(found) => failure.with("found", found.clone()),
            None => failure,
        };
        if let Some(not_started) = &self.not_started {
            let failure = StepFailure::new(format!("the crawl could not start: {start} {}", not_started.why))
                .of_kind(not_started.kind)
                .with("request", format!("GET {}", not_started.url))
                .with("as", role.to_owned());
            return Err(with_findings(failure));
        }
        let assets = &self.assets;
        let mut unchecked: Vec<&Trouble> = self.unanswered.iter().chain(&assets.unanswered).collect();
        if judging == Judging::Everything {
            unchecked.extend(&self.cut_short);
        }
        let broken = [
            (&self.broken_links, "broken link", "broken links", "broken links"),
            (&assets.broken, "broken asset", "broken assets", "broken assets"),
            (
                &assets.mixed_content,
                "mixed-content asset",
                "mixed-content assets",
                "mixed content",
            ),
        ];
        let mut told: Vec<String> = Vec::new();
        if !findings.is_empty() {
            let pages: BTreeSet<&Url> = findings.iter().map(|(url, _)| url).collect();
            told.push(format!(
                "forbidden content on {} of {} page(s)",
                pages.len(),
                self.pages_checked
            ));
        }
        for (list, one, many, _) in &broken {
            if !list.is_empty() {
                told.push(counted(list.len(), one, many));
            }
        }
        let failure = match (told.is_empty(), unchecked.is_empty()) {
            (true, true) => return Ok(summary),
            (false, _) => StepFailure::new(format!("{} reachable from {start}", told.join(", "))),
            // Only things that did not answer: the site's own kind of trouble (a timeout, a
            // refused connection); a page cut short is the crawl's to report.
            (true, false) => {
                let kind = match unchecked
                    .iter()
                    .all(|trouble| trouble.kind != FailureKind::Assertion)
                {
                    true => unchecked[0].kind,
                    false => FailureKind::Assertion,
                };
                let what = match judging {
                    Judging::Everything => "hold forbidden content or work",
                    Judging::BrokenThings => "work",
                };
                StepFailure::new(format!(
                    "could not tell whether {} of the {} page(s) and {} asset(s) reachable from {start} {what}: they could not be read whole",
                    unchecked.len(),
                    self.coverage.pages_fetched,
                    assets.fetched
                ))
                .of_kind(kind)
            }
        };
        let mut failure = with_findings(failure);
        for (list, _, _, label) in broken {
            if !list.is_empty() {
                failure = failure.with(label, bounded(list.iter().map(Trouble::line)));
            }
        }
        if !unchecked.is_empty() {
            failure = failure.with("not checked", bounded(unchecked.into_iter().map(Trouble::line)));
        }
        Err(failure.with("crawl", summary))
    }

    /// `checked 20 page(s) reachable from / as clerk, ...`: what was checked, what was passed
    /// over and why, and where a limit stopped the crawl.
    fn summary(&self, start: &str, role: &str, deadline: Deadline) -> String {
        let mut summary = format!(
            "checked {} page(s) reachable from {start} as {role}",
            self.pages_checked
        );
        let noted = |troubles: &[Trouble]| {
            let named: Vec<String> = troubles.iter().take(5).map(Trouble::line).collect();
            let more = match troubles.len().saturating_sub(5) {
                0 => String::new(),
                more => format!(" and {more} more"),
            };
            format!("{}{more}", named.join("; "))
        };
        if !self.refused.is_empty() {
            summary.push_str(&format!(
                ", {} of them answered 401, 403 or 429 (access, not breakage), their links not followed ({})",
                self.refused.len(),
                noted(&self.refused)
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
            summary.push_str(&format!(
                ", stopped at `content.crawl_max_pages` = {}",
                self.max_pages
            ));
        }
        if self.coverage.hit_deadline || self.assets.hit_deadline {
            summary.push_str(&format!(", stopped at the step's deadline, {deadline}"));
        }
        if self.coverage.left_out > 0 {
            summary.push_str(&format!(
                ", covering {} of {} page shape(s) found, {} page(s) left out",
                self.coverage.shapes_checked, self.coverage.shapes_found, self.coverage.left_out
            ));
        }
        let assets = &self.assets;
        if assets.fetched > 0 {
            summary.push_str(&format!(", and {} asset(s) they load", assets.fetched));
        }
        if !assets.rate_limited.is_empty() {
            summary.push_str(&format!(
                ", {} asset(s) answered 429, not checked ({})",
                assets.rate_limited.len(),
                noted(&assets.rate_limited)
            ));
        }
        if assets.external > 0 {
            summary.push_str(&format!(
                ", {} asset(s) on other origins not checked (`content.check_external`)",
                assets.external
            ));
        }
        if assets.hit_limit {
            summary.push_str(&format!(
                ", stopped at `content.crawl_max_assets` = {}",
                assets.max_assets
            ));
        }
        if assets.left_out > 0 {
            summary.push_str(&format!(", {} asset(s) left out", assets.left_out));
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

    fn link_on(page: &str) -> Reached {
        Reached::Link {
            from: url(page),
            text: String::new(),
        }
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
            frontier.offer(url(&format!("/ticket/{number}")), 1, link_on("/"));
        }
        frontier.offer(url("/report/7"), 2, link_on("/ticket/1"));
        frontier.offer(url("/wiki/Start"), 1, link_on("/"));
        frontier.offer(url("/timeline?from=2026-12-06&daysback=1"), 1, link_on("/"));
        frontier.offer(url("/timeline?daysback=1&from=2026-12-06"), 1, link_on("/"));
        frontier.offer(url("/timeline?from=2026-12-05&daysback=1"), 1, link_on("/"));
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
            forwards.offer(url(path), 1, Reached::Seed);
        }
        for path in paths.iter().rev() {
            backwards.offer(url(path), 1, Reached::Seed);
        }
        assert_eq!(taken(&mut forwards, 5), taken(&mut backwards, 5));
    }

    fn report() -> CrawlReport {
        CrawlReport {
            coverage: Coverage {
                pages_fetched: 3,
                ..Coverage::default()
            },
            max_pages: 20,
            pages_checked: 2,
            ..CrawlReport::default()
        }
    }

    fn deadline() -> Deadline {
        Deadline::after(std::time::Duration::from_secs(15), crate::deadline::Limit::Step)
    }

    fn trouble(path: &str, on: &str, via: &str, why: &str) -> Trouble {
        Trouble {
            url: url(path),
            found_on: Some(url(on)),
            via: via.to_owned(),
            why: why.to_owned(),
            kind: FailureKind::Assertion,
            more_uses: 0,
        }
    }

    #[test]
    fn a_page_that_gave_no_answer_fails_the_crawl_as_could_not_tell() {
        let mut report = report();
        let mut timed_out = trouble(
            "/slow",
            "/",
            "link \"Slow\"",
            "could not be fetched: no complete answer",
        );
        timed_out.kind = FailureKind::Timeout;
        report.unanswered.push(timed_out);
        let failure = report
            .verdict(Judging::BrokenThings, "/", "anonymous", deadline())
            .expect_err("a page without an answer fails the crawl");
        assert_eq!(
            failure.summary(),
            "could not tell whether 1 of the 3 page(s) and 0 asset(s) reachable from / work: they could not be read whole"
        );
        assert_eq!(failure.kind(), FailureKind::Timeout);
        assert!(failure.details().contains(&(
            "not checked",
            "http://site.test/slow could not be fetched: no complete answer (link \"Slow\" on http://site.test/)"
                .to_owned()
        )));
    }

    #[test]
    fn broken_links_and_assets_fail_both_crawls_and_forbidden_content_only_one() {
        let mut report = report();
        report.broken_links.push(trouble(
            "/gone",
            "/",
            "link \"Old reports\"",
            "answered 404 Not Found",
        ));
        let mut sheet = trouble(
            "/static/site.css",
            "/",
            "<link rel=stylesheet>",
            "answered 404 Not Found",
        );
        sheet.more_uses = 2;
        report.assets.broken.push(sheet);
        report.assets.fetched = 4;
        let failure = report
            .verdict(Judging::BrokenThings, "/", "anonymous", deadline())
            .expect_err("broken things fail");
        assert_eq!(
            failure.summary(),
            "1 broken link, 1 broken asset reachable from /"
        );
        assert_eq!(failure.kind(), FailureKind::Assertion);
        let detail = |label: &str| {
            failure
                .details()
                .iter()
                .find(|(named, _)| *named == label)
                .map(|(_, value)| value.clone())
        };
        assert_eq!(
            detail("broken links").as_deref(),
            Some("http://site.test/gone answered 404 Not Found (link \"Old reports\" on http://site.test/)")
        );
        assert_eq!(
            detail("broken assets").as_deref(),
            Some(
                "http://site.test/static/site.css answered 404 Not Found (<link rel=stylesheet> on http://site.test/, and 2 more)"
            )
        );
        let finding = Finding {
            rule: "lorem-ipsum".into(),
            snippet: "\"Lorem ipsum\"".into(),
        };
        report.findings.push((url("/about"), finding));
        let everything = report
            .verdict(Judging::Everything, "/", "anonymous", deadline())
            .expect_err("fails");
        assert_eq!(
            everything.summary(),
            "forbidden content on 1 of 2 page(s), 1 broken link, 1 broken asset reachable from /"
        );
        let broken_only = report
            .verdict(Judging::BrokenThings, "/", "anonymous", deadline())
            .expect_err("fails");
        assert!(broken_only.details().iter().all(|(label, _)| *label != "found"));
    }

    #[test]
    fn a_long_list_names_its_first_lines_and_counts_the_rest() {
        let mut report = report();
        for number in 0..25 {
            report.assets.mixed_content.push(trouble(
                &format!("http://site.test/img/{number}.png"),
                "/",
                "<img src>",
                "is mixed content",
            ));
        }
        let failure = report
            .verdict(Judging::BrokenThings, "/", "anonymous", deadline())
            .expect_err("fails");
        assert_eq!(failure.summary(), "25 mixed-content assets reachable from /");
        let (_, listed) = failure
            .details()
            .iter()
            .find(|(label, _)| *label == "mixed content")
            .expect("listed");
        assert_eq!(listed.lines().count(), 21);
        assert!(listed.ends_with("... and 5 more"), "{listed}");
    }

    #[test]
    fn a_seed_that_answered_an_error_is_a_broken_page_named_by_its_setting() {
        let mut report = report();
        let next = report.read(Page {
            url: url("/hidden/"),
            reached: Reached::Seed,
            answer: Answer::Failed(StepFailure::new("connection refused")),
        });
        assert_eq!(next, Next::LeaveLinks, "a seed is no start page");
        assert!(report.not_started.is_none());
        assert_eq!(
            report.unanswered[0].line(),
            "http://site.test/hidden/ could not be fetched: connection refused (named in `content.crawl_seeds`)"
        );
    }

    #[test]
    fn a_start_page_that_answered_an_error_is_a_crawl_that_never_started() {
        let mut report = report();
        report.not_started = Some(Trouble {
            found_on: None,
            ..trouble("/", "/", "link \"\"", "answered 404 Not Found")
        });
        let failure = report
            .verdict(Judging::Everything, "/", "clerk", deadline())
            .expect_err("fails");
        assert_eq!(
            failure.summary(),
            "the crawl could not start: / answered 404 Not Found"
        );
    }

    #[test]
    fn the_note_names_refusals_skips_and_what_a_limit_left_out() {
        let mut report = report();
        report.refused.push(trouble(
            "/private/",
            "/",
            "link \"Private\"",
            "answered 403 Forbidden",
        ));
        report.coverage.configured_skips = 2;
        report.coverage.destructive_links = 1;
        report.coverage.hit_page_limit = true;
        report.coverage.shapes_checked = 4;
        report.coverage.shapes_found = 5;
        report.coverage.left_out = 280;
        report.assets.fetched = 7;
        report.assets.external = 2;
        assert_eq!(
            report
                .verdict(Judging::Everything, "/", "clerk", deadline())
                .expect("passes"),
            "checked 2 page(s) reachable from / as clerk, 1 of them answered 401, 403 or 429 (access, not breakage), \
             their links not followed (http://site.test/private/ answered 403 Forbidden (link \"Private\" on http://site.test/)), \
             2 link(s) skipped by `content.crawl_skip`, 1 unsafe link(s) skipped, \
             stopped at `content.crawl_max_pages` = 20, covering 4 of 5 page shape(s) found, 280 page(s) left out, \
             and 7 asset(s) they load, 2 asset(s) on other origins not checked (`content.check_external`)"
        );
    }

    #[test]
    fn a_link_is_named_by_its_text_quoted_and_cut_short() {
        assert_eq!(link_named("  Old\n reports "), "link \"Old reports\"");
        let long = "word ".repeat(40);
        let named = link_named(&long);
        assert!(named.ends_with("…\""), "{named}");
        assert!(named.chars().count() < 80, "{named}");
    }
}
