//! The server baseline: what a host runs, listens on and schedules, and who could see what on
//! the site, recorded before a deployment and compared after it, so a service nobody wrote a
//! check for still cannot go missing, nor a page open to a new role, unnoticed.

mod access;
mod compare;
mod facts;
mod ignore;
mod model;
mod nagios;
mod settings;
mod steps;

pub use access::{AccessFacts, Untold, record_access};
pub use compare::{Changes, compare, compare_access};
pub use facts::gather;
pub use ignore::{IgnoreKind, Ignored};
pub use model::{Apache, Baseline, HostFacts, Services, VERSION};
pub use nagios::NagiosChecks;
pub use settings::BaselineSettings;
pub use steps::{ACCESS_PHRASE, BASELINE_PHRASE};
