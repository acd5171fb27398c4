//! What a phrase's arguments may hold. A step function names the kind of each argument
//! (`port: Port`, `days: Days`); `#[phrase]` reads the written text into it, at run time and,
//! through the catalogue, in `shakedown check`, so a value the run would refuse (a status of
//! 1000, a port of -1, a number too long for any machine word, a JSONPath that does not parse)
//! stops the suite before anything runs, with the feature's file and line.

use std::ops::RangeInclusive;
use std::time::Duration;

use cucumber::codegen::Regex;
use reqwest::Method;

use crate::failure::StepFailure;

/// A kind of phrase argument, read from the text the feature wrote.
pub trait PhraseArgument: Sized {
    /// The value, or why the text cannot be one (a configuration failure: the feature is wrong).
    fn read(written: &str) -> Result<Self, StepFailure>;
}

impl PhraseArgument for String {
    fn read(written: &str) -> Result<Self, StepFailure> {
        Ok(written.to_owned())
    }
}

/// A whole number within `range`; anything else (a sign, a fraction, more digits than any
/// machine word holds) is refused naming what the number is for.
fn whole_number(written: &str, what: &str, range: RangeInclusive<u64>) -> Result<u64, StepFailure> {
    written
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|number| range.contains(number))
        .ok_or_else(|| {
            StepFailure::configuration(format!(
                "`{written}` is out of range for {what}: write a whole number from {} to {}",
                range.start(),
                range.end()
            ))
        })
}

/// One kind of bounded number per meaning, each with the range that meaning allows.
macro_rules! bounded_number {
    ($(#[$doc:meta])* $name:ident($inner:ty), $what:literal, $range:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct $name(pub $inner);

        impl PhraseArgument for $name {
            fn read(written: &str) -> Result<Self, StepFailure> {
                let number = whole_number(written, $what, $range)?;
                // The range lies within the inner type, so the conversion cannot fail.
                <$inner>::try_from(number)
                    .map(Self)
                    .map_err(|_| StepFailure::configuration(format!("`{written}` is out of range for {}", $what)))
            }
        }
    };
}

bounded_number!(
    /// An HTTP status code: HTTP defines 100 to 599.
    StatusCode(u16),
    "an HTTP status code",
    100..=599
);
bounded_number!(
    /// A TCP port; port 0 is no port anything listens on.
    Port(u16),
    "a TCP port",
    1..=65_535
);
bounded_number!(
    /// Milliseconds a response may take: at least one, at most a day.
    Milliseconds(u64),
    "a time in milliseconds",
    1..=86_400_000
);
bounded_number!(
    /// Minutes since a change: at least one, at most ten years.
    Minutes(u64),
    "a time in minutes",
    1..=5_256_000
);
bounded_number!(
    /// Days a certificate has left: none (it has not expired) up to a hundred years.
    Days(i64),
    "a number of days",
    0..=36_500
);

impl Milliseconds {
    pub fn duration(self) -> Duration {
        Duration::from_millis(self.0)
    }
}

impl Minutes {
    pub fn duration(self) -> Duration {
        Duration::from_secs(self.0.saturating_mul(60))
    }
}

/// An HTTP method written as one word (`POST`, `delete`).
#[derive(Debug, Clone)]
pub struct HttpMethod(pub Method);

impl PhraseArgument for HttpMethod {
    fn read(written: &str) -> Result<Self, StepFailure> {
        Method::from_bytes(written.to_ascii_uppercase().as_bytes())
            .map(Self)
            .map_err(|_| {
                StepFailure::configuration(format!("`{written}` is not an HTTP method"))
                    .with("hint", "write GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS")
            })
    }
}

/// The arguments a phrase's regex captured in `text`, in order, or `None` when it does not
/// match. A `{string}` is one group per kind of quote (named `__<n>_0`, `__<n>_1`): one
/// argument, whichever quote was used, as cucumber reads it.
pub fn captured<'t>(regex: &Regex, text: &'t str) -> Option<Vec<&'t str>> {
    let captures = regex.captures(text)?;
    let mut arguments: Vec<&'t str> = Vec::new();
    let mut parameter_of_last: Option<&str> = None;
    for (name, group) in regex.capture_names().zip(captures.iter()).skip(1) {
        let parameter = name
            .and_then(|name| name.strip_prefix("__"))
            .and_then(|name| name.split_once('_'))
            .map(|(parameter, _)| parameter);
        let value = group.map_or("", |group| group.as_str());
        match arguments.last_mut() {
            Some(last) if parameter.is_some() && parameter == parameter_of_last => {
                if last.is_empty() {
                    *last = value;
                }
            }
            _ => arguments.push(value),
        }
        parameter_of_last = parameter;
    }
    Some(arguments)
}

#[cfg(test)]
mod tests {
    use cucumber::codegen::Expression;

    use super::*;

    #[test]
    fn captured_reads_each_parameter_once_whichever_quote_it_uses() {
        let regex = Expression::regex("port {int} on {string} should be {word}").expect("expression");
        assert_eq!(
            captured(&regex, "port 443 on 'ledger' should be open"),
            Some(vec!["443", "ledger", "open"])
        );
        assert_eq!(
            captured(&regex, "port -1 on \"ledger\" should be open"),
            Some(vec!["-1", "ledger", "open"])
        );
        assert_eq!(captured(&regex, "port x on \"ledger\" should be open"), None);
    }

    #[test]
    fn numbers_out_of_their_meaning_s_range_are_refused_with_the_range() {
        assert_eq!(StatusCode::read("404").expect("status"), StatusCode(404));
        for written in ["1000", "-1", "99", "999999999999999999999"] {
            let failure = StatusCode::read(written).expect_err(written);
            assert_eq!(
                failure.summary(),
                format!(
                    "`{written}` is out of range for an HTTP status code: write a whole number from 100 to 599"
                )
            );
        }
        assert!(Port::read("0").is_err());
        assert!(Port::read("65536").is_err());
        assert!(Milliseconds::read("0").is_err());
        assert!(Minutes::read("0").is_err());
        assert_eq!(Days::read("0").expect("days"), Days(0));
        assert!(Days::read("-5").is_err());
    }
}
