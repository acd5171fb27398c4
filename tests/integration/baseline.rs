//! The server baseline on a real setup: a daemon, a listening port and a crontab line on this
//! machine, looked at directly and over a real local sshd, recorded, then taken away, and
//! `baseline compare` (and the Gherkin step, and its JUnit report) must name exactly those; and
//! who could see what on the demo site, recorded healthy and compared with a page leaked.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use indoc::formatdoc;

use crate::support::{DEMO_ROLES, DemoSite, Outcome, Project, validate_junit};
use shakedown_testkit::processes::{pid_of, stop};
use shakedown_testkit::sshd::{Sshd, free_port};

/// The tests here change what this machine runs and listens on; one at a time, or one would
/// see the other's daemon stop as a regression of its own.
static MACHINE: Mutex<()> = Mutex::new(());

/// How old a process must be to count as a daemon in these tests' configuration.
const MIN_AGE: Duration = Duration::from_secs(1);

/// What a deployment could break: a daemon, a listening port and a crontab line.
struct Setup {
    folder: tempfile::TempDir,
    daemon: u32,
    daemon_name: String,
    listener: Option<TcpListener>,
    port: u16,
    crontab: PathBuf,
    crontab_line: String,
}

impl Setup {
    /// `name` tells the tests' daemons and crontab lines apart.
    fn start(name: &str) -> Self {
        let folder = tempfile::tempdir().expect("temp dir");
        // A copy of `sleep` under its own name, detached into its own session like a daemon.
        let daemon_name = format!("ledger-{name}");
        let program = folder.path().join(&daemon_name);
        std::fs::copy("/bin/sleep", &program).expect("a copy of sleep");
        let started = Command::new("setsid")
            .arg("--fork")
            .arg(&program)
            .arg("600")
            .status()
            .expect("setsid starts the daemon");
        assert!(started.success(), "setsid failed");
        let daemon = pid_of(&program);
        let (listener, port) = fixed_port_listener();
        std::fs::create_dir(folder.path().join("cron.d")).expect("cron.d");
        let crontab = folder.path().join("cron.d/ledger");
        let crontab_line = format!("* * * * * root /srv/ledger/bin/{name}-heartbeat");
        std::fs::write(&crontab, format!("MAILTO=ops\n{crontab_line}\n")).expect("crontab");
        // Old enough to count as a daemon when the baseline is recorded.
        std::thread::sleep(MIN_AGE + Duration::from_millis(200));
        Self {
            folder,
            daemon,
            daemon_name,
            listener: Some(listener),
            port,
            crontab,
            crontab_line,
        }
    }

    /// `[baseline]` reading this setup's crontab folder. The machine is shared with other
    /// tests, whose shells come and go as session leaders: those are ignored.
    fn config(&self) -> String {
        format!(
            "[baseline]\nignore = [\"process:bash\", \"process:sh\"]\nprocess_min_age = \"1s\"\ncrontabs = [\"{}\"]\nuser_crontab = false\napache_dir = \"{}\"\n",
            self.folder.path().join("cron.d").display(),
            self.folder.path().join("apache2").display()
        )
    }

    /// The deployment's damage: the daemon stopped, the port closed, the crontab line removed.
    fn break_it(&mut self) {
        stop(self.daemon);
        self.listener = None;
        std::fs::write(&self.crontab, "MAILTO=ops\n").expect("crontab emptied");
    }

    /// The three sentences that damage must be reported by.
    fn regressions(&self) -> [String; 3] {
        let listener = std::fs::read_to_string("/proc/self/comm").expect("own name");
        [
            format!(
                "the process `{}` was running before the deployment and is not now",
                self.daemon_name
            ),
            format!(
                "port {} was listened on by {} and is closed",
                self.port,
                listener.trim()
            ),
            format!(
                "the crontab line `{}` in {} is gone",
                self.crontab_line,
                self.crontab.display()
            ),
        ]
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        stop(self.daemon);
    }
}

/// A listener on a port below the ephemeral range (the baseline leaves `bind(0)` ports out,
/// as no service's fixed address).
fn fixed_port_listener() -> (TcpListener, u16) {
    let start = 20_000 + (std::process::id() % 10_000) as u16;
    (start..32_000)
        .chain(20_000..start)
        .find_map(|port| {
            TcpListener::bind(("127.0.0.1", port))
                .ok()
                .map(|listener| (listener, port))
        })
        .expect("a free port below 32000")
}

fn assert_reports_exactly(stdout: &str, host: &str, setup: &Setup) {
    for sentence in setup.regressions() {
        assert!(
            stdout.contains(&sentence),
            "{sentence:?} is missing from:\n{stdout}"
        );
    }
    assert!(
        stdout.contains(&format!("3 thing(s) on {host} regressed since the baseline")),
        "not exactly three regressions:\n{stdout}"
    );
}

#[test]
fn a_stopped_daemon_a_closed_port_and_a_removed_crontab_line_are_the_regressions_here() {
    let _machine = MACHINE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut setup = Setup::start("local");
    let project = Project::new("http://127.0.0.1:9/", &setup.config());
    let recorded = project
        .shakedown()
        .args(["baseline", "record", "--env", "test", "--out", "baseline.json"])
        .run();
    recorded
        .expect_code(0)
        .expect_stdout("this machine: ")
        .expect_stdout("1 crontab lines");
    let text = std::fs::read_to_string(project.path().join("baseline.json")).expect("written");
    assert!(
        text.contains("\"version\": 1") && text.contains(&setup.daemon_name),
        "{text}"
    );
    project
        .shakedown()
        .args(["baseline", "compare", "baseline.json", "--env", "test"])
        .run()
        .expect_code(0)
        .expect_stdout("Nothing on the server has regressed");

    setup.break_it();
    let report = project.path().join("reports/baseline.xml");
    let compared = project
        .shakedown()
        .args(["baseline", "compare", "baseline.json", "--env", "test", "--junit"])
        .args([&report])
        .run();
    compared.expect_code(1);
    assert_reports_exactly(&compared.stdout, "this machine", &setup);
    validate_junit(&report);
    let xml = std::fs::read_to_string(&report).expect("report written");
    assert!(
        xml.contains("<failure") && xml.contains("Nothing on the server has regressed"),
        "{xml}"
    );
    assert!(xml.contains(&setup.daemon_name), "{xml}");
    // Every other report shows it like any failing scenario too.
    let (json, html) = (
        project.path().join("reports/baseline.json"),
        project.path().join("reports/baseline.html"),
    );
    project
        .shakedown()
        .args([
            "baseline",
            "compare",
            "baseline.json",
            "--env",
            "test",
            "--quiet",
            "--json",
        ])
        .args([&json])
        .args(["--html"])
        .args([&html])
        .run()
        .expect_code(1);
    let json = std::fs::read_to_string(&json).expect("JSON report written");
    assert!(
        json.contains("\"status\": \"failed\"") && json.contains(&setup.daemon_name),
        "{json}"
    );
    let html = std::fs::read_to_string(&html).expect("HTML report written");
    assert!(
        html.contains("FAILED") && html.contains(&setup.daemon_name),
        "{html}"
    );
    project
        .shakedown()
        .args([
            "baseline",
            "compare",
            "baseline.json",
            "--env",
            "test",
            "--format",
            "nagios",
        ])
        .run()
        .expect_code(2)
        .expect_stdout("SHAKEDOWN CRITICAL - 1 of 1 scenarios failed: Nothing on the server has regressed");

    // The pre-flight stage records, the post-install stage compares: the step in a feature.
    project.file(
        "features/post-install.feature",
        "Feature: After the deployment\n  Scenario: The server kept what it ran\n    Then nothing on the server should have regressed since the baseline \"baseline.json\"\n",
    );
    let run = project.shakedown().args(["run", "--env", "test"]).run();
    run.expect_code(1);
    assert_reports_exactly(&run.stdout, "this machine", &setup);
}

#[test]
fn the_same_regressions_are_found_on_a_server_over_ssh() {
    let _machine = MACHINE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let server = Sshd::start();
    let mut setup = Setup::start("ssh");
    let project = Project::new(
        "http://127.0.0.1:9/",
        &formatdoc! {r#"
            {host}

            {ssh}
            connect_timeout = "5s"

            {baseline}
        "#,
            host = server.host_toml("web1"),
            ssh = server.ssh_toml(),
            baseline = setup.config(),
        },
    );
    project
        .shakedown()
        .args(["baseline", "record", "--env", "test", "--out", "baseline.json"])
        .run()
        .expect_code(0)
        .expect_stdout("web1: ");
    project
        .shakedown()
        .args(["baseline", "compare", "baseline.json", "--env", "test"])
        .run()
        .expect_code(0)
        .expect_stdout("Nothing on the server has regressed [web1]");
    setup.break_it();
    let compared = project
        .shakedown()
        .args(["baseline", "compare", "baseline.json", "--env", "test"])
        .run();
    compared.expect_code(1);
    assert_reports_exactly(&compared.stdout, "web1", &setup);
}

#[test]
fn an_unreachable_host_is_named_and_nothing_is_written() {
    let project = Project::new(
        "http://127.0.0.1:9/",
        &format!(
            "[environments.test.hosts.db1]\nssh = \"root@127.0.0.1:{}\"\n\n[ssh]\nconnect_timeout = \"2s\"\n",
            free_port()
        ),
    );
    project
        .shakedown()
        .args(["baseline", "record", "--env", "test", "--out", "baseline.json"])
        .run()
        .expect_code(2)
        .expect_no_panic()
        .expect_stderr("cannot record the baseline of `test`")
        .expect_stderr("db1: cannot reach db1");
    assert!(!project.path().join("baseline.json").exists());
}

#[test]
fn an_unusable_baseline_or_ignore_entry_is_one_clear_message() {
    let project = Project::new("http://127.0.0.1:9/", "");
    let compare = |file: &str| {
        project
            .shakedown()
            .args(["baseline", "compare", file, "--env", "test"])
            .run()
    };
    compare("missing.json")
        .expect_code(1)
        .expect_no_panic()
        .expect_stdout("cannot read the baseline `")
        .expect_stdout("shakedown baseline record --env ENV --out FILE");
    project.file("text.json", "not json");
    compare("text.json")
        .expect_code(1)
        .expect_stdout("text.json` cannot be used: it is not JSON");
    project.file("old.json", r#"{"version": 0, "hosts": {}}"#);
    compare("old.json")
        .expect_code(1)
        .expect_stdout("it is of version 0");
    project.file(
        "other.json",
        r#"{"version": 1, "recorded_at": "", "environment": "test", "shakedown": "0", "hosts": {"web9": {}}}"#,
    );
    compare("other.json")
        .expect_code(1)
        .expect_stdout("has no section for this machine");

    let bad = Project::new(
        "http://127.0.0.1:9/",
        "[baseline]\nignore = [\"port:8082\", \"daemon:cron\"]\n",
    );
    let outcome = bad
        .shakedown()
        .args(["baseline", "compare", "baseline.json", "--env", "test"])
        .run();
    outcome
        .expect_code(2)
        .expect_stderr("shakedown.toml:4:")
        .expect_stderr("`baseline.ignore`: `daemon` is not a kind of thing the baseline records");
}

#[test]
fn a_monitoring_check_that_was_ok_and_is_critical_now_is_a_regression() {
    let plugin = Path::new("/usr/lib/nagios/plugins/check_tcp");
    assert!(
        plugin.exists(),
        "install Debian's `monitoring-plugins` (ci/test does)"
    );
    let _machine = MACHINE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let (listener, port) = fixed_port_listener();
    let project = Project::new(
        "http://127.0.0.1:9/",
        "[baseline]\ncrontabs = []\nuser_crontab = false\n",
    );
    let check = format!("{} -H 127.0.0.1 -p {port}", plugin.display());
    project.file(
        "features/monitoring.feature",
        &format!(
            "Feature: The checks\n  Scenario: tcp\n    Then the Nagios check \"{check}\" should be OK\n"
        ),
    );
    project
        .shakedown()
        .args(["baseline", "record", "--env", "test", "--out", "baseline.json"])
        .run()
        .expect_code(0)
        .expect_stdout("1 Nagios checks");
    drop(listener);
    project
        .shakedown()
        .args(["baseline", "compare", "baseline.json", "--env", "test"])
        .run()
        .expect_code(1)
        .expect_stdout(&format!(
            "the Nagios check `{check}` was OK before the deployment and is CRITICAL now"
        ));
}

#[test]
fn a_baseline_plugin_never_sees_a_role_password_in_its_environment() {
    let _machine = MACHINE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let project = Project::new(
        "http://127.0.0.1:9/",
        "[baseline]\ncrontabs = []\nuser_crontab = false\n\n\
         [roles.clerk]\nusername = \"clerk\"\npassword_env = \"BASELINE_CLERK_PASSWORD\"\n",
    );
    // CRITICAL when the role's password reaches it: recorded and compared like any check.
    let plugin = project.file(
        "plugins/check_blind",
        "#!/bin/sh\nif [ -n \"${BASELINE_CLERK_PASSWORD+set}\" ]; then\n  \
         echo 'CRITICAL - a role password is in my environment'\n  exit 2\nfi\necho 'OK - blind'\n",
    );
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    project.file(
        "features/monitoring.feature",
        "Feature: The checks\n  Scenario: blind\n    Then the Nagios check \"./plugins/check_blind\" should be OK\n",
    );
    project
        .shakedown()
        .env("BASELINE_CLERK_PASSWORD", "sesame-baseline")
        .args(["baseline", "record", "--env", "test", "--out", "baseline.json"])
        .run()
        .expect_code(0);
    let recorded = std::fs::read_to_string(project.path().join("baseline.json")).expect("written");
    assert!(
        recorded.contains("\"./plugins/check_blind\": \"OK\""),
        "the recording plugin saw the password:\n{recorded}"
    );
    // The comparing plugin is the step's: blind too, so the check has not regressed.
    let compared = project
        .shakedown()
        .env("BASELINE_CLERK_PASSWORD", "sesame-baseline")
        .args(["baseline", "compare", "baseline.json", "--env", "test"])
        .run();
    assert!(
        !compared.stdout.contains("check_blind"),
        "the comparing plugin saw the password:\n{}",
        compared.stdout
    );
}

/// The demo's access matrix, as a team's features hold it.
const ACCESS_MATRIX: &str = r#"Feature: Access
  Scenario: matrix
    Then the access matrix should hold:
      | path        | anonymous | viewer  | clerk   | admin   |
      | /dashboard/ | login     | allowed | allowed | allowed |
      | /reports/   | login     | denied  | allowed | allowed |
"#;

/// `baseline record` of `project` with the demo's passwords, which must pass: how it went, and
/// the baseline it wrote.
fn record_with_demo_passwords(project: &Project) -> (Outcome, String) {
    let outcome = project
        .shakedown()
        .demo_passwords()
        .args(["baseline", "record", "--env", "test", "--out", "baseline.json"])
        .run();
    outcome.expect_code(0);
    let recorded = std::fs::read_to_string(project.path().join("baseline.json")).expect("written");
    (outcome, recorded)
}

/// A project on `site` with the demo's roles and matrix. This machine's own facts are recorded
/// and compared too: the other tests' shells, which come and go, are ignored, and
/// `extra_ignore` besides.
fn access_project(site: &DemoSite, extra_ignore: &str) -> Project {
    let project = Project::new(
        &site.url,
        &format!(
            "{DEMO_ROLES}\n[baseline]\nignore = [\"process:bash\", \"process:sh\"{extra_ignore}]\nuser_crontab = false\n"
        ),
    );
    project.file("features/matrix.feature", ACCESS_MATRIX);
    project
}

fn compare_on(project: &Project, file: &str) -> crate::support::Outcome {
    project
        .shakedown()
        .demo_passwords()
        .args(["baseline", "compare", file, "--env", "test"])
        .run()
}

#[test]
fn a_page_opened_to_the_wrong_role_is_access_gained_since_the_baseline() {
    let _machine = MACHINE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let healthy = DemoSite::start(&[]);
    let before = access_project(&healthy, "");
    let (outcome, recorded) = record_with_demo_passwords(&before);
    outcome.expect_stdout("who could see what, for every role on");
    compare_on(&before, "baseline.json")
        .expect_code(0)
        .expect_stdout("2 passed, 0 failed");

    let leaking = DemoSite::start(&["role-leak"]);
    let after = access_project(&leaking, "");
    after.file("baseline.json", &recorded);
    compare_on(&after, "baseline.json")
        .expect_code(1)
        .expect_stdout("1 cell(s) of the access matrix regressed since the baseline")
        .expect_stdout("`viewer` can now open /reports/ (was denied)");
    let intended = access_project(&leaking, ", \"access:viewer /reports/\"");
    intended.file("baseline.json", &recorded);
    compare_on(&intended, "baseline.json")
        .expect_code(0)
        .expect_stdout("2 passed, 0 failed");

    // A file recorded before who could see what was recorded still compares the servers.
    let mut older: serde_json::Value = serde_json::from_str(&recorded).expect("JSON");
    older
        .as_object_mut()
        .expect("an object")
        .remove("access")
        .expect("the access matrix was recorded");
    after.file("older.json", &older.to_string());
    compare_on(&after, "older.json")
        .expect_code(0)
        .expect_stdout("1 passed, 0 failed");
}

#[test]
fn the_access_baseline_phrase_alone_logs_in_every_role_it_compares() {
    let _machine = MACHINE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let healthy = DemoSite::start(&[]);
    let before = access_project(&healthy, "");
    let (_, recorded) = record_with_demo_passwords(&before);
    // The feature names no role: only the phrase tells which passwords the run must read.
    let only_the_phrase = r#"Feature: After the deployment
  Scenario: who could see what
    Then nobody should have gained access since the baseline "baseline.json"
"#;
    let run_on = |site: &DemoSite| {
        let project = Project::new(&site.url, DEMO_ROLES);
        project.file("baseline.json", &recorded);
        project.file("features/access.feature", only_the_phrase);
        project.shakedown().demo_passwords().args(["run"]).run()
    };
    run_on(&healthy).expect_code(0).expect_stdout("1 passed");
    let leaking = DemoSite::start(&["role-leak"]);
    run_on(&leaking)
        .expect_code(1)
        .expect_stdout("`viewer` can now open /reports/ (was denied)");
}

#[test]
fn a_page_only_a_roles_crawl_reaches_is_recorded_and_a_role_gaining_it_is_reported() {
    let _machine = MACHINE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // The matrix names the dashboard only: the reports page is found by crawling as a clerk.
    let dashboard_only = r#"Feature: Access
  Scenario: matrix
    Then the access matrix should hold:
      | path        | anonymous | viewer  | clerk   |
      | /dashboard/ | login     | allowed | allowed |
"#;
    let healthy = DemoSite::start(&[]);
    let before = access_project(&healthy, "");
    before.file("features/matrix.feature", dashboard_only);
    let (_, recorded) = record_with_demo_passwords(&before);
    let leaking = DemoSite::start(&["role-leak"]);
    let after = access_project(&leaking, "");
    after.file("features/matrix.feature", dashboard_only);
    after.file("baseline.json", &recorded);
    compare_on(&after, "baseline.json")
        .expect_code(1)
        .expect_stdout("`viewer` can now open /reports/ (was denied)");
}
