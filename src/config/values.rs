//! Values written the same way in several places (URLs, durations, counts), read one way
//! wherever they appear, the command line included.

use std::num::NonZeroUsize;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use url::Url;

pub fn parse_base_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text).map_err(|error| format!("`{text}` is not a URL ({error})"))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(format!("`{text}` uses `{other}:`; a base URL is http or https")),
    }
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match parse_span(text)? {
        duration if duration.is_zero() => Err(format!("`{text}` is zero; a limit must be longer")),
        duration => Ok(duration),
    }
}

/// A length of time that may be zero: a threshold such as a minimum age, not a limit.
pub fn parse_span(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|error| format!("`{text}` is not a duration ({error})"))
}

/// A count of at least one (`concurrency = 0` would never run anything), with the reason in
/// words rather than serde's "expected a nonzero usize".
pub fn at_least_one<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NonZeroUsize, D::Error> {
    let count = usize::deserialize(deserializer)?;
    NonZeroUsize::new(count).ok_or_else(|| serde::de::Error::custom("must be at least 1"))
}
