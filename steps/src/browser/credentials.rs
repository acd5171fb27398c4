//! A role's HTTP credentials in the browser (HTTP Basic, Digest, a fixed header): handed to the
//! session's request guard, which adds them only to requests whose origin may receive them and
//! answers authentication challenges from those origins alone, never in a URL. Before the
//! session acts as anyone else the guard is told to send none.

use std::sync::Arc;

use super::identity::Identity;
use super::page::Page;
use crate::failure::StepFailure;
use crate::http::HttpCredentials;
use crate::session::{LoginMethod, Sessions};

/// The HTTP credentials `wanted` sends, if any: none for the anonymous visitor, a form role or
/// a single sign-on role.
pub(crate) async fn of(
    page: &Page,
    wanted: &Identity,
    sessions: &Sessions,
) -> Result<Option<Arc<HttpCredentials>>, StepFailure> {
    match wanted {
        Identity::Role(role) if sends_http_credentials(sessions, role) => {
            Ok(sessions.session(role, page.deadline()).await?.credentials.clone())
        }
        Identity::Role(_) | Identity::Anonymous | Identity::Unknown => Ok(None),
    }
}

/// Whether `role` logs in by HTTP authentication or a header: the session then needs a guard.
pub(crate) fn sends_http_credentials(sessions: &Sessions, role: &str) -> bool {
    sessions.method_of(role).is_some_and(|method| {
        matches!(
            method,
            LoginMethod::Basic | LoginMethod::Digest | LoginMethod::Header { .. }
        )
    })
}
