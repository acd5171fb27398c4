//! Integration tests: the real `shakedown` binary against the real demo site, one test binary.

mod bad_input;
mod browser;
mod catalogue;
mod check;
mod content;
mod demo;
mod junit;
mod partition;
mod probes;
mod roles;
mod run;
mod signals;
mod support;
