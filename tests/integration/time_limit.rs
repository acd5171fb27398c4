//! `run --timeout`: the whole run ends at its limit, before a monitor's own check timeout would
//! cut it off: the scenario still running is stopped and reported as stopped, the ones never
//! started as not run, every report is written, nothing the run started is left, and the
//! Nagios line is UNKNOWN with the performance data of what finished.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use indoc::indoc;
use shakedown_testkit::processes::{MARKER_VARIABLE, assert_nothing_left};

use crate::support::{Project, validate_junit};

const SLOW: &str = indoc! {r#"
    Feature: Slow
      Scenario: quick
        Then the command "true" should succeed

      Scenario: slow
        Then the command "true" should succeed
        And the command "sleep 41" should succeed

      Scenario: never started
        Then the command "true" should succeed
"#};

/// Runs the slow feature with a 2 s limit and `args`; returns the exit code and stdout.
fn run_with_limit(project: &Project, marker: &str, args: &[&str]) -> (Option<i32>, String) {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .args(["run", "-j", "1", "--timeout", "2s", "--junit", "junit.xml"])
        .args(args)
        .current_dir(project.path())
        .env(MARKER_VARIABLE, marker)
        .env_remove("SHAKEDOWN_ENV")
        .env("XDG_STATE_HOME", env!("CARGO_TARGET_TMPDIR"))
        .stdin(Stdio::null())
        .output()
        .expect("shakedown runs");
    let took = started.elapsed();
    // The limit, plus the shutdown's few seconds at most: well within a monitor's margin.
    assert!(took < Duration::from_secs(8), "the run took {took:?}");
    assert_nothing_left(marker);
    let report = project.path().join("junit.xml");
    validate_junit(&report);
    let junit = std::fs::read_to_string(&report).expect("the JUnit report was written");
    assert!(
        junit.contains(r#"<failure message="And the command &quot;sleep 41&quot; should succeed: stopped: the run reached its --timeout while this step ran" type="configuration">"#),
        "the stopped scenario is not reported as stopped:\n{junit}"
    );
    assert!(
        junit.contains(
            r#"<skipped message="not run: the run was stopped (--timeout) before this scenario started"/>"#
        ),
        "{junit}"
    );
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn nagios_hears_unknown_with_the_perfdata_of_what_finished_when_the_run_reaches_its_timeout() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file("features/slow.feature", SLOW);
    let marker = format!("time-limit-nagios-{}", std::process::id());
    let (code, stdout) = run_with_limit(&project, &marker, &["--format", "nagios"]);
    assert_eq!(code, Some(3), "{stdout}");
    let status = stdout.lines().next().unwrap_or_default();
    assert!(
        status.starts_with("SHAKEDOWN UNKNOWN - stopped by --timeout with 1 not run: 1 of 3 scenarios failed: slow | 'passed'=1;;;0;3 'failed'=0;;0;0;3 'warning'=0;0;;0;3 'unknown'=1;;;0;3"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("SHAKEDOWN").count(), 1, "{stdout}");
}

#[test]
fn a_run_that_reaches_its_timeout_fails_and_says_what_it_did_not_finish() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file("features/slow.feature", SLOW);
    let marker = format!("time-limit-human-{}", std::process::id());
    let (code, stdout) = run_with_limit(&project, &marker, &[]);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("1 passed, 1 failed, 1 not run (--timeout)"),
        "{stdout}"
    );
}

#[test]
fn the_timeout_counts_from_the_start_so_a_hanging_secret_command_ends_in_time_as_unknown() {
    let project = Project::new(
        "http://127.0.0.1:9",
        "[secrets]\ncommands = [\"sleep 43; echo never\"]\n[limits]\nstep_timeout = \"120s\"\n",
    );
    project.file("features/slow.feature", SLOW);
    let marker = format!("time-limit-planning-{}", std::process::id());
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .args(["run", "--timeout", "2s", "--format", "nagios"])
        .current_dir(project.path())
        .env(MARKER_VARIABLE, &marker)
        .env_remove("SHAKEDOWN_ENV")
        .env("XDG_STATE_HOME", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .expect("shakedown runs");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "took {:?}",
        started.elapsed()
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.starts_with(
            "SHAKEDOWN UNKNOWN - error: the run reached its --timeout before any scenario started"
        ),
        "{stdout}"
    );
    assert_nothing_left(&marker);
}
