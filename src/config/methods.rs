//! The ways in a role may take (its site's HTML form, HTTP Basic or Digest, a fixed header,
//! single sign-on), as `login.method` and a role's `method` write them, and the TLS
//! client certificate an environment or a role presents (`tls_client_cert`, `tls_client_key`).

use shakedown_steps::session::ClientCertificate;
use toml::Spanned;

use super::source::Source;
use crate::error::Error;
use shakedown_steps::suggest::suggest;

/// A method as written, before a header role's own settings are added to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Method {
    Form,
    Basic,
    Digest,
    Header,
    /// Single sign-on: the site's login page sends the browser to an identity provider.
    Sso,
}

const KNOWN: [&str; 5] = ["form", "basic", "digest", "header", "sso"];

/// Reads a `method` value; `key` is where it is written (`login.method`, `roles.api.method`).
pub(super) fn parse_method(
    written: &Spanned<String>,
    key: &str,
    source: &Source<'_>,
) -> Result<Method, Error> {
    match written.get_ref().as_str() {
        "form" => Ok(Method::Form),
        "basic" => Ok(Method::Basic),
        "digest" => Ok(Method::Digest),
        "header" => Ok(Method::Header),
        "sso" => Ok(Method::Sso),
        other => Err(source.error_at(
            written.span(),
            format!("`{key}`: unknown method `{other}` (known: {})", KNOWN.join(", ")),
            suggest(other, KNOWN).map(|name| format!("did you mean `{name}`?")),
        )),
    }
}

/// An `sso` method written at `written` (`key`) where `login.allowed_origins` names no origin:
/// the identity provider is another origin, and the password may go to none the file does not
/// name.
pub(super) fn sso_without_origins(written: &Spanned<String>, key: &str, source: &Source<'_>) -> Error {
    source.error_at(
        written.span(),
        format!("`{key}` is \"sso\" and `login.allowed_origins` is empty: the identity provider's origin must be named there, as the only place the password may be typed into and sent to"),
        Some("e.g. `allowed_origins = [\"https://sso.example.com\"]` in `[login]`".into()),
    )
}

/// The three keys of a client certificate as written in one table.
pub(super) struct WrittenCertificate<'a> {
    pub cert: Option<&'a Spanned<String>>,
    pub key: Option<&'a Spanned<String>>,
    pub key_password_env: Option<&'a Spanned<String>>,
}

/// `tls_client_cert` and `tls_client_key` of the table `table`: both or neither,
/// their paths taken from the file's folder. An encrypted key is refused: rustls reads only
/// unencrypted PEM keys.
pub(super) fn client_certificate(
    written: WrittenCertificate<'_>,
    table: &str,
    source: &Source<'_>,
) -> Result<Option<ClientCertificate>, Error> {
    if let Some(password) = written.key_password_env {
        return Err(source.error_at(
            password.span(),
            format!("`{table}.tls_client_key_password_env`: encrypted client keys are not supported (rustls reads only unencrypted PEM keys)"),
            Some("decrypt the key once (`openssl pkey -in key.pem -out plain-key.pem`), keep that file readable only by the user who runs shakedown, and name it in `tls_client_key`".into()),
        ));
    }
    match (written.cert, written.key) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => Ok(Some(ClientCertificate {
            certificate: source.relative(cert.get_ref()),
            key: source.relative(key.get_ref()),
        })),
        (Some(cert), None) => Err(source.error_at(
            cert.span(),
            format!("`{table}.tls_client_cert` needs `tls_client_key`, the certificate's private key"),
            Some("both are PEM files, relative to shakedown.toml".into()),
        )),
        (None, Some(key)) => Err(source.error_at(
            key.span(),
            format!("`{table}.tls_client_key` needs `tls_client_cert`, the certificate it is the key of"),
            Some("both are PEM files, relative to shakedown.toml".into()),
        )),
    }
}
