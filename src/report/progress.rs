//! A live progress line on stderr for long runs (scenarios done of total, failures so far,
//! elapsed, the scenario running longest), drawn only when stderr is a terminal outside CI: logs keep the plain lines the
//! terminal report prints anyway.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::model::{Reporter, RunEvent};
use crate::error::Error;

pub struct ProgressReporter {
    bar: ProgressBar,
    failed: usize,
    /// Scenarios running now, by location: their name and when they started.
    running: HashMap<String, (String, Instant)>,
}

impl ProgressReporter {
    /// A progress line if stderr is a terminal a person watches; `None` in CI (`CI` set) or
    /// when stderr goes to a file or a pipe.
    pub fn for_stderr() -> Option<Self> {
        let watched = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        watched.then(|| Self {
            bar: ProgressBar::hidden(),
            failed: 0,
            running: HashMap::new(),
        })
    }

    /// The line itself, for the terminal report to print around.
    pub fn bar(&self) -> ProgressBar {
        self.bar.clone()
    }
}

impl ProgressReporter {
    fn show_message(&self) {
        let mut message = format!("{} failed", self.failed);
        let longest = self.running.values().min_by_key(|(_, started)| *started);
        if let Some((name, _)) = longest {
            message.push_str(&format!(" · running longest: {name}"));
        }
        self.bar.set_message(message);
    }
}

impl Reporter for ProgressReporter {
    fn on_event(&mut self, event: &RunEvent) -> Result<(), Error> {
        match event {
            RunEvent::Started(info) => {
                self.bar
                    .set_length(u64::try_from(info.scenarios).unwrap_or(u64::MAX));
                self.bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
                self.bar.set_style(
                    ProgressStyle::with_template("{pos}/{len} scenarios [{elapsed}] {bar:30} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                self.bar.enable_steady_tick(Duration::from_millis(200));
            }
            RunEvent::ScenarioStarted { location, name } => {
                self.running
                    .insert(location.clone(), (name.clone(), Instant::now()));
                self.show_message();
            }
            RunEvent::ScenarioFinished(report) => {
                self.running.remove(&report.location());
                if !report.passed() {
                    self.failed += 1;
                }
                self.bar.inc(1);
                self.show_message();
            }
            RunEvent::Finished(_) => self.bar.finish_and_clear(),
        }
        Ok(())
    }
}
