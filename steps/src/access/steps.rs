//! The "Who may see what" phrases. Each request is made with the role's own session (one login
//! per role per run); the matrix checks all its cells at once.

use std::sync::Arc;

use cucumber::gherkin::Step;
use shakedown_steps_macros::phrase;

use super::matrix::{Access, Expectations, Observation, Seen, classify, holds, render};
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::http::{Exchange, Outgoing, checks, perform};
use crate::session::ANONYMOUS;
use crate::world::ShakedownWorld;

/// a table: first column `path`, one column per role (`anonymous` included); cells `allowed`, `denied` or `login`
#[phrase("the access matrix should hold:", example = "the access matrix should hold:")]
async fn access_matrix(world: &mut ShakedownWorld, step: &Step) -> Result<(), StepFailure> {
    let table = step.table.as_ref().ok_or_else(|| {
        StepFailure::new("the access matrix needs a table under the step: `| path | anonymous | clerk |`")
    })?;
    let expectations = Expectations::parse(table)?;
    let world = &*world;
    let deadline = world.deadline();
    let visits = expectations
        .cells()
        .map(|(path, role, _)| async move { observe(world, role, path, deadline).await });
    let observations: Vec<Observation> = futures::future::join_all(visits).await;
    let total = observations.len();
    let differing = expectations
        .cells()
        .zip(&observations)
        .filter(|((_, _, expected), observation)| !holds(*expected, &observation.seen))
        .count();
    if differing == 0 {
        return Ok(());
    }
    Err(StepFailure::new(format!(
        "the access matrix does not hold: {differing} of {total} cells differ"
    ))
    .with("matrix", render(&expectations, &observations)))
}

/// one cell of that matrix
#[phrase(
    "the role {string} should have access to {string}",
    example = "the role \"clerk\" should have access to \"/reports/\"",
    names_role = true
)]
async fn has_access(world: &mut ShakedownWorld, role: String, path: String) -> Result<(), StepFailure> {
    let observation = observe(world, &role, &path, world.deadline()).await;
    if holds(Access::Allowed, &observation.seen) {
        return Ok(());
    }
    Err(StepFailure::new(format!("`{role}` has no access to {path}"))
        .with("expected", "allowed: a 2xx answer that is not the login page")
        .with("seen", format!("{}: {}", observation.seen, observation.evidence)))
}

/// one cell of that matrix
#[phrase(
    "the role {string} should not have access to {string}",
    example = "the role \"viewer\" should not have access to \"/reports/\"",
    names_role = true
)]
async fn has_no_access(world: &mut ShakedownWorld, role: String, path: String) -> Result<(), StepFailure> {
    let observation = observe(world, &role, &path, world.deadline()).await;
    match observation.seen {
        Seen::Access(Access::Denied | Access::Login) => Ok(()),
        seen => Err(
            StepFailure::new(format!("`{role}` can open {path}, which it should not"))
                .with("expected", "denied (401, 403, 404) or the login page")
                .with("seen", format!("{seen}: {}", observation.evidence)),
        ),
    }
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
    path: String,
) -> Result<(), StepFailure> {
    let exchange = visit_as(world, &role, &path, world.deadline()).await?;
    let seen = classify(&exchange, world.sessions().login_settings());
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

/// a role, a text, a page
#[phrase(
    "{string} should not see {string} on {string}",
    example = "\"viewer\" should not see \"Admin\" on \"/dashboard/\"",
    names_role = true
)]
async fn does_not_see(
    world: &mut ShakedownWorld,
    role: String,
    text: String,
    path: String,
) -> Result<(), StepFailure> {
    let exchange = visit_as(world, &role, &path, world.deadline()).await?;
    checks::does_not_contain(&exchange, &text)
        .map_err(|failure| failure.retitled(format!("`{role}` sees {text:?} on {path}, which it should not")))
}

/// One request to `path` as `role`, judged by the matrix's rule.
async fn observe(world: &ShakedownWorld, role: &str, path: &str, deadline: Deadline) -> Observation {
    match visit_as(world, role, path, deadline).await {
        Ok(exchange) => Observation {
            seen: classify(&exchange, world.sessions().login_settings()),
            evidence: format!("{} at {}", exchange.status, exchange.final_url()),
        },
        Err(failure) => Observation {
            seen: Seen::Failed(failure.summary().to_owned()),
            evidence: failure.summary().to_owned(),
        },
    }
}

/// Requests `path` with the role's session; `anonymous` sends no cookies.
async fn visit_as(
    world: &ShakedownWorld,
    role: &str,
    path: &str,
    deadline: Deadline,
) -> Result<Exchange, StepFailure> {
    let url = world.resolve(path)?;
    let jar = if role == ANONYMOUS {
        Arc::default()
    } else {
        world
            .sessions()
            .session(role, deadline)
            .await?
            .jar(&world.site().base_url)
    };
    perform(world.http_client(), &jar, Outgoing::get(url), deadline).await
}
