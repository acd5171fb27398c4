//! The `[baseline]` settings of `shakedown.toml`, as the baseline receives them.

use std::path::PathBuf;
use std::time::Duration;

use super::ignore::Ignored;

/// What the baseline leaves out and where it looks.
#[derive(Debug, Clone)]
pub struct BaselineSettings {
    /// Known, intended changes: never a regression, never reported as new.
    pub ignore: Vec<Ignored>,
    /// A process counts as a daemon only once it has run this long, so the commands of the
    /// moment (a deployment's shells, the probe's own) are not recorded.
    pub process_min_age: Duration,
    /// Crontab files, and folders whose every file is a crontab.
    pub crontabs: Vec<PathBuf>,
    /// Whether the SSH user's own crontab (`crontab -l`) is recorded too.
    pub user_crontab: bool,
    /// Apache's configuration folder, holding `sites-enabled` and `mods-enabled`.
    pub apache_dir: PathBuf,
    /// The feature `shakedown init --from-nrpe` wrote, whose checks' states are recorded.
    pub monitoring_feature: PathBuf,
}

impl Default for BaselineSettings {
    fn default() -> Self {
        Self {
            ignore: Vec::new(),
            process_min_age: Duration::from_secs(60),
            crontabs: vec![PathBuf::from("/etc/crontab"), PathBuf::from("/etc/cron.d")],
            user_crontab: true,
            apache_dir: PathBuf::from("/etc/apache2"),
            monitoring_feature: PathBuf::from("features/monitoring.feature"),
        }
    }
}
