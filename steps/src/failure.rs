//! Why a step failed, in the words a stakeholder reads: what was expected, what was seen and
//! where. Every step returns this; the runner prints it as it is.

use std::fmt;

/// A step's failure: a one-line summary followed by labelled details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    summary: String,
    details: Vec<(&'static str, String)>,
}

impl StepFailure {
    pub fn new(summary: impl Into<String>) -> Self {
        Self {
            summary: summary.into(),
            details: Vec::new(),
        }
    }

    /// Adds a labelled line (`expected`, `seen`, `request`, `body`, ...).
    #[must_use]
    pub fn with(mut self, label: &'static str, value: impl Into<String>) -> Self {
        self.details.push((label, value.into()));
        self
    }

    /// The same details under a summary that says it in the caller's terms.
    #[must_use]
    pub fn retitled(mut self, summary: impl Into<String>) -> Self {
        self.summary = summary.into();
        self
    }

    pub fn summary(&self) -> &str {
        &self.summary
    }
}

impl fmt::Display for StepFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)?;
        let width = self
            .details
            .iter()
            .map(|(label, _)| label.len())
            .max()
            .unwrap_or(0);
        for (label, value) in &self.details {
            let mut lines = value.lines();
            let first = lines.next().unwrap_or("");
            write!(
                f,
                "\n  {:<width$}  {first}",
                format!("{label}:"),
                width = width + 1
            )?;
            for line in lines {
                write!(f, "\n  {:<width$}  {line}", "", width = width + 1)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for StepFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_aligned_under_their_labels() {
        let failure = StepFailure::new("expected status 200")
            .with("seen", "500 Internal Server Error")
            .with("request", "GET http://example.test/\nsecond line");
        assert_eq!(
            failure.to_string(),
            "expected status 200\n  seen:     500 Internal Server Error\n  request:  GET http://example.test/\n            second line"
        );
    }
}
