//! HTTP steps: requests made with the scenario's cookies, and checks on the last response.

mod checks;
mod exchange;
mod steps;

pub(crate) use exchange::HttpState;
