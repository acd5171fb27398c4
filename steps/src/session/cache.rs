//! One login per role per run. The first scenario that needs a role logs it in; every other
//! scenario of that role (running at the same time or later) waits for and reuses that
//! session, and a failed login is remembered so a wrong password is tried once, not N times.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use reqwest::cookie::{CookieStore, Jar};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::OnceCell;
use url::Url;

use super::login::{Credentials, log_in};
use crate::context::{RunContext, StepSettings};
use crate::failure::StepFailure;
use crate::redact;
use crate::world::TimeBudget;

/// A logged-in role: the cookies the site gave it.
pub struct RoleSession {
    pub role: String,
    pub cookies: Vec<(String, String)>,
}

impl RoleSession {
    /// A new cookie jar holding this session, so a scenario can log out without ending the
    /// session for the others.
    pub fn jar(&self, base_url: &Url) -> Arc<Jar> {
        let jar = Jar::default();
        for (name, value) in &self.cookies {
            jar.add_cookie_str(&format!("{name}={value}; Path=/"), base_url);
        }
        Arc::new(jar)
    }
}

/// Session cookies are credentials: their values never show.
impl fmt::Debug for RoleSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.cookies.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("RoleSession")
            .field("role", &self.role)
            .field("cookies", &names)
            .finish()
    }
}

type Login = Arc<OnceCell<Result<Arc<RoleSession>, StepFailure>>>;

/// The run's logins, by role, and the passwords read for them before the first scenario.
#[derive(Default)]
pub struct SessionCache {
    logins: Mutex<HashMap<String, Login>>,
    passwords: Mutex<HashMap<String, Result<SecretString, StepFailure>>>,
}

impl fmt::Debug for SessionCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let logins = self
            .logins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f.debug_struct("SessionCache")
            .field("roles", &logins.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl SessionCache {
    /// Reads every role's password once, before any scenario runs, so each is registered with
    /// the redactor before anything could print it. A password that cannot be read fails only
    /// the scenarios that use its role.
    pub async fn read_passwords(&self, settings: &StepSettings) {
        let reads = settings.roles.iter().map(|(role, role_settings)| async move {
            (
                role.clone(),
                role_settings.read_password(role, settings.step_timeout).await,
            )
        });
        let passwords = futures::future::join_all(reads).await;
        self.passwords
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend(passwords);
    }

    /// The role's session, logging it in if no scenario has yet.
    pub(crate) async fn session(
        &self,
        run: &RunContext,
        role: &str,
        budget: TimeBudget,
    ) -> Result<Arc<RoleSession>, StepFailure> {
        let login = {
            let mut logins = self
                .logins
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(logins.entry(role.to_owned()).or_default())
        };
        login.get_or_init(|| log_in_role(run, role, budget)).await.clone()
    }

    /// The role's password as read before the run, for a login through the browser's form.
    pub(crate) fn password(&self, role: &str) -> Result<SecretString, StepFailure> {
        self.passwords
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(role)
            .cloned()
            .unwrap_or_else(|| {
                Err(StepFailure::new(format!(
                    "the password of role `{role}` was not read before the run"
                )))
            })
    }
}

async fn log_in_role(
    run: &RunContext,
    role: &str,
    budget: TimeBudget,
) -> Result<Arc<RoleSession>, StepFailure> {
    let settings = &run.settings;
    let known = || settings.roles.keys().cloned().collect::<Vec<_>>().join(", ");
    let role_settings = settings.roles.get(role).ok_or_else(|| {
        StepFailure::new(format!("there is no role `{role}` in shakedown.toml"))
            .with("known roles", format!("anonymous, {}", known()))
    })?;
    let login = settings.login.as_ref().ok_or_else(|| {
        StepFailure::new(format!(
            "role `{role}` cannot log in: shakedown.toml has no `[login]` section"
        ))
        .with(
            "hint",
            "add `[login]` with the login page's `path` and its field names",
        )
    })?;
    let read = run
        .sessions
        .passwords
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(role)
        .cloned();
    let password = read.unwrap_or_else(|| {
        Err(StepFailure::new(format!(
            "the password of role `{role}` was not read before the run"
        )))
    })?;
    let jar = Jar::default();
    log_in(
        &run.http,
        &jar,
        settings,
        login,
        Credentials {
            role,
            username: &role_settings.username,
            password: password.expose_secret(),
        },
        budget,
    )
    .await?;
    let cookies = jar
        .cookies(&settings.base_url)
        .and_then(|header| header.to_str().ok().map(str::to_owned))
        .map(|header| {
            header
                .split("; ")
                .filter_map(|pair| pair.split_once('='))
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    // Session identifiers are long random strings; short values (`1`, `en`) are not secrets
    // and masking them would garble every report.
    for (_, value) in cookies.iter().filter(|(_, value)| value.len() >= 8) {
        redact::register(value);
    }
    Ok(Arc::new(RoleSession {
        role: role.to_owned(),
        cookies,
    }))
}
