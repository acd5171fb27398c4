//! The browser phrases of the step vocabulary. Each reads like its phrase: it gets the
//! scenario's page (leasing a session on first use), does one thing, and on failure adds what
//! the browser showed (URL, title, screenshot).

use shakedown_steps_macros::phrase;
use thirtyfour::BrowserLogEntry;
use url::Url;

use super::find::{self, Control};
use super::page::Page;
use super::read_only;
use crate::failure::StepFailure;
use crate::site;
use crate::site::SiteAddress;
use crate::text;
use crate::world::ShakedownWorld;

/// The catalogue groups this file's phrases under this domain.
const PHRASE_DOMAIN: &str = "browser";

/// navigate in the role's browser session; a page whose document answers a server error fails at once
#[phrase("I visit {string}", example = "I visit \"/dashboard/\"")]
async fn visit(world: &mut ShakedownWorld, target: SiteAddress) -> Result<(), StepFailure> {
    let url = world.resolve(&target)?;
    let page = world.page().await?;
    let outcome = loads(&page, &url).await;
    explained(&page, outcome, "visit").await
}

/// a link or button by its visible text
#[phrase("I click {string}", example = "I click \"Reports\"")]
async fn click(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    let read_only = read_only_environment(world);
    let page = world.page().await?;
    let outcome = press_control(&page, &text, Control::LinkOrButton, read_only.as_deref()).await;
    explained(&page, outcome, "click").await
}

/// a button by its text
#[phrase("I press {string}", example = "I press \"Log in\"")]
async fn press(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    let read_only = read_only_environment(world);
    let page = world.page().await?;
    let outcome = press_control(&page, &text, Control::Button, read_only.as_deref()).await;
    explained(&page, outcome, "press").await
}

/// a field by label, name, id or placeholder
#[phrase(
    "I fill in {string} with {string}",
    example = "I fill in \"Username\" with \"clerk\""
)]
async fn fill_in(world: &mut ShakedownWorld, field: String, value: String) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = fill_field(&page, &field, &value).await;
    explained(&page, outcome, "fill-in").await
}

/// visible text of the page
#[phrase("I should see {string}", example = "I should see \"Monthly reports\"")]
async fn should_see(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = sees(&page, &text).await;
    explained(&page, outcome, "should-see").await
}

/// visible text of the page, once loaded; an error page fails: absence cannot be told there
#[phrase("I should not see {string}", example = "I should not see \"Admin\"")]
async fn should_not_see(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = does_not_see(&page, &text).await;
    explained(&page, outcome, "should-not-see").await
}

/// the current path
#[phrase("I should be on {string}", example = "I should be on \"/reports/\"")]
async fn should_be_on(world: &mut ShakedownWorld, target: SiteAddress) -> Result<(), StepFailure> {
    let expected = world.resolve(&target)?;
    let page = world.page().await?;
    let outcome = is_on(&page, &expected).await;
    explained(&page, outcome, "should-be-on").await
}

/// the browser page's title
#[phrase(
    "the page title should contain {string}",
    example = "the page title should contain \"Ledger\""
)]
async fn title_contains(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = title_has(&page, &text).await;
    explained(&page, outcome, "title").await
}

/// a CSS selector
#[phrase(
    "I should see an element matching {string}",
    example = "I should see an element matching \"table tbody tr\""
)]
async fn element_matching(world: &mut ShakedownWorld, selector: String) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = match find::matching(&page, &selector).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(StepFailure::new(format!(
            "no visible element on the page matches `{selector}`"
        ))),
        Err(failure) => Err(failure),
    };
    explained(&page, outcome, "element").await
}

/// severe entries of the browser log
#[phrase(
    "the browser console should show no errors",
    example = "the browser console should show no errors"
)]
async fn console_clean(world: &mut ShakedownWorld) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = no_console_errors(&page).await;
    explained(&page, outcome, "console").await
}

/// A failing step's message gets the page's URL, title and a screenshot. A request the
/// session's guard failed while the step ran (or since the last browser step) fails it, named,
/// whatever else happened: what the step saw afterwards is the refusal's consequence.
async fn explained(page: &Page, outcome: Result<(), StepFailure>, action: &str) -> Result<(), StepFailure> {
    match read_only::refuse_blocked_requests(page).and(outcome) {
        Ok(()) => Ok(()),
        Err(failure) => Err(page.explain(failure, action).await),
    }
}

/// The environment's name when it is read-only: browser steps then send nothing that mutates.
fn read_only_environment(world: &ShakedownWorld) -> Option<String> {
    let site = world.site();
    site.read_only.then(|| site.environment.clone())
}

/// Clicks the control captioned `text`. On a read-only environment (`read_only` names it) a
/// control that would submit a form with a method other than GET is refused before the click.
async fn press_control(
    page: &Page,
    text: &str,
    kind: Control,
    read_only: Option<&str>,
) -> Result<(), StepFailure> {
    let Some(control) = find::control(page, text, kind).await? else {
        return Err(
            StepFailure::new(format!("no {} {} on the page", kind.noun(), text::quoted(text)))
                .with("on the page", find::listing(page, Some(kind)).await),
        );
    };
    let caption = text::quoted(text);
    if let Some(environment) = read_only {
        read_only::refuse_mutating_submit(page, &control, &caption, environment).await?;
    }
    page.call(&format!("click {caption}"), control.click()).await
}

async fn fill_field(page: &Page, field: &str, value: &str) -> Result<(), StepFailure> {
    let Some(input) = find::field(page, field).await? else {
        return Err(StepFailure::new(format!(
            "no field labelled, named, with the id or the placeholder {} on the page",
            text::quoted(field)
        ))
        .with("fields", find::listing(page, None).await));
    };
    page.call("clear the field", input.clear()).await?;
    page.call(
        &format!("type into {}", text::quoted(field)),
        input.send_keys(value),
    )
    .await
}

/// Loads `url`, failing at once when its document answers a server error: no later step could
/// tell anything from an error page, and one waiting for text would wait its whole timeout.
async fn loads(page: &Page, url: &Url) -> Result<(), StepFailure> {
    page.visit(url).await?;
    match page.failed_load().await? {
        Some(failure) => Err(failure.reworded(|why| format!("{url} could not be visited: {why}"))),
        None => Ok(()),
    }
}

async fn sees(page: &Page, wanted: &str) -> Result<(), StepFailure> {
    let wanted = text::collapse_whitespace(wanted);
    let first = page.visible_text().await?;
    if !first.contains(wanted.as_str())
        && let Some(failure) = page.failed_load().await?
    {
        return Err(
            failure.reworded(|why| format!("the page does not show {}: {why}", text::quoted(&wanted)))
        );
    }
    let (found, last) = page
        .watch(|| page.visible_text(), |text| text.contains(wanted.as_str()))
        .await?;
    if found {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the page does not show {} (waited {})",
        text::quoted(&wanted),
        page.deadline()
    ))
    .with("page text", text::excerpt(&last)))
}

/// Checked once the page has loaded: waiting for text to stay away proves nothing.
async fn does_not_see(page: &Page, unwanted: &str) -> Result<(), StepFailure> {
    if !page.loaded().await? {
        return Err(page.deadline().exceeded("the page did not finish loading"));
    }
    page.proves_absence().await?;
    let unwanted = text::collapse_whitespace(unwanted);
    let visible = page.visible_text().await?;
    match visible.find(&unwanted) {
        None => Ok(()),
        Some(start) => Err(StepFailure::new(format!(
            "the page shows {}, which it should not",
            text::quoted(&unwanted)
        ))
        .with(
            "found",
            text::snippet_around(&visible, start, start + unwanted.len()),
        )),
    }
}

async fn is_on(page: &Page, expected: &Url) -> Result<(), StepFailure> {
    let (arrived, seen) = page
        .watch(
            || page.call("read the address", page.driver.current_url()),
            |url| site::same_place(url, expected),
        )
        .await?;
    if arrived {
        return Ok(());
    }
    Err(
        StepFailure::new(format!("the browser is not on {}", expected.path()))
            .with("expected", expected.to_string())
            .with("seen", seen.to_string()),
    )
}

async fn title_has(page: &Page, wanted: &str) -> Result<(), StepFailure> {
    let (found, title) = page
        .watch(
            || page.call("read the title", page.driver.title()),
            |title| title.contains(wanted),
        )
        .await?;
    if found {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the page title does not contain {}",
        text::quoted(wanted)
    ))
    .with("title", text::quoted(&title)))
}

async fn no_console_errors(page: &Page) -> Result<(), StepFailure> {
    let entries = page
        .call("read the console log", page.driver.browser_log())
        .await?;
    let severe = errors_of(&entries);
    if severe.is_empty() {
        return Ok(());
    }
    Err(
        StepFailure::new(format!("the browser console shows {} error(s)", severe.len()))
            .with("errors", severe.join("\n")),
    )
}

/// The console's errors, without the browser's own request for a favicon: a site without one
/// is not broken, and the page's code never asked for it.
fn errors_of(entries: &[BrowserLogEntry]) -> Vec<String> {
    entries
        .iter()
        .filter(|entry| entry.level.eq_ignore_ascii_case("SEVERE"))
        .filter(|entry| !entry.message.contains("/favicon.ico "))
        .map(|entry| entry.message.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_errors_are_severe_entries_other_than_a_missing_favicon() {
        let entry = |level: &str, message: &str| BrowserLogEntry {
            level: level.into(),
            message: message.into(),
            timestamp: 0,
            source: None,
        };
        let entries = [
            entry(
                "SEVERE",
                "http://site.test/favicon.ico - Failed to load resource: the server responded with a status of 404 (Not Found)",
            ),
            entry("WARNING", "http://site.test/app.js 1:1 deprecated"),
            entry(
                "SEVERE",
                "http://site.test/app.js 3:7 Uncaught TypeError: x is undefined",
            ),
        ];
        assert_eq!(
            errors_of(&entries),
            ["http://site.test/app.js 3:7 Uncaught TypeError: x is undefined"]
        );
    }
}
