//! TLS steps: how long a server's certificate stays valid, and whether it verifies at all.

mod certificate;
mod steps;
mod words;

pub(crate) use words::in_error_chain;
