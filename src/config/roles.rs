//! `[roles.NAME]`: who the site's users are, how each one logs in (`method`, else
//! `login.method`) and where each one's password or header value is kept (never in the file
//! itself), with the TLS client certificate it presents, if any.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use shakedown_steps::session::{
    ANONYMOUS, LoginMethod, PasswordSource, RoleSettings, SecondFactor, TotpAlgorithm,
};
use toml::Spanned;

use super::methods::{Method, WrittenCertificate, client_certificate, parse_method, sso_without_origins};
use super::source::Source;
use crate::error::Error;

/// A role: its user name (none for a header role), how it logs in, and exactly one place its
/// password (or its header's value) is kept.
#[derive(Deserialize)]
pub(super) struct RawRole {
    username: Option<String>,
    method: Option<Spanned<String>>,
    password_env: Option<String>,
    password_file: Option<String>,
    password_command: Option<String>,
    /// `method = "header"`: the header's name, its value's source, and a scheme before it.
    header: Option<Spanned<String>>,
    value_env: Option<Spanned<String>>,
    value_file: Option<Spanned<String>>,
    value_command: Option<Spanned<String>>,
    scheme: Option<Spanned<String>>,
    tls_client_cert: Option<Spanned<String>>,
    tls_client_key: Option<Spanned<String>>,
    tls_client_key_password_env: Option<Spanned<String>>,
    /// A second factor: where its base32 secret is kept, and how codes are made from it.
    totp_secret_env: Option<Spanned<String>>,
    totp_secret_file: Option<Spanned<String>>,
    totp_secret_command: Option<Spanned<String>>,
    totp_digits: Option<Spanned<i64>>,
    totp_period: Option<Spanned<i64>>,
    totp_algorithm: Option<Spanned<String>>,
}

impl RawRole {
    /// `site_method` is `login.method`, which a role without its own `method` takes;
    /// `provider_named`, whether `login.allowed_origins` names an identity provider's origin,
    /// which a role of its own `method = "sso"` needs.
    pub fn resolve_all(
        roles: BTreeMap<String, Spanned<Self>>,
        site_method: Method,
        provider_named: bool,
        source: &Source<'_>,
    ) -> Result<BTreeMap<String, RoleSettings>, Error> {
        roles
            .into_iter()
            .map(|(name, role)| {
                let span = role.span();
                let settings = role
                    .into_inner()
                    .resolve(&name, site_method, provider_named, source, span)?;
                Ok((name, settings))
            })
            .collect()
    }

    fn resolve(
        self,
        name: &str,
        site_method: Method,
        provider_named: bool,
        source: &Source<'_>,
        span: Range<usize>,
    ) -> Result<RoleSettings, Error> {
        if name == ANONYMOUS {
            return Err(source.error_at(
                span,
                "`roles.anonymous`: `anonymous` is built in (a visitor with no login)".into(),
                None,
            ));
        }
        let table = format!("roles.{name}");
        let method = match &self.method {
            Some(written) => {
                let key = format!("{table}.method");
                let method = parse_method(written, &key, source)?;
                if method == Method::Sso && !provider_named {
                    return Err(sso_without_origins(written, &key, source));
                }
                method
            }
            None => site_method,
        };
        let client_certificate = client_certificate(
            WrittenCertificate {
                cert: self.tls_client_cert.as_ref(),
                key: self.tls_client_key.as_ref(),
                key_password_env: self.tls_client_key_password_env.as_ref(),
            },
            &table,
            source,
        )?;
        let second_factor = self.second_factor(&table, source)?;
        let (username, password, method) = if method == Method::Header {
            self.header_login(&table, source, span)?
        } else {
            self.password_login(method, &table, source, span)?
        };
        Ok(RoleSettings {
            username,
            password,
            method,
            client_certificate,
            second_factor,
        })
    }

    /// `totp_secret_env`, `_file` or `_command` (at most one) and the code's settings, which
    /// without a secret have nothing to apply to.
    fn second_factor(&self, table: &str, source: &Source<'_>) -> Result<Option<SecondFactor>, Error> {
        let written: Vec<(&Spanned<String>, PasswordSource)> = [
            self.totp_secret_env
                .as_ref()
                .map(|name| (name, PasswordSource::Env(name.get_ref().clone()))),
            self.totp_secret_file
                .as_ref()
                .map(|file| (file, PasswordSource::File(source.relative(file.get_ref())))),
            self.totp_secret_command
                .as_ref()
                .map(|command| (command, PasswordSource::Command(command.get_ref().clone()))),
        ]
        .into_iter()
        .flatten()
        .collect();
        let secret = match <[_; 1]>::try_from(written) {
            Ok([(_, secret)]) => secret,
            Err(written) if written.is_empty() => {
                let settings = [
                    self.totp_digits.as_ref().map(Spanned::span),
                    self.totp_period.as_ref().map(Spanned::span),
                    self.totp_algorithm.as_ref().map(Spanned::span),
                ];
                return match settings.into_iter().flatten().next() {
                    Some(span) => Err(source.error_at(
                        span,
                        format!("`{table}`: `totp_digits`, `totp_period` and `totp_algorithm` need a `totp_secret_env`, `totp_secret_file` or `totp_secret_command`"),
                        None,
                    )),
                    None => Ok(None),
                };
            }
            Err(written) => {
                return Err(source.error_at(
                    written[1].0.span(),
                    format!("`{table}` needs at most one of `totp_secret_env`, `totp_secret_file`, `totp_secret_command` ({} given)", written.len()),
                    None,
                ));
            }
        };
        let algorithm = match &self.totp_algorithm {
            None => TotpAlgorithm::default(),
            Some(written) => TotpAlgorithm::parse(written.get_ref()).ok_or_else(|| {
                source.error_at(
                    written.span(),
                    format!(
                        "`{table}.totp_algorithm`: unknown algorithm `{}` (known: {})",
                        written.get_ref(),
                        TotpAlgorithm::KNOWN.join(", ")
                    ),
                    None,
                )
            })?,
        };
        let digits = match &self.totp_digits {
            None => 6,
            Some(written) => usize::try_from(*written.get_ref())
                .ok()
                .filter(|digits| SecondFactor::DIGITS.contains(digits))
                .ok_or_else(|| {
                    source.error_at(
                        written.span(),
                        format!(
                            "`{table}.totp_digits`: {} digits; one-time codes have 6, 7 or 8",
                            written.get_ref()
                        ),
                        None,
                    )
                })?,
        };
        let period = match &self.totp_period {
            None => 30,
            Some(written) => u64::try_from(*written.get_ref())
                .ok()
                .filter(|seconds| (1..=3600).contains(seconds))
                .ok_or_else(|| {
                    source.error_at(
                        written.span(),
                        format!(
                            "`{table}.totp_period`: {} seconds; write the seconds each code lasts, e.g. 30",
                            written.get_ref()
                        ),
                        None,
                    )
                })?,
        };
        Ok(Some(SecondFactor {
            secret,
            algorithm,
            digits,
            period,
        }))
    }

    /// A role with a user name and a password: a form, HTTP Basic or HTTP Digest, single sign-on.
    fn password_login(
        self,
        method: Method,
        table: &str,
        source: &Source<'_>,
        span: Range<usize>,
    ) -> Result<(String, PasswordSource, LoginMethod), Error> {
        let header_keys = [
            &self.header,
            &self.value_env,
            &self.value_file,
            &self.value_command,
            &self.scheme,
        ];
        if let Some(stray) = header_keys.into_iter().flatten().next() {
            return Err(source.error_at(
                stray.span(),
                format!("`{table}`: `header`, `value_env`, `value_file`, `value_command` and `scheme` are for `method = \"header\"`"),
                Some(format!("this role logs in with `method = \"{}\"`", keyword(method))),
            ));
        }
        let username = self.username.ok_or_else(|| {
            source.error_at(
                span.clone(),
                format!("`{table}` needs `username`, the user it logs in as"),
                None,
            )
        })?;
        let sources = [
            self.password_env.map(PasswordSource::Env),
            self.password_file
                .map(|file| PasswordSource::File(source.relative(&file))),
            self.password_command.map(PasswordSource::Command),
        ];
        let password = exactly_one(
            sources,
            table,
            "`password_env`, `password_file`, `password_command`",
            "passwords never go in shakedown.toml itself",
            source,
            span,
        )?;
        let method = match method {
            Method::Basic => LoginMethod::Basic,
            Method::Digest => LoginMethod::Digest,
            Method::Sso => LoginMethod::Sso,
            Method::Form | Method::Header => LoginMethod::Form,
        };
        Ok((username, password, method))
    }

    /// A role that sends a fixed header: its name, an optional scheme and where its value is kept.
    fn header_login(
        self,
        table: &str,
        source: &Source<'_>,
        span: Range<usize>,
    ) -> Result<(String, PasswordSource, LoginMethod), Error> {
        if self.password_env.is_some() || self.password_file.is_some() || self.password_command.is_some() {
            return Err(source.error_at(
                span,
                format!("`{table}` sends a header: its value is kept in `value_env`, `value_file` or `value_command`, not `password_*`"),
                None,
            ));
        }
        let header = self.header.ok_or_else(|| {
            source.error_at(
                span.clone(),
                format!("`{table}` logs in with `method = \"header\"` and needs `header`, the header's name"),
                Some("e.g. `header = \"Authorization\"` with `scheme = \"Bearer\"`".into()),
            )
        })?;
        let is_token =
            |text: &str| !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_graphic() && byte != b':');
        if !is_token(header.get_ref()) {
            return Err(source.error_at(
                header.span(),
                format!(
                    "`{table}.header`: `{}` is not an HTTP header name",
                    header.get_ref()
                ),
                None,
            ));
        }
        if let Some(scheme) = self.scheme.as_ref().filter(|scheme| !is_token(scheme.get_ref())) {
            return Err(source.error_at(
                scheme.span(),
                format!(
                    "`{table}.scheme`: `{}` is not an authentication scheme",
                    scheme.get_ref()
                ),
                Some("e.g. `scheme = \"Bearer\"`".into()),
            ));
        }
        let sources = [
            self.value_env.map(|name| PasswordSource::Env(name.into_inner())),
            self.value_file
                .map(|file| PasswordSource::File(source.relative(file.get_ref()))),
            self.value_command
                .map(|command| PasswordSource::Command(command.into_inner())),
        ];
        let value = exactly_one(
            sources,
            table,
            "`value_env`, `value_file`, `value_command`",
            "tokens never go in shakedown.toml itself",
            source,
            span,
        )?;
        let method = LoginMethod::Header {
            name: header.into_inner(),
            scheme: self.scheme.map(Spanned::into_inner),
        };
        Ok((self.username.unwrap_or_default(), value, method))
    }
}

/// The one source written of `sources`, or an error naming the keys it may be given in.
fn exactly_one(
    sources: [Option<PasswordSource>; 3],
    table: &str,
    keys: &str,
    hint: &str,
    source: &Source<'_>,
    span: Range<usize>,
) -> Result<PasswordSource, Error> {
    let given: Vec<PasswordSource> = sources.into_iter().flatten().collect();
    <[PasswordSource; 1]>::try_from(given)
        .map(|[one]| one)
        .map_err(|given| {
            source.error_at(
                span,
                format!("`{table}` needs exactly one of {keys} ({} given)", given.len()),
                Some(hint.into()),
            )
        })
}

fn keyword(method: Method) -> &'static str {
    match method {
        Method::Form => "form",
        Method::Basic => "basic",
        Method::Digest => "digest",
        Method::Header => "header",
        Method::Sso => "sso",
    }
}
