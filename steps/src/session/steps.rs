//! The "Who is looking" phrases: act as a configured role (logged in once per run) or as an
//! anonymous visitor.

use cucumber::{given, then, when};

use super::ANONYMOUS;
use crate::failure::StepFailure;
use crate::world::ShakedownWorld;

#[given(expr = "I am logged in as {string}")]
#[when(expr = "I am logged in as {string}")]
#[then(expr = "I am logged in as {string}")]
async fn logged_in_as(world: &mut ShakedownWorld, role: String) -> Result<(), StepFailure> {
    if role == ANONYMOUS {
        world.become_anonymous();
        return Ok(());
    }
    let budget = world.time_budget();
    let session = world.run().sessions.session(world.run(), &role, budget).await?;
    world.http.jar = session.jar(&world.settings().base_url);
    world.role = Some(role);
    Ok(())
}

#[given(expr = "I am not logged in")]
#[when(expr = "I am not logged in")]
#[then(expr = "I am not logged in")]
fn not_logged_in(world: &mut ShakedownWorld) {
    world.become_anonymous();
}
