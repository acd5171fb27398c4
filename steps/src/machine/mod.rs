//! The machine a step looks at: this one or a server over SSH, behind one [`Host`] seam whose
//! every call ends by the step's deadline, and the child processes it starts. It knows no step
//! domain: probes, sessions, WSGI and the baseline build on it, never the other way round.

pub mod children;
mod host;
mod local;
mod process;
mod ssh;

pub use host::{Connection, FileFacts, FileStart, Finished, Host, Invocation, MAX_OUTPUT_BYTES, RunError};
pub use local::LocalHost;
pub use process::Process;
pub use ssh::{DestinationError, SshDestination, SshHost, SshSettings};
