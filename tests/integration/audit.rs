//! The audit log: one appended JSON line per `run` saying who ran what, where and with what
//! result, no secret in it, an unwritable log only a warning, and `shakedown audit` reading it.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{DEMO_ROLES, DemoSite, Project, Shakedown};
use shakedown_testkit::sshd::Sshd;

const PASSING: &str = r#"Feature: Reports
  Scenario: a clerk sees the reports
    Given I am logged in as "clerk"
    When I request "/reports/"
    Then the response should contain "Monthly reports"
"#;

const FAILING: &str = r#"Feature: Missing
  Scenario: a page that is not there
    When I request "/no-such-page/"
    Then the response status should be 200
"#;

/// `shakedown` in the project with the demo passwords and its state folder inside the project.
fn shakedown(project: &Project) -> Shakedown {
    project
        .shakedown()
        .demo_passwords()
        .env(
            "XDG_STATE_HOME",
            &project.path().join("state").display().to_string(),
        )
        .env("GITHUB_ACTOR", "octocat")
        .env("GITHUB_RUN_ID", "4242")
}

fn records(project: &Project) -> Vec<Value> {
    let log = project.path().join("state/shakedown/audit.jsonl");
    let text = std::fs::read_to_string(&log)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", log.display()));
    assert!(text.ends_with('\n'), "the log ends with a whole line:\n{text}");
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}")))
        .collect()
}

fn sha256sum(path: &Path) -> String {
    let output = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned()
}

fn login_name() -> String {
    let output = Command::new("id").arg("-un").output().expect("id runs");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

fn hostname() -> String {
    let output = Command::new("hostname").output().expect("hostname runs");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn each_run_appends_one_line_with_who_ran_what_and_no_secret() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, DEMO_ROLES);
    let passing = project.file("features/reports.feature", PASSING);
    let failing = project.file("failing/missing.feature", FAILING);
    let address = site.url.trim_start_matches("http://");
    let base_url = format!("http://auditor:hunter2-base-url-secret@{address}");

    shakedown(&project)
        .args(["run", "--env", "test", "--base-url", &base_url, "features"])
        .run()
        .expect_code(0);
    assert_eq!(records(&project).len(), 1, "one run, one line");
    shakedown(&project)
        .args(["run", "--env", "test", "failing"])
        .run()
        .expect_code(1);

    let log = std::fs::read_to_string(project.path().join("state/shakedown/audit.jsonl")).expect("the log");
    assert!(
        !log.contains("hunter2-base-url-secret"),
        "the URL's password is in the log:\n{log}"
    );
    for user in shakedown_demo_site::USERS {
        assert!(
            !log.contains(user.password),
            "{}'s password is in the log:\n{log}",
            user.username
        );
    }

    let records = records(&project);
    assert_eq!(
        records.len(),
        2,
        "the second run appends, the first line stays:\n{log}"
    );
    let (first, second) = (&records[0], &records[1]);
    for record in &records {
        assert_eq!(record["user"], login_name(), "{record}");
        assert_eq!(record["machine"], hostname(), "{record}");
        assert_eq!(record["environment"], "test", "{record}");
        assert_eq!(record["ci"]["GITHUB_ACTOR"], "octocat", "{record}");
        assert_eq!(record["ci"]["GITHUB_RUN_ID"], "4242", "{record}");
        let started = record["started"].as_str().expect("a start time");
        let finished = record["finished"].as_str().expect("an end time");
        let parse = |at: &str| humantime::parse_rfc3339(at).unwrap_or_else(|error| panic!("{at}: {error}"));
        assert!(parse(started) <= parse(finished), "{record}");
    }

    assert_eq!(
        first["base_url"],
        format!("http://auditor:***@{address}/"),
        "{first}"
    );
    let command_line: Vec<&str> = first["command_line"]
        .as_array()
        .expect("the command line")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        command_line[1..],
        [
            "run",
            "--env",
            "test",
            "--base-url",
            &format!("http://auditor:***@{address}"),
            "features"
        ],
        "{first}"
    );
    assert_eq!(
        first["features"],
        serde_json::json!([{"path": "features/reports.feature", "sha256": sha256sum(&passing)}])
    );
    assert_eq!(
        first["results"],
        serde_json::json!({"passed": 1, "flaky": 0, "failed": 0, "not_run": 0})
    );
    assert_eq!(first["exit_code"], 0);

    assert_eq!(second["base_url"], format!("{}/", site.url), "{second}");
    assert_eq!(
        second["features"],
        serde_json::json!([{"path": "failing/missing.feature", "sha256": sha256sum(&failing)}])
    );
    assert_eq!(
        second["results"],
        serde_json::json!({"passed": 0, "flaky": 0, "failed": 1, "not_run": 0})
    );
    assert_eq!(second["exit_code"], 1);

    let listing = shakedown(&project).args(["audit"]).run();
    listing.expect_code(0).expect_stdout("octocat@");
    let failed_at = listing
        .stdout
        .find("0 passed, 0 flaky, 1 failed")
        .expect("the failing run listed");
    let passed_at = listing
        .stdout
        .find("1 passed, 0 flaky, 0 failed")
        .expect("the passing run listed");
    assert!(failed_at < passed_at, "newest first:\n{}", listing.stdout);

    let limited = shakedown(&project)
        .args(["audit", "--json", "--limit", "1"])
        .run();
    limited.expect_code(0);
    let array: Value = serde_json::from_str(&limited.stdout).expect("a JSON array");
    assert_eq!(array, serde_json::json!([second]));
}

#[test]
fn an_unwritable_audit_log_is_a_warning_and_the_run_stands() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "[audit]\npath = \"blocked/audit.jsonl\"\n");
    project.file("features/missing.feature", FAILING);
    // A file where the log's folder should be: no user, root included, can create the log.
    project.file("blocked", "not a folder");
    project
        .shakedown()
        .args(["run", "--env", "test"])
        .run()
        .expect_code(1)
        .expect_stdout("0 passed, 1 failed")
        .expect_stderr("warning: cannot write the audit log `")
        .expect_stderr("blocked/audit.jsonl`");
}

#[test]
fn the_audit_log_is_private_follows_no_symlink_waits_on_no_fifo_and_survives_a_bad_byte() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&format!("{}/?token=s3cr3t-query-token", site.url), "");
    project.file("features/missing.feature", FAILING);
    let folder = project.path().join("state/shakedown");
    std::fs::create_dir_all(&folder).expect("folder");
    let log = folder.join("audit.jsonl");

    // Created under umask 000, it is still the user's own.
    let outcome = Command::new("sh")
        .arg("-c")
        .arg(format!("umask 000; exec {} run", env!("CARGO_BIN_EXE_shakedown")))
        .current_dir(project.path())
        .env("XDG_STATE_HOME", project.path().join("state"))
        .env("NO_COLOR", "1")
        .output()
        .expect("runs");
    assert_eq!(outcome.status.code(), Some(1));
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&log).expect("log").permissions());
    assert_eq!(mode & 0o777, 0o600, "the audit log is open to others: {mode:o}");
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        !text.contains("s3cr3t-query-token"),
        "a query token in the audit log:\n{text}"
    );
    assert!(
        !String::from_utf8_lossy(&outcome.stdout).contains("s3cr3t-query-token"),
        "a query token on the terminal"
    );

    // A line with a byte that is not UTF-8 spoils only itself.
    let mut bytes = std::fs::read(&log).expect("log");
    bytes.extend_from_slice(b"{\"started\": \"\xff\"}\n");
    std::fs::write(&log, &bytes).expect("write");
    shakedown(&project)
        .args(["audit"])
        .run()
        .expect_code(0)
        .expect_stdout("1 failed, 0 not run (exit 1)");

    // A symlink planted at the log's path is not followed into another file.
    let elsewhere = project.path().join("elsewhere.txt");
    std::fs::write(&elsewhere, "precious\n").expect("write");
    std::fs::remove_file(&log).expect("remove");
    std::os::unix::fs::symlink(&elsewhere, &log).expect("symlink");
    shakedown(&project)
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stderr("warning: cannot write the audit log");
    assert_eq!(std::fs::read_to_string(&elsewhere).expect("read"), "precious\n");

    // A FIFO there neither hangs the run nor `shakedown audit`.
    std::fs::remove_file(&log).expect("remove");
    let made = Command::new("mkfifo").arg(&log).status().expect("mkfifo");
    assert!(made.success());
    let run = shakedown(&project).args(["run"]).run();
    run.expect_code(1)
        .expect_stderr("warning: cannot write the audit log");
    assert!(run.took < std::time::Duration::from_secs(10), "{:?}", run.took);
    shakedown(&project)
        .args(["audit"])
        .run()
        .expect_code(2)
        .expect_stderr("not a regular file");
}

#[test]
fn the_configured_path_is_taken_from_the_configuration_folder() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "[audit]\npath = \"logs/runs.jsonl\"\n");
    project.file("features/missing.feature", FAILING);
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let config = project.path().join("shakedown.toml");
    let config = config.display().to_string();
    Shakedown::new()
        .current_dir(elsewhere.path())
        .args([
            "run",
            "--env",
            "test",
            "--config",
            &config,
            project.path().join("features").to_str().expect("a UTF-8 path"),
        ])
        .run()
        .expect_code(1);
    let log = std::fs::read_to_string(project.path().join("logs/runs.jsonl")).expect("the configured log");
    assert_eq!(log.lines().count(), 1, "{log}");
}

#[test]
fn a_missing_log_says_no_runs_are_recorded_yet() {
    let state = tempfile::tempdir().expect("temp dir");
    let empty = tempfile::tempdir().expect("temp dir");
    let expected = format!(
        "no runs recorded yet in {}",
        state.path().join("shakedown/audit.jsonl").display()
    );
    Shakedown::new()
        .current_dir(empty.path())
        .env("XDG_STATE_HOME", &state.path().display().to_string())
        .args(["audit"])
        .run()
        .expect_code(0)
        .expect_stdout(&expected);
}

/// A folder holding a `logger` that writes to `socket` instead of `/dev/log`, to put first on
/// a `PATH`: the system log of a test is a socket the test owns.
fn logger_to(socket: &Path) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt as _;
    let folder = tempfile::tempdir().expect("temp dir");
    let logger = folder.path().join("logger");
    std::fs::write(
        &logger,
        format!(
            "#!/bin/sh\nexec /usr/bin/logger -u '{}' \"$@\"\n",
            socket.display()
        ),
    )
    .expect("logger");
    std::fs::set_permissions(&logger, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    folder
}

/// A system log socket in `folder`, and the `logger` that writes to it.
fn system_log(folder: &Path, name: &str) -> (UnixDatagram, tempfile::TempDir) {
    let socket = folder.join(name);
    let log = UnixDatagram::bind(&socket).expect("the log socket");
    log.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("a read timeout");
    (log, logger_to(&socket))
}

fn received(log: &UnixDatagram) -> String {
    let mut buffer = [0_u8; 4096];
    let size = log.recv(&mut buffer).expect("a line reached the system log");
    String::from_utf8_lossy(&buffer[..size]).into_owned()
}

fn path_with(folder: &Path) -> String {
    format!(
        "{}:{}",
        folder.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn audit_syslog_leaves_one_line_in_this_machines_system_log() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, &format!("{DEMO_ROLES}\n[audit]\nsyslog = true\n"));
    project.file("features/reports.feature", PASSING);
    let sockets = tempfile::tempdir().expect("temp dir");
    let (log, logger) = system_log(sockets.path(), "log");
    let path = path_with(logger.path());
    shakedown(&project)
        .env("PATH", &path)
        .args(["run"])
        .run()
        .expect_code(0);
    let line = received(&log);
    assert!(
        line.contains(&format!(
            "shakedown: run by octocat from {} against test: 1 passed, 0 failed",
            hostname()
        )),
        "{line}"
    );
    // A system log that takes nothing is a warning; the run's result stands.
    drop(log);
    std::fs::remove_file(sockets.path().join("log")).expect("the socket is removed");
    shakedown(&project)
        .env("PATH", &path)
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stderr(
            "warning: the run is not in the system log of this machine: `logger` ended with exit status 1",
        );
}

#[test]
fn audit_syslog_tells_each_server_its_own_results() {
    let sockets = tempfile::tempdir().expect("temp dir");
    let (web1_log, web1_logger) = system_log(sockets.path(), "web1");
    let (web2_log, web2_logger) = system_log(sockets.path(), "web2");
    let web3_logger = logger_to(&sockets.path().join("nobody-listens"));
    let server_with = |logger: &tempfile::TempDir| {
        Sshd::start_with(&format!(
            "SetEnv PATH={}:/usr/local/bin:/usr/bin:/bin",
            logger.path().display()
        ))
    };
    let servers = [
        server_with(&web1_logger),
        server_with(&web2_logger),
        server_with(&web3_logger),
    ];
    let key = std::fs::read_to_string(servers[0].path("user_key.pub")).expect("user key");
    let mut known_hosts = String::new();
    let mut hosts = String::new();
    for (index, server) in servers.iter().enumerate() {
        std::fs::write(server.path("authorized_keys"), &key).expect("authorize the deploy key");
        known_hosts.push_str(&std::fs::read_to_string(server.path("known_hosts")).expect("known hosts"));
        hosts.push_str(&server.host_toml(&format!("web{}", index + 1)));
    }
    let site = DemoSite::start(&[]);
    let project = Project::new(
        &site.url,
        &format!(
            "{hosts}\n[ssh]\nidentity_file = \"{}\"\nknown_hosts = \"known_hosts\"\n\n[audit]\nsyslog = true\n",
            servers[0].path("user_key").display()
        ),
    );
    project.file("known_hosts", &known_hosts);
    let marker = project.file(&format!("present-{}", servers[0].port), "");
    project.file(
        "features/servers.feature",
        &format!(
            "Feature: Servers\n  Scenario: The release marker is there\n    Then the command \"test -e {}/present-${{SSH_CONNECTION##* }}\" should succeed\n",
            marker.parent().expect("a folder").display()
        ),
    );
    let outcome = shakedown(&project).args(["run"]).run();
    outcome.expect_code(1).expect_stderr(
        "warning: the run is not in the system log of web3: `logger` ended with exit status 1",
    );
    let who = format!("shakedown: run by octocat from {} against test:", hostname());
    let web1 = received(&web1_log);
    assert!(web1.contains(&format!("{who} 1 passed, 0 failed")), "{web1}");
    let web2 = received(&web2_log);
    assert!(web2.contains(&format!("{who} 0 passed, 1 failed")), "{web2}");
}
