//! Logging in through the site's own HTML form, as a person would: fetch the login page, keep
//! every hidden input (CSRF tokens such as Django's `csrfmiddlewaretoken` or Rails'
//! `authenticity_token`) and the cookies that came with it, post the credentials, follow the
//! redirects, and decide whether the site let us in.

use reqwest::{Client, Method, StatusCode};
use scraper::{ElementRef, Html, Selector};
use url::{Origin, Url};

use super::totp::{CodeMaker, code_refused, no_second_factor, one_time_code_selector};
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::http::{Exchange, Outgoing, Visitor, challenged_schemes, perform};
use crate::site;
use crate::text;

/// How roles log in: `[login]` in shakedown.toml.
#[derive(Debug, Clone)]
pub struct LoginSettings {
    /// Whether anyone logs in through the login page (`login.method` or a role's own `method`
    /// is "form", or "sso", whose login starts there): only then is there a login page for the
    /// access matrix to recognise.
    pub page_used: bool,
    /// The login form's page (for single sign-on, the page that sends to the identity
    /// provider); for the other methods, the page where a refused login shows.
    pub path: String,
    pub username_field: String,
    pub password_field: String,
    /// Text the page after a successful login shows, when leaving the login page is not proof
    /// enough.
    pub success_contains: Option<String>,
    /// Origins besides the site's own that may receive credentials (a single sign-on host).
    pub allowed_origins: Vec<Origin>,
    /// `totp_field`: the name of the input a site asks for a one-time code in, when the
    /// defaults (`one_time_code_selector`) do not find it.
    pub totp_field: Option<String>,
    /// `[login.sso]`: the identity provider's login form.
    pub sso: SsoForm,
}

/// `[login.sso]`: where the identity provider's page takes the user name and the password and
/// what sends them, as CSS selectors (lists allowed: the first element any of them finds).
#[derive(Debug, Clone)]
pub struct SsoForm {
    pub username_field: String,
    pub password_field: String,
    pub submit: String,
}

impl LoginSettings {
    /// The origins a password may be sent to: the site's own and the configured ones.
    pub(crate) fn credential_origins(&self, base_url: &Url) -> Vec<Origin> {
        std::iter::once(base_url.origin())
            .chain(self.allowed_origins.iter().cloned())
            .collect()
    }

    /// Refuses, before anything is typed or sent, a login whose `step` (the login page, the
    /// form's target) lies at an origin that may not receive the role's password.
    pub(crate) fn confine_credentials(
        &self,
        base_url: &Url,
        role: &str,
        step: &str,
        at: &Url,
    ) -> Result<(), StepFailure> {
        if self.credential_origins(base_url).contains(&at.origin()) {
            return Ok(());
        }
        Err(StepFailure::configuration(format!(
            "refused to send the password of role `{role}` to {}: {step} is not on the site's origin {}",
            at.origin().ascii_serialization(),
            base_url.origin().ascii_serialization()
        ))
        .with("url", at.to_string())
        .with(
            "hint",
            "if that origin is the site's own single sign-on, name it in `login.allowed_origins`",
        ))
    }
}

/// Whether `body` is the login page: it holds the login form's password field.
pub fn is_login_page(body: &str, login: &LoginSettings) -> bool {
    let document = Html::parse_document(body);
    password_input(&login.password_field).is_some_and(|selector| document.select(&selector).next().is_some())
}

fn password_input(field: &str) -> Option<Selector> {
    Selector::parse(&format!("input[name=\"{}\"]", field.replace('"', "\\\""))).ok()
}

/// Who logs in: the role's name (for messages), its user name and password, and its one-time
/// codes if it has a second factor.
pub(crate) struct Credentials<'a> {
    pub role: &'a str,
    pub username: &'a str,
    pub password: &'a str,
    pub second_factor: Option<CodeMaker>,
}

/// Logs a role's user in, leaving the session's cookies in `jar`.
pub(crate) async fn log_in(
    client: &Client,
    visitor: &Visitor,
    base_url: &Url,
    login: &LoginSettings,
    who: Credentials<'_>,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let Credentials {
        role,
        username,
        password,
        second_factor,
    } = who;
    let login_url = site::resolve(base_url, &login.path)?;
    let page = perform(client, visitor, Outgoing::get(login_url.clone()), deadline).await?;
    login.confine_credentials(base_url, role, "the login page", &page.final_url())?;
    asks_for_http_authentication(&page, role)?;
    let password_field = password_input(&login.password_field);
    let FoundForm {
        action, mut fields, ..
    } = password_field
        .and_then(|field| form_holding(&page, &field))
        .ok_or_else(|| {
            StepFailure::new(format!(
                "no login form at {}: no form with a `{}` field",
                page.final_url(),
                login.password_field
            ))
            .with("request", page.describe())
            .with("body", text::excerpt(page.readable_body()))
            .with(
                "hint",
                "check `[login] path` and `password_field` in shakedown.toml",
            )
        })?;
    login.confine_credentials(base_url, role, "the login form's target", &action)?;
    fields.retain(|(name, _)| *name != login.username_field && *name != login.password_field);
    fields.push((login.username_field.clone(), username.to_owned()));
    fields.push((login.password_field.clone(), password.to_owned()));
    let outgoing = credential_post(login, base_url, action, &fields);
    let answer = perform(client, visitor, outgoing, deadline).await?;
    asks_for_http_authentication(&answer, role)?;
    let code_field = one_time_code_field(login, second_factor.is_some());
    let asks_for_code = code_field
        .as_ref()
        .filter(|_| !is_login_page(&answer.body, login))
        .and_then(|field| form_holding(&answer, field));
    let answer = match asks_for_code {
        None => answer,
        Some(code_form) => {
            let factor = second_factor.ok_or_else(|| {
                no_second_factor(role, answer.final_url().path()).with("request", answer.describe())
            })?;
            let asked = CodeAsked {
                page: &answer,
                form: code_form,
                login_url: &login_url,
            };
            send_one_time_code(client, visitor, base_url, login, role, &factor, asked, deadline).await?
        }
    };
    let still_on_login = answer.final_url().path() == login_url.path() || is_login_page(&answer.body, login);
    let missing_proof = login
        .success_contains
        .as_deref()
        .filter(|proof| !answer.readable_body().contains(proof) && !answer.body.contains(proof));
    if answer.status.is_success() && !still_on_login && missing_proof.is_none() {
        return Ok(());
    }
    let why = if !answer.status.is_success() {
        format!("the site answered {}", answer.status)
    } else if still_on_login {
        "the site showed the login page again".to_owned()
    } else {
        format!(
            "the page after login does not show {}",
            text::quoted(missing_proof.unwrap_or_default())
        )
    };
    Err(
        StepFailure::new(format!("login as `{role}` (user `{username}`) failed: {why}"))
            .with("request", answer.describe())
            .with("page", text::excerpt(answer.readable_body()))
            .with(
                "hint",
                format!("check the username and the password source of `[roles.{role}]`"),
            ),
    )
}

/// A 401 that asks for HTTP authentication (`WWW-Authenticate: Basic …`) where a form login
/// was configured: the site wants another `login.method`, which the message names.
fn asks_for_http_authentication(answer: &Exchange, role: &str) -> Result<(), StepFailure> {
    let schemes = challenged_schemes(&answer.headers);
    if answer.status != StatusCode::UNAUTHORIZED || schemes.is_empty() {
        return Ok(());
    }
    let method = match schemes.iter().map(|scheme| scheme.to_ascii_lowercase()).next() {
        Some(scheme) if scheme == "basic" || scheme == "digest" => format!("`login.method = \"{scheme}\"`"),
        _ => "`login.method = \"header\"` with the header it expects".to_owned(),
    };
    Err(StepFailure::configuration(format!(
        "login as `{role}` failed: {} answered 401 and asks for HTTP {} authentication, not a login form",
        answer.final_url().path(),
        schemes.join(", ")
    ))
    .with("request", answer.describe())
    .with(
        "hint",
        format!("the site logs in by HTTP authentication: set {method} in `[login]` (or the role's own `method`); `login.method` is \"form\" now"),
    ))
}

/// A form found on a page: where it posts, the values it would send, and the name of the
/// input it was found by.
struct FoundForm {
    action: Url,
    fields: Vec<(String, String)>,
    input: String,
}

/// The form holding an input `field` matches.
fn form_holding(page: &Exchange, field: &Selector) -> Option<FoundForm> {
    let document = Html::parse_document(&page.body);
    let forms = Selector::parse("form").ok()?;
    let (form, input) = document
        .select(&forms)
        .find_map(|form| Some((form, form.select(field).next()?)))?;
    let action = match form
        .value()
        .attr("action")
        .map(str::trim)
        .filter(|action| !action.is_empty())
    {
        Some(action) => page.final_url().join(action).ok()?,
        None => page.final_url(),
    };
    let input = input.value().attr("name")?.to_owned();
    Some(FoundForm {
        action,
        fields: prefilled_fields(form),
        input,
    })
}

fn one_time_code_field(login: &LoginSettings, by_name: bool) -> Option<Selector> {
    Selector::parse(&one_time_code_selector(login.totp_field.as_deref(), by_name)).ok()
}

/// A page that asks for a one-time code after the password: the page, its form, and the login
/// page a refused code may lead back to.
struct CodeAsked<'a> {
    page: &'a Exchange,
    form: FoundForm,
    login_url: &'a Url,
}

/// A login form's post of `fields` (a password, a one-time code) to `action`: its body may
/// reach only the origins that may receive the role's credentials, across every redirect.
fn credential_post(
    login: &LoginSettings,
    base_url: &Url,
    action: Url,
    fields: &[(String, String)],
) -> Outgoing {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    Outgoing {
        method: Method::POST,
        url: action,
        body: Some(body),
        content_type: Some("application/x-www-form-urlencoded".to_owned()),
        body_stays_within: Some(login.credential_origins(base_url)),
        stays_on_origin: false,
    }
}

/// Fills and posts the page's one-time code form, under the password's origin rules, and
/// returns the site's answer once it took the code; a refused code fails the login.
#[expect(
    clippy::too_many_arguments,
    reason = "one login's parts, passed on as they are"
)]
async fn send_one_time_code(
    client: &Client,
    visitor: &Visitor,
    base_url: &Url,
    login: &LoginSettings,
    role: &str,
    factor: &CodeMaker,
    asked: CodeAsked<'_>,
    deadline: Deadline,
) -> Result<Exchange, StepFailure> {
    let FoundForm {
        action,
        mut fields,
        input: field,
    } = asked.form;
    login.confine_credentials(base_url, role, "the one-time code form's target", &action)?;
    fields.retain(|(name, _)| *name != field);
    fields.push((field, factor.code()?));
    let outgoing = credential_post(login, base_url, action, &fields);
    let answer = perform(client, visitor, outgoing, deadline).await?;
    asks_for_http_authentication(&answer, role)?;
    let code_page = asked.page.final_url();
    let asks_again =
        one_time_code_field(login, true).is_some_and(|field| form_holding(&answer, &field).is_some());
    let refused = !answer.status.is_success()
        || asks_again
        || answer.final_url().path() == code_page.path()
        || answer.final_url().path() == asked.login_url.path()
        || is_login_page(&answer.body, login);
    if !refused {
        return Ok(answer);
    }
    Err(code_refused(role, code_page.path())
        .with("request", answer.describe())
        .with("page", text::excerpt(answer.readable_body())))
}

/// Inputs the browser would submit as they are: hidden tokens, prefilled text, checked boxes.
fn prefilled_fields(form: ElementRef<'_>) -> Vec<(String, String)> {
    let Ok(inputs) = Selector::parse("input[name]") else {
        return Vec::new();
    };
    form.select(&inputs)
        .filter_map(|input| {
            let element = input.value();
            let kind = element.attr("type").unwrap_or("text").to_ascii_lowercase();
            let submitted = match kind.as_str() {
                "submit" | "button" | "image" | "reset" | "file" => false,
                "checkbox" | "radio" => element.attr("checked").is_some(),
                _ => true,
            };
            let name = element.attr("name")?;
            submitted.then(|| (name.to_owned(), element.attr("value").unwrap_or("").to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> LoginSettings {
        LoginSettings {
            page_used: true,
            path: "/accounts/login/".into(),
            username_field: "username".into(),
            password_field: "password".into(),
            success_contains: None,
            allowed_origins: Vec::new(),
            totp_field: None,
            sso: SsoForm {
                username_field: "input[name=username]".into(),
                password_field: "input[type=password]".into(),
                submit: "button[type=submit]".into(),
            },
        }
    }

    #[test]
    fn hidden_tokens_are_kept_and_buttons_left_out() {
        let html = r#"<form id="search"><input name="q"></form>
            <form method="post" action="/accounts/login/?next=/reports/">
              <input type="hidden" name="csrfmiddlewaretoken" value="tok123">
              <input name="username"><input type="password" name="password">
              <input type="checkbox" name="remember" value="1" checked>
              <input type="checkbox" name="spam" value="1">
              <button type="submit">Log in</button><input type="submit" name="go" value="Go">
            </form>"#;
        let document = Html::parse_document(html);
        let form = document
            .select(&Selector::parse("form[method=post]").expect("selector"))
            .next()
            .expect("form");
        let fields = prefilled_fields(form);
        assert_eq!(
            fields,
            [
                ("csrfmiddlewaretoken".to_owned(), "tok123".to_owned()),
                ("username".to_owned(), String::new()),
                ("password".to_owned(), String::new()),
                ("remember".to_owned(), "1".to_owned()),
            ]
        );
        assert!(is_login_page(html, &settings()));
        assert!(!is_login_page("<form><input name=\"q\"></form>", &settings()));
    }
}
