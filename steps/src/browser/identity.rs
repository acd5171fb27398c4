//! Who the browser session is: anonymous, or a role. A role's browser reuses the session the
//! HTTP login made for it (its cookies set in the browser, so the site sees one login per role
//! per run), or, with `browser.login_form`, logs in through the login page like a person.
//!
//! A form login types the password into a page whose own scripts can read it, so it runs
//! inside the session guard's login window (`guard.rs`): the login page and its workers load
//! with a `connect-src` policy naming only the origins that may receive the password, and
//! once it is typed every request to any other origin is failed until the browser has left
//! the page. Whatever was failed fails the login; the page is then left and the site's service
//! workers ended before the window closes, so nothing that held the password is let out later.

use std::fmt;
use std::time::Duration;

use secrecy::ExposeSecret as _;
use thirtyfour::{By, Cookie, Key, WebDriver, WebElement};
use url::Url;

use super::guard::{LoginWindow, Refused, Rule};
use super::page::Page;
use super::read_only;
use crate::deadline::{Deadline, Limit};
use crate::failure::StepFailure;
use crate::session::{
    CodeMaker, LoginMethod, LoginSettings, Sessions, code_refused, no_second_factor, one_time_code_selector,
};
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
    // Only a form role logs in through the form here: a single sign-on role logged in once for
    // the run in a browser of its own, and HTTP authentication has no form. Their sessions are
    // set as an HTTP login's (cookies; the guard adds the headers).
    let by_form = sessions.method_of(role) == Some(&LoginMethod::Form);
    if through_form && by_form {
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
    let origins = login.credential_origins(base_url);
    let guard = page.guard().ok_or_else(|| {
        StepFailure::new("the browser session has no request guard, so no password is typed into a page")
    })?;
    let window = guard.login_window(&origins);
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
    // What the page failed while it loaded, before any password was in it, is the read-only
    // check's, not the login's.
    read_only::refuse_blocked_requests(page)?;
    window.secret_typed(&target);
    let typed = async {
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
        let Some(landed) = left_page(page, login_url.path(), role, &origins).await? else {
            return Err(failed("the browser is still on the login page".into()));
        };
        let factor = sessions.second_factor(role)?;
        give_one_time_code(login, factor, base_url, page, role, &window, &landed).await
    };
    let outcome = typed.await;
    // The password may still be in the page, or in a worker the page handed it to: a failed
    // login leaves the page, and either way the site's service workers end, before requests
    // elsewhere are let through again. This runs past the step's deadline if it must, within
    // its own limit; a session that cannot be cleared so keeps the login's rules until it is quit.
    let cleanup = Deadline::after(CLEANUP_LIMIT, Limit::Step);
    let left = match outcome.is_err() {
        true => matches!(cleanup.run(page.driver.goto("about:blank")).await, Some(Ok(()))),
        false => true,
    };
    let ended = guard.end_service_workers(&origins, cleanup).await;
    if !left || ended.is_err() {
        page.abandon();
        window.keep_until_the_session_ends();
    }
    outcome.and(ended)
}

/// Waits until the browser has left the page at `path`: where it went, or `None` if it is still
/// there at the deadline. A request failed on the way, or an arrival off the origins that may
/// receive the role's password, fails the login.
pub(super) async fn left_page(
    page: &Page,
    path: &str,
    role: &str,
    origins: &[url::Origin],
) -> Result<Option<Url>, StepFailure> {
    let left = page
        .wait_for(|| async {
            let refused = page.refused_requests()?;
            if !refused.is_empty() {
                return Ok(Some(Err(refused)));
            }
            let url = page.call("read the address", page.driver.current_url()).await?;
            Ok((url.path() != path).then_some(Ok(url)))
        })
        .await?;
    match left {
        None => Ok(None),
        Some(Err(refused)) => Err(refused_while_typed(role, origins, &refused)),
        Some(Ok(url)) => {
            let late = page.refused_requests()?;
            match late.is_empty() && origins.contains(&url.origin()) {
                true => Ok(Some(url)),
                false => Err(refused_while_typed(role, origins, &late)),
            }
        }
    }
}

/// When the page the login led to (the site's, or its identity provider's) asks for a one-time
/// code, types the role's current one and submits it, under the login window's rules like the
/// password; a site that does not ask gets none. A page that asks again refused the code.
pub(super) async fn give_one_time_code(
    login: &LoginSettings,
    factor: Option<CodeMaker>,
    base_url: &Url,
    page: &Page,
    role: &str,
    window: &LoginWindow<'_>,
    code_page: &Url,
) -> Result<(), StepFailure> {
    let Some(field) = code_field(page, login, factor.is_some()).await? else {
        return Ok(());
    };
    let factor = factor.ok_or_else(|| no_second_factor(role, code_page.path()))?;
    let target = form_target(page, &field).await?;
    login.confine_credentials(base_url, role, "the one-time code form's target", &target)?;
    window.secret_typed(&target);
    let code = factor.code()?;
    page.call("type the one-time code", field.send_keys(code.as_str()))
        .await?;
    page.call("submit the one-time code", field.send_keys(Key::Enter))
        .await?;
    let origins = login.credential_origins(base_url);
    let login_path = site::resolve(base_url, &login.path)?;
    match left_page(page, code_page.path(), role, &origins).await? {
        Some(url) if url.path() != login_path.path() && code_field(page, login, true).await?.is_none() => {
            Ok(())
        }
        _ => Err(code_refused(role, code_page.path())),
    }
}

/// The page's one-time code field, if it asks for one (see `one_time_code_selector`).
async fn code_field(
    page: &Page,
    login: &LoginSettings,
    by_name: bool,
) -> Result<Option<WebElement>, StepFailure> {
    let selector = one_time_code_selector(login.totp_field.as_deref(), by_name);
    let fields = page
        .call(
            "look for a one-time code field",
            page.driver.find_all(By::Css(selector)),
        )
        .await?;
    Ok(fields.into_iter().next())
}

/// How long leaving a login page and ending its workers may take, past the step's deadline.
pub(super) const CLEANUP_LIMIT: Duration = Duration::from_secs(5);

/// What the guard failed while the role's password was in a login page: a request to an origin
/// that may not receive it (the page's own scripts, a worker, a redirect of the form's post), or
/// on a read-only environment a post other than the form's own.
pub(super) fn refused_while_typed(role: &str, origins: &[url::Origin], refused: &[Refused]) -> StepFailure {
    let allowed: Vec<String> = origins.iter().map(url::Origin::ascii_serialization).collect();
    let Some(first) = refused.first() else {
        // Left the login page for another origin with nothing failed on the way: a client-side
        // redirect the guard let go because it carried nothing there yet.
        return StepFailure::configuration(format!(
            "the browser login of role `{role}` ended off the origins that may receive its password ({})",
            allowed.join(", ")
        ));
    };
    let mut described: Vec<String> = Vec::new();
    for line in refused.iter().map(Refused::describe) {
        if !described.contains(&line) {
            described.push(line);
        }
    }
    let failure = match &first.rule {
        Rule::OffLoginOrigins => StepFailure::configuration(format!(
            "refused to send the password of role `{role}` on: while it was in the login page, {}{}, to an origin that may not receive it (only {} may); the browser sent nothing there",
            if first.redirected { "the site answered the login form's post with a redirect: " } else { "the page sent " },
            first.describe(),
            allowed.join(", ")
        ))
        .with(
            "hint",
            "if that origin is the site's own single sign-on, name it in `login.allowed_origins`; a login page that sends anything elsewhere while a password is typed into it is not logged in to",
        ),
        Rule::ReadOnly(environment) => StepFailure::configuration(format!(
            "refused to send {} during the browser login of role `{role}`: the environment `{environment}` is read-only and only the login form's own post goes out",
            first.describe()
        )),
    };
    match described.len() {
        1 => failure,
        _ => failure.with("refused", described.join("\n")),
    }
}

/// Where the password field's form would send it, as the browser resolves it (`form.action`).
pub(super) async fn form_target(page: &Page, field: &WebElement) -> Result<Url, StepFailure> {
    let element = field
        .to_json()
        .map_err(|error| StepFailure::new(format!("the browser returned an odd element: {error}")))?;
    let action = page
        .script(
            "read the login form's target",
            "const f = arguments[0].form; return f ? f.action : document.location.href;",
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
