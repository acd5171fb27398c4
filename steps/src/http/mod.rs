//! HTTP steps: requests made with the scenario's cookies, and checks on the last response.

pub(crate) mod checks;
mod credentials;
mod exchange;
mod steps;

/// Requests one step has in flight to a site at the same time (a crawl's pages and assets, the
/// access matrix's cells, the private paths asked for): quick through a few hundred, gentle on a
/// live site.
pub(crate) const REQUESTS_AT_ONCE: usize = 8;

pub(crate) use credentials::{HttpCredentials, challenged_schemes};
pub(crate) use exchange::{Exchange, HttpState, Outgoing, Visitor, perform, perform_reading};
pub use steps::{HEADER_CONTAINS_PHRASE, JSON_AT_PHRASE, REDIRECT_PHRASE, REQUEST_PHRASE, STATUS_PHRASE};
pub(crate) use steps::{checked_status, last as last_response, send_again};
