//! Every way a role logs in besides the form: HTTP Basic and Digest against real servers that
//! check them, a bearer token, a TLS client certificate; credentials that never follow a
//! redirect to another origin or show in any output; a refused password named by its scheme;
//! and `check` refusing a configuration that cannot work, at its line and column.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::support::recording::RecordingServer;
use crate::support::{Project, REPORTS, Shakedown, assert_no_output_shows, expect_check_refuses};

const USERS: [(&str, &str); 3] = [
    ("admin", "admin-pass-7f3"),
    ("clerk", "clerk-pass-7f3"),
    ("viewer", "viewer-pass-7f3"),
];
const NONCE: &str = "dcd98b7102dd2f0e8b11d0f600bfb0c093";

#[derive(Clone, Copy)]
enum Scheme {
    Basic,
    Digest,
}

impl Scheme {
    fn keyword(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Digest => "digest",
        }
    }

    fn challenge(self) -> String {
        match self {
            Self::Basic => r#"Basic realm="Ledger staff""#.to_owned(),
            Self::Digest => {
                format!(r#"Digest realm="Ledger staff", qop="auth", nonce="{NONCE}", algorithm=MD5"#)
            }
        }
    }

    /// The user whose credentials the request carries, checked as the server would.
    fn user(self, method: &Method, headers: &HeaderMap) -> Option<&'static str> {
        let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
        match self {
            Self::Basic => {
                let pair = STANDARD.decode(value.strip_prefix("Basic ")?).ok()?;
                let pair = String::from_utf8(pair).ok()?;
                let (user, password) = pair.split_once(':')?;
                USERS
                    .iter()
                    .find(|known| **known == (user, password))
                    .map(|(user, _)| *user)
            }
            Self::Digest => {
                let answer = digest_auth::AuthorizationHeader::parse(value).ok()?;
                let (user, password) = USERS.iter().find(|(user, _)| *user == answer.username)?;
                let mut prompt = digest_auth::parse(&self.challenge()).ok()?;
                prompt.nc = answer.nc.checked_sub(1)?;
                let mut context = digest_auth::AuthContext::new_with_method(
                    *user,
                    *password,
                    answer.uri.as_str(),
                    Option::<&[u8]>::None,
                    digest_auth::HttpMethod(method.as_str().to_owned().into()),
                );
                context.set_custom_cnonce(answer.cnonce.clone()?);
                let expected = prompt.respond(&context).ok()?;
                (answer.nonce == NONCE && expected.response == answer.response).then_some(*user)
            }
        }
    }
}

/// A staff area behind `scheme`: `/` is public, `/staff/` is for every user, `/admin/` for the
/// admin alone; `/away` sends its visitor to `elsewhere`, `/whoami` says whether credentials came.
fn staff_site(scheme: Scheme, elsewhere: &str) -> RecordingServer {
    let image_origin = elsewhere.to_owned();
    let guarded = move |admin_only: bool| {
        let image_origin = image_origin.clone();
        get(move |method: Method, headers: HeaderMap| async move {
            match scheme.user(&method, &headers) {
                None => (
                    StatusCode::UNAUTHORIZED,
                    [(WWW_AUTHENTICATE, scheme.challenge())],
                    "who are you?",
                )
                    .into_response(),
                Some(user) if admin_only && user != "admin" => {
                    (StatusCode::FORBIDDEN, "admins only").into_response()
                }
                Some(user) => html(&format!(
                    "<h1>Staff area</h1><p>Hello {user}</p><a href=\"/admin/\">admin</a> <a href=\"/staff/\">staff</a><img src=\"{image_origin}/pixel.png\" alt=\"\">"
                )),
            }
        })
    };
    let away = format!("{elsewhere}/landing");
    RecordingServer::start(
        Router::new()
            .route("/", get(|| async { html("<h1>Ledger</h1>") }))
            .route(
                "/whoami",
                get(|headers: HeaderMap| async move {
                    html(match headers.contains_key(AUTHORIZATION) {
                        true => "credentials came",
                        false => "no credentials came",
                    })
                }),
            )
            .route("/staff/", guarded(false))
            .route("/admin/", guarded(true))
            .route(
                "/away",
                get(move || async move { (StatusCode::FOUND, [(LOCATION, away)]).into_response() }),
            ),
    )
}

fn html(body: &str) -> Response {
    (
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        format!("<!doctype html><html><body>{body}</body></html>"),
    )
        .into_response()
}

fn roles(method: &str, path: Option<&str>) -> String {
    let path = path
        .map(|path| format!("path = \"{path}\"\n"))
        .unwrap_or_default();
    let roles: String = USERS
        .iter()
        .map(|(user, _)| {
            format!(
                "[roles.{user}]\nusername = \"{user}\"\npassword_env = \"STAFF_{}_PASSWORD\"\n",
                user.to_uppercase()
            )
        })
        .collect();
    format!("[login]\nmethod = \"{method}\"\n{path}\n{roles}")
}

/// `shakedown` with the right passwords, the viewer's replaced by `viewer`.
fn with_passwords(shakedown: Shakedown, viewer: &str) -> Shakedown {
    USERS
        .iter()
        .fold(shakedown, |shakedown, (user, password)| {
            shakedown.env(&format!("STAFF_{}_PASSWORD", user.to_uppercase()), password)
        })
        .env("STAFF_VIEWER_PASSWORD", viewer)
}

const STAFF_FEATURE: &str = r#"Feature: Staff
  Scenario: who sees what
    Then the access matrix should hold:
      | path    | anonymous | viewer  | clerk   | admin   |
      | /       | allowed   | allowed | allowed | allowed |
      | /staff/ | denied    | allowed | allowed | allowed |
      | /admin/ | denied    | denied  | denied  | allowed |

  Scenario: the admin's pages, by HTTP steps and the crawl
    Given I am logged in as "admin"
    When I request "/admin/"
    Then the response should contain "Hello admin"
    And no page reachable from "/staff/" should contain forbidden content

  Scenario: single cells
    Then the role "clerk" should not have access to "/admin/"
    And the role "admin" should have access to "/admin/"
"#;

const LEAK_FEATURE: &str = r#"Feature: A leak
  Scenario: the viewer should not see the staff area
    Then the access matrix should hold:
      | path    | viewer |
      | /staff/ | denied |
"#;

/// The staff matrix passes over `scheme`, and a leak to the wrong role fails it.
fn matrix_over(scheme: Scheme) -> RecordingServer {
    let site = staff_site(scheme, "http://127.0.0.1:9");
    let project = Project::new(&site.url, &roles(scheme.keyword(), Some("/staff/")));
    project.file("features/staff.feature", STAFF_FEATURE);
    with_passwords(project.shakedown(), "viewer-pass-7f3")
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("3 passed, 0 failed");
    project.file("features/leak.feature", LEAK_FEATURE);
    with_passwords(project.shakedown(), "viewer-pass-7f3")
        .args(["run", "features/leak.feature"])
        .run()
        .expect_code(1)
        .expect_stdout("viewer on /staff/: expected denied, saw allowed (200 OK at");
    site
}

#[test]
fn basic_roles_pass_the_access_matrix_http_steps_and_crawl_and_a_leak_fails_it() {
    let site = matrix_over(Scheme::Basic);
    let sent_in_a_url = site
        .received()
        .iter()
        .any(|received| received.target.contains("pass-7f3"));
    assert!(!sent_in_a_url, "a password went into a URL");
}

#[test]
fn digest_roles_answer_the_challenge_and_reuse_its_nonce_counting_up() {
    let site = matrix_over(Scheme::Digest);
    let answers: Vec<String> = site
        .received()
        .iter()
        .filter_map(|received| received.header("authorization").map(str::to_owned))
        .collect();
    assert!(
        answers.iter().any(|answer| answer.contains("nc=00000002")),
        "a second request reuses the nonce with the next count: {answers:#?}"
    );
}

#[test]
fn a_refused_basic_password_is_a_failed_login_tried_once_and_no_cell_claims_a_leak() {
    let site = staff_site(Scheme::Basic, "http://127.0.0.1:9");
    let project = Project::new(&site.url, &roles("basic", Some("/staff/")));
    project.file(
        "features/viewer.feature",
        r#"Feature: The viewer
  Scenario: the viewer's page
    Given I am logged in as "viewer"
    When I request "/staff/"

  Scenario: a cell
    Then the role "viewer" should not have access to "/admin/"

  Scenario: the matrix
    Then the access matrix should hold:
      | path    | viewer |
      | /admin/ | denied |
"#,
    );
    let outcome = with_passwords(project.shakedown(), "not-the-viewer-pass")
        .args(["run"])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("`viewer` was refused by HTTP Basic authentication at /staff/: 401")
        .expect_stdout(
            "`viewer` could not log in (`viewer` was refused by HTTP Basic authentication at /staff/: 401); whether `viewer` can open /admin/ is unknown",
        )
        .expect_stdout("the access matrix could not be checked: 1 of 1 cells could not be told");
    assert!(
        !outcome.stdout.contains("which it should not"),
        "{}",
        outcome.stdout
    );
    for output in [&outcome.stdout, &outcome.stderr] {
        assert!(!output.contains("not-the-viewer-pass"), "{output}");
        assert!(
            !output.contains(&STANDARD.encode("viewer:not-the-viewer-pass")),
            "{output}"
        );
    }
    let tries = site
        .received()
        .iter()
        .filter(|received| {
            received.header("authorization")
                == Some(&format!(
                    "Basic {}",
                    STANDARD.encode("viewer:not-the-viewer-pass")
                ))
        })
        .count();
    assert_eq!(tries, 1, "the refused password is tried once per run");
    let nagios = with_passwords(project.shakedown(), "not-the-viewer-pass")
        .args(["run", "--format", "nagios"])
        .run();
    nagios.expect_code(3).expect_stdout("SHAKEDOWN UNKNOWN");
}

#[test]
fn a_form_login_that_meets_http_authentication_names_the_method_to_set() {
    let site = staff_site(Scheme::Basic, "http://127.0.0.1:9");
    let project = Project::new(
        &site.url,
        "[login]\npath = \"/staff/\"\n[roles.clerk]\nusername = \"clerk\"\npassword_env = \"STAFF_CLERK_PASSWORD\"\n",
    );
    project.file(
        "features/clerk.feature",
        "Feature: Clerk\n  Scenario: clerk\n    Given I am logged in as \"clerk\"\n",
    );
    with_passwords(project.shakedown(), "viewer-pass-7f3")
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("/staff/ answered 401 and asks for HTTP Basic authentication, not a login form")
        .expect_stdout("set `login.method = \"basic\"`");
}

#[test]
fn credentials_never_follow_a_redirect_to_another_origin() {
    let elsewhere = RecordingServer::start(Router::new().route("/landing", get(|| async { "landed" })));
    let site = staff_site(Scheme::Basic, &elsewhere.url);
    let project = Project::new(
        &site.url,
        &format!(
            "{}[roles.api]\nmethod = \"header\"\nheader = \"Authorization\"\nscheme = \"Bearer\"\nvalue_env = \"API_TOKEN\"\n",
            roles("basic", None)
        ),
    );
    project.file(
        "features/away.feature",
        r#"Feature: Away
  Scenario Outline: <role> is sent elsewhere
    Given I am logged in as "<role>"
    When I request "/away"
    Then the response should contain "landed"

    Examples:
      | role  |
      | admin |
      | api   |
"#,
    );
    with_passwords(project.shakedown(), "viewer-pass-7f3")
        .env("API_TOKEN", "tok-9a8b7c6d5e")
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("2 passed, 0 failed");
    let sent_here: Vec<String> = site
        .received()
        .iter()
        .filter(|received| received.target == "/away")
        .filter_map(|received| received.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(
        sent_here.len(),
        2,
        "each role's credentials reached the site: {sent_here:?}"
    );
    let landed = elsewhere.received();
    assert_eq!(landed.len(), 2, "{landed:?}");
    for received in landed {
        assert_eq!(received.header("authorization"), None, "{received:?}");
    }
}

const TOKEN: &str = "tok-51f0c2e9d8a7b6";

/// An API that wants `Authorization: Bearer TOKEN`, and a page that echoes what it was sent.
fn token_api() -> RecordingServer {
    RecordingServer::start(
        Router::new()
            .route(
                "/api/report",
                get(|headers: HeaderMap| async move {
                    let wanted = format!("Bearer {TOKEN}");
                    match headers.get(AUTHORIZATION) {
                        Some(sent) if sent.as_bytes() == wanted.as_bytes() => {
                            ([(CONTENT_TYPE, "application/json")], "{\"total\": 3}").into_response()
                        }
                        _ => (
                            StatusCode::UNAUTHORIZED,
                            [(WWW_AUTHENTICATE, "Bearer")],
                            "token, please",
                        )
                            .into_response(),
                    }
                }),
            )
            .route(
                "/echo",
                get(|headers: HeaderMap| async move {
                    let sent = headers
                        .get(AUTHORIZATION)
                        .and_then(|value| value.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    format!(
                        "you sent {sent}, and the token alone is {}",
                        sent.trim_start_matches("Bearer ")
                    )
                }),
            ),
    )
}

#[test]
fn a_bearer_token_role_reaches_the_api_a_wrong_token_is_refused_and_no_output_shows_it() {
    let api = token_api();
    let project = Project::new(
        &api.url,
        "[login]\nmethod = \"header\"\npath = \"/api/report\"\n\
         [roles.api]\nheader = \"Authorization\"\nscheme = \"Bearer\"\nvalue_env = \"API_TOKEN\"\n\
         [roles.intruder]\nheader = \"Authorization\"\nscheme = \"Bearer\"\nvalue_command = \"echo not-the-token-42\"\n",
    );
    project.file(
        "features/api.feature",
        r#"Feature: The API
  Scenario: who reaches the report
    Then the access matrix should hold:
      | path        | anonymous | api     |
      | /api/report | denied    | allowed |

  Scenario: a page that echoes the token
    Given I am logged in as "api"
    When I request "/echo"
    Then the response should contain "nothing of the kind"

  Scenario: a wrong token
    Then the role "intruder" should have access to "/api/report"
"#,
    );
    let outcome = project
        .shakedown()
        .env("API_TOKEN", TOKEN)
        .env(
            "XDG_STATE_HOME",
            &project.path().join("state").display().to_string(),
        )
        .args(["run"])
        .args(REPORTS)
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("1 passed, 2 failed")
        .expect_stdout("you sent [redacted], and the token alone is [redacted]")
        .expect_stdout("`intruder` was refused by the `Authorization` header at /api/report: 401");
    let read = |path: &str| {
        std::fs::read_to_string(project.path().join(path)).unwrap_or_else(|error| panic!("{path}: {error}"))
    };
    let outputs = [
        ("stdout", outcome.stdout.clone()),
        ("stderr", outcome.stderr.clone()),
        ("junit", read("reports/junit.xml")),
        ("json", read("reports/cucumber.json")),
        ("html", read("reports/report.html")),
        ("audit log", read("state/shakedown/audit.jsonl")),
    ];
    for (name, output) in outputs {
        for secret in [TOKEN, "not-the-token-42"] {
            assert!(!output.contains(secret), "{name} shows {secret:?}:\n{output}");
        }
    }
}

#[test]
fn check_refuses_a_login_that_cannot_work_at_its_line_and_column() {
    let refusals = [
        (
            "[login]\nmethod = \"kerberos\"\n",
            "shakedown.toml:4:10: `login.method`: unknown method `kerberos` (known: form, basic, digest, header, sso)",
        ),
        (
            "[roles.api]\nmethod = \"header\"\nheader = \"Authorization\"\n",
            "shakedown.toml:3:1: `roles.api` needs exactly one of `value_env`, `value_file`, `value_command` (0 given)",
        ),
        (
            "tls_client_cert = \"client.pem\"\n",
            "shakedown.toml:3:19: `environments.test.tls_client_cert` needs `tls_client_key`",
        ),
        (
            "[roles.robot]\nmethod = \"basic\"\nusername = \"robot\"\npassword_env = \"X\"\ntls_client_key = \"key.pem\"\n",
            "shakedown.toml:7:18: `roles.robot.tls_client_key` needs `tls_client_cert`",
        ),
        (
            "tls_client_cert = \"c.pem\"\ntls_client_key = \"k.pem\"\ntls_client_key_password_env = \"KEY_PASSWORD\"\n",
            "shakedown.toml:5:31: `environments.test.tls_client_key_password_env`: encrypted client keys are not supported",
        ),
        (
            "[roles.admin]\nusername = \"admin\"\npassword_env = \"X\"\ntotp_secret_env = \"A\"\ntotp_secret_file = \"totp.txt\"\n",
            "shakedown.toml:7:20: `roles.admin` needs at most one of `totp_secret_env`, `totp_secret_file`, `totp_secret_command` (2 given)",
        ),
        (
            "[roles.admin]\nusername = \"admin\"\npassword_env = \"X\"\ntotp_secret_env = \"A\"\ntotp_algorithm = \"MD5\"\n",
            "shakedown.toml:7:18: `roles.admin.totp_algorithm`: unknown algorithm `MD5` (known: SHA1, SHA256, SHA512)",
        ),
        (
            "[roles.admin]\nusername = \"admin\"\npassword_env = \"X\"\ntotp_secret_env = \"A\"\ntotp_digits = 4\n",
            "shakedown.toml:7:15: `roles.admin.totp_digits`: 4 digits; one-time codes have 6, 7 or 8",
        ),
    ];
    expect_check_refuses(&refusals);
}

/// A certificate authority for one test, and what it signs.
struct TestCa {
    params: rcgen::CertificateParams,
    key: rcgen::KeyPair,
    certificate: rcgen::Certificate,
}

impl TestCa {
    fn new() -> Self {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Logins Test CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
        ];
        let key = rcgen::KeyPair::generate().expect("key");
        let certificate = params.self_signed(&key).expect("CA certificate");
        Self {
            params,
            key,
            certificate,
        }
    }

    /// A certificate for `name`, for a server or (`client`) a client, and its key.
    fn sign(&self, name: &str, client: bool) -> (rcgen::Certificate, rcgen::KeyPair) {
        let mut params = rcgen::CertificateParams::new(vec![name.to_owned()]).expect("params");
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        params.extended_key_usages = vec![if client {
            rcgen::ExtendedKeyUsagePurpose::ClientAuth
        } else {
            rcgen::ExtendedKeyUsagePurpose::ServerAuth
        }];
        let key = rcgen::KeyPair::generate().expect("key");
        let issuer = rcgen::Issuer::new(self.params.clone(), &self.key);
        (params.signed_by(&key, &issuer).expect("signed"), key)
    }

    /// An HTTPS server on loopback that lets in only clients with a certificate this CA signed,
    /// answering each one `200 certified`; its port.
    fn serve_for_clients(&self) -> u16 {
        let (certificate, key) = self.sign("localhost", false);
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.certificate.der().clone()).expect("CA");
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .expect("verifier");
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_client_cert_verifier(verifier)
            .with_single_cert(
                vec![certificate.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .expect("server config");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let Ok(mut connection) = rustls::ServerConnection::new(config.clone()) else {
                    continue;
                };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                use std::io::{Read as _, Write as _};
                let mut tls = rustls::Stream::new(&mut connection, &mut stream);
                let mut request = [0u8; 4096];
                if tls.read(&mut request).is_ok() {
                    let _ = tls.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nConnection: close\r\n\r\ncertified",
                    );
                    let _ = tls.flush();
                }
                connection.send_close_notify();
                let _ = connection.complete_io(&mut stream);
            }
        });
        port
    }
}

#[test]
fn a_client_certificate_of_the_environment_or_a_role_gets_in_where_its_absence_fails_clearly() {
    let ca = TestCa::new();
    let port = ca.serve_for_clients();
    let (client, client_key) = ca.sign("shakedown-client", true);
    let trust = "[probes]\ntls_ca_file = \"ca.pem\"\n";
    let certificate = "tls_client_cert = \"client.pem\"\ntls_client_key = \"client-key.pem\"\n";
    // The environment presents the certificate to every request.
    let environment = Project::new(
        &format!("https://localhost:{port}"),
        &format!("{certificate}{trust}"),
    );
    // Only the role `robot` presents it; the anonymous visitor has none.
    let role = Project::new(
        &format!("https://localhost:{port}"),
        &format!(
            "{trust}[login]\nmethod = \"basic\"\n[roles.robot]\nusername = \"robot\"\npassword_env = \"ROBOT_PASSWORD\"\n{certificate}"
        ),
    );
    for project in [&environment, &role] {
        project.file("ca.pem", &ca.certificate.pem());
        project.file("client.pem", &client.pem());
        project.file("client-key.pem", &client_key.serialize_pem());
    }
    environment.file(
        "features/mtls.feature",
        "Feature: mTLS\n  Scenario: the certified page\n    When I request \"/\"\n    Then the response should contain \"certified\"\n",
    );
    role.file(
        "features/mtls.feature",
        r#"Feature: mTLS
  Scenario: the robot
    Given I am logged in as "robot"
    When I request "/"
    Then the response should contain "certified"

  Scenario: without a certificate
    When I request "/"
"#,
    );
    environment
        .shakedown()
        .args(["run"])
        .run()
        .expect_code(0)
        .expect_stdout("1 passed, 0 failed");
    let outcome = role
        .shakedown()
        .env("ROBOT_PASSWORD", "robot-pass-1")
        .args(["run", "--concurrency", "1"])
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("1 passed, 1 failed")
        .expect_stdout("the request could not be completed");
    assert!(
        outcome.stdout.to_lowercase().contains("certificate"),
        "the failure says a certificate was wanted:\n{}",
        outcome.stdout
    );
}

#[test]
fn a_basic_roles_browser_sends_its_header_to_the_site_alone_and_the_next_visitor_does_not() {
    let elsewhere = RecordingServer::start(Router::new());
    let site = staff_site(Scheme::Basic, &elsewhere.url);
    let project = Project::new(
        &site.url,
        &format!("{}\n[browser]\nsessions = 1\n", roles("basic", Some("/staff/"))),
    );
    project.file(
        "features/browser.feature",
        r#"Feature: The staff area in the browser
  Scenario: the clerk
    Given I am logged in as "clerk"
    When I visit "/staff/"
    Then I should see "Hello clerk"

  Scenario: an anonymous visitor in the same browser session
    Given I am not logged in
    When I visit "/whoami"
    Then I should see "no credentials came"
"#,
    );
    with_passwords(project.shakedown(), "viewer-pass-7f3")
        .args(["run", "--concurrency", "1"])
        .run()
        .expect_code(0)
        .expect_stdout("2 passed, 0 failed");
    let sent_in_a_url = site
        .received()
        .iter()
        .any(|received| received.target.contains("pass-7f3"));
    assert!(!sent_in_a_url, "a password went into a URL");
    let image_requests = elsewhere.received();
    assert!(
        image_requests
            .iter()
            .any(|received| received.target == "/pixel.png"),
        "the page's image on another origin was never requested: {image_requests:?}"
    );
    assert!(
        image_requests
            .iter()
            .all(|received| received.header("authorization").is_none()),
        "the role's credentials reached another origin: {image_requests:?}"
    );
}

#[test]
fn a_digest_role_in_the_browser_answers_its_own_sites_challenge_and_a_wrong_password_is_refused() {
    let site = staff_site(Scheme::Digest, "http://127.0.0.1:9");
    let project = Project::new(&site.url, &roles("digest", Some("/staff/")));
    project.file(
        "features/browser.feature",
        r#"Feature: Digest in the browser
  Scenario: the clerk
    Given I am logged in as "clerk"
    When I visit "/staff/"
    Then I should see "Hello clerk"

  Scenario: the admin
    Given I am logged in as "admin"
    When I visit "/admin/"
    Then I should see "Hello admin"
"#,
    );
    with_passwords(project.shakedown(), "viewer-pass-7f3")
        .args(["run", "--concurrency", "1"])
        .run()
        .expect_code(0)
        .expect_stdout("2 passed, 0 failed");
    project.file(
        "features/browser.feature",
        "Feature: Digest in the browser\n  Scenario: the viewer\n    Given I am logged in as \"viewer\"\n    When I visit \"/staff/\"\n    Then I should see \"Hello viewer\"\n",
    );
    with_passwords(project.shakedown(), "not-the-viewers-password")
        .args(["run"])
        .run()
        .expect_code(1)
        .expect_stdout("refused by HTTP Digest authentication");
}

/// The base32 secret the admin's authenticator app was given, and one that is not it.
const TOTP_SECRET: &str = "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP";
const WRONG_TOTP_SECRET: &str = "KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU";

/// Whether `code` is the admin's current one-time code (or the one just before), as the site
/// checks it with its own RFC 6238 implementation.
fn admin_code_is_right(code: &str) -> bool {
    let key = totp_rs::Secret::Encoded(TOTP_SECRET.replace(' ', ""))
        .to_bytes()
        .expect("base32");
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, key);
    totp.check_current(code).unwrap_or(false)
}

/// The value of the cookie `name` the request carries.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split("; "))
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// A site whose admin logs in with a password and then a one-time code: `/login` takes the
/// password and sends to `/login/otp`, which takes the code and opens `/admin/`. The clerk is
/// never asked for a code.
fn two_factor_site() -> RecordingServer {
    const SESSION: &str = "admin-session-5b1e9c0d";
    const CLERK_SESSION: &str = "clerk-session-0e4a7d21";
    let redirect = |to: &str, cookie: Option<String>| {
        let mut response = (StatusCode::SEE_OTHER, [(LOCATION, to.to_owned())]).into_response();
        if let Some(cookie) = cookie {
            let value = cookie.parse().expect("a cookie header");
            response
                .headers_mut()
                .insert(axum::http::header::SET_COOKIE, value);
        }
        response
    };
    let login_page = || {
        html(
            r#"<h1>Sign in</h1><form method="post" action="/login"><input type="hidden" name="csrf" value="tok-1"><input name="username"><input type="password" name="password"><button>Sign in</button></form>"#,
        )
    };
    let code_page = |note: &str| {
        html(&format!(
            r#"<h1>Two-step verification</h1><p>{note}</p><form method="post" action="/login/otp"><input type="hidden" name="csrf" value="tok-2"><input name="otp" autocomplete="one-time-code" inputmode="numeric"><button>Verify</button></form>"#
        ))
    };
    RecordingServer::start(
        Router::new()
            .route("/", get(|| async { html("<h1>Ledger</h1>") }))
            .route(
                "/login",
                get(move || async move { login_page() }).post(move |body: String| async move {
                    let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
                        .into_owned()
                        .collect();
                    let sent = |name: &str| {
                        form.iter()
                            .find(|(key, _)| key == name)
                            .map(|(_, value)| value.as_str())
                    };
                    match (sent("username"), sent("password")) {
                        (Some("admin"), Some("admin-pass-7f3")) => {
                            redirect("/login/otp", Some("pending=admin; Path=/".into()))
                        }
                        (Some("clerk"), Some("clerk-pass-7f3")) => {
                            redirect("/desk", Some(format!("session={CLERK_SESSION}; Path=/")))
                        }
                        _ => login_page(),
                    }
                }),
            )
            .route(
                "/login/otp",
                get(move || async move { code_page("Enter the code from your app") }).post(
                    move |headers: HeaderMap, body: String| async move {
                        let form: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
                            .into_owned()
                            .collect();
                        let code = form
                            .iter()
                            .find(|(key, _)| key == "otp")
                            .map(|(_, value)| value.as_str());
                        let pending = cookie(&headers, "pending") == Some("admin");
                        match code {
                            Some(code) if pending && admin_code_is_right(code) => {
                                redirect("/admin/", Some(format!("session={SESSION}; Path=/")))
                            }
                            // Echoed, so a code the redactor missed would show in the failure.
                            _ => code_page(&format!("The code {} is not right", code.unwrap_or_default())),
                        }
                    },
                ),
            )
            .route(
                "/desk",
                get(move |headers: HeaderMap| async move {
                    match cookie(&headers, "session") {
                        Some(SESSION | CLERK_SESSION) => html("<h1>Desk</h1>"),
                        _ => redirect("/login", None),
                    }
                }),
            )
            .route(
                "/admin/",
                get(move |headers: HeaderMap| async move {
                    match cookie(&headers, "session") == Some(SESSION) {
                        true => html("<h1>Admin console</h1>"),
                        false => redirect("/login", None),
                    }
                }),
            ),
    )
}

const TWO_FACTOR_ROLES: &str = "[login]\npath = \"/login\"\n\
    [roles.admin]\nusername = \"admin\"\npassword_env = \"ADMIN_PASSWORD\"\ntotp_secret_env = \"ADMIN_TOTP_SECRET\"\n\
    [roles.clerk]\nusername = \"clerk\"\npassword_command = \"echo clerk-pass-7f3\"\ntotp_secret_env = \"ADMIN_TOTP_SECRET\"\n";

/// The one-time codes the site received: none may show in any output.
fn codes_sent(site: &RecordingServer) -> Vec<String> {
    site.received()
        .iter()
        .filter(|received| received.method == "POST" && received.target == "/login/otp")
        .filter_map(|received| {
            url::form_urlencoded::parse(received.body.as_bytes())
                .find(|(key, _)| key == "otp")
                .map(|(_, code)| code.into_owned())
        })
        .collect()
}

#[test]
fn a_role_with_a_second_factor_gives_its_one_time_code_over_http_only_when_asked_and_a_wrong_secret_is_refused_clearly()
 {
    let site = two_factor_site();
    let project = Project::new(&site.url, TWO_FACTOR_ROLES);
    project.file(
        "features/admin.feature",
        r#"Feature: The admin console
  Scenario: who sees it
    Then the access matrix should hold:
      | path    | anonymous | admin   | clerk   |
      | /admin/ | login     | allowed | login   |
      | /desk   | login     | allowed | allowed |

  Scenario: the admin's console by HTTP
    Given I am logged in as "admin"
    When I request "/admin/"
    Then the response should contain "Admin console"
"#,
    );
    let outcome = project
        .shakedown()
        .env("ADMIN_PASSWORD", "admin-pass-7f3")
        .env("ADMIN_TOTP_SECRET", TOTP_SECRET)
        .args(["run"])
        .args(REPORTS)
        .run();
    outcome.expect_code(0).expect_stdout("2 passed, 0 failed");
    let codes = codes_sent(&site);
    assert_eq!(
        codes.len(),
        1,
        "one login, one code, none for the clerk who is never asked: {codes:?}"
    );
    let mut secrets = codes;
    secrets.extend([TOTP_SECRET.to_owned(), TOTP_SECRET.replace(' ', "")]);
    assert_no_output_shows(&project, &outcome, &secrets);

    let outcome = project
        .shakedown()
        .env("ADMIN_PASSWORD", "admin-pass-7f3")
        .env("ADMIN_TOTP_SECRET", WRONG_TOTP_SECRET)
        .args(["run"])
        .args(REPORTS)
        .run();
    outcome
        .expect_code(1)
        .expect_stdout("`admin`'s one-time code was refused at /login/otp");
    let codes = codes_sent(&site);
    assert_eq!(codes.len(), 2, "the wrong code is tried once: {codes:?}");
    let mut secrets = codes;
    secrets.push(WRONG_TOTP_SECRET.to_owned());
    assert_no_output_shows(&project, &outcome, &secrets);
}

#[test]
fn a_role_with_a_second_factor_logs_in_through_the_browsers_form_and_sees_its_page() {
    let site = two_factor_site();
    let project = Project::new(
        &site.url,
        &format!("{TWO_FACTOR_ROLES}\n[browser]\nsessions = 1\nlogin_form = true\n"),
    );
    project.file(
        "features/admin.feature",
        r#"Feature: The admin console in the browser
  Scenario: the admin
    Given I am logged in as "admin"
    When I visit "/admin/"
    Then I should see "Admin console"
"#,
    );
    let outcome = project
        .shakedown()
        .env("ADMIN_PASSWORD", "admin-pass-7f3")
        .env("ADMIN_TOTP_SECRET", TOTP_SECRET)
        .args(["run"])
        .args(REPORTS)
        .run();
    outcome.expect_code(0).expect_stdout("1 passed, 0 failed");
    let codes = codes_sent(&site);
    assert!(!codes.is_empty(), "the browser sent no code");
    let mut secrets = codes;
    secrets.extend([TOTP_SECRET.to_owned(), TOTP_SECRET.replace(' ', "")]);
    assert_no_output_shows(&project, &outcome, &secrets);
}
