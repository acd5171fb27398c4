//! One file per subcommand: each reads its arguments, calls the layers below (plan, run,
//! report, audit) and is the only place that prints what the user asked for.

pub mod audit;
pub mod baseline;
pub mod check;
pub mod completions;
#[cfg(feature = "demo")]
pub mod demo;
pub mod init;
pub mod manpage;
pub mod run;
pub mod steps;
