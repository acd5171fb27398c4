//! The configuration read from text: defaults, layering, strictness and where errors point.

use std::path::{Path, PathBuf};
use std::time::Duration;

use shakedown_steps::session::{ClientCertificate, LoginMethod, PasswordSource};

use super::load::{Config, known_keys, parse};
use super::source::DEFAULTS;
use crate::error::Error;

fn parse_text(text: &str) -> Result<Config, Error> {
    parse(Path::new("/project/shakedown.toml"), text)
}

#[test]
fn a_full_file_reads_with_defaults_filled_in() {
    let config = parse_text(
        "features = [\"features\"]\n[environments.live]\nbase_url = \"https://www.example.com\"\nread_only = true\n\
         [limits]\nstep_timeout = \"2s\"\n",
    )
    .expect("valid");
    let live = &config.environments["live"];
    assert!(live.read_only);
    assert_eq!(live.base_url.as_str(), "https://www.example.com/");
    assert_eq!(config.limits.step_timeout, Duration::from_secs(2));
    assert_eq!(config.limits.scenario_timeout, Duration::from_secs(60));
    assert_eq!(config.features, [PathBuf::from("/project/features")]);
}

#[test]
fn the_probes_section_has_defaults_and_resolves_paths_beside_the_file() {
    let defaults = parse_text("").expect("empty").probes;
    assert_eq!(
        defaults.nagios_plugin_dir,
        PathBuf::from("/usr/lib/nagios/plugins")
    );
    assert_eq!(defaults.cron_grace, Duration::from_secs(120));
    assert_eq!(defaults.tls_ca_file, None);
    let probes = parse_text(
        "[probes]\nnagios_plugin_dir = \"plugins\"\ncron_grace = \"5m\"\ntls_ca_file = \"/etc/ssl/ours.pem\"\n",
    )
    .expect("valid")
    .probes;
    assert_eq!(probes.nagios_plugin_dir, PathBuf::from("/project/plugins"));
    assert_eq!(probes.cron_grace, Duration::from_secs(300));
    assert_eq!(probes.tls_ca_file, Some(PathBuf::from("/etc/ssl/ours.pem")));
    let error = parse_text("[probes]\ncron_grace = \"later\"\n").expect_err("duration");
    assert!(
        error.to_string().contains(":2:14: `probes.cron_grace`"),
        "{error}"
    );
    let error = parse_text("[probes]\nnagios_plugins = \"x\"\n").expect_err("typo");
    assert!(
        error.to_string().contains(":2:1: unknown key `nagios_plugins`"),
        "{error}"
    );
}

#[test]
fn a_misspelt_key_names_its_line_and_the_likely_key() {
    let error = parse_text("[environments.live]\nbase_ur = \"https://x\"\n").expect_err("typo");
    let Error::Config {
        line, message, hint, ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*line, 2, "{error}");
    assert!(message.contains("unknown key `base_ur`"), "{message}");
    assert_eq!(hint.as_deref(), Some("did you mean `base_url`?"));
}

#[test]
fn a_role_takes_the_sites_login_method_unless_it_names_its_own() {
    let config = parse_text(
        "[login]\nmethod = \"basic\"\n\
         [roles.clerk]\nusername = \"clerk\"\npassword_env = \"A\"\n\
         [roles.staff]\nmethod = \"form\"\nusername = \"s\"\npassword_env = \"B\"\n\
         [roles.api]\nmethod = \"header\"\nheader = \"X-Api-Key\"\nvalue_file = \"api.key\"\n\
         tls_client_cert = \"c.pem\"\ntls_client_key = \"k.pem\"\n",
    );
    // A form role needs the login page's path, which a Basic site may leave out.
    let error = config.expect_err("a form role without a path");
    assert!(error.to_string().contains("`[login]` needs `path`"), "{error}");
    let config = parse_text(
        "[login]\nmethod = \"basic\"\n\
         [roles.clerk]\nusername = \"clerk\"\npassword_env = \"A\"\n\
         [roles.api]\nmethod = \"header\"\nheader = \"X-Api-Key\"\nvalue_file = \"api.key\"\n\
         tls_client_cert = \"c.pem\"\ntls_client_key = \"k.pem\"\n",
    )
    .expect("valid");
    assert_eq!(config.roles["clerk"].method, LoginMethod::Basic);
    let api = &config.roles["api"];
    assert_eq!(
        api.method,
        LoginMethod::Header {
            name: "X-Api-Key".into(),
            scheme: None
        }
    );
    assert!(matches!(&api.password, PasswordSource::File(path) if path == Path::new("/project/api.key")));
    assert_eq!(
        api.client_certificate,
        Some(ClientCertificate {
            certificate: "/project/c.pem".into(),
            key: "/project/k.pem".into()
        })
    );
    assert_eq!(config.login.expect("login").path, "/");
    let stray = parse_text("[roles.clerk]\nusername = \"c\"\npassword_env = \"A\"\nscheme = \"Bearer\"\n")
        .expect_err("a scheme on a form role");
    assert!(
        stray
            .to_string()
            .contains(":4:10: `roles.clerk`: `header`, `value_env`"),
        "{stray}"
    );
}

#[test]
fn roles_take_exactly_one_password_source() {
    let config = parse_text(
        "[login]\npath = \"/accounts/login/\"\n[roles.clerk]\nusername = \"clerk\"\npassword_file = \"secrets/clerk\"\n",
    )
    .expect("valid");
    let clerk = &config.roles["clerk"];
    assert!(
        matches!(&clerk.password, PasswordSource::File(path) if path == Path::new("/project/secrets/clerk"))
    );
    assert_eq!(config.login.expect("login").password_field, "password");
    let error =
        parse_text("[roles.clerk]\nusername = \"c\"\npassword_env = \"A\"\npassword_command = \"b\"\n")
            .expect_err("two sources");
    assert!(
        error
            .to_string()
            .contains(":1:1: `roles.clerk` needs exactly one of"),
        "{error}"
    );
    let error = parse_text("[roles.clerk]\nusername = \"c\"\npassword = \"hunter2\"\n").expect_err("inline");
    let Error::Config { line, hint, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*line, 3, "{error}");
    assert!(
        hint.as_deref()
            .unwrap_or_default()
            .contains("never go in shakedown.toml"),
        "{error:?}"
    );
    assert!(!format!("{error:?}").contains("hunter2"));
}

#[test]
fn content_rules_are_checked_where_they_are_written() {
    let config = parse_text(
        "[content]\nforbidden = [\"(?i)staging environment\"]\ndisable = [\"keyboard-mash\"]\ncrawl_max_pages = 50\n",
    )
    .expect("valid");
    assert_eq!(config.content.crawl.max_pages, 50);
    let findings = config
        .content
        .rules
        .scan("/", "the Staging Environment, asdf", None);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let error = parse_text("[content]\n\ndisable = [\"lorem\"]\n").expect_err("unknown rule");
    let Error::Config { line, hint, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!((*line, hint.as_deref()), (3, Some("did you mean `lorem-ipsum`?")));
    let error = parse_text("[content.rules]\nmine = \"(\"\n").expect_err("bad regex");
    assert!(
        error
            .to_string()
            .contains(":2:8: `[content]`: the rule `mine` is not a valid regex"),
        "{error}"
    );
}

#[test]
fn an_allowed_path_covers_whole_segments_and_must_start_with_a_slash() {
    let config = parse_text(
        "[[content.allow]]\npath = \"/docs/Guide\"\nrules = [\"lorem-ipsum\"]\n\n[[content.allow]]\npath = \"/api/v*\"\n",
    )
    .expect("valid");
    let fired = |path: &str| config.content.rules.scan(path, "Lorem ipsum", None).len();
    assert_eq!(fired("/docs/Guide/Intro"), 0);
    assert_eq!(fired("/docs/GuideIndex"), 1);
    assert_eq!(fired("/api/v2/items"), 0);
    assert_eq!(fired("/api/"), 1);
    let error = parse_text("[[content.allow]]\npath = \"docs/\"\n").expect_err("relative path");
    let Error::Config { line, message, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*line, 2, "{error}");
    assert!(
        message.contains("the path `docs/` does not start with `/`"),
        "{error}"
    );
}

#[test]
fn the_browser_section_is_read_strictly_with_defaults() {
    let config = parse_text("").expect("valid");
    assert!(config.browser.headless);
    assert_eq!(config.browser.sessions, 2);
    assert!(config.browser.webdriver_url.is_none());
    let config = parse_text(
        "[browser]\nwebdriver_url = \"http://127.0.0.1:4444\"\nchromedriver = \"bin/chromedriver\"\nheadless = false\nsessions = 4\nlogin_form = true\n",
    )
    .expect("valid");
    assert_eq!(
        config.browser.webdriver_url.map(String::from).as_deref(),
        Some("http://127.0.0.1:4444/")
    );
    assert_eq!(
        config.browser.chromedriver.as_deref(),
        Some(Path::new("/project/bin/chromedriver"))
    );
    assert!(!config.browser.headless && config.browser.login_form);
    assert_eq!(config.browser.sessions, 4);
    let error = parse_text("[browser]\n\nsessions = 0\n").expect_err("zero");
    assert!(
        error
            .to_string()
            .contains(":3:12: `browser.sessions`: must be at least 1"),
        "{error}"
    );
    let error = parse_text("[browser]\nheadles = true\n").expect_err("typo");
    let Error::Config { hint, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(hint.as_deref(), Some("did you mean `headless`?"));
}

#[test]
fn browser_trusted_keys_are_sha256_pins_or_a_configuration_error_with_the_line() {
    assert!(parse_text("").expect("valid").browser.trusted_keys.is_empty());
    let pin = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
    let config = parse_text(&format!("[browser]\ntrusted_keys = [\"{pin}\"]\n")).expect("valid");
    assert_eq!(config.browser.trusted_keys, [pin]);
    let error = parse_text("[browser]\ntrusted_keys = [\"c2hvcnQ=\"]\n").expect_err("not a SHA-256");
    let message = error.to_string();
    assert!(
        message
            .contains(":2:17: `browser.trusted_keys`: `c2hvcnQ=` is not the base64 SHA-256 of a public key"),
        "{message}"
    );
    let Error::Config { hint, .. } = &error else {
        panic!("{error:?}")
    };
    assert!(
        hint.as_deref()
            .is_some_and(|hint| hint.contains("openssl dgst -sha256")),
        "{hint:?}"
    );
}

#[test]
fn bad_values_name_the_key_and_the_line() {
    let error = parse_text("[environments.live]\nbase_url = \"ftp://x\"\n").expect_err("scheme");
    assert!(
        error.to_string().contains(":2:12: `environments.live.base_url`"),
        "{error}"
    );
    let error = parse_text("[limits]\n\nstep_timeout = \"soon\"\n").expect_err("duration");
    assert!(
        error.to_string().contains(":3:16: `limits.step_timeout`"),
        "{error}"
    );
    let error = parse_text("[limits\n").expect_err("syntax");
    assert!(
        error.to_string().starts_with("/project/shakedown.toml:1:"),
        "{error}"
    );
}

#[test]
fn safety_lists_are_checked_where_they_are_written() {
    let config = parse_text(
        "[login]\npath = \"/login/\"\nallowed_origins = [\"https://sso.example.com/anything\"]\n\
         [probes]\nallowed_commands_on_read_only = [\"systemctl is-active *\"]\n\
         [content]\ncrawl_allow = [\"^/search/reset$\"]\n",
    )
    .expect("valid");
    let login = config.login.expect("login");
    assert_eq!(
        login.allowed_origins,
        [url::Url::parse("https://sso.example.com").expect("url").origin()]
    );
    assert!(
        config
            .probes
            .allowed_commands_on_read_only
            .is_match("systemctl is-active nginx")
    );
    assert_eq!(config.content.crawl.allow.len(), 1);
    let error = parse_text("[login]\npath = \"/login/\"\nallowed_origins = [\"sso.example.com\"]\n")
        .expect_err("no scheme");
    assert!(
        error.to_string().contains(":3:20: `login.allowed_origins`"),
        "{error}"
    );
    let error = parse_text("[probes]\nallowed_commands_on_read_only = [\"a[\"]\n").expect_err("glob");
    assert!(
        error
            .to_string()
            .contains(":2:34: `probes.allowed_commands_on_read_only`"),
        "{error}"
    );
}

/// Every key `defaults.toml` gives a default for is one the sections read, so no default is
/// silently ignored (a `"*"` table stands for any entry).
#[test]
fn every_default_is_a_key_the_sections_read() {
    fn walk(table: &toml::Table, path: &mut Vec<String>) {
        for (key, value) in table {
            let known = known_keys(path);
            let entry = path.last().is_some_and(|_| key == "*");
            assert!(
                entry || known.contains(&key.as_str()),
                "defaults.toml: `{key}` under `{}` is not read (known: {known:?})",
                path.join(".")
            );
            if let toml::Value::Table(inner) = value {
                path.push(key.clone());
                walk(inner, path);
                path.pop();
            }
        }
    }
    let defaults: toml::Table = toml::from_str(DEFAULTS).expect("defaults.toml is TOML");
    walk(&defaults, &mut Vec::new());
}

#[test]
fn an_empty_file_takes_every_default_and_has_no_login() {
    let config = parse_text("").expect("empty");
    assert_eq!(config.limits.concurrency.get(), 8);
    assert_eq!(config.limits.host_concurrency.get(), 8);
    assert_eq!(config.limits.step_timeout, Duration::from_secs(15));
    assert_eq!(config.content.crawl.max_pages, 200);
    assert_eq!(config.content.crawl.max_depth, 5);
    assert!(config.login.is_none() && config.roles.is_empty() && config.environments.is_empty());
    let error = parse_text("[login]\nusername_field = \"email\"\n").expect_err("no path");
    assert!(
        error.to_string().contains(":1:1: `[login]` needs `path`"),
        "{error}"
    );
}

#[test]
fn entries_start_from_their_defaults_and_are_read_strictly() {
    let config = parse_text(
        "[environments.a]\nbase_url = \"https://a.example\"\n[[content.allow]]\npath = \"/styleguide/\"\n",
    )
    .expect("valid");
    assert!(!config.environments["a"].read_only);
    let error =
        parse_text("[[content.allow]]\npath = \"/x/\"\n\nrule = [\"lorem-ipsum\"]\n").expect_err("typo");
    let Error::Config {
        line, message, hint, ..
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(*line, 4, "{error}");
    assert!(
        message.contains("unknown key `rule` (known here: `path`, `rules`)"),
        "{message}"
    );
    assert_eq!(hint.as_deref(), Some("did you mean `rules`?"));
    let error = parse_text("[roles.clerk]\nusernme = \"c\"\n").expect_err("typo");
    assert!(
        error.to_string().contains(":2:1: unknown key `usernme`"),
        "{error}"
    );
    let error = parse_text("[limits]\nconcurrency = 0\n").expect_err("zero");
    assert!(
        error
            .to_string()
            .contains(":2:15: `limits.concurrency`: must be at least 1"),
        "{error}"
    );
    let error = parse_text("[limits]\nhost_concurrency = 0\n").expect_err("zero");
    assert!(
        error
            .to_string()
            .contains(":2:20: `limits.host_concurrency`: must be at least 1"),
        "{error}"
    );
    let error = parse_text("[environments.a]\nbase_url = \"https://a.example\"\nread_only = \"yes\"\n")
        .expect_err("type");
    assert!(
        error
            .to_string()
            .contains(":3:13: `environments.a.read_only`: invalid type"),
        "{error}"
    );
}

#[test]
fn the_audit_path_is_read_beside_the_file_and_left_out_by_default() {
    assert_eq!(parse_text("").expect("empty").audit_log, None);
    let config = parse_text("[audit]\npath = \"logs/audit.jsonl\"\n").expect("valid");
    assert_eq!(config.audit_log, Some(PathBuf::from("/project/logs/audit.jsonl")));
    assert!(!config.audit_syslog, "`audit.syslog` is off unless asked for");
    assert!(
        parse_text("[audit]\nsyslog = true\n")
            .expect("valid")
            .audit_syslog
    );
    let message = parse_text("[audit]\npaht = \"audit.jsonl\"\n")
        .expect_err("a misspelt key")
        .to_string();
    assert!(
        message.contains("unknown key `paht` (known here: `path`, `syslog`)"),
        "{message}"
    );
}

#[tokio::test]
async fn secrets_are_read_and_registered_and_one_that_cannot_be_read_is_an_error_at_its_line() {
    let config = parse_text(
        "[secrets]\nfiles = [\"secrets/api-key\"]\ncommands = [\"printf 'config-secret-%s' 7\"]\n",
    )
    .expect("valid");
    assert!(
        matches!(&config.secrets[0].source, PasswordSource::File(path) if path == Path::new("/project/secrets/api-key"))
    );
    let command = parse_text("[secrets]\ncommands = [\"printf 'config-secret-%s' 7\"]\n").expect("valid");
    super::register_secrets(&command.secrets, within_5s())
        .await
        .expect("the command answers");
    let page = "<p data-key=\"config-secret-7\">";
    assert_eq!(
        shakedown_steps::redact::redact(page),
        "<p data-key=\"[redacted]\">"
    );
    // The configuration holds where secrets are kept, never a value.
    assert!(!format!("{command:?}").contains("config-secret-7"));

    let error = super::register_secrets(&config.secrets, within_5s())
        .await
        .expect_err("no such file");
    assert!(
        error
            .to_string()
            .contains("shakedown.toml:2:10: `secrets.files`: cannot read `/project/secrets/api-key`"),
        "{error}"
    );
    let error = parse_text("[secrets]\nenv = [\"SMTP_PASSWORD\", \" \"]\n").expect_err("empty entry");
    assert!(
        error
            .to_string()
            .contains(":2:25: `secrets.env`: an empty entry names no secret"),
        "{error}"
    );
    let error = parse_text("[secrets]\nvariables = [\"SMTP_PASSWORD\"]\n").expect_err("typo");
    assert!(
        error
            .to_string()
            .contains("unknown key `variables` (known here: `env`, `files`, `commands`)"),
        "{error}"
    );
}

#[test]
fn single_sign_on_reads_the_providers_form_with_defaults_for_what_is_left_out() {
    let config = parse_text(
        "[login]\nmethod = \"sso\"\npath = \"/login/\"\nallowed_origins = [\"https://sso.example.com\"]\n\
         [login.sso]\nsubmit = \"#kc-login\"\n\
         [roles.admin]\nusername = \"admin\"\npassword_env = \"X\"\n",
    )
    .expect("valid");
    assert_eq!(config.roles["admin"].method, LoginMethod::Sso);
    let login = config.login.expect("login");
    assert!(login.page_used, "the login page starts single sign-on");
    assert_eq!(login.sso.submit, "#kc-login");
    assert_eq!(login.sso.password_field, "input[type=password]");
    assert!(login.sso.username_field.contains("input[name=username]"));
    let error = parse_text("[login]\npath = \"/login/\"\n[login.sso]\nsubmitt = \"#go\"\n")
        .expect_err("a misspelt key");
    assert!(error.to_string().contains("submitt"), "{error}");
}

/// A deadline 5 seconds from now, for reading secrets.
fn within_5s() -> shakedown_steps::Deadline {
    shakedown_steps::Deadline::after(Duration::from_secs(5), shakedown_steps::Limit::Step)
}
