//! Who the browser session is: anonymous, or a role. A role's browser reuses the session the
//! HTTP login made for it (its cookies set in the browser, so the site sees one login per role
//! per run), or, with `browser.login_form`, logs in through the login page like a person.

use std::fmt;

use secrecy::ExposeSecret as _;
use thirtyfour::{By, Cookie, Key, WebDriver, WebElement};
use url::Url;

use super::page::Page;
use crate::failure::StepFailure;
use crate::session::Sessions;
use crate::site;

/// Who a session acts as.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Identity {
    Anonymous,
    Role(String),
    /// Half-way through a change (a login failed): cleaned before any further use.
    Unknown,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Anonymous => f.write_str("anonymous"),
            Self::Role(role) => write!(f, "role {role}"),
            Self::Unknown => f.write_str("unknown"),
        }
    }
}

/// Leaves a session as a new visitor's: the last page's storage and every cookie cleared, the
/// console log drained, a blank page showing.
pub(crate) async fn clean(driver: &WebDriver) -> Result<(), thirtyfour::error::WebDriverError> {
    let on_a_site = driver
        .current_url()
        .await
        .is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
    if on_a_site {
        driver
            .execute(
                "try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}",
                Vec::new(),
            )
            .await?;
    }
    forget_cookies(driver).await?;
    driver.goto("about:blank").await?;
    // Drained so the next scenario's console check sees only its own pages.
    let _ = driver.browser_log().await;
    Ok(())
}

/// Every cookie of every site; the WebDriver command alone reaches only the current page's.
async fn forget_cookies(driver: &WebDriver) -> Result<(), thirtyfour::error::WebDriverError> {
    if driver
        .cdp()
        .send_raw("Network.clearBrowserCookies", ())
        .await
        .is_ok()
    {
        return Ok(());
    }
    driver.delete_all_cookies().await
}

/// Makes the page's session act as `wanted`.
pub(crate) async fn apply(
    page: &Page,
    wanted: &Identity,
    through_form: bool,
    sessions: &Sessions,
    base_url: &Url,
) -> Result<(), StepFailure> {
    page.call("clear its cookies", forget_cookies(&page.driver))
        .await?;
    let Identity::Role(role) = wanted else {
        return Ok(());
    };
    if through_form {
        log_in_through_form(sessions, base_url, page, role).await
    } else {
        reuse_http_login(sessions, base_url, page, role).await
    }
}

/// Sets the role's session cookies (from the run's one HTTP login) on the site.
async fn reuse_http_login(
    sessions: &Sessions,
    base_url: &Url,
    page: &Page,
    role: &str,
) -> Result<(), StepFailure> {
    let session = sessions.session(role, page.deadline()).await?;
    // A browser takes cookies only for the site it is on.
    page.visit(base_url).await?;
    for (name, value) in &session.cookies {
        let mut cookie = Cookie::new(name.clone(), value.clone());
        cookie.set_path("/");
        page.call("set the role's session cookie", page.driver.add_cookie(cookie))
            .await?;
    }
    Ok(())
}

/// Fills the configured login form with the role's credentials and submits it; success is
/// leaving the login page.
async fn log_in_through_form(
    sessions: &Sessions,
    base_url: &Url,
    page: &Page,
    role: &str,
) -> Result<(), StepFailure> {
    let (role_settings, login) = sessions.login_of(role)?;
    let password = sessions.password(role)?;
    let login_url = site::resolve(base_url, &login.path)?;
    page.visit(&login_url).await?;
    let failed = |why: String| {
        StepFailure::new(format!(
            "browser login as `{role}` (user `{}`) failed: {why}",
            role_settings.username
        ))
        .with(
            "hint",
            format!("check `[login]` and the password source of `[roles.{role}]`"),
        )
    };
    let by_name = |name: &str| By::Css(format!("input[name=\"{}\"]", name.replace('"', "\\\"")));
    let username_field = page
        .call(
            "find the user name field",
            page.driver.find(by_name(&login.username_field)),
        )
        .await
        .map_err(|_| failed(format!("no `{}` field at {login_url}", login.username_field)))?;
    let password_field = page
        .call(
            "find the password field",
            page.driver.find(by_name(&login.password_field)),
        )
        .await
        .map_err(|_| failed(format!("no `{}` field at {login_url}", login.password_field)))?;
    let landed = page.call("read the address", page.driver.current_url()).await?;
    login.confine_credentials(base_url, role, "the login page", &landed)?;
    let target = form_target(page, &password_field).await?;
    login.confine_credentials(base_url, role, "the login form's target", &target)?;
    let origins = login.credential_origins(base_url);
    confine_form_posts(page, &origins).await?;
    page.call(
        "type the user name",
        username_field.send_keys(role_settings.username.as_str()),
    )
    .await?;
    page.call(
        "type the password",
        password_field.send_keys(password.expose_secret()),
    )
    .await?;
    page.call("submit the login form", password_field.send_keys(Key::Enter))
        .await?;
    let left = page
        .wait_for(|| async {
            let refused = page
                .script("read whether a post was refused", REFUSED_POST, Vec::new())
                .await
                .unwrap_or_default();
            if refused.as_bool() == Some(true) {
                return Ok(Some(Err(())));
            }
            let url = page.call("read the address", page.driver.current_url()).await?;
            Ok((url.path() != login_url.path()).then_some(Ok(url)))
        })
        .await?;
    match left {
        Some(Ok(url)) if origins.contains(&url.origin()) => Ok(()),
        // A refused redirect can leave the browser on its error page, off the site.
        Some(Ok(_)) | Some(Err(())) => Err(refused_redirect(role, &origins)),
        None => Err(failed("the browser is still on the login page".into())),
    }
}

/// Whether the login page's policy stopped the form's post (or its redirect) from going out.
const REFUSED_POST: &str = "return window.__shakedownRefusedPost === true;";

/// Limits where the login page's forms may post, redirects of the post included, to the origins
/// that may receive the password: a site answering the post with a 307 or 308 to another origin
/// would otherwise have the browser repeat the post, password and all, there. The policy is the
/// page's own Content-Security-Policy `form-action`, which the browser enforces on redirects
/// before anything is sent.
async fn confine_form_posts(page: &Page, origins: &[url::Origin]) -> Result<(), StepFailure> {
    let origins: Vec<String> = origins.iter().map(url::Origin::ascii_serialization).collect();
    page.script(
        "limit where the login form may post",
        r#"window.__shakedownRefusedPost = false;
document.addEventListener('securitypolicyviolation', (e) => {
  if (e.effectiveDirective === 'form-action') window.__shakedownRefusedPost = true;
});
const policy = document.createElement('meta');
policy.httpEquiv = 'Content-Security-Policy';
policy.content = 'form-action ' + arguments[0].join(' ');
(document.head || document.documentElement).prepend(policy);
return null;"#,
        vec![serde_json::json!(origins)],
    )
    .await
    .map(drop)
}

/// The browser does not tell where a refused redirect pointed (a policy report names the
/// address before the redirect), so the message names the origins the password may go to.
fn refused_redirect(role: &str, origins: &[url::Origin]) -> StepFailure {
    let allowed: Vec<String> = origins.iter().map(url::Origin::ascii_serialization).collect();
    StepFailure::configuration(format!(
        "refused to send the password of role `{role}` on: the site answered the login form's post with a redirect off the origins that may receive it ({}); the browser sent nothing there",
        allowed.join(", ")
    ))
    .with(
        "hint",
        "if the redirect goes to the site's own single sign-on, name its origin in `login.allowed_origins`",
    )
}
/// Where the password field's form would send it, as the browser resolves it (`form.action`);
/// on a read-only environment the form is also marked as the one post the guard lets through.
async fn form_target(page: &Page, field: &WebElement) -> Result<Url, StepFailure> {
    let element = field
        .to_json()
        .map_err(|error| StepFailure::new(format!("the browser returned an odd element: {error}")))?;
    let action = page
        .script(
            "read the login form's target",
            "const f = arguments[0].form; if (f && window.__shakedownAllowLogin) window.__shakedownAllowLogin(f); return f ? f.action : document.location.href;",
            vec![element],
        )
        .await?;
    let action = action.as_str().unwrap_or_default();
    Url::parse(action).map_err(|_| {
        StepFailure::new(format!(
            "the login form's target `{action}` is not a URL the browser could post to"
        ))
    })
}
