//! The "Who is looking" phrases: act as a configured role (logged in once per run) or as an
//! anonymous visitor.

use shakedown_steps_macros::phrase;

use super::ANONYMOUS;
use crate::failure::StepFailure;
use crate::world::ShakedownWorld;

/// The catalogue groups this file's phrases under this domain.
const PHRASE_DOMAIN: &str = "session";

/// the role's session: logged in once per run, reused by HTTP and browser steps alike
#[phrase(
    "I am logged in as {string}",
    example = "I am logged in as \"clerk\"",
    names_role = true
)]
async fn logged_in_as(world: &mut ShakedownWorld, role: String) -> Result<(), StepFailure> {
    if role == ANONYMOUS {
        world.become_anonymous();
        return Ok(());
    }
    world.become_role(role).await
}

/// an anonymous visitor: no cookies
#[phrase(
    "I am not logged in",
    example = "I am not logged in",
    text = NOT_LOGGED_IN_PHRASE
)]
fn not_logged_in(world: &mut ShakedownWorld) {
    world.become_anonymous();
}
