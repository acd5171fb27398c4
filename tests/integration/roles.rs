//! Roles against the demo site: one login per role per run, the access matrix and its diff, a
//! wrong password explained, and no secret in any byte shakedown writes.

use crate::support::{DEMO_ROLES, DemoSite, Project, Shakedown};

const MATRIX: &str = r#"Feature: Access
  Scenario: matrix
    Then the access matrix should hold:
      | path        | anonymous | viewer  | clerk   | admin   |
      | /dashboard/ | login     | allowed | allowed | allowed |
      | /reports/   | login     | denied  | allowed | allowed |
      | /admin/     | login     | denied  | denied  | allowed |
"#;

fn project(site: &DemoSite) -> Project {
    let project = Project::new(&site.url, DEMO_ROLES);
    project.file("features/matrix.feature", MATRIX);
    project
}

/// The demo passwords, with the viewer's replaced by `viewer`.
fn with_passwords(shakedown: Shakedown, viewer: &str) -> Shakedown {
    shakedown.demo_passwords().env("DEMO_VIEWER_PASSWORD", viewer)
}

#[test]
fn each_role_logs_in_once_per_run_however_many_scenarios_use_it() {
    let site = DemoSite::start(&[]);
    let project = project(&site);
    let scenarios: String = (1..=6)
        .map(|n| {
            format!(
                "  Scenario: clerk {n}\n    Given I am logged in as \"clerk\"\n    When I request \"/reports/\"\n    Then the response should contain \"Monthly reports\"\n"
            )
        })
        .collect();
    project.file(
        "features/clerks.feature",
        &format!("Feature: Clerks\n{scenarios}"),
    );
    with_passwords(project.shakedown(), "viewer-demo-pass")
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("7 passed, 0 failed");
    assert_eq!(
        site.stats()["logins"],
        serde_json::json!({"admin": 1, "clerk": 1, "viewer": 1})
    );
}

#[test]
fn a_role_leak_fails_the_matrix_with_the_whole_diff() {
    let site = DemoSite::start(&["role-leak"]);
    with_passwords(project(&site).shakedown(), "viewer-demo-pass")
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("the access matrix does not hold: 1 of 12 cells differ")
        .expect_stdout("| /reports/   | login     | ✗ allowed (want denied) | allowed | allowed |")
        .expect_stdout("viewer on /reports/: expected denied, saw allowed (200 OK at http://127.0.0.1:");
}

#[test]
fn a_wrong_password_is_explained_without_showing_it() {
    let site = DemoSite::start(&[]);
    let project = project(&site);
    project.file(
        "features/viewer.feature",
        "Feature: Viewer\n  Scenario: viewer logs in\n    Given I am logged in as \"viewer\"\n    When I request \"/dashboard/\"\n",
    );
    let outcome = with_passwords(project.shakedown(), "not-the-viewer-password")
        .args(["run"])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("login as `viewer` (user `viewer`) failed: the site showed the login page again")
        .expect_stdout("Please enter a correct username and password")
        .expect_stdout("hint:     check the username and the password source of `[roles.viewer]`");
    assert!(
        !outcome.stdout.contains("not-the-viewer-password")
            && !outcome.stderr.contains("not-the-viewer-password")
    );
    assert_eq!(
        site.stats()["logins"],
        serde_json::json!({"admin": 1, "clerk": 1}),
        "viewer tried once"
    );
}

#[test]
fn no_secret_appears_in_any_output_or_report() {
    let site = DemoSite::start(&[]);
    let project = project(&site);
    // A wrong viewer password that is also text on the home page: a failure quoting the page
    // would print it, unless the redactor masks it.
    let viewer_password = "Welcome to Ledger";
    project.file(
        "features/leaky.feature",
        "Feature: Leaky\n  Scenario: a failure quoting a page\n    Then \"clerk\" should see \"no such text\" on \"/\"\n\n  Scenario: a failure quoting the clerk's reports\n    Then \"clerk\" should not see \"Monthly\" on \"/reports/\"\n",
    );
    let report = project.path().join("reports/junit.xml");
    let outcome = with_passwords(project.shakedown(), viewer_password)
        .args(["run", "--junit"])
        .args([&report])
        .run();
    outcome.expect_code(1).expect_stdout("[redacted]");
    let junit = std::fs::read_to_string(&report).expect("report written");
    for (name, output) in [
        ("stdout", &outcome.stdout),
        ("stderr", &outcome.stderr),
        ("junit", &junit),
    ] {
        for secret in [viewer_password, "admin-demo-pass", "clerk-demo-pass"] {
            assert!(
                !output.contains(secret),
                "{name} shows the secret {secret:?}:\n{output}"
            );
        }
    }
}

#[test]
fn a_password_that_cannot_be_read_names_the_role_and_its_source() {
    let site = DemoSite::start(&[]);
    let project = Project::new(
        &site.url,
        "[login]\npath = \"/accounts/login/\"\n[roles.clerk]\nusername = \"clerk\"\npassword_command = \"exit 3\"\n",
    );
    project.file(
        "features/clerk.feature",
        "Feature: Clerk\n  Scenario: clerk\n    Given I am logged in as \"clerk\"\n",
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("the password of role `clerk` could not be read: the command failed")
        .expect_stdout("source:  password_command = \"exit 3\"");
}

#[test]
fn every_spelling_of_a_password_is_masked_in_every_output() {
    let site = DemoSite::start(&[]);
    let project = project(&site);
    // A wrong viewer password with every character an encoder changes, and a base URL that
    // carries a password of its own.
    let viewer_password = r#"Tom & "Jerry" <3 100%"#;
    let base_url = site.url.replace("http://", "http://deploy:url-secret%20pw@");
    let spellings = [
        viewer_password,
        "Tom &amp; &quot;Jerry&quot; &lt;3 100%",
        "Tom &amp; &#34;Jerry&#34; &lt;3 100%",
        r#"Tom & \"Jerry\" <3 100%"#,
        r#"Tom \u0026 \"Jerry\" \u003c3 100%"#,
        r#"Tom\ \&\ \"Jerry\"\ \<3\ 100%"#,
        "Tom+%26+%22Jerry%22+%3C3+100%25",
        "Tom%20%26%20%22Jerry%22%20%3C3%20100%25",
        "dmlld2VyOlRvbSAmICJKZXJyeSIgPDMgMTAwJQ==",
        "url-secret pw",
        "url-secret%20pw",
        "ZGVwbG95OnVybC1zZWNyZXQgcHc=",
    ];
    // A command prints every spelling, and a failing check on its output quotes them all.
    project.file("spellings.txt", &(spellings.join("\n") + "\n"));
    project.file(
        "features/spellings.feature",
        r#"Feature: Spellings
  Scenario: the viewer logs in with a wrong password
    Given I am logged in as "viewer"

  Scenario: a command prints the password in every spelling
    When the command "cat spellings.txt" should succeed
    Then its output should contain "no such line"
"#,
    );
    let report = project.path().join("reports/junit.xml");
    let outcome = with_passwords(project.shakedown(), viewer_password)
        .args(["run", "--base-url", &base_url, "--junit"])
        .args([&report])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("login as `viewer` (user `viewer`) failed")
        .expect_stdout(&site.url.replace("http://", "http://deploy:***@"));
    assert!(
        outcome.stdout.matches("[redacted]").count() >= spellings.len(),
        "every spelling is quoted, masked:\n{}",
        outcome.stdout
    );
    let junit = std::fs::read_to_string(&report).expect("report written");
    for (name, output) in [
        ("stdout", &outcome.stdout),
        ("stderr", &outcome.stderr),
        ("junit", &junit),
    ] {
        for spelling in spellings {
            assert!(
                !output.contains(spelling),
                "{name} shows the spelling {spelling:?}:\n{output}"
            );
        }
    }
}
