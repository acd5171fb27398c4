//! Who may see what: the access matrix and its single-cell phrases, all judged by one rule.

mod matrix;
mod steps;

/// The access matrix's phrase (its `#[phrase]` in `steps.rs` spells it too): its table's header
/// names roles, which `check` looks up in the configuration.
pub const MATRIX_PHRASE: &str = "the access matrix should hold:";

/// Whether an access matrix cell says something the matrix knows: `allowed`, `denied` or
/// `login`, in any case.
pub fn is_matrix_cell(cell: &str) -> bool {
    matrix::Access::parse(cell).is_some()
}
