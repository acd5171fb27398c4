//! `[login]`: how a role logs in through the site's HTML form, and which other origins (a single
//! sign-on host) may receive its credentials. The section exists only when the
//! file writes it; without it, only the anonymous visitor can be used.

use serde::Deserialize;
use shakedown_steps::session::LoginSettings;
use toml::Spanned;
use url::Url;

use super::source::Source;
use crate::error::Error;

#[derive(Deserialize)]
pub(super) struct RawLogin {
    path: Option<String>,
    username_field: String,
    password_field: String,
    success_contains: Option<String>,
    allowed_origins: Vec<Spanned<String>>,
}

impl RawLogin {
    /// `written` says whether the file has a `[login]` section at all.
    pub fn resolve(
        raw: Spanned<Self>,
        written: bool,
        source: &Source<'_>,
    ) -> Result<Option<LoginSettings>, Error> {
        if !written {
            return Ok(None);
        }
        let span = raw.span();
        let login = raw.into_inner();
        let path = login.path.ok_or_else(|| {
            source.error_at(
                span,
                "`[login]` needs `path`, the path of the login page".into(),
                Some("e.g. `path = \"/accounts/login/\"`".into()),
            )
        })?;
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
            path,
            username_field: login.username_field,
            password_field: login.password_field,
            success_contains: login.success_contains,
            allowed_origins,
        }))
    }
}
