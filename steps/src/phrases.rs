//! The phrase texts code outside the step functions writes or reads (`init`'s features,
//! `baseline compare`'s scenario, `check`'s access matrix), each the constant its `#[phrase]`
//! declares with `text = NAME`, so a phrase is spelled once. Fill one in with
//! [`crate::catalogue::step_line`].

pub use crate::access::MATRIX_PHRASE;
pub use crate::baseline::BASELINE_PHRASE;
pub use crate::content::{CRAWL_CLEAN_PHRASE, PAGE_CLEAN_PHRASE};
pub use crate::http::{
    HEADER_CONTAINS_PHRASE, JSON_AT_PHRASE, REDIRECT_PHRASE, REQUEST_PHRASE, STATUS_PHRASE,
};
pub use crate::probes::NAGIOS_OK_PHRASE;
pub use crate::session::NOT_LOGGED_IN_PHRASE;
