//! Shared parts of the step library's own integration tests.

pub mod sshd;
