//! Browser steps in a real headless Chromium, through the real chromedriver, against the real
//! demo site: every phrase on the healthy site, the admin-link fault caught with a screenshot
//! the reports point at, a page that never loads failing on time, the one message when no
//! driver is installed, and no chromedriver or Chromium left behind by a passing, a failing or
//! an interrupted run.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{DEMO_ROLES, DemoSite, Project, validate_junit};
use shakedown_testkit::processes::send;

/// The demo roles, and two browser sessions as the issue's tests keep them.
fn config() -> String {
    format!("{DEMO_ROLES}\n[browser]\nsessions = 2\n")
}

const HEALTHY: &str = r#"Feature: Ledger in the browser
  Scenario: The home page
    Given I am not logged in
    When I visit "/"
    Then I should see "Welcome to Ledger"
    And I should not see "Lorem ipsum"
    And the page title should contain "Ledger"
    And I should see an element matching "header a[href='/']"
    And the browser console should show no errors

  Scenario: An administrator logs in through the form by hand
    When I visit "/"
    And I click "Log in"
    Then I should be on "/accounts/login/"
    When I fill in "Username" with "admin"
    And I fill in "password" with "admin-demo-pass"
    And I press "Log in"
    Then I should be on "/dashboard/"
    And I should see "Signed in as admin"
    And I should see "Admin"

  Scenario: A clerk's browser reuses the clerk's login
    Given I am logged in as "clerk"
    When I visit "/dashboard/"
    And I click "Reports"
    Then I should be on "/reports/"
    And the page title should contain "Monthly reports"
    And I should see an element matching "table tbody tr"

  Scenario: Another clerk scenario, the same login
    Given I am logged in as "clerk"
    When I visit "/reports/"
    Then I should see "March"
    Given I am not logged in
    When I visit "/reports/"
    Then I should be on "/accounts/login/"
"#;

const FAULTY: &str = r#"Feature: Ledger in the browser, with mistakes
  Scenario: A viewer's dashboard hides the admin link
    Given I am logged in as "viewer"
    When I visit "/dashboard/"
    Then I should see "Signed in as viewer"
    But I should not see "Admin"

  Scenario: A page with a script error
    When I visit "data:text/html,<title>Broken</title><script>console.error('boom from the page')</script><p>hi</p>"
    Then I should see "hi"
    And the browser console should show no errors

  Scenario: A hung page
    When I visit "/api/health"

  Scenario: A missing link
    When I visit "/"
    And I click "Sign up"
"#;

/// A value only this test's shakedown (and what it starts) carries in its environment, so
/// its processes can be told from any other test's.
fn marker(test: &str) -> String {
    format!("{test}-{}", std::process::id())
}

const MARKER_VARIABLE: &str = "SHAKEDOWN_TEST_RUN";

/// Processes named like chromedriver or Chromium whose environment carries `marker`.
fn browsers_of(marker: &str) -> Vec<String> {
    let needle = format!("{MARKER_VARIABLE}={marker}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .chars()
                .all(|c| c.is_ascii_digit())
        })
        .filter_map(|entry| {
            let comm = std::fs::read_to_string(entry.path().join("comm")).ok()?;
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            let carries = environ
                .split(|byte| *byte == 0)
                .any(|variable| variable == needle.as_bytes());
            (comm.contains("chrom") && carries)
                .then(|| format!("{} {}", entry.file_name().to_string_lossy(), comm.trim()))
        })
        .collect()
}

/// Browser runs take turns: on two cores, several Chromiums starting at once make a page load
/// slower than the short step timeouts these tests use, and the tests would time out, not fail.
static ONE_BROWSER_RUN_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub(crate) fn browser_turn() -> std::sync::MutexGuard<'static, ()> {
    ONE_BROWSER_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// No chromedriver or Chromium of this run is alive (a killed process takes a moment to go).
#[track_caller]
fn assert_no_browsers_left(marker: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = browsers_of(marker);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "browser processes outlived the run: {left:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn every_phrase_passes_on_the_healthy_site_with_one_login_per_role_and_nothing_left_running() {
    let _turn = browser_turn();
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, &config());
    project.file("features/browser.feature", HEALTHY);
    let marker = marker("healthy");
    let outcome = project
        .shakedown()
        .demo_passwords()
        .env(MARKER_VARIABLE, &marker)
        .args(["run"])
        .run();
    outcome.expect_code(0).expect_stdout("4 passed, 0 failed");
    assert_eq!(
        site.stats()["logins"],
        serde_json::json!({"admin": 1, "clerk": 1}),
        "the clerk's browser reused the one HTTP login; the admin typed theirs"
    );
    assert!(
        !project.path().join("shakedown-reports").exists(),
        "a passing run leaves no screenshots"
    );
    assert_no_browsers_left(&marker);
}

#[test]
fn failing_browser_steps_leave_a_screenshot_that_both_reports_point_at() {
    let _turn = browser_turn();
    let site = DemoSite::start(&["admin-link", "hang"]);
    let project = Project::new(
        &site.url,
        // 10 s, not less: a fresh Chromium's first page load on a busy 2-core machine can take
        // several seconds, and the test must tell a hung page from a slow start.
        &format!(
            "{}login_form = true\n[limits]\nstep_timeout = \"10s\"\n",
            config()
        ),
    );
    project.file("features/faulty.feature", FAULTY);
    let report = project.path().join("reports/junit.xml");
    let marker = marker("faulty");
    let outcome = project
        .shakedown()
        .demo_passwords()
        .env(MARKER_VARIABLE, &marker)
        .args(["run", "--junit"])
        .args([&report])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("0 passed, 4 failed")
        .expect_stdout("the page shows \"Admin\", which it should not")
        .expect_stdout("title:       Ledger — Dashboard")
        .expect_stdout("the browser console shows 1 error(s)")
        .expect_stdout("boom from the page")
        .expect_stdout("no link or button \"Sign up\" on the page")
        .expect_stdout("on the page:  \"Ledger\", \"Log in\", \"Dashboard\"")
        .expect_stdout("within 10s (`limits.step_timeout`)");
    assert!(
        !outcome.stdout.contains("viewer-demo-pass"),
        "the form login's password shows:\n{}",
        outcome.stdout
    );
    let hung = outcome
        .stdout
        .lines()
        .find(|line| line.contains("faulty.feature:13  A hung page"))
        .expect("the hung page's line");
    let seconds: f64 = hung
        .split(['[', 's'])
        .nth(1)
        .and_then(|time| time.trim().parse().ok())
        .unwrap_or_else(|| panic!("no time in {hung:?}"));
    // The step timeout plus the same 7 s for the failure's evidence (URL, title, screenshot).
    assert!(seconds < 17.0, "the hung page took {seconds}s: {hung}");

    let screenshots = screenshots_named(&outcome.stdout);
    assert_eq!(screenshots.len(), 4, "{}", outcome.stdout);
    let expected_folder = project.path().join("reports/screenshots");
    let junit = std::fs::read_to_string(&report).expect("JUnit written");
    for screenshot in &screenshots {
        assert!(
            screenshot.starts_with(&expected_folder),
            "{}",
            screenshot.display()
        );
        let png = std::fs::read(screenshot).expect("screenshot written");
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is no PNG",
            screenshot.display()
        );
        assert!(
            junit.contains(&format!("[[ATTACHMENT|{}]]", screenshot.display())),
            "the JUnit report does not attach {}:\n{junit}",
            screenshot.display()
        );
    }
    validate_junit(&report);
    assert_no_browsers_left(&marker);
}

/// The absolute screenshot paths a terminal report names.
fn screenshots_named(stdout: &str) -> Vec<PathBuf> {
    stdout
        .lines()
        .filter_map(|line| line.trim().strip_prefix("screenshot:"))
        .map(|path| PathBuf::from(path.trim()))
        .filter(|path| path.is_absolute())
        .collect()
}

#[test]
fn without_a_driver_browser_scenarios_say_what_to_install_and_http_ones_still_run() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file(
        "features/mixed.feature",
        "Feature: Mixed\n  Scenario: in the browser\n    When I visit \"/\"\n\n  Scenario: over HTTP\n    When I request \"/\"\n    Then the response status should be 200\n",
    );
    let empty = tempfile::tempdir().expect("temp dir");
    project
        .shakedown()
        .env("PATH", &empty.path().display().to_string())
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("1 passed, 1 failed")
        .expect_stdout("no browser: `chromedriver` is not on the PATH and no `browser.webdriver_url` is set")
        .expect_stdout("install Chromium and its driver (`apt-get install chromium chromium-driver`), or set `browser.chromedriver`");
    // A monitoring system hears that the check itself could not run, not that the site is down.
    project
        .shakedown()
        .env("PATH", &empty.path().display().to_string())
        .args(["run", "--format", "nagios", "features/mixed.feature"])
        .run()
        .expect_code(3)
        .expect_stdout("SHAKEDOWN UNKNOWN");
}

#[test]
fn ctrl_c_stops_the_run_with_130_and_leaves_no_browser_behind() {
    let _turn = browser_turn();
    let site = DemoSite::start(&["hang"]);
    let project = Project::new(
        &site.url,
        "[limits]\nstep_timeout = \"60s\"\nscenario_timeout = \"120s\"\n",
    );
    project.file(
        "features/hung.feature",
        "Feature: Hung\n  Scenario: waits for a page that never comes\n    When I visit \"/api/health\"\n",
    );
    let marker = marker("interrupted");
    let child = Command::new(env!("CARGO_BIN_EXE_shakedown"))
        .arg("run")
        .current_dir(project.path())
        .env(MARKER_VARIABLE, &marker)
        .env_remove("SHAKEDOWN_ENV")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("shakedown starts");
    wait_for_chromium(&marker, Duration::from_secs(30));
    // Give the visit a moment to reach the hung page, as a person pressing Ctrl-C would.
    std::thread::sleep(Duration::from_millis(500));
    // SIGINT, as Ctrl-C in a terminal sends it.
    send("INT", child.id());
    let output = child.wait_with_output().expect("shakedown ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "stderr:\n{stderr}");
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    assert_no_browsers_left(&marker);
}

fn wait_for_chromium(marker: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    let is_chromium = |process: &String| !process.ends_with(" chromedriver");
    while !browsers_of(marker).iter().any(is_chromium) {
        assert!(Instant::now() < deadline, "no Chromium started within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}
