//! Who could see what: each role on each path of the features' access matrices and of the
//! pages a short crawl as each role reached, recorded before a deployment and asked again after
//! it, each answer judged by the access matrix's own rule.

use std::collections::{BTreeMap, BTreeSet};

use futures::StreamExt as _;
use url::Url;

use crate::access::{Observation, Visits};
use crate::content::{Answer, Crawler, Next, Page, Reader};
use crate::context::RunContext;
use crate::deadline::Deadline;
use crate::http::REQUESTS_AT_ONCE;

/// Pages one role's crawl reads at most: enough for the pages a role's menus lead to, few
/// enough that every role is asked about every page within the scenario's time.
const PAGES_PER_ROLE: usize = 25;

/// By path, each role's answer: `allowed`, `denied` or `login`, or what could not be told (a
/// status such as `500`, or `error`), which is never compared.
pub type AccessFacts = BTreeMap<String, BTreeMap<String, String>>;

/// One cell that could not be told, and why: a role that could not log in, an error page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untold {
    pub role: String,
    pub path: String,
    pub why: String,
}

/// Asks every role about every one of `paths` and of the pages each role's crawl reached, by
/// `deadline`, as the run sees the site. A page only one role's menus lead to is asked of
/// every role, so the role that gains it later is caught.
pub async fn record_access(
    run: &RunContext,
    roles: &[String],
    paths: &[String],
    deadline: Deadline,
) -> (AccessFacts, Vec<Untold>) {
    let visits = Visits::of_run(run);
    let mut every_path: BTreeSet<String> = paths.iter().cloned().collect();
    let crawls = roles
        .iter()
        .map(|role| reached_as(&visits, &run.crawler, role, deadline));
    for reached in futures::future::join_all(crawls).await {
        every_path.extend(reached);
    }
    let cells = every_path
        .iter()
        .flat_map(|path| roles.iter().map(move |role| (path.as_str(), role.as_str())));
    ask(&visits, cells, deadline).await
}

/// The site's paths (as the matrix writes them, relative to the base URL) of the pages a crawl
/// from the start page as `role` opened, at most [`PAGES_PER_ROLE`]; none when the role
/// cannot log in (its cells then say why).
async fn reached_as(
    visits: &Visits<'_>,
    crawler: &Crawler,
    role: &str,
    deadline: Deadline,
) -> BTreeSet<String> {
    let Ok(visitor) = visits.visitor_of(role, deadline).await else {
        return BTreeSet::new();
    };
    let base = visits.site().base_url.clone();
    let mut reached = Reached {
        base: base.clone(),
        paths: BTreeSet::new(),
        read: 0,
    };
    // Only where each page leads counts: no page is read against the forbidden-content rules.
    crawler
        .walk(&visitor, base, deadline, &mut reached, None, None)
        .await;
    reached.paths
}

/// The pages a role's crawl opened, each by its path under the base URL.
struct Reached {
    base: Url,
    paths: BTreeSet<String>,
    read: usize,
}

impl Reader for Reached {
    fn read(&mut self, page: Page) -> Next {
        self.read += 1;
        let base_path = self.base.path().trim_end_matches('/');
        if let Answer::Answered(answered) = &page.answer
            && answered.status().is_success()
            && let Some(path) = answered.landed.path().strip_prefix(base_path)
            && (path.is_empty() || path.starts_with('/'))
        {
            let query = answered.landed.query().map(|query| format!("?{query}"));
            let path = if path.is_empty() { "/" } else { path };
            self.paths.insert(format!("{path}{}", query.unwrap_or_default()));
        }
        match self.read < PAGES_PER_ROLE {
            true => Next::FollowLinks,
            false => Next::Stop,
        }
    }
}

/// Asks again every cell `recorded` holds.
pub(crate) async fn ask_again(
    visits: &Visits<'_>,
    recorded: &AccessFacts,
    deadline: Deadline,
) -> AccessFacts {
    let cells = recorded
        .iter()
        .flat_map(|(path, roles)| roles.keys().map(move |role| (path.as_str(), role.as_str())));
    ask(visits, cells, deadline).await.0
}

async fn ask<'c>(
    visits: &Visits<'_>,
    cells: impl Iterator<Item = (&'c str, &'c str)>,
    deadline: Deadline,
) -> (AccessFacts, Vec<Untold>) {
    let cells: Vec<(&str, &str)> = cells.collect();
    let observations: Vec<Observation> = futures::stream::iter(&cells)
        .map(|(path, role)| visits.observe(role, path, deadline))
        .buffered(REQUESTS_AT_ONCE)
        .collect()
        .await;
    let mut facts = AccessFacts::new();
    let mut untold = Vec::new();
    for ((path, role), Observation { seen, evidence }) in cells.into_iter().zip(observations) {
        if seen.is_unknown() {
            untold.push(Untold {
                role: role.to_owned(),
                path: path.to_owned(),
                why: evidence,
            });
        }
        facts
            .entry(path.to_owned())
            .or_default()
            .insert(role.to_owned(), seen.to_string());
    }
    (facts, untold)
}
