//! Finding things on a page the way a person names them: a field by its label, name, id or
//! placeholder, a link or button by the text on it. The search runs as one script in the page
//! so each attempt is one WebDriver call, and the step polls it until the step's deadline.

use thirtyfour::WebElement;

use super::page::Page;
use crate::failure::StepFailure;

/// Shared helpers of the scripts: visibility and the text a person reads on a control.
const HELPERS: &str = r#"
const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
const visible = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length);
const caption = (e) => norm(e.tagName === 'INPUT' ? e.value : (e.innerText || e.textContent));
"#;

/// A field: a label's text first (as people read the form), then name, id, placeholder and
/// accessible name.
const FIELD: &str = r#"
const key = norm(arguments[0]);
const fields = [...document.querySelectorAll('input:not([type=hidden]), textarea, select')].filter(visible);
for (const label of document.querySelectorAll('label')) {
  const text = norm(label.textContent).replace(/\s*[:*]$/, '');
  if (text === key) {
    const field = label.control || label.querySelector('input, textarea, select');
    if (field) return field;
  }
}
return fields.find((f) => f.name === key)
  || fields.find((f) => f.id === key)
  || fields.find((f) => norm(f.placeholder) === key)
  || fields.find((f) => norm(f.getAttribute('aria-label')) === key)
  || null;
"#;

/// A visible control by its text: exact text first, then text that contains it.
const CONTROL: &str = r#"
const key = norm(arguments[0]);
const selector = arguments[1]
  ? 'button, input[type=submit], input[type=button], input[type=reset], [role=button]'
  : 'a, button, input[type=submit], input[type=button], input[type=reset], [role=button], [role=link]';
const controls = [...document.querySelectorAll(selector)].filter(visible);
const lower = key.toLowerCase();
return controls.find((c) => caption(c) === key)
  || controls.find((c) => norm(c.getAttribute('aria-label')) === key)
  || controls.find((c) => caption(c).toLowerCase().includes(lower))
  || null;
"#;

/// What the page offers instead, for a failure message.
const CONTROLS_LISTING: &str = r#"
const selector = arguments[0]
  ? 'button, input[type=submit], input[type=button], [role=button]'
  : 'a, button, input[type=submit], input[type=button], [role=button], [role=link]';
return [...document.querySelectorAll(selector)].filter(visible).map(caption).filter((t) => t).slice(0, 20);
"#;

const FIELDS_LISTING: &str = r#"
return [...document.querySelectorAll('input:not([type=hidden]), textarea, select')].filter(visible)
  .map((f) => (f.labels && f.labels[0] ? norm(f.labels[0].textContent) : '') || f.name || f.id || f.placeholder)
  .filter((t) => t).slice(0, 20);
"#;

/// Whether a visible element matches a CSS selector; a bad selector throws.
const MATCHING: &str = r#"
return [...document.querySelectorAll(arguments[0])].some(visible);
"#;

/// Which controls a search considers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Control {
    LinkOrButton,
    Button,
}

impl Control {
    fn buttons_only(self) -> bool {
        matches!(self, Self::Button)
    }

    pub fn noun(self) -> &'static str {
        match self {
            Self::LinkOrButton => "link or button",
            Self::Button => "button",
        }
    }
}

/// The field `key` names, waiting for it to appear.
pub(crate) async fn field(page: &Page, key: &str) -> Result<Option<WebElement>, StepFailure> {
    page.wait_for(|| find(page, FIELD, vec![key.into()])).await
}

/// The control with the text `text`, waiting for it to appear.
pub(crate) async fn control(
    page: &Page,
    text: &str,
    kind: Control,
) -> Result<Option<WebElement>, StepFailure> {
    page.wait_for(|| find(page, CONTROL, vec![text.into(), kind.buttons_only().into()]))
        .await
}

/// Whether a visible element matches `selector`, waiting for one to appear.
pub(crate) async fn matching(page: &Page, selector: &str) -> Result<bool, StepFailure> {
    let found = page
        .wait_for(|| async {
            let answer = page
                .script(
                    "look for elements",
                    &format!("{HELPERS}{MATCHING}"),
                    vec![selector.into()],
                )
                .await
                .map_err(|failure| {
                    failure.retitled(format!("`{selector}` is not a CSS selector the browser accepts"))
                })?;
            Ok((answer == true).then_some(()))
        })
        .await?;
    Ok(found.is_some())
}

/// The texts of the controls (or fields) on the page, to say what is there instead.
pub(crate) async fn listing(page: &Page, kind: Option<Control>) -> String {
    let (source, args) = match kind {
        Some(kind) => (CONTROLS_LISTING, vec![kind.buttons_only().into()]),
        None => (FIELDS_LISTING, Vec::new()),
    };
    let answer = page
        .script("list the page's controls", &format!("{HELPERS}{source}"), args)
        .await
        .unwrap_or_default();
    let names: Vec<String> = answer
        .as_array()
        .map(|names| {
            names
                .iter()
                .filter_map(|name| name.as_str().map(|name| format!("\"{name}\"")))
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        "(none)".to_owned()
    } else {
        names.join(", ")
    }
}

async fn find(
    page: &Page,
    script: &str,
    args: Vec<serde_json::Value>,
) -> Result<Option<WebElement>, StepFailure> {
    let source = format!("{HELPERS}{script}");
    let answer = page
        .call("search the page", page.driver.execute(&source, args))
        .await?;
    if answer.json().is_null() {
        return Ok(None);
    }
    answer.element().map(Some).map_err(|error| {
        StepFailure::new(format!(
            "the browser returned something odd for an element: {error}"
        ))
    })
}
