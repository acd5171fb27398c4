//! One suite for a fleet: probe scenarios run once on every server of the environment over real
//! OpenSSH servers on loopback, `@on:GROUP` scenarios on the hosts of their group (HTTP ones
//! against each host's own web server), every result per host, one SSH connection per host per
//! run, and unreachable or unknown servers failing their own scenarios only.

use std::process::Command;
use std::time::{Duration, Instant};

use indoc::formatdoc;

use crate::support::{DemoSite, Project};
use shakedown_testkit::sshd::{Sshd, free_port};

/// The terminal line of a scenario copy, e.g. `PASS … Cron runs [web1]`.
fn verdict_of<'a>(stdout: &'a str, scenario: &str) -> &'a str {
    stdout
        .lines()
        .find(|line| line.trim_end().ends_with(scenario) && (line.contains("PASS") || line.contains("FAIL")))
        .unwrap_or_else(|| panic!("no result for `{scenario}` in:\n{stdout}"))
}

fn passed(stdout: &str, scenario: &str) -> bool {
    verdict_of(stdout, scenario).contains("PASS")
}

fn nothing_runs(marker: &str) -> bool {
    !Command::new("pgrep")
        .args(["-f", marker])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("pgrep runs")
        .success()
}

#[test]
fn probe_scenarios_run_on_every_server_and_each_result_is_its_own() {
    let web1 = Sshd::start();
    let worker1 = Sshd::start();
    let stranger = Sshd::start();
    // One user key for the fleet, as a team's deploy key: every server lets it in.
    let key = std::fs::read_to_string(web1.path("user_key.pub")).expect("user key");
    for server in [&worker1, &stranger] {
        std::fs::write(server.path("authorized_keys"), &key).expect("authorize the deploy key");
    }
    // The known hosts file trusts web1 and worker1 only: `stranger`'s key is unknown.
    let known_hosts = format!(
        "{}{}",
        std::fs::read_to_string(web1.path("known_hosts")).expect("known hosts"),
        std::fs::read_to_string(worker1.path("known_hosts")).expect("known hosts")
    );
    let markers = tempfile::tempdir().expect("temp dir");
    std::fs::write(markers.path().join(format!("present-{}", web1.port)), "").expect("marker");
    std::fs::write(
        markers.path().join("crontab"),
        "* * * * * /usr/local/bin/heartbeat\n",
    )
    .expect("crontab");
    std::fs::write(markers.path().join("beat"), "").expect("evidence");
    let backend1 = DemoSite::start(&[]);
    let backend2 = DemoSite::start(&[]);
    let front = DemoSite::start(&[]);
    let project = Project::new(
        &front.url,
        &formatdoc! {r#"
            [environments.test.hosts.web1]
            ssh = "{user}@127.0.0.1:{web1}"
            groups = ["web"]
            base_url = "{backend1}"

            [environments.test.hosts.worker1]
            ssh = "{user}@127.0.0.1:{worker1}"
            groups = ["web", "cron"]
            base_url = "{backend2}"

            [environments.test.hosts.down]
            ssh = "{user}@127.0.0.1:{down}"
            groups = ["cron"]

            [environments.test.hosts.stranger]
            ssh = "{user}@127.0.0.1:{stranger}"

            [ssh]
            identity_file = "{identity}"
            known_hosts = "{known_hosts}"
            connect_timeout = "3s"

            [limits]
            step_timeout = "3s"
        "#,
            user = web1.user,
            web1 = web1.port,
            worker1 = worker1.port,
            stranger = stranger.port,
            down = free_port(),
            backend1 = backend1.url,
            backend2 = backend2.url,
            identity = web1.path("user_key").display(),
            known_hosts = project_file(&known_hosts).display(),
        },
    );
    project.file(
        "features/servers.feature",
        &formatdoc! {r#"
            Feature: The servers behind the site
              Scenario: Each server is set up
                Then the file "/etc/hostname" should exist
                And the command "uname -s" should succeed
                And its output should contain "Linux"
                And a process named "sshd" should be running
                And port {web1} on "127.0.0.1" should be open
                And the Nagios check "check_dummy 0 fine" should be OK
                And the cron job "heartbeat" in "{markers}/crontab" should have run on schedule, as shown by "{markers}/beat"

              Scenario: Only web1 carries the release marker
                Then the command "test -e {markers}/present-${{SSH_CONNECTION##* }}" should succeed

              @on:cron
              Scenario: A hung job is stopped on time
                Then the command "sleep 3001" should succeed

              @on:web
              Scenario: Each backend answers
                When I request "/api/health"
                Then the response status should be 200

              Scenario: The site answers
                When I request "/"
                Then the response status should be 200
        "#,
            web1 = web1.port,
            markers = markers.path().display(),
        },
    );
    let started = Instant::now();
    let outcome = project.shakedown().args(["run", "--junit", "junit.xml"]).run();
    let took = started.elapsed();
    outcome.expect_code(1);
    let stdout = &outcome.stdout;
    assert!(passed(stdout, "Each server is set up [web1]"), "{stdout}");
    assert!(passed(stdout, "Each server is set up [worker1]"), "{stdout}");
    assert!(!passed(stdout, "Each server is set up [down]"), "{stdout}");
    assert!(!passed(stdout, "Each server is set up [stranger]"), "{stdout}");
    assert!(
        passed(stdout, "Only web1 carries the release marker [web1]"),
        "{stdout}"
    );
    assert!(
        !passed(stdout, "Only web1 carries the release marker [worker1]"),
        "{stdout}"
    );
    assert!(
        !passed(stdout, "A hung job is stopped on time [worker1]"),
        "{stdout}"
    );
    assert!(passed(stdout, "Each backend answers [web1]"), "{stdout}");
    assert!(passed(stdout, "Each backend answers [worker1]"), "{stdout}");
    assert!(passed(stdout, "The site answers"), "{stdout}");
    assert!(
        !stdout.contains("The site answers ["),
        "a site scenario runs once: {stdout}"
    );
    // Unknown and unreachable servers say why, naming the host.
    assert!(
        stdout.contains("ssh-keyscan"),
        "the unknown host key says what to do: {stdout}"
    );
    assert!(stdout.contains("down"), "{stdout}");
    // The hung command was killed at the step's deadline, on the server too.
    assert!(stdout.contains("within 3s (`limits.step_timeout`)"), "{stdout}");
    assert!(
        nothing_runs("sleep 3001"),
        "the hung command survived on the server"
    );
    assert!(took < Duration::from_secs(30), "the run took {took:?}");
    // One connection per reachable host, however many probe steps ran on it.
    assert_eq!(web1.accepted_logins(), 1, "{}", web1.log());
    assert_eq!(worker1.accepted_logins(), 1, "{}", worker1.log());
    assert_eq!(stranger.accepted_logins(), 0, "{}", stranger.log());
    // Each backend was checked directly, not only through the front.
    assert!(backend1.requests() >= 1 && backend2.requests() >= 1);
    let junit = std::fs::read_to_string(project.path().join("junit.xml")).expect("junit");
    assert!(junit.contains("Each server is set up [worker1]"), "{junit}");
    assert!(
        junit.contains(r#"name="hosts" value="down, stranger, web1, worker1""#),
        "{junit}"
    );
    // No SSH process is left behind.
    assert!(nothing_runs(&format!("127.0.0.1:{}", web1.port)) || nothing_runs("ssh -M"));
}

#[test]
fn host_narrows_a_run_and_an_unknown_host_is_bad_input() {
    let web1 = Sshd::start();
    let front = DemoSite::start(&[]);
    let project = Project::new(
        &front.url,
        &formatdoc! {r#"
            {host}

            [environments.test.hosts.web2]
            ssh = "{user}@127.0.0.1:{down}"

            {ssh}
        "#,
            user = web1.user,
            down = free_port(),
            host = web1.host_toml("web1"),
            ssh = web1.ssh_toml(),
        },
    );
    project.file(
        "features/servers.feature",
        "Feature: Servers\n  Scenario: Files\n    Then the file \"/etc/hostname\" should exist\n",
    );
    let outcome = project.shakedown().args(["run", "--host", "web1"]).run();
    outcome.expect_code(0);
    assert!(passed(&outcome.stdout, "Files [web1]"));
    assert!(!outcome.stdout.contains("[web2]"), "{}", outcome.stdout);
    project
        .shakedown()
        .args(["run", "--host", "wbe1"])
        .run()
        .expect_code(2)
        .expect_stderr("there is no host `wbe1`")
        .expect_stderr("did you mean `web1`?");
}

/// When each server was worked on: from the first start to the last end its scenarios wrote
/// (nanoseconds), by server port.
fn busy_spans(folder: &std::path::Path) -> Vec<(u128, u128)> {
    let mut spans = Vec::new();
    for entry in std::fs::read_dir(folder).expect("the records") {
        let path = entry.expect("a record").path();
        if path.extension().is_none_or(|extension| extension != "times") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("times");
        let times: Vec<u128> = text
            .split_whitespace()
            .map(|time| time.parse().expect("a time"))
            .collect();
        let (Some(first), Some(last)) = (times.iter().min(), times.iter().max()) else {
            panic!("no times in {}", path.display())
        };
        spans.push((*first, *last));
    }
    spans.sort_unstable();
    spans
}

#[test]
fn host_concurrency_bounds_the_servers_worked_on_at_once() {
    let servers = [Sshd::start(), Sshd::start(), Sshd::start()];
    let key = std::fs::read_to_string(servers[0].path("user_key.pub")).expect("user key");
    let mut known_hosts = String::new();
    for server in &servers {
        std::fs::write(server.path("authorized_keys"), &key).expect("authorize the deploy key");
        known_hosts.push_str(&std::fs::read_to_string(server.path("known_hosts")).expect("known hosts"));
    }
    let front = DemoSite::start(&[]);
    for (host_concurrency, overlap) in [(1, false), (3, true)] {
        let records = tempfile::tempdir().expect("temp dir");
        let hosts: String = servers
            .iter()
            .enumerate()
            .map(|(index, server)| server.host_toml(&format!("web{index}")))
            .collect();
        let project = Project::new(
            &front.url,
            &formatdoc! {r#"
                {hosts}
                [ssh]
                identity_file = "{identity}"
                known_hosts = "known_hosts"

                [limits]
                host_concurrency = {host_concurrency}
            "#,
                identity = servers[0].path("user_key").display(),
            },
        );
        project.file("known_hosts", &known_hosts);
        // Each scenario notes on its server when it starts and ends, by the server's port.
        let record = project.file(
            "record.sh",
            &format!(
                "file={}/${{SSH_CONNECTION##* }}.times\ndate +%s%N >> \"$file\"\nsleep 0.6\ndate +%s%N >> \"$file\"\n",
                records.path().display()
            ),
        );
        project.file(
            "features/servers.feature",
            &formatdoc! {r#"
                Feature: Servers
                  Scenario: First look
                    Then the command "sh {record}" should succeed
                  Scenario: Second look
                    Then the command "sh {record}" should succeed
                  Scenario: The site answers
                    When I request "/"
                    Then the response status should be 200
            "#,
                record = record.display(),
            },
        );
        let outcome = project.shakedown().args(["run"]).run();
        outcome.expect_code(0);
        assert!(passed(&outcome.stdout, "The site answers"), "{}", outcome.stdout);
        let spans = busy_spans(records.path());
        assert_eq!(spans.len(), 3, "every server was worked on: {spans:?}");
        let overlapping = spans.windows(2).any(|pair| pair[1].0 < pair[0].1);
        assert_eq!(
            overlapping, overlap,
            "with `host_concurrency = {host_concurrency}`, servers worked on at once: {spans:?}"
        );
    }
}

/// A file that outlives the test's temp folders long enough for one run.
fn project_file(text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("shakedown-known-hosts-{}", std::process::id()));
    std::fs::write(&path, text).expect("known hosts");
    path
}
