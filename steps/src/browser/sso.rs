//! Single sign-on in the browser. The site's login page (`login.path`) sends the browser to the
//! identity provider; only when that provider is at an origin `login.allowed_origins` names is
//! the provider's form filled (`[login.sso]`): the user name, the password, and the one-time
//! code if the provider asks for one. The browser follows the redirects back, the site must
//! then show a page that is not its login page, and the cookies the browser would send to the
//! site are the role's session.
//!
//! All of it runs inside the request guard's login window (`guard.rs`), as a form login does:
//! every document, the provider's included, loads with a `connect-src` policy naming only the
//! site's origin and `login.allowed_origins`, and once the password is typed nothing goes
//! anywhere else; on a read-only environment the provider's login post (and then its one-time
//! code post) is the one post let through.

use thirtyfour::{By, Key, WebElement};
use url::{Origin, Url};

use super::guard::{LoginWindow, RequestGuard};
use super::identity::{CLEANUP_LIMIT, form_target, give_one_time_code, left_page, refused_while_typed};
use super::page::Page;
use super::read_only;
use crate::deadline::{Deadline, Limit};
use crate::failure::StepFailure;
use crate::session::{SignOnRequest, is_login_page};
use crate::{site, text};

/// Logs the role of `request` in on `page` (a session of its own, with a guard) and answers
/// the cookies the browser would then send to the site.
pub(super) async fn sign_on(
    page: &Page,
    guard: &RequestGuard,
    request: &SignOnRequest<'_>,
) -> Result<Vec<(String, String)>, StepFailure> {
    let origins = request.login.credential_origins(request.base_url);
    let window = guard.login_window(&origins);
    let outcome = through_provider(page, request, &window, &origins).await;
    // The password was in the provider's page, which may still show (a failed login) or have
    // handed it to a worker: the page is left and the origins' service workers end before
    // requests elsewhere are let through again. A session that cannot be cleared so keeps the
    // login's rules until it is quit, which it is next.
    let cleanup = Deadline::after(CLEANUP_LIMIT, Limit::Step);
    let left = matches!(cleanup.run(page.driver.goto("about:blank")).await, Some(Ok(())));
    let ended = guard.end_service_workers(&origins, cleanup).await;
    if !left || ended.is_err() {
        window.keep_until_the_session_ends();
    }
    outcome.and_then(|cookies| ended.map(|()| cookies))
}

async fn through_provider(
    page: &Page,
    request: &SignOnRequest<'_>,
    window: &LoginWindow<'_>,
    origins: &[Origin],
) -> Result<Vec<(String, String)>, StepFailure> {
    let SignOnRequest {
        base_url, login, who, ..
    } = request;
    let role = who.role;
    let login_url = site::resolve(base_url, &login.path)?;
    page.visit(&login_url).await?;
    let provider = here(page).await?;
    if !origins.contains(&provider.origin()) {
        return Err(provider_not_allowed(role, &login_url, &provider));
    }
    let fields = &login.sso;
    let ProviderForm {
        username_field,
        password_field,
    } = provider_form(page, request, &provider).await?;
    // The page may have moved since (a provider asking for the user name first).
    let provider = here(page).await?;
    if !origins.contains(&provider.origin()) {
        return Err(provider_not_allowed(role, &login_url, &provider));
    }
    let target = form_target(page, &password_field).await?;
    login.confine_credentials(
        base_url,
        role,
        "the identity provider's login form's target",
        &target,
    )?;
    // What the pages failed while they loaded, before any password was in them, is the
    // read-only check's, not the login's.
    read_only::refuse_blocked_requests(page)?;
    window.secret_typed(&target);
    if let Some(username_field) = &username_field {
        type_into(page, username_field, who.username, "type the user name").await?;
    }
    type_into(page, &password_field, who.password, "type the password").await?;
    submit(page, &password_field, &fields.submit).await?;
    let Some(after) = left_page(page, provider.path(), role, origins).await? else {
        return Err(failed(
            request,
            format!(
                "the browser is still on the identity provider's login page at {}",
                shown_address(&provider)
            ),
        ));
    };
    give_one_time_code(
        login,
        who.second_factor.clone(),
        base_url,
        page,
        role,
        window,
        &after,
    )
    .await?;
    let landed = back_on_site(page, request, origins, &login_url).await?;
    let source = page.call("read the page's source", page.driver.source()).await?;
    let shown = page.visible_text().await?;
    let missing_proof = login
        .success_contains
        .as_deref()
        .filter(|proof| !shown.contains(proof) && !source.contains(proof));
    if is_login_page(&source, login) || missing_proof.is_some() {
        let why = match missing_proof {
            Some(proof) => format!(
                "the page after the login, {}, does not show {}",
                shown_address(&landed),
                text::quoted(proof)
            ),
            None => format!(
                "the site showed its login page again at {}",
                shown_address(&landed)
            ),
        };
        return Err(failed(request, why).with("page text", text::excerpt(&shown)));
    }
    let cookies = page
        .call("read the site's cookies", page.driver.get_all_cookies())
        .await?;
    Ok(cookies
        .into_iter()
        .map(|cookie| (cookie.name, cookie.value))
        .collect())
}

/// The provider's form as found: its password field, and its user name field when the user
/// name is still to be typed there.
struct ProviderForm {
    username_field: Option<WebElement>,
    password_field: WebElement,
}

/// Finds the provider's fields. A provider that asks for the user name on one page and for
/// the password on the next gets the user name (no secret) and is waited for.
async fn provider_form(
    page: &Page,
    request: &SignOnRequest<'_>,
    provider: &Url,
) -> Result<ProviderForm, StepFailure> {
    let fields = &request.login.sso;
    let role = request.who.role;
    let username_field = first(page, &fields.username_field).await?;
    if let Some(password_field) = first(page, &fields.password_field).await? {
        return Ok(ProviderForm {
            username_field,
            password_field,
        });
    }
    let Some(username_field) = username_field else {
        return Err(missing_fields(
            role,
            provider,
            "user name or password field",
            &["username_field", "password_field"],
        ));
    };
    type_into(page, &username_field, request.who.username, "type the user name").await?;
    submit(page, &username_field, &fields.submit).await?;
    let shown = page.wait_for(|| first(page, &fields.password_field)).await?;
    let password_field =
        shown.ok_or_else(|| missing_fields(role, provider, "password field", &["password_field"]))?;
    Ok(ProviderForm {
        username_field: None,
        password_field,
    })
}

/// Waits until the provider has sent the browser back to the site, off its login page: where
/// it landed. A request the guard failed, or the provider's form shown again, fails the login.
async fn back_on_site(
    page: &Page,
    request: &SignOnRequest<'_>,
    origins: &[Origin],
    login_url: &Url,
) -> Result<Url, StepFailure> {
    let role = request.who.role;
    let site_origin = request.base_url.origin();
    let back = page
        .wait_for(|| async {
            let refused = page.refused_requests()?;
            if !refused.is_empty() {
                return Ok(Some(Err(refused_while_typed(role, origins, &refused))));
            }
            let url = here(page).await?;
            if url.origin() == site_origin && url.path() != login_url.path() {
                return Ok(Some(Ok(url)));
            }
            // Back at the provider's form: it did not take the password.
            let asks_again = url.origin() != site_origin
                && first(page, &request.login.sso.password_field).await?.is_some();
            Ok(asks_again.then(|| {
                Err(failed(
                    request,
                    format!(
                        "the identity provider showed its login form again at {}",
                        shown_address(&url)
                    ),
                ))
            }))
        })
        .await?;
    match back {
        Some(landed) => landed,
        None => {
            let at = here(page).await?;
            Err(failed(
                request,
                format!(
                    "the browser did not come back to the site from the identity provider: it is at {}",
                    shown_address(&at)
                ),
            )
            .with(
                "page text",
                text::excerpt(&page.visible_text().await.unwrap_or_default()),
            ))
        }
    }
}

/// The role's single sign-on failed, `why`.
fn failed(request: &SignOnRequest<'_>, why: String) -> StepFailure {
    let role = request.who.role;
    StepFailure::new(format!(
        "single sign-on as `{role}` (user `{}`) failed: {why}",
        request.who.username
    ))
    .with(
        "hint",
        format!("check the user name and the password source of `[roles.{role}]`"),
    )
}

/// Where the browser is.
async fn here(page: &Page) -> Result<Url, StepFailure> {
    page.call("read the address", page.driver.current_url()).await
}

/// An address for a message: its origin and path, never its query, which on the way back
/// from a provider holds the authorization code.
fn shown_address(url: &Url) -> String {
    format!("{}{}", url.origin().ascii_serialization(), url.path())
}

/// The first element `selectors` (a CSS selector list) finds on the page.
async fn first(page: &Page, selectors: &str) -> Result<Option<WebElement>, StepFailure> {
    let found = page
        .call(
            "look for the identity provider's form",
            page.driver.find_all(By::Css(selectors.to_owned())),
        )
        .await?;
    Ok(found.into_iter().next())
}

/// Replaces what `field` holds (a provider may prefill the user name) with `text`.
async fn type_into(page: &Page, field: &WebElement, text: &str, what: &str) -> Result<(), StepFailure> {
    page.call(what, field.clear()).await?;
    page.call(what, field.send_keys(text)).await
}

/// Sends the form `field` is in: its first control `submit` finds, else Enter in the field.
async fn submit(page: &Page, field: &WebElement, submit: &str) -> Result<(), StepFailure> {
    let element = field
        .to_json()
        .map_err(|error| StepFailure::new(format!("the browser returned an odd element: {error}")))?;
    let control = page
        .call(
            "find the form's submit control",
            page.driver.execute(
                "const form = arguments[0].form; return form ? form.querySelector(arguments[1]) : null;",
                vec![element, serde_json::Value::from(submit)],
            ),
        )
        .await?;
    if control.json().is_null() {
        return page
            .call("submit the identity provider's form", field.send_keys(Key::Enter))
            .await;
    }
    let control = control
        .element()
        .map_err(|error| StepFailure::new(format!("the browser returned an odd element: {error}")))?;
    page.call("submit the identity provider's form", control.click())
        .await
}

/// The site's login page sent the browser to an origin the password may not go to: refused
/// before anything is typed.
fn provider_not_allowed(role: &str, login_url: &Url, provider: &Url) -> StepFailure {
    let origin = provider.origin().ascii_serialization();
    StepFailure::configuration(format!(
        "refused to type the password of role `{role}` at {origin}: the site's login page sent the browser there, and {origin} is not in `login.allowed_origins`"
    ))
    .with("login page", login_url.to_string())
    .with("landed at", shown_address(provider))
    .with(
        "hint",
        format!("if {origin} is the site's identity provider, add it to `login.allowed_origins`; nothing was typed there"),
    )
}

/// The provider's page has no field the `[login.sso]` selectors (`keys`) find.
fn missing_fields(role: &str, provider: &Url, what: &str, keys: &[&str]) -> StepFailure {
    let keys: Vec<String> = keys.iter().map(|key| format!("`login.sso.{key}`")).collect();
    StepFailure::configuration(format!(
        "single sign-on as `{role}` failed: the identity provider's page at {} has no {what}",
        shown_address(provider)
    ))
    .with(
        "hint",
        format!(
            "give the CSS selectors that find them on that page in {}",
            keys.join(" and ")
        ),
    )
}
