//! What people expect of a command-line tool: completion scripts a shell accepts, a man page
//! `man` renders, `run --list` that shows the selection and where each scenario would run
//! without reaching anything, and a closed standard output that ends every command quietly with
//! its own exit code.

use std::net::TcpListener;
use std::process::Command;

use indoc::{formatdoc, indoc};

use crate::support::{DemoSite, Project, Shakedown};

#[test]
fn completions_are_scripts_the_shell_accepts_and_know_every_command_and_run_option() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let outcome = Shakedown::new().args(["completions", shell]).run();
        // Each shell spells options its own way (`--timeout`, `-l timeout`).
        outcome
            .expect_code(0)
            .expect_stdout("shakedown")
            .expect_stdout("timeout")
            .expect_stdout("fail-fast")
            .expect_stdout("baseline")
            .expect_stdout("manpage");
        if shell == "bash" {
            let script = tempfile::NamedTempFile::new().expect("temp file");
            std::fs::write(script.path(), &outcome.stdout).expect("write the script");
            let checked = Command::new("bash")
                .arg("-n")
                .arg(script.path())
                .output()
                .expect("bash runs");
            assert!(
                checked.status.success(),
                "bash refuses the completion script: {}",
                String::from_utf8_lossy(&checked.stderr)
            );
        }
    }
    Shakedown::new()
        .args(["completions", "tcsh"])
        .run()
        .expect_code(2)
        .expect_stderr("invalid value 'tcsh'");
}

#[test]
fn the_man_page_renders_with_man_and_describes_every_command() {
    let page = Shakedown::new().args(["manpage"]).run();
    page.expect_code(0).expect_stdout(".TH shakedown 1");
    let file = tempfile::Builder::new()
        .suffix(".1")
        .tempfile()
        .expect("temp file");
    std::fs::write(file.path(), &page.stdout).expect("write the page");
    let rendered = Command::new("man")
        .arg("-l")
        .arg(file.path())
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .output()
        .expect("man runs");
    // Bold and underline reach a pipe as overstrikes (`N\bN`): read the letters alone.
    let text = regex::Regex::new(".\x08")
        .expect("valid regex")
        .replace_all(&String::from_utf8_lossy(&rendered.stdout), "")
        .into_owned();
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    for expected in [
        "NAME",
        "SYNOPSIS",
        "SUBCOMMANDS",
        "Runs Gherkin features",
        "completions",
    ] {
        assert!(text.contains(expected), "the page lacks {expected:?}:\n{text}");
    }
}

#[test]
fn run_list_names_each_selected_scenario_with_its_host_and_reaches_nothing() {
    let site = DemoSite::start(&[]);
    // Hosts that would accept a connection, so one attempt would show.
    let web1 = TcpListener::bind("127.0.0.1:0").expect("a port");
    let web2 = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = |listener: &TcpListener| listener.local_addr().expect("an address").port();
    let project = Project::new(
        &site.url,
        &formatdoc! {r#"
            [environments.test.hosts.web1]
            ssh = "deploy@127.0.0.1:{web1}"
            groups = ["web"]

            [environments.test.hosts.web2]
            ssh = "deploy@127.0.0.1:{web2}"
            groups = ["web"]
        "#, web1 = port(&web1), web2 = port(&web2)},
    );
    project.file(
        "features/site.feature",
        indoc! {r#"
            Feature: Site
              Scenario: The home page answers
                When I request "/"
                Then the response status should be 200

              @on:web
              Scenario: The web servers run nginx
                Then a process named "nginx" should be running

              @slow
              Scenario: Left out by the tags
                When I request "/"
        "#},
    );
    let outcome = project
        .shakedown()
        .args(["run", "--list", "--tags", "not @slow"])
        .run();
    outcome
        .expect_code(0)
        .expect_stdout("features/site.feature:2  The home page answers  (from this machine)")
        .expect_stdout("The web servers run nginx [web1]  (on web1)")
        .expect_stdout("The web servers run nginx [web2]  (on web2)")
        .expect_stdout("shakedown: 3 scenario(s) selected in environment `test`");
    assert!(!outcome.stdout.contains("Left out"), "{}", outcome.stdout);
    assert_eq!(site.requests(), 0, "--list reached the site");
    for listener in [&web1, &web2] {
        listener.set_nonblocking(true).expect("non-blocking");
        assert!(listener.accept().is_err(), "--list connected to a host");
    }
    assert!(
        !project.path().join("shakedown-reports").exists(),
        "--list wrote something"
    );
}

#[test]
fn a_closed_stdout_ends_every_printing_command_quietly_with_its_own_code() {
    let project = Project::new("http://127.0.0.1:9", "");
    project.file(
        "features/a.feature",
        "Feature: A\n  Scenario: a\n    Then the command \"true\" should succeed\n",
    );
    for (args, code) in [
        (&["completions", "bash"][..], 0),
        (&["manpage"][..], 0),
        (&["--help"][..], 0),
        (&["run", "--list"][..], 0),
        (&["run", "--format", "nagios"][..], 0),
    ] {
        let outcome = project.shakedown().args(args).stdout_closed().run();
        outcome.expect_code(code).expect_no_panic();
        assert!(
            outcome.stderr.is_empty(),
            "{args:?} complained about the closed pipe:\n{}",
            outcome.stderr
        );
    }
}
