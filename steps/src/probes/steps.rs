//! The "Services on the machine" phrases of the step vocabulary. Each reads like its phrase
//! and hands over to the host seam and the plain checks beside it.

use shakedown_steps_macros::phrase;

use super::commands::{self, CommandRun, bounded};
use super::nagios::{self, PluginRunner, State};
use super::{deployment, file_contents, files, packages, permissions, ports, processes, services};
use crate::argument::{Minutes, Port};
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{FileFacts, Invocation};
use crate::world::ShakedownWorld;

/// The catalogue groups this file's phrases under this domain.
const PHRASE_DOMAIN: &str = "probes";

/// Where a command finds the run's WebDriver.
const WEBDRIVER_VARIABLE: &str = "SHAKEDOWN_WEBDRIVER_URL";

/// TCP connect
#[phrase(
    "port {int} on {string} should be open",
    example = "port 443 on \"ledger.example.com\" should be open",
    runs_on_host
)]
async fn port_open(world: &mut ShakedownWorld, port: Port, host: String) -> Result<(), StepFailure> {
    let Port(port) = port;
    let deadline = world.deadline();
    let seen = ports::connect(world.host(), &host, port, deadline).await?;
    ports::expect_open(&host, port, seen, &deadline.to_string())
}

/// TCP connect
#[phrase(
    "port {int} on {string} should be closed",
    example = "port 5432 on \"ledger.example.com\" should be closed",
    runs_on_host
)]
async fn port_closed(world: &mut ShakedownWorld, port: Port, host: String) -> Result<(), StepFailure> {
    let Port(port) = port;
    let seen = ports::connect(world.host(), &host, port, world.deadline()).await?;
    ports::expect_closed(&host, port, seen)
}

/// systemd where it runs; otherwise a clear answer on what could be checked
#[phrase(
    "the service {string} should be running",
    example = "the service \"apache2\" should be running",
    runs_on_host
)]
async fn service_running(world: &mut ShakedownWorld, service: String) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    services::check(world.host(), services::Question::Running, &service, deadline).await
}

/// systemd where it runs; otherwise a clear answer on what could be checked
#[phrase(
    "the service {string} should be enabled",
    example = "the service \"cron\" should be enabled",
    runs_on_host
)]
async fn service_enabled(world: &mut ShakedownWorld, service: String) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    services::check(world.host(), services::Question::Enabled, &service, deadline).await
}

/// a running process by the names people see, read from `/proc`: the name equals its argv[0]
/// (padding trimmed, as mod_wsgi's `display-name` or `setproctitle` leave it: `(wsgi:app)`,
/// `gunicorn: master [app]`) or that path's file name, its executable's file name, its kernel
/// name, or the file name of the script an interpreter runs (`manage.py`); or the name stands as
/// whole words in its command line (`checkpointer`, `celery`), no letter, digit, `_`, `-` or
/// `.` touching it, so `cron` does not match `anacron`. The report notes the PIDs and which name
/// matched
#[phrase(
    "a process named {string} should be running",
    example = "a process named \"cron\" should be running",
    runs_on_host
)]
async fn process_running(world: &mut ShakedownWorld, name: String) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let host = world.host();
    let what = format!("the processes of {}", host.name());
    let listed = bounded(deadline, &what, processes::list(host, deadline)).await?;
    let note = processes::running(&listed, &name, &host.name())?;
    world.note(note);
    Ok(())
}

/// runs a Monitoring Plugins / Nagios plugin; exit 0/1/2/3; its text and perfdata go into the report; `$USERn$` macros are filled in from `probes.nagios_resource` (Nagios' resource.cfg) when it runs, their values masked
#[phrase(
    "the Nagios check {string} should be OK",
    example = "the Nagios check \"check_http -H $SHAKEDOWN_HOST -p $SHAKEDOWN_PORT\" should be OK",
    runs_on_host,
    text = NAGIOS_OK_PHRASE
)]
async fn nagios_ok(world: &mut ShakedownWorld, check: String) -> Result<(), StepFailure> {
    let run = run_plugin(world, &check).await?;
    nagios::verdict(&run, State::Ok)?;
    world.note(nagios::summary(&run));
    Ok(())
}

/// runs a Monitoring Plugins / Nagios plugin; exit 0/1/2/3; its text and perfdata go into the report; `$USERn$` macros are filled in from `probes.nagios_resource` (Nagios' resource.cfg) when it runs, their values masked
#[phrase(
    "the Nagios check {string} should be at most WARNING",
    example = "the Nagios check \"check_disk -w 20% -c 10% -p /\" should be at most WARNING",
    runs_on_host
)]
async fn nagios_at_most_warning(world: &mut ShakedownWorld, check: String) -> Result<(), StepFailure> {
    let run = run_plugin(world, &check).await?;
    nagios::verdict(&run, State::Warning)?;
    world.note(nagios::summary(&run));
    Ok(())
}

/// runs it on the scenario's host (a shell only when the string needs one) and passes when it
/// exits 0; any other exit status, or a signal, fails the step with the end of its output. The
/// command learns the environment under test: `SHAKEDOWN_BASE_URL`, `SHAKEDOWN_HOST`,
/// `SHAKEDOWN_PORT`, and on this machine `SHAKEDOWN_WEBDRIVER_URL`, the run's WebDriver (the
/// configured `browser.webdriver_url`, or the chromedriver the run starts), so a team's own
/// WebDriver script runs as a step. The variables holding role passwords are not passed on
#[phrase(
    "the command {string} should succeed",
    example = "the command \"/srv/ledger/bin/manage check --deploy\" should succeed",
    runs_on_host
)]
async fn command_succeeds(world: &mut ShakedownWorld, line: String) -> Result<(), StepFailure> {
    world.probes.last_command = None;
    commands::allowed_on(
        world.site(),
        &world.probe_settings().allowed_commands_on_read_only,
        &line,
    )?;
    let mut invocation = prepared(world, commands::invocation(&line)?);
    if let Some(webdriver) = world.webdriver_for_programs().await {
        invocation.env.push((WEBDRIVER_VARIABLE.to_owned(), webdriver));
    }
    let deadline = world.deadline();
    let run = commands::run(world.host(), &line, &invocation, deadline, "the command").await?;
    world.probes.last_command = Some(run.clone());
    commands::succeeded(&run)
}

/// runs it (a shell only when the string needs one); the second checks the stdout or stderr of the last command
#[phrase(
    "its output should contain {string}",
    example = "its output should contain \"no issues\"",
    runs_on_host
)]
fn output_contains(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    commands::output_contains(last_command(world)?, &text)
}

/// the text is in neither the stdout nor the stderr of the last command or Nagios check; the
/// failure shows each line holding it. It cannot tell (UNKNOWN) when no command ran, or when the
/// output ran past the 1 MiB kept of each stream and the text was not in what was kept
#[phrase(
    "its output should not contain {string}",
    example = "its output should not contain \"Traceback\"",
    runs_on_host
)]
fn output_not_contains(world: &mut ShakedownWorld, text: String) -> Result<(), StepFailure> {
    commands::output_lacks(last_command(world)?, &text)
}

/// The last command or plugin the scenario ran; without one, there is nothing to tell about.
fn last_command(world: &ShakedownWorld) -> Result<&CommandRun, StepFailure> {
    world.probes.last_command.as_ref().ok_or_else(|| {
        StepFailure::configuration("there is no command output to check: no command has run in this scenario")
            .with(
                "hint",
                "start with a step such as `When the command \"uptime\" should succeed`",
            )
    })
}

/// a file or folder
#[phrase(
    "the file {string} should exist",
    example = "the file \"/srv/ledger/releases/current/VERSION\" should exist",
    runs_on_host
)]
async fn file_exists(world: &mut ShakedownWorld, path: String) -> Result<(), StepFailure> {
    let file = FileProbe::of(world, &path);
    file.bounded(files::exists(world.host(), &file.path, file.deadline))
        .await
}

/// a line of the file holds the text, or matches `/a regex/` (Rust `regex` syntax, each line on
/// its own, as `grep` reads it); the report notes the first such line. The file is read by the
/// step's deadline, at most `probes.max_file_bytes` of it: a larger file that does not hold it
/// in that part cannot be told about (UNKNOWN)
#[phrase(
    "the file {string} should contain {string}",
    example = "the file \"/srv/ledger/current/VERSION\" should contain \"2026.12.1\"",
    runs_on_host
)]
async fn file_contains(
    world: &mut ShakedownWorld,
    path: String,
    wanted: file_contents::Wanted,
) -> Result<(), StepFailure> {
    let file = FileProbe::of(world, &path);
    let check = file_contents::contains(world.host(), &file.path, &wanted, file.max_bytes, file.deadline);
    let note = file.bounded(check).await?;
    world.note(note);
    Ok(())
}

/// no line of the file holds the text, or matches `/a regex/`; the failure shows each line that
/// does (line number and the text around the match; a registered secret on it is masked). A
/// file larger than `probes.max_file_bytes` whose first part is clean cannot be told about
/// (UNKNOWN)
#[phrase(
    "the file {string} should not contain {string}",
    example = "the file \"/srv/ledger/settings.py\" should not contain \"/^DEBUG\\s*=\\s*True/\"",
    runs_on_host
)]
async fn file_lacks(
    world: &mut ShakedownWorld,
    path: String,
    wanted: file_contents::Wanted,
) -> Result<(), StepFailure> {
    let file = FileProbe::of(world, &path);
    let check = file_contents::lacks(world.host(), &file.path, &wanted, file.max_bytes, file.deadline);
    file.bounded(check).await
}

/// the file's bytes hash to this SHA-256 (64 hex digits, as `sha256sum` prints them): the very
/// file the release shipped. A file larger than `probes.max_file_bytes` cannot be told about
#[phrase(
    "the file {string} should have the SHA-256 {string}",
    example = "the file \"/srv/ledger/current/ledger.whl\" should have the SHA-256 \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"",
    runs_on_host
)]
async fn file_has_sha256(
    world: &mut ShakedownWorld,
    path: String,
    digest: file_contents::Sha256Digest,
) -> Result<(), StepFailure> {
    let file = FileProbe::of(world, &path);
    let check = file_contents::has_sha256(world.host(), &file.path, &digest, file.max_bytes, file.deadline);
    file.bounded(check).await
}

/// the symbolic link leads to that path: a relative link (`releases/2026.12.1`) is read from
/// the link's folder, `.` and `..` worked out, and something must be there. It checks the
/// link's own step, not a chain of links beyond it; the failure says where it points instead
/// and what the link holds as written
#[phrase(
    "the link {string} should point to {string}",
    example = "the link \"/srv/ledger/current\" should point to \"/srv/ledger/releases/2026.12.1\"",
    runs_on_host
)]
async fn link_points_to(world: &mut ShakedownWorld, link: String, target: String) -> Result<(), StepFailure> {
    let link = FileProbe::of(world, &link);
    let check = file_contents::points_to(world.host(), &link.path, &target, link.deadline);
    link.bounded(check).await
}

/// the file's size (following a link) is below the limit: bytes; KB, MB, GB count in powers of
/// 1000 (as `ls --si`), KiB, MiB, GiB in powers of 1024 (as `ls -lh`). A log that keeps growing,
/// an upload folder's archive
#[phrase(
    "the file {string} should be smaller than {int} {word}",
    example = "the file \"/var/log/ledger/app.log\" should be smaller than 500 MB",
    runs_on_host
)]
async fn file_smaller_than(
    world: &mut ShakedownWorld,
    path: String,
    amount: file_contents::Amount,
    unit: file_contents::SizeUnit,
) -> Result<(), StepFailure> {
    let file = FileProbe::of(world, &path);
    let check = file_contents::smaller_than(world.host(), &file.path, amount, unit, file.deadline);
    file.bounded(check).await
}

/// installed, as the host's package manager says: `dpkg-query` on Debian and Ubuntu, `rpm`
/// where there is no dpkg. A package removed with its configuration files kept is not
/// installed. The report notes the version seen
#[phrase(
    "the package {string} should be installed",
    example = "the package \"nginx\" should be installed",
    runs_on_host
)]
async fn package_installed(world: &mut ShakedownWorld, package: String) -> Result<(), StepFailure> {
    package_check(world, &package, packages::Expected::Installed).await
}

/// installed at that version, compared as the package manager compares (`dpkg
/// --compare-versions … eq …` on the host, so `1:2.0` and `2.0` tell apart by their epoch;
/// `rpmdev-vercmp` on rpm hosts, from rpmdevtools)
#[phrase(
    "the package {string} should be installed at version {string}",
    example = "the package \"nginx\" should be installed at version \"1.22.1-9\"",
    runs_on_host
)]
async fn package_at_version(
    world: &mut ShakedownWorld,
    package: String,
    version: String,
) -> Result<(), StepFailure> {
    package_check(world, &package, packages::Expected::Exactly(&version)).await
}

/// installed at that version or a later one, by the package manager's own order (`dpkg
/// --compare-versions … ge …`, so `1.22.1-9+deb12u1` is later than `1.22.1-9` and `1.22~rc1`
/// earlier than `1.22`; `rpmdev-vercmp` on rpm hosts)
#[phrase(
    "the package {string} should be installed at least at version {string}",
    example = "the package \"openssl\" should be installed at least at version \"3.0.15-1~deb12u1\"",
    runs_on_host
)]
async fn package_at_least(
    world: &mut ShakedownWorld,
    package: String,
    version: String,
) -> Result<(), StepFailure> {
    package_check(world, &package, packages::Expected::AtLeast(&version)).await
}

async fn package_check(
    world: &mut ShakedownWorld,
    package: &str,
    expected: packages::Expected<'_>,
) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let what = format!("the package `{package}`");
    let note = bounded(
        deadline,
        &what,
        packages::check(world.host(), package, expected, deadline),
    )
    .await?;
    world.note(note);
    Ok(())
}

/// asks the virtualenv's own Python (`bin/python`, `importlib.metadata`) which version of the
/// distribution it has, and compares by PEP 440 as pip does (`4.2` is `4.2.0`), as plain text
/// where `packaging` cannot be imported. A missing virtualenv or distribution fails
#[phrase(
    "the Python package {string} in the virtualenv {string} should be at version {string}",
    example = "the Python package \"Django\" in the virtualenv \"/srv/ledger/venv\" should be at version \"4.2.17\"",
    runs_on_host
)]
async fn python_package_at(
    world: &mut ShakedownWorld,
    distribution: String,
    venv: String,
    version: String,
) -> Result<(), StepFailure> {
    let venv = world.probe_path(&venv);
    let deadline = world.deadline();
    let what = format!("the virtualenv `{}`", venv.display());
    let check = packages::python_package_at(world.host(), &venv, &distribution, &version, deadline);
    let note = bounded(deadline, &what, check).await?;
    world.note(note);
    Ok(())
}

/// `pip check` in the virtualenv finds every installed distribution's requirements met (a
/// dependency missing or at a version that does not fit); its output is shown when not. A
/// virtualenv without pip cannot be told about (UNKNOWN)
#[phrase(
    "the virtualenv {string} should have no broken requirements",
    example = "the virtualenv \"/srv/ledger/venv\" should have no broken requirements",
    runs_on_host
)]
async fn venv_requirements_met(world: &mut ShakedownWorld, venv: String) -> Result<(), StepFailure> {
    let venv = world.probe_path(&venv);
    let deadline = world.deadline();
    let what = format!("the virtualenv `{}`", venv.display());
    let check = packages::no_broken_requirements(world.host(), &venv, deadline);
    bounded(deadline, &what, check).await
}

/// every process of that name (matched as `a process named … should be running` matches) started
/// at or after the deployment's start: `--deployed-at`, else the modification time of `[deploy]
/// marker` on the host. Start times come from `/proc` (to the second; a process started within
/// a second before still counts), on this machine and over SSH alike. The failure names each
/// process that did not, with its PID and start time
#[phrase(
    "the process named {string} should have started since the deployment",
    example = "the process named \"gunicorn\" should have started since the deployment",
    runs_on_host
)]
async fn process_started_since_deployment(
    world: &mut ShakedownWorld,
    name: String,
) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let what = format!("the processes of {}", world.host().name());
    let check = async {
        let deployment = deployment_start(world, deadline).await?;
        deployment::processes_started_since(world.host(), &name, &deployment, deadline).await
    };
    let note = bounded(deadline, &what, check).await?;
    world.note(note);
    Ok(())
}

/// the service entered its running state at or after the deployment's start (`--deployed-at`,
/// else `[deploy] marker`'s modification time on the host): systemd's
/// `ActiveEnterTimestamp`, else, where systemd does not run, the start of the process its pid
/// file (`/run/NAME.pid`, `/run/NAME/NAME.pid`) names. With neither it cannot tell (UNKNOWN),
/// and says so
#[phrase(
    "the service {string} should have been restarted since the deployment",
    example = "the service \"celery\" should have been restarted since the deployment",
    runs_on_host
)]
async fn service_restarted_since_deployment(
    world: &mut ShakedownWorld,
    service: String,
) -> Result<(), StepFailure> {
    let deadline = world.deadline();
    let what = format!("the service `{service}`");
    let check = async {
        let deployment = deployment_start(world, deadline).await?;
        deployment::service_restarted_since(world.host(), &service, &deployment, deadline).await
    };
    let note = bounded(deadline, &what, check).await?;
    world.note(note);
    Ok(())
}

/// When the deployment started, as the run was told or the scenario's host marks it.
async fn deployment_start(
    world: &ShakedownWorld,
    deadline: crate::deadline::Deadline,
) -> Result<deployment::Deployment, StepFailure> {
    let settings = world.probe_settings();
    let marker = settings
        .deploy_marker
        .as_ref()
        .map(|marker| world.probe_path(&marker.to_string_lossy()));
    deployment::started(world.host(), settings.deployed_at, marker.as_deref(), deadline).await
}

/// a scheduled job's evidence
#[phrase(
    "the file {string} should have changed within {int} minutes",
    example = "the file \"/var/lib/ledger/heartbeat\" should have changed within 5 minutes",
    runs_on_host
)]
async fn file_changed_within(
    world: &mut ShakedownWorld,
    path: String,
    minutes: Minutes,
) -> Result<(), StepFailure> {
    let file = FileProbe::of(world, &path);
    let check = files::changed_within(world.host(), &file.path, minutes.duration(), file.deadline);
    file.bounded(check).await
}

/// a line cron reads in a crontab file (`/etc/crontab`, `/etc/cron.d/…`, or a user's in
/// `/var/spool/cron/crontabs/`) holds that text, the spacing between columns ignored: a job, or
/// a variable such as `MAILTO=`. A commented-out line (`#* * * * * www-data …`, a job switched
/// off) never counts; the failure names the commented lines that hold the text
#[phrase(
    "the crontab {string} should contain {string}",
    example = "the crontab \"/etc/cron.d/ledger\" should contain \"ledger-heartbeat\"",
    runs_on_host
)]
async fn crontab_contains(
    world: &mut ShakedownWorld,
    crontab: String,
    line: String,
) -> Result<(), StepFailure> {
    let crontab = FileProbe::of(world, &crontab);
    let check = files::crontab_contains(world.host(), &crontab.path, &line, crontab.deadline);
    crontab.bounded(check).await
}

/// reads the job's schedule from the crontab, works out when it last had to run, and checks that the evidence file changed since then
#[phrase(
    "the cron job {string} in {string} should have run on schedule, as shown by {string}",
    example = "the cron job \"ledger-heartbeat\" in \"/etc/cron.d/ledger\" should have run on schedule, as shown by \"/var/lib/ledger/heartbeat\"",
    runs_on_host
)]
async fn cron_job_on_schedule(
    world: &mut ShakedownWorld,
    job: String,
    crontab: String,
    evidence: String,
) -> Result<(), StepFailure> {
    let crontab = world.probe_path(&crontab);
    let evidence = world.probe_path(&evidence);
    let deadline = world.deadline();
    let grace = world.probe_settings().cron_grace;
    let what = format!("`{}` and `{}`", crontab.display(), evidence.display());
    // A server's cron reads the schedule in the server's zone, not the runner's.
    let zone = world.host().time_zone(deadline).await;
    let check = files::ran_on_schedule(
        world.host(),
        &crontab,
        &job,
        &evidence,
        grace,
        zone.as_deref(),
        deadline,
    );
    bounded(deadline, &what, check).await
}

/// a settings file holding passwords: no read permission for users outside its owner and group
#[phrase(
    "the file {string} should not be readable by others",
    example = "the file \"/etc/ledger/settings.ini\" should not be readable by others",
    runs_on_host
)]
async fn file_not_readable_by_others(world: &mut ShakedownWorld, path: String) -> Result<(), StepFailure> {
    let (path, facts) = file_facts(world, &path).await?;
    permissions::expect_not_readable_by_others(&path, &facts)
}

/// the owning user's name, or `user:group` to check the group too
#[phrase(
    "the file {string} should be owned by {string}",
    example = "the file \"/etc/ledger/settings.ini\" should be owned by \"root:ledger\"",
    runs_on_host
)]
async fn file_owned_by(world: &mut ShakedownWorld, path: String, owner: String) -> Result<(), StepFailure> {
    let (path, facts) = file_facts(world, &path).await?;
    permissions::expect_owned_by(&path, &facts, &owner)
}

/// octal, as `chmod` takes it; the permission bits (setuid, setgid and sticky included) must match exactly
#[phrase(
    "the file {string} should have mode {string}",
    example = "the file \"/etc/ledger/settings.ini\" should have mode \"0640\"",
    runs_on_host
)]
async fn file_has_mode(
    world: &mut ShakedownWorld,
    path: String,
    mode: permissions::FileMode,
) -> Result<(), StepFailure> {
    let (path, facts) = file_facts(world, &path).await?;
    permissions::expect_mode(&path, &facts, mode.0)
}

/// comma-separated user names (empty for nobody), compared with the members `getent group` lists on the host
#[phrase(
    "the group {string} should have exactly the members {string}",
    example = "the group \"sudo\" should have exactly the members \"alice, bob\"",
    runs_on_host
)]
async fn group_has_members(
    world: &mut ShakedownWorld,
    group: String,
    members: String,
) -> Result<(), StepFailure> {
    let expected = permissions::parse_members(&members);
    let seen = permissions::group_members(world.host(), &group, world.deadline()).await?;
    permissions::expect_members(&group, &expected, &seen)
}

/// A feature's path on the scenario's host and what the host knows of the file there, read by
/// the step's deadline.
async fn file_facts(
    world: &ShakedownWorld,
    path: &str,
) -> Result<(std::path::PathBuf, FileFacts), StepFailure> {
    let file = FileProbe::of(world, path);
    let facts = file
        .bounded(permissions::file_facts(world.host(), &file.path, file.deadline))
        .await?;
    Ok((file.path, facts))
}

/// A file a phrase names, as each probe of it starts: its path on the scenario's host, the
/// step's deadline, and the most of it a probe reads.
struct FileProbe {
    path: std::path::PathBuf,
    deadline: Deadline,
    max_bytes: u64,
}

impl FileProbe {
    fn of(world: &ShakedownWorld, written: &str) -> Self {
        Self {
            path: world.probe_path(written),
            deadline: world.deadline(),
            max_bytes: world.probe_settings().max_file_bytes,
        }
    }

    /// Waits for `probe` of the file until the step's deadline, no longer; a failure then names
    /// the file that could not be read.
    async fn bounded<T>(
        &self,
        probe: impl Future<Output = Result<T, StepFailure>>,
    ) -> Result<T, StepFailure> {
        bounded(self.deadline, &format!("`{}`", self.path.display()), probe).await
    }
}

/// Runs a Nagios plugin through the probes' one plugin runner; the run is kept for `its output`.
async fn run_plugin(world: &mut ShakedownWorld, check: &str) -> Result<CommandRun, StepFailure> {
    world.probes.last_command = None;
    let deadline = world.deadline();
    let runner = PluginRunner::new(
        world.probe_settings(),
        &world.site().base_url,
        world.sessions().password_variables(),
        world.config_folder(),
    );
    let run = runner.run(world.host(), check, deadline).await?;
    world.probes.last_command = Some(run.clone());
    Ok(run)
}

/// A command as features' commands run: told where the site is, blind to the variables that
/// hold role passwords, started in the folder of the configuration file (where relative paths
/// in features point).
fn prepared(world: &ShakedownWorld, mut invocation: Invocation) -> Invocation {
    invocation.env = commands::environment(&world.site().base_url);
    invocation.env_remove = world.sessions().password_variables();
    invocation.cwd = world.probe_folder();
    invocation
}
