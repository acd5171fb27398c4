//! The access matrix as plain data: what a table of expectations says, how an answer is
//! classified (`allowed`, `denied`, `login`), and the expected-against-seen rendering a failure
//! prints.

use std::fmt;

use cucumber::gherkin::Table;

use crate::failure::{FailureKind, StepFailure};
use crate::http::Exchange;
use crate::session::{LoginSettings, is_login_page};

/// What a role should meet on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// A 2xx answer that is not the login page.
    Allowed,
    /// 401, 403 or 404.
    Denied,
    /// A redirect to, or the body of, the login page.
    Login,
}

impl Access {
    pub(crate) fn parse(cell: &str) -> Option<Self> {
        match cell.trim().to_ascii_lowercase().as_str() {
            "allowed" => Some(Self::Allowed),
            "denied" => Some(Self::Denied),
            "login" => Some(Self::Login),
            _ => None,
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
            Self::Login => "login",
        })
    }
}

/// What a role met on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seen {
    Access(Access),
    /// An answer that is none of the three, e.g. a 500: its status code.
    Other(u16),
    /// The request or the role's login failed, with the kind of the failure; the reason is in
    /// the observation's evidence.
    Failed(FailureKind),
}

impl Seen {
    /// Whether this says nothing about who may open the page: an error page, an answer none of
    /// the three words describe, or no answer at all.
    pub(crate) fn is_unknown(&self) -> bool {
        !matches!(self, Self::Access(_))
    }
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Access(access) => access.fmt(f),
            Self::Other(status) => status.fmt(f),
            Self::Failed(_) => f.write_str("error"),
        }
    }
}

/// Judges one answer by the matrix's rule.
pub(crate) fn classify(exchange: &Exchange, login: Option<&LoginSettings>) -> Seen {
    // An error page may carry the site's login box in its frame; it still shows nothing.
    if exchange.status.is_server_error() {
        return Seen::Other(exchange.status.as_u16());
    }
    if let Some(login) = login {
        let login_path = login.path.trim_end_matches('/');
        let at_login = |path: &str| path.trim_end_matches('/') == login_path;
        let redirected_to_login = exchange.redirects.iter().any(|hop| at_login(hop.to.path()));
        if redirected_to_login
            || at_login(exchange.final_url().path())
            || is_login_page(&exchange.body, login)
        {
            return Seen::Access(Access::Login);
        }
    }
    match exchange.status.as_u16() {
        200..=299 => Seen::Access(Access::Allowed),
        401 | 403 | 404 => Seen::Access(Access::Denied),
        other => Seen::Other(other),
    }
}

/// What a matrix step without a table is told.
pub(crate) const NO_TABLE: &str =
    "the access matrix needs a table under the step: `| path | anonymous | clerk |`";

/// Why a matrix's first row is not `| path | <role> ... |`, if it is not.
pub(crate) fn header_problem(header: &[String]) -> Option<String> {
    let readable = header
        .split_first()
        .is_some_and(|(first, roles)| first.trim().eq_ignore_ascii_case("path") && !roles.is_empty());
    (!readable).then(|| "the access matrix's first row must be `| path | <role> | <role> ... |`".to_owned())
}

/// The expectations of a table: first column `path`, one column per role.
#[derive(Debug)]
pub(crate) struct Expectations {
    pub roles: Vec<String>,
    pub rows: Vec<(String, Vec<Access>)>,
}

impl Expectations {
    pub fn parse(table: &Table) -> Result<Self, StepFailure> {
        let (header, rows) = table
            .rows
            .split_first()
            .ok_or_else(|| StepFailure::new("the access matrix is empty"))?;
        if let Some(problem) = header_problem(header) {
            return Err(StepFailure::new(problem).with("seen", format!("| {} |", header.join(" | "))));
        }
        let roles = &header[1..];
        let roles: Vec<String> = roles.iter().map(|role| role.trim().to_owned()).collect();
        let mut parsed = Vec::new();
        for row in rows {
            let (path, cells) = row
                .split_first()
                .map_or(("", &[][..]), |(path, cells)| (path.as_str(), cells));
            let cells = cells
                .iter()
                .zip(&roles)
                .map(|(cell, role)| {
                    Access::parse(cell).ok_or_else(|| {
                        StepFailure::new(format!(
                            "the access matrix cell for `{role}` on `{path}` says `{cell}`; write allowed, denied or login"
                        ))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            parsed.push((path.trim().to_owned(), cells));
        }
        Ok(Self { roles, rows: parsed })
    }

    /// Every (path, role, expected) cell, row by row.
    pub fn cells(&self) -> impl Iterator<Item = (&str, &str, Access)> {
        self.rows.iter().flat_map(move |(path, cells)| {
            cells
                .iter()
                .zip(&self.roles)
                .map(move |(access, role)| (path.as_str(), role.as_str(), *access))
        })
    }
}

/// What one cell's request found, for the failure report.
#[derive(Debug, Clone)]
pub(crate) struct Observation {
    pub seen: Seen,
    /// `200 OK at http://…/reports/`, or why the cell could not be checked.
    pub evidence: String,
}

/// Whether a cell's observation meets its expectation.
pub(crate) fn holds(expected: Access, seen: &Seen) -> bool {
    *seen == Seen::Access(expected)
}

/// The whole matrix, expected against seen, mismatches marked and explained below it.
pub(crate) fn render(expectations: &Expectations, observations: &[Observation]) -> String {
    let mut grid = vec![
        std::iter::once("path".to_owned())
            .chain(expectations.roles.iter().cloned())
            .collect::<Vec<_>>(),
    ];
    let mut explanations = Vec::new();
    let mut observed = observations.iter();
    for (path, cells) in &expectations.rows {
        let mut line = vec![path.clone()];
        for (expected, role) in cells.iter().zip(&expectations.roles) {
            let Some(observation) = observed.next() else { break };
            if holds(*expected, &observation.seen) {
                line.push(expected.to_string());
            } else {
                line.push(format!("✗ {} (want {expected})", observation.seen));
                explanations.push(format!(
                    "{role} on {path}: expected {expected}, saw {} ({})",
                    observation.seen, observation.evidence
                ));
            }
        }
        grid.push(line);
    }
    let widths: Vec<usize> = (0..grid[0].len())
        .map(|column| {
            grid.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::from("expected against seen:");
    for row in &grid {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell}{}", " ".repeat(width - cell.chars().count())))
            .collect();
        text.push_str(&format!("\n| {} |", cells.join(" | ")));
    }
    text.push_str("\nmismatches:");
    for explanation in explanations {
        text.push_str(&format!("\n  {explanation}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[&[&str]]) -> Table {
        Table {
            rows: rows
                .iter()
                .map(|row| row.iter().map(|cell| (*cell).to_owned()).collect())
                .collect(),
            span: Default::default(),
            position: Default::default(),
        }
    }

    #[test]
    fn a_table_reads_into_cells_row_by_row() {
        let expectations = Expectations::parse(&table(&[
            &["path", "anonymous", "viewer"],
            &["/", "allowed", "Allowed"],
            &["/reports/", "login", "denied"],
        ]))
        .expect("valid");
        let cells: Vec<_> = expectations.cells().collect();
        assert_eq!(cells[3], ("/reports/", "viewer", Access::Denied));
        assert!(Expectations::parse(&table(&[&["page", "viewer"], &["/", "allowed"]])).is_err());
        let bad = Expectations::parse(&table(&[&["path", "viewer"], &["/", "maybe"]])).expect_err("bad cell");
        assert!(bad.to_string().contains("`viewer` on `/` says `maybe`"), "{bad}");
    }

    #[test]
    fn the_rendering_marks_each_mismatch_and_explains_it() {
        let expectations = Expectations::parse(&table(&[
            &["path", "anonymous", "viewer"],
            &["/reports/", "login", "denied"],
        ]))
        .expect("valid");
        let observations = [
            Observation {
                seen: Seen::Access(Access::Login),
                evidence: "302 to login".into(),
            },
            Observation {
                seen: Seen::Access(Access::Allowed),
                evidence: "200 OK at http://site/reports/".into(),
            },
        ];
        let text = render(&expectations, &observations);
        assert!(
            text.contains("| /reports/ | login     | ✗ allowed (want denied) |"),
            "{text}"
        );
        assert!(
            text.contains(
                "viewer on /reports/: expected denied, saw allowed (200 OK at http://site/reports/)"
            ),
            "{text}"
        );
    }
}
