//! A rolling deployment seen through the demo site: two instances as the two backends of an
//! `@on:web` group, one still serving the old release. A wait for `${release}` passes once the
//! lagging one is switched to it, and fails naming that backend, what it served and what was
//! expected when it never is.

use std::time::{Duration, Instant};

use indoc::formatdoc;

use crate::support::{DemoSite, Outcome, Project};

const NEW: &str = "2026.12.1";
const OLD: &str = "2026.11.2";

/// A project whose `web` group is `web1` and `web2`, each with its own `base_url`, and one
/// scenario that waits up to `within` seconds for every backend to report `${release}`.
fn rollout(web1: &DemoSite, web2: &DemoSite, within: u64) -> Project {
    let project = Project::with_web_backends(&web1.url, &web2.url);
    project.file(
        "features/release.feature",
        &formatdoc! {r#"
            Feature: The release
              @on:web
              Scenario: every backend serves the release
                When I request "/version"
                Then within {within} seconds the response JSON at "$.version" should be "${{release}}"
        "#},
    );
    project
}

fn run_expecting_release(project: &Project) -> Outcome {
    let release = format!("release={NEW}");
    project.shakedown().args(["run", "--var", release.as_str()]).run()
}

/// The result line of the scenario on `host`.
fn result_on<'a>(outcome: &'a Outcome, host: &str) -> &'a str {
    let tag = format!("[{host}]");
    outcome
        .stdout
        .lines()
        .find(|line| line.ends_with(&tag))
        .unwrap_or_else(|| panic!("no result for {host}:\n{}", outcome.stdout))
}

#[test]
fn a_backend_that_catches_up_during_the_wait_passes_and_the_run_says_how_long_it_waited() {
    let web1 = DemoSite::serving_release(NEW);
    let web2 = DemoSite::serving_release(OLD);
    let project = rollout(&web1, &web2, 10);
    let switch_after = Duration::from_secs(2);
    let started = Instant::now();
    let outcome = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(switch_after);
            web2.switch_release(NEW);
        });
        run_expecting_release(&project)
    });
    let took = started.elapsed();
    outcome.expect_code(0).expect_stdout("2 passed");
    for host in ["web1", "web2"] {
        let result = result_on(&outcome, host);
        assert!(result.contains("PASS"), "{result}\n{}", outcome.stdout);
    }
    let waited_longest = outcome
        .stdout
        .lines()
        .filter_map(|line| line.split_once("for the check to pass ("))
        .filter_map(|(_, attempts)| attempts.split_once(" attempt(s)"))
        .filter_map(|(attempts, _)| attempts.parse::<u32>().ok())
        .max();
    assert!(
        waited_longest.is_some_and(|attempts| attempts > 1),
        "no note of a wait over several attempts:\n{}",
        outcome.stdout
    );
    assert!(
        took >= switch_after,
        "passed after {took:?}, before web2 was switched"
    );
}

#[test]
fn a_backend_that_never_catches_up_fails_naming_it_what_it_served_and_what_was_expected() {
    let web1 = DemoSite::serving_release(NEW);
    let web2 = DemoSite::serving_release(OLD);
    let project = rollout(&web1, &web2, 3);
    let started = Instant::now();
    let outcome = run_expecting_release(&project);
    let took = started.elapsed();
    outcome
        .expect_code(1)
        .expect_stdout("1 passed")
        .expect_stdout(&format!("{}/version", web2.url))
        .expect_stdout(&format!("is not \"{NEW}\", still after 3"))
        .expect_stdout(OLD);
    assert!(result_on(&outcome, "web1").contains("PASS"), "{}", outcome.stdout);
    assert!(result_on(&outcome, "web2").contains("FAIL"), "{}", outcome.stdout);
    assert!(
        !outcome.stdout.contains(&format!("{}/version", web1.url)),
        "web1 passed, yet its request is shown:\n{}",
        outcome.stdout
    );
    assert!(took >= Duration::from_secs(3), "gave up after {took:?}");
    assert!(took < Duration::from_secs(10), "waited {took:?} for 3 seconds");
}
