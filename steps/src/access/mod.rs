//! Who may see what: the access matrix and its single-cell phrases, all judged by one rule.

mod matrix;
mod steps;
mod visits;

pub(crate) use matrix::{Access, Observation};
pub(crate) use steps::visits_of;
pub(crate) use visits::Visits;

/// The access matrix's phrase: its table's header names roles, which `check` looks up in the
/// configuration.
pub use steps::MATRIX_PHRASE;

/// Whether an access matrix cell says something the matrix knows: `allowed`, `denied` or
/// `login`, in any case.
pub fn is_matrix_cell(cell: &str) -> bool {
    matrix::Access::parse(cell).is_some()
}

/// Why an access matrix's table cannot be read, if it cannot: no table under the step, or a
/// first row that is not `| path | <role> ... |`. `check` finds it before a run would.
pub fn matrix_table_problem(table: Option<&cucumber::gherkin::Table>) -> Option<String> {
    let header = table.and_then(|table| table.rows.first());
    match header {
        None => Some(matrix::NO_TABLE.to_owned()),
        Some(header) => matrix::header_problem(header),
    }
}

/// The paths of an access matrix's table, its first column below the header: what
/// `baseline record` asks every role about.
pub fn matrix_paths(table: &cucumber::gherkin::Table) -> impl Iterator<Item = &str> {
    table
        .rows
        .iter()
        .skip(1)
        .filter_map(|row| row.first())
        .map(|path| path.trim())
        .filter(|path| !path.is_empty())
}
