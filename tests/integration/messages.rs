//! What a user reads when shakedown refuses or warns, pinned whole like the reports: each bad
//! input, `check` finding, `init`, `baseline` and `audit` refusal and warning, as the command
//! line, its exit code and what it printed (temporary folders, ports and times as placeholders).
//! Nothing here needs a server to answer: each command stops before it would send anything
//! (the configured site, port 9, has nothing listening). Review a change with
//! `cargo insta review`.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::support::{DEMO_ROLES, Outcome, Project, Shakedown};

const SITE: &str = "http://127.0.0.1:9/";

const HOME: &str =
    "Feature: Home\n  Scenario: home\n    When I request \"/\"\n    Then the response status should be 200\n";

const ONE_ENVIRONMENT: &str = "[environments.test]\nbase_url = \"http://127.0.0.1:9/\"\n";

const TWO_ENVIRONMENTS: &str = "[environments.staging]\nbase_url = \"http://127.0.0.1:9/\"\n[environments.test]\nbase_url = \"http://127.0.0.1:9/\"\n";

/// Which of a command's streams a snapshot holds.
#[derive(Clone, Copy)]
enum Streams {
    /// Both: a refusal, or findings `check` and `baseline compare` print as their result.
    Both,
    /// Only the warnings, where the command's result (a run's report) is pinned elsewhere.
    Stderr,
}

/// A project with `config` as its whole `shakedown.toml` and `features` beside it.
fn project_with(config: &str, features: &[(&str, &str)]) -> Project {
    let project = Project::new(SITE, "");
    project.file("shakedown.toml", config);
    for (name, text) in features {
        project.file(name, text);
    }
    project
}

/// `shakedown ARGS` in `project`, as a user sees it.
fn seen_in(project: &Project, args: &[&str]) -> String {
    let outcome = project.shakedown().args(args).run();
    seen(args, &outcome, Streams::Both)
}

/// The same input given to `check` and to `run`: both must refuse it, each in its words.
fn seen_by_check_and_run(project: &Project) -> String {
    format!("{}\n{}", seen_in(project, &["check"]), seen_in(project, &["run"]))
}

/// The command line, the exit code and what it printed, with what changes from run to run
/// written as placeholders.
fn seen(args: &[&str], outcome: &Outcome, streams: Streams) -> String {
    outcome.expect_no_panic();
    let mut text = format!("$ shakedown {}\nexit code {}\n", args.join(" "), outcome.code);
    let mut stream = |name: &str, output: &str| {
        if !output.is_empty() {
            text.push_str(&format!("--- {name}\n{output}"));
        }
    };
    stream("stderr", &outcome.stderr);
    if let Streams::Both = streams {
        stream("stdout", &outcome.stdout);
    }
    normalised(&text)
}

/// Temporary folders and durations as placeholders. The ports here are fixed (the site's 9,
/// the ones the features name) but for a free port a test picks, which it replaces itself.
fn normalised(output: &str) -> String {
    static PLACEHOLDERS: LazyLock<Vec<(Regex, &str)>> = LazyLock::new(|| {
        let temp = regex::escape(&std::env::temp_dir().display().to_string());
        [
            (format!(r"{temp}/\.tmp[0-9A-Za-z]+"), "[TMP]"),
            // The terminal report's `[   0.012s]` and `Summary [0.004s]`.
            (r"\[ *[0-9]+\.[0-9]+s\]".to_owned(), "[TIME]"),
        ]
        .into_iter()
        .map(|(pattern, placeholder)| (Regex::new(&pattern).expect("a valid pattern"), placeholder))
        .collect()
    });
    PLACEHOLDERS
        .iter()
        .fold(output.to_owned(), |text, (pattern, placeholder)| {
            pattern.replace_all(&text, *placeholder).into_owned()
        })
}

#[test]
fn configuration_mistakes_are_each_one_message() {
    let home = [("features/home.feature", HOME)];
    let cases = [
        (
            "unknown_environment",
            TWO_ENVIRONMENTS,
            &["run", "--env", "prod"][..],
        ),
        (
            "misspelt_environment",
            TWO_ENVIRONMENTS,
            &["run", "--env", "stagign"],
        ),
        ("no_environment_selected", TWO_ENVIRONMENTS, &["run"]),
        (
            "malformed_toml",
            "[environments.test]\nbase_url = \"http://127.0.0.1:9/\"\nread_only = yes\n",
            &["run"],
        ),
        (
            "misspelt_key",
            "[environments.test]\nbase_url = \"http://127.0.0.1:9/\"\nread_onyl = true\n",
            &["run"],
        ),
        (
            "bad_duration",
            "[environments.test]\nbase_url = \"http://127.0.0.1:9/\"\n[limits]\nstep_timeout = \"fast\"\n",
            &["run"],
        ),
        (
            "bad_baseline_ignore",
            "[environments.test]\nbase_url = \"http://127.0.0.1:9/\"\n\n[baseline]\nignore = [\"port:8082\", \"daemon:cron\"]\n",
            &["baseline", "compare", "baseline.json", "--env", "test"],
        ),
        (
            "unknown_security_header_rule",
            "[environments.test]\nbase_url = \"http://127.0.0.1:9/\"\n[headers]\nrequired = [\"nosniff\", \"hsts-preload\"]\n",
            &["check"],
        ),
    ];
    for (name, config, args) in cases {
        insta::assert_snapshot!(name, seen_in(&project_with(config, &home), args));
    }
}

#[test]
fn a_missing_configuration_or_a_folder_given_as_one_is_named() {
    let empty = tempfile::tempdir().expect("temp dir");
    let outcome = Shakedown::new().current_dir(empty.path()).args(["run"]).run();
    insta::assert_snapshot!("missing_configuration", seen(&["run"], &outcome, Streams::Both));

    let project = project_with(ONE_ENVIRONMENT, &[("features/home.feature", HOME)]);
    std::fs::create_dir(project.path().join("conf")).expect("folder");
    insta::assert_snapshot!(
        "configuration_is_a_folder",
        format!(
            "{}\n{}",
            seen_in(&project, &["check", "--config", "conf"]),
            seen_in(&project, &["run", "--config", "conf"])
        )
    );
}

#[test]
fn command_line_mistakes_are_each_one_message() {
    let project = project_with(ONE_ENVIRONMENT, &[("features/home.feature", HOME)]);
    project.file("reports/.keep", "");
    let deep = format!("{}@a{}", "(".repeat(30_000), ")".repeat(30_000));
    let nots = format!("{}@a", "not ".repeat(20_000));
    let cases = [
        ("bad_tag_expression", &["run", "--tags", "@a and"][..]),
        ("tag_expression_too_deep", &["run", "--tags", &deep]),
        ("tag_expression_too_many_nots", &["run", "--tags", &nots]),
        ("retries_beyond_the_bound", &["run", "--retries", "4294967295"]),
        ("feature_path_missing", &["run", "nope.feature"]),
        ("bad_base_url", &["run", "--base-url", "localhost"]),
        ("unknown_flag", &["run", "--junti", "x.xml"]),
        ("concurrency_zero", &["run", "--concurrency", "0"]),
        ("junit_report_is_a_folder", &["run", "--junit", "reports"]),
        (
            "report_over_a_feature",
            &["run", "--junit", "features/home.feature"],
        ),
        (
            "report_over_the_configuration",
            &["run", "--html", "shakedown.toml"],
        ),
        ("report_to_a_device", &["run", "--json", "/dev/null"]),
        (
            "two_reports_to_one_file",
            &["run", "--junit", "reports/out.xml", "--html", "reports/out.xml"],
        ),
        ("no_scenario_selected", &["run", "--tags", "@post-install"]),
    ];
    for (name, args) in cases {
        let mut text = seen_in(&project, args);
        if name.starts_with("tag_expression_too") {
            // The expression itself is 60,000 characters long: the command line is not the point.
            text = text.replacen(args[2], "…", 1);
        }
        insta::assert_snapshot!(name, text);
    }
    for bad in ["count:0/3", "count:4/3", "hash:1/2", "1-3"] {
        insta::assert_snapshot!(
            format!("partition_{}", bad.replace([':', '/'], "_")),
            seen_in(&project, &["run", "--partition", bad])
        );
    }
}

#[test]
fn feature_files_that_cannot_be_read_are_named_with_their_place() {
    let cases: [(&str, &str, &[u8]); 9] = [
        (
            "feature_not_utf8",
            "features/latin1.feature",
            // Latin-1: the one byte of `é` that UTF-8 does not allow alone.
            b"Feature: Caf\xe9\n",
        ),
        (
            "gherkin_syntax_error",
            "features/broken.feature",
            b"Feature: Broken\n  Scenario: s\n    When I request \"/\"\n  This line is no step\n",
        ),
        (
            "examples_row_too_wide",
            "features/outline.feature",
            b"Feature: Outline\n  Scenario Outline: pages\n    When I request \"<page>\"\n\n    Examples:\n      | page |\n      | /    | /reports/ |\n",
        ),
        (
            "data_table_row_too_narrow",
            "features/table.feature",
            b"Feature: Table\n  Scenario: table\n    When I request \"/\"\n    Then the page should not contain any of:\n      | Lorem | TODO |\n      | FIXME |\n\n  Scenario: another\n    When I request \"/\"\n",
        ),
        (
            "data_table_under_a_step_too_narrow",
            "features/broken.feature",
            b"Feature: Broken\n  Scenario: s\n    Given I request \"/\"\n      | a | b |\n      | c |\n",
        ),
        (
            "scenario_outside_a_feature",
            "features/loose.feature",
            b"# no Feature line above the scenario\n@smoke\nScenario: home\n  When I request \"/\"\n",
        ),
        (
            "empty_feature_file",
            "features/empty.feature",
            b"\n# nothing yet\n",
        ),
        (
            "line_without_a_keyword",
            "features/stray.feature",
            b"Feature: Stray\n  Scenario: first\n    When I request \"/\"\n  Scenaro: second\n    When I request \"/\"\n\n  Scenario: third\n    When I request \"/\"\n",
        ),
        (
            "doc_string_never_closed",
            "features/unclosed.feature",
            b"Feature: Unclosed\n  Scenario: post\n    When I send a POST request to \"/api/orders\"\n      \"\"\"\n      {\"item\": 1}\n    Then the response status should be 201\n",
        ),
    ];
    for (name, file, text) in cases {
        let project = project_with(ONE_ENVIRONMENT, &[("features/home.feature", HOME)]);
        std::fs::write(project.path().join(file), text).expect("write the feature");
        insta::assert_snapshot!(name, seen_by_check_and_run(&project));
    }
}

#[test]
fn a_feature_file_that_is_a_fifo_is_skipped_with_a_warning() {
    let project = project_with(ONE_ENVIRONMENT, &[("features/home.feature", HOME)]);
    let made = std::process::Command::new("mkfifo")
        .arg(project.path().join("features/pipe.feature"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let run = project.shakedown().args(["run"]).run();
    insta::assert_snapshot!(
        "feature_file_is_a_fifo",
        format!(
            "{}\n{}",
            seen_in(&project, &["check"]),
            seen(&["run"], &run, Streams::Stderr)
        )
    );
}

#[test]
fn steps_that_cannot_run_are_listed_by_check_and_refused_by_run() {
    let matrix_without_path = "Feature: M\n  Scenario: m\n    Then the access matrix should hold:\n      | page | anonymous |\n      | /    | allowed   |\n";
    let outline_without_examples = "Feature: O\n  Scenario Outline: pages\n    When I request \"<page>\"\n";
    let retry_forever =
        "Feature: Flaky\n  @retry(99999999999)\n  Scenario: forever\n    When I request \"/\"\n";
    let undefined = "Feature: Typo\n  Scenario: s\n    When I request \"/\"\n    Then the response stauts should be 200\n";
    let misspelt = "Feature: Typo\n  Scenario: s\n    When I requst \"/\"\n    Then the response stauts should be 200\n    And the moon should be made of cheese\n";
    let keyword = "Feature: Keyword\n  Scenario: typo in the keyword\n    Whenn I request \"/\"\n    Then the response status should be 200\n\n  Scenario: empty\n";
    let cases = [
        ("matrix_without_a_path_column", matrix_without_path),
        ("outline_without_examples", outline_without_examples),
        ("retries_beyond_the_bound_in_a_tag", retry_forever),
        ("undefined_step", undefined),
        ("undefined_steps_with_suggestions", misspelt),
        ("misspelt_keyword_and_empty_scenario", keyword),
    ];
    for (name, feature) in cases {
        let project = project_with(ONE_ENVIRONMENT, &[("features/case.feature", feature)]);
        insta::assert_snapshot!(name, seen_by_check_and_run(&project));
    }
}

#[test]
fn step_values_out_of_their_range_are_refused_at_their_line() {
    let steps = [
        "the response status should be 999999999999999999999",
        "the response status should be -1",
        "the response status should be 1000",
        "the response should arrive within 0 ms",
        "port 70000 on \"localhost\" should be open",
        "port 0 on \"localhost\" should be closed",
        "the file \"/tmp\" should have changed within 0 minutes",
        "the TLS certificate of \"localhost\" should be valid for at least -5 days",
        "the TLS certificate of \"bad host:x\" should be valid for at least 5 days",
        "the response JSON at \"$[\" should be \"ok\"",
        "the file \"/tmp\" should have mode \"0999\"",
        "I send a G(E)T request to \"/\"",
        "I request \"http://[::1\"",
        "no page reachable from \"http://127.0.0.1:99999/\" should contain forbidden content",
    ];
    let mut feature = String::from("Feature: Numbers\n  Scenario: out of range\n    When I request \"/\"\n");
    for step in steps {
        feature.push_str(&format!("    Then {step}\n"));
    }
    let project = project_with(ONE_ENVIRONMENT, &[("features/numbers.feature", &feature)]);
    insta::assert_snapshot!("values_out_of_range", seen_by_check_and_run(&project));
}

#[test]
fn roles_and_access_matrices_that_cannot_work_are_refused_at_their_line() {
    let with_roles = format!("{ONE_ENVIRONMENT}{DEMO_ROLES}");
    let unknown_role = r#"Feature: Roles
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
    let bad_cell = "Feature: Matrix\n  Scenario: matrix\n    Then the access matrix should hold:\n      | path      | anonymous | clerk   |\n      | /         | allowed   | allowed |\n      | /reports/ | login     | yes     |\n";
    let clerk = "Feature: Clerk\n  Scenario: clerk\n    Given I am logged in as \"clerk\"\n    When I request \"/reports/\"\n";
    let without_login = format!(
        "{ONE_ENVIRONMENT}[roles.clerk]\nusername = \"clerk\"\npassword_env = \"DEMO_CLERK_PASSWORD\"\n"
    );
    let cases = [
        ("role_nobody_configured", with_roles.as_str(), unknown_role),
        ("matrix_cell_not_a_verdict", &with_roles, bad_cell),
        ("role_without_a_login_section", &without_login, clerk),
    ];
    for (name, config, feature) in cases {
        let project = project_with(config, &[("features/case.feature", feature)]);
        insta::assert_snapshot!(name, seen_by_check_and_run(&project));
    }
}

#[test]
fn a_login_that_cannot_work_is_refused_at_its_line_and_column() {
    let cases = [
        ("login_method_unknown", "[login]\nmethod = \"kerberos\"\n"),
        ("login_sso_without_allowed_origins", "[login]\nmethod = \"sso\"\n"),
        (
            "role_sso_without_allowed_origins",
            "[login]\npath = \"/login\"\n[roles.admin]\nmethod = \"sso\"\nusername = \"admin\"\npassword_env = \"X\"\n",
        ),
        (
            "login_header_without_a_value",
            "[roles.api]\nmethod = \"header\"\nheader = \"Authorization\"\n",
        ),
        ("client_cert_without_a_key", "tls_client_cert = \"client.pem\"\n"),
        (
            "client_key_without_a_cert",
            "[roles.robot]\nmethod = \"basic\"\nusername = \"robot\"\npassword_env = \"X\"\ntls_client_key = \"key.pem\"\n",
        ),
        (
            "client_key_encrypted",
            "tls_client_cert = \"c.pem\"\ntls_client_key = \"k.pem\"\ntls_client_key_password_env = \"KEY_PASSWORD\"\n",
        ),
        (
            "totp_secret_twice",
            "[roles.admin]\nusername = \"admin\"\npassword_env = \"X\"\ntotp_secret_env = \"A\"\ntotp_secret_file = \"totp.txt\"\n",
        ),
        (
            "totp_algorithm_unknown",
            "[roles.admin]\nusername = \"admin\"\npassword_env = \"X\"\ntotp_secret_env = \"A\"\ntotp_algorithm = \"MD5\"\n",
        ),
        (
            "totp_digits_out_of_range",
            "[roles.admin]\nusername = \"admin\"\npassword_env = \"X\"\ntotp_secret_env = \"A\"\ntotp_digits = 4\n",
        ),
    ];
    for (name, config) in cases {
        let project = project_with(
            &format!("{ONE_ENVIRONMENT}{config}"),
            &[("features/home.feature", HOME)],
        );
        insta::assert_snapshot!(name, seen_in(&project, &["check"]));
    }
}

#[test]
fn init_refuses_what_it_cannot_write_or_visit() {
    let folder = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(folder.path().join("features")).expect("folder");
    std::fs::write(folder.path().join("features/smoke.feature"), "mine\n").expect("write");
    let init = |folder: &Path, args: &[&str]| {
        let outcome = Shakedown::new().current_dir(folder).args(args).run();
        seen(args, &outcome, Streams::Both)
    };
    insta::assert_snapshot!(
        "init_over_an_existing_file",
        init(folder.path(), &["init", "--base-url", SITE])
    );

    let empty = tempfile::tempdir().expect("temp dir");
    insta::assert_snapshot!(
        "init_cannot_visit",
        init(empty.path(), &["init", "--base-url", SITE])
    );
    for (index, name) in ["prod.eu", "live\"x", "a b", "x]\n[y", ""]
        .into_iter()
        .enumerate()
    {
        insta::assert_snapshot!(
            format!("init_environment_name_{index}"),
            init(empty.path(), &["init", "--base-url", SITE, "--env", name])
        );
    }

    let imports = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        imports.path().join("broken.cfg"),
        "define service {\n  host_name web1\n",
    )
    .expect("write");
    std::fs::write(
        imports.path().join("empty.cfg"),
        "command[check_x]=check_x $ARG1$\n",
    )
    .expect("write");
    std::fs::write(
        imports.path().join("nrpe.cfg"),
        "command[check_here]=$USER1$/check_here -v\n",
    )
    .expect("write");
    insta::assert_snapshot!(
        "init_broken_object_file",
        init(imports.path(), &["init", "--from-nagios", "broken.cfg"])
    );
    insta::assert_snapshot!(
        "init_nothing_to_import",
        init(imports.path(), &["init", "--from-nrpe", "empty.cfg"])
    );
    std::fs::create_dir(imports.path().join("features")).expect("folder");
    std::fs::write(imports.path().join("features/monitoring.feature"), "mine\n").expect("write");
    insta::assert_snapshot!(
        "init_over_an_existing_monitoring_feature",
        init(imports.path(), &["init", "--from-nrpe", "nrpe.cfg"])
    );
}

#[test]
fn a_baseline_that_cannot_be_recorded_or_used_is_one_clear_message() {
    let unused_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let unreachable = project_with(
        &format!(
            "{ONE_ENVIRONMENT}[environments.test.hosts.db1]\nssh = \"root@127.0.0.1:{unused_port}\"\n\n[ssh]\nconnect_timeout = \"2s\"\n"
        ),
        &[],
    );
    insta::assert_snapshot!(
        "baseline_host_unreachable",
        seen_in(
            &unreachable,
            &["baseline", "record", "--env", "test", "--out", "baseline.json"]
        )
        .replace(&unused_port.to_string(), "PORT")
    );

    let project = project_with(ONE_ENVIRONMENT, &[]);
    project.file("text.json", "not json");
    project.file("old.json", r#"{"version": 0, "hosts": {}}"#);
    project.file(
        "other.json",
        r#"{"version": 1, "recorded_at": "", "environment": "test", "shakedown": "0", "hosts": {"web9": {}}}"#,
    );
    for file in ["missing.json", "text.json", "old.json", "other.json"] {
        insta::assert_snapshot!(
            format!("baseline_unusable_{}", file.trim_end_matches(".json")),
            seen_in(&project, &["baseline", "compare", file, "--env", "test"])
        );
    }
}

#[test]
fn secrets_that_cannot_be_read_stop_every_command_that_needs_them() {
    let unset = project_with(
        &format!(
            "{ONE_ENVIRONMENT}\n[secrets]\nenv = [\"SMTP_PASSWORD\", \"SHAKEDOWN_TEST_SURELY_UNSET\"]\n"
        ),
        &[("features/home.feature", HOME)],
    );
    let failing = project_with(
        &format!("{ONE_ENVIRONMENT}\n[secrets]\ncommands = [\"echo token=abc$((100 + 23)) >&2; exit 3\"]\n"),
        &[("features/home.feature", HOME)],
    );
    let with_secret = |project: &Project, args: &[&str]| {
        let outcome = project
            .shakedown()
            .env("SMTP_PASSWORD", "smtp-secret-value")
            .args(args)
            .run();
        seen(args, &outcome, Streams::Both)
    };
    insta::assert_snapshot!("secret_not_set", with_secret(&unset, &["run"]));
    insta::assert_snapshot!("secret_command_fails", with_secret(&failing, &["run"]));
    insta::assert_snapshot!(
        "secret_not_set_for_the_baseline",
        with_secret(&unset, &["baseline", "record", "--out", "baseline.json"])
    );
}

#[test]
fn an_unknown_host_or_demo_fault_gets_a_suggestion() {
    let fleet = project_with(
        &format!("{ONE_ENVIRONMENT}[environments.test.hosts.web1]\nssh = \"deploy@127.0.0.1:9\"\n"),
        &[(
            "features/servers.feature",
            "Feature: Servers\n  Scenario: Files\n    Then the file \"/etc/hostname\" should exist\n",
        )],
    );
    insta::assert_snapshot!("unknown_host", seen_in(&fleet, &["run", "--host", "wbe1"]));
    let grouped = project_with(
        &format!(
            "{ONE_ENVIRONMENT}[environments.test.hosts.web1]\nssh = \"deploy@127.0.0.1:9\"\ngroups = [\"web\"]\n"
        ),
        &[(
            "features/db.feature",
            "Feature: Database\n  @on:db\n  Scenario: Files\n    Then the file \"/etc/hostname\" should exist\n",
        )],
    );
    insta::assert_snapshot!("unknown_group", seen_in(&grouped, &["run"]));

    let out = tempfile::tempdir().expect("temp dir");
    let out = out.path().display().to_string();
    let args = ["demo", "--out", &out, "--fault", "lorem"];
    let outcome = Shakedown::new().args(args).run();
    insta::assert_snapshot!("demo_unknown_fault", seen(&args, &outcome, Streams::Both));

    let mine = tempfile::tempdir().expect("temp dir");
    std::fs::write(mine.path().join("shakedown.toml"), "# mine\n").expect("write");
    let mine = mine.path().display().to_string();
    let args = ["demo", "--out", &mine];
    let outcome = Shakedown::new().args(args).run();
    insta::assert_snapshot!("demo_out_holds_other_files", seen(&args, &outcome, Streams::Both));
}

#[test]
fn an_audit_log_that_cannot_be_read_is_refused() {
    let state = tempfile::tempdir().expect("temp dir");
    let log = state.path().join("shakedown/audit.jsonl");
    std::fs::create_dir_all(log.parent().expect("a folder")).expect("folders");
    let made = std::process::Command::new("mkfifo")
        .arg(&log)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let empty = tempfile::tempdir().expect("temp dir");
    let outcome = Shakedown::new()
        .current_dir(empty.path())
        .env("XDG_STATE_HOME", &state.path().display().to_string())
        .args(["audit"])
        .run();
    insta::assert_snapshot!("audit_log_not_a_file", seen(&["audit"], &outcome, Streams::Both));
}

#[test]
fn an_audit_log_or_system_log_that_cannot_be_written_is_a_warning() {
    // Every run here fails at once: port 9 refuses the connection.
    let blocked = project_with(
        &format!("{ONE_ENVIRONMENT}\n[audit]\npath = \"blocked/audit.jsonl\"\n"),
        &[("features/home.feature", HOME)],
    );
    // A file where the log's folder should be: no user, root included, can create the log.
    blocked.file("blocked", "not a folder");
    let outcome = blocked.shakedown().args(["run"]).run();
    insta::assert_snapshot!("audit_log_unwritable", seen(&["run"], &outcome, Streams::Stderr));

    let symlinked = project_with(ONE_ENVIRONMENT, &[("features/home.feature", HOME)]);
    let log = symlinked.path().join("state/shakedown/audit.jsonl");
    std::fs::create_dir_all(log.parent().expect("a folder")).expect("folders");
    std::os::unix::fs::symlink(symlinked.path().join("elsewhere.txt"), &log).expect("symlink");
    let state = symlinked.path().join("state").display().to_string();
    let outcome = symlinked
        .shakedown()
        .env("XDG_STATE_HOME", &state)
        .args(["run"])
        .run();
    insta::assert_snapshot!(
        "audit_log_is_a_symlink",
        seen(&["run"], &outcome, Streams::Stderr)
    );

    // A FIFO where the log should be: the run neither waits on it nor writes to it.
    std::fs::remove_file(&log).expect("remove the symlink");
    let made = std::process::Command::new("mkfifo")
        .arg(&log)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let outcome = symlinked
        .shakedown()
        .env("XDG_STATE_HOME", &state)
        .args(["run"])
        .run();
    insta::assert_snapshot!("audit_log_is_a_fifo", seen(&["run"], &outcome, Streams::Stderr));

    let syslog = project_with(
        &format!("{ONE_ENVIRONMENT}\n[audit]\nsyslog = true\n"),
        &[("features/home.feature", HOME)],
    );
    // A `logger` first on the PATH that writes to a socket nobody listens on.
    let logger = syslog.file(
        "bin/logger",
        &format!(
            "#!/bin/sh\nexec /usr/bin/logger -u '{}' \"$@\"\n",
            syslog.path().join("nobody-listens").display()
        ),
    );
    std::fs::set_permissions(&logger, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        syslog.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let outcome = syslog.shakedown().env("PATH", &path).args(["run"]).run();
    insta::assert_snapshot!("system_log_unwritable", seen(&["run"], &outcome, Streams::Stderr));
}
