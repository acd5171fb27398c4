//! The browser phrases of the step vocabulary. Each reads like its phrase: it gets the
//! scenario's page (leasing a session on first use), does one thing, and on failure adds what
//! the browser showed (URL, title, screenshot).

use cucumber::{given, then, when};
use thirtyfour::BrowserLogEntry;
use url::Url;

use super::find::{self, Control};
use super::page::Page;
use crate::failure::StepFailure;
use crate::text;
use crate::world::ShakedownWorld;

#[given(expr = "I visit {string}")]
#[when(expr = "I visit {string}")]
#[then(expr = "I visit {string}")]
async fn visit(world: &mut ShakedownWorld, target: String) -> Result<(), StepFailure> {
    let url = world.resolve(&target)?;
    let page = world.page().await?;
    let outcome = page.visit(&url).await;
    explained(&page, outcome, "visit").await
}

#[given(expr = "I click {string}")]
#[when(expr = "I click {string}")]
#[then(expr = "I click {string}")]
async fn click(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = press_control(&page, &text, Control::LinkOrButton).await;
    explained(&page, outcome, "click").await
}

#[given(expr = "I press {string}")]
#[when(expr = "I press {string}")]
#[then(expr = "I press {string}")]
async fn press(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = press_control(&page, &text, Control::Button).await;
    explained(&page, outcome, "press").await
}

#[given(expr = "I fill in {string} with {string}")]
#[when(expr = "I fill in {string} with {string}")]
#[then(expr = "I fill in {string} with {string}")]
async fn fill_in(world: &mut ShakedownWorld, field: String, value: String) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = fill_field(&page, &field, &value).await;
    explained(&page, outcome, "fill-in").await
}

#[given(expr = "I should see {string}")]
#[when(expr = "I should see {string}")]
#[then(expr = "I should see {string}")]
async fn should_see(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = sees(&page, &text).await;
    explained(&page, outcome, "should-see").await
}

#[given(expr = "I should not see {string}")]
#[when(expr = "I should not see {string}")]
#[then(expr = "I should not see {string}")]
async fn should_not_see(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = does_not_see(&page, &text).await;
    explained(&page, outcome, "should-not-see").await
}

#[given(expr = "I should be on {string}")]
#[when(expr = "I should be on {string}")]
#[then(expr = "I should be on {string}")]
async fn should_be_on(world: &mut ShakedownWorld, target: String) -> Result<(), StepFailure> {
    let expected = world.resolve(&target)?;
    let page = world.page().await?;
    let outcome = is_on(&page, &expected).await;
    explained(&page, outcome, "should-be-on").await
}

#[given(expr = "the page title should contain {string}")]
#[when(expr = "the page title should contain {string}")]
#[then(expr = "the page title should contain {string}")]
async fn title_contains(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = title_has(&page, &text).await;
    explained(&page, outcome, "title").await
}

#[given(expr = "I should see an element matching {string}")]
#[when(expr = "I should see an element matching {string}")]
#[then(expr = "I should see an element matching {string}")]
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

#[given(expr = "the browser console should show no errors")]
#[when(expr = "the browser console should show no errors")]
#[then(expr = "the browser console should show no errors")]
async fn console_clean(world: &mut ShakedownWorld) -> Result<(), StepFailure> {
    let page = world.page().await?;
    let outcome = no_console_errors(&page).await;
    explained(&page, outcome, "console").await
}

/// A failing step's message gets the page's URL, title and a screenshot.
async fn explained(page: &Page, outcome: Result<(), StepFailure>, action: &str) -> Result<(), StepFailure> {
    match outcome {
        Ok(()) => Ok(()),
        Err(failure) => Err(page.explain(failure, action).await),
    }
}

async fn press_control(page: &Page, text: &str, kind: Control) -> Result<(), StepFailure> {
    let Some(control) = find::control(page, text, kind).await? else {
        return Err(
            StepFailure::new(format!("no {} {} on the page", kind.noun(), text::quoted(text)))
                .with("on the page", find::listing(page, Some(kind)).await),
        );
    };
    page.call(&format!("click {}", text::quoted(text)), control.click())
        .await
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

async fn sees(page: &Page, wanted: &str) -> Result<(), StepFailure> {
    let wanted = text::collapse_whitespace(wanted);
    let (found, last) = page
        .watch(|| page.visible_text(), |text| text.contains(wanted.as_str()))
        .await?;
    if found {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the page does not show {} (waited {}s)",
        text::quoted(&wanted),
        page.budget().limit.as_secs_f64()
    ))
    .with("page text", text::excerpt(&last)))
}

/// Checked once the page has loaded: waiting for text to stay away proves nothing.
async fn does_not_see(page: &Page, unwanted: &str) -> Result<(), StepFailure> {
    if !page.loaded().await? {
        return Err(StepFailure::new(format!(
            "the page did not finish loading within {}s (`{}`)",
            page.budget().limit.as_secs_f64(),
            page.budget().source
        )));
    }
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
            |url| same_place(url, expected),
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

/// The same page: origin and path, and the query when the expected address has one.
fn same_place(seen: &Url, expected: &Url) -> bool {
    seen.origin() == expected.origin()
        && seen.path() == expected.path()
        && (expected.query().is_none() || seen.query() == expected.query())
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

    #[test]
    fn same_place_compares_path_and_only_a_wanted_query() {
        let url = |text: &str| Url::parse(text).expect("url");
        let reports = url("http://site.test/reports/");
        assert!(same_place(&url("http://site.test/reports/?month=3"), &reports));
        assert!(!same_place(&url("http://site.test/reports"), &reports));
        assert!(!same_place(&url("http://other.test/reports/"), &reports));
        let march = url("http://site.test/reports/?month=3");
        assert!(!same_place(&url("http://site.test/reports/?month=4"), &march));
    }
}
