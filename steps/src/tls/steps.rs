//! The TLS phrase of the step vocabulary.

use std::time::SystemTime;

use shakedown_steps_macros::phrase;

use super::certificate::{self, Target};
use crate::argument::Days;
use crate::failure::StepFailure;
use crate::world::ShakedownWorld;

/// The catalogue groups this file's phrases under this domain.
const PHRASE_DOMAIN: &str = "tls";

/// host or host:port
#[phrase(
    "the TLS certificate of {string} should be valid for at least {int} days",
    example = "the TLS certificate of \"ledger.example.com\" should be valid for at least 14 days"
)]
async fn certificate_valid_for(
    world: &mut ShakedownWorld,
    target: Target,
    days: Days,
) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let roots = certificate::trust(world.probe_settings().tls_ca_file.as_deref()).await?;
    let inspection = certificate::inspect(&target, roots, deadline).await?;
    certificate::judge(&target, &inspection, days.0, SystemTime::now())
}
