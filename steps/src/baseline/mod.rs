//! The server baseline: what a host runs, listens on and schedules, recorded before a
//! deployment and compared after it, so a service nobody wrote a check for still cannot go
//! missing unnoticed.

mod compare;
mod facts;
mod ignore;
mod model;
mod nagios;
mod settings;
mod steps;

pub use compare::{Changes, compare};
pub use facts::gather;
pub use ignore::{IgnoreKind, Ignored};
pub use model::{Apache, Baseline, HostFacts, Services, VERSION};
pub use nagios::NagiosChecks;
pub use settings::BaselineSettings;
pub use steps::BASELINE_PHRASE;
