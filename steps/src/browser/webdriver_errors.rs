//! What a WebDriver error means, said in a stakeholder's words. thirtyfour's own text puts the
//! driver's message on the lines after the first (`Unknown error: ` then a status block), so a
//! first line alone reads empty; Chromium names a failed page load by a `net::ERR_…` code; and a
//! driver that stopped answering is a different trouble from a browser that is not installed.

use thirtyfour::error::{WebDriverError, WebDriverErrorInner};

/// The driver's own message, on one line: what thirtyfour's first line says when it says
/// something, else the first line of the message the driver sent ("Additional info").
pub(crate) fn said(error: &WebDriverError) -> String {
    let text = error.to_string();
    let mut lines = text.lines().map(str::trim);
    let headline = lines.next().unwrap_or_default();
    let own = headline.split_once(':').map_or(headline, |(_, rest)| rest.trim());
    if !own.is_empty() {
        return headline.to_owned();
    }
    let message = lines
        .skip_while(|line| !line.starts_with("Additional info:"))
        .nth(1)
        .filter(|line| !line.is_empty());
    match message {
        Some(message) => message.to_owned(),
        None => headline.trim_end_matches([':', ' ']).to_owned(),
    }
}

/// Whether the error means the driver itself could not be reached, or dropped the connection:
/// chromedriver stopped, or the link to a remote WebDriver broke. Nothing here says the
/// browser is missing.
pub(crate) fn lost_the_driver(error: &WebDriverError) -> bool {
    matches!(
        error.as_inner(),
        WebDriverErrorInner::RequestFailed(_) | WebDriverErrorInner::HttpError(_)
    )
}

/// Whether the driver says the browser itself could not be started: the case for installing
/// Chromium or pointing `browser.chromium` at it.
pub(crate) fn browser_would_not_start(error: &WebDriverError) -> bool {
    const SIGNS: &[&str] = &[
        "cannot find chrome binary",
        "no chrome binary",
        "chrome failed to start",
        "chrome not reachable",
        "devtoolsactiveport",
        "unable to discover open pages",
        "binary is not a chrome",
    ];
    let text = error.to_string().to_ascii_lowercase();
    SIGNS.iter().any(|sign| text.contains(sign))
}

/// What Chromium's `net::ERR_…` code in a failed page load means, when the driver named one.
pub(crate) fn page_load_failure(message: &str) -> Option<String> {
    let start = message.find("net::ERR_")?;
    let code: String = message[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':'))
        .collect();
    let meaning = match code.trim_start_matches("net::ERR_") {
        "CONNECTION_REFUSED" => "the server refused the connection: nothing listens there",
        "NAME_NOT_RESOLVED" | "NAME_RESOLUTION_FAILED" => "the host name does not resolve",
        "CONNECTION_TIMED_OUT" | "TIMED_OUT" => "the server did not answer in time",
        "CONNECTION_RESET" | "CONNECTION_CLOSED" | "EMPTY_RESPONSE" => {
            "the server closed the connection without an answer"
        }
        "ADDRESS_UNREACHABLE" | "INTERNET_DISCONNECTED" | "NETWORK_CHANGED" => {
            "the address cannot be reached from here"
        }
        "BLOCKED_BY_CLIENT" | "BLOCKED_BY_RESPONSE" => "the browser blocked the load",
        "TOO_MANY_REDIRECTS" => "the page redirects in a loop",
        "SSL_PROTOCOL_ERROR" => "the TLS handshake failed",
        other if other.starts_with("CERT_") => "the server's TLS certificate is not trusted",
        _ => "the page could not be loaded",
    };
    Some(format!("{meaning} ({code})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error as thirtyfour makes it from a driver's answer.
    fn from_driver(status: u16, error: &str, message: &str) -> WebDriverError {
        let body = serde_json::json!({
            "value": {
                "error": error,
                "message": message,
                "stacktrace": "#0 0x55d0 <unknown>\n#1 0x55d1 <unknown>"
            }
        });
        WebDriverError::parse(status, body.to_string())
    }

    #[test]
    fn an_unknown_error_is_said_by_the_drivers_message_never_empty() {
        let error = from_driver(
            500,
            "unknown error",
            "unknown error: net::ERR_CONNECTION_REFUSED\n  (Session info: chrome=156.0.8078.73)",
        );
        assert!(
            error
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .trim_end()
                .ends_with(':'),
            "thirtyfour's first line is empty: {error}"
        );
        assert_eq!(said(&error), "unknown error: net::ERR_CONNECTION_REFUSED");
        assert_eq!(
            page_load_failure(&said(&error)).as_deref(),
            Some("the server refused the connection: nothing listens there (net::ERR_CONNECTION_REFUSED)")
        );
    }

    #[test]
    fn a_failed_session_start_tells_a_missing_browser_from_other_trouble() {
        let missing = from_driver(
            500,
            "session not created",
            "session not created: Chrome failed to start: exited normally.",
        );
        assert!(browser_would_not_start(&missing));
        assert!(!lost_the_driver(&missing));
        let other = from_driver(
            400,
            "invalid argument",
            "invalid argument: cannot parse capability",
        );
        assert!(!browser_would_not_start(&other));
        assert_eq!(said(&other), "invalid argument: cannot parse capability");
    }

    #[test]
    fn load_failures_are_named_and_other_text_is_not() {
        assert_eq!(
            page_load_failure("unknown error: net::ERR_NAME_NOT_RESOLVED"),
            Some("the host name does not resolve (net::ERR_NAME_NOT_RESOLVED)".to_owned())
        );
        assert!(
            page_load_failure("net::ERR_CERT_AUTHORITY_INVALID")
                .is_some_and(|meaning| meaning.starts_with("the server's TLS certificate"))
        );
        assert_eq!(page_load_failure("element not interactable"), None);
    }
}
