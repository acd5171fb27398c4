//! Integration tests: the real `shakedown` binary against the real demo site, one test binary.

mod audit;
mod bad_input;
mod baseline;
mod bounds;
mod browser;
mod catalogue;
mod check;
mod content;
mod deadlines;
mod demo;
mod docs;
mod error_pages;
mod fleet;
mod hostile_browser;
mod init;
mod junit;
mod logins;
mod messages;
mod partition;
mod probes;
mod reports;
mod roles;
mod run;
mod safety;
mod secrets;
mod signals;
#[path = "../../steps/tests/support/sshd.rs"]
#[expect(dead_code, reason = "the step library's own SSH tests use the rest")]
mod sshd;
mod sso;
mod support;
mod wsgi;
