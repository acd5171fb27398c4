//! Why a step failed, in the words a stakeholder reads: what was expected, what was seen and
//! where. Every step returns this, and it travels as it is (summary, labelled details, kind and
//! attachments) to every reporter: none of them parses text back out of a message.

use std::fmt;
use std::path::PathBuf;

/// What kind of trouble a failure is, for reporters that sort failures (JUnit's `type`,
/// Nagios' UNKNOWN for a problem of the tool rather than of the site).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureKind {
    /// The site or server answered, and not as the feature says it should.
    #[default]
    Assertion,
    /// A limit ran out before the answer came.
    Timeout,
    /// Nothing answered: refused connections, DNS, TLS, an unreachable host.
    Connection,
    /// The step cannot run as configured: an unknown role, a missing driver, a bad pattern.
    Configuration,
}

impl FailureKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Assertion => "assertion",
            Self::Timeout => "timeout",
            Self::Connection => "connection",
            Self::Configuration => "configuration",
        }
    }
}

/// Evidence a failing step left on disk, such as a screenshot of the browser page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attachment {
    /// What it shows: `screenshot`.
    pub label: &'static str,
    pub path: PathBuf,
    /// `image/png`
    pub media_type: &'static str,
}

/// A step's failure: a one-line summary followed by labelled details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    summary: String,
    details: Vec<(&'static str, String)>,
    kind: FailureKind,
    attachments: Vec<Attachment>,
}

/// What a step function returns.
pub type StepResult = Result<(), StepFailure>;

impl StepFailure {
    /// A failed expectation: the site answered, not as the feature says.
    pub fn new(summary: impl Into<String>) -> Self {
        Self {
            summary: summary.into(),
            details: Vec::new(),
            kind: FailureKind::Assertion,
            attachments: Vec::new(),
        }
    }

    /// A limit ran out.
    pub fn timeout(summary: impl Into<String>) -> Self {
        Self::new(summary).of_kind(FailureKind::Timeout)
    }

    /// Nothing answered.
    pub fn connection(summary: impl Into<String>) -> Self {
        Self::new(summary).of_kind(FailureKind::Connection)
    }

    /// The step cannot run as configured.
    pub fn configuration(summary: impl Into<String>) -> Self {
        Self::new(summary).of_kind(FailureKind::Configuration)
    }

    #[must_use]
    pub fn of_kind(mut self, kind: FailureKind) -> Self {
        self.kind = kind;
        self
    }

    /// Adds a labelled line (`expected`, `seen`, `request`, `body`, ...).
    #[must_use]
    pub fn with(mut self, label: &'static str, value: impl Into<String>) -> Self {
        self.details.push((label, value.into()));
        self
    }

    /// Adds evidence kept on disk; it is also named among the details, for plain-text readers.
    #[must_use]
    pub fn attach(mut self, attachment: Attachment) -> Self {
        self.details
            .push((attachment.label, attachment.path.display().to_string()));
        self.attachments.push(attachment);
        self
    }

    /// The same details under a summary that says it in the caller's terms.
    #[must_use]
    pub fn retitled(mut self, summary: impl Into<String>) -> Self {
        self.summary = summary.into();
        self
    }

    /// The same details under a summary that puts the old one in the caller's terms
    /// (`|why| format!("cannot tell: {why}")`).
    #[must_use]
    pub fn reworded(mut self, rewrite: impl FnOnce(&str) -> String) -> Self {
        self.summary = rewrite(&self.summary);
        self
    }

    pub fn summary(&self) -> &str {
        &self.summary
    }

    pub fn details(&self) -> &[(&'static str, String)] {
        &self.details
    }

    pub fn kind(&self) -> FailureKind {
        self.kind
    }

    pub fn attachments(&self) -> &[Attachment] {
        &self.attachments
    }

    /// The same failure with `rewrite` applied to every text in it (the redactor, at the edge).
    #[must_use]
    pub fn map_text(mut self, rewrite: impl Fn(&str) -> String) -> Self {
        self.summary = rewrite(&self.summary);
        for (_, value) in &mut self.details {
            *value = rewrite(value);
        }
        self
    }

    /// Ends the step with this failure. cucumber reports a step's panic payload as it is, so
    /// the failure reaches the runner whole, not as text to parse.
    pub fn raise(self) -> ! {
        std::panic::panic_any(self)
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

    #[test]
    fn attachments_keep_their_path_and_are_named_among_the_details() {
        let failure = StepFailure::new("`Admin` is visible").attach(Attachment {
            label: "screenshot",
            path: PathBuf::from("shakedown-reports/001-see.png"),
            media_type: "image/png",
        });
        assert_eq!(
            failure.attachments()[0].path,
            PathBuf::from("shakedown-reports/001-see.png")
        );
        assert!(
            failure
                .to_string()
                .ends_with("screenshot:  shakedown-reports/001-see.png")
        );
        assert_eq!(failure.kind(), FailureKind::Assertion);
    }
}
