//! Read-only in the browser: on a `read_only` environment no browser step may send a request
//! that changes something. Two layers. Before `I press` or `I click` acts, the control is read
//! in the page: a submit control of a form whose method (or `formmethod`) is not GET is refused
//! before anything is sent. Behind that, a guard installed in every document of the session
//! before the page's own scripts (DevTools' `Page.addScriptToEvaluateOnNewDocument`) stops
//! every other way a page sends a non-GET request: a submitted form (a button, Enter in a field,
//! `requestSubmit`, `form.submit()`), `fetch`, `XMLHttpRequest` and `sendBeacon`. What it stopped
//! is kept in the page, and the step that set it off fails. The one post let through is the
//! login form of `browser.login_form`, marked by shakedown itself just before it submits it.
//!
//! Why a script and not DevTools' `Fetch` interception: intercepted requests must be answered
//! over the DevTools event stream, which thirtyfour's `cdp` (commands sent through chromedriver)
//! does not carry; `Network.setBlockedURLs` blocks by URL, not by method. A guard in the page
//! is method-aware and needs no event stream.

use thirtyfour::{WebDriver, WebElement};

use super::page::Page;
use crate::failure::StepFailure;

/// The guard. It runs before any script of the page, in every frame, once per document.
const GUARD: &str = r#"
(() => {
  if (window.__shakedownGuard) return;
  const blocked = [];
  const logins = new WeakSet();
  Object.defineProperty(window, '__shakedownGuard', { value: blocked });
  Object.defineProperty(window, '__shakedownAllowLogin', { value: (form) => logins.add(form) });
  const safe = (method) => ['GET', 'HEAD'].includes(String(method || 'GET').toUpperCase());
  const refuse = (what) => { blocked.push(what); return new TypeError('shakedown: read-only environment, ' + what + ' not sent'); };
  const formMethod = (form, submitter) =>
    ((submitter && submitter.getAttribute && submitter.getAttribute('formmethod')) || form.getAttribute('method') || 'get').toLowerCase();
  const formTarget = (form, submitter) => (submitter && submitter.formAction) || form.action;
  window.addEventListener('submit', (event) => {
    if (logins.has(event.target)) return;
    const method = formMethod(event.target, event.submitter);
    if (method !== 'get' && method !== 'dialog') {
      event.preventDefault();
      event.stopImmediatePropagation();
      refuse(method.toUpperCase() + ' ' + formTarget(event.target, event.submitter));
    }
  }, true);
  const submit = HTMLFormElement.prototype.submit;
  HTMLFormElement.prototype.submit = function () {
    const method = formMethod(this, null);
    if (method !== 'get' && method !== 'dialog') throw refuse(method.toUpperCase() + ' ' + this.action);
    return submit.call(this);
  };
  const fetchOriginal = window.fetch;
  window.fetch = function (input, init) {
    const method = (init && init.method) || (input && input.method) || 'GET';
    if (!safe(method)) return Promise.reject(refuse(String(method).toUpperCase() + ' ' + (input && input.url ? input.url : input)));
    return fetchOriginal.apply(this, arguments);
  };
  const open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__shakedownRefused = safe(method) ? null : String(method).toUpperCase() + ' ' + url;
    return open.apply(this, arguments);
  };
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function () {
    if (this.__shakedownRefused) throw refuse(this.__shakedownRefused);
    return send.apply(this, arguments);
  };
  if (navigator.sendBeacon) navigator.sendBeacon = (url) => { refuse('POST ' + url); return false; };
})();
"#;

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

/// Installs the guard in every document the session loads from now on, and in the current one.
pub(crate) async fn install_guard(driver: &WebDriver) -> Result<(), thirtyfour::error::WebDriverError> {
    driver
        .cdp()
        .send_raw(
            "Page.addScriptToEvaluateOnNewDocument",
            serde_json::json!({ "source": GUARD }),
        )
        .await?;
    driver.execute(GUARD, Vec::new()).await?;
    Ok(())
}

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

/// Fails the step when the guard stopped a request while it ran.
pub(crate) async fn refuse_blocked_requests(
    page: &Page,
    caption: &str,
    environment: &str,
) -> Result<(), StepFailure> {
    let read = page
        .script(
            "read what the read-only guard stopped",
            "const b = window.__shakedownGuard || []; return b.splice(0, b.length);",
            Vec::new(),
        )
        .await;
    // A page in the middle of a (GET) navigation cannot be read; whatever the guard stopped
    // there was not sent either way, which is the promise.
    let Ok(blocked) = read else {
        return Ok(());
    };
    let requests: Vec<&str> = blocked
        .as_array()
        .map(|list| list.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    match requests.first() {
        None => Ok(()),
        Some(first) => Err(refusal(caption, first, environment).with("stopped", requests.join("\n"))),
    }
}

fn refusal(caption: &str, request: &str, environment: &str) -> StepFailure {
    StepFailure::configuration(format!(
        "refused to send {request} (from {caption}): the environment `{environment}` is read-only"
    ))
    .with(
        "hint",
        "steps that change data run only where `read_only` is not set; tag such scenarios and leave them out on this environment",
    )
}
