//! The "Page content" phrases: one page against the forbidden-content rules, a whole crawl, or
//! a table of extra strings.

use cucumber::gherkin::Step;
use cucumber::{given, then, when};

use super::crawl::crawl;
use crate::failure::StepFailure;
use crate::text;
use crate::world::ShakedownWorld;

#[given(expr = "the page should contain no forbidden content")]
#[when(expr = "the page should contain no forbidden content")]
#[then(expr = "the page should contain no forbidden content")]
async fn no_forbidden_content(world: &mut ShakedownWorld) -> Result<(), StepFailure> {
    let page = current_page(world).await?;
    let findings = world
        .settings()
        .content
        .rules
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

#[given(expr = "no page reachable from {string} should contain forbidden content")]
#[when(expr = "no page reachable from {string} should contain forbidden content")]
#[then(expr = "no page reachable from {string} should contain forbidden content")]
async fn no_forbidden_content_reachable(
    world: &mut ShakedownWorld,
    start: String,
) -> Result<(), StepFailure> {
    let start_url = world.resolve(&start)?;
    let budget = world.time_budget();
    let content = &world.settings().content;
    let report = crawl(
        world.run(),
        &world.http.jar,
        start_url.clone(),
        &content.rules,
        &content.crawl,
        budget,
    )
    .await;
    let role = world.role.clone().unwrap_or_else(|| "anonymous".to_owned());
    let mut summary = format!(
        "checked {} page(s) reachable from {start} as {role}",
        report.pages_checked
    );
    if report.links_skipped > 0 {
        summary.push_str(&format!(", {} unsafe link(s) skipped", report.links_skipped));
    }
    if report.hit_page_limit {
        summary.push_str(&format!(
            ", stopped at `content.crawl_max_pages` = {}",
            content.crawl.max_pages
        ));
    }
    if report.findings.is_empty() && report.unreachable.is_empty() {
        world.note(summary);
        return Ok(());
    }
    let offending: Vec<String> = report
        .findings
        .iter()
        .map(|(url, finding)| format!("{url} [{}] {}", finding.rule, finding.snippet))
        .collect();
    let unreachable: Vec<String> = report
        .unreachable
        .iter()
        .map(|(url, why)| format!("{url}: {why}"))
        .collect();
    let pages_with_findings: std::collections::BTreeSet<&url::Url> =
        report.findings.iter().map(|(url, _)| url).collect();
    let mut failure = StepFailure::new(format!(
        "forbidden content on {} of {} page(s) reachable from {start}",
        pages_with_findings.len(),
        report.pages_checked
    ))
    .with("crawl", summary);
    if !offending.is_empty() {
        failure = failure.with("found", offending.join("\n"));
    }
    if !unreachable.is_empty() {
        failure = failure.with("not checked", unreachable.join("\n"));
    }
    Err(failure)
}

#[given(expr = "the page should not contain any of:")]
#[when(expr = "the page should not contain any of:")]
#[then(expr = "the page should not contain any of:")]
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
/// response.
async fn current_page(world: &mut ShakedownWorld) -> Result<PageContents, StepFailure> {
    if world.browser.is_open() {
        let page = world.page().await?;
        let (url, visible, html) = page.contents().await?;
        return Ok(PageContents {
            url,
            visible,
            html: Some(html),
            source: "the browser's current page".to_owned(),
        });
    }
    let exchange = world.http.last.as_ref().ok_or_else(|| {
        StepFailure::new("there is no page to check: nothing has been requested or visited in this scenario")
            .with(
                "hint",
                "start with a step such as `When I request \"/\"` or `When I visit \"/\"`",
            )
    })?;
    let html = text::is_html(exchange.content_type(), &exchange.body).then(|| exchange.body.clone());
    Ok(PageContents {
        url: exchange.final_url(),
        visible: exchange.readable_body().to_owned(),
        html,
        source: exchange.describe(),
    })
}
