//! The run kept whole for the file reports (JUnit, Cucumber JSON, HTML): one collection of the
//! finished scenarios, grouped the one way every file lists them (features in file order, each
//! with its scenarios in line order), handed to each file's writer when the run is over.

use std::path::Path;

use super::model::{Reporter, RunEvent, RunInfo, RunSummary, ScenarioReport};
use crate::error::Error;

/// What the run told, in the order scenarios finished.
#[derive(Default)]
pub struct CollectedRun {
    pub info: Option<RunInfo>,
    scenarios: Vec<ScenarioReport>,
}

/// One feature file's scenarios, as the reports list them.
pub struct FeatureResults<'a> {
    pub path: &'a Path,
    /// The feature's name and where its `Feature:` line is.
    pub name: &'a str,
    pub line: usize,
    pub scenarios: Vec<&'a ScenarioReport>,
}

impl CollectedRun {
    /// Scenarios finish in any order; the reports list them as the files do.
    pub fn features(&self) -> Vec<FeatureResults<'_>> {
        let mut sorted: Vec<&ScenarioReport> = self.scenarios.iter().collect();
        sorted.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        let mut features: Vec<FeatureResults<'_>> = Vec::new();
        for scenario in sorted {
            match features.last_mut() {
                Some(feature) if feature.path == scenario.path => feature.scenarios.push(scenario),
                _ => features.push(FeatureResults {
                    path: &scenario.path,
                    name: &scenario.feature,
                    line: scenario.feature_line,
                    scenarios: vec![scenario],
                }),
            }
        }
        features
    }
}

/// A report file written from the whole run once it is over.
pub trait FileReport {
    fn write(&self, run: &CollectedRun, summary: &RunSummary) -> Result<(), Error>;
}

/// The one reporter behind every file report: it keeps the run once, and at the end each file
/// is written from it. A file that cannot be written does not keep the others from being
/// written; the first error is reported.
pub struct FileReports {
    run: CollectedRun,
    files: Vec<Box<dyn FileReport>>,
}

impl FileReports {
    pub fn new(files: Vec<Box<dyn FileReport>>) -> Self {
        Self {
            run: CollectedRun::default(),
            files,
        }
    }
}

impl Reporter for FileReports {
    fn on_event(&mut self, event: &RunEvent) -> Result<(), Error> {
        match event {
            RunEvent::Started(info) => self.run.info = Some(info.clone()),
            RunEvent::ScenarioFinished(report) => self.run.scenarios.push(report.clone()),
            RunEvent::ScenarioStarted { .. } => {}
            RunEvent::Finished(summary) => {
                let mut first_error = None;
                for file in &self.files {
                    if let Err(error) = file.write(&self.run, summary) {
                        first_error.get_or_insert(error);
                    }
                }
                return first_error.map_or(Ok(()), Err);
            }
        }
        Ok(())
    }
}
