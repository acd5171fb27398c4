//! The Nagios checks' states, from the monitoring feature `shakedown init --from-nrpe` (or
//! `--from-nagios`) wrote: a check that said OK before the deployment and does not now is a
//! regression, even where nobody runs that feature.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::LazyLock;

use cucumber::gherkin::Step;
use regex::Regex;

use crate::deadline::Deadline;
use crate::machine::Host;
use crate::probes::{NAGIOS_OK_PHRASE, PluginRunner, State};

/// The checks to run, and the probes' plugin runner that runs them as the Nagios step would.
#[derive(Debug, Clone, Default)]
pub struct NagiosChecks {
    pub commands: Vec<String>,
    pub runner: PluginRunner,
}

impl NagiosChecks {
    /// The checks of the feature at `feature` on this machine; none when it is not there.
    pub async fn from_feature(feature: &Path, runner: PluginRunner) -> Self {
        let text = tokio::fs::read_to_string(feature).await.unwrap_or_default();
        Self {
            commands: check_commands(&text),
            runner,
        }
    }
}

/// The checks of the feature's `the Nagios check {string} should be OK` steps, read by the
/// Gherkin reader a run reads features with: in backgrounds, scenarios and rules, never in comments.
/// A feature that does not parse has none.
fn check_commands(feature: &str) -> Vec<String> {
    static PHRASE: LazyLock<Regex> = LazyLock::new(|| {
        cucumber::codegen::Expression::regex(NAGIOS_OK_PHRASE).expect("a registered phrase compiles")
    });
    let Ok(crate::gherkin_reader::Read {
        feature: Some(feature),
        ..
    }) = crate::gherkin_reader::read(feature, Path::new("monitoring.feature"))
    else {
        return Vec::new();
    };
    let rules = feature.rules.iter();
    let steps: Vec<&Step> = feature
        .background
        .iter()
        .flat_map(|background| &background.steps)
        .chain(feature.scenarios.iter().flat_map(|scenario| &scenario.steps))
        .chain(rules.flat_map(|rule| {
            let background = rule.background.iter().flat_map(|background| &background.steps);
            background.chain(rule.scenarios.iter().flat_map(|scenario| &scenario.steps))
        }))
        .collect();
    steps
        .into_iter()
        .filter_map(|step| {
            Some(
                crate::argument::captured(&PHRASE, &step.value)?
                    .first()?
                    .to_string(),
            )
        })
        .collect()
}

/// Each check's state on `host` (`OK`, `CRITICAL`...); unknown when there are no checks. A
/// plugin that cannot be run is UNKNOWN, as Nagios would say.
pub(super) async fn states(
    host: &dyn Host,
    checks: &NagiosChecks,
    deadline: Deadline,
) -> Option<BTreeMap<String, String>> {
    if checks.commands.is_empty() {
        return None;
    }
    let runs = checks.commands.iter().map(|check| async move {
        let state = match checks.runner.run(host, check, deadline).await {
            Ok(run) => State::from_exit(run.finished.code),
            Err(_) => State::Unknown,
        };
        (check.clone(), state.to_string())
    });
    Some(futures::future::join_all(runs).await.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    use crate::machine::LocalHost;
    use crate::probes::ProbeSettings;

    #[test]
    fn the_checks_are_read_from_the_imported_feature() {
        let feature = "@post-install\nFeature: The checks\n\n  # from nrpe.cfg:3\n  Scenario: check_load\n    Then the Nagios check \"/usr/lib/nagios/plugins/check_load -w 5,4,3 -c 10,8,6\" should be OK\n  Scenario: odd\n    Then the Nagios check 'check_http -u \"/\"' should be OK\n  # Then the Nagios check \"check_disk\" should be OK\n";
        assert_eq!(
            check_commands(feature),
            [
                "/usr/lib/nagios/plugins/check_load -w 5,4,3 -c 10,8,6",
                "check_http -u \"/\""
            ]
        );
    }

    #[tokio::test]
    async fn each_check_is_run_and_its_state_kept() {
        let checks = NagiosChecks {
            commands: vec![
                "sh -c 'exit 0'".into(),
                "sh -c 'exit 2'".into(),
                "no-such-plugin".into(),
            ],
            runner: PluginRunner::new(
                &ProbeSettings {
                    nagios_plugin_dir: PathBuf::from("/nonexistent"),
                    ..ProbeSettings::default()
                },
                &url::Url::parse("http://site.test/").expect("a URL"),
                Vec::new(),
                Path::new("/"),
            ),
        };
        let deadline = Deadline::after(Duration::from_secs(10), crate::deadline::Limit::Step);
        let ran = states(&LocalHost, &checks, deadline).await.expect("checks ran");
        assert_eq!(ran["sh -c 'exit 0'"], "OK");
        assert_eq!(ran["sh -c 'exit 2'"], "CRITICAL");
        assert_eq!(ran["no-such-plugin"], "UNKNOWN");
        assert!(
            states(&LocalHost, &NagiosChecks::default(), deadline)
                .await
                .is_none()
        );
    }
}
