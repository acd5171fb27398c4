//! The human report: a line per scenario as it finishes, the failing step with its reasons
//! right under it, and a summary that lists the failures (and the flaky passes) again at the end.

use std::io::Write;

use super::model::{Reporter, RunEvent, RunSummary, ScenarioReport, StepStatus, Verdict};
use crate::error::Error;

pub struct TerminalReporter<W: Write> {
    out: W,
    /// What one event prints, written out at once so a progress line can step aside for it.
    pending: Vec<u8>,
    /// The live progress line on the same terminal, if any.
    progress: Option<indicatif::ProgressBar>,
    /// `--quiet`: passing scenarios and notes are left out.
    quiet: bool,
    failures: Vec<String>,
    flaky: Vec<String>,
}

impl<W: Write> TerminalReporter<W> {
    pub fn new(out: W, quiet: bool) -> Self {
        Self {
            out,
            pending: Vec::new(),
            progress: None,
            quiet,
            failures: Vec::new(),
            flaky: Vec::new(),
        }
    }

    /// Prints around `progress`: its line is cleared while ours are written, then redrawn.
    #[must_use]
    pub fn with_progress(mut self, progress: indicatif::ProgressBar) -> Self {
        self.progress = Some(progress);
        self
    }

    fn write_pending(&mut self) -> std::io::Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let out = &mut self.out;
        let mut write = || out.write_all(&pending).and_then(|()| out.flush());
        match &self.progress {
            Some(progress) => progress.suspend(write),
            None => write(),
        }
    }

    fn scenario(&mut self, report: &ScenarioReport) -> std::io::Result<()> {
        let verdict = report.verdict();
        let headline = format!("{}  {}", report.location(), report.full_name());
        match verdict {
            Verdict::Failed => self.failures.push(headline),
            Verdict::Flaky => self.flaky.push(format!(
                "{headline}  (passed on attempt {})",
                report.earlier_attempts.len() + 1
            )),
            Verdict::Passed | Verdict::NotRun => {}
        }
        if self.quiet && matches!(verdict, Verdict::Passed | Verdict::NotRun) {
            return Ok(());
        }
        let word = match verdict {
            Verdict::Passed => "PASS",
            Verdict::Flaky => "FLAKY",
            Verdict::Failed => "FAIL",
            Verdict::NotRun => "SKIP",
        };
        writeln!(
            self.pending,
            "    {word:<5} [{:>8.3}s] {}  {}",
            report.duration.as_secs_f64(),
            report.location(),
            report.full_name()
        )?;
        if !self.quiet {
            for note in &report.notes {
                writeln!(self.pending, "          note: {note}")?;
            }
        }
        for (number, attempt) in report.earlier_attempts.iter().enumerate() {
            if let Some((step, failure)) = attempt.failure() {
                writeln!(
                    self.pending,
                    "          attempt {} failed at {}{} (line {}): {}",
                    number + 1,
                    step.keyword,
                    step.text,
                    step.line,
                    failure.summary()
                )?;
            }
        }
        if let Some((step, failure)) = report.failure() {
            writeln!(
                self.pending,
                "          {}{}  ({}:{})",
                step.keyword,
                step.text,
                report.path.display(),
                step.line
            )?;
            for line in failure.to_string().lines() {
                writeln!(self.pending, "          {line}")?;
            }
            let not_run = report
                .steps
                .iter()
                .filter(|step| step.status == StepStatus::NotRun)
                .count();
            if not_run > 0 {
                writeln!(self.pending, "          ({not_run} later step(s) not run)")?;
            }
        }
        Ok(())
    }

    fn summary(&mut self, summary: &RunSummary) -> std::io::Result<()> {
        let mut line = format!(
            "\nSummary [{:.3}s]: {} scenario(s): {} passed, {} failed",
            summary.duration.as_secs_f64(),
            summary.finished(),
            summary.passed,
            summary.failed
        );
        if summary.flaky > 0 {
            line.push_str(&format!(", {} flaky (passed on a retry)", summary.flaky));
        }
        if summary.not_run > 0 {
            let cause = summary.stop_cause();
            line.push_str(&format!(", {} not run ({cause})", summary.not_run));
        }
        writeln!(self.pending, "{line}")?;
        for failure in &self.failures {
            writeln!(self.pending, "    FAIL  {failure}")?;
        }
        for flaky in &self.flaky {
            writeln!(self.pending, "    FLAKY {flaky}")?;
        }
        if !summary.by_host.is_empty() {
            writeln!(self.pending, "Per host:")?;
            let width = summary
                .by_host
                .keys()
                .map(|host| host.chars().count())
                .max()
                .unwrap_or(0);
            for (host, results) in &summary.by_host {
                let word = if results.failed > 0 { "FAIL" } else { "PASS" };
                writeln!(
                    self.pending,
                    "    {word:<5} {host:<width$}  {} passed, {} failed",
                    results.passed + results.flaky,
                    results.failed
                )?;
            }
        }
        Ok(())
    }
}

impl<W: Write> Reporter for TerminalReporter<W> {
    fn on_event(&mut self, event: &RunEvent) -> Result<(), Error> {
        let written = match event {
            RunEvent::Started(info) => writeln!(
                self.pending,
                "shakedown: running {} scenario(s) against `{}` ({})\n",
                info.scenarios, info.environment, info.base_url
            ),
            RunEvent::ScenarioStarted { .. } => return Ok(()),
            RunEvent::ScenarioFinished(report) => self.scenario(report),
            RunEvent::Finished(summary) => self.summary(summary),
        };
        written
            .and_then(|()| self.write_pending())
            .map_err(|source| Error::Io {
                what: "cannot write to the terminal".into(),
                source,
            })
    }
}
