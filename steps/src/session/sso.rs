//! Single sign-on (`method = "sso"`): a role whose password only its identity provider takes
//! logs in through a browser, which follows the site's login page to the provider, fills the
//! provider's form and comes back. The session cookies the site then set are the role's, for
//! the HTTP steps, the access matrix, the crawl and the browser steps alike. This module only
//! asks for that login; the browser pool does it (`browser/sso.rs`).

use std::sync::{Arc, OnceLock};

use url::Url;

use super::login::{Credentials, LoginSettings};
use crate::deadline::Deadline;
use crate::failure::StepFailure;

/// One single sign-on: who, on which site, through which login page, by when.
pub(crate) struct SignOnRequest<'a> {
    pub base_url: &'a Url,
    pub login: &'a LoginSettings,
    pub who: Credentials<'a>,
    pub deadline: Deadline,
}

/// What logs a role in through its identity provider: the run's browsers.
#[async_trait::async_trait]
pub(crate) trait SignOn: Send + Sync {
    /// Logs the role in and answers the cookies the browser would send to the site afterwards.
    async fn sign_on(&self, request: SignOnRequest<'_>) -> Result<Vec<(String, String)>, StepFailure>;
}

/// The run's way to sign on, set once the browsers exist.
pub(crate) type SignOnService = OnceLock<Arc<dyn SignOn>>;

/// Logs the role in through `service`, or says why there is no browser to do it with.
pub(crate) async fn sign_on(
    service: &SignOnService,
    request: SignOnRequest<'_>,
) -> Result<Vec<(String, String)>, StepFailure> {
    let browsers = service.get().ok_or_else(|| {
        StepFailure::configuration(format!(
            "role `{}` logs in by single sign-on, which needs a browser, and this run has none",
            request.who.role
        ))
    })?;
    browsers.sign_on(request).await
}
