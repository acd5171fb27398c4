//! `[login]`: how roles log in (`method`: the site's HTML form, HTTP Basic or Digest, a fixed
//! header), the login page, and which other origins (a single sign-on host) may receive their
//! credentials. The section exists only when the file writes it; without it, only the anonymous
//! visitor and roles with a `method` of their own other than "form" can be used.

use serde::Deserialize;
use shakedown_steps::session::LoginSettings;
use toml::Spanned;
use url::Url;

use super::methods::{Method, parse_method};
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
}

impl RawLogin {
    /// `login.method`: how a role without a `method` of its own logs in.
    pub fn method(&self, source: &Source<'_>) -> Result<Method, Error> {
        parse_method(&self.method, "login.method", source)
    }

    /// `written` says whether the file has a `[login]` section at all; `form_used`, whether any
    /// role logs in through the form, which then needs the login page's `path`. For the other
    /// methods `path` is optional: the page where a refused password shows, the site's root
    /// when not given.
    pub fn resolve(
        raw: Spanned<Self>,
        written: bool,
        form_used: bool,
        source: &Source<'_>,
    ) -> Result<Option<LoginSettings>, Error> {
        if !written {
            return Ok(None);
        }
        let span = raw.span();
        let login = raw.into_inner();
        let form_used = form_used || login.method(source)? == Method::Form;
        let path = match login.path {
            Some(path) => path,
            None if !form_used => "/".to_owned(),
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
            form_used,
            path,
            username_field: login.username_field,
            password_field: login.password_field,
            success_contains: login.success_contains,
            allowed_origins,
            totp_field: login.totp_field,
        }))
    }
}
