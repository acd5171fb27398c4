//! Read-only in the browser: on a `read_only` environment no browser step may send a request
//! that changes something. Two layers. Before `I press` or `I click` acts, the control is read
//! in the page: a submit control of a form whose method (or `formmethod`) is not GET is refused
//! before anything is sent. Behind that, the session's request guard (`guard.rs`, DevTools'
//! `Fetch` interception on the whole browser) fails every request whose method only a change
//! needs, whoever sends it: a form, `fetch`, `XMLHttpRequest`, `sendBeacon`, an `<a ping>`, a
//! policy report, a popup, a dedicated, shared or service worker. The one post let through is
//! the login form of `browser.login_form`, which shakedown submits itself. Every browser step
//! looks at what the guard failed when it ends and fails naming it (method, URL, what sent it);
//! a request failed between steps fails the next browser step.

use thirtyfour::WebElement;

use super::guard::{Refused, Rule};
use super::page::Page;
use crate::failure::StepFailure;

/// What a control would send when clicked, when that is a form submission with a method other
/// than GET; `null` otherwise.
const MUTATING_SUBMIT: &str = r#"
const control = arguments[0];
const form = control.form || null;
const tag = control.tagName;
const type = (control.getAttribute('type') || (tag === 'BUTTON' ? 'submit' : '')).toLowerCase();
const submits = form && ((tag === 'BUTTON' && type === 'submit') || (tag === 'INPUT' && (type === 'submit' || type === 'image')));
if (!submits) return null;
const method = (control.getAttribute('formmethod') || form.getAttribute('method') || 'get').toLowerCase();
if (method === 'get' || method === 'dialog') return null;
return method.toUpperCase() + ' ' + (control.formAction || form.action);
"#;

/// Refuses to click `control` when it would submit a form with a method other than GET.
pub(crate) async fn refuse_mutating_submit(
    page: &Page,
    control: &WebElement,
    caption: &str,
    environment: &str,
) -> Result<(), StepFailure> {
    let element = control
        .to_json()
        .map_err(|error| StepFailure::new(format!("the browser returned an odd element: {error}")))?;
    let request = page
        .script("read the control's form", MUTATING_SUBMIT, vec![element])
        .await?;
    match request.as_str() {
        None => Ok(()),
        Some(request) => Err(refusal(caption, request, environment)),
    }
}

/// Fails the step when the session's guard failed a request since the last look, naming the
/// request (method, URL, what sent it) and the read-only environment.
pub(crate) fn refuse_blocked_requests(page: &Page) -> Result<(), StepFailure> {
    refuse_requests(&page.refused_requests()?)
}

/// Fails when the read-only rule stopped any of `refused`, naming the first (and the others).
pub(crate) fn refuse_requests(refused: &[Refused]) -> Result<(), StepFailure> {
    let Some((first, environment)) = refused.iter().find_map(|refused| match &refused.rule {
        Rule::ReadOnly(environment) => Some((refused, environment)),
        Rule::OffLoginOrigins => None,
    }) else {
        return Ok(());
    };
    let failure = StepFailure::configuration(format!(
        "refused to send {}: the environment `{environment}` is read-only",
        first.describe()
    ))
    .with("hint", HINT);
    match refused.len() {
        1 => Err(failure),
        _ => Err(failure.with(
            "refused",
            refused
                .iter()
                .map(Refused::describe)
                .collect::<Vec<_>>()
                .join("\n"),
        )),
    }
}

const HINT: &str = "steps that change data run only where `read_only` is not set; tag such scenarios and leave them out on this environment";

fn refusal(caption: &str, request: &str, environment: &str) -> StepFailure {
    StepFailure::configuration(format!(
        "refused to send {request} (from {caption}): the environment `{environment}` is read-only"
    ))
    .with("hint", HINT)
}
