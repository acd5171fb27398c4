//! The human report: a line per scenario as it finishes, the failing step with its reasons
//! right under it, and a summary that lists the failures again at the end.

use std::io::Write;

use super::model::{Reporter, RunEvent, ScenarioReport, StepStatus};
use crate::error::Error;

pub struct TerminalReporter<W: Write> {
    out: W,
    failures: Vec<String>,
}

impl<W: Write> TerminalReporter<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            failures: Vec::new(),
        }
    }

    fn scenario(&mut self, report: &ScenarioReport) -> std::io::Result<()> {
        let verdict = match (report.ran(), report.passed()) {
            (false, _) => "SKIP",
            (true, true) => "PASS",
            (true, false) => "FAIL",
        };
        writeln!(
            self.out,
            "    {verdict} [{:>8.3}s] {}  {}",
            report.duration.as_secs_f64(),
            report.location(),
            report.name
        )?;
        for note in &report.notes {
            writeln!(self.out, "         note: {note}")?;
        }
        if let Some((step, failure)) = report.failure() {
            writeln!(
                self.out,
                "         {}{}  ({}:{})",
                step.keyword,
                step.text,
                report.path.display(),
                step.line
            )?;
            for line in failure.to_string().lines() {
                writeln!(self.out, "         {line}")?;
            }
            let not_run = report
                .steps
                .iter()
                .filter(|step| step.status == StepStatus::NotRun)
                .count();
            if not_run > 0 {
                writeln!(self.out, "         ({not_run} later step(s) not run)")?;
            }
            self.failures
                .push(format!("{}  {}", report.location(), report.name));
        }
        Ok(())
    }
}

impl<W: Write> Reporter for TerminalReporter<W> {
    fn on_event(&mut self, event: &RunEvent) -> Result<(), Error> {
        let written = match event {
            RunEvent::Started {
                environment,
                base_url,
                scenarios,
            } => writeln!(
                self.out,
                "shakedown: running {scenarios} scenario(s) against `{environment}` ({base_url})\n"
            ),
            RunEvent::ScenarioFinished(report) => self.scenario(report),
            RunEvent::Finished(summary) => {
                let mut line = format!(
                    "\nSummary [{:.3}s]: {} scenario(s): {} passed, {} failed",
                    summary.duration.as_secs_f64(),
                    summary.passed + summary.failed,
                    summary.passed,
                    summary.failed
                );
                if summary.not_run > 0 {
                    let cause = summary.stopped_by.unwrap_or("--fail-fast");
                    line.push_str(&format!(", {} not run ({cause})", summary.not_run));
                }
                writeln!(self.out, "{line}").and_then(|()| {
                    self.failures
                        .iter()
                        .try_for_each(|failure| writeln!(self.out, "    FAIL {failure}"))
                })
            }
        };
        written
            .and_then(|()| self.out.flush())
            .map_err(|source| Error::Io {
                what: "cannot write to the terminal".into(),
                source,
            })
    }
}
