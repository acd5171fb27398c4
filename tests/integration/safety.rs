//! Safety on a live site, each promise tried against real local servers: credentials reach no
//! other origin, password sources stay bounded and quiet, read-only covers the browser and
//! commands, the crawl follows no destructive link, and a server error never passes quietly.
//! "Nothing reached it" is read from a second server's own log of what it received.

use axum::Router;
use axum::extract::Path as UrlPath;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::{LOCATION, USER_AGENT};
use axum::response::Html;
use axum::routing::get;

use crate::support::recording::RecordingServer;
use crate::support::{Outcome, Project};
use shakedown_testkit::processes::alive;

const PASSWORD: &str = "s3cret-clerk-pw";

const CLERK: &str = r#"
[login]
path = "/accounts/login/"

[roles.clerk]
username = "clerk"
password_env = "SAFETY_CLERK_PASSWORD"
"#;

const LOGGED_IN: &str =
    "Feature: Login\n  Scenario: clerk\n    Given I am logged in as \"clerk\"\n    When I request \"/\"\n";

fn login_form(action: &str) -> Html<String> {
    Html(format!(
        r#"<form method="post" action="{action}"><input name="username"><input type="password" name="password"><button>Log in</button></form>"#
    ))
}

/// Logs the clerk in on `site` with `login_extra` added to `[login]`; returns what the run
/// printed.
fn log_in(site: &RecordingServer, login_extra: &str) -> Outcome {
    let config = CLERK.replace("[roles.clerk]", &format!("{login_extra}\n[roles.clerk]"));
    let project = Project::new(&site.url, &config);
    project.file("features/login.feature", LOGGED_IN);
    project
        .shakedown()
        .env("SAFETY_CLERK_PASSWORD", PASSWORD)
        .args(["run"])
        .run()
}

/// Whether any request `server` received carried the password.
fn saw_password(server: &RecordingServer) -> bool {
    server
        .received()
        .iter()
        .any(|received| received.body.contains(PASSWORD) || received.target.contains(PASSWORD))
}

#[test]
fn credentials_are_sent_to_no_other_origin_than_the_sites_unless_configured() {
    let elsewhere = RecordingServer::start(
        Router::new()
            .route("/accounts/login/", get(|| async { login_form("/steal") }))
            .route("/steal", axum::routing::post(|| async { "Welcome, clerk" })),
    );
    let foreign = elsewhere.url.clone();
    let refusals = [
        (
            "a form whose action is another origin",
            Router::new().route(
                "/accounts/login/",
                get({
                    let action = format!("{foreign}/steal");
                    move || async move { login_form(&action) }
                }),
            ),
        ),
        (
            "a login page redirected to another origin",
            Router::new().route(
                "/accounts/login/",
                get({
                    let to = format!("{foreign}/accounts/login/");
                    move || async move { (StatusCode::FOUND, [(LOCATION, to)]) }
                }),
            ),
        ),
        (
            "a login post answered with a 307 to another origin",
            Router::new().route(
                "/accounts/login/",
                get(|| async { login_form("/accounts/login/") }).post({
                    let to = format!("{foreign}/steal");
                    move || async move { (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, to)]) }
                }),
            ),
        ),
    ];
    for (case, routes) in refusals {
        let site = RecordingServer::start(routes);
        let outcome = log_in(&site, "");
        outcome
            .expect_code(1)
            .expect_stdout(&foreign)
            .expect_stdout(&site.url);
        assert!(
            outcome.stdout.contains("login.allowed_origins"),
            "{case}: the failure does not say how to allow the origin:\n{}",
            outcome.stdout
        );
        assert!(
            !saw_password(&elsewhere),
            "{case}: the other origin received the password: {:?}",
            elsewhere.received()
        );
        assert!(
            !elsewhere
                .request_lines()
                .iter()
                .any(|line| line.starts_with("POST")),
            "{case}: the other origin received a post: {:?}",
            elsewhere.request_lines()
        );
    }

    let site = RecordingServer::start(Router::new().route(
        "/accounts/login/",
        get({
            let action = format!("{foreign}/steal");
            move || async move { login_form(&action) }
        }),
    ));
    log_in(&site, &format!("allowed_origins = [\"{foreign}\"]\n")).expect_code(0);
    assert!(saw_password(&elsewhere), "{:?}", elsewhere.received());
}

/// Whether a request comes from the browser rather than from shakedown's own HTTP client: the
/// hostile sites below are honest with the HTTP login, so the role's session starts and what is
/// tried is the browser's own form login.
fn from_browser(headers: &HeaderMap) -> bool {
    headers
        .get(USER_AGENT)
        .and_then(|agent| agent.to_str().ok())
        .is_some_and(|agent| agent.contains("Chrome"))
}

/// Runs a role's browser login against `site` and checks it failed, saying `why`, without
/// `elsewhere` hearing of it.
fn browser_log_in_is_refused(site: &RecordingServer, elsewhere: &RecordingServer, why: &str) {
    let config = CLERK.replace("[roles.clerk]", "[browser]\nlogin_form = true\n\n[roles.clerk]");
    let project = Project::new(&site.url, &config);
    project.file(
        "features/login.feature",
        "Feature: Login\n  Scenario: clerk\n    Given I am logged in as \"clerk\"\n    When I visit \"/\"\n",
    );
    project
        .shakedown()
        .env("SAFETY_CLERK_PASSWORD", PASSWORD)
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("When I visit \"/\"")
        .expect_stdout("refused to send the password of role `clerk`")
        .expect_stdout(why)
        .expect_stdout(&site.url);
    assert!(elsewhere.received().is_empty(), "{:?}", elsewhere.request_lines());
}

/// The site's login post: home for the HTTP client, `to_browser` for the browser.
fn login_post(to_browser: Option<String>) -> axum::routing::MethodRouter {
    axum::routing::post(move |headers: HeaderMap| async move {
        match to_browser.filter(|_| from_browser(&headers)) {
            Some(to) => (StatusCode::TEMPORARY_REDIRECT, [(LOCATION, to)]),
            None => (StatusCode::SEE_OTHER, [(LOCATION, "/".to_owned())]),
        }
    })
}

#[test]
fn the_browsers_form_login_sends_no_password_to_another_origin() {
    // Browser tests take turns: Chromiums starting side by side on 2 cores time each other out.
    let _turn = crate::browser::browser_turn();
    let elsewhere = RecordingServer::start(Router::new());
    let action = format!("{}/steal", elsewhere.url);
    let site = RecordingServer::start(
        Router::new()
            .route("/", get(|| async { Html("<p>home</p>") }))
            .route(
                "/accounts/login/",
                login_post(None).get(move |headers: HeaderMap| {
                    let action = action.clone();
                    async move {
                        match from_browser(&headers) {
                            true => login_form(&action),
                            false => login_form("/accounts/login/"),
                        }
                    }
                }),
            ),
    );
    browser_log_in_is_refused(&site, &elsewhere, &elsewhere.url);
}

#[test]
fn the_browsers_form_login_follows_no_redirect_of_its_post_to_another_origin() {
    let _turn = crate::browser::browser_turn();
    let elsewhere = RecordingServer::start(Router::new());
    // The form posts to the site itself, which answers the browser with a 307: a browser repeats
    // the post, password and all, wherever that points.
    let site = RecordingServer::start(
        Router::new()
            .route("/", get(|| async { Html("<p>home</p>") }))
            .route(
                "/accounts/login/",
                login_post(Some(format!("{}/steal", elsewhere.url)))
                    .get(|| async { login_form("/accounts/login/") }),
            ),
    );
    // The browser does not say where a refused redirect pointed, only that it left the origins
    // the password may go to.
    browser_log_in_is_refused(
        &site,
        &elsewhere,
        "answered the login form's post with a redirect",
    );
}

#[test]
fn password_commands_run_only_for_roles_in_use_and_end_quietly_with_their_whole_group() {
    let site = RecordingServer::start(Router::new().route(
        "/accounts/login/",
        get(|| async { login_form("/accounts/login/") }),
    ));
    let scratch = tempfile::tempdir().expect("temp dir");
    let marker = scratch.path().join("unused-role-asked");
    let pid_file = scratch.path().join("background.pid");
    let config = format!(
        r#"
[limits]
step_timeout = "1s"

[login]
path = "/accounts/login/"

[roles.clerk]
username = "clerk"
password_command = "echo vault-token-$((40 + 2)) >&2; exit 3"

[roles.slow]
username = "slow"
password_command = "sleep 300 & echo $! > {pid}; wait"

[roles.auditor]
username = "auditor"
password_command = "touch {marker}; echo auditor-pw"
"#,
        pid = pid_file.display(),
        marker = marker.display()
    );
    let project = Project::new(&site.url, &config);
    project.file(
        "features/roles.feature",
        "Feature: Roles\n  Scenario: clerk\n    Given I am logged in as \"clerk\"\n  Scenario: slow\n    Given I am logged in as \"slow\"\n",
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout("the command failed with exit status 3")
        .expect_stdout("did not finish within 1s");
    for output in [&outcome.stdout, &outcome.stderr] {
        assert!(
            !output.contains("vault-token-42"),
            "a password command's stderr was printed:\n{output}"
        );
    }
    assert!(
        !marker.exists(),
        "the password command of a role no scenario uses ran"
    );
    let pid = std::fs::read_to_string(&pid_file).expect("the slow command started");
    assert!(
        !alive(pid.trim().parse().expect("a PID")),
        "the password command's background child {pid} survived its timeout"
    );
}

#[test]
fn commands_and_plugins_never_inherit_a_password_variable() {
    let site = RecordingServer::start(Router::new());
    let project = Project::new(
        &site.url,
        &format!("{CLERK}\n[probes]\nnagios_plugin_dir = \".\"\n"),
    );
    let plugin = project.file(
        "check_leak",
        "#!/bin/sh\nif [ -n \"$SAFETY_CLERK_PASSWORD\" ]; then echo 'CRITICAL - a password is in my environment'; exit 2; fi\necho 'OK - clean environment'\n",
    );
    std::fs::set_permissions(&plugin, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    project.file(
        "features/env.feature",
        "Feature: Environment\n  Scenario: command\n    Then the command \"./check_leak\" should succeed\n  Scenario: plugin\n    Then the Nagios check \"check_leak\" should be OK\n  Scenario: through a shell\n    Then the command \"env | grep -c SAFETY_CLERK || true\" should succeed\n    And its output should contain \"0\"\n",
    );
    project
        .shakedown()
        .env("SAFETY_CLERK_PASSWORD", PASSWORD)
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("3 passed, 0 failed");
}

const READ_ONLY_PAGES: &str = r#"Feature: Read-only in the browser
  Scenario: a post form
    When I visit "/form"
    And I press "Save"

  Scenario: a get form
    When I visit "/form"
    And I press "Search"
    Then I should see "results"

  Scenario: a script's delete
    When I visit "/js"
    And I click "Archive"

  Scenario: a script's form.submit
    When I visit "/js"
    And I click "Quietly"

  Scenario: a command not listed
    Then the command "touch MARKER" should succeed

  Scenario: a listed command
    Then the command "true" should succeed
"#;

#[test]
fn a_read_only_environment_sends_nothing_mutating_from_the_browser_or_a_command() {
    let _turn = crate::browser::browser_turn();
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/form",
                get(|| async {
                    Html(
                        r#"<form method="post" action="/save"><input name="note"><button>Save</button></form>
                           <form method="get" action="/search"><input name="q"><button>Search</button></form>"#,
                    )
                }),
            )
            .route(
                "/js",
                get(|| async {
                    Html(
                        r##"<button onclick="fetch('/api/items/7', {method: 'DELETE'})">Archive</button>
                           <a href="#" onclick="document.getElementById('f').submit(); return false;">Quietly</a>
                           <form id="f" method="post" action="/quiet"></form>"##,
                    )
                }),
            )
            .route("/search", get(|| async { Html("<p>results</p>") })),
    );
    let scratch = tempfile::tempdir().expect("temp dir");
    let marker = scratch.path().join("written");
    let project = Project::new(
        &site.url,
        "read_only = true\n\n[probes]\nallowed_commands_on_read_only = [\"true\", \"systemctl is-active *\"]\n",
    );
    project.file(
        "features/read_only.feature",
        &READ_ONLY_PAGES.replace("MARKER", &marker.display().to_string()),
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("2 passed, 4 failed")
        .expect_stdout("refused to send POST")
        .expect_stdout("refused to send DELETE")
        .expect_stdout("refused to run the command");
    let lines = site.request_lines();
    assert!(
        lines.iter().all(|line| line.starts_with("GET ")),
        "a mutating request reached the site: {lines:?}"
    );
    assert!(
        lines.iter().any(|line| line.starts_with("GET /search?q=")),
        "{lines:?}"
    );
    assert!(
        !marker.exists(),
        "a command not listed ran on a read-only environment"
    );
}

#[test]
fn an_allowed_command_on_a_read_only_environment_is_no_shell_hole() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let marker = scratch.path().join("owned");
    let marker = marker.display().to_string();
    let project = Project::new(
        "http://127.0.0.1:9/",
        "read_only = true\n\n[probes]\nallowed_commands_on_read_only = [\"echo *\"]\n",
    );
    let attacks = [
        format!("echo ok; touch {marker}"),
        format!("echo $(touch {marker})"),
        format!("echo `touch {marker}`"),
        format!("echo ok | tee {marker}"),
        format!("echo ok && touch {marker}"),
        format!("echo ok > {marker}"),
    ];
    let mut feature = String::from(
        "Feature: Read-only commands\n  Scenario: allowed and plain\n    Then the command \"echo all is well\" should succeed\n    And its output should contain \"all is well\"\n",
    );
    for (number, attack) in attacks.iter().enumerate() {
        feature.push_str(&format!(
            "\n  Scenario: attack {number}\n    Then the command \"{attack}\" should succeed\n"
        ));
    }
    project.file("features/commands.feature", &feature);
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(1)
        .expect_stdout(&format!("1 passed, {} failed", attacks.len()))
        .expect_stdout("it needs a shell (it holds \";\")");
    assert!(
        !std::path::Path::new(&marker).exists(),
        "a command beyond the allowed pattern ran on a read-only environment:\n{}",
        outcome.stdout
    );
}

#[test]
fn no_report_is_written_over_an_input_of_the_run_or_a_device() {
    let site = RecordingServer::start(Router::new().route("/", get(|| async { "home" })));
    let project = Project::new(&site.url, "");
    let feature_text = "Feature: Home\n  Scenario: home\n    When I request \"/\"\n";
    let feature = project.file("features/home.feature", feature_text);
    let config_text = std::fs::read_to_string(project.path().join("shakedown.toml")).expect("config");
    for (option, target, problem) in [
        (
            "--junit",
            "features/home.feature",
            "it is a feature file of this run",
        ),
        ("--html", "shakedown.toml", "it is the configuration"),
        ("--json", "/dev/null", "it is not a regular file"),
    ] {
        project
            .shakedown()
            .args(["run", option, target])
            .run()
            .expect_code(2)
            .expect_stderr(&format!("cannot be written to `{target}`: {problem}"))
            .expect_no_panic();
    }
    project
        .shakedown()
        .args(["run", "--junit", "reports/out.xml", "--html", "reports/out.xml"])
        .run()
        .expect_code(2)
        .expect_stderr("the JUnit report is written there too");
    assert_eq!(std::fs::read_to_string(&feature).expect("feature"), feature_text);
    assert_eq!(
        std::fs::read_to_string(project.path().join("shakedown.toml")).expect("config"),
        config_text
    );
    assert!(
        site.request_lines().is_empty(),
        "a refused run sent requests: {:?}",
        site.request_lines()
    );
}

#[test]
fn a_password_file_that_is_a_device_or_a_fifo_is_refused_at_once() {
    let site = RecordingServer::start(Router::new().route("/", get(|| async { "home" })));
    let project = Project::new(&site.url, "");
    let fifo = project.path().join("password.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    for source in ["/dev/zero", &fifo.display().to_string()] {
        project.file(
            "shakedown.toml",
            &format!(
                "[environments.test]\nbase_url = \"{}\"\n[login]\npath = \"/login\"\n[roles.clerk]\nusername = \"clerk\"\npassword_file = \"{source}\"\n",
                site.url
            ),
        );
        project.file(
            "features/clerk.feature",
            "Feature: Clerk\n  Scenario: logs in\n    Given I am logged in as \"clerk\"\n",
        );
        let outcome = project.shakedown().args(["run"]).run();
        outcome
            .expect_code(1)
            .expect_stdout("it is not a regular file")
            .expect_no_panic();
        assert!(
            outcome.took < std::time::Duration::from_secs(10),
            "{:?}",
            outcome.took
        );
    }
}

#[test]
fn the_ssh_control_folder_and_its_log_are_the_users_alone() {
    let server = shakedown_testkit::sshd::Sshd::start();
    let scratch = tempfile::tempdir().expect("temp dir");
    let project = Project::new(
        "http://127.0.0.1:9/",
        &format!("{}\n{}", server.host_toml("web1"), server.ssh_toml()),
    );
    project.file(
        "features/modes.feature",
        &format!(
            "Feature: Modes\n  Scenario: the control folder\n    Then the command \"stat -c '%a %n' {dir}/shakedown-ssh-* {dir}/shakedown-ssh-*/ssh.log\" should succeed\n    And its output should contain \"700 \"\n    And its output should contain \"600 \"\n    And its output should not contain \"755\"\n    And its output should not contain \"644\"\n",
            dir = scratch.path().display()
        ),
    );
    project
        .shakedown()
        .env("TMPDIR", &scratch.path().display().to_string())
        .args(["run"])
        .run()
        .expect_code(0);
}

#[test]
fn the_crawl_follows_no_destructive_link_however_it_is_spelt_and_honours_base_href() {
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/",
                get(|| async {
                    Html(
                        r#"<html><head><base href="/app/"></head><body>
                           <a href="reports/">Reports</a>
                           <a href="/log%6fut">Bye</a>
                           <a href="/items/7/delete">Tidy</a>
                           <a href="/account">Sign out</a>
                           <a href="/session/end">Leave</a>
                           <a href="/api/deleteAccount">Close</a>
                           <a href="/newsletter?action=unsubscribe">Mail</a>
                           <a href="/reports/removals">Removals</a>
                           <a href="/wipe">Start over</a>
                           <a href="/truncate-tables">Tables</a>
                           <a href="/admin/flush-cache">Cache</a>
                           <a href="/shutdown">Power</a>
                           <a href="/bye"><img src="/door.png" alt="Logout"></a>
                           <a href="/farewell" aria-label="Sign out">&#x2192;</a>
                           </body></html>"#,
                    )
                }),
            )
            .route("/app/reports/", get(|| async { Html("<p>monthly reports</p>") }))
            .route("/reports/removals", get(|| async { Html("<p>removals</p>") }))
            .route("/door.png", get(|| async { "an image" })),
    );
    let project = Project::new(&site.url, "");
    project.file(
        "features/crawl.feature",
        "Feature: Crawl\n  Scenario: crawl\n    Then no page reachable from \"/\" should contain forbidden content\n",
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("checked 3 page(s)")
        .expect_stdout("12 unsafe link(s) skipped");
    let mut lines = site.request_lines();
    lines.sort();
    // The logout icon's image is loaded, as a browser loads it, by HEAD: that ends no session.
    assert_eq!(
        lines,
        [
            "GET /",
            "GET /app/reports/",
            "GET /reports/removals",
            "HEAD /door.png"
        ]
    );
}

#[test]
fn the_crawl_sends_nothing_to_another_origin_a_redirect_points_at() {
    let elsewhere =
        RecordingServer::start(Router::new().route("/landing", get(|| async { Html("<p>elsewhere</p>") })));
    let target = format!("{}/landing", elsewhere.url);
    let site = RecordingServer::start(
        Router::new()
            .route(
                "/",
                get(|| async { Html(r#"<a href="/away">Partner</a> <a href="/help">Help</a>"#) }),
            )
            .route("/help", get(|| async { Html("<p>help</p>") }))
            .route(
                "/away",
                get(move || {
                    let target = target.clone();
                    async move { axum::response::Redirect::temporary(&target) }
                }),
            ),
    );
    let project = Project::new(&site.url, "");
    project.file(
        "features/crawl.feature",
        "Feature: Crawl\n  Scenario: crawl\n    Then no page reachable from \"/\" should contain forbidden content\n",
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("checked 2 page(s)");
    assert!(
        elsewhere.request_lines().is_empty(),
        "the crawl followed a redirect to another origin: {:?}",
        elsewhere.request_lines()
    );
}

#[test]
fn the_crawl_ends_at_the_deadline_saying_how_many_pages_it_checked() {
    let site = RecordingServer::start(Router::new().route(
        "/page/{number}",
        get(|UrlPath(number): UrlPath<u64>| async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            Html(format!(
                r#"<a href="/page/{}">a</a> <a href="/page/{}">b</a>"#,
                2 * number,
                2 * number + 1
            ))
        }),
    ));
    let project = Project::new(
        &site.url,
        "[limits]\nstep_timeout = \"2s\"\n\n[content]\ncrawl_max_depth = 30\ncrawl_max_pages = 100000\n",
    );
    project.file(
        "features/crawl.feature",
        "Feature: Crawl\n  Scenario: crawl\n    Then no page reachable from \"/page/1\" should contain forbidden content\n",
    );
    let outcome = project.shakedown().args(["run"]).run();
    outcome
        .expect_code(0)
        .expect_stdout("note: checked ")
        .expect_stdout("stopped at the step's deadline");
    assert!(
        outcome.took < std::time::Duration::from_secs(10),
        "{:?}",
        outcome.took
    );
    let received = site.received().len();
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(
        site.received().len(),
        received,
        "the crawl went on after the run ended"
    );
}

#[test]
fn a_server_error_or_a_cut_body_never_passes_a_check_that_text_is_absent() {
    let site = RecordingServer::start(
        Router::new()
            .route("/", get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "Oops") }))
            .route(
                "/maintenance",
                get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "Down for maintenance") }),
            )
            .route(
                "/big",
                get(|| async { format!("{}Traceback", "a".repeat(17 * 1024 * 1024)) }),
            ),
    );
    let project = Project::new(&site.url, "");
    project.file(
        "features/errors.feature",
        r#"Feature: Errors
  Scenario: a server error nobody expects
    When I request "/"
    Then the response should not contain "Traceback"

  Scenario: maintenance, expected
    When I request "/maintenance"
    Then the response status should be 503
    And the response should not contain "Traceback"

  Scenario: a body cut at the limit
    When I request "/big"
    Then the response should not contain "Traceback"
"#,
    );
    project
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("1 passed, 2 failed")
        .expect_stdout("`GET /` answered 500 Internal Server Error; checks that text is absent prove nothing on an error page")
        .expect_stdout("was cut at 16 MiB");
}
