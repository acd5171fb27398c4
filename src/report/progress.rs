//! A live progress line on stderr for long runs (scenarios done of total, failures so far,
//! elapsed), drawn only when stderr is a terminal outside CI: logs keep the plain lines the
//! terminal report prints anyway.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::model::{Reporter, RunEvent};
use crate::error::Error;

pub struct ProgressReporter {
    bar: ProgressBar,
    failed: usize,
}

impl ProgressReporter {
    /// A progress line if stderr is a terminal a person watches; `None` in CI (`CI` set) or
    /// when stderr goes to a file or a pipe.
    pub fn for_stderr() -> Option<Self> {
        let watched = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        watched.then(|| Self {
            bar: ProgressBar::hidden(),
            failed: 0,
        })
    }
}

impl Reporter for ProgressReporter {
    fn on_event(&mut self, event: &RunEvent) -> Result<(), Error> {
        match event {
            RunEvent::Started(info) => {
                self.bar = ProgressBar::new(u64::try_from(info.scenarios).unwrap_or(u64::MAX));
                self.bar.set_style(
                    ProgressStyle::with_template("{pos}/{len} scenarios [{elapsed}] {bar:30} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                self.bar.enable_steady_tick(Duration::from_millis(200));
            }
            RunEvent::ScenarioFinished(report) => {
                if !report.passed() {
                    self.failed += 1;
                    self.bar.set_message(format!("{} failed", self.failed));
                }
                self.bar.inc(1);
            }
            RunEvent::Finished(_) => self.bar.finish_and_clear(),
        }
        Ok(())
    }
}
