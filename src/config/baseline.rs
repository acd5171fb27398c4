//! `[baseline]`: the intended changes the server baseline ignores, how old a process must be to
//! count as a daemon, and where crontabs, Apache's folders and the monitoring feature are.

use serde::Deserialize;
use shakedown_steps::baseline::{BaselineSettings, Ignored};
use toml::Spanned;

use super::source::Source;
use super::values::parse_span;
use crate::error::Error;

#[derive(Deserialize)]
pub(super) struct RawBaseline {
    ignore: Vec<Spanned<String>>,
    process_min_age: Spanned<String>,
    crontabs: Vec<String>,
    user_crontab: bool,
    apache_dir: String,
    monitoring_feature: String,
}

impl RawBaseline {
    pub fn resolve(self, source: &Source<'_>) -> Result<BaselineSettings, Error> {
        let ignore = self
            .ignore
            .iter()
            .map(|entry| {
                entry.get_ref().parse::<Ignored>().map_err(|problem| {
                    source.error_at(
                        entry.span(),
                        format!("`baseline.ignore`: {problem}"),
                        Some("write intended changes like \"service:old-worker\", \"port:8082\" or \"cron:heartbeat\"".into()),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        let process_min_age = parse_span(self.process_min_age.get_ref()).map_err(|problem| {
            source.error_at(
                self.process_min_age.span(),
                format!("`baseline.process_min_age`: {problem}"),
                Some("write durations like \"1m\", \"30s\" or \"2h\"".into()),
            )
        })?;
        Ok(BaselineSettings {
            ignore,
            process_min_age,
            crontabs: self.crontabs.iter().map(|path| source.relative(path)).collect(),
            user_crontab: self.user_crontab,
            apache_dir: source.relative(&self.apache_dir),
            monitoring_feature: source.relative(&self.monitoring_feature),
        })
    }
}
