//! The "Who may see what" phrases. Each request is made with the role's own session (one login
//! per role per run); the matrix checks its cells [`REQUESTS_AT_ONCE`] at a time.

use cucumber::gherkin::Step;
use futures::StreamExt as _;
use shakedown_steps_macros::phrase;

use super::matrix::{Access, Expectations, Observation, Seen, classify, holds, render};
use super::visits::Visits;
use crate::failure::{FailureKind, StepFailure};
use crate::http::{REQUESTS_AT_ONCE, checks};
use crate::site::SiteAddress;
use crate::world::ShakedownWorld;

/// Requests as a role the way this scenario sees the site: a server's own web server, when it
/// has one.
pub(crate) fn visits_of(world: &ShakedownWorld) -> Visits<'_> {
    Visits::new(world.http_client(), world.sessions(), world.site())
}

/// The catalogue groups this file's phrases under this domain.
const PHRASE_DOMAIN: &str = "access";

/// a table: first column `path`, one column per role (`anonymous` included); cells `allowed`, `denied` or `login`
#[phrase(
    "the access matrix should hold:",
    example = "the access matrix should hold:",
    text = MATRIX_PHRASE
)]
async fn access_matrix(world: &mut ShakedownWorld, step: &Step) -> Result<(), StepFailure> {
    let table = step
        .table
        .as_ref()
        .ok_or_else(|| StepFailure::new(super::matrix::NO_TABLE))?;
    let expectations = Expectations::parse(table)?;
    let deadline = world.deadline();
    let visits = visits_of(world);
    let observations: Vec<Observation> = futures::stream::iter(expectations.cells())
        .map(|(path, role, _)| visits.observe(role, path, deadline))
        .buffered(REQUESTS_AT_ONCE)
        .collect()
        .await;
    let total = observations.len();
    let failing: Vec<&Observation> = expectations
        .cells()
        .zip(&observations)
        .filter(|((_, _, expected), observation)| !holds(*expected, &observation.seen))
        .map(|(_, observation)| observation)
        .collect();
    if failing.is_empty() {
        return Ok(());
    }
    let unknown = failing
        .iter()
        .filter(|observation| observation.seen.is_unknown())
        .count();
    let differing = failing.len() - unknown;
    let summary = match (differing, unknown) {
        (_, 0) => format!("the access matrix does not hold: {differing} of {total} cells differ"),
        (0, _) => format!(
            "the access matrix could not be checked: {unknown} of {total} cells could not be told (error pages, failed logins or requests)"
        ),
        _ => format!(
            "the access matrix does not hold: {differing} of {total} cells differ, and {unknown} could not be told"
        ),
    };
    // A matrix whose every failing cell failed the same way (a role that cannot log in) fails
    // with that kind; any cell that saw an answer makes it the site's failure.
    let kind = match failing.first().map(|observation| &observation.seen) {
        Some(Seen::Failed(kind))
            if failing
                .iter()
                .all(|observation| observation.seen == Seen::Failed(*kind)) =>
        {
            *kind
        }
        _ => FailureKind::Assertion,
    };
    Err(StepFailure::new(summary)
        .of_kind(kind)
        .with("matrix", render(&expectations, &observations)))
}

/// one cell of that matrix; an error page or a failed login is unknown, never a pass or a denial
#[phrase(
    "the role {string} should have access to {string}",
    example = "the role \"clerk\" should have access to \"/reports/\"",
    names_role = true
)]
async fn has_access(world: &mut ShakedownWorld, role: String, path: SiteAddress) -> Result<(), StepFailure> {
    let observation = visits_of(world).observe(&role, &path, world.deadline()).await;
    match observation.seen {
        Seen::Access(Access::Allowed) => Ok(()),
        Seen::Access(_) => Err(StepFailure::new(format!("`{role}` has no access to {path}"))
            .with("expected", "allowed: a 2xx answer that is not the login page")
            .with("seen", format!("{}: {}", observation.seen, observation.evidence))),
        _ => Err(unknown_access(&role, &path, &observation)
            .with("expected", "allowed: a 2xx answer that is not the login page")),
    }
}

/// one cell of that matrix; an error page or a failed login is unknown, never a pass or a leak
#[phrase(
    "the role {string} should not have access to {string}",
    example = "the role \"viewer\" should not have access to \"/reports/\"",
    names_role = true
)]
async fn has_no_access(
    world: &mut ShakedownWorld,
    role: String,
    path: SiteAddress,
) -> Result<(), StepFailure> {
    let observation = visits_of(world).observe(&role, &path, world.deadline()).await;
    match observation.seen {
        Seen::Access(Access::Denied | Access::Login) => Ok(()),
        Seen::Access(Access::Allowed) => Err(StepFailure::new(format!(
            "`{role}` can open {path}, which it should not"
        ))
        .with("expected", "denied (401, 403, 404) or the login page")
        .with("seen", format!("{}: {}", observation.seen, observation.evidence))),
        _ => Err(unknown_access(&role, &path, &observation)
            .with("expected", "denied (401, 403, 404) or the login page")),
    }
}

/// A single cell that could not be told: an error page, an answer none of the matrix's words
/// describe, a login or a request that failed. It never claims a leak it did not see; its kind is
/// the one the matrix gives the same cell (a role that cannot log in is a configuration problem,
/// Nagios UNKNOWN; an error page is the site's).
fn unknown_access(role: &str, path: &str, observation: &Observation) -> StepFailure {
    let (summary, kind) = match &observation.seen {
        Seen::Failed(kind) => (
            format!(
                "{}; whether `{role}` can open {path} is unknown",
                observation.evidence
            ),
            *kind,
        ),
        Seen::Other(status) => (
            format!(
                "{path} answered {} for `{role}`; access unknown",
                status_text(*status)
            ),
            FailureKind::Assertion,
        ),
        Seen::Access(_) => (
            format!(
                "whether `{role}` may open {path} is unknown: {}",
                observation.evidence
            ),
            FailureKind::Assertion,
        ),
    };
    StepFailure::new(summary)
        .of_kind(kind)
        .with("seen", format!("{}: {}", observation.seen, observation.evidence))
}

/// `500 Internal Server Error`, or the bare code when it has no standard reason.
fn status_text(status: u16) -> String {
    reqwest::StatusCode::from_u16(status).map_or_else(|_| status.to_string(), |status| status.to_string())
}

/// a role, a text, a page
#[phrase(
    "{string} should see {string} on {string}",
    example = "\"admin\" should see \"Admin\" on \"/dashboard/\"",
    names_role = true
)]
async fn sees(
    world: &mut ShakedownWorld,
    role: String,
    text: String,
    path: SiteAddress,
) -> Result<(), StepFailure> {
    let exchange = visits_of(world)
        .visit_as(&role, &path, world.deadline())
        .await
        .map_err(|failure| unknown_sight(&role, &text, &path, failure))?;
    let seen = classify(&exchange, world.sessions().login_settings());
    if seen.is_unknown() {
        let failure = StepFailure::new(format!("it answered {}", exchange.status))
            .with("request", exchange.describe())
            .with("body", crate::text::excerpt(exchange.readable_body()));
        return Err(unknown_sight(&role, &text, &path, failure));
    }
    if seen != Seen::Access(Access::Allowed) {
        return Err(
            StepFailure::new(format!("`{role}` cannot see {path}, so not {text:?} either"))
                .with("seen", seen.to_string())
                .with("request", exchange.describe()),
        );
    }
    checks::contains(&exchange, &text)
        .map_err(|failure| failure.retitled(format!("`{role}` does not see {text:?} on {path}")))
}

/// a role, a text, a page; an error page or a failed login is unknown, never a pass
#[phrase(
    "{string} should not see {string} on {string}",
    example = "\"viewer\" should not see \"Admin\" on \"/dashboard/\"",
    names_role = true
)]
async fn does_not_see(
    world: &mut ShakedownWorld,
    role: String,
    text: String,
    path: SiteAddress,
) -> Result<(), StepFailure> {
    let exchange = visits_of(world)
        .visit_as(&role, &path, world.deadline())
        .await
        .map_err(|failure| unknown_sight(&role, &text, &path, failure))?;
    checks::proves_absence(&exchange, &[]).map_err(|failure| unknown_sight(&role, &text, &path, failure))?;
    checks::does_not_contain(&exchange, &text, &[])
        .map_err(|failure| failure.retitled(format!("`{role}` sees {text:?} on {path}, which it should not")))
}

/// Why whether `role` sees `text` on `path` could not be told: the page or the login failed.
fn unknown_sight(role: &str, text: &str, path: &str, failure: StepFailure) -> StepFailure {
    failure.reworded(|why| format!("whether `{role}` sees {text:?} on {path} is unknown: {why}"))
}
