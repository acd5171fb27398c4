//! A role's HTTP credentials in the browser: HTTP Basic and fixed headers are set through the
//! DevTools protocol (`Network.setExtraHTTPHeaders`), never in a URL, and cleared before the
//! session acts as anyone else. HTTP Digest is not answered in the browser: answering a
//! challenge needs the DevTools event stream (`Fetch.authRequired`).

use serde_json::json;
use thirtyfour::WebDriver;
use url::Url;

use super::identity::Identity;
use super::page::Page;
use crate::failure::StepFailure;
use crate::session::{LoginMethod, Sessions};

/// Sets the headers `wanted` sends (none for the anonymous visitor or a form role).
pub(crate) async fn send(
    page: &Page,
    wanted: &Identity,
    sessions: &Sessions,
    base_url: &Url,
) -> Result<(), StepFailure> {
    let header = match wanted {
        Identity::Role(role) if sessions.method_of(role) == Some(&LoginMethod::Digest) => {
            return Err(StepFailure::configuration(format!(
                "role `{role}` logs in by HTTP Digest authentication, which browser steps do not support yet"
            ))
            .with(
                "hint",
                "check Digest-protected pages with the HTTP and access phrases, or give the browser steps a role that logs in through the form, HTTP Basic or a header",
            ));
        }
        Identity::Role(role) => sessions
            .session(role, page.deadline())
            .await?
            .browser_header(base_url),
        Identity::Anonymous | Identity::Unknown => None,
    };
    let headers = match &header {
        Some((name, value)) => json!({ name: value }),
        None => json!({}),
    };
    page.call("set the role's HTTP headers", set_headers(&page.driver, headers))
        .await
}

/// Sends no extra header from now on: the session's next user starts without the last one's.
pub(crate) async fn clear(driver: &WebDriver) -> Result<(), thirtyfour::error::WebDriverError> {
    set_headers(driver, json!({})).await
}

async fn set_headers(
    driver: &WebDriver,
    headers: serde_json::Value,
) -> Result<(), thirtyfour::error::WebDriverError> {
    let devtools = driver.cdp();
    devtools.send_raw("Network.enable", json!({})).await?;
    devtools
        .send_raw("Network.setExtraHTTPHeaders", json!({ "headers": headers }))
        .await?;
    Ok(())
}
