//! The "Page content" phrases: one page against the forbidden-content rules, a whole crawl
//! (against the rules and for broken links and assets, or for the broken things alone), or a
//! table of extra strings.

use cucumber::gherkin::Step;
use shakedown_steps_macros::phrase;

use super::crawl::Judging;
use crate::failure::StepFailure;
use crate::http::checks;
use crate::site::SiteAddress;
use crate::text;
use crate::world::ShakedownWorld;

/// The catalogue groups this file's phrases under this domain.
const PHRASE_DOMAIN: &str = "content";

/// the current browser page, or else the last HTTP response, against the configured forbidden rules; an error page fails: absence cannot be told there
#[phrase(
    "the page should contain no forbidden content",
    example = "the page should contain no forbidden content",
    text = PAGE_CLEAN_PHRASE
)]
async fn no_forbidden_content(world: &mut ShakedownWorld) -> Result<(), StepFailure> {
    let page = current_page(world).await?;
    let findings = world
        .content_rules()
        .scan(page.url.path(), &page.visible, page.html.as_deref());
    if findings.is_empty() {
        return Ok(());
    }
    let listing: Vec<String> = findings
        .iter()
        .map(|finding| format!("[{}] {}", finding.rule, finding.snippet))
        .collect();
    let names: Vec<&str> = findings.iter().map(|finding| finding.rule.as_str()).collect();
    Err(
        StepFailure::new(format!("forbidden content on {}: {}", page.url, names.join(", ")))
            .with("found", listing.join("\n"))
            .with("seen in", page.source),
    )
}

/// a bounded same-origin crawl as the current role: every page it reaches is read against the
/// forbidden-content rules and must work, as for `no page reachable from {string} should have
/// broken links or assets`; forbidden content, a broken link or asset, and a page it could not
/// read whole (a cut body, no answer) each fail it, listed with where they were found; so does a
/// start page that answers an error. Where `content.crawl_max_pages` stops it, it has checked
/// one page of each shape of address (`/ticket/{n}`) before a second of any.
#[phrase(
    "no page reachable from {string} should contain forbidden content",
    example = "no page reachable from \"/\" should contain forbidden content",
    text = CRAWL_CLEAN_PHRASE
)]
async fn no_forbidden_content_reachable(
    world: &mut ShakedownWorld,
    start: SiteAddress,
) -> Result<(), StepFailure> {
    crawl_judging(world, &start, Judging::Everything).await
}

/// the same bounded crawl as the current role, holding only what does not work against the site:
/// a page linked from the site that answers 404, 410, another 4xx or a 5xx is a broken link,
/// named with the page that links to it and the link's text; everything the pages load (`img`
/// `src`/`srcset`, `script src`, `link rel=stylesheet|icon|preload|manifest`, `source`,
/// `video`/`audio` `src` and `poster`, and the `url()` and `@import` of their style sheets) must
/// answer, each asked for once per crawl (HEAD, or GET where HEAD is not answered honestly); on an
/// `https://` page an `http://` sub-resource is mixed content and fails unasked (unless the page's
/// `Content-Security-Policy` says `upgrade-insecure-requests`: then it is asked for over
/// `https://`, as the browser asks for it). A page answering
/// 401, 403 or 429 is noted, not failed: it speaks of access, not breakage; a sub-resource
/// answering 401 or 403 is broken (the visitor's browser is refused it too). Other origins are
/// checked with `content.check_external`, source maps with `content.check_source_maps`.
#[phrase(
    "no page reachable from {string} should have broken links or assets",
    example = "no page reachable from \"/\" should have broken links or assets"
)]
async fn no_broken_links_or_assets_reachable(
    world: &mut ShakedownWorld,
    start: SiteAddress,
) -> Result<(), StepFailure> {
    crawl_judging(world, &start, Judging::BrokenThings).await
}

/// Crawls from `start` as the scenario's role and holds what `judging` names against the site.
async fn crawl_judging(
    world: &mut ShakedownWorld,
    start: &SiteAddress,
    judging: Judging,
) -> Result<(), StepFailure> {
    let start_url = world.resolve(start)?;
    let deadline = world.deadline();
    let report = world
        .crawler()
        .crawl(&world.http.visitor, start_url, deadline, judging)
        .await;
    let note = report.verdict(judging, start, world.role_name(), deadline)?;
    world.note(note);
    Ok(())
}

/// a one-column table of extra strings; an error page fails, as for forbidden content
#[phrase(
    "the page should not contain any of:",
    example = "the page should not contain any of:"
)]
async fn contains_none_of(world: &mut ShakedownWorld, step: &Step) -> Result<(), StepFailure> {
    let table = step
        .table
        .as_ref()
        .ok_or_else(|| StepFailure::new("the step needs a one-column table of strings under it"))?;
    let page = current_page(world).await?;
    let found: Vec<String> = table
        .rows
        .iter()
        .filter_map(|row| row.first())
        .filter_map(|needle| {
            [Some(page.visible.as_str()), page.html.as_deref()]
                .into_iter()
                .flatten()
                .find_map(|haystack| {
                    haystack.find(needle.as_str()).map(|start| {
                        format!(
                            "{}: {}",
                            text::quoted(needle),
                            text::snippet_around(haystack, start, start + needle.len())
                        )
                    })
                })
        })
        .collect();
    if found.is_empty() {
        return Ok(());
    }
    Err(
        StepFailure::new(format!("{} forbidden string(s) on {}", found.len(), page.url))
            .with("found", found.join("\n"))
            .with("seen in", page.source),
    )
}

/// The page a content check reads, wherever the scenario looked last.
struct PageContents {
    url: url::Url,
    visible: String,
    html: Option<String>,
    /// Where it came from, for the failure: the browser, or the request behind a response.
    source: String,
}

/// The browser's current page when the scenario has used the browser, else the last HTTP
/// response; either only when it can prove absence (it loaded, was read whole and is no
/// unexpected error page), since every check of this module proves absence.
async fn current_page(world: &mut ShakedownWorld) -> Result<PageContents, StepFailure> {
    if world.browser_is_open() {
        let page = world.page().await?;
        page.proves_absence().await?;
        let (url, visible, html) = page.contents().await?;
        return Ok(PageContents {
            url,
            visible,
            html: Some(html),
            source: "the browser's current page".to_owned(),
        });
    }
    let exchange = world.http.answer().ok_or_else(|| {
        StepFailure::new("there is no page to check: nothing has been requested or visited in this scenario")
            .with(
                "hint",
                "start with a step such as `When I request \"/\"` or `When I visit \"/\"`",
            )
    })?;
    checks::proves_absence(exchange, &world.http.expected_statuses)?;
    let html = text::is_html(exchange.content_type(), &exchange.body).then(|| exchange.body.clone());
    Ok(PageContents {
        url: exchange.final_url(),
        visible: exchange.readable_body().to_owned(),
        html,
        source: exchange.describe(),
    })
}
