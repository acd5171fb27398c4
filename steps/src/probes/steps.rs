//! The "Services on the machine" phrases of the step vocabulary. Each reads like its phrase
//! and hands over to the host seam and the plain checks beside it.

use std::path::PathBuf;
use std::time::Duration;

use cucumber::{given, then, when};

use super::commands::{self, CommandRun, bounded};
use super::host::Invocation;
use super::nagios::{self, State};
use super::{files, ports, processes, services};
use crate::failure::StepFailure;
use crate::world::ShakedownWorld;

#[given(expr = "port {int} on {string} should be open")]
#[when(expr = "port {int} on {string} should be open")]
#[then(expr = "port {int} on {string} should be open")]
async fn port_open(world: &mut ShakedownWorld, port: u16, host: String) -> Result<(), StepFailure> {
    let budget = world.time_budget();
    let seen = ports::connect(world.run().host.as_ref(), &host, port, budget.limit).await?;
    let limit = format!("{} (`{}`)", crate::text::humanize(budget.limit), budget.source);
    ports::expect_open(&host, port, seen, &limit)
}

#[given(expr = "port {int} on {string} should be closed")]
#[when(expr = "port {int} on {string} should be closed")]
#[then(expr = "port {int} on {string} should be closed")]
async fn port_closed(world: &mut ShakedownWorld, port: u16, host: String) -> Result<(), StepFailure> {
    let limit = world.time_budget().limit;
    let seen = ports::connect(world.run().host.as_ref(), &host, port, limit).await?;
    ports::expect_closed(&host, port, seen)
}

#[given(expr = "the service {string} should be running")]
#[when(expr = "the service {string} should be running")]
#[then(expr = "the service {string} should be running")]
async fn service_running(world: &mut ShakedownWorld, service: String) -> Result<(), StepFailure> {
    let budget = world.time_budget();
    services::check(
        world.run().host.as_ref(),
        services::Question::Running,
        &service,
        budget,
    )
    .await
}

#[given(expr = "the service {string} should be enabled")]
#[when(expr = "the service {string} should be enabled")]
#[then(expr = "the service {string} should be enabled")]
async fn service_enabled(world: &mut ShakedownWorld, service: String) -> Result<(), StepFailure> {
    let budget = world.time_budget();
    services::check(
        world.run().host.as_ref(),
        services::Question::Enabled,
        &service,
        budget,
    )
    .await
}

#[given(expr = "a process named {string} should be running")]
#[when(expr = "a process named {string} should be running")]
#[then(expr = "a process named {string} should be running")]
async fn process_running(world: &mut ShakedownWorld, name: String) -> Result<(), StepFailure> {
    let host = world.run().host.as_ref();
    let budget = world.time_budget();
    let what = format!("the processes of {}", host.name());
    let listed = bounded(budget, &what, processes::list(host)).await?;
    processes::running(&listed, &name, &host.name())?;
    let pids: Vec<String> = processes::matching(&listed, &name)
        .iter()
        .map(u32::to_string)
        .collect();
    world.note(format!("process `{name}` running as PID {}", pids.join(", ")));
    Ok(())
}

#[given(expr = "the Nagios check {string} should be OK")]
#[when(expr = "the Nagios check {string} should be OK")]
#[then(expr = "the Nagios check {string} should be OK")]
async fn nagios_ok(world: &mut ShakedownWorld, check: String) -> Result<(), StepFailure> {
    let run = run_plugin(world, &check).await?;
    nagios::verdict(&run, State::Ok)?;
    world.note(nagios::summary(&run));
    Ok(())
}

#[given(expr = "the Nagios check {string} should be at most WARNING")]
#[when(expr = "the Nagios check {string} should be at most WARNING")]
#[then(expr = "the Nagios check {string} should be at most WARNING")]
async fn nagios_at_most_warning(world: &mut ShakedownWorld, check: String) -> Result<(), StepFailure> {
    let run = run_plugin(world, &check).await?;
    nagios::verdict(&run, State::Warning)?;
    world.note(nagios::summary(&run));
    Ok(())
}

#[given(expr = "the command {string} should succeed")]
#[when(expr = "the command {string} should succeed")]
#[then(expr = "the command {string} should succeed")]
async fn command_succeeds(world: &mut ShakedownWorld, line: String) -> Result<(), StepFailure> {
    world.probes.last_command = None;
    let invocation = prepared(world, commands::invocation(&line)?);
    let budget = world.time_budget();
    let run = commands::run(
        world.run().host.as_ref(),
        &line,
        &invocation,
        budget,
        "the command",
    )
    .await?;
    world.probes.last_command = Some(run.clone());
    commands::succeeded(&run)
}

#[given(expr = "its output should contain {string}")]
#[when(expr = "its output should contain {string}")]
#[then(expr = "its output should contain {string}")]
fn output_contains(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    let run = world.probes.last_command.as_ref().ok_or_else(|| {
        StepFailure::new("there is no command output to check: no command has run in this scenario").with(
            "hint",
            "start with a step such as `When the command \"uptime\" should succeed`",
        )
    })?;
    commands::output_contains(run, &text)
}

#[given(expr = "the file {string} should exist")]
#[when(expr = "the file {string} should exist")]
#[then(expr = "the file {string} should exist")]
async fn file_exists(world: &mut ShakedownWorld, path: String) -> Result<(), StepFailure> {
    let path = local_path(world, &path);
    let what = format!("`{}`", path.display());
    bounded(
        world.time_budget(),
        &what,
        files::exists(world.run().host.as_ref(), &path),
    )
    .await
}

#[given(expr = "the file {string} should have changed within {int} minutes")]
#[when(expr = "the file {string} should have changed within {int} minutes")]
#[then(expr = "the file {string} should have changed within {int} minutes")]
async fn file_changed_within(
    world: &mut ShakedownWorld,
    path: String,
    minutes: u64,
) -> Result<(), StepFailure> {
    let path = local_path(world, &path);
    let within = Duration::from_secs(minutes.saturating_mul(60));
    let what = format!("`{}`", path.display());
    let check = files::changed_within(world.run().host.as_ref(), &path, within);
    bounded(world.time_budget(), &what, check).await
}

#[given(expr = "the crontab {string} should contain {string}")]
#[when(expr = "the crontab {string} should contain {string}")]
#[then(expr = "the crontab {string} should contain {string}")]
async fn crontab_contains(
    world: &mut ShakedownWorld,
    crontab: String,
    line: String,
) -> Result<(), StepFailure> {
    let crontab = local_path(world, &crontab);
    let what = format!("`{}`", crontab.display());
    let check = files::crontab_contains(world.run().host.as_ref(), &crontab, &line);
    bounded(world.time_budget(), &what, check).await
}

#[given(expr = "the cron job {string} in {string} should have run on schedule, as shown by {string}")]
#[when(expr = "the cron job {string} in {string} should have run on schedule, as shown by {string}")]
#[then(expr = "the cron job {string} in {string} should have run on schedule, as shown by {string}")]
async fn cron_job_on_schedule(
    world: &mut ShakedownWorld,
    job: String,
    crontab: String,
    evidence: String,
) -> Result<(), StepFailure> {
    let crontab = local_path(world, &crontab);
    let evidence = local_path(world, &evidence);
    let grace = world.settings().probes.cron_grace;
    let what = format!("`{}` and `{}`", crontab.display(), evidence.display());
    let check = files::ran_on_schedule(world.run().host.as_ref(), &crontab, &job, &evidence, grace);
    bounded(world.time_budget(), &what, check).await
}

/// Runs a Nagios plugin: found in `probes.nagios_plugin_dir` or on the `PATH`; a plugin that
/// is missing, cannot start or runs out of time is UNKNOWN.
async fn run_plugin(world: &mut ShakedownWorld, check: &str) -> Result<CommandRun, StepFailure> {
    world.probes.last_command = None;
    let plugin_dir = world.settings().probes.nagios_plugin_dir.clone();
    let mut invocation = prepared(world, commands::invocation(check)?);
    invocation.path_prefix = vec![plugin_dir.clone()];
    let host = world.run().host.clone();
    if let Some(plugin) = shell_words::split(check)
        .ok()
        .and_then(|words| words.into_iter().next())
        .filter(|word| !word.contains('='))
    {
        let wanted = match plugin.contains('/') {
            true => local_path(world, &plugin).to_string_lossy().into_owned(),
            false => plugin.clone(),
        };
        let found = host
            .find_program(&wanted, std::slice::from_ref(&plugin_dir))
            .await
            .map_err(|error| {
                StepFailure::new(format!(
                    "the Nagios check is UNKNOWN: cannot look for the plugin `{plugin}` on {}",
                    host.name()
                ))
                .with("reason", error.to_string())
            })?;
        let Some(found) = found else {
            return Err(StepFailure::new(format!(
                "the Nagios check is UNKNOWN: the plugin `{plugin}` was not found in `{}` or on the PATH of {}",
                plugin_dir.display(),
                host.name()
            ))
            .with("command", check)
            .with("hint", "install the plugin (Debian: monitoring-plugins), or set `probes.nagios_plugin_dir`"));
        };
        if invocation.program == plugin {
            invocation.program = found.to_string_lossy().into_owned();
        }
    }
    let budget = world.time_budget();
    let run = commands::run(
        host.as_ref(),
        check,
        &invocation,
        budget,
        "the Nagios check is UNKNOWN: the plugin",
    )
    .await?;
    world.probes.last_command = Some(run.clone());
    Ok(run)
}

/// A command as features' commands run: told where the site is, started in the folder of the
/// configuration file (where relative paths in features point).
fn prepared(world: &ShakedownWorld, mut invocation: Invocation) -> Invocation {
    let settings = world.settings();
    invocation.env = commands::environment(&settings.base_url);
    invocation.cwd = Some(settings.config_dir.clone());
    invocation
}

fn local_path(world: &ShakedownWorld, path: &str) -> PathBuf {
    commands::resolve_path(&world.settings().config_dir, path)
}
