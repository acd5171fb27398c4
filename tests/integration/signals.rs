//! SIGINT and SIGTERM stop a run cleanly: the scenario in flight gets its grace and is cut, no
//! later scenario starts, no process shakedown started (commands, plugins, their background
//! children, chromedriver, Chromium) outlives it, the JUnit report lists what ran and the rest
//! as skipped, and the exit code is the signal's (130 / 143) within 10 s, browser or not.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use shakedown_testkit::processes::{MARKER_VARIABLE, assert_nothing_left, send, wait_for_process};

use crate::support::{DemoSite, Project, validate_junit};

fn start(project: &Project, marker: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .args(["run", "--concurrency", "1", "--junit", "report.xml"])
        .current_dir(project.path())
        .env(MARKER_VARIABLE, marker)
        .env_remove("SHAKEDOWN_ENV")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("shakedown starts")
}

/// Sends `signal` once `busy` runs, and checks the exit: the code, the time it took, the
/// message, and that nothing of the run is left. Returns stdout, the JUnit report and the pid.
fn stop_with(signal: &str, code: i32, project: &Project, marker: &str, busy: &str) -> (String, String, u32) {
    let child = start(project, marker);
    let pid = child.id();
    wait_for_process(marker, busy, Duration::from_secs(30));
    // A moment for the step to be well under way, as a person pressing Ctrl-C would give it.
    std::thread::sleep(Duration::from_millis(500));
    let sent = Instant::now();
    send(signal, child.id());
    let output = child.wait_with_output().expect("shakedown ends");
    let took = sent.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(took < Duration::from_secs(10), "the run took {took:?} to stop");
    assert!(
        stderr.contains(&format!("interrupted by SIG{signal}")),
        "{stderr}"
    );
    assert_nothing_left(marker);
    let report = project.path().join("report.xml");
    validate_junit(&report);
    let junit = std::fs::read_to_string(report).expect("the JUnit report was written");
    (stdout, junit, pid)
}

const PROBES: &str = "Feature: Probes that hang
  Scenario: a quick one
    Then the command \"true\" should succeed

  Scenario: a plugin whose child hangs on
    Then the Nagios check \"check_stuck\" should be OK

  Scenario: never started
    Then the command \"true\" should succeed
";

fn probe_project() -> Project {
    let project = Project::new(
        "http://127.0.0.1:9",
        "[limits]\nstep_timeout = \"120s\"\nscenario_timeout = \"240s\"\n[probes]\nnagios_plugin_dir = \"plugins\"\n",
    );
    let plugin = project.file(
        "plugins/check_stuck",
        "#!/bin/sh\necho starting\nsleep 600 &\nexec sleep 601\n",
    );
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    project.file("features/probes.feature", PROBES);
    project
}

fn assert_reports_what_ran(stdout: &str, junit: &str, signal: &str) {
    assert!(stdout.contains("PASS"), "{stdout}");
    assert!(stdout.contains("SKIP"), "{stdout}");
    assert!(
        stdout.contains(&format!("1 passed, 0 failed, 2 not run (SIG{signal})")),
        "{stdout}"
    );
    assert_eq!(junit.matches("<testcase").count(), 3, "{junit}");
    assert_eq!(junit.matches("<skipped").count(), 2, "{junit}");
}

#[test]
fn sigint_during_a_hung_plugin_kills_its_children_reports_what_ran_and_exits_130() {
    let project = probe_project();
    let marker = format!("sigint-probe-{}", std::process::id());
    let (stdout, junit, _) = stop_with("INT", 130, &project, &marker, "sleep");
    assert_reports_what_ran(&stdout, &junit, "INT");
}

#[test]
fn sigterm_during_a_hung_plugin_kills_its_children_reports_what_ran_and_exits_143() {
    let project = probe_project();
    let marker = format!("sigterm-probe-{}", std::process::id());
    let (stdout, junit, _) = stop_with("TERM", 143, &project, &marker, "sleep");
    assert_reports_what_ran(&stdout, &junit, "TERM");
}

fn browser_project(site: &DemoSite) -> Project {
    let project = Project::new(
        &site.url,
        "[limits]\nstep_timeout = \"60s\"\nscenario_timeout = \"120s\"\n",
    );
    project.file(
        "features/hung.feature",
        "Feature: Hung\n  Scenario: waits for a page that never comes\n    When I visit \"/api/health\"\n\n  \
         Scenario: never started\n    When I visit \"/\"\n",
    );
    project
}

#[test]
fn sigint_and_sigterm_with_a_browser_step_in_flight_leave_no_chromium_and_exit_in_time() {
    let _turn = crate::browser::browser_turn();
    let site = DemoSite::start(&["hang"]);
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let project = browser_project(&site);
        let marker = format!("browser-{signal}-{}", std::process::id());
        let (stdout, junit, pid) = stop_with(signal, code, &project, &marker, "chromium");
        assert!(
            stdout.contains(&format!("0 passed, 0 failed, 2 not run (SIG{signal})")),
            "{stdout}"
        );
        assert_eq!(junit.matches("<skipped").count(), 2, "{junit}");
        let profile_prefix = format!("shakedown-chromium-{pid}-");
        let profiles: Vec<_> = std::fs::read_dir(std::env::temp_dir())
            .expect("temp dir")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(&profile_prefix))
            .collect();
        assert!(
            profiles.is_empty(),
            "Chromium profile folders left behind: {profiles:?}"
        );
    }
}

#[test]
fn sigterm_while_a_password_command_hangs_kills_it_and_its_children_and_reports_nothing_ran() {
    let project = Project::new(
        "http://127.0.0.1:9",
        "[limits]\nstep_timeout = \"120s\"\n[login]\npath = \"/accounts/login/\"\n\
         [roles.clerk]\nusername = \"clerk\"\npassword_command = \"sleep 600 & sleep 601; echo never\"\n",
    );
    project.file(
        "features/clerk.feature",
        "Feature: Clerk\n  Scenario: a clerk's page\n    Given I am logged in as \"clerk\"\n    When I request \"/\"\n",
    );
    let marker = format!("sigterm-password-{}", std::process::id());
    let child = start(&project, &marker);
    wait_for_process(&marker, "sleep", Duration::from_secs(30));
    let sent = Instant::now();
    send("TERM", child.id());
    let output = child.wait_with_output().expect("shakedown ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(143), "stderr:\n{stderr}");
    assert!(
        sent.elapsed() < Duration::from_secs(10),
        "took {:?}",
        sent.elapsed()
    );
    assert!(stderr.contains("interrupted by SIGTERM"), "{stderr}");
    assert_nothing_left(&marker);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("0 passed, 0 failed, 1 not run (SIGTERM)"),
        "{stdout}"
    );
    let report = project.path().join("report.xml");
    validate_junit(&report);
    let junit = std::fs::read_to_string(report).expect("the JUnit report was written");
    assert_eq!(junit.matches("<skipped").count(), 1, "{junit}");
}

#[test]
fn sigterm_in_nagios_mode_gives_one_unknown_line_with_the_perfdata_of_what_finished() {
    let project = probe_project();
    let marker = format!("nagios-sigterm-{}", std::process::id());
    let child = Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .args(["run", "--concurrency", "1", "--format", "nagios"])
        .current_dir(project.path())
        .env(MARKER_VARIABLE, &marker)
        .env_remove("SHAKEDOWN_ENV")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("shakedown starts");
    wait_for_process(&marker, "sleep", Duration::from_secs(30));
    send("TERM", child.id());
    let output = child.wait_with_output().expect("shakedown ends");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    assert_eq!(stdout.matches("SHAKEDOWN").count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("SHAKEDOWN UNKNOWN - stopped by SIGTERM with 2 not run: 1 of 3 scenarios passed | 'passed'=1;;;0;3"),
        "{stdout}"
    );
    assert_nothing_left(&marker);
}
