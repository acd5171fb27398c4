//! The security headers a response should carry, each a rule of its own that can be left out
//! (`[headers] required`), and each missing one named with what was sent instead.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::Regex;
use reqwest::header::SET_COOKIE;

use crate::http::Exchange;
use crate::http::checks::header_values;

/// 180 days: shorter, and a browser forgets the site is HTTPS-only between two visits of a
/// monthly user, which is what HSTS is there to prevent.
pub const HSTS_MIN_AGE_SECONDS: u64 = 180 * 24 * 60 * 60;

/// One rule of [`missing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecurityHeader {
    /// On HTTPS, `Strict-Transport-Security` with a `max-age` of at least 180 days.
    Hsts,
    /// `X-Content-Type-Options: nosniff`.
    Nosniff,
    /// Framing ruled by `X-Frame-Options` or a CSP `frame-ancestors`.
    Framing,
    /// No version number in `Server` or `X-Powered-By`.
    ServerVersion,
    /// Session cookies `HttpOnly`, and `Secure` on HTTPS.
    SessionCookies,
}

impl SecurityHeader {
    pub const ALL: [SecurityHeader; 5] = [
        SecurityHeader::Hsts,
        SecurityHeader::Nosniff,
        SecurityHeader::Framing,
        SecurityHeader::ServerVersion,
        SecurityHeader::SessionCookies,
    ];

    /// The name `[headers] required` knows it by.
    pub fn name(self) -> &'static str {
        match self {
            SecurityHeader::Hsts => "hsts",
            SecurityHeader::Nosniff => "nosniff",
            SecurityHeader::Framing => "framing",
            SecurityHeader::ServerVersion => "server-version",
            SecurityHeader::SessionCookies => "session-cookies",
        }
    }

    /// What is wrong with the response by this rule, if anything.
    fn fault(self, exchange: &Exchange) -> Option<String> {
        match self {
            SecurityHeader::Hsts => hsts_fault(exchange),
            SecurityHeader::Nosniff => {
                let values = header_values(exchange, "X-Content-Type-Options");
                (!values.iter().any(|value| value.trim().eq_ignore_ascii_case("nosniff"))).then(|| {
                    format!(
                        "`X-Content-Type-Options: nosniff` is missing ({}): browsers may run an upload as a script",
                        sent(&values)
                    )
                })
            }
            SecurityHeader::Framing => framing_fault(exchange),
            SecurityHeader::ServerVersion => {
                let announced: Vec<String> = ["Server", "X-Powered-By"]
                    .into_iter()
                    .flat_map(|name| {
                        header_values(exchange, name)
                            .into_iter()
                            .filter(|value| VERSION.is_match(value))
                            .map(move |value| format!("`{name}: {value}`"))
                    })
                    .collect();
                (!announced.is_empty()).then(|| {
                    format!(
                        "{} tell(s) everyone which version to look up exploits for",
                        announced.join(" and ")
                    )
                })
            }
            SecurityHeader::SessionCookies => session_cookie_fault(exchange),
        }
    }
}

impl fmt::Display for SecurityHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SecurityHeader {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        SecurityHeader::ALL
            .into_iter()
            .find(|rule| rule.name() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = SecurityHeader::ALL.iter().map(|rule| rule.name()).collect();
                format!(
                    "`{name}` is not a security header rule (known: {})",
                    known.join(", ")
                )
            })
    }
}

/// A version number as servers announce it: `Apache/2.4.62`, `PHP/8.2`, `nginx 1.24`.
static VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[/ ]v?\d+(\.\d+)+").expect("a valid pattern"));

/// Cookie names that carry a login: the frameworks' session cookies and anything named after a
/// session or an authentication token. CSRF tokens are left out: scripts must read some of them.
static SESSION_COOKIE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:.*sess.*|.*sid|sid.*|.*auth.*|remember.*|.*_token|token.*)$")
        .expect("a valid pattern")
});
static CSRF_COOKIE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)csrf|xsrf").expect("a valid pattern"));

/// What `rules` find wrong with the response, one line each, in the order of the rules.
pub fn missing(exchange: &Exchange, rules: &[SecurityHeader]) -> Vec<String> {
    rules.iter().filter_map(|rule| rule.fault(exchange)).collect()
}

fn is_https(exchange: &Exchange) -> bool {
    exchange.final_url().scheme() == "https"
}

fn hsts_fault(exchange: &Exchange) -> Option<String> {
    // Browsers ignore the header over plain HTTP, so it proves nothing there.
    if !is_https(exchange) {
        return None;
    }
    let values = header_values(exchange, "Strict-Transport-Security");
    let Some(value) = values.first() else {
        return Some(
            "`Strict-Transport-Security` is missing: browsers will still try plain HTTP first".to_owned(),
        );
    };
    let max_age = value.split(';').find_map(|directive| {
        let (name, age) = directive.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| age.trim().trim_matches('"').parse::<u64>().ok())
            .flatten()
    });
    match max_age {
        Some(age) if age >= HSTS_MIN_AGE_SECONDS => None,
        Some(age) => Some(format!(
            "`Strict-Transport-Security: {value}` keeps HTTPS only {} day(s), fewer than 180",
            age / (24 * 60 * 60)
        )),
        None => Some(format!(
            "`Strict-Transport-Security: {value}` has no readable max-age"
        )),
    }
}

fn framing_fault(exchange: &Exchange) -> Option<String> {
    let frame_options = header_values(exchange, "X-Frame-Options");
    let by_frame_options = frame_options.iter().any(|value| {
        let value = value.trim();
        value.eq_ignore_ascii_case("deny") || value.eq_ignore_ascii_case("sameorigin")
    });
    let by_policy = header_values(exchange, "Content-Security-Policy")
        .iter()
        .any(|policy| {
            policy.split(';').any(|directive| {
                directive
                    .trim()
                    .to_ascii_lowercase()
                    .starts_with("frame-ancestors")
            })
        });
    (!by_frame_options && !by_policy).then(|| {
        format!(
            "no framing rule: neither `X-Frame-Options: DENY` or `SAMEORIGIN` ({}) nor a `Content-Security-Policy` with `frame-ancestors`: any site may frame this page (clickjacking)",
            sent(&frame_options)
        )
    })
}

/// Names the session cookies the response sets without `HttpOnly`, or over HTTPS without
/// `Secure`; a cookie's value is never shown, only its name and attributes.
fn session_cookie_fault(exchange: &Exchange) -> Option<String> {
    let https = is_https(exchange);
    let faults: Vec<String> = exchange
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .filter_map(|cookie| {
            let (name, attributes) = cookie.split_once(';').unwrap_or((cookie, ""));
            let name = name.split_once('=').map_or(name, |(name, _)| name).trim();
            if !SESSION_COOKIE.is_match(name) || CSRF_COOKIE.is_match(name) {
                return None;
            }
            let has = |flag: &str| {
                attributes
                    .split(';')
                    .any(|attribute| attribute.trim().eq_ignore_ascii_case(flag))
            };
            let mut lacking = Vec::new();
            if !has("HttpOnly") {
                lacking.push("HttpOnly");
            }
            if https && !has("Secure") {
                lacking.push("Secure");
            }
            (!lacking.is_empty()).then(|| {
                format!(
                    "the session cookie `{name}` is set without {}",
                    lacking.join(" and ")
                )
            })
        })
        .collect();
    (!faults.is_empty()).then(|| faults.join("; "))
}

/// What a header's values were, for a message: `sent: DENY, ALLOWALL` or `not sent`.
fn sent(values: &[String]) -> String {
    if values.is_empty() {
        "not sent".to_owned()
    } else {
        format!("sent: {}", values.join(", "))
    }
}
