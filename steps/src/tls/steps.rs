//! The TLS phrase of the step vocabulary.

use std::time::SystemTime;

use cucumber::{given, then, when};

use super::certificate::{self, Target};
use crate::failure::StepFailure;
use crate::world::ShakedownWorld;

#[given(expr = "the TLS certificate of {string} should be valid for at least {int} days")]
#[when(expr = "the TLS certificate of {string} should be valid for at least {int} days")]
#[then(expr = "the TLS certificate of {string} should be valid for at least {int} days")]
async fn certificate_valid_for(
    world: &mut ShakedownWorld,
    target: String,
    days: i64,
) -> Result<(), StepFailure> {
    let target = Target::parse(&target)?;
    let roots = certificate::trust(world.settings().probes.tls_ca_file.as_deref()).await?;
    let inspection = certificate::inspect(&target, roots, world.time_budget()).await?;
    certificate::judge(&target, &inspection, days, SystemTime::now())
}
