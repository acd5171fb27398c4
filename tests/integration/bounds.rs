//! Bounded memory and clean ends whatever a feature or a server does: a huge outline is read in
//! memory that grows with its rows, a command printing far more than is kept is cut (and says
//! so) here and over SSH, a command that left its group dies at its limit or at a stop, and a
//! shakedown killed outright leaves no browser behind.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use indoc::formatdoc;

use crate::support::{DemoSite, Project};
use shakedown_testkit::processes::{
    MARKER_VARIABLE, assert_nothing_left, peak_kib, running, send, wait_for_process,
};
use shakedown_testkit::sshd::Sshd;

/// What a measured run did: its exit code, stdout, and the most memory it held (KiB).
struct Measured {
    code: Option<i32>,
    stdout: String,
    peak_kib: u64,
}

/// Runs shakedown in `project`, reading its memory's high-water mark until it exits (the mark
/// only grows, so the last reading misses at most the last few milliseconds).
fn run_measured(project: &Project, args: &[&str]) -> Measured {
    let stdout_path = project.path().join("stdout.txt");
    let stdout_file = std::fs::File::create(&stdout_path).expect("stdout file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .args(args)
        .current_dir(project.path())
        .env_remove("SHAKEDOWN_ENV")
        .stdout(stdout_file)
        .stderr(Stdio::null())
        .spawn()
        .expect("shakedown starts");
    let mut peak = 0;
    let status = loop {
        if let Some(now) = peak_kib(child.id()) {
            peak = peak.max(now);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Measured {
        code: status.code(),
        stdout: std::fs::read_to_string(stdout_path).expect("stdout"),
        peak_kib: peak,
    }
}

#[test]
fn a_scenario_outline_of_5000_rows_is_checked_in_memory_that_grows_with_its_rows() {
    let project = Project::new("http://127.0.0.1:9", "");
    let rows: String = (1..=5000).map(|row| format!("      | {row} |\n")).collect();
    project.file(
        "features/outline.feature",
        &format!(
            "Feature: Many rows\n  Scenario Outline: row <n>\n    Then the command \"true <n>\" should succeed\n\n    Examples:\n      | n |\n{rows}"
        ),
    );
    let measured = run_measured(&project, &["check"]);
    assert_eq!(measured.code, Some(0), "{}", measured.stdout);
    // About 30 MB; a copy of the table per row took over 800 MB.
    assert!(
        measured.peak_kib < 120 * 1024,
        "checking 5,000 rows took {} KiB",
        measured.peak_kib
    );
}

const CHATTY: &str = "Feature: Chatty
  Scenario: a command prints 200 MB and fails
    Then the command \"head -c 200000000 /dev/zero; exit 3\" should succeed
";

#[track_caller]
fn assert_cut_and_bounded(measured: &Measured) {
    assert_eq!(measured.code, Some(1), "{}", measured.stdout);
    assert!(
        measured
            .stdout
            .contains("cut: only the first 1024 KiB of stdout and of stderr were kept"),
        "{}",
        measured.stdout
    );
    assert!(
        measured.peak_kib < 150 * 1024,
        "the run held {} KiB",
        measured.peak_kib
    );
}

#[test]
fn a_command_printing_far_more_than_is_kept_is_cut_and_says_so() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file("features/chatty.feature", CHATTY);
    assert_cut_and_bounded(&run_measured(&project, &["run"]));
}

/// A project whose only host is `server`, reached over SSH; `extra` is more configuration.
fn server_project(server: &Sshd, extra: &str) -> Project {
    Project::new(
        "http://127.0.0.1:9",
        &formatdoc! {r#"
            {host}

            {ssh}
            {extra}
        "#,
            host = server.host_toml("web1"),
            ssh = server.ssh_toml(),
        },
    )
}

#[test]
fn a_remote_command_printing_far_more_than_is_kept_is_cut_and_says_so() {
    let server = Sshd::start();
    let project = server_project(&server, "");
    project.file("features/chatty.feature", CHATTY);
    assert_cut_and_bounded(&run_measured(&project, &["run"]));
}

#[track_caller]
fn assert_gone(pattern: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while running(pattern) {
        assert!(Instant::now() < deadline, "{what} is still running");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_command_that_left_its_group_dies_at_its_step_timeout() {
    let project = Project::new("http://127.0.0.1:9", "[limits]\nstep_timeout = \"1s\"\n");
    project.file(
        "features/escape.feature",
        "Feature: Escape\n  Scenario: a command hides a child in a session of its own\n    \
         Then the command \"setsid sleep 3301.5 & sleep 3302.5\" should succeed\n",
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome.expect_code(1);
    assert!(
        outcome.stdout.contains("did not finish within"),
        "{}",
        outcome.stdout
    );
    assert_gone("sleep 330[12].5", "the command's `setsid` child");
}

fn start_marked(project: &Project, marker: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .args(["run", "--junit", "report.xml"])
        .current_dir(project.path())
        .env(MARKER_VARIABLE, marker)
        .env_remove("SHAKEDOWN_ENV")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("shakedown starts")
}

#[test]
fn sigint_during_a_long_ssh_probe_leaves_nothing_running_on_the_server() {
    let server = Sshd::start();
    let project = server_project(
        &server,
        "[limits]\nstep_timeout = \"120s\"\nscenario_timeout = \"240s\"\n",
    );
    project.file(
        "features/slow.feature",
        "Feature: Slow\n  Scenario: a long job on the server\n    \
         Then the command \"setsid sleep 3311.5 & sleep 3312.5\" should succeed\n",
    );
    let marker = format!("ssh-sigint-{}", std::process::id());
    let child = start_marked(&project, &marker);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !running("sleep 3311.5") || !running("sleep 3312.5") {
        assert!(Instant::now() < deadline, "the remote command never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    send("INT", child.id());
    let output = child.wait_with_output().expect("shakedown ends");
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_gone("sleep 331[12].5", "the remote command or its `setsid` child");
    assert!(project.path().join("report.xml").exists());
}

#[test]
fn sigkill_during_a_browser_scenario_leaves_no_chromedriver_nor_chromium() {
    let _turn = crate::browser::browser_turn();
    let site = DemoSite::start(&["hang"]);
    let project = Project::new(
        &site.url,
        "[limits]\nstep_timeout = \"60s\"\nscenario_timeout = \"120s\"\n",
    );
    project.file(
        "features/hung.feature",
        "Feature: Hung\n  Scenario: waits for a page that never comes\n    When I visit \"/api/health\"\n",
    );
    let marker = format!("browser-sigkill-{}", std::process::id());
    let mut child = start_marked(&project, &marker);
    wait_for_process(&marker, "chromium", Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    send("KILL", child.id());
    child.wait().expect("shakedown ends");
    assert_nothing_left(&marker);
}

#[test]
fn retries_stop_when_the_scenarios_time_is_up() {
    let project = Project::new(
        "http://127.0.0.1:9",
        "[limits]\nstep_timeout = \"5s\"\nscenario_timeout = \"2s\"\n",
    );
    project.file(
        "features/flaky.feature",
        "Feature: Flaky\n  @retry(10)\n  Scenario: fails slowly every time\n    \
         Then the command \"sleep 0.8; false\" should succeed\n",
    );
    let started = Instant::now();
    let outcome = project.shakedown().args(["run"]).run();
    let took = started.elapsed();
    outcome.expect_code(1);
    // Eleven attempts of 0.8 s each, each in a fresh limit, took over 9 s.
    assert!(took < Duration::from_secs(5), "the retries took {took:?}");
    assert!(
        outcome.stdout.contains("limits.scenario_timeout"),
        "{}",
        outcome.stdout
    );
}

#[test]
fn sigterm_during_a_command_kills_the_child_it_hid_in_a_session_of_its_own() {
    let project = Project::new(
        "http://127.0.0.1:9",
        "[limits]\nstep_timeout = \"120s\"\nscenario_timeout = \"240s\"\n",
    );
    project.file(
        "features/escape.feature",
        "Feature: Escape\n  Scenario: a long command with a hidden child\n    \
         Then the command \"setsid sleep 3321.5 & sleep 3322.5\" should succeed\n",
    );
    let marker = format!("setsid-sigterm-{}", std::process::id());
    let child = start_marked(&project, &marker);
    wait_for_process(&marker, "sleep", Duration::from_secs(30));
    send("TERM", child.id());
    let output = child.wait_with_output().expect("shakedown ends");
    assert_eq!(output.status.code(), Some(143));
    assert_nothing_left(&marker);
}
