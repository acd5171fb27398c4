//! Probing a server over SSH: the destination and settings, the one multiplexed connection per
//! host, the small remote scripts every probe runs, and the host that ties them together.

mod destination;
mod master;
mod remote;
mod ssh_host;

pub use destination::{DestinationError, SshDestination, SshSettings};
pub use ssh_host::SshHost;
