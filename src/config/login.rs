//! `[login]`: how roles log in (`method`: the site's HTML form, HTTP Basic or Digest, a fixed
//! header, single sign-on), the login page, which other origins (a single sign-on host) may
//! receive their credentials, and `[login.sso]`, the identity provider's form. The section exists only when the file writes it; without it, only the anonymous
//! visitor and roles with a `method` of their own other than "form" can be used.

use serde::Deserialize;
use shakedown_steps::session::{LoginSettings, SsoForm};
use toml::Spanned;
use url::Url;

use super::methods::{Method, parse_method, sso_without_origins};
use super::source::Source;
use crate::error::Error;

#[derive(Deserialize)]
pub(super) struct RawLogin {
    method: Spanned<String>,
    path: Option<String>,
    username_field: String,
    password_field: String,
    success_contains: Option<String>,
    allowed_origins: Vec<Spanned<String>>,
    totp_field: Option<String>,
    sso: RawSso,
}

/// `[login.sso]`: CSS selectors of the identity provider's login form.
#[derive(Deserialize)]
pub(super) struct RawSso {
    username_field: String,
    password_field: String,
    submit: String,
}

impl RawLogin {
    /// `login.method`: how a role without a `method` of its own logs in. Single sign-on needs
    /// the identity provider's origin in `allowed_origins`.
    pub fn method(&self, source: &Source<'_>) -> Result<Method, Error> {
        let method = parse_method(&self.method, "login.method", source)?;
        if method == Method::Sso && !self.provider_named() {
            return Err(sso_without_origins(&self.method, "login.method", source));
        }
        Ok(method)
    }

    /// Whether `allowed_origins` names any origin, as an identity provider's must be.
    pub fn provider_named(&self) -> bool {
        !self.allowed_origins.is_empty()
    }

    /// `written` says whether the file has a `[login]` section at all; `page_used`, whether any
    /// role logs in through the login page (its form, or single sign-on that starts there),
    /// which then needs the login page's `path`. For the other
    /// methods `path` is optional: the page where a refused password shows, the site's root
    /// when not given.
    pub fn resolve(
        raw: Spanned<Self>,
        written: bool,
        page_used: bool,
        source: &Source<'_>,
    ) -> Result<Option<LoginSettings>, Error> {
        if !written {
            return Ok(None);
        }
        let span = raw.span();
        let login = raw.into_inner();
        let page_used = page_used || matches!(login.method(source)?, Method::Form | Method::Sso);
        let path = match login.path {
            Some(path) => path,
            None if !page_used => "/".to_owned(),
            None => {
                return Err(source.error_at(
                    span,
                    "`[login]` needs `path`, the path of the login page".into(),
                    Some("e.g. `path = \"/accounts/login/\"`".into()),
                ));
            }
        };
        let allowed_origins = login
            .allowed_origins
            .iter()
            .map(|written| {
                Url::parse(written.get_ref())
                    .ok()
                    .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
                    .map(|url| url.origin())
                    .ok_or_else(|| {
                        source.error_at(
                            written.span(),
                            format!(
                                "`login.allowed_origins`: `{}` is not an http(s) origin",
                                written.get_ref()
                            ),
                            Some("write origins like \"https://sso.example.com\"".into()),
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Some(LoginSettings {
            page_used,
            path,
            username_field: login.username_field,
            password_field: login.password_field,
            success_contains: login.success_contains,
            allowed_origins,
            totp_field: login.totp_field,
            sso: SsoForm {
                username_field: login.sso.username_field,
                password_field: login.sso.password_field,
                submit: login.sso.submit,
            },
        }))
    }
}
