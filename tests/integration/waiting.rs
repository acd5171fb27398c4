//! `within N seconds` before any check: against local servers whose answer changes after a
//! delay, the check passes once it does (saying how long it took), fails with the last answer and
//! the time waited when it never does, never repeats a POST, and `check` refuses a wait that is
//! not a whole number of seconds. A browser check looks at the live page again, not reloaded.

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use indoc::formatdoc;

use crate::support::Project;
use crate::support::recording::RecordingServer;

/// A backend that serves release `old` until `lag` has passed, then `new`.
fn backend(old: &'static str, new: &'static str, lag: Duration) -> RecordingServer {
    let started = Instant::now();
    let version = move || async move {
        let serving = if started.elapsed() < lag { old } else { new };
        axum::Json(serde_json::json!({ "version": serving }))
    };
    RecordingServer::start(Router::new().route("/version", get(version).post(version)))
}

fn feature(within: &str, request: &str) -> String {
    formatdoc! {r#"
        Feature: The release
          Scenario: every backend serves the release
            {request}
            Then within {within} seconds the response JSON at "$.version" should be "${{release}}"
    "#}
}

/// A run of one scenario that requests `/version` and waits 2 seconds for release 2026.12.1;
/// its outcome and how long it took.
fn wait_two_seconds_for_the_release(
    site: &RecordingServer,
    config: &str,
) -> (crate::support::Outcome, Duration) {
    let project = Project::new(&site.url, config);
    project.file(
        "features/release.feature",
        &feature("2", r#"When I request "/version""#),
    );
    let started = Instant::now();
    let outcome = project
        .shakedown()
        .args(["run", "--var", "release=2026.12.1"])
        .run();
    (outcome, started.elapsed())
}

#[test]
fn a_check_that_waits_passes_once_the_answer_changes_and_says_how_long_it_took() {
    let site = backend("2026.11.2", "2026.12.1", Duration::from_millis(1200));
    let project = Project::new(&site.url, "");
    project.file(
        "features/release.feature",
        &feature("10", r#"When I request "/version""#),
    );
    let outcome = project
        .shakedown()
        .args(["run", "--var", "release=2026.12.1"])
        .run();
    outcome
        .expect_code(0)
        .expect_stdout("waited ")
        .expect_stdout("for the check to pass");
    let asked = site.request_lines();
    assert!(asked.len() >= 2, "the request was not sent again: {asked:?}");
    assert!(
        asked.iter().all(|line| line.starts_with("GET /version")),
        "{asked:?}"
    );
}

#[test]
fn a_check_that_waits_in_vain_fails_with_the_last_answer_and_the_time_waited() {
    let site = backend("2026.11.2", "2026.12.1", Duration::from_secs(3600));
    let (outcome, took) = wait_two_seconds_for_the_release(&site, "");
    outcome
        .expect_code(1)
        .expect_stdout("is not \"2026.12.1\", still after 2")
        .expect_stdout("2026.11.2")
        .expect_stdout("waited");
    assert!(took >= Duration::from_secs(2), "gave up after {took:?}");
    assert!(took < Duration::from_secs(8), "waited {took:?} for 2 seconds");
}

#[test]
fn a_request_that_hangs_while_a_check_waits_is_cut_when_the_wait_is_over_not_at_the_step_timeout() {
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let version = move || {
        let asked = asked.clone();
        async move {
            // The first answer is the old release; then the backend restarts and never answers.
            if asked.fetch_add(1, std::sync::atomic::Ordering::SeqCst) > 0 {
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
            axum::Json(serde_json::json!({ "version": "2026.11.2" }))
        }
    };
    let site = RecordingServer::start(Router::new().route("/version", get(version)));
    let (outcome, took) = wait_two_seconds_for_the_release(&site, "[limits]\nstep_timeout = \"30s\"\n");
    outcome
        .expect_code(1)
        .expect_stdout("within 2s (`within N seconds`)")
        .expect_stdout("still after 2");
    assert!(took < Duration::from_secs(10), "a 2-second wait took {took:?}");
}

#[test]
fn a_check_after_a_post_fails_at_once_without_sending_it_again() {
    let site = backend("2026.11.2", "2026.12.1", Duration::from_secs(3600));
    let project = Project::new(&site.url, "");
    project.file(
        "features/release.feature",
        &feature("30", r#"When I send a POST request to "/version""#),
    );
    let started = Instant::now();
    project
        .shakedown()
        .args(["run", "--var", "release=2026.12.1"])
        .run()
        .expect_code(1)
        .expect_stdout("shakedown repeats only GET and HEAD requests");
    assert!(started.elapsed() < Duration::from_secs(10), "it waited");
    assert_eq!(site.request_lines().len(), 1, "{:?}", site.request_lines());
}

#[test]
fn a_wait_that_is_not_a_whole_number_of_seconds_is_refused_at_its_line() {
    let project = Project::new("http://127.0.0.1:9", "");
    for within in ["ten", "0"] {
        project.file(
            "features/release.feature",
            &feature(within, r#"When I request "/version""#),
        );
        project
            .shakedown()
            .args(["check", "--var", "release=1"])
            .run()
            .expect_code(2)
            .expect_stderr("features/release.feature:4:")
            .expect_stderr(&format!(
                "`within {within} seconds`: the time to wait is a whole number of seconds"
            ));
    }
}

#[test]
fn every_backend_of_a_group_is_waited_for_and_one_that_never_catches_up_is_named() {
    let catching_up = backend("2026.11.2", "2026.12.1", Duration::from_millis(1500));
    let lagging = backend("2026.11.2", "2026.12.1", Duration::from_secs(3600));
    let project = Project::with_web_backends(&catching_up.url, &lagging.url);
    project.file(
        "features/release.feature",
        &feature("4", r#"When I request "/version""#).replace("  Scenario:", "  @on:web\n  Scenario:"),
    );
    let outcome = project
        .shakedown()
        .args(["run", "--var", "release=2026.12.1"])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("1 passed")
        .expect_stdout("every backend serves the release [web2]")
        .expect_stdout("still after 4")
        .expect_stdout("2026.11.2");
    let web1 = outcome
        .stdout
        .lines()
        .find(|line| line.ends_with("[web1]"))
        .unwrap_or_else(|| panic!("no result for web1:\n{}", outcome.stdout));
    assert!(web1.contains("PASS"), "{web1}\n{}", outcome.stdout);
}

#[test]
fn a_browser_check_that_waits_reads_the_live_page_again_without_loading_it_again() {
    let _turn = crate::browser::browser_turn();
    // The text comes by script 3 s after the page loads: after the first attempt's own 2 s.
    let page = || async {
        axum::response::Html(
            "<html><body><p id=\"state\">loading</p><script>setTimeout(() => { document.getElementById('state').textContent = 'ready'; }, 3000);</script></body></html>",
        )
    };
    let site = RecordingServer::start(Router::new().route("/", get(page)));
    let project = Project::new(&site.url, "[limits]\nstep_timeout = \"2s\"\n");
    project.file(
        "features/live.feature",
        "Feature: Live\n  @browser\n  Scenario: the page's script finishes late\n    When I visit \"/\"\n    Then within 10 seconds I should see \"ready\"\n",
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("for the check to pass (2 attempt(s)");
    let loads: Vec<String> = site
        .request_lines()
        .into_iter()
        .filter(|line| line == "GET /")
        .collect();
    assert_eq!(loads.len(), 1, "the page was loaded again: {loads:?}");
}
