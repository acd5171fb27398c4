//! One login per role per run. The first scenario that needs a role logs it in; every other
//! scenario of that role (running at the same time or later) waits for and reuses that
//! session, and a failed login is remembered so a wrong password is tried once, not N times.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::Client;
use reqwest::cookie::{CookieStore, Jar};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::OnceCell;
use url::Url;

use super::login::{Credentials, LoginSettings, log_in};
use super::secrets::{PasswordSource, RoleSettings, secret_variables};
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::redact;

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

/// The login service: how roles log in, their passwords (read before the first scenario) and
/// the run's one session per role.
pub struct Sessions {
    http: Client,
    login: Option<LoginSettings>,
    roles: BTreeMap<String, RoleSettings>,
    base_url: Url,
    logins: Mutex<HashMap<String, Login>>,
    passwords: Mutex<HashMap<String, Result<SecretString, StepFailure>>>,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("roles", &self.roles.keys().collect::<Vec<_>>())
            .field("logged_in", &lock(&self.logins).keys().collect::<Vec<_>>())
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Sessions {
    pub fn new(
        http: Client,
        login: Option<LoginSettings>,
        roles: BTreeMap<String, RoleSettings>,
        base_url: Url,
    ) -> Self {
        Self {
            http,
            login,
            roles,
            base_url,
            logins: Mutex::default(),
            passwords: Mutex::default(),
        }
    }

    /// Reads the password of every role in `in_use` (the roles the selected scenarios name) once,
    /// before any scenario runs, so each is registered with the redactor before anything could
    /// print it; a role no selected scenario uses never has its password command run. A password
    /// that cannot be read fails only the scenarios that use its role.
    pub async fn read_passwords(&self, limit: Duration, in_use: &BTreeSet<String>) {
        let reads =
            self.roles.iter().filter(|(role, _)| in_use.contains(*role)).map(
                |(role, role_settings)| async move {
                    (role.clone(), role_settings.read_password(role, limit).await)
                },
            );
        let passwords = futures::future::join_all(reads).await;
        lock(&self.passwords).extend(passwords);
    }

    /// The environment variables that hold role passwords (`password_env`), every role's, and
    /// `[secrets]` values: no command or plugin a step starts inherits them.
    pub(crate) fn password_variables(&self) -> Vec<String> {
        self.roles
            .values()
            .filter_map(|role| match &role.password {
                PasswordSource::Env(name) => Some(name.clone()),
                PasswordSource::File(_) | PasswordSource::Command(_) => None,
            })
            .chain(secret_variables())
            .collect()
    }

    /// The role's session, logging it in if no scenario has yet.
    pub(crate) async fn session(
        &self,
        role: &str,
        deadline: Deadline,
    ) -> Result<Arc<RoleSession>, StepFailure> {
        let login = Arc::clone(lock(&self.logins).entry(role.to_owned()).or_default());
        login
            .get_or_init(|| self.log_in_role(role, deadline))
            .await
            .clone()
    }

    /// The role's settings and the login form, or why the role cannot log in.
    pub(crate) fn login_of(&self, role: &str) -> Result<(&RoleSettings, &LoginSettings), StepFailure> {
        let role_settings = self.roles.get(role).ok_or_else(|| {
            let known: Vec<&str> = self.roles.keys().map(String::as_str).collect();
            StepFailure::configuration(format!("there is no role `{role}` in shakedown.toml"))
                .with("known roles", format!("anonymous, {}", known.join(", ")))
        })?;
        let login = self.login.as_ref().ok_or_else(|| {
            StepFailure::configuration(format!(
                "role `{role}` cannot log in: shakedown.toml has no `[login]` section"
            ))
            .with(
                "hint",
                "add `[login]` with the login page's `path` and its field names",
            )
        })?;
        Ok((role_settings, login))
    }

    /// How the login page is recognised, when the configuration has one.
    pub(crate) fn login_settings(&self) -> Option<&LoginSettings> {
        self.login.as_ref()
    }

    /// The role's password as read before the run, for a login through the browser's form.
    pub(crate) fn password(&self, role: &str) -> Result<SecretString, StepFailure> {
        lock(&self.passwords).get(role).cloned().unwrap_or_else(|| {
            Err(StepFailure::configuration(format!(
                "the password of role `{role}` was not read before the run"
            )))
        })
    }

    async fn log_in_role(&self, role: &str, deadline: Deadline) -> Result<Arc<RoleSession>, StepFailure> {
        let (role_settings, login) = self.login_of(role)?;
        let password = self.password(role)?;
        let jar = Jar::default();
        log_in(
            &self.http,
            &jar,
            &self.base_url,
            login,
            Credentials {
                role,
                username: &role_settings.username,
                password: password.expose_secret(),
            },
            deadline,
        )
        .await?;
        let cookies = jar
            .cookies(&self.base_url)
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
}
