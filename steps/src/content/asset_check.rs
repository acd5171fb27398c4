//! The sub-resources of one crawl, each asked for once however many pages load it: HEAD first,
//! GET where HEAD is not answered honestly (405, 501, an error to confirm, no answer), and GET
//! from the start for a style sheet, whose `url()` and `@import` are read in turn (and for a
//! script or style sheet whose source map is checked). Same origin only unless
//! `content.check_external`; an `http://` sub-resource of an `https://` page is mixed content
//! and is not asked for at all, unless the page upgrades insecure requests (CSP), when it is
//! asked for over `https://` as the browser would. Bounded by `content.crawl_max_assets`, the step's deadline, and
//! the bytes of a body kept. Never more than GET or HEAD.
//!
//! Answers are kept for one crawl, not the run: a run may deploy between two crawls (`When the
//! deployment ...`), and an answer from before would hide the very breakage the second crawl is
//! there to catch.

use std::collections::{HashMap, VecDeque};

use reqwest::{Client, Method, StatusCode};
use url::{Origin, Url};

use super::assets::{
    AssetKind, CssReference, SubResource, css_kind, css_references, resolve, source_map_of, upgraded,
};
use super::crawl::Trouble;
use crate::deadline::Deadline;
use crate::failure::{FailureKind, StepFailure};
use crate::http::{Exchange, Outgoing, REQUESTS_AT_ONCE, Visitor, perform_reading};

/// Bytes of a style sheet's (or a script's) body read for the addresses it names: enough for
/// any hand-written or bundled style sheet, and eight fetched at once stay small.
pub(crate) const MAX_ASSET_BODY_BYTES: usize = 2 * 1024 * 1024;

/// `[content]` sub-resource settings.
#[derive(Debug, Clone, Copy)]
pub struct AssetSettings {
    /// Distinct sub-resources one crawl asks for at most.
    pub max_assets: usize,
    /// Whether sub-resources on other origins (a CDN) are asked for too.
    pub check_external: bool,
    /// Whether the source maps that scripts and style sheets name are asked for.
    pub check_source_maps: bool,
}

impl Default for AssetSettings {
    fn default() -> Self {
        Self {
            max_assets: 500,
            check_external: false,
            check_source_maps: false,
        }
    }
}

/// How one sub-resource answered.
#[derive(Debug)]
enum Outcome {
    Works,
    /// An error status: the page shows it broken. `answered 404 Not Found`
    Broken(String),
    /// 429: the site asked shakedown to slow down; whether it works cannot be told.
    RateLimited(String),
    NoAnswer(StepFailure),
    /// Loaded over `http://` by an `https://` page: browsers block it or warn, whatever it
    /// would answer.
    MixedContent,
    /// On another origin, and `content.check_external` is off.
    External,
}

/// One distinct sub-resource, where it was first found and how many pages (or style sheets)
/// load it.
#[derive(Debug)]
struct Entry {
    resource: SubResource,
    found_on: Url,
    uses: usize,
    /// Whether the page that first loaded it upgrades insecure requests, which then holds for
    /// what it loads in turn (a style sheet's `url()`), as it does in the browser.
    upgrades: bool,
    /// `None` while it waits, or when a limit left it out.
    outcome: Option<Outcome>,
}

/// What one crawl found its pages load, and how each answered.
#[derive(Debug)]
pub(crate) struct AssetCheck {
    settings: AssetSettings,
    site: Origin,
    entries: Vec<Entry>,
    index: HashMap<Url, usize>,
    waiting: VecDeque<usize>,
    fetched: usize,
    hit_limit: bool,
    hit_deadline: bool,
}

/// The sub-resources of a crawl, told apart for its report.
#[derive(Debug, Default)]
pub(crate) struct AssetsSeen {
    /// Distinct sub-resources asked for and answered (or not) before the deadline.
    pub fetched: usize,
    /// Distinct sub-resources on other origins, left alone.
    pub external: usize,
    /// Found and never asked for, because a limit stopped the check first.
    pub left_out: usize,
    pub max_assets: usize,
    pub hit_limit: bool,
    pub hit_deadline: bool,
    pub broken: Vec<Trouble>,
    pub mixed_content: Vec<Trouble>,
    /// No complete answer came: whether they work cannot be told.
    pub unanswered: Vec<Trouble>,
    pub rate_limited: Vec<Trouble>,
}

impl AssetCheck {
    pub fn new(settings: AssetSettings, start: &Url) -> Self {
        Self {
            settings,
            site: start.origin(),
            entries: Vec::new(),
            index: HashMap::new(),
            waiting: VecDeque::new(),
            fetched: 0,
            hit_limit: false,
            hit_deadline: false,
        }
    }

    /// What `on` (a page, or a style sheet) loads; `upgrades` when the page upgrades insecure
    /// requests (CSP `upgrade-insecure-requests`), so that its `http://` addresses are asked
    /// for over `https://`, as the browser asks for them.
    pub fn found_on(&mut self, on: &Url, resources: Vec<SubResource>, upgrades: bool) {
        for mut resource in resources {
            if upgrades {
                resource.url = upgraded(&resource.url);
            }
            if let Some(&known) = self.index.get(&resource.url) {
                self.entries[known].uses += 1;
                continue;
            }
            let outcome = if on.scheme() == "https" && resource.url.scheme() == "http" {
                Some(Outcome::MixedContent)
            } else if resource.url.origin() != self.site && !self.settings.check_external {
                Some(Outcome::External)
            } else {
                None
            };
            let index = self.entries.len();
            if outcome.is_none() {
                self.waiting.push_back(index);
            }
            self.index.insert(resource.url.clone(), index);
            self.entries.push(Entry {
                resource,
                found_on: on.clone(),
                uses: 1,
                upgrades,
                outcome,
            });
        }
    }

    /// Asks for every sub-resource waiting, and what the style sheets among them load, until
    /// none waits or a limit stops it.
    pub async fn check_waiting(&mut self, http: &Client, visitor: &Visitor, deadline: Deadline) {
        while !self.waiting.is_empty() {
            if deadline.has_passed() {
                self.hit_deadline = true;
                return;
            }
            let room = self.settings.max_assets - self.fetched;
            if room == 0 {
                self.hit_limit = true;
                return;
            }
            let count = room.min(REQUESTS_AT_ONCE).min(self.waiting.len());
            let batch: Vec<usize> = self.waiting.drain(..count).collect();
            self.fetched += batch.len();
            let settings = self.settings;
            let fetches = batch.into_iter().map(|index| {
                let resource = self.entries[index].resource.clone();
                async move { (index, ask(http, visitor, &resource, settings, deadline).await) }
            });
            for (index, (outcome, loads)) in futures::future::join_all(fetches).await {
                // The deadline cut this one off, not the site: it is left out, not judged.
                if matches!(outcome, Outcome::NoAnswer(_)) && deadline.has_passed() {
                    self.hit_deadline = true;
                    continue;
                }
                self.entries[index].outcome = Some(outcome);
                let on = self.entries[index].resource.url.clone();
                let upgrades = self.entries[index].upgrades;
                self.found_on(&on, loads, upgrades);
            }
        }
    }

    /// The crawl's account of its sub-resources.
    pub fn finish(self) -> AssetsSeen {
        let mut seen = AssetsSeen {
            max_assets: self.settings.max_assets,
            hit_limit: self.hit_limit,
            hit_deadline: self.hit_deadline,
            ..AssetsSeen::default()
        };
        for entry in self.entries {
            let Entry {
                resource,
                found_on,
                uses,
                outcome,
                ..
            } = entry;
            let trouble = |why: String, kind: FailureKind| Trouble {
                url: resource.url.clone(),
                found_on: Some(found_on.clone()),
                via: resource.element.to_owned(),
                why,
                kind,
                more_uses: uses - 1,
            };
            let asked = matches!(
                outcome,
                Some(Outcome::Works | Outcome::Broken(_) | Outcome::RateLimited(_) | Outcome::NoAnswer(_))
            );
            seen.fetched += usize::from(asked);
            match outcome {
                None => seen.left_out += 1,
                Some(Outcome::Works) => {}
                Some(Outcome::External) => seen.external += 1,
                Some(Outcome::Broken(why)) => seen.broken.push(trouble(why, FailureKind::Assertion)),
                Some(Outcome::MixedContent) => seen.mixed_content.push(trouble(
                    "is mixed content: loaded over http:// by an https:// page, which browsers block or warn about".to_owned(),
                    FailureKind::Assertion,
                )),
                Some(Outcome::RateLimited(why)) => {
                    seen.rate_limited.push(trouble(why, FailureKind::Assertion));
                }
                Some(Outcome::NoAnswer(failure)) => seen.unanswered.push(trouble(
                    format!("could not be fetched: {}", failure.summary()),
                    failure.kind(),
                )),
            }
        }
        seen
    }
}

/// Asks for one sub-resource: its outcome, and what it loads in turn (a style sheet's `url()`
/// and `@import`, a source map when those are checked).
async fn ask(
    http: &Client,
    visitor: &Visitor,
    resource: &SubResource,
    settings: AssetSettings,
    deadline: Deadline,
) -> (Outcome, Vec<SubResource>) {
    let request = |method: Method, body_limit: usize| {
        let outgoing = Outgoing {
            method,
            // A redirect to a CDN is followed only where other origins are checked at all.
            stays_on_origin: !settings.check_external,
            ..Outgoing::get(resource.url.clone())
        };
        perform_reading(http, visitor, outgoing, deadline, body_limit)
    };
    let reads_body = match resource.kind {
        AssetKind::StyleSheet => true,
        AssetKind::Script => settings.check_source_maps,
        AssetKind::Plain => false,
    };
    if !reads_body {
        if let Ok(head) = request(Method::HEAD, 0).await
            && works(head.status)
        {
            return (Outcome::Works, Vec::new());
        }
        // HEAD refused (405, 501), answered an error, or not at all: GET has the last word.
        return (outcome_of(request(Method::GET, 0).await), Vec::new());
    }
    let fetched = request(Method::GET, MAX_ASSET_BODY_BYTES).await;
    let loads = match &fetched {
        Ok(exchange) if exchange.status.is_success() => loaded_by(resource, exchange, settings),
        _ => Vec::new(),
    };
    (outcome_of(fetched), loads)
}

/// A redirect counts as working: one within the checked origins was followed already, and one
/// beyond them is not checked.
fn works(status: StatusCode) -> bool {
    status.is_success() || status.is_redirection()
}

fn outcome_of(fetched: Result<Exchange, StepFailure>) -> Outcome {
    match fetched {
        Ok(exchange) if works(exchange.status) => Outcome::Works,
        Ok(exchange) if exchange.status == StatusCode::TOO_MANY_REQUESTS => {
            Outcome::RateLimited(format!("answered {}", exchange.status))
        }
        Ok(exchange) => Outcome::Broken(format!("answered {}", exchange.status)),
        Err(failure) => Outcome::NoAnswer(failure),
    }
}

/// What a style sheet or script that answered loads in turn, resolved against where it ended.
fn loaded_by(resource: &SubResource, exchange: &Exchange, settings: AssetSettings) -> Vec<SubResource> {
    let landed = exchange.final_url();
    let mut loads = Vec::new();
    if resource.kind == AssetKind::StyleSheet {
        for (written, how) in css_references(&exchange.body) {
            if let Some(url) = resolve(&landed, &written) {
                let element = match how {
                    CssReference::Url => "url()",
                    CssReference::Import => "@import",
                };
                loads.push(SubResource {
                    url,
                    element,
                    kind: css_kind(how),
                });
            }
        }
    }
    if settings.check_source_maps {
        let header = ["sourcemap", "x-sourcemap"]
            .into_iter()
            .find_map(|name| exchange.headers.get(name)?.to_str().ok());
        if let Some(url) = source_map_of(&landed, &exchange.body, header) {
            loads.push(SubResource {
                url,
                element: "sourceMappingURL",
                kind: AssetKind::Plain,
            });
        }
    }
    loads
}
