//! Who could see what: each role on each path of the features' access matrices, recorded
//! before a deployment and asked again after it, each answer judged by the access matrix's own
//! rule.

use std::collections::BTreeMap;

use crate::access::{Observation, Visits};
use crate::context::RunContext;
use crate::deadline::Deadline;

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

/// Asks every role about every path at once, by `deadline`, as the run sees the site.
pub async fn record_access(
    run: &RunContext,
    roles: &[String],
    paths: &[String],
    deadline: Deadline,
) -> (AccessFacts, Vec<Untold>) {
    let cells = paths
        .iter()
        .flat_map(|path| roles.iter().map(move |role| (path.as_str(), role.as_str())));
    ask(&Visits::of_run(run), cells, deadline).await
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
    let observations = futures::future::join_all(
        cells
            .iter()
            .map(|(path, role)| visits.observe(role, path, deadline)),
    )
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
