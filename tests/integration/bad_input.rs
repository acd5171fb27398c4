//! Bad input (configuration, command line, feature files) gets one clear message and exit
//! code 2, and nothing reaches the server.

use crate::support::{DemoSite, Outcome, Project, Shakedown};

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
