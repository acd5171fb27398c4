//! The HTTP phrases of the step vocabulary. Each reads like its phrase and hands over to the
//! exchange and the checks.

use cucumber::gherkin::Step;
use reqwest::Method;
use shakedown_steps_macros::phrase;

use super::checks::{self, JsonQuery};
use super::exchange::{Exchange, Outgoing, perform};
use crate::argument::{HttpMethod, Milliseconds, StatusCode};
use crate::failure::StepFailure;
use crate::site::SiteAddress;
use crate::world::ShakedownWorld;

/// The catalogue groups this file's phrases under this domain.
const PHRASE_DOMAIN: &str = "http";

/// GET, with the current role's session
#[phrase(
    "I request {string}",
    example = "I request \"/api/health\"",
    text = REQUEST_PHRASE
)]
async fn request(world: &mut ShakedownWorld, target: SiteAddress) -> Result<(), StepFailure> {
    send(world, Method::GET, &target, None, None).await
}

/// any method; an optional doc string is the body, sent with the content type its fence names (`"""json`), else one told from its shape; refused on a read-only environment (see safety)
#[phrase(
    "I send a {word} request to {string}",
    example = "I send a POST request to \"/api/orders\""
)]
async fn send_request(
    world: &mut ShakedownWorld,
    step: &Step,
    method: HttpMethod,
    target: SiteAddress,
) -> Result<(), StepFailure> {
    let content_type = step
        .docstring_media_type
        .as_deref()
        .and_then(super::exchange::content_type_named);
    send(world, method.0, &target, step.docstring.clone(), content_type).await
}

/// the status code of the last response
#[phrase(
    "the response status should be {int}",
    example = "the response status should be 200",
    checks_status,
    text = STATUS_PHRASE
)]
fn status(world: &mut ShakedownWorld, expected: StatusCode) -> Result<(), StepFailure> {
    checks::status_is(last(world)?, expected.0)
}

/// body text
#[phrase(
    "the response should contain {string}",
    example = "the response should contain \"Welcome\""
)]
fn contains(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    checks::contains(last(world)?, &text)
}

/// body text; an unexpected server error or a body cut short fails: absence cannot be told there
#[phrase(
    "the response should not contain {string}",
    example = "the response should not contain \"Traceback\""
)]
fn does_not_contain(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    checks::does_not_contain(last(world)?, &text, &world.http.expected_statuses)
}

/// a header of the last response, by name in any case
#[phrase(
    "the response header {string} should contain {string}",
    example = "the response header \"Content-Type\" should contain \"text/html\"",
    text = HEADER_CONTAINS_PHRASE
)]
fn header(world: &mut ShakedownWorld, name: String, text: String) -> Result<(), StepFailure> {
    checks::header_contains(last(world)?, &name, &text)
}

/// exactly this value (surrounding whitespace aside), by name in any case; several headers of
/// that name pass when one of them is it
#[phrase(
    "the response header {string} should be {string}",
    example = "the response header \"X-Content-Type-Options\" should be \"nosniff\""
)]
fn header_is(world: &mut ShakedownWorld, name: String, value: String) -> Result<(), StepFailure> {
    checks::header_is(last(world)?, &name, &value)
}

/// no value of the header holds the text; a header that is not sent passes. An unexpected server
/// error fails: an error page cannot tell which headers the page sends
#[phrase(
    "the response header {string} should not contain {string}",
    example = "the response header \"Server\" should not contain \"Apache/\""
)]
fn header_lacks(world: &mut ShakedownWorld, name: String, text: String) -> Result<(), StepFailure> {
    checks::header_lacks(last(world)?, &name, &text, &world.http.expected_statuses)
}

/// the last response does not send the header at all, whatever its value. An unexpected server
/// error fails: an error page cannot tell which headers the page sends
#[phrase(
    "the response header {string} should not be present",
    example = "the response header \"X-Powered-By\" should not be present"
)]
fn header_absent(world: &mut ShakedownWorld, name: String) -> Result<(), StepFailure> {
    checks::header_absent(last(world)?, &name, &world.http.expected_statuses)
}

/// JSONPath, e.g. `$.status`; compares the JSON value's text
#[phrase(
    "the response JSON at {string} should be {string}",
    example = "the response JSON at \"$.status\" should be \"ok\"",
    text = JSON_AT_PHRASE
)]
fn json(world: &mut ShakedownWorld, path: JsonQuery, expected: String) -> Result<(), StepFailure> {
    checks::json_at(last(world)?, &path, &expected)
}

/// time to the full body
#[phrase(
    "the response should arrive within {int} ms",
    example = "the response should arrive within 500 ms"
)]
fn arrives_within(world: &mut ShakedownWorld, limit: Milliseconds) -> Result<(), StepFailure> {
    checks::arrived_within(last(world)?, limit.duration())
}

/// the last request was redirected, and its last hop went there
#[phrase(
    "the response should redirect to {string}",
    example = "the response should redirect to \"/accounts/login/\"",
    text = REDIRECT_PHRASE
)]
fn redirects_to(world: &mut ShakedownWorld, target: SiteAddress) -> Result<(), StepFailure> {
    let target = world.resolve(&target)?;
    checks::redirected_to(last(world)?, &target)
}

async fn send(
    world: &mut ShakedownWorld,
    method: Method,
    target: &str,
    body: Option<String>,
    content_type: Option<String>,
) -> Result<(), StepFailure> {
    let url = world.resolve(target)?;
    let site = world.site();
    if site.read_only && !is_safe(&method) {
        return Err(StepFailure::configuration(format!(
            "refused to send {method} {url}: the environment `{}` is read-only",
            site.environment
        ))
        .with("hint", "mutating requests run only where `read_only` is not set; tag such scenarios and leave them out on this environment"));
    }
    world.http.last = None;
    let deadline = world.deadline();
    let outgoing = Outgoing {
        method,
        url,
        body,
        content_type,
        body_stays_within: None,
        stays_on_origin: false,
    };
    let exchange = perform(world.http_client(), &world.http.visitor, outgoing, deadline).await?;
    let unexpected_error = exchange.status.is_server_error() && world.http.expected_statuses.is_empty();
    let failure = unexpected_error.then(|| {
        StepFailure::new(format!(
            "`{} {}` answered {}; checks that text is absent prove nothing on an error page",
            exchange.method,
            exchange.requested.path(),
            exchange.status
        ))
        .with("request", exchange.describe())
        .with("body", crate::text::excerpt(exchange.readable_body()))
        .with(
            "hint",
            format!(
                "if the scenario expects this, say so: `Then the response status should be {}`",
                exchange.status.as_u16()
            ),
        )
    });
    world.http.last = Some(exchange);
    failure.map_or(Ok(()), Err)
}

/// The status a step's text checks the response for, if its phrase declares `checks_status`: a
/// scenario holding one expects whatever status it names, a server error included. A status
/// written as an outline placeholder (`<status>`) may be any, a server error included.
pub(crate) fn checked_status(step_text: &str) -> Option<u16> {
    let named = crate::catalogue::checked_status(step_text)?;
    Some(named.parse().unwrap_or(checks::ANY_STATUS))
}

/// Methods that change nothing on the server, by HTTP's definition.
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Sends a request the scenario sent before once more, for a check that waits for its answer to
/// change: only one that changes nothing on the server (a GET or a HEAD).
pub(crate) async fn send_again(
    world: &mut ShakedownWorld,
    method: Method,
    url: &url::Url,
) -> Result<(), StepFailure> {
    send(world, method, url.as_str(), None, None).await
}

pub(crate) fn last(world: &ShakedownWorld) -> Result<&Exchange, StepFailure> {
    world.http.answer().ok_or_else(|| {
        StepFailure::new("there is no response to check: no request has been answered in this scenario")
            .with("hint", "start with a step such as `When I request \"/\"`")
    })
}
