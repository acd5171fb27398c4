//! The HTTP phrases of the step vocabulary. Each reads like its phrase and hands over to the
//! exchange and the checks.

use std::time::Duration;

use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use reqwest::Method;

use super::checks;
use super::exchange::{Exchange, Outgoing, perform};
use crate::failure::StepFailure;
use crate::world::ShakedownWorld;

#[given(expr = "I request {string}")]
#[when(expr = "I request {string}")]
#[then(expr = "I request {string}")]
async fn request(world: &mut ShakedownWorld, target: String) -> Result<(), StepFailure> {
    send(world, Method::GET, &target, None).await
}

#[given(expr = "I send a {word} request to {string}")]
#[when(expr = "I send a {word} request to {string}")]
#[then(expr = "I send a {word} request to {string}")]
async fn send_request(
    world: &mut ShakedownWorld,
    step: &Step,
    method: String,
    target: String,
) -> Result<(), StepFailure> {
    let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| StepFailure::new(format!("`{method}` is not an HTTP method")))?;
    send(world, method, &target, step.docstring.clone()).await
}

#[given(expr = "the response status should be {int}")]
#[when(expr = "the response status should be {int}")]
#[then(expr = "the response status should be {int}")]
fn status(world: &mut ShakedownWorld, expected: u16) -> Result<(), StepFailure> {
    checks::status_is(last(world)?, expected)
}

#[given(expr = "the response should contain {string}")]
#[when(expr = "the response should contain {string}")]
#[then(expr = "the response should contain {string}")]
fn contains(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    checks::contains(last(world)?, &text)
}

#[given(expr = "the response should not contain {string}")]
#[when(expr = "the response should not contain {string}")]
#[then(expr = "the response should not contain {string}")]
fn does_not_contain(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    checks::does_not_contain(last(world)?, &text)
}

#[given(expr = "the response header {string} should contain {string}")]
#[when(expr = "the response header {string} should contain {string}")]
#[then(expr = "the response header {string} should contain {string}")]
fn header(world: &mut ShakedownWorld, name: String, text: String) -> Result<(), StepFailure> {
    checks::header_contains(last(world)?, &name, &text)
}

#[given(expr = "the response JSON at {string} should be {string}")]
#[when(expr = "the response JSON at {string} should be {string}")]
#[then(expr = "the response JSON at {string} should be {string}")]
fn json(world: &mut ShakedownWorld, path: String, expected: String) -> Result<(), StepFailure> {
    checks::json_at(last(world)?, &path, &expected)
}

#[given(expr = "the response should arrive within {int} ms")]
#[when(expr = "the response should arrive within {int} ms")]
#[then(expr = "the response should arrive within {int} ms")]
fn arrives_within(world: &mut ShakedownWorld, millis: u64) -> Result<(), StepFailure> {
    checks::arrived_within(last(world)?, Duration::from_millis(millis))
}

#[given(expr = "the response should redirect to {string}")]
#[when(expr = "the response should redirect to {string}")]
#[then(expr = "the response should redirect to {string}")]
fn redirects_to(world: &mut ShakedownWorld, target: String) -> Result<(), StepFailure> {
    let target = world.resolve(&target)?;
    checks::redirected_to(last(world)?, &target)
}

async fn send(
    world: &mut ShakedownWorld,
    method: Method,
    target: &str,
    body: Option<String>,
) -> Result<(), StepFailure> {
    let url = world.resolve(target)?;
    let settings = world.settings();
    if settings.read_only && !is_safe(&method) {
        return Err(StepFailure::new(format!(
            "refused to send {method} {url}: the environment `{}` is read-only",
            settings.environment
        ))
        .with("hint", "mutating requests run only where `read_only` is not set; tag such scenarios and leave them out on this environment"));
    }
    world.http.last = None;
    let budget = world.time_budget();
    let outgoing = Outgoing {
        method,
        url,
        body,
        content_type: None,
    };
    let exchange = perform(&world.run().http, &world.http.jar, outgoing, budget).await?;
    world.http.last = Some(exchange);
    Ok(())
}

/// Methods that change nothing on the server, by HTTP's definition.
fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn last(world: &ShakedownWorld) -> Result<&Exchange, StepFailure> {
    world.http.last.as_ref().ok_or_else(|| {
        StepFailure::new("there is no response to check: no request has been answered in this scenario")
            .with("hint", "start with a step such as `When I request \"/\"`")
    })
}
