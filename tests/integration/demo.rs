//! `shakedown demo`: the bundled suite passes on the healthy site, and each fault switch is
//! caught by the scenario written for it, with a message that names the mistake.

use crate::support::{Shakedown, validate_junit};

/// The faults below are caught over HTTP; leaving the browser scenarios out keeps these runs
/// short on a shared machine (the healthy run and the admin link run them).
const HTTP_ONLY: &str = "not @browser";

fn demo(args: &[&str]) -> (crate::support::Outcome, tempfile::TempDir) {
    let out = tempfile::tempdir().expect("temp dir");
    let outcome = Shakedown::new()
        .args(["demo", "--out"])
        .args([out.path()])
        .args(args)
        .run();
    (outcome, out)
}

/// `shakedown demo` with `fault` on and the browser scenarios left out: asserts that it failed
/// exactly the scenarios `failing` (a feature file's name and a scenario's), each shown as FAIL,
/// and printed each of `messages`.
pub(crate) fn fault_fails_exactly(
    fault: &str,
    failing: &[(&str, &str)],
    messages: &[&str],
) -> crate::support::Outcome {
    let (outcome, _out) = demo(&["--fault", fault, "--tags", HTTP_ONLY]);
    outcome
        .expect_code(1)
        .expect_stdout(&format!(" passed, {} failed", failing.len()));
    for message in messages {
        outcome.expect_stdout(message);
    }
    for (file, scenario) in failing {
        let file = format!("/features/{file}:");
        assert!(
            outcome
                .stdout
                .lines()
                .any(|line| line.contains("FAIL") && line.contains(&file) && line.ends_with(scenario)),
            "`{scenario}` did not fail under `{fault}`:\n{}",
            outcome.stdout
        );
    }
    outcome
}

#[test]
fn the_healthy_demo_site_passes_and_the_junit_report_validates() {
    // The bundled features include the browser's: Chromiums take turns.
    let _turn = crate::browser::browser_turn();
    let (outcome, out) = demo(&[]);
    outcome
        .expect_code(0)
        .expect_stdout("demo site: http://127.0.0.1:")
        .expect_stdout("(healthy)")
        .expect_stdout("passed, 0 failed")
        .expect_stdout("JUnit report: ")
        .expect_stdout("note: checked 35 page(s) reachable from / as anonymous, and 5 asset(s) they load")
        .expect_stdout("private path(s) asked of http://127.0.0.1:")
        .expect_stdout(": none is served");
    let report = out.path().join("junit.xml");
    validate_junit(&report);
    let xml = std::fs::read_to_string(report).expect("report written");
    assert!(
        xml.contains("<testsuite name=\"The public face of the site\""),
        "{xml}"
    );
}

#[test]
fn a_backend_answering_500_is_caught() {
    let (outcome, _out) = demo(&["--fault", "server-error", "--tags", HTTP_ONLY]);
    outcome
        .expect_code(1)
        .expect_stdout("expected status 200, got 500 Internal Server Error")
        .expect_stdout("GET http://127.0.0.1:")
        .expect_stdout("/features/home.feature:11");
}

#[test]
fn a_degraded_health_check_is_caught_by_its_json() {
    let (outcome, _out) = demo(&["--fault", "database-down", "--tags", HTTP_ONLY]);
    outcome
        .expect_code(1)
        .expect_stdout("the response JSON at `$.status` is not \"ok\"")
        .expect_stdout("seen:      degraded")
        .expect_stdout("1 failed");
}

#[test]
fn a_test_string_on_the_home_page_is_caught() {
    let (outcome, _out) = demo(&["--fault", "test-string", "--tags", HTTP_ONLY]);
    outcome
        .expect_code(1)
        .expect_stdout("the response contains \"Lorem ipsum\", which it should not")
        .expect_stdout("TEST please ig");
}

#[test]
fn a_debug_page_is_caught() {
    let (outcome, _out) = demo(&["--fault", "debug-page", "--tags", HTTP_ONLY]);
    outcome
        .expect_code(1)
        // The debug page answers 500, which no step of that scenario expects.
        .expect_stdout("`GET /reports/` answered 500 Internal Server Error; checks that text is absent prove nothing on an error page");
}

#[test]
fn a_hung_endpoint_fails_on_time_and_the_run_goes_on() {
    let (outcome, _out) = demo(&["--fault", "hang", "--step-timeout", "2s", "--tags", HTTP_ONLY]);
    outcome
        .expect_code(1)
        .expect_stdout("no complete answer within 2s (`limits.step_timeout`)")
        .expect_stdout("GET http://127.0.0.1:")
        .expect_stdout(" passed, 2 failed");
    assert!(
        outcome.took.as_secs_f64() < 10.0,
        "the hung endpoint held the run for {:?}",
        outcome.took
    );
}

#[test]
fn a_stopped_cron_job_is_caught_by_its_schedule_and_its_evidence() {
    let _turn = crate::browser::browser_turn();
    let (outcome, _out) = demo(&["--fault", "stale-heartbeat"]);
    outcome
        .expect_code(1)
        .expect_stdout("the job did not run on schedule: due at ")
        .expect_stdout(", evidence last changed at ")
        .expect_stdout("/features/probes.feature:")
        .expect_stdout("ledger /usr/local/bin/ledger-heartbeat")
        .expect_stdout(" passed, 1 failed");
}

#[test]
fn an_unknown_fault_is_refused_with_the_known_ones() {
    let (outcome, _out) = demo(&["--fault", "lorem"]);
    outcome
        .expect_code(2)
        .expect_stderr("unknown fault `lorem`")
        .expect_stderr("test-string")
        .expect_no_panic();
}

#[test]
fn the_reports_open_to_viewers_are_caught_by_the_access_matrix() {
    let (outcome, _out) = demo(&["--fault", "role-leak", "--tags", HTTP_ONLY]);
    outcome
        .expect_code(1)
        .expect_stdout("the access matrix does not hold: 1 of 16 cells differ")
        .expect_stdout("`viewer` can open /reports/, which it should not");
}

#[test]
fn the_admin_link_shown_to_viewers_is_caught() {
    let _turn = crate::browser::browser_turn();
    let (outcome, _out) = demo(&["--fault", "admin-link"]);
    outcome
        .expect_code(1)
        .expect_stdout("`viewer` sees \"Admin\" on /dashboard/, which it should not")
        .expect_stdout("the page shows \"Admin\", which it should not")
        .expect_stdout("/features/browser.feature:14  A viewer's dashboard offers no admin area");
}

#[test]
fn a_folder_of_the_users_is_refused_as_out_and_left_untouched() {
    let out = tempfile::tempdir().expect("temp dir");
    let mine = out.path().join("features/mine.feature");
    std::fs::create_dir_all(mine.parent().expect("a parent")).expect("folders");
    std::fs::write(&mine, "Feature: mine\n").expect("write");
    std::fs::write(out.path().join("shakedown.toml"), "# mine\n").expect("write");
    Shakedown::new()
        .args(["demo", "--out"])
        .args([out.path()])
        .run()
        .expect_code(2)
        .expect_stderr("it holds files `shakedown demo` did not write");
    assert_eq!(std::fs::read_to_string(&mine).expect("kept"), "Feature: mine\n");
    assert_eq!(
        std::fs::read_to_string(out.path().join("shakedown.toml")).expect("kept"),
        "# mine\n"
    );
    let entries = std::fs::read_dir(out.path()).expect("listable").count();
    assert_eq!(entries, 2, "the demo added files to a folder it refused");
}
