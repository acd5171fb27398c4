//! `[limits]`: how long a step and a scenario may take, and how many scenarios and servers are
//! worked on at once.

use std::num::NonZeroUsize;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::source::Source;
use super::values::{at_least_one, parse_duration};
use crate::error::Error;

#[derive(Debug, Clone)]
pub struct Limits {
    pub step_timeout: Duration,
    pub scenario_timeout: Duration,
    pub concurrency: NonZeroUsize,
    /// Servers of the fleet worked on at the same time.
    pub host_concurrency: NonZeroUsize,
}

#[derive(Deserialize)]
pub(super) struct RawLimits {
    step_timeout: Spanned<String>,
    scenario_timeout: Spanned<String>,
    #[serde(deserialize_with = "at_least_one")]
    concurrency: NonZeroUsize,
    #[serde(deserialize_with = "at_least_one")]
    host_concurrency: NonZeroUsize,
}

impl RawLimits {
    pub fn resolve(self, source: &Source<'_>) -> Result<Limits, Error> {
        let duration = |key: &str, value: Spanned<String>| {
            parse_duration(value.get_ref()).map_err(|problem| {
                source.error_at(
                    value.span(),
                    format!("`limits.{key}`: {problem}"),
                    Some("write durations like \"15s\", \"500ms\" or \"2m\"".into()),
                )
            })
        };
        Ok(Limits {
            step_timeout: duration("step_timeout", self.step_timeout)?,
            scenario_timeout: duration("scenario_timeout", self.scenario_timeout)?,
            concurrency: self.concurrency,
            host_concurrency: self.host_concurrency,
        })
    }
}
