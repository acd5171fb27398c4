//! `shakedown init` through the real binary: a visit to the real demo site gives files that
//! `check` accepts, that pass on the healthy site and fail on its faults; a visit to a site with
//! filler text, expiring links and HTTP authentication leaves out what would not pass; a visit
//! under a base path stays there; NRPE and Nagios files give the expected monitoring feature,
//! whose checks run against the real Monitoring Plugins, and Debian's shipped `nagios.cfg` and
//! `nrpe.cfg` are read as Nagios and NRPE read them; and nothing is ever written over an
//! existing file.

use std::net::TcpListener;
use std::path::Path;

use axum::Router;
use axum::http::header::{AUTHORIZATION, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Html;
use axum::routing::get;

use crate::support::recording::RecordingServer;
use crate::support::{DemoSite, Project, Shakedown};

fn read(folder: &Path, file: &str) -> String {
    std::fs::read_to_string(folder.join(file)).unwrap_or_else(|error| panic!("cannot read {file}: {error}"))
}

/// `init --base-url` against the healthy demo site, in a new folder.
fn init_from_demo(site: &DemoSite) -> tempfile::TempDir {
    let folder = tempfile::tempdir().expect("temp dir");
    Shakedown::new()
        .current_dir(folder.path())
        .args(["init", "--base-url", &site.url])
        .run()
        .expect_code(0)
        .expect_stdout(
            "page(s) answered, 1 sent the visitor to the login page, the health check is /api/health",
        )
        .expect_stdout("shakedown: wrote shakedown.toml\nshakedown: wrote features/smoke.feature\n");
    folder
}

#[test]
fn init_from_the_healthy_demo_writes_files_that_check_accepts_and_run_passes() {
    let site = DemoSite::start(&[]);
    let folder = init_from_demo(&site);
    // The address as the configuration writes it: with its root path.
    let base_url = format!("{}/", site.url.trim_end_matches('/'));
    let config = read(folder.path(), "shakedown.toml");
    assert!(
        config.contains(&format!("[environments.staging]\nbase_url = \"{base_url}\""))
            && config.contains("\n# [login]\n# path = \"/accounts/login/\"\n")
            && config.contains("\n# [roles.clerk]\n"),
        "{config}"
    );
    let feature = read(folder.path(), "features/smoke.feature");
    for expected in [
        "@preflight @post-install\nFeature: The site answers a visitor\n",
        &format!("  Written by `shakedown init` from an anonymous visit to {base_url}:\n"),
        "    When I request \"/api/health\"\n    Then the response status should be 200\n    And the response JSON at \"$.status\" should be \"ok\"\n",
        "      | /                |\n      | /accounts/login/ |\n      | /help/           |\n",
        "    Then the response should redirect to \"/accounts/login/\"\n\n    Examples:\n      | page        |\n      | /dashboard/ |\n",
        "    Then no page reachable from \"/\" should contain forbidden content\n",
    ] {
        assert!(
            feature.contains(expected),
            "smoke.feature lacks {expected:?}:\n{feature}"
        );
    }
    assert!(
        !feature.contains("logout"),
        "the visit followed the logout link:\n{feature}"
    );
    Shakedown::new()
        .current_dir(folder.path())
        .args(["check"])
        .run()
        .expect_code(0)
        .expect_stdout("every step matches the library");
    // One environment in the file: no `--env` needed.
    Shakedown::new()
        .current_dir(folder.path())
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("shakedown: running 37 scenario(s) against `staging`")
        .expect_stdout("37 passed, 0 failed");
}

#[test]
fn the_files_init_writes_fail_on_test_strings_and_on_server_errors() {
    let healthy = DemoSite::start(&[]);
    let folder = init_from_demo(&healthy);
    let test_string = DemoSite::start(&["test-string"]);
    let outcome = Shakedown::new()
        .current_dir(folder.path())
        .args(["run", "--base-url", &test_string.url])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("FAIL  features/smoke.feature:24  / answers a visitor")
        .expect_stdout("Nothing a visitor can reach shows test strings or debug pages")
        .expect_stdout("lorem-ipsum");
    let server_error = DemoSite::start(&["server-error"]);
    Shakedown::new()
        .current_dir(folder.path())
        .args(["run", "--base-url", &server_error.url])
        .run()
        .expect_code(1)
        .expect_stdout("FAIL  features/smoke.feature:12  The health check is green")
        .expect_stdout("FAIL  features/smoke.feature:24  / answers a visitor")
        .expect_stdout("FAIL  features/smoke.feature:65  /dashboard/ asks a visitor to log in");
}

#[test]
fn the_visit_stops_at_its_page_limit_and_at_the_deadline_of_the_whole_init() {
    let site = DemoSite::start(&[]);
    let folder = tempfile::tempdir().expect("temp dir");
    Shakedown::new()
        .current_dir(folder.path())
        .args(["init", "--base-url", &site.url, "--max-pages", "4"])
        .run()
        .expect_code(0)
        .expect_stdout("the visit stopped at the page limit (--max-pages 4, --timeout 1m)");
    let feature = read(folder.path(), "features/smoke.feature");
    let rows = feature
        .lines()
        .filter(|line| line.starts_with("      | /"))
        .count();
    assert!(rows <= 4, "more pages than the limit:\n{feature}");

    // The health check of this site never answers: the deadline ends the wait.
    let hung = DemoSite::start(&["hang"]);
    let folder = tempfile::tempdir().expect("temp dir");
    let outcome = Shakedown::new()
        .current_dir(folder.path())
        .args(["init", "--base-url", &hung.url, "--timeout", "2s"])
        .run();
    outcome.expect_code(0).expect_stdout("no health check answered");
    assert!(
        outcome.took < std::time::Duration::from_secs(6),
        "init took {:?} with a 2 s deadline",
        outcome.took
    );
    let feature = read(folder.path(), "features/smoke.feature");
    assert!(!feature.contains("/api/health"), "{feature}");
}

#[test]
fn init_refuses_to_write_over_any_existing_file_and_writes_nothing() {
    let folder = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(folder.path().join("features")).expect("folder");
    std::fs::write(folder.path().join("features/smoke.feature"), "mine\n").expect("write");
    // Nothing listens on port 9: the refusal comes before any visit.
    Shakedown::new()
        .current_dir(folder.path())
        .args(["init", "--base-url", "http://127.0.0.1:9/"])
        .run()
        .expect_code(2)
        .expect_no_panic()
        .expect_stderr(
            "error: `features/smoke.feature` already exists\nhint: `init` never writes over a file",
        );
    assert!(!folder.path().join("shakedown.toml").exists());
    assert_eq!(read(folder.path(), "features/smoke.feature"), "mine\n");
}

#[test]
fn init_says_why_a_site_cannot_be_visited() {
    let folder = tempfile::tempdir().expect("temp dir");
    Shakedown::new()
        .current_dir(folder.path())
        .args(["init", "--base-url", "http://127.0.0.1:9/"])
        .run()
        .expect_code(2)
        .expect_no_panic()
        .expect_stderr("error: cannot visit `http://127.0.0.1:9/`: ");
    assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 0);
}

const NRPE: &str = "\
# /etc/nagios/nrpe.cfg
server_port=5666
allowed_hosts=127.0.0.1
command[check_always_ok]=/usr/lib/nagios/plugins/check_dummy 0 \"all quiet\"
command[check_plugin_dir]=$USER1$/check_dummy 0 from-the-plugin-folder
command[check_load]=$USER1$/check_load -w $ARG1$ -c $ARG2$
include_dir=/etc/nagios/nrpe.d/
";

fn nagios_objects(port: u16) -> String {
    format!(
        "\
define command {{
    command_name    check_tcp
    command_line    $USER1$/check_tcp -H $HOSTADDRESS$ -p $ARG1$
}}
define command {{
    command_name    check_local
    command_line    $USER2$/check_dummy $ARG1$ \"$SERVICEDESC$ on $HOSTNAME$\"
}}
define command {{
    command_name    restart-app
    command_line    /usr/local/bin/restart-app $SERVICESTATE$
}}
define host {{
    host_name       app1
    address         127.0.0.1
}}
define service {{
    name            generic-service
    register        0
    event_handler   restart-app
}}
define service {{
    use                  generic-service
    host_name            app1
    service_description  App port
    check_command        check_tcp!{port}
}}
define service {{
    host_name            app1
    service_description  Local sanity  ; a comment
    check_command        check_local!0
    event_handler_enabled 0
    use                  generic-service
}}
define service {{
    host_name            db1
    service_description  Database port
    check_command        check_tcp!5432
}}
"
    )
}

#[test]
fn nrpe_and_nagios_checks_become_a_monitoring_feature_that_runs_the_real_plugins() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let folder = tempfile::tempdir().expect("temp dir");
    std::fs::write(folder.path().join("nrpe.cfg"), NRPE).expect("write");
    std::fs::write(folder.path().join("objects.cfg"), nagios_objects(port)).expect("write");
    std::fs::write(
        folder.path().join("resource.cfg"),
        "# Nagios resource file\n$USER1$=/usr/lib/nagios/plugins\n$USER2$=/usr/lib/nagios/plugins\n",
    )
    .expect("write");
    Shakedown::new()
        .current_dir(folder.path())
        .args([
            "init",
            "--from-nrpe",
            "nrpe.cfg",
            "--from-nagios",
            "objects.cfg",
            "--resource",
            "resource.cfg",
        ])
        .run()
        .expect_code(0)
        .expect_stdout("shakedown: wrote shakedown.toml\nshakedown: wrote features/monitoring.feature: 4 check(s), 4 left out");
    assert_eq!(
        read(folder.path(), "features/monitoring.feature"),
        format!(
            r#"@post-install
Feature: The checks our monitoring runs pass
  Imported by `shakedown init` from nrpe.cfg, objects.cfg: each scenario runs one check as
  Nagios would, with its macros filled in, and passes when the check says OK.
  Edit it as your own: write `should be at most WARNING` where a warning is
  acceptable right after a deployment, and tag the checks that belong to some
  servers only with `@on:GROUP`. The checks that could not be imported are listed at
  the end, each with the reason.

  # from nrpe.cfg:4
  Scenario: check_always_ok
    Then the Nagios check '/usr/lib/nagios/plugins/check_dummy 0 "all quiet"' should be OK

  # from nrpe.cfg:5
  Scenario: check_plugin_dir
    Then the Nagios check "/usr/lib/nagios/plugins/check_dummy 0 from-the-plugin-folder" should be OK

  # from objects.cfg:22
  Scenario: App port on app1
    Then the Nagios check "/usr/lib/nagios/plugins/check_tcp -H 127.0.0.1 -p {port}" should be OK

  # from objects.cfg:28
  # $USER2$ is read from Nagios' resource.cfg (`probes.nagios_resource`) when the check runs
  Scenario: Local sanity on app1
    Then the Nagios check '$USER2$/check_dummy 0 "Local sanity on app1"' should be OK

  # Not imported:
  #   check_load (nrpe.cfg:6): `$ARG1$` is sent by the Nagios server with each request, and this file gives it no value
  #   include_dir (nrpe.cfg:7): NRPE reads more commands from `/etc/nagios/nrpe.d/`: import them with another `--from-nrpe`
  #   restart-app (objects.cfg:22): the event handler of `App port` acts on a change of state and checks nothing
  #   Database port (objects.cfg:35): `$HOSTADDRESS$` needs host `db1`, which no `define host` of the files given defines
"#
        )
    );
    Shakedown::new()
        .current_dir(folder.path())
        .args(["check"])
        .run()
        .expect_code(0);
    Shakedown::new()
        .current_dir(folder.path())
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("4 passed, 0 failed")
        .expect_stdout("TCP OK");
    drop(listener);
    Shakedown::new()
        .current_dir(folder.path())
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("FAIL  features/monitoring.feature:19  App port on app1");
}

#[test]
fn importing_beside_an_existing_configuration_writes_only_the_feature_with_its_plugin_folder() {
    let project = Project::new(
        "http://127.0.0.1:9/",
        "[probes]\nnagios_plugin_dir = \"plugins\"\n",
    );
    project.file("nrpe.cfg", "command[check_here]=$USER1$/check_here -v\n");
    let before = read(project.path(), "shakedown.toml");
    project
        .shakedown()
        .args(["init", "--from-nrpe", "nrpe.cfg"])
        .run()
        .expect_code(0)
        .expect_stdout("shakedown: wrote features/monitoring.feature: 1 check(s)\n");
    assert_eq!(read(project.path(), "shakedown.toml"), before);
    let feature = read(project.path(), "features/monitoring.feature");
    let plugins = project.path().join("plugins");
    assert!(
        feature.contains(&format!(
            "the Nagios check \"{}/check_here -v\" should be OK",
            plugins.display()
        )),
        "{feature}"
    );
    project
        .shakedown()
        .args(["init", "--from-nrpe", "nrpe.cfg"])
        .run()
        .expect_code(2)
        .expect_stderr("error: `features/monitoring.feature` already exists");
}

#[test]
fn a_broken_object_file_or_one_with_nothing_to_import_is_refused_with_its_place() {
    let folder = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        folder.path().join("broken.cfg"),
        "define service {\n  host_name web1\n",
    )
    .expect("write");
    std::fs::write(
        folder.path().join("empty.cfg"),
        "command[check_x]=check_x $ARG1$\n",
    )
    .expect("write");
    Shakedown::new()
        .current_dir(folder.path())
        .args(["init", "--from-nagios", "broken.cfg"])
        .run()
        .expect_code(2)
        .expect_stderr("error: broken.cfg:1:1: `define service` is not closed with `}`");
    Shakedown::new()
        .current_dir(folder.path())
        .args(["init", "--from-nrpe", "empty.cfg"])
        .run()
        .expect_code(2)
        .expect_stderr(
            "error: no check could be imported from empty.cfg\n  check_x (empty.cfg:1): `$ARG1$` is sent",
        );
    assert_eq!(std::fs::read_dir(folder.path()).expect("list").count(), 2);
}

/// A third-party site as `init` meets it: a page of filler text, links that name today's date
/// or a session, and a login page that asks for HTTP authentication.
fn tracker_with_traps() -> RecordingServer {
    let clean = || get(|| async { Html("<p>Nothing to see</p>") });
    RecordingServer::start(
        Router::new()
            .route(
                "/",
                get(|| async {
                    Html(
                        r#"<a href="/about">About</a> <a href="/help">Help</a>
                           <a href="/timeline?from=2026-12-06T10%3A20%3A30Z&amp;precision=second">Today</a>
                           <a href="/report?sid=a81f0c">Report</a> <a href="/login">Login</a>"#,
                    )
                }),
            )
            .route(
                "/about",
                get(|| async { Html("<p>Lorem ipsum dolor sit amet, consectetur.</p>") }),
            )
            .route("/help", clean())
            // A hostile health check: its status would plant a scenario that runs a command.
            .route(
                "/health",
                get(|| async {
                    axum::Json(serde_json::json!({
                        "status": "ok\"\n\n  Scenario: planted\n    Then the command \"touch planted-by-the-site\" should succeed\n#"
                    }))
                }),
            )
            .route("/timeline", clean())
            .route("/report", clean())
            .route(
                "/login",
                get(|| async {
                    (
                        StatusCode::UNAUTHORIZED,
                        [(WWW_AUTHENTICATE, "Basic realm=\"tracker\"")],
                        "log in",
                    )
                }),
            ),
    )
}

#[test]
fn init_writes_no_credential_and_takes_only_a_plain_environment_name() {
    let site = tracker_with_traps();
    let with_credentials = site.url.replacen("http://", "http://ops:init-secret-pw@", 1);
    let folder = tempfile::tempdir().expect("temp dir");
    let outcome = Shakedown::new()
        .current_dir(folder.path())
        .args(["init", "--base-url", &with_credentials])
        .run();
    outcome.expect_code(0);
    for written in ["shakedown.toml", "features/smoke.feature"] {
        let text = read(folder.path(), written);
        assert!(
            !text.contains("init-secret-pw") && !text.contains("ops:"),
            "{written} holds the credentials:\n{text}"
        );
    }
    assert!(!outcome.stdout.contains("init-secret-pw"), "{}", outcome.stdout);
    for name in ["prod.eu", "live\"x", "a b", "x]\n[y", ""] {
        let empty = tempfile::tempdir().expect("temp dir");
        Shakedown::new()
            .current_dir(empty.path())
            .args(["init", "--base-url", &site.url, "--env", name])
            .run()
            .expect_code(2)
            .expect_stderr("an environment's name is letters, digits");
        assert!(!empty.path().join("shakedown.toml").exists());
    }
}

#[test]
fn init_leaves_out_what_would_fail_or_expire_names_http_authentication_and_its_suite_passes() {
    let site = tracker_with_traps();
    let folder = tempfile::tempdir().expect("temp dir");
    Shakedown::new()
        .current_dir(folder.path())
        .args(["init", "--base-url", &site.url])
        .run()
        .expect_code(0)
        .expect_stdout("/login asks for HTTP authentication (Basic), not a login form")
        .expect_stdout("3 page(s) left out of the feature");
    let feature = read(folder.path(), "features/smoke.feature");
    for expected in [
        "      | page  |\n      | /     |\n      | /help |\n",
        "  Scenario Outline: <page> asks for HTTP authentication\n",
        "      | /login | Basic  |\n",
        "    Then no page reachable from \"/\" should contain forbidden content\n",
        "  #   /about: forbidden content (`lorem-ipsum` fired on \"Lorem ipsum dolor sit amet, consectetur.\")",
        "  #   /timeline?…: its address names a moment (`from=2026-12-06T10:20:30Z`)",
        "  #   /report?…: its address carries a session or a one-time key (`sid=`)",
    ] {
        assert!(
            feature.contains(expected),
            "smoke.feature lacks {expected:?}:\n{feature}"
        );
    }
    assert!(
        !feature.contains("a81f0c"),
        "a session id was written:\n{feature}"
    );
    assert!(
        feature.contains("    When I request \"/health\"\n")
            && !feature.contains("Scenario: planted")
            && !feature.contains("planted-by-the-site"),
        "text the site sent became Gherkin:\n{feature}"
    );
    let config = read(folder.path(), "shakedown.toml");
    assert!(
        config.contains("crawl_skip = [\n    \"^/about$\",  # /about: lorem-ipsum\n]"),
        "{config}"
    );
    Shakedown::new()
        .current_dir(folder.path())
        .args(["check"])
        .run()
        .expect_code(0);
    Shakedown::new()
        .current_dir(folder.path())
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("0 failed");
    assert!(!folder.path().join("planted-by-the-site").exists());
}

/// An application under `/app/` beside another: a page that sends the visitor to a login page
/// linked only from a page the crawl takes after it, an old address that redirects to a page also linked, a logout link.
fn application_in_a_folder() -> RecordingServer {
    let page = |html: &'static str| get(move || async move { Html(html) });
    let redirect = |to: &'static str| get(move || async move { (StatusCode::FOUND, [(LOCATION, to)]) });
    RecordingServer::start(
        Router::new()
            .route(
                "/app/",
                page(
                    r#"<a href="/app/admin">Admin</a> <a href="/app/support">Support</a> <a href="/app/old">Old</a>
                       <a href="/app/new">New</a> <a href="/app/logout">Log out</a> <a href="/other/">Other</a>"#,
                ),
            )
            .route("/app/admin", redirect("/app/login"))
            .route("/app/support", page(r#"<a href="/app/login">Log in</a>"#))
            .route(
                "/app/login",
                page(r#"<form method="post"><input type="password" name="p"></form>"#),
            )
            .route("/app/old", redirect("/app/new"))
            .route("/app/new", page("<p>New</p>"))
            .route("/app/logout", page("<p>Bye</p>"))
            .route("/other/", page("<p>Another application</p>")),
    )
}

#[test]
fn the_visit_stays_under_the_base_path_writes_each_page_once_and_keeps_a_login_page_it_was_sent_to() {
    let site = application_in_a_folder();
    let folder = tempfile::tempdir().expect("temp dir");
    Shakedown::new()
        .current_dir(folder.path())
        .args(["init", "--base-url", &format!("{}/app/", site.url)])
        .run()
        .expect_code(0)
        .expect_stdout("4 page(s) answered, 1 sent the visitor to the login page")
        .expect_stdout("left 1 link(s) alone that looked like they log out or change data");
    let feature = read(folder.path(), "features/smoke.feature");
    for expected in [
        "      | page     |\n      | /        |\n      | /login   |\n      | /new     |\n      | /support |\n\n",
        "    Then the response should redirect to \"/login\"\n\n    Examples:\n      | page   |\n      | /admin |\n\n",
    ] {
        assert!(
            feature.contains(expected),
            "smoke.feature lacks {expected:?}:\n{feature}"
        );
    }
    let requested: Vec<String> = site
        .received()
        .into_iter()
        .map(|request| request.target)
        .collect();
    assert!(
        !requested
            .iter()
            .any(|target| target.starts_with("/other/") || target == "/app/logout"),
        "the visit left the application or logged out: {requested:?}"
    );
}

#[test]
fn a_resource_cfg_secret_stays_a_reference_the_run_resolves_and_no_written_credential_is_imported() {
    const SECRET: &str = "s3cret";
    // `admin:s3cret` in basic authentication: only the resolved secret opens the page.
    let site = RecordingServer::start(Router::new().route(
        "/",
        get(|headers: HeaderMap| async move {
            match headers.get(AUTHORIZATION).and_then(|value| value.to_str().ok()) {
                Some("Basic YWRtaW46czNjcmV0") => (StatusCode::OK, "welcome"),
                _ => (StatusCode::UNAUTHORIZED, "who are you"),
            }
        }),
    ));
    let port = site.url.rsplit(':').next().expect("a port");
    let folder = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| std::fs::write(folder.path().join(name), text).expect("write");
    write(
        "resource.cfg",
        &format!("$USER1$=/usr/lib/nagios/plugins\n$USER3$={SECRET}\n"),
    );
    write(
        "objects.cfg",
        &format!(
            "define command {{\n  command_name check_site\n  command_line $USER1$/check_http -H $HOSTADDRESS$ -p $ARG1$ -a 'admin:$USER3$'\n}}\n\
             define host {{\n  host_name app1\n  address 127.0.0.1\n}}\n\
             define service {{\n  host_name app1\n  service_description Site\n  check_command check_site!{port}\n}}\n"
        ),
    );
    write(
        "nrpe.cfg",
        "command[check_written]=$USER1$/check_http -H 127.0.0.1 -a admin:hunter2\n\
         command[check_header]=$USER1$/check_curl -H 127.0.0.1 -k 'Authorization: Bearer t0ken'\n\
         command[check_url]=$USER1$/check_curl -u http://admin:pa55word@127.0.0.1/\n",
    );
    Shakedown::new()
        .current_dir(folder.path())
        .args([
            "init",
            "--from-nagios",
            "objects.cfg",
            "--from-nrpe",
            "nrpe.cfg",
            "--resource",
            "resource.cfg",
        ])
        .run()
        .expect_code(0)
        .expect_stdout("1 check(s), 3 left out");
    let feature = read(folder.path(), "features/monitoring.feature");
    let config = read(folder.path(), "shakedown.toml");
    for (name, text) in [("the feature", &feature), ("shakedown.toml", &config)] {
        for credential in [SECRET, "hunter2", "t0ken", "pa55word"] {
            assert!(!text.contains(credential), "{name} holds `{credential}`:\n{text}");
        }
    }
    assert!(
        feature.contains(
            "# $USER3$ is read from Nagios' resource.cfg (`probes.nagios_resource`) when the check runs"
        ),
        "{feature}"
    );
    assert!(feature.contains("-a 'admin:$USER3$'\" should be OK"), "{feature}");
    assert!(
        feature.contains("check_written (nrpe.cfg:1): its command line holds a credential after `-a`"),
        "{feature}"
    );
    assert!(
        feature.contains("check_header (nrpe.cfg:2): its command line holds the header `authorization`"),
        "{feature}"
    );
    assert!(
        feature.contains("check_url (nrpe.cfg:3): its command line holds a password in a URL"),
        "{feature}"
    );
    assert!(
        config.contains("[probes]\nnagios_resource = \"resource.cfg\"\n"),
        "{config}"
    );
    Shakedown::new()
        .current_dir(folder.path())
        .args(["check"])
        .run()
        .expect_code(0);
    let run = Shakedown::new().current_dir(folder.path()).args(["run"]).run();
    run.expect_code(0).expect_stdout("1 passed, 0 failed");
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "{}{}",
        run.stdout,
        run.stderr
    );
    // Without the file, the run cannot tell, and says which macro it could not fill in.
    std::fs::remove_file(folder.path().join("resource.cfg")).expect("remove");
    Shakedown::new()
        .current_dir(folder.path())
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("cannot read Nagios' resource file");
}

/// Debian's shipped Nagios configuration, copied to `folder` with `nagios.cfg` pointing at the
/// copy, and one object file of the team's own in `conf.d` using a custom host variable.
fn debian_nagios(folder: &Path, app_port: u16) -> std::path::PathBuf {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nagios/debian");
    let copied = std::process::Command::new("cp")
        .arg("-r")
        .arg(shipped.join("nagios4"))
        .arg(shipped.join("nagios"))
        .arg(folder)
        .status()
        .expect("cp runs");
    assert!(copied.success());
    let etc = folder.join("nagios4");
    let main = etc.join("nagios.cfg");
    let shipped_main = read(&etc, "nagios.cfg");
    std::fs::write(
        &main,
        shipped_main.replace("/etc/nagios4", &etc.display().to_string()),
    )
    .expect("write");
    std::fs::create_dir_all(etc.join("conf.d")).expect("conf.d");
    std::fs::write(
        etc.join("conf.d/app.cfg"),
        format!(
            "\
define host {{
    use         linux-server
    host_name   app1
    address     127.0.0.1
    _port       {app_port}
}}
define command {{
    command_name  check_app_port
    command_line  $USER1$/check_tcp -H $HOSTADDRESS$ -p $_HOSTPORT$
}}
define service {{
    use                  local-service
    host_name            app1
    service_description  App port
    check_command        check_app_port
}}
"
        ),
    )
    .expect("write");
    main
}

#[test]
fn debians_shipped_nagios_and_nrpe_configurations_import_as_nagios_and_nrpe_read_them() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    let etc = tempfile::tempdir().expect("temp dir");
    let main = debian_nagios(etc.path(), port);
    // NRPE's own file, with the `command_prefix` it ships commented out switched on.
    let nrpe = etc.path().join("nagios/nrpe.cfg");
    let shipped_nrpe = read(etc.path(), "nagios/nrpe.cfg");
    assert!(shipped_nrpe.contains("\n# command_prefix=/usr/bin/sudo\n"));
    std::fs::write(
        &nrpe,
        shipped_nrpe.replace(
            "\n# command_prefix=/usr/bin/sudo\n",
            "\ncommand_prefix=/usr/bin/sudo -n\n",
        ),
    )
    .expect("write");
    let project = tempfile::tempdir().expect("temp dir");
    let outcome = Shakedown::new()
        .current_dir(project.path())
        .args([
            std::ffi::OsStr::new("init"),
            std::ffi::OsStr::new("--from-nagios"),
            main.as_os_str(),
            std::ffi::OsStr::new("--from-nrpe"),
            nrpe.as_os_str(),
        ])
        .run();
    outcome.expect_code(0);
    let feature = read(project.path(), "features/monitoring.feature");
    // The summary counts what the file holds.
    let scenarios = feature.matches("\n  Scenario: ").count();
    let left_out = feature.matches("\n  #   ").count();
    outcome.expect_stdout(&format!(
        "wrote features/monitoring.feature: {scenarios} check(s), {left_out} left out"
    ));
    for (scenario, step) in [
        // localhost.cfg, through nagios.cfg's `cfg_file`, with `$USER1$` from its `resource_file`.
        (
            "Root Partition on localhost",
            "\"/usr/lib/nagios/plugins/check_disk -w 20% -c 10% -p /\"",
        ),
        (
            "Total Processes on localhost",
            "\"/usr/lib/nagios/plugins/check_procs -w 250 -c 400 -s RSZDT\"",
        ),
        // `check_http` comes from the Monitoring Plugins' `cfg_dir`; the service gives no
        // `$ARG1$`, which Nagios passes as an empty argument.
        (
            "HTTP on localhost",
            "\"/usr/lib/nagios/plugins/check_http -H '127.0.0.1' -I '127.0.0.1' ''\"",
        ),
        // conf.d, through `cfg_dir`, with the host's custom variable.
        (
            "App port on app1",
            &format!("\"/usr/lib/nagios/plugins/check_tcp -H 127.0.0.1 -p {port}\""),
        ),
        // NRPE's commands, run after its `command_prefix` as NRPE runs them.
        (
            "check_users",
            "\"/usr/bin/sudo -n /usr/lib/nagios/plugins/check_users -w 5 -c 10\"",
        ),
    ] {
        assert!(
            feature.contains(&format!(
                "  Scenario: {scenario}\n    Then the Nagios check {step} should be OK\n"
            )),
            "no `{scenario}` running {step} in:\n{feature}"
        );
    }
    assert!(
        feature.contains("include_dir (")
            && feature.contains("NRPE reads more commands from `/etc/nagios/nrpe.d/`"),
        "{feature}"
    );
    Shakedown::new()
        .current_dir(project.path())
        .args(["check"])
        .run()
        .expect_code(0);
    // The check built from the custom variable runs against the real port.
    let run = Shakedown::new().current_dir(project.path()).args(["run"]).run();
    assert!(
        run.stdout
            .lines()
            .any(|line| line.contains("PASS") && line.trim_end().ends_with("App port on app1")),
        "{}",
        run.stdout
    );
    drop(listener);
}
