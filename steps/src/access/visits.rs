//! Requests as a role, judged by the matrix's rule: one way for the matrix, its single-cell
//! phrases and the baseline's record of who could see what.

use super::matrix::{Observation, Seen, classify};
use crate::context::RunContext;
use crate::deadline::Deadline;
use crate::failure::{FailureKind, StepFailure};
use crate::http::{Exchange, Outgoing, Visitor, perform};
use crate::session::{ANONYMOUS, Sessions};
use crate::site::Site;

/// What a request as a role goes out through: the run's pool, its sessions and the site.
pub(crate) struct Visits<'a> {
    http: &'a reqwest::Client,
    sessions: &'a Sessions,
    site: &'a Site,
}

impl<'a> Visits<'a> {
    /// Through this pool, these sessions, to this site (the scenario's: see
    /// `access::steps::visits_of`).
    pub(crate) fn new(http: &'a reqwest::Client, sessions: &'a Sessions, site: &'a Site) -> Self {
        Self { http, sessions, site }
    }

    /// As the run sees the environment's site, outside any scenario (`baseline record`).
    pub(crate) fn of_run(run: &'a RunContext) -> Self {
        Self::new(&run.http, &run.sessions, &run.site)
    }

    pub(crate) fn site(&self) -> &Site {
        self.site
    }

    /// One request to `path` as `role`, judged by the matrix's rule.
    pub(crate) async fn observe(&self, role: &str, path: &str, deadline: Deadline) -> Observation {
        match self.visit_as(role, path, deadline).await {
            Ok(exchange) => Observation {
                seen: classify(&exchange, self.sessions.login_settings()),
                evidence: format!("{} at {}", exchange.status, exchange.final_url()),
            },
            Err(failure) => Observation {
                seen: Seen::Failed(failure.kind()),
                evidence: failure.summary().to_owned(),
            },
        }
    }

    /// Requests `path` with the role's session and credentials; `anonymous` sends none.
    pub(crate) async fn visit_as(
        &self,
        role: &str,
        path: &str,
        deadline: Deadline,
    ) -> Result<Exchange, StepFailure> {
        let visitor = self.visitor_of(role, deadline).await?;
        let url = self.site.resolve(path)?;
        perform(self.http, &visitor, Outgoing::get(url), deadline).await
    }

    /// Who a request as `role` goes out as, logging the role in once per run. A login the site
    /// refused (a wrong password, a form that showed itself again) is a configuration failure:
    /// the role could not act, so nothing about the page is known.
    pub(crate) async fn visitor_of(&self, role: &str, deadline: Deadline) -> Result<Visitor, StepFailure> {
        if role == ANONYMOUS {
            return Ok(Visitor::default());
        }
        let session = self.sessions.session(role, deadline).await.map_err(|failure| {
            let kind = match failure.kind() {
                FailureKind::Assertion => FailureKind::Configuration,
                other => other,
            };
            failure
                .reworded(|why| format!("`{role}` could not log in ({why})"))
                .of_kind(kind)
        })?;
        Ok(session.visitor(&self.site.base_url))
    }
}
