//! The deployment's start, and what should have started again since: a service (systemd's
//! `ActiveEnterTimestampMonotonic`, else its pid file's process) or every process of a name. A
//! process's start comes from `/proc/PID/stat` (field 22, clock ticks since boot) and the
//! boot time in `/proc/stat`, read through the host, so a server over SSH answers the same way.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Local};

use super::commands;
use super::processes;
use super::services;
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{Host, Invocation};

/// `/proc/stat` gives the boot time in whole seconds and `/proc/PID/stat` the start in clock
/// ticks (a hundredth of a second), so a start time read from `/proc` may be up to this much
/// early; a process started this close before the deployment still counts.
const BOOT_TIME_PRECISION: Duration = Duration::from_millis(1_010);

/// Processes a failure names, at most.
const SHOWN_PROCESSES: usize = 10;

/// Where the run learned when the deployment started.
#[derive(Debug, Clone)]
pub(crate) struct Deployment {
    pub at: SystemTime,
    /// `--deployed-at`, or the marker file it was read from, for messages.
    pub source: String,
}

impl Deployment {
    fn describe(&self) -> String {
        format!("{} ({})", timestamp(self.at), self.source)
    }
}

/// The deployment's start: `--deployed-at` when given, else the modification time of the
/// `[deploy] marker` on this host (the path itself: a link's own time, not its target's).
pub(crate) async fn started(
    host: &dyn Host,
    given: Option<SystemTime>,
    marker: Option<&Path>,
    deadline: Deadline,
) -> Result<Deployment, StepFailure> {
    if let Some(at) = given {
        return Ok(Deployment {
            at,
            source: "--deployed-at".to_owned(),
        });
    }
    let Some(marker) = marker else {
        return Err(StepFailure::configuration(
            "cannot tell what happened since the deployment: the run was not told when it started",
        )
        .with(
            "hint",
            "pass `--deployed-at 2026-12-06T10:00:00Z` (or `--deployed-at @FILE` for a file's modification time), or set `[deploy] marker = \"/srv/app/current\"` in shakedown.toml",
        ));
    };
    let at = host.link_modified(marker, deadline).await.map_err(|error| {
        StepFailure::configuration(format!(
            "cannot tell when the deployment started: the marker `{}` cannot be read on {}: {error}",
            marker.display(),
            host.name()
        ))
        .with(
            "hint",
            "`[deploy] marker` names the file or link each deployment replaces",
        )
    })?;
    Ok(Deployment {
        at,
        source: format!("`{}` changed, [deploy] marker", marker.display()),
    })
}

/// `--deployed-at`'s value: an RFC 3339 time, or `@FILE` for the modification time of FILE on
/// this machine (the path itself: a link's own time, not its target's).
pub fn deployed_at(written: &str) -> Result<SystemTime, String> {
    if let Some(file) = written.strip_prefix('@') {
        return std::fs::symlink_metadata(file)
            .and_then(|metadata| metadata.modified())
            .map_err(|error| format!("cannot read the modification time of `{file}`: {error}"));
    }
    DateTime::parse_from_rfc3339(written.trim())
        .map(SystemTime::from)
        .map_err(|error| {
            format!(
                "`{written}` is not an RFC 3339 time ({error}): write it like `2026-12-06T10:00:00Z` or `2026-12-06T11:00:00+01:00`, or `@FILE` for a file's modification time"
            )
        })
}

/// Reads, in one command on the host, its clock ticks per second (`getconf CLK_TCK`), its boot
/// time (`/proc/stat`) and `/proc/PID/stat` of each PID given (`$1`…), each after its PID; a
/// process gone meanwhile prints nothing. One command, not one per file: over SSH each is a
/// round trip.
const STARTS_SCRIPT: &str = r#"getconf CLK_TCK 2>/dev/null || echo
grep '^btime ' /proc/stat
for pid do
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) && printf '%s %s\n' "$pid" "$stat"
done
"#;

/// When a host booted and when the processes asked about started.
struct Starts {
    boot: SystemTime,
    by_pid: HashMap<u32, SystemTime>,
}

impl Starts {
    async fn read(host: &dyn Host, pids: &[u32], deadline: Deadline) -> Result<Self, StepFailure> {
        let mut args = vec!["-c".to_owned(), STARTS_SCRIPT.to_owned(), "sh".to_owned()];
        args.extend(pids.iter().map(u32::to_string));
        let invocation = Invocation {
            program: "sh".into(),
            args,
            ..Invocation::default()
        };
        let line = "sh -c 'getconf CLK_TCK; grep btime /proc/stat; cat /proc/PID/stat…'";
        let run = commands::run(host, line, &invocation, deadline, "reading process start times").await?;
        parse_starts(&run.finished.stdout).ok_or_else(|| {
            run.describe(StepFailure::configuration(format!(
                "cannot tell when processes started on {}: `/proc/stat` gives no boot time",
                host.name()
            )))
        })
    }
}

/// What [`STARTS_SCRIPT`] printed. Linux counts 100 ticks a second on every common
/// architecture, taken when `getconf` does not say.
fn parse_starts(stdout: &str) -> Option<Starts> {
    let mut lines = stdout.lines();
    let ticks_per_second = lines
        .next()?
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|ticks| *ticks > 0)
        .unwrap_or(100);
    let boot = boot_time(lines.next()?)?;
    let by_pid = lines
        .filter_map(|line| {
            let (pid, stat) = line.split_once(' ')?;
            let millis = start_ticks(stat)?.saturating_mul(1000) / ticks_per_second;
            Some((pid.parse().ok()?, boot + Duration::from_millis(millis)))
        })
        .collect();
    Some(Starts { boot, by_pid })
}

/// `btime 1796526636` from `/proc/stat`.
fn boot_time(line: &str) -> Option<SystemTime> {
    let seconds = line.strip_prefix("btime ")?;
    let seconds: u64 = seconds.trim().parse().ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// Field 22 of `/proc/PID/stat`, counted after the command name in parentheses (which may hold
/// spaces and parentheses itself): the start in clock ticks since boot.
fn start_ticks(stat: &str) -> Option<u64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// Whether a start counts as since the deployment, given what `/proc` can tell.
fn since(started: SystemTime, deployment: &Deployment) -> bool {
    started + BOOT_TIME_PRECISION >= deployment.at
}

/// Passes when every process called `name` started since the deployment; the failure names the
/// ones that did not, with PID and start time.
pub(crate) async fn processes_started_since(
    host: &dyn Host,
    name: &str,
    deployment: &Deployment,
    deadline: Deadline,
) -> Result<String, StepFailure> {
    let listed = processes::list(host, deadline).await?;
    let found = processes::matching(&listed, name);
    if found.is_empty() {
        return Err(processes::running(&listed, name, &host.name())
            .err()
            .unwrap_or_else(|| {
                StepFailure::new(format!("no process named `{name}` is running on {}", host.name()))
            }));
    }
    let pids: Vec<u32> = found.iter().map(|(_, process)| process.pid).collect();
    let starts = Starts::read(host, &pids, deadline).await?;
    let mut old = Vec::new();
    let mut checked = 0;
    for (_, process) in &found {
        // A process that ended while being looked at is not running old code.
        let Some(started) = starts.by_pid.get(&process.pid) else {
            continue;
        };
        checked += 1;
        if !since(*started, deployment) {
            old.push(format!("{}, started {}", process.describe(), timestamp(*started)));
        }
    }
    if old.is_empty() {
        return Ok(format!(
            "{checked} process(es) named `{name}` on {} started since the deployment",
            host.name()
        ));
    }
    let count = old.len();
    let mut shown: Vec<String> = old.into_iter().take(SHOWN_PROCESSES).collect();
    if count > SHOWN_PROCESSES {
        shown.push(format!("… and {} more", count - SHOWN_PROCESSES));
    }
    Err(StepFailure::new(format!(
        "{count} of {checked} process(es) named `{name}` on {} started before the deployment, so they may run the old release",
        host.name()
    ))
    .with("deployment", deployment.describe())
    .with("old", shown.join("\n")))
}

/// When a service last started, and how that was learned.
async fn service_start(
    host: &dyn Host,
    service: &str,
    deadline: Deadline,
) -> Result<(SystemTime, String), StepFailure> {
    let invocation = Invocation {
        program: "systemctl".into(),
        args: vec![
            "show".into(),
            "--property=ActiveState,ActiveEnterTimestampMonotonic".into(),
            "--".into(),
            service.into(),
        ],
        ..Invocation::default()
    };
    let line = invocation.display();
    let no_systemd = match commands::run(host, &line, &invocation, deadline, "systemctl").await {
        Ok(run) => {
            let output = format!("{}\n{}", run.finished.stdout, run.finished.stderr);
            match services::says_no_systemd(&output) {
                Some(reason) => format!("systemctl says: {reason}"),
                None => {
                    let boot = Starts::read(host, &[], deadline).await?.boot;
                    return systemd_start(&run, service, boot);
                }
            }
        }
        Err(failure) if services::host_lacks_systemctl(&failure) => "`systemctl` is not installed".to_owned(),
        Err(failure) => return Err(failure),
    };
    let pid_files = [
        format!("/run/{service}.pid"),
        format!("/run/{service}/{service}.pid"),
    ];
    for pid_file in &pid_files {
        let Ok(text) = host.read(Path::new(pid_file), deadline).await else {
            continue;
        };
        let Ok(pid) = String::from_utf8_lossy(&text).trim().parse::<u32>() else {
            continue;
        };
        let starts = Starts::read(host, &[pid], deadline).await?;
        return match starts.by_pid.get(&pid) {
            Some(started) => Ok((*started, format!("its main process {pid}, from `{pid_file}`"))),
            None => Err(StepFailure::new(format!(
                "the service `{service}` is not running on {}: its pid file `{pid_file}` names process {pid}, which is gone",
                host.name()
            ))),
        };
    }
    Err(StepFailure::configuration(format!(
        "cannot tell whether the service `{service}` restarted since the deployment on {}: systemd is not available there and no pid file names its process",
        host.name()
    ))
    .with("seen", no_systemd)
    .with("looked for", pid_files.join(", "))
    .with(
        "hint",
        format!("check its processes instead: `the process named \"{service}\" should have started since the deployment`"),
    ))
}

/// Reads `systemctl show`: the unit must be active, and it entered that state at its start.
fn systemd_start(
    run: &commands::CommandRun,
    service: &str,
    boot: SystemTime,
) -> Result<(SystemTime, String), StepFailure> {
    let property = |name: &str| {
        run.finished
            .stdout
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
            .map(str::trim)
    };
    let state = property("ActiveState").unwrap_or_default();
    if state != "active" {
        return Err(run.describe(StepFailure::new(format!(
            "the service `{service}` is not running: systemd says it is `{state}`"
        ))));
    }
    let micros: u64 = property("ActiveEnterTimestampMonotonic")
        .and_then(|micros| micros.parse().ok())
        .unwrap_or_default();
    Ok((
        boot + Duration::from_micros(micros),
        "systemd's ActiveEnterTimestamp".to_owned(),
    ))
}

/// Passes when the service (re)started since the deployment.
pub(crate) async fn service_restarted_since(
    host: &dyn Host,
    service: &str,
    deployment: &Deployment,
    deadline: Deadline,
) -> Result<String, StepFailure> {
    let (started, how) = service_start(host, service, deadline).await?;
    if since(started, deployment) {
        return Ok(format!(
            "`{service}` on {} started {} ({how}), since the deployment",
            host.name(),
            timestamp(started)
        ));
    }
    Err(StepFailure::new(format!(
        "the service `{service}` on {} has not been restarted since the deployment: it started {}",
        host.name(),
        timestamp(started)
    ))
    .with("deployment", deployment.describe())
    .with("started", format!("{} ({how})", timestamp(started))))
}

/// `2026-12-06 10:05:00 +01:00`, in this machine's zone.
fn timestamp(at: SystemTime) -> String {
    let at: DateTime<Local> = at.into();
    at.format("%Y-%m-%d %H:%M:%S %:z").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_is_read_past_a_command_name_holding_spaces_and_parentheses() {
        let stat =
            "4242 (gunicorn: (master)) S 1 4242 4242 0 -1 4194560 2 0 0 0 0 0 0 0 20 0 1 0 987654 1000 10 0";
        assert_eq!(start_ticks(stat), Some(987_654));
        assert_eq!(start_ticks("garbage"), None);
        let starts = parse_starts(&format!("100\nbtime 1796526636\n4242 {stat}\n")).expect("starts");
        let boot = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_526_636);
        assert_eq!(starts.boot, boot);
        assert_eq!(starts.by_pid[&4242], boot + Duration::from_millis(9_876_540));
        // No `getconf`: 100 ticks a second. No boot time: nothing can be told.
        assert_eq!(parse_starts("\nbtime 1796526636\n").expect("starts").boot, boot);
        assert!(parse_starts("100\n").is_none());
    }

    fn shown(stdout: &str) -> commands::CommandRun {
        commands::CommandRun {
            line: "systemctl show".into(),
            finished: crate::machine::Finished {
                code: Some(0),
                stdout: stdout.into(),
                stderr: String::new(),
                output_cut: false,
                elapsed: Duration::from_millis(5),
            },
        }
    }

    #[test]
    fn systemd_says_when_a_service_became_active_counted_from_boot() {
        let boot = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_526_636);
        let active = shown("ActiveState=active\nActiveEnterTimestampMonotonic=2500000\n");
        let (started, how) = systemd_start(&active, "celery", boot).expect("active");
        assert_eq!(started, boot + Duration::from_millis(2500));
        assert_eq!(how, "systemd's ActiveEnterTimestamp");
        let failed = shown("ActiveState=failed\nActiveEnterTimestampMonotonic=0\n");
        let failure = systemd_start(&failed, "celery", boot).expect_err("not running");
        assert!(
            failure
                .summary()
                .starts_with("the service `celery` is not running: systemd says it is `failed`"),
            "{failure}"
        );
    }
}
