//! The processes a test looks for after shakedown ran: by PID, by program, by a pattern of
//! their command line, or by a marker every process of one run inherits in its environment
//! (shakedown and everything it started, however deep). Read from `/proc` and `pgrep`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable a test sets on the shakedown it starts, so that every process of
/// that run can be found by its value.
pub const MARKER_VARIABLE: &str = "SHAKEDOWN_TEST_RUN";

/// Whether a process is still running (a zombie waiting to be reaped has ended).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit(')')
            .next()
            .unwrap_or_default()
            .trim_start()
            .starts_with('Z')
    })
}

/// The process running `program`, found in `/proc` (for a daemon that was left to init, so no
/// handle is kept); waits up to two seconds for it to start.
pub fn pid_of(program: &Path) -> u32 {
    let wanted = program.to_string_lossy();
    for _ in 0..100 {
        let found = std::fs::read_dir("/proc")
            .expect("/proc")
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
            .find(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|cmdline| cmdline.starts_with(format!("{wanted}\0").as_bytes()))
            });
        if let Some(pid) = found {
            return pid;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("`{wanted}` did not start");
}

/// Stops a process by its PID (SIGTERM) and waits up to two seconds until it is gone.
pub fn stop(pid: u32) {
    if !alive(pid) {
        return;
    }
    let _ = Command::new("kill").arg(pid.to_string()).status();
    for _ in 0..100 {
        if !alive(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` (`INT`, `TERM`, `KILL`) to `pid`.
pub fn send(signal: &str, pid: u32) {
    let status = Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{signal} {pid} failed");
}

/// Whether any process's command line matches `pattern` (`pgrep -f`).
pub fn running(pattern: &str) -> bool {
    Command::new("pgrep")
        .args(["-f", pattern])
        .stdout(Stdio::null())
        .status()
        .expect("pgrep runs")
        .success()
}

/// The high-water mark of a process's memory in KiB, while it is alive.
pub fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Processes (any program) whose environment carries `MARKER_VARIABLE=marker`, as `PID comm`:
/// a run's shakedown and everything it started, since children inherit the environment.
pub fn processes_of(marker: &str) -> Vec<String> {
    let needle = format!("{MARKER_VARIABLE}={marker}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // A zombie is dead, only not yet reaped by its parent.
            if stat.contains(") Z ") {
                return None;
            }
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            let carries = environ
                .split(|byte| *byte == 0)
                .any(|variable| variable == needle.as_bytes());
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            carries.then(|| format!("{name} {}", comm.trim()))
        })
        .collect()
}

/// Fails unless every process of the run marked `marker` is gone within five seconds.
#[track_caller]
pub fn assert_nothing_left(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_of(marker);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "processes outlived the stopped run: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits until a process of the run marked `marker` named `name` (as `/proc/PID/comm` has it)
/// is alive.
#[track_caller]
pub fn wait_for_process(marker: &str, name: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    let named = |process: &String| process.split_once(' ').is_some_and(|(_, comm)| comm == name);
    while !processes_of(marker).iter().any(named) {
        assert!(Instant::now() < deadline, "no `{name}` started within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
