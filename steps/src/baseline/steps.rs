//! The baseline's phrase: a probe step, so the fleet runs it once on every host, each against
//! its own section of the file.

use shakedown_steps_macros::phrase;

use super::access::ask_again;
use super::compare::{Changes, compare, compare_access};
use super::facts::gather;
use super::model::Baseline;
use super::nagios::NagiosChecks;
use crate::access::visits_of;
use crate::failure::StepFailure;
use crate::probes::PluginRunner;
use crate::world::ShakedownWorld;

/// The catalogue lists the baseline's phrase among the probes of a machine, where readers look
/// for what a server runs.
const PHRASE_DOMAIN: &str = "probes";

/// compares the server with the file `shakedown baseline record` wrote before the deployment (relative to the configuration's folder): every service, listening port, daemon, crontab line, Apache site or module, sound WSGI path or OK Nagios check that was there and is gone fails the step; new ones are noted; `[baseline] ignore` lists intended changes
#[phrase(
    "nothing on the server should have regressed since the baseline {string}",
    example = "nothing on the server should have regressed since the baseline \"reports/baseline.json\"",
    runs_on_host,
    text = BASELINE_PHRASE
)]
async fn nothing_regressed(world: &mut ShakedownWorld, file: String) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let path = world.config_folder().join(&file);
    let baseline = Baseline::read(&path).await?;
    let probes = world.probe_settings();
    let runner = PluginRunner::new(
        probes,
        &world.site().base_url,
        world.sessions().password_variables(),
        world.config_folder(),
    );
    let settings = world.baseline_settings();
    let checks = NagiosChecks::from_feature(&settings.monitoring_feature, runner).await;
    let host = world.host();
    let name = host.name();
    let recorded = baseline.host(&name, &path)?;
    let now = gather(host, settings, &checks, deadline).await?;
    let changes = compare(recorded, &now, &settings.ignore);
    let told = Told {
        note: "new since the baseline",
        regressed: format!("thing(s) on {name}"),
        also: "new",
    };
    verdict(world, changes, told, &baseline, &path)
}

/// compares who could open what with the access matrix `shakedown baseline record` wrote (relative to the configuration's folder): every recorded role asks for every recorded path again, judged as the access matrix judges; a role that can now open a page it was denied or sent to the login page on fails the step, as does one whose answer cannot be told now; access taken away is noted; `[baseline] ignore` takes `access:PATH` or `access:ROLE PATH`. The run reads the password of every role of the environment for it, as for a role a scenario names
#[phrase(
    "nobody should have gained access since the baseline {string}",
    example = "nobody should have gained access since the baseline \"reports/baseline.json\"",
    needs_every_role,
    text = ACCESS_PHRASE
)]
async fn nobody_gained_access(world: &mut ShakedownWorld, file: String) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let path = world.config_folder().join(&file);
    let baseline = Baseline::read(&path).await?;
    let Some(recorded) = &baseline.access else {
        return Err(StepFailure::configuration(format!(
            "the baseline `{}` holds no access matrix, so whether anyone gained access cannot be told",
            path.display()
        ))
        .with(
            "hint",
            "record it again with features holding `the access matrix should hold:`",
        ));
    };
    let now = ask_again(&visits_of(world), recorded, deadline).await;
    let changes = compare_access(recorded, &now, &world.baseline_settings().ignore);
    let told = Told {
        note: "since the baseline",
        regressed: "cell(s) of the access matrix".to_owned(),
        also: "also changed",
    };
    verdict(world, changes, told, &baseline, &path)
}

/// How a comparison's outcome is worded: the note before each change that is no regression,
/// what regressed, and the label of those changes beside a failure.
struct Told {
    note: &'static str,
    regressed: String,
    also: &'static str,
}

/// Notes each change that is no regression and fails on any regression, with when and by which
/// shakedown the baseline was recorded.
fn verdict(
    world: &mut ShakedownWorld,
    changes: Changes,
    told: Told,
    baseline: &Baseline,
    path: &std::path::Path,
) -> Result<(), StepFailure> {
    for sentence in &changes.new {
        world.note(format!("{}: {sentence}", told.note));
    }
    if changes.regressions.is_empty() {
        return Ok(());
    }
    let mut failure = StepFailure::new(format!(
        "{} {} regressed since the baseline `{}`",
        changes.regressions.len(),
        told.regressed,
        path.display()
    ))
    .with("regressed", changes.regressions.join("\n"))
    .with(
        "recorded",
        format!("{} by shakedown {}", baseline.recorded_at, baseline.shakedown),
    );
    if !changes.new.is_empty() {
        failure = failure.with(told.also, changes.new.join("\n"));
    }
    Err(failure)
}
