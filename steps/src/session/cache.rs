//! One login per role per run. The first scenario that needs a role logs it in; every other
//! scenario of that role (running at the same time or later) waits for and reuses that
//! session, and a failed login is remembered so a wrong password is tried once, not N times.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};

use reqwest::Client;
use reqwest::cookie::{CookieStore, Jar};
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::OnceCell;
use url::Url;

use super::login::{Credentials, LoginSettings, log_in};
use super::methods::{LoginMethod, check_accepted};
use super::secrets::{PasswordSource, RoleSettings, secret_variables};
use super::sso::{SignOn, SignOnRequest, SignOnService, sign_on};
use super::totp::CodeMaker;
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::http::{HttpCredentials, Visitor};
use crate::locked::lock;
use crate::redact;

/// A logged-in role: the cookies the site gave it, the HTTP credentials it sends (Basic,
/// Digest, a fixed header) and its own connection pool when it presents a client certificate.
pub struct RoleSession {
    pub role: String,
    pub cookies: Vec<(String, String)>,
    pub(crate) credentials: Option<Arc<HttpCredentials>>,
    pub(crate) client: Option<Client>,
}

impl RoleSession {
    /// A visitor acting as this role with a new cookie jar holding its session, so a scenario
    /// can log out without ending the session for the others.
    pub(crate) fn visitor(&self, base_url: &Url) -> Visitor {
        let jar = Jar::default();
        for (name, value) in &self.cookies {
            jar.add_cookie_str(&format!("{name}={value}; Path=/"), base_url);
        }
        Visitor {
            jar: Arc::new(jar),
            credentials: self.credentials.clone(),
            client: self.client.clone(),
        }
    }
}

/// Session cookies are credentials: their values never show.
impl fmt::Debug for RoleSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.cookies.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("RoleSession")
            .field("role", &self.role)
            .field("cookies", &names)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

type Login = Arc<OnceCell<Result<Arc<RoleSession>, StepFailure>>>;

/// The login service: how roles log in, their passwords (read before the first scenario) and
/// the run's one session per role.
pub struct Sessions {
    http: Client,
    /// The connection pools of roles with their own client certificate, or why one could not
    /// be built (which fails only that role's scenarios).
    role_clients: BTreeMap<String, Result<Client, StepFailure>>,
    login: Option<LoginSettings>,
    roles: BTreeMap<String, RoleSettings>,
    base_url: Url,
    logins: Mutex<HashMap<String, Login>>,
    passwords: Mutex<HashMap<String, Result<SecretString, StepFailure>>>,
    /// The one-time code makers of roles with a `totp_secret_*`, read with the passwords.
    second_factors: Mutex<HashMap<String, Result<CodeMaker, StepFailure>>>,
    /// The browsers single sign-on logs in with.
    sign_on: SignOnService,
}

impl fmt::Debug for Sessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sessions")
            .field("roles", &self.roles.keys().collect::<Vec<_>>())
            .field("logged_in", &lock(&self.logins).keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Sessions {
    pub fn new(
        http: Client,
        role_clients: BTreeMap<String, Result<Client, StepFailure>>,
        login: Option<LoginSettings>,
        roles: BTreeMap<String, RoleSettings>,
        base_url: Url,
    ) -> Self {
        Self {
            http,
            role_clients,
            login,
            roles,
            base_url,
            logins: Mutex::default(),
            passwords: Mutex::default(),
            second_factors: Mutex::default(),
            sign_on: SignOnService::new(),
        }
    }

    /// Makes `browsers` the way roles of `method = "sso"` log in.
    pub(crate) fn sign_on_with(&self, browsers: Arc<dyn SignOn>) {
        let _ = self.sign_on.set(browsers);
    }

    /// Reads the password of every role in `in_use` (the roles the selected scenarios name) once,
    /// before any scenario runs, so each is registered with the redactor before anything could
    /// print it; a role no selected scenario uses never has its password command run. A password
    /// that cannot be read fails only the scenarios that use its role. Every source answers by
    /// the one deadline.
    pub async fn read_passwords(&self, deadline: Deadline, in_use: &BTreeSet<String>) {
        let reads = self.roles.iter().filter(|(role, _)| in_use.contains(*role)).map(
            |(role, role_settings)| async move {
                (role.clone(), role_settings.read_password(role, deadline).await)
            },
        );
        let passwords = futures::future::join_all(reads).await;
        lock(&self.passwords).extend(passwords);
        let secrets = self
            .roles
            .iter()
            .filter(|(role, _)| in_use.contains(*role))
            .filter_map(|(role, role_settings)| {
                let factor = role_settings.second_factor.as_ref()?;
                Some(async move { (role.clone(), factor.read(role, deadline).await) })
            });
        let secrets = futures::future::join_all(secrets).await;
        lock(&self.second_factors).extend(secrets);
    }

    /// The role's one-time code maker, `None` for a role without a `totp_secret_*`.
    pub(crate) fn second_factor(&self, role: &str) -> Result<Option<CodeMaker>, StepFailure> {
        lock(&self.second_factors).get(role).cloned().transpose()
    }

    /// The environment variables no command or plugin a step starts inherits: see
    /// [`password_variables`].
    pub(crate) fn password_variables(&self) -> Vec<String> {
        password_variables(&self.roles)
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

    /// How `role` logs in, if it is a configured role.
    pub(crate) fn method_of(&self, role: &str) -> Option<&LoginMethod> {
        self.roles.get(role).map(|settings| &settings.method)
    }

    /// The role's settings, or why there is no such role.
    fn role(&self, role: &str) -> Result<&RoleSettings, StepFailure> {
        self.roles.get(role).ok_or_else(|| {
            let known: Vec<&str> = self.roles.keys().map(String::as_str).collect();
            StepFailure::configuration(format!("there is no role `{role}` in shakedown.toml"))
                .with("known roles", format!("anonymous, {}", known.join(", ")))
        })
    }

    /// The role's settings and the login form, or why the role cannot log in.
    pub(crate) fn login_of(&self, role: &str) -> Result<(&RoleSettings, &LoginSettings), StepFailure> {
        let role_settings = self.role(role)?;
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

    /// How the login page is recognised, when a role logs in through it (its form, or single
    /// sign-on that starts there): a site whose roles all log in by HTTP authentication has no
    /// login page to recognise.
    pub(crate) fn login_settings(&self) -> Option<&LoginSettings> {
        self.login.as_ref().filter(|login| login.page_used)
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
        let role_settings = self.role(role)?;
        let client = match self.role_clients.get(role) {
            Some(built) => Some(built.clone()?),
            None => None,
        };
        let password = self.password(role)?;
        let origins = match &self.login {
            Some(login) => login.credential_origins(&self.base_url),
            None => vec![self.base_url.origin()],
        };
        let username = role_settings.username.as_str();
        let credentials = match &role_settings.method {
            LoginMethod::Form | LoginMethod::Sso => None,
            LoginMethod::Basic => Some(HttpCredentials::basic(username, &password, origins)?),
            LoginMethod::Digest => Some(HttpCredentials::digest(username, password.clone(), origins)),
            LoginMethod::Header { name, scheme } => Some(HttpCredentials::header(
                name,
                scheme.as_deref(),
                &password,
                origins,
            )?),
        };
        let visitor = Visitor {
            jar: Arc::default(),
            credentials: credentials.map(Arc::new),
            client,
        };
        let who = || -> Result<Credentials<'_>, StepFailure> {
            Ok(Credentials {
                role,
                username,
                password: password.expose_secret(),
                second_factor: self.second_factor(role)?,
            })
        };
        match &role_settings.method {
            LoginMethod::Form => {
                let (_, login) = self.login_of(role)?;
                log_in(&self.http, &visitor, &self.base_url, login, who()?, deadline).await?;
            }
            LoginMethod::Sso => {
                let (_, login) = self.login_of(role)?;
                let request = SignOnRequest {
                    base_url: &self.base_url,
                    login,
                    who: who()?,
                    deadline,
                };
                for (name, value) in sign_on(&self.sign_on, request).await? {
                    visitor
                        .jar
                        .add_cookie_str(&format!("{name}={value}; Path=/"), &self.base_url);
                }
            }
            LoginMethod::Basic | LoginMethod::Digest | LoginMethod::Header { .. } => {
                // The login page, when the file names one, is where a refused password shows.
                let page = self.login.as_ref().map_or("/", |login| login.path.as_str());
                check_accepted(&self.http, &visitor, &self.base_url, page, role, deadline).await?;
            }
        }
        let jar = &visitor.jar;
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
            credentials: visitor.credentials,
            client: visitor.client,
        }))
    }
}
/// The environment variables that hold role passwords (`password_env`), every role's, and
/// `[secrets]` values: no command or plugin shakedown starts inherits them.
pub fn password_variables(roles: &BTreeMap<String, RoleSettings>) -> Vec<String> {
    roles
        .values()
        .flat_map(|role| {
            std::iter::once(&role.password).chain(role.second_factor.as_ref().map(|factor| &factor.secret))
        })
        .filter_map(|source| match source {
            PasswordSource::Env(name) => Some(name.clone()),
            PasswordSource::File(_) | PasswordSource::Command(_) => None,
        })
        .chain(secret_variables())
        .collect()
}
