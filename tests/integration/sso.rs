//! Single sign-on through a real OpenID Provider: the certified `oidc-provider` package run by
//! node (tests/fixtures/oidc, installed by `ci/test`), with the demo site as its relying party
//! (authorization-code flow). Roles log in through the provider's own login page, once per run,
//! and get the same access matrix as the form roles; the password goes nowhere the file does
//! not name, a second factor at the provider works, and no secret shows in any output.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use shakedown_demo_site::{DemoOptions, RunningSite, SsoProvider};

use crate::browser::browser_turn;
use crate::hostile_browser::hostile_login_page;
use crate::support::recording::RecordingServer;
use crate::support::{Outcome, Project, REPORTS, Shakedown, assert_no_output_shows, expect_check_refuses};

/// The provider's passwords, not the demo site's: the site keeps none in this mode.
const ACCOUNTS: [(&str, &str); 3] = [
    ("admin", "admin-sso-pass-6d2e"),
    ("clerk", "clerk-sso-pass-6d2e"),
    ("viewer", "viewer-sso-pass-6d2e"),
];
const CLIENT_SECRET: &str = "ledger-client-secret-91fa";
/// The admin's authenticator secret at the provider, and one that is not it.
const TOTP_SECRET: &str = "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP";
const WRONG_TOTP_SECRET: &str = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";

/// The provider's folder, with its pinned `oidc-provider` installed.
fn provider_folder() -> PathBuf {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oidc");
    assert!(
        folder.join("node_modules/oidc-provider/package.json").is_file(),
        "the OpenID Provider the single sign-on tests use is not installed: run `npm ci --prefix tests/fixtures/oidc` (ci/test does)"
    );
    folder
}

/// `oidc-provider` in a node process, logging what reached it; stopped when dropped.
struct Provider {
    child: Child,
    /// Kept open: the provider prints notices after its first line, and a closed pipe would end it.
    _stdout: BufReader<std::process::ChildStdout>,
    issuer: String,
    log: PathBuf,
    _folder: tempfile::TempDir,
}

impl Provider {
    /// A provider whose client is the demo site at `site_url`, with `accounts`
    /// (`{"username", "password", "totp_secret"?}`). Its host is `localhost`, the site's
    /// `127.0.0.1`: two origins, and two sets of cookies.
    fn start(site_url: &str, accounts: &Value) -> Self {
        let folder = provider_folder();
        let scratch = tempfile::tempdir().expect("temp dir");
        let log = scratch.path().join("received.jsonl");
        let client = json!({
            "client_id": "ledger",
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [format!("{site_url}/sso/callback")],
        });
        let mut child = Command::new("node")
            .arg(folder.join("provider.mjs"))
            .current_dir(&folder)
            .env("OIDC_ACCOUNTS", accounts.to_string())
            .env("OIDC_CLIENT", client.to_string())
            .env("OIDC_LOG", &log)
            .env("OIDC_HOST", "localhost")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs (ci/test installs nodejs)");
        let mut first_line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        stdout
            .read_line(&mut first_line)
            .expect("the provider's first line");
        let issuer = first_line
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("the provider did not start: {first_line:?}"))
            .trim()
            .to_owned();
        Self {
            child,
            _stdout: stdout,
            issuer,
            log,
            _folder: scratch,
        }
    }

    /// Every request that reached the provider: method, path and form body.
    fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }

    /// The one-time codes the provider was sent.
    fn codes(&self) -> Vec<String> {
        self.received()
            .iter()
            .filter(|request| {
                request["path"]
                    .as_str()
                    .is_some_and(|path| path.ends_with("/otp"))
            })
            .filter_map(|request| {
                url::form_urlencoded::parse(request["body"].as_str()?.as_bytes())
                    .find(|(key, _)| key == "otp")
                    .map(|(_, code)| code.into_owned())
            })
            .collect()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The demo site signing people in through a provider, served in this process.
struct SsoSite {
    url: String,
    provider: Provider,
    site: Option<RunningSite>,
    runtime: tokio::runtime::Runtime,
    _state: tempfile::TempDir,
}

impl SsoSite {
    /// The demo site and its provider, whose accounts are the demo users with the provider's
    /// passwords; `totp_for_admin` asks the admin for a one-time code after the password.
    fn start(totp_for_admin: Option<&str>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let accounts: Vec<Value> = ACCOUNTS
            .iter()
            .map(|(username, password)| match (*username, totp_for_admin) {
                ("admin", Some(secret)) => {
                    json!({"username": username, "password": password, "totp_secret": secret})
                }
                _ => json!({"username": username, "password": password}),
            })
            .collect();
        let provider = Provider::start(&url, &Value::from(accounts));
        let state = tempfile::tempdir().expect("temp dir");
        let options = DemoOptions::new(state.path().join("state")).with_sso(SsoProvider {
            issuer: provider.issuer.clone(),
            client_id: "ledger".into(),
            client_secret: CLIENT_SECRET.into(),
        });
        let site = runtime
            .block_on(shakedown_demo_site::start(listener, options))
            .expect("the demo site starts in single sign-on mode");
        Self {
            url,
            provider,
            site: Some(site),
            runtime,
            _state: state,
        }
    }

    /// The site's successful logins per user (`/__demo/stats`).
    fn logins(&self) -> Value {
        let stats = format!("{}/__demo/stats", self.url);
        self.runtime.block_on(async {
            reqwest::get(&stats)
                .await
                .expect("the stats answer")
                .json::<Value>()
                .await
                .expect("JSON stats")["logins"]
                .clone()
        })
    }

    /// A project whose roles log in through the provider; `allowed` is `login.allowed_origins`,
    /// `environment` more of the environment's settings.
    fn project(&self, environment: &str, allowed: &str, roles: &str) -> Project {
        let project = Project::new(
            &self.url,
            &format!(
                "{environment}\n[login]\nmethod = \"sso\"\npath = \"/accounts/login/\"\nallowed_origins = [\"{allowed}\"]\n{roles}\n[browser]\nsessions = 2\n"
            ),
        );
        std::fs::create_dir_all(project.path().join("reports")).expect("reports folder");
        project
    }
}

impl Drop for SsoSite {
    fn drop(&mut self) {
        if let Some(site) = self.site.take() {
            self.runtime.block_on(site.shutdown());
        }
    }
}

/// The three demo roles, each reading the provider's password from `SSO_<ROLE>_PASSWORD`.
fn demo_roles(admin_extra: &str) -> String {
    ACCOUNTS
        .iter()
        .map(|(role, _)| {
            let extra = if *role == "admin" { admin_extra } else { "" };
            format!(
                "[roles.{role}]\nusername = \"{role}\"\npassword_env = \"SSO_{}_PASSWORD\"\n{extra}",
                role.to_uppercase()
            )
        })
        .collect()
}

/// `shakedown run` with the provider's passwords and every report, its audit log in the project.
fn run(project: &Project, extra_env: &[(&str, &str)]) -> Outcome {
    let mut shakedown: Shakedown =
        ACCOUNTS
            .iter()
            .fold(project.shakedown(), |shakedown, (role, password)| {
                shakedown.env(&format!("SSO_{}_PASSWORD", role.to_uppercase()), password)
            });
    for (name, value) in extra_env {
        shakedown = shakedown.env(name, value);
    }
    shakedown
        .env(
            "XDG_STATE_HOME",
            &project.path().join("state").display().to_string(),
        )
        .args(["run"])
        .args(REPORTS)
        .run()
}

/// The passwords, as no output may show them.
fn passwords() -> Vec<String> {
    ACCOUNTS
        .iter()
        .map(|(_, password)| (*password).to_owned())
        .chain([CLIENT_SECRET.to_owned()])
        .collect()
}

const MATRIX: &str = r#"Feature: Ledger behind single sign-on
  Scenario: who may open what
    Then the access matrix should hold:
      | path        | anonymous | admin   | clerk   | viewer  |
      | /dashboard/ | login     | allowed | allowed | allowed |
      | /reports/   | login     | allowed | allowed | denied  |
      | /admin/     | login     | allowed | denied  | denied  |

  Scenario: one cell
    Then the role "viewer" should not have access to "/reports/"
    And "clerk" should see "Monthly reports" on "/reports/"

  Scenario: the clerk's pages hold nothing forbidden
    Given I am logged in as "clerk"
    Then no page reachable from "/dashboard/" should contain forbidden content

  Scenario: the admin's console in the browser
    Given I am logged in as "admin"
    When I visit "/admin/"
    Then I should see "Manage users, roles and the chart of accounts."
"#;

#[test]
fn roles_that_log_in_through_the_identity_provider_pass_the_same_access_matrix_as_form_roles() {
    let _turn = browser_turn();
    let site = SsoSite::start(None);
    let project = site.project("", &site.provider.issuer, &demo_roles(""));
    project.file("features/access.feature", MATRIX);
    let outcome = run(&project, &[]);
    outcome.expect_code(0).expect_stdout("4 passed, 0 failed");
    assert_eq!(
        site.logins(),
        json!({"admin": 1, "clerk": 1, "viewer": 1}),
        "one login per role per run, through the provider"
    );
    let password_posts: Vec<Value> = site
        .provider
        .received()
        .into_iter()
        .filter(|request| {
            request["body"]
                .as_str()
                .is_some_and(|body| body.contains("password="))
        })
        .collect();
    assert_eq!(
        password_posts.len(),
        3,
        "one password post per role: {password_posts:?}"
    );
    assert_no_output_shows(&project, &outcome, &passwords());
}

#[test]
fn an_identity_provider_outside_the_allowed_origins_never_receives_the_password() {
    let _turn = browser_turn();
    let site = SsoSite::start(None);
    let project = site.project("", "https://sso.example.com", &demo_roles(""));
    project.file(
        "features/access.feature",
        "Feature: A\n  Scenario: the admin\n    Given I am logged in as \"admin\"\n    When I request \"/admin/\"\n    Then the response status should be 200\n",
    );
    let outcome = run(&project, &[]);
    let origin = site.provider.issuer.trim_end_matches('/');
    outcome
        .expect_code(1)
        .expect_stdout(&format!(
            "refused to type the password of role `admin` at {origin}: the site's login page sent the browser there, and {origin} is not in `login.allowed_origins`"
        ));
    let received = site.provider.received();
    assert!(
        received.iter().all(|request| request["method"] != "POST"),
        "the provider was sent a form: {received:?}"
    );
    assert!(
        !received.is_empty(),
        "the browser never reached the provider, so the refusal proves nothing"
    );
    assert_eq!(site.logins(), json!({}));
    assert_no_output_shows(&project, &outcome, &passwords());
}

#[test]
fn a_password_the_provider_refuses_fails_the_role_once_with_a_message_that_says_so() {
    let _turn = browser_turn();
    let site = SsoSite::start(None);
    let project = site.project("", &site.provider.issuer, &demo_roles(""));
    project.file("features/admin.feature", ADMIN_CONSOLE);
    let outcome = run(&project, &[("SSO_ADMIN_PASSWORD", "not-the-admins-sso-pass")]);
    outcome
        .expect_code(1)
        .expect_stdout("single sign-on as `admin` (user `admin`) failed: the identity provider showed its login form again at ")
        .expect_stdout("check the user name and the password source of `[roles.admin]`");
    let password_posts = site
        .provider
        .received()
        .iter()
        .filter(|request| {
            request["path"]
                .as_str()
                .is_some_and(|path| path.ends_with("/login"))
        })
        .count();
    assert_eq!(password_posts, 1, "the refused password is tried once per run");
    assert_eq!(site.logins(), json!({}));
    let mut secrets = passwords();
    secrets.push("not-the-admins-sso-pass".into());
    assert_no_output_shows(&project, &outcome, &secrets);
}

#[test]
fn check_refuses_single_sign_on_without_allowed_origins_at_its_line_and_column() {
    let refusals = [
        (
            "[login]\nmethod = \"sso\"\npath = \"/login\"\n",
            "shakedown.toml:4:10: `login.method` is \"sso\" and `login.allowed_origins` is empty",
        ),
        (
            "[login]\npath = \"/login\"\n[roles.admin]\nmethod = \"sso\"\nusername = \"admin\"\npassword_env = \"X\"\n",
            "shakedown.toml:6:10: `roles.admin.method` is \"sso\" and `login.allowed_origins` is empty",
        ),
    ];
    expect_check_refuses(&refusals);
}

const ADMIN_CONSOLE: &str = r#"Feature: The admin console
  Scenario: the admin by HTTP
    Given I am logged in as "admin"
    When I request "/admin/"
    Then the response should contain "Manage users"

  Scenario: the admin in the browser
    Given I am logged in as "admin"
    When I visit "/admin/"
    Then I should see "Manage users"
"#;

/// On a read-only environment too: the provider's password post and then its code post are
/// the posts let through.
#[test]
fn an_identity_provider_that_asks_for_a_one_time_code_gets_the_roles_current_one() {
    let _turn = browser_turn();
    let site = SsoSite::start(Some(TOTP_SECRET));
    let project = site.project(
        "read_only = true",
        &site.provider.issuer,
        &demo_roles("totp_secret_env = \"SSO_ADMIN_TOTP\"\n"),
    );
    project.file("features/admin.feature", ADMIN_CONSOLE);
    let outcome = run(&project, &[("SSO_ADMIN_TOTP", TOTP_SECRET)]);
    outcome.expect_code(0).expect_stdout("2 passed, 0 failed");
    let codes = site.provider.codes();
    assert_eq!(codes.len(), 1, "one login, one code: {codes:?}");
    assert_eq!(site.logins(), json!({"admin": 1}));
    let mut secrets = passwords();
    secrets.extend(codes);
    secrets.extend([TOTP_SECRET.to_owned(), TOTP_SECRET.replace(' ', "")]);
    assert_no_output_shows(&project, &outcome, &secrets);
}

#[test]
fn a_wrong_one_time_code_secret_fails_the_login_once_with_a_message_that_says_so() {
    let _turn = browser_turn();
    let site = SsoSite::start(Some(TOTP_SECRET));
    let project = site.project(
        "",
        &site.provider.issuer,
        &demo_roles("totp_secret_env = \"SSO_ADMIN_TOTP\"\n"),
    );
    project.file("features/admin.feature", ADMIN_CONSOLE);
    let outcome = run(&project, &[("SSO_ADMIN_TOTP", WRONG_TOTP_SECRET)]);
    outcome
        .expect_code(1)
        .expect_stdout("`admin`'s one-time code was refused at /interaction/")
        .expect_stdout("check the `totp_secret_*` of `[roles.admin]`");
    let codes = site.provider.codes();
    assert_eq!(codes.len(), 1, "the wrong code is tried once per run: {codes:?}");
    assert_eq!(site.logins(), json!({}));
    let mut secrets = passwords();
    secrets.extend(codes);
    secrets.push(WRONG_TOTP_SECRET.to_owned());
    assert_no_output_shows(&project, &outcome, &secrets);
}

#[test]
fn a_role_without_a_second_factor_that_is_asked_for_a_code_is_told_to_give_it_one() {
    let _turn = browser_turn();
    let site = SsoSite::start(Some(TOTP_SECRET));
    let project = site.project("", &site.provider.issuer, &demo_roles(""));
    project.file("features/admin.feature", ADMIN_CONSOLE);
    let outcome = run(&project, &[]);
    outcome
        .expect_code(1)
        .expect_stdout("the site asks `admin` for a one-time code at /interaction/")
        .expect_stdout("`[roles.admin]` has no `totp_secret_env`");
    assert!(site.provider.codes().is_empty(), "a code was sent");
    assert_no_output_shows(&project, &outcome, &passwords());
}

/// The provider's page is as hostile as a login page can be (`hostile_login_page`): once the
/// password is typed into it, nothing reaches any origin but the site's and the provider's.
#[test]
fn a_hostile_identity_provider_page_carries_the_password_to_no_other_origin() {
    let _turn = browser_turn();
    let attacker = RecordingServer::start(axum::Router::new());
    let page = hostile_login_page(&attacker.url);
    let provider = RecordingServer::start(axum::Router::new().route(
        "/accounts/login/",
        axum::routing::get(move || async move { page }),
    ));
    let sign_in = format!("{}/accounts/login/", provider.url);
    let site = RecordingServer::start(axum::Router::new().route(
        "/login",
        axum::routing::get(move || async move { axum::response::Redirect::to(&sign_in) }),
    ));
    let project = Project::new(
        &site.url,
        &format!(
            "[login]\nmethod = \"sso\"\npath = \"/login\"\nallowed_origins = [\"{}\"]\n[roles.clerk]\nusername = \"clerk\"\npassword_env = \"SSO_CLERK_PASSWORD\"\n[browser]\nsessions = 1\n",
            provider.url
        ),
    );
    project.file(
        "features/login.feature",
        "Feature: Login\n  Scenario: clerk\n    Given I am logged in as \"clerk\"\n    When I request \"/\"\n",
    );
    let outcome = project
        .shakedown()
        .env("SSO_CLERK_PASSWORD", ACCOUNTS[1].1)
        .args(["run"])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("refused to send the password of role `clerk` on: while it was in the login page")
        .expect_stdout(&attacker.url);
    assert!(
        attacker.received().is_empty(),
        "the attacker received: {:?}",
        attacker.received()
    );
    assert!(!outcome.stdout.contains(ACCOUNTS[1].1), "{}", outcome.stdout);
}

/// A provider that asks for the user name on one page and for the password on the next, as
/// many hosted ones do; the site takes its word by a ticket on the way back.
#[test]
fn a_provider_that_asks_for_the_password_on_a_second_page_gets_it_there() {
    use axum::http::{HeaderMap, StatusCode, header};
    use axum::response::{Html, IntoResponse};
    use axum::routing::get;

    const PASSWORD: &str = "two-page-pass-88c1";
    let _turn = browser_turn();
    let site_url = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let back_to = std::sync::Arc::clone(&site_url);
    let provider = RecordingServer::start(
        axum::Router::new()
            .route(
                "/signin",
                get(|| async {
                    Html(r#"<form method="post" action="/signin"><input name="identifier" autocomplete="username"><button>Next</button></form>"#)
                })
                .post(|body: String| async move {
                    let user = url::form_urlencoded::parse(body.as_bytes())
                        .find(|(key, _)| key == "identifier")
                        .map(|(_, user)| user.into_owned())
                        .unwrap_or_default();
                    Html(format!(
                        r#"<form method="post" action="/signin/password"><input type="hidden" name="identifier" value="{user}"><input type="password" name="secret"><input type="submit" value="Sign in"></form>"#
                    ))
                }),
            )
            .route(
                "/signin/password",
                axum::routing::post(move |body: String| async move {
                    let site = back_to.get().cloned().unwrap_or_default();
                    let sent: Vec<(String, String)> =
                        url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
                    let right = sent.contains(&("identifier".into(), "clerk".into()))
                        && sent.contains(&("secret".into(), PASSWORD.into()));
                    match right {
                        true => axum::response::Redirect::to(&format!("{site}/callback?ticket=t-clerk")).into_response(),
                        false => Html("<p>wrong</p>").into_response(),
                    }
                }),
            ),
    );
    let sign_in = format!("{}/signin", provider.url);
    let site = RecordingServer::start(
        axum::Router::new()
            .route(
                "/login",
                get(move || async move { axum::response::Redirect::to(&sign_in) }),
            )
            .route(
                "/callback",
                get(|| async {
                    (
                        StatusCode::FOUND,
                        [
                            (header::LOCATION, "/desk"),
                            (header::SET_COOKIE, "session=clerk-session-20f7; Path=/"),
                        ],
                    )
                }),
            )
            .route(
                "/desk",
                get(|headers: HeaderMap| async move {
                    let cookies = headers
                        .get(header::COOKIE)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    match cookies.contains("session=clerk-session-20f7") {
                        true => Html("<h1>Desk</h1>").into_response(),
                        false => axum::response::Redirect::to("/login").into_response(),
                    }
                }),
            ),
    );
    site_url.set(site.url.clone()).expect("set once");
    let project = Project::new(
        &site.url,
        &format!(
            "[login]\nmethod = \"sso\"\npath = \"/login\"\nallowed_origins = [\"{}\"]\n[roles.clerk]\nusername = \"clerk\"\npassword_env = \"SSO_CLERK_PASSWORD\"\n[browser]\nsessions = 1\n",
            provider.url
        ),
    );
    project.file(
        "features/desk.feature",
        "Feature: Desk\n  Scenario: clerk\n    Then the access matrix should hold:\n      | path  | anonymous | clerk   |\n      | /desk | login     | allowed |\n",
    );
    project
        .shakedown()
        .env("SSO_CLERK_PASSWORD", PASSWORD)
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("1 passed, 0 failed");
    let password_posts = provider
        .received()
        .iter()
        .filter(|received| received.target == "/signin/password")
        .count();
    assert_eq!(password_posts, 1, "one login for the run");
}
