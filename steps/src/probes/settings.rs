//! The `[probes]` and `[deploy]` settings of `shakedown.toml`, and `--deployed-at`, as the steps
//! receive them.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use globset::GlobSet;

/// Where plugins live, how late a cron job may be, which extra CA a TLS probe trusts, and which
/// commands a read-only environment allows.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    /// Searched for a Nagios plugin before the `PATH`.
    pub nagios_plugin_dir: PathBuf,
    /// Nagios' resource.cfg, read when a Nagios check uses one of its `$USERn$` macros.
    pub nagios_resource: Option<PathBuf>,
    /// How long after its due time a cron job may leave its evidence.
    pub cron_grace: Duration,
    /// A PEM file of certificates trusted by TLS probes besides the system's (a private CA).
    pub tls_ca_file: Option<PathBuf>,
    /// Command lines `the command` steps may run on a read-only environment (glob patterns,
    /// `probes.allowed_commands_on_read_only`); any other is refused there. Nagios plugins are
    /// checks and always run.
    pub allowed_commands_on_read_only: GlobSet,
    /// The most of a file the file steps read, in bytes (`probes.max_file_bytes`).
    pub max_file_bytes: u64,
    /// When the deployment started (`--deployed-at`), over `deploy_marker`.
    pub deployed_at: Option<SystemTime>,
    /// `[deploy] marker`: a file or link each deployment replaces, read on each host.
    pub deploy_marker: Option<PathBuf>,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        Self {
            nagios_plugin_dir: PathBuf::from("/usr/lib/nagios/plugins"),
            nagios_resource: None,
            cron_grace: Duration::from_secs(2 * 60),
            tls_ca_file: None,
            allowed_commands_on_read_only: GlobSet::empty(),
            max_file_bytes: 10 * 1024 * 1024,
            deployed_at: None,
            deploy_marker: None,
        }
    }
}
