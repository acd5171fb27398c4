//! `init --from-selenium-ide`: Selenium IDE's own example projects and a recording made against
//! the demo site become browser features in shakedown's phrases that `check` accepts; what the
//! phrases cannot say stays a comment at its place with the reason; a typed password becomes a
//! role and is written nowhere; and the recording passes on the healthy demo and fails on a fault.

use std::path::{Path, PathBuf};

use crate::browser::browser_turn;
use crate::support::{DEMO_ROLES, DemoSite, Project};

fn recorded(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/selenium-ide")
        .join(name)
}

/// The password the recording typed: it must never reach a file or the terminal.
const TYPED_PASSWORD: &str = "typed-in-the-recording-9f3b";

#[test]
fn selenium_ides_example_projects_become_features_that_check_accepts_with_each_untranslated_command_said() {
    let project = Project::new("http://127.0.0.1:9", "");
    let outcome = project
        .shakedown()
        .args([
            std::ffi::OsStr::new("init"),
            std::ffi::OsStr::new("--from-selenium-ide"),
            recorded("check-examples.side").as_os_str(),
            std::ffi::OsStr::new("--from-selenium-ide"),
            recorded("text-comparison.side").as_os_str(),
        ])
        .run();
    outcome.expect_code(0);
    outcome
        .expect_stdout("wrote features/selenium/check-examples.feature, 8 command(s) left as comments")
        .expect_stdout("not translated: check-examples: `check id=f`: no phrase ticks or clears a checkbox")
        .expect_stdout("wrote features/selenium/text-comparison.feature, 2 command(s) left as comments");
    let text = std::fs::read_to_string(project.path().join("features/selenium/text-comparison.feature"))
        .expect("the feature");
    assert!(
        text.contains(
            "  Scenario: text comparison\n    When I visit \"/popup/alert.html\"\n    Then I should see \"show alert\"\n    Then I should see \"show alert\"\n    # not translated: `assertNotText id=b`: no phrase does what `assertNotText` does\n"
        ),
        "{text}"
    );
    project.shakedown().args(["check"]).run().expect_code(0);
}

#[test]
fn a_recording_against_the_demo_logs_in_as_a_role_passes_on_the_healthy_site_and_fails_on_a_fault() {
    let _turn = browser_turn();
    for (faults, code) in [(&[][..], 0), (&["debug-page"][..], 1)] {
        let site = DemoSite::start(faults);
        let project = Project::new(&site.url, &format!("{DEMO_ROLES}\n[browser]\nsessions = 1\n"));
        let init = project
            .shakedown()
            .args([
                std::ffi::OsStr::new("init"),
                std::ffi::OsStr::new("--from-selenium-ide"),
                recorded("ledger-login.side").as_os_str(),
            ])
            .run();
        init.expect_code(0)
            .expect_stdout("the recordings log in as `clerk`")
            .expect_stdout("not translated: Clerk opens the monthly reports: `select id=month`: no phrase chooses an option of a list");
        let feature = std::fs::read_to_string(
            project
                .path()
                .join("features/selenium/clerk-opens-the-monthly-reports.feature"),
        )
        .expect("the feature");
        assert!(
            feature.contains(
                "    Given I am logged in as \"clerk\"\n    When I visit \"/dashboard/\"\n    When I click \"Reports\"\n"
            ),
            "{feature}"
        );
        assert!(!feature.contains(TYPED_PASSWORD) && !init.stdout.contains(TYPED_PASSWORD));
        project.shakedown().args(["check"]).run().expect_code(0);
        let run = project.shakedown().demo_passwords().args(["run"]).run();
        run.expect_code(code);
        assert!(!run.stdout.contains(TYPED_PASSWORD));
    }
}

#[test]
fn init_writes_the_role_a_recording_logs_in_as_into_the_configuration_it_creates() {
    let folder = tempfile::tempdir().expect("temp dir");
    let init = crate::support::Shakedown::new()
        .current_dir(folder.path())
        .args([
            std::ffi::OsStr::new("init"),
            std::ffi::OsStr::new("--from-selenium-ide"),
            recorded("ledger-login.side").as_os_str(),
        ])
        .run();
    init.expect_code(0)
        .expect_stdout("wrote shakedown.toml")
        .expect_stdout(
            "the recordings log in as `clerk`: shakedown.toml names the variable its password is read from",
        );
    let config = std::fs::read_to_string(folder.path().join("shakedown.toml")).expect("the configuration");
    assert!(
        config.contains("[login]\npath = \"/accounts/login/\"\n")
            && config.contains(
                "[roles.clerk]\nusername = \"clerk\"\npassword_env = \"SHAKEDOWN_CLERK_PASSWORD\"\n"
            ),
        "{config}"
    );
    assert!(!config.contains(TYPED_PASSWORD) && !init.stdout.contains(TYPED_PASSWORD));
    crate::support::Shakedown::new()
        .current_dir(folder.path())
        .args(["check"])
        .run()
        .expect_code(0);
}
