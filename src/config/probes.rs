//! `[probes]`: where Nagios plugins and resource.cfg live, how late a cron job may be, the extra CA TLS probes
//! trust, the commands a read-only environment allows and how much of a file the file steps read;
//! paths are taken from the configuration's folder.

use std::path::PathBuf;

use globset::{GlobBuilder, GlobSetBuilder};
use serde::Deserialize;
use shakedown_steps::ProbeSettings;
use toml::Spanned;

use super::source::Source;
use super::values::parse_duration;
use crate::error::Error;

#[derive(Deserialize)]
pub(super) struct RawProbes {
    nagios_plugin_dir: String,
    nagios_resource: Option<String>,
    cron_grace: Spanned<String>,
    tls_ca_file: Option<String>,
    allowed_commands_on_read_only: Spanned<Vec<Spanned<String>>>,
    max_file_bytes: u64,
}

/// `[deploy]`: where each host keeps the mark of its last deployment.
#[derive(Deserialize, Default)]
pub(super) struct RawDeploy {
    #[serde(default)]
    marker: Option<String>,
}

impl RawProbes {
    /// The probes' settings, with `[deploy]`'s marker as written: a path on each host.
    pub fn resolve(self, deploy: RawDeploy, source: &Source<'_>) -> Result<ProbeSettings, Error> {
        let cron_grace = parse_duration(self.cron_grace.get_ref()).map_err(|problem| {
            source.error_at(
                self.cron_grace.span(),
                format!("`probes.cron_grace`: {problem}"),
                Some("write durations like \"2m\", \"90s\" or \"1h\"".into()),
            )
        })?;
        let mut allowed = GlobSetBuilder::new();
        for pattern in self.allowed_commands_on_read_only.get_ref() {
            let glob = GlobBuilder::new(pattern.get_ref())
                .literal_separator(false)
                .build()
                .map_err(|error| {
                    source.error_at(
                        pattern.span(),
                        format!(
                            "`probes.allowed_commands_on_read_only`: `{}` is not a glob pattern: {}",
                            pattern.get_ref(),
                            error.kind()
                        ),
                        Some(
                            "write command lines with `*` for any text, e.g. \"systemctl is-active *\""
                                .into(),
                        ),
                    )
                })?;
            allowed.add(glob);
        }
        let allowed_commands_on_read_only = allowed.build().map_err(|error| {
            source.error_at(
                self.allowed_commands_on_read_only.span(),
                format!("`probes.allowed_commands_on_read_only`: {error}"),
                None,
            )
        })?;
        Ok(ProbeSettings {
            nagios_plugin_dir: absolute(source.relative(&self.nagios_plugin_dir)),
            nagios_resource: self.nagios_resource.map(|file| absolute(source.relative(&file))),
            cron_grace,
            tls_ca_file: self.tls_ca_file.map(|file| absolute(source.relative(&file))),
            allowed_commands_on_read_only,
            max_file_bytes: self.max_file_bytes,
            deployed_at: None,
            deploy_marker: deploy.marker.map(PathBuf::from),
        })
    }
}

/// Made absolute from the folder shakedown started in (where a relative `--config` is read
/// from): plugins run in the configuration's folder, where a relative search folder would be
/// looked up a second time.
fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}
