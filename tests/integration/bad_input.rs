//! Bad input (configuration, command line, feature files) gets one clear message and exit
//! code 2, and nothing reaches the server.

use crate::support::{DEMO_ROLES, DemoSite, Outcome, Project, Shakedown};

const HOME: &str =
    "Feature: Home\n  Scenario: home\n    When I request \"/\"\n    Then the response status should be 200\n";

/// Runs `shakedown run ARGS` in a project whose configuration is `config` (with the site's URL
/// in place of `SITE`), and checks that the site saw no request.
fn refused(config: &str, features: &[(&str, &[u8])], args: &[&str]) -> Outcome {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("shakedown.toml", &config.replace("SITE", &site.url));
    for (name, text) in features {
        let path = project.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("folders");
        std::fs::write(path, text).expect("write");
    }
    let outcome = project.shakedown().args(["run"]).args(args).run();
    outcome.expect_code(2).expect_no_panic();
    assert_eq!(
        site.requests(),
        0,
        "bad input still sent requests:\n{}",
        outcome.stdout
    );
    outcome
}

const TWO_ENVIRONMENTS: &str =
    "[environments.staging]\nbase_url = \"SITE\"\n[environments.test]\nbase_url = \"SITE\"\n";

#[test]
fn an_unknown_environment_lists_the_known_ones() {
    refused(
        TWO_ENVIRONMENTS,
        &[("features/home.feature", HOME.as_bytes())],
        &["--env", "prod"],
    )
    .expect_stderr("error: environment `prod` not found in")
    .expect_stderr("(known: staging, test)");
}

#[test]
fn an_ambiguous_environment_asks_for_one() {
    refused(
        TWO_ENVIRONMENTS,
        &[("features/home.feature", HOME.as_bytes())],
        &[],
    )
    .expect_stderr("no environment selected")
    .expect_stderr("hint: pass `--env NAME` or set SHAKEDOWN_ENV");
}

#[test]
fn a_missing_configuration_says_where_it_looked() {
    let folder = tempfile::tempdir().expect("temp dir");
    Shakedown::new()
        .current_dir(folder.path())
        .args(["run"])
        .run()
        .expect_code(2)
        .expect_stderr("error: no `shakedown.toml` found in")
        .expect_no_panic();
}

#[test]
fn malformed_toml_names_file_line_and_column() {
    refused(
        "[environments.test]\nbase_url = \"SITE\"\nread_only = yes\n",
        &[("features/home.feature", HOME.as_bytes())],
        &[],
    )
    .expect_stderr("shakedown.toml:3:13: ");
}

#[test]
fn a_misspelt_key_gets_a_suggestion() {
    refused(
        "[environments.test]\nbase_url = \"SITE\"\nread_onyl = true\n",
        &[("features/home.feature", HOME.as_bytes())],
        &[],
    )
    .expect_stderr("shakedown.toml:3:1: unknown key `read_onyl`")
    .expect_stderr("hint: did you mean `read_only`?");
}

#[test]
fn a_bad_duration_names_its_key() {
    refused(
        "[environments.test]\nbase_url = \"SITE\"\n[limits]\nstep_timeout = \"fast\"\n",
        &[("features/home.feature", HOME.as_bytes())],
        &[],
    )
    .expect_stderr("shakedown.toml:4:16: `limits.step_timeout`: `fast` is not a duration");
}

#[test]
fn a_bad_tag_expression_is_explained() {
    refused(
        "[environments.test]\nbase_url = \"SITE\"\n",
        &[("features/home.feature", HOME.as_bytes())],
        &["--tags", "@a and"],
    )
    .expect_stderr("error: `@a and` is not a tag expression")
    .expect_stderr("hint: tags combine with `and`, `or`, `not`");
}

#[test]
fn a_tag_expression_nested_beyond_reason_is_refused_without_a_crash() {
    let deep = format!("{}@a{}", "(".repeat(30_000), ")".repeat(30_000));
    let nots = format!("{}@a", "not ".repeat(20_000));
    for expression in [deep, nots] {
        refused(
            "[environments.test]\nbase_url = \"SITE\"\n",
            &[("features/home.feature", HOME.as_bytes())],
            &["--tags", &expression],
        )
        .expect_stderr("operators and parentheses; at most 256 are read")
        .expect_no_panic();
    }
}

#[test]
fn retries_beyond_the_bound_are_refused_before_anything_runs() {
    refused(
        "[environments.test]\nbase_url = \"SITE\"\n",
        &[("features/home.feature", HOME.as_bytes())],
        &["--retries", "4294967295"],
    )
    .expect_stderr("--retries")
    .expect_no_panic();
    refused_by_check_and_run(
        "[environments.test]\nbase_url = \"SITE\"\n",
        &[(
            "features/flaky.feature",
            "Feature: Flaky\n  @retry(99999999999)\n  Scenario: forever\n    When I request \"/\"\n",
        )],
        "`@retry(99999999999)` asks for 99999999999 retries; at most 10 are run",
    );
}

#[test]
fn check_finds_a_matrix_without_a_path_column_and_an_outline_without_examples() {
    refused_by_check_and_run(
        "[environments.test]\nbase_url = \"SITE\"\n",
        &[(
            "features/matrix.feature",
            "Feature: M\n  Scenario: m\n    Then the access matrix should hold:\n      | page | anonymous |\n      | /    | allowed   |\n",
        )],
        "features/matrix.feature:4: | page | anonymous |\n      the access matrix's first row must be `| path | <role> | <role> ... |`",
    );
    refused_by_check_and_run(
        "[environments.test]\nbase_url = \"SITE\"\n",
        &[(
            "features/outline.feature",
            "Feature: O\n  Scenario Outline: pages\n    When I request \"<page>\"\n",
        )],
        "features/outline.feature:2: Scenario Outline: pages\n      the outline has no `Examples:` table",
    );
}

#[test]
fn a_path_that_does_not_exist_is_named() {
    refused(
        "[environments.test]\nbase_url = \"SITE\"\n",
        &[("features/home.feature", HOME.as_bytes())],
        &["nope.feature"],
    )
    .expect_stderr("error: `nope.feature` does not exist");
}

#[test]
fn a_feature_that_is_not_utf8_is_named_with_its_line() {
    refused(
        "[environments.test]\nbase_url = \"SITE\"\n",
        &[("features/latin1.feature", b"Feature: Caf\xe9\n")],
        &[],
    )
    .expect_stderr(
        "error: `features/latin1.feature` is not UTF-8 text (first bad byte at line 1, column 13)",
    );
}

#[test]
fn a_gherkin_syntax_error_names_file_line_and_column() {
    refused(
        "[environments.test]\nbase_url = \"SITE\"\n",
        &[(
            "features/broken.feature",
            b"Feature: Broken\n  Scenario: s\n    When I request \"/\"\n  This line is no step\n",
        )],
        &[],
    )
    .expect_stderr("error: features/broken.feature:4:");
}

#[test]
fn an_undefined_step_stops_the_run_before_it_starts() {
    refused(
        "[environments.test]\nbase_url = \"SITE\"\n",
        &[("features/typo.feature", b"Feature: Typo\n  Scenario: s\n    When I request \"/\"\n    Then the response stauts should be 200\n")],
        &[],
    )
    .expect_stderr("features/typo.feature:4: Then the response stauts should be 200")
    .expect_stderr("did you mean `the response status should be {int}`?");
}

#[test]
fn a_bad_base_url_override_is_refused() {
    refused(
        "[environments.test]\nbase_url = \"SITE\"\n",
        &[("features/home.feature", HOME.as_bytes())],
        &["--base-url", "localhost"],
    )
    .expect_stderr("invalid value `localhost` for --base-url");
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    Shakedown::new()
        .args(["run", "--junti", "x.xml"])
        .run()
        .expect_code(2)
        .expect_stderr("--junti")
        .expect_no_panic();
}

/// Runs `shakedown check` and `shakedown run` in the same project; both must refuse it with exit
/// 2 and `message`, and the run must send no request. Returns the run's outcome.
fn refused_by_check_and_run(config: &str, features: &[(&str, &str)], message: &str) -> Outcome {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("shakedown.toml", &config.replace("SITE", &site.url));
    for (name, text) in features {
        project.file(name, text);
    }
    project
        .shakedown()
        .args(["check"])
        .run()
        .expect_code(2)
        .expect_stderr(message)
        .expect_no_panic();
    let outcome = project.shakedown().args(["run"]).run();
    outcome.expect_code(2).expect_stderr(message).expect_no_panic();
    assert_eq!(
        site.requests(),
        0,
        "bad input still sent requests:\n{}",
        outcome.stdout
    );
    outcome
}

const ONE_ENVIRONMENT: &str = "[environments.test]\nbase_url = \"SITE\"\n";

fn with_demo_roles() -> String {
    format!("{ONE_ENVIRONMENT}{DEMO_ROLES}")
}

#[test]
fn a_role_nobody_configured_is_named_where_each_step_uses_it() {
    let feature = r#"Feature: Roles
  Scenario: an auditor logs in
    Given I am logged in as "auditor"

  Scenario: an auditor looks
    Then "auditer" should see "Ledger" on "/"

  Scenario: an auditor in the matrix
    Then the access matrix should hold:
      | path | clerk   | auditor |
      | /    | allowed | allowed |

  Scenario: an auditor in every other phrase that names a role
    Then the role "auditor" should have access to "/"
    And the role "auditor" should not have access to "/admin/"
    And "auditor" should not see "Admin" on "/"
"#;
    refused_by_check_and_run(
        &with_demo_roles(),
        &[("features/roles.feature", feature)],
        "6 problem(s)",
    )
    .expect_stderr("features/roles.feature:3: Given I am logged in as \"auditor\"")
    .expect_stderr("there is no role `auditor` in shakedown.toml (known: anonymous, admin, clerk, viewer)")
    .expect_stderr("features/roles.feature:6: Then \"auditer\" should see \"Ledger\" on \"/\"")
    .expect_stderr("features/roles.feature:10: | path | clerk | auditor |")
    .expect_stderr("features/roles.feature:14: Then the role \"auditor\" should have access to \"/\"")
    .expect_stderr(
        "features/roles.feature:15: And the role \"auditor\" should not have access to \"/admin/\"",
    )
    .expect_stderr("features/roles.feature:16: And \"auditor\" should not see \"Admin\" on \"/\"");
}

#[test]
fn a_role_without_a_login_section_is_refused() {
    let config = format!(
        "{ONE_ENVIRONMENT}[roles.clerk]\nusername = \"clerk\"\npassword_env = \"DEMO_CLERK_PASSWORD\"\n"
    );
    let feature = r#"Feature: Clerk
  Scenario: clerk
    Given I am logged in as "clerk"
    When I request "/reports/"
"#;
    refused_by_check_and_run(
        &config,
        &[("features/clerk.feature", feature)],
        "features/clerk.feature:3: Given I am logged in as \"clerk\"",
    )
    .expect_stderr("role `clerk` cannot log in: shakedown.toml has no `[login]` section");
}

#[test]
fn a_matrix_cell_that_is_not_allowed_denied_or_login_is_refused() {
    let feature = r#"Feature: Matrix
  Scenario: matrix
    Then the access matrix should hold:
      | path      | anonymous | clerk   |
      | /         | allowed   | allowed |
      | /reports/ | login     | yes     |
"#;
    refused_by_check_and_run(
        &with_demo_roles(),
        &[("features/matrix.feature", feature)],
        "features/matrix.feature:6: | /reports/ | login | yes |",
    )
    .expect_stderr(
        "the access matrix cell for `clerk` on `/reports/` says `yes`; write allowed, denied or login",
    );
}

#[test]
fn an_examples_row_wider_than_its_header_is_refused_at_its_line() {
    let feature = r#"Feature: Outline
  Scenario Outline: pages
    When I request "<page>"

    Examples:
      | page |
      | /    | /reports/ |
"#;
    refused_by_check_and_run(
        ONE_ENVIRONMENT,
        &[("features/outline.feature", feature)],
        "error: features/outline.feature:7:1: this table row has 2 cell(s), but the table's first row has 1",
    );
}

#[test]
fn a_data_table_row_narrower_than_its_header_is_refused_at_its_line() {
    let feature = r#"Feature: Table
  Scenario: table
    When I request "/"
    Then the page should not contain any of:
      | Lorem | TODO |
      | FIXME |

  Scenario: another
    When I request "/"
"#;
    refused_by_check_and_run(
        ONE_ENVIRONMENT,
        &[("features/table.feature", feature)],
        "error: features/table.feature:6:1: this table row has 1 cell(s), but the table's first row has 2",
    );
}

#[test]
fn a_scenario_outside_a_feature_is_refused() {
    let feature = r#"# no Feature line above the scenario
@smoke
Scenario: home
  When I request "/"
"#;
    refused_by_check_and_run(
        ONE_ENVIRONMENT,
        &[("features/loose.feature", feature)],
        "error: features/loose.feature:3:1: a feature file starts with `Feature: <name>`",
    );
}

#[test]
fn an_empty_feature_file_is_a_warning_and_stops_nothing() {
    // The reference reads a file with no Feature (empty, or only comments) as a document
    // without scenarios.
    let project = Project::new("http://127.0.0.1:9", "");
    project.file(
        "features/home.feature",
        "Feature: Home\n  Scenario: root\n    Then the file \"/\" should exist\n",
    );
    project.file("features/empty.feature", "\n# nothing yet\n");
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stderr("warning: `features/empty.feature` holds no Feature (it is empty or only comments)")
        .expect_stdout("1 scenario(s): 1 passed");
}

#[test]
fn a_gherkin_syntax_error_names_the_line_of_the_problem_not_the_end_of_the_file() {
    let stray = r#"Feature: Stray
  Scenario: first
    When I request "/"
  Scenaro: second
    When I request "/"

  Scenario: third
    When I request "/"
"#;
    refused_by_check_and_run(
        ONE_ENVIRONMENT,
        &[("features/stray.feature", stray)],
        "error: features/stray.feature:4:1: this line does not start with a Gherkin keyword",
    );
    let unclosed = r#"Feature: Unclosed
  Scenario: post
    When I send a POST request to "/api/orders"
      """
      {"item": 1}
    Then the response status should be 201
"#;
    refused_by_check_and_run(
        ONE_ENVIRONMENT,
        &[("features/unclosed.feature", unclosed)],
        "error: features/unclosed.feature:4:1: the file ends inside the doc string opened here",
    );
}

#[test]
fn a_folder_given_as_config_is_refused_by_check_and_run() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("features/home.feature", HOME);
    std::fs::create_dir(project.path().join("conf")).expect("folder");
    for command in ["check", "run"] {
        project
            .shakedown()
            .args([command, "--config", "conf"])
            .run()
            .expect_code(2)
            .expect_stderr("error: `conf` is a folder; `--config` names the configuration file")
            .expect_no_panic();
    }
    assert_eq!(site.requests(), 0);
}

#[test]
fn a_junit_report_naming_a_folder_is_refused_before_the_run() {
    let outcome = refused(
        ONE_ENVIRONMENT,
        &[("features/home.feature", HOME.as_bytes()), ("reports/.keep", b"")],
        &["--junit", "reports"],
    );
    outcome.expect_stderr("error: `reports` is a folder; `--junit` names the report file to write");
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("features/home.feature", &format!("\u{feff}{HOME}"));
    project
        .shakedown()
        .args(["check"])
        .run()
        .expect_code(0)
        .expect_stdout("1 feature(s), 1 scenario(s), 2 step(s)");
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("1 passed, 0 failed");
}

#[test]
fn a_symlink_loop_among_feature_folders_visits_each_file_once() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("features/home.feature", HOME);
    std::os::unix::fs::symlink("..", project.path().join("features/again")).expect("symlink");
    std::os::unix::fs::symlink("home.feature", project.path().join("features/alias.feature"))
        .expect("symlink");
    project
        .shakedown()
        .args(["check"])
        .run()
        .expect_code(0)
        .expect_stdout("1 feature(s), 1 scenario(s), 2 step(s)");
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("1 scenario(s): 1 passed, 0 failed");
}

#[test]
fn a_fifo_named_like_a_feature_is_skipped_with_a_warning() {
    let site = DemoSite::start(&[]);
    let project = Project::new(&site.url, "");
    project.file("features/home.feature", HOME);
    let fifo = project.path().join("features/pipe.feature");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo failed");
    let warning =
        "warning: `features/pipe.feature` is not a regular file (a FIFO, socket or device), so it is skipped";
    project
        .shakedown()
        .args(["check"])
        .run()
        .expect_code(0)
        .expect_stderr(warning)
        .expect_stdout("1 feature(s), 1 scenario(s), 2 step(s)");
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stderr(warning)
        .expect_stdout("1 passed, 0 failed");
}

#[test]
fn a_misspelt_environment_gets_a_suggestion() {
    refused(
        TWO_ENVIRONMENTS,
        &[("features/home.feature", HOME.as_bytes())],
        &["--env", "stagign"],
    )
    .expect_stderr("hint: did you mean `staging`?");
}

#[test]
fn a_concurrency_of_zero_is_a_usage_error() {
    refused(
        ONE_ENVIRONMENT,
        &[("features/home.feature", HOME.as_bytes())],
        &["--concurrency", "0"],
    )
    .expect_stderr("--concurrency");
}
