//! HTTP steps: requests made with the scenario's cookies, and checks on the last response.

pub(crate) mod checks;
mod exchange;
mod steps;

pub(crate) use exchange::{Exchange, HttpState, Outgoing, perform};
pub(crate) use steps::checked_status;
