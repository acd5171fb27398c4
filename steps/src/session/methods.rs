//! How a role logs in besides the site's HTML form: HTTP Basic or Digest authentication, a
//! fixed header (a bearer token, an API key), a TLS client certificate, and single sign-on
//! (`sso.rs`). The credentials go
//! with each of the role's requests; one request to the login page, once per run, tells a
//! refused password from a page the role may not see.

use std::fmt;
use std::path::PathBuf;

use url::Url;

use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::http::{Outgoing, Visitor, perform};
use crate::site;

/// `login.method`, or a role's own `method`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LoginMethod {
    /// The site's HTML login form (`[login] path`, its field names).
    #[default]
    Form,
    /// `Authorization: Basic …` on every request.
    Basic,
    /// `Authorization: Digest …`, answering the server's challenge.
    Digest,
    /// A fixed header on every request: `name: [scheme ]value`, the value read like a password.
    Header { name: String, scheme: Option<String> },
    /// Single sign-on: the site's login page sends the browser to an identity provider, whose
    /// form takes the password; the session cookies the site then sets are the role's.
    Sso,
}

impl LoginMethod {
    /// `form`, `basic`, `digest`, `header`, `sso`: as `login.method` spells it.
    pub fn keyword(&self) -> &'static str {
        match self {
            Self::Form => "form",
            Self::Basic => "basic",
            Self::Digest => "digest",
            Self::Header { .. } => "header",
            Self::Sso => "sso",
        }
    }
}

impl fmt::Display for LoginMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

/// `tls_client_cert` and `tls_client_key`: the PEM files of a TLS client certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    pub certificate: PathBuf,
    pub key: PathBuf,
}

impl ClientCertificate {
    /// The certificate and its key as reqwest presents them; on failure, why in words (the
    /// files' contents never show).
    pub fn identity(&self) -> Result<reqwest::Identity, String> {
        let read = |path: &PathBuf, what: &str| {
            crate::read_input::read_text_bounded(path, MAX_PEM_BYTES)
                .map_err(|error| format!("cannot read the client {what} `{}`: {error}", path.display()))
        };
        let certificate = read(&self.certificate, "certificate")?;
        let key = read(&self.key, "key")?;
        if key.contains("ENCRYPTED") {
            return Err(format!(
                "the client key `{}` is encrypted; shakedown reads only unencrypted PEM keys (decrypt it with `openssl pkey -in key.pem -out plain-key.pem` and keep that file readable only by the user who runs shakedown)",
                self.key.display()
            ));
        }
        if !certificate.contains("-----BEGIN CERTIFICATE-----") {
            return Err(format!(
                "`{}` holds no PEM certificate (`-----BEGIN CERTIFICATE-----`)",
                self.certificate.display()
            ));
        }
        reqwest::Identity::from_pem(format!("{certificate}\n{key}").as_bytes()).map_err(|_| {
            format!(
                "`{}` and `{}` are not a PEM certificate and its private key",
                self.certificate.display(),
                self.key.display()
            )
        })
    }
}

/// Far more than a certificate chain and its key, far less than a mistaken path could hold.
const MAX_PEM_BYTES: u64 = 1024 * 1024;

/// Tells whether the site accepts the role's HTTP credentials: one request to `path` (the
/// `[login] path`, or the site's root) as `visitor`. A 401 there is a refused login, named by
/// its scheme; anything else is taken as accepted, since a page that does not ask proves nothing
/// against the credentials.
pub(crate) async fn check_accepted(
    client: &reqwest::Client,
    visitor: &Visitor,
    base_url: &Url,
    path: &str,
    role: &str,
    deadline: Deadline,
) -> Result<(), StepFailure> {
    let Some(credentials) = visitor.credentials.as_deref() else {
        return Ok(());
    };
    let url = site::resolve(base_url, path)?;
    let answer = perform(client, visitor, Outgoing::get(url), deadline).await?;
    if answer.status != reqwest::StatusCode::UNAUTHORIZED {
        return Ok(());
    }
    Err(StepFailure::configuration(format!(
        "`{role}` was refused by {} at {}: {}",
        credentials.scheme(),
        answer.final_url().path(),
        answer.status.as_u16()
    ))
    .with("request", answer.describe())
    .with(
        "hint",
        format!("check the user name and the password (or value) source of `[roles.{role}]`"),
    ))
}
