//! The `[probes]` settings of `shakedown.toml`, as the steps receive them.

use std::path::PathBuf;
use std::time::Duration;

/// Where plugins live, how late a cron job may be, and which extra CA a TLS probe trusts.
#[derive(Debug, Clone)]
pub struct ProbeSettings {
    /// Searched for a Nagios plugin before the `PATH`.
    pub nagios_plugin_dir: PathBuf,
    /// How long after its due time a cron job may leave its evidence.
    pub cron_grace: Duration,
    /// A PEM file of certificates trusted by TLS probes besides the system's (a private CA).
    pub tls_ca_file: Option<PathBuf>,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        Self {
            nagios_plugin_dir: PathBuf::from("/usr/lib/nagios/plugins"),
            cron_grace: Duration::from_secs(2 * 60),
            tls_ca_file: None,
        }
    }
}
