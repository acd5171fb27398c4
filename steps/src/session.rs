//! Who is looking: the scenario's identity towards the site.

use cucumber::{given, then, when};

use crate::world::ShakedownWorld;

#[given(expr = "I am not logged in")]
#[when(expr = "I am not logged in")]
#[then(expr = "I am not logged in")]
fn not_logged_in(world: &mut ShakedownWorld) {
    world.http.forget_cookies();
}
