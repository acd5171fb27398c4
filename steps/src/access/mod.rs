//! Who may see what: the access matrix and its single-cell phrases, all judged by one rule.

mod matrix;
mod steps;
