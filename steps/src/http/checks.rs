//! The checks behind the HTTP "then" steps, as plain functions over a finished exchange so
//! they can be tested without a server.

use std::time::Duration;

use serde_json::Value;
use serde_json_path::JsonPath;
use url::Url;

use super::exchange::Exchange;
use crate::argument::PhraseArgument;
use crate::failure::StepFailure;
use crate::site;
use crate::text::{self, Keep};

/// A status the scenario checks that could not be read (an outline placeholder): it stands for
/// every status.
pub(crate) const ANY_STATUS: u16 = 0;

pub(crate) fn status_is(exchange: &Exchange, expected: u16) -> Result<(), StepFailure> {
    if exchange.status.as_u16() == expected {
        return Ok(());
    }
    Err(
        StepFailure::new(format!("expected status {expected}, got {}", exchange.status))
            .with("request", exchange.describe())
            .with("body", text::excerpt(exchange.readable_body())),
    )
}

/// Passes when the text is in the body as sent or in the page's visible text.
pub(crate) fn contains(exchange: &Exchange, needle: &str) -> Result<(), StepFailure> {
    // The raw body first: when the text is there, the page need not be parsed at all.
    if exchange.body.contains(needle) || find(exchange, needle).is_some() {
        return Ok(());
    }
    let readable = exchange.readable_body();
    let mut failure = StepFailure::new(format!("the response does not contain {}", text::quoted(needle)))
        .with("request", exchange.describe())
        .with("body", text::excerpt(readable));
    if let Some(start) = readable.to_lowercase().find(&needle.to_lowercase())
        && readable.is_char_boundary(start)
        && readable.is_char_boundary(start + needle.len())
    {
        failure = failure.with(
            "note",
            format!(
                "found with other letter case: {}",
                text::snippet_around(readable, start, start + needle.len())
            ),
        );
    }
    Err(failure)
}

/// Passes when the text is nowhere in the body. An answer that cannot prove absence (see
/// [`proves_absence`]) fails instead of passing quietly.
pub(crate) fn does_not_contain(
    exchange: &Exchange,
    needle: &str,
    expected_statuses: &[u16],
) -> Result<(), StepFailure> {
    proves_absence(exchange, expected_statuses)?;
    // On a page that is fine, proving absence from the markup alone spares parsing it, which
    // was most of this step's cost.
    if !might_show(&exchange.body, needle) {
        return Ok(());
    }
    match find(exchange, needle) {
        None => Ok(()),
        Some(snippet) => Err(StepFailure::new(format!(
            "the response contains {}, which it should not",
            text::quoted(needle)
        ))
        .with("request", exchange.describe())
        .with("found", snippet)),
    }
}

/// Whether this answer can show that something is absent from the page. A body cut short
/// cannot: what was not read may hold it. A server error cannot either: an error page says
/// nothing of what the page shows when it works, unless the scenario names that very status
/// (`expected_statuses`: then the error page is the page under test, and a check that it shows
/// no traceback is just what was meant).
pub(crate) fn proves_absence(exchange: &Exchange, expected_statuses: &[u16]) -> Result<(), StepFailure> {
    if let Some(why) = exchange.cut_short() {
        return Err(StepFailure::new(why)
            .with("request", exchange.describe())
            .with("body", text::excerpt(exchange.readable_body())));
    }
    error_page_tells(exchange, expected_statuses, "what the page shows")
}

/// Whether a check that something is absent or in order may read this answer at all: a server
/// error cannot tell, since an error page says nothing about `what` the page gives when it
/// works, unless the scenario names that very status (then the error page is the page under
/// test). A 5xx is never a clean answer.
pub(crate) fn error_page_tells(
    exchange: &Exchange,
    expected_statuses: &[u16],
    what: &str,
) -> Result<(), StepFailure> {
    let status = exchange.status.as_u16();
    let expected = expected_statuses
        .iter()
        .any(|named| *named == status || *named == ANY_STATUS);
    if exchange.status.is_server_error() && !expected {
        return Err(StepFailure::new(format!(
            "cannot tell: `{} {}` answered {}, and an error page proves nothing about {what}",
            exchange.method,
            exchange.final_url().path(),
            exchange.status
        ))
        .with("request", exchange.describe())
        .with("body", text::excerpt(exchange.readable_body())));
    }
    Ok(())
}

/// Whether `needle` can be in `markup` as sent or in its visible text, worked out without
/// parsing it; `false` only when no arrangement of tags, character references and whitespace can
/// show it. A character of the visible text comes from a character of the markup, or from a
/// character reference (`&amp;`, `&#32;`); the parser keeps the characters between two `<` in
/// order and together (moving a run of text moves all of it), drops none but whitespace, and
/// adds only whitespace. So, without references, an occurrence starts at a character of the
/// markup from which the needle's letters follow with only whitespace between them, or until a
/// `<` (where a tag may split a word: `Le<b>dg</b>er`).
fn might_show(markup: &str, needle: &str) -> bool {
    let letters: Vec<char> = needle.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(&first) = letters.first() else {
        return true;
    };
    // A NUL in the markup is dropped or read as U+FFFD: either way not where it stands.
    let has_reference = markup
        .as_bytes()
        .windows(2)
        .any(|pair| pair[0] == b'&' && (pair[1].is_ascii_alphanumeric() || pair[1] == b'#'));
    if has_reference || letters.contains(&char::REPLACEMENT_CHARACTER) {
        return true;
    }
    let splits = |c: char| matches!(c, '<' | '&' | '\0');
    markup.char_indices().any(|(start, c)| {
        if c != first {
            return false;
        }
        let mut wanted = letters[1..].iter();
        let mut next = wanted.next();
        for c in markup[start + c.len_utf8()..].chars() {
            let Some(&letter) = next else {
                return true;
            };
            if c.is_whitespace() {
                continue;
            }
            if splits(c) {
                return true;
            }
            if c != letter {
                return false;
            }
            next = wanted.next();
        }
        next.is_none()
    })
}

/// A snippet around the first place `needle` occurs: the visible text first, then the raw body.
fn find(exchange: &Exchange, needle: &str) -> Option<String> {
    let readable = exchange.readable_body();
    [readable, exchange.body.as_str()]
        .into_iter()
        .find_map(|haystack| {
            haystack
                .find(needle)
                .map(|start| text::snippet_around(haystack, start, start + needle.len()))
        })
}

pub(crate) fn header_contains(exchange: &Exchange, name: &str, needle: &str) -> Result<(), StepFailure> {
    let values = header_values(exchange, name);
    if values.iter().any(|value| value.contains(needle)) {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the response header `{name}` does not contain {}",
        text::quoted(needle)
    ))
    .with("seen", seen_header(exchange, name, &values))
    .with("request", exchange.describe()))
}

/// Passes when the header is there and one of its values is exactly `expected` (surrounding
/// whitespace aside, as HTTP ignores it).
pub(crate) fn header_is(exchange: &Exchange, name: &str, expected: &str) -> Result<(), StepFailure> {
    let values = header_values(exchange, name);
    if values.iter().any(|value| value.trim() == expected.trim()) {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the response header `{name}` is not {}",
        text::quoted(expected)
    ))
    .with("expected", format!("{name}: {expected}"))
    .with("seen", seen_header(exchange, name, &values))
    .with("request", exchange.describe()))
}

/// Passes when no value of the header holds `needle`; an absent header holds nothing. A server
/// error the scenario does not expect cannot tell (see [`error_page_tells`]).
pub(crate) fn header_lacks(
    exchange: &Exchange,
    name: &str,
    needle: &str,
    expected_statuses: &[u16],
) -> Result<(), StepFailure> {
    error_page_tells(exchange, expected_statuses, HEADERS_SENT)?;
    let values = header_values(exchange, name);
    let holding: Vec<&String> = values.iter().filter(|value| value.contains(needle)).collect();
    if holding.is_empty() {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the response header `{name}` contains {}, which it should not",
        text::quoted(needle)
    ))
    .with(
        "seen",
        holding
            .iter()
            .map(|value| format!("{name}: {value}"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .with("request", exchange.describe()))
}

/// Passes when the response has no such header at all, whatever its value would be. A server
/// error the scenario does not expect cannot tell (see [`error_page_tells`]).
pub(crate) fn header_absent(
    exchange: &Exchange,
    name: &str,
    expected_statuses: &[u16],
) -> Result<(), StepFailure> {
    error_page_tells(exchange, expected_statuses, HEADERS_SENT)?;
    let values = header_values(exchange, name);
    if values.is_empty() {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the response sends the header `{name}`, which it should not"
    ))
    .with("seen", seen_header(exchange, name, &values))
    .with("request", exchange.describe()))
}

/// What an error page proves nothing about, for the checks of headers.
pub(crate) const HEADERS_SENT: &str = "the headers the page sends";

/// Every value of the header `name` (any letter case), as text; one that is not text is shown
/// as such rather than dropped, so that a check for absence still sees it.
pub(crate) fn header_values(exchange: &Exchange, name: &str) -> Vec<String> {
    exchange
        .headers
        .get_all(name)
        .iter()
        .map(|value| match value.to_str() {
            Ok(text) => text.to_owned(),
            Err(_) => "<not text>".to_owned(),
        })
        .collect()
}

/// What a failure shows of a header: each of its values, or, when it was not sent, which headers
/// were.
fn seen_header(exchange: &Exchange, name: &str, values: &[String]) -> String {
    if values.is_empty() {
        return format!("no `{name}` header; headers sent: {}", header_names(exchange));
    }
    values
        .iter()
        .map(|value| format!("{name}: {value}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn header_names(exchange: &Exchange) -> String {
    let mut names: Vec<&str> = exchange.headers.keys().map(|name| name.as_str()).collect();
    names.dedup();
    names.join(", ")
}

/// A JSONPath query as the feature wrote it, read once: one that does not parse is refused by
/// `check`, before any request.
pub(crate) struct JsonQuery {
    written: String,
    path: JsonPath,
}

impl PhraseArgument for JsonQuery {
    fn read(written: &str) -> Result<Self, StepFailure> {
        let path = JsonPath::parse(written).map_err(|error| {
            StepFailure::configuration(format!("`{written}` is not a JSONPath expression: {error}")).with(
                "hint",
                "JSONPath starts at `$`, e.g. `$.status` or `$.checks[0].name`",
            )
        })?;
        Ok(Self {
            written: written.to_owned(),
            path,
        })
    }
}

/// Compares the text of the one JSON value at `path`: strings without their quotes, anything
/// else as compact JSON (`true`, `42`, `null`, `{"a":1}`).
pub(crate) fn json_at(exchange: &Exchange, query: &JsonQuery, expected: &str) -> Result<(), StepFailure> {
    let path = &query.written;
    let document: Value = serde_json::from_str(&exchange.body).map_err(|error| {
        StepFailure::new(format!("the response is not JSON ({error})"))
            .with("request", exchange.describe())
            .with("content-type", exchange.content_type().unwrap_or("none"))
            .with("body", text::excerpt(exchange.readable_body()))
    })?;
    let nodes = query.path.query(&document).all();
    let seen = match nodes.as_slice() {
        [value] => json_text(value),
        [] => {
            return Err(
                StepFailure::new(format!("nothing in the response JSON at `{path}`"))
                    .with("request", exchange.describe())
                    .with("body", text::excerpt(&exchange.body)),
            );
        }
        several => {
            return Err(StepFailure::new(format!(
                "`{path}` matches {} values in the response JSON; it must name one",
                several.len()
            ))
            .with(
                "values",
                text::for_terminal(
                    &several
                        .iter()
                        .map(|value| json_text(value))
                        .collect::<Vec<_>>()
                        .join(", "),
                    Keep::Start,
                ),
            ));
        }
    };
    if seen == expected {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the response JSON at `{path}` is not {}",
        text::quoted(expected)
    ))
    .with("expected", expected)
    .with("seen", text::for_terminal(&seen, Keep::Start))
    .with("request", exchange.describe()))
}

fn json_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

pub(crate) fn arrived_within(exchange: &Exchange, limit: Duration) -> Result<(), StepFailure> {
    if exchange.elapsed <= limit {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the response took {} ms, more than the {} ms allowed",
        exchange.elapsed.as_millis(),
        limit.as_millis()
    ))
    .with("request", exchange.describe()))
}

/// Passes when any hop of the redirect chain went to `target` (its path and, if given, its
/// query; a target without a query matches any query).
pub(crate) fn redirected_to(exchange: &Exchange, target: &Url) -> Result<(), StepFailure> {
    if exchange
        .redirects
        .iter()
        .any(|hop| site::same_place(&hop.to, target))
    {
        return Ok(());
    }
    let seen = if exchange.redirects.is_empty() {
        format!("no redirect: {} answered {}", exchange.requested, exchange.status)
    } else {
        exchange
            .redirects
            .iter()
            .map(|hop| format!("{} → {}", hop.status.as_u16(), hop.to))
            .collect::<Vec<_>>()
            .join("\n")
    };
    Err(
        StepFailure::new(format!("the response did not redirect to {target}"))
            .with("seen", seen)
            .with("request", exchange.describe()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::exchange::Redirect;
    use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
    use reqwest::{Method, StatusCode};

    fn exchange(status: u16, content_type: &str, body: &str) -> Exchange {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).expect("header"));
        let url = Url::parse("http://site.test/page").expect("url");
        Exchange {
            method: Method::GET,
            requested: url,
            status: StatusCode::from_u16(status).expect("status"),
            headers,
            body: body.to_owned(),
            elapsed: Duration::from_millis(40),
            redirects: Vec::new(),
            truncated: false,
            readable: Default::default(),
        }
    }

    #[test]
    fn a_body_cut_short_proves_no_absence() {
        let mut cut = exchange(200, "text/plain", "all fine so far");
        cut.truncated = true;
        let message = does_not_contain(&cut, "Traceback", &[])
            .expect_err("unprovable")
            .to_string();
        assert!(message.contains("was cut at 16 MiB"), "{message}");
        assert!(does_not_contain(&exchange(200, "text/plain", "all fine"), "Traceback", &[]).is_ok());
    }

    #[test]
    fn an_error_page_proves_no_absence_unless_the_scenario_expects_its_status() {
        let error_page = exchange(500, "text/html", "<h1>Server Error</h1>");
        let message = does_not_contain(&error_page, "Traceback", &[])
            .expect_err("unprovable")
            .to_string();
        assert!(
            message.starts_with("cannot tell: `GET /page` answered 500 Internal Server Error"),
            "{message}"
        );
        assert!(does_not_contain(&error_page, "Traceback", &[200]).is_err());
        assert!(does_not_contain(&error_page, "Traceback", &[500]).is_ok());
        assert!(does_not_contain(&error_page, "Traceback", &[ANY_STATUS]).is_ok());
        let not_found = exchange(404, "text/html", "<h1>Not Found</h1>");
        assert!(does_not_contain(&not_found, "Traceback", &[]).is_ok());
    }

    #[test]
    fn status_failure_names_both_codes_the_url_and_the_page() {
        let failure = status_is(&exchange(500, "text/html", "<h1>Internal Server Error</h1>"), 200)
            .expect_err("500 is not 200");
        let message = failure.to_string();
        assert!(
            message.starts_with("expected status 200, got 500 Internal Server Error"),
            "{message}"
        );
        assert!(message.contains("GET http://site.test/page"), "{message}");
        assert!(message.contains("\"Internal Server Error\""), "{message}");
    }

    #[test]
    fn contains_reads_visible_text_across_markup() {
        let page = exchange(200, "text/html", "<p>Welcome to <b>Ledger</b></p>");
        assert!(contains(&page, "Welcome to Ledger").is_ok());
        assert!(contains(&page, "<b>Ledger</b>").is_ok());
        let failure = contains(&page, "welcome to ledger").expect_err("case differs");
        assert!(
            failure.to_string().contains("found with other letter case"),
            "{failure}"
        );
    }

    #[test]
    fn absence_is_proved_from_the_markup_only_where_no_markup_can_show_the_text() {
        let page = "<!doctype html><html><head><title>Ledger</title><style>p { x: 1 }</style>\
                    <script>var a = 1 < 2;</script></head><body><p>The ledger balances,\n\
                    the invoices are sent.</p></body></html>";
        for absent in ["lorem ipsum", "Traceback", "ledger is empty", "The  invoices"] {
            assert!(!might_show(page, absent), "{absent}");
            assert!(
                does_not_contain(&exchange(200, "text/html", page), absent, &[]).is_ok(),
                "{absent}"
            );
        }
        // Each of these shows the text once parsed, or holds it as sent: none may be cleared
        // from the markup alone, and the full check then finds it.
        let showing = [
            ("<p>lorem ipsum</p>", "lorem ipsum"),
            ("<p>lorem\n      ipsum</p>", "lorem ipsum"),
            ("<p>lor<b>em</b> ip<span>sum</span></p>", "lorem ipsum"),
            ("<p>lorem<!-- x --> ipsum</p>", "lorem ipsum"),
            ("<p>lor<script>x</script>em ipsum</p>", "lorem ipsum"),
            ("<p>lorem&nbsp;ipsum</p>", "lorem ipsum"),
            ("<p>lorem&#32;ipsum</p>", "lorem ipsum"),
            ("<p>&#108;orem ipsum</p>", "lorem ipsum"),
            ("<p>Fish &amp; chips</p>", "Fish & chips"),
            ("<p>Fish &amp chips</p>", "Fish & chips"),
            ("<div>lorem</div><div>ipsum</div>", "lorem ipsum"),
            ("<table>lorem<tr><td>x</td></tr> ipsum</table>", "lorem"),
            ("<p title=\"lorem ipsum\">x</p>", "lorem ipsum"),
        ];
        for (markup, needle) in showing {
            assert!(might_show(markup, needle), "{markup}");
            let page = exchange(200, "text/html", markup);
            let seen = page.readable_body().contains(needle) || markup.contains(needle);
            assert_eq!(does_not_contain(&page, needle, &[]).is_err(), seen, "{markup}");
        }
    }

    #[test]
    fn not_contains_quotes_the_offending_text() {
        let page = exchange(200, "text/html", "<p>Lorem ipsum. TEST please ignore</p>");
        let failure = does_not_contain(&page, "TEST please ignore", &[]).expect_err("it is there");
        assert!(
            failure
                .to_string()
                .contains("\"Lorem ipsum. TEST please ignore\""),
            "{failure}"
        );
    }

    #[test]
    fn json_values_compare_as_text() {
        let health = exchange(
            200,
            "application/json",
            r#"{"status":"ok","checks":{"db":true},"n":3}"#,
        );
        let query = |written: &str| JsonQuery::read(written).expect("a JSONPath");
        assert!(json_at(&health, &query("$.status"), "ok").is_ok());
        assert!(json_at(&health, &query("$.checks.db"), "true").is_ok());
        assert!(json_at(&health, &query("$.n"), "3").is_ok());
        let failure = json_at(&health, &query("$.status"), "degraded").expect_err("it is ok");
        assert!(failure.to_string().contains("seen:"), "{failure}");
        assert!(json_at(&health, &query("$.missing"), "x").is_err());
        let Err(failure) = JsonQuery::read("status") else {
            panic!("a JSONPath without `$` is refused");
        };
        assert!(failure.to_string().contains("JSONPath"), "{failure}");
        let page = exchange(200, "text/html", "<p>hi</p>");
        assert!(
            json_at(&page, &query("$.status"), "ok")
                .expect_err("html")
                .to_string()
                .contains("not JSON")
        );
    }

    #[test]
    fn header_failure_lists_what_was_sent() {
        let page = exchange(200, "text/html", "");
        assert!(header_contains(&page, "content-type", "html").is_ok());
        let failure = header_contains(&page, "Strict-Transport-Security", "max-age").expect_err("absent");
        assert!(
            failure.to_string().contains("headers sent: content-type"),
            "{failure}"
        );
    }

    #[test]
    fn header_checks_tell_absent_exact_and_excluded_values_apart() {
        let mut page = exchange(200, "text/html", "");
        page.headers
            .insert("server", HeaderValue::from_static("nginx/1.24.0"));
        assert!(header_absent(&page, "X-Powered-By", &[]).is_ok());
        let failure = header_absent(&page, "Server", &[]).expect_err("sent");
        assert!(failure.to_string().contains("Server: nginx/1.24.0"), "{failure}");
        assert!(header_is(&page, "server", "nginx/1.24.0").is_ok());
        let failure = header_is(&page, "Server", "nginx").expect_err("not exactly");
        assert!(failure.to_string().contains("Server: nginx\n"), "{failure}");
        assert!(header_lacks(&page, "Server", "Apache", &[]).is_ok());
        assert!(header_lacks(&page, "X-Powered-By", "PHP", &[]).is_ok());
        assert!(header_lacks(&page, "Server", "1.24", &[]).is_err());
    }

    #[test]
    fn an_error_page_proves_no_header_absent_unless_the_scenario_expects_its_status() {
        let error_page = exchange(502, "text/html", "<h1>Bad Gateway</h1>");
        for failure in [
            header_absent(&error_page, "X-Powered-By", &[]),
            header_lacks(&error_page, "Server", "Apache", &[200]),
        ] {
            let message = failure.expect_err("unprovable").to_string();
            assert!(
                message.starts_with(
                    "cannot tell: `GET /page` answered 502 Bad Gateway, and an error page proves nothing about the headers the page sends"
                ),
                "{message}"
            );
        }
        assert!(header_absent(&error_page, "X-Powered-By", &[502]).is_ok());
        assert!(header_lacks(&error_page, "Server", "Apache", &[ANY_STATUS]).is_ok());
    }

    #[test]
    fn redirect_matches_any_hop_and_ignores_query_unless_given() {
        let mut page = exchange(200, "text/html", "");
        let login = Url::parse("http://site.test/accounts/login/?next=/reports/").expect("url");
        page.redirects.push(Redirect {
            status: StatusCode::FOUND,
            to: login,
        });
        let without_query = Url::parse("http://site.test/accounts/login/").expect("url");
        assert!(redirected_to(&page, &without_query).is_ok());
        let elsewhere = Url::parse("http://site.test/dashboard/").expect("url");
        assert!(
            redirected_to(&page, &elsewhere)
                .expect_err("not there")
                .to_string()
                .contains("302 →")
        );
    }

    #[test]
    fn slow_answers_fail_with_both_durations() {
        let page = exchange(200, "text/html", "");
        assert!(arrived_within(&page, Duration::from_millis(100)).is_ok());
        let failure = arrived_within(&page, Duration::from_millis(10)).expect_err("too slow");
        assert!(
            failure.to_string().contains("40 ms, more than the 10 ms"),
            "{failure}"
        );
    }
}
