//! The features of one run: found on disk, checked to be UTF-8 Gherkin, outlines expanded into
//! one scenario per example row, and narrowed to the scenarios the tag expression selects.
//! Everything here happens before any server is touched.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cucumber::feature::Ext as _;
use cucumber::gherkin::{Feature, Scenario, tagexpr::TagOperation};
use cucumber::tag::Ext as _;

use super::gherkin_reader::{self, StepPositionLine};
use crate::cli::Partition;
use crate::error::Error;
use crate::output::tell;

/// Parsed features holding only the selected scenarios.
#[derive(Debug, Default)]
pub struct Suite {
    pub features: Vec<Feature>,
    /// Description lines of the selected files where a misspelt step may hide, by file.
    pub step_position_lines: Vec<(PathBuf, StepPositionLine)>,
}

impl Suite {
    pub fn scenario_count(&self) -> usize {
        self.features
            .iter()
            .map(|feature| feature.count_scenarios())
            .sum()
    }

    /// Every scenario with the feature it belongs to, rules included.
    pub fn scenarios(&self) -> impl Iterator<Item = (&Feature, &Scenario)> {
        self.features.iter().flat_map(|feature| {
            feature
                .scenarios
                .iter()
                .chain(feature.rules.iter().flat_map(|rule| &rule.scenarios))
                .map(move |scenario| (feature, scenario))
        })
    }
}

/// Where a feature that was not read from a file says it is.
pub const UNKNOWN_PATH: &str = "<unknown>";

/// One scenario of the run, as every stage names it: its file, its line and its name. The name
/// tells apart the copies of one scenario made for several hosts (`Cron runs [web1]`), which
/// share a file and line, and an outline's rows have lines of their own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScenarioId {
    pub path: PathBuf,
    pub line: usize,
    pub name: String,
}

impl ScenarioId {
    pub fn of(feature: &Feature, scenario: &Scenario) -> Self {
        Self::in_file(feature.path.as_deref(), scenario)
    }

    /// The id of a scenario of the feature read from `path`.
    pub fn in_file(path: Option<&Path>, scenario: &Scenario) -> Self {
        Self {
            path: path.map_or_else(|| PathBuf::from(UNKNOWN_PATH), Path::to_path_buf),
            line: scenario.position.line,
            name: scenario.name.clone(),
        }
    }
}

impl Suite {
    /// Keeps only the scenarios of `partition`'s slice; features left empty go.
    pub fn partition(&mut self, partition: Partition) {
        let mut index = 0;
        let mut keep = |_: &Scenario| {
            let held = partition.holds(index);
            index += 1;
            held
        };
        for feature in &mut self.features {
            // The order `scenarios()` walks: a feature's own scenarios, then its rules'.
            feature.scenarios.retain(|scenario| keep(scenario));
            for rule in &mut feature.rules {
                rule.scenarios.retain(|scenario| keep(scenario));
            }
            feature.rules.retain(|rule| !rule.scenarios.is_empty());
        }
        self.features.retain(|feature| feature.count_scenarios() > 0);
    }
}

/// Operators (`and`, `or`, `not`, parentheses) a tag expression may hold: the parser descends
/// once per operator, and tens of thousands of them would overflow its stack. No selection a
/// person writes comes near it.
const MAX_TAG_OPERATORS: usize = 256;

pub fn parse_tags(expression: &str) -> Result<TagOperation, Error> {
    let parentheses = expression.chars().filter(|c| matches!(c, '(' | ')')).count();
    let words = expression
        .split(|c: char| c.is_whitespace() || matches!(c, '(' | ')'))
        .filter(|word| matches!(*word, "and" | "or" | "not"))
        .count();
    if parentheses + words > MAX_TAG_OPERATORS {
        return Err(Error::TagExpression {
            expression: shortened(expression),
            problem: format!(
                "it holds {} operators and parentheses; at most {MAX_TAG_OPERATORS} are read",
                parentheses + words
            ),
        });
    }
    expression
        .parse::<TagOperation>()
        .map_err(|error| Error::TagExpression {
            expression: expression.to_owned(),
            problem: error.to_string().replace("error at", "at"),
        })
}

/// The start of a long expression, for a message that must stay one readable line.
fn shortened(expression: &str) -> String {
    const SHOWN: usize = 60;
    match expression.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…", &expression[..cut]),
        None => expression.to_owned(),
    }
}

/// Loads every `.feature` file under `paths` and keeps the scenarios `tags` selects. A file
/// reached twice (named twice, or through a symbolic link) is read once.
pub fn load(paths: &[PathBuf], tags: Option<&TagOperation>) -> Result<Suite, Error> {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        for file in discover(path)? {
            if seen.insert(std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone())) {
                files.push(file);
            }
        }
    }
    let mut suite = Suite::default();
    for file in files {
        let read = parse_feature(&file)?;
        let Some(feature) = read.feature else {
            tell!(
                "warning: `{}` holds no Feature (it is empty or only comments), so it adds no scenario",
                file.display()
            );
            continue;
        };
        if let Some(feature) = select(feature, tags) {
            suite.features.push(feature);
            suite.step_position_lines.extend(
                read.step_position_lines
                    .into_iter()
                    .map(|line| (file.clone(), line)),
            );
        }
    }
    Ok(suite)
}

/// A file as it is, or every `.feature` file below a folder, in a stable order. Each real
/// folder is entered once, so a symbolic link back up the tree ends instead of looping; a
/// `.feature` that is not a regular file (a FIFO would block the read for ever) is skipped.
fn discover(path: &Path) -> Result<Vec<PathBuf>, Error> {
    let metadata = std::fs::metadata(path).map_err(|_| Error::PathNotFound {
        path: path.to_path_buf(),
    })?;
    if !metadata.is_dir() {
        return Ok(regular_file(path, &metadata).into_iter().collect());
    }
    let mut found = Vec::new();
    let mut folders = vec![path.to_path_buf()];
    let mut entered = HashSet::new();
    while let Some(folder) = folders.pop() {
        if !entered.insert(std::fs::canonicalize(&folder).unwrap_or_else(|_| folder.clone())) {
            continue;
        }
        let entries = std::fs::read_dir(&folder).map_err(|source| Error::Read {
            path: folder.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| Error::Read {
                path: folder.clone(),
                source,
            })?;
            let child = entry.path();
            // A broken link or a loop of links leads nowhere: nothing to run there.
            let Ok(metadata) = std::fs::metadata(&child) else {
                continue;
            };
            if metadata.is_dir() {
                folders.push(child);
            } else if child.extension().is_some_and(|extension| extension == "feature") {
                found.extend(regular_file(&child, &metadata));
            }
        }
    }
    if found.is_empty() {
        return Err(Error::NoFeatureFiles {
            path: path.to_path_buf(),
        });
    }
    found.sort();
    Ok(found)
}

/// The path, if it is a regular file; anything else is skipped with a warning.
fn regular_file(path: &Path, metadata: &std::fs::Metadata) -> Option<PathBuf> {
    if metadata.is_file() {
        return Some(path.to_path_buf());
    }
    tell!(
        "warning: `{}` is not a regular file (a FIFO, socket or device), so it is skipped",
        path.display()
    );
    None
}

/// The feature a file holds, with its outlines expanded; a file without one stops nothing.
fn parse_feature(path: &Path) -> Result<gherkin_reader::Read, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = std::str::from_utf8(&bytes).map_err(|error| {
        let valid = &bytes[..error.valid_up_to()];
        let line = valid.iter().filter(|byte| **byte == b'\n').count() + 1;
        let column = valid.iter().rev().take_while(|byte| **byte != b'\n').count() + 1;
        Error::NotUtf8 {
            path: path.to_path_buf(),
            line,
            column,
        }
    })?;
    let mut read = gherkin_reader::read(text, path).map_err(|found| Error::FeatureSyntax {
        path: path.to_path_buf(),
        line: found.line,
        column: 1,
        problem: found.problem,
    })?;
    if let Some(feature) = &mut read.feature {
        name_example_rows(feature);
    }
    Ok(read)
}

/// Scenario outline rows get their example values in their name, so each row is told apart in
/// reports: `Pages open for each role (role=clerk, path=/reports/)`, unless the name already
/// carries the values through its placeholders.
fn name_example_rows(feature: &mut Feature) {
    let scenarios = feature
        .scenarios
        .iter_mut()
        .chain(feature.rules.iter_mut().flat_map(|rule| &mut rule.scenarios));
    for scenario in scenarios {
        let Some(rows) = scenario
            .examples
            .first()
            .and_then(|examples| examples.table.as_ref())
            .map(|table| &table.rows)
        else {
            continue;
        };
        // An outline whose name already shows its values (`<page> answers`) keeps its name.
        if let [header, values] = rows.as_slice()
            && !values.iter().all(|value| scenario.name.contains(value.as_str()))
        {
            let pairs: Vec<String> = header
                .iter()
                .zip(values)
                .map(|(key, value)| format!("{key}={value}"))
                .collect();
            scenario.name = format!("{} ({})", scenario.name, pairs.join(", "));
        }
    }
}

/// Keeps the scenarios whose feature, rule and own tags satisfy `tags`; `None` if none remain.
fn select(mut feature: Feature, tags: Option<&TagOperation>) -> Option<Feature> {
    let Some(tags) = tags else { return Some(feature) };
    let feature_tags = feature.tags.clone();
    let selected = |scenario: &Scenario, rule_tags: &[String]| {
        tags.eval(feature_tags.iter().chain(rule_tags).chain(&scenario.tags))
    };
    feature.scenarios.retain(|scenario| selected(scenario, &[]));
    for rule in &mut feature.rules {
        let rule_tags = rule.tags.clone();
        rule.scenarios.retain(|scenario| selected(scenario, &rule_tags));
    }
    feature.rules.retain(|rule| !rule.scenarios.is_empty());
    (feature.count_scenarios() > 0).then_some(feature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write feature");
        path
    }

    #[test]
    fn partitions_cover_every_scenario_exactly_once_in_file_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("a.feature"),
            "Feature: A\n  Scenario: a1\n    Given x\n  Scenario: a2\n    Given x\n\n  Rule: R\n    Scenario: a3\n      Given x\n",
        )
        .expect("write");
        std::fs::write(
            dir.path().join("b.feature"),
            "Feature: B\n  Scenario Outline: b <n>\n    Given <n>\n    Examples:\n      | n |\n      | 1 |\n      | 2 |\n",
        )
        .expect("write");
        let names = |partition: Option<Partition>| {
            let mut suite = load(&[dir.path().to_path_buf()], None).expect("loads");
            if let Some(partition) = partition {
                suite.partition(partition);
            }
            suite
                .scenarios()
                .map(|(_, scenario)| scenario.name.clone())
                .collect::<Vec<_>>()
        };
        let all = names(None);
        assert_eq!(all.len(), 5, "{all:?}");
        let slices: Vec<Vec<String>> = (1..=3)
            .map(|slice| {
                names(Some(
                    Partition::parse(&format!("{slice}/3")).expect("a partition"),
                ))
            })
            .collect();
        assert_eq!(slices[0], [all[0].clone(), all[3].clone()]);
        assert_eq!(slices[1], [all[1].clone(), all[4].clone()]);
        assert_eq!(slices[2], [all[2].clone()]);
    }

    #[test]
    fn tags_select_across_feature_rule_and_scenario() {
        let dir = tempfile::tempdir().expect("temp dir");
        write(
            dir.path(),
            "a.feature",
            b"@post-install\nFeature: A\n  Scenario: fast\n    Given I am not logged in\n\n  @slow\n  Scenario: slow\n    Given I am not logged in\n",
        );
        let tags = parse_tags("@post-install and not @slow").expect("valid");
        let suite = load(&[dir.path().to_path_buf()], Some(&tags)).expect("loads");
        let names: Vec<&str> = suite
            .scenarios()
            .map(|(_, scenario)| scenario.name.as_str())
            .collect();
        assert_eq!(names, ["fast"]);
    }

    #[test]
    fn outline_rows_are_named_by_their_values() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = write(
            dir.path(),
            "o.feature",
            b"Feature: O\n  Scenario Outline: page\n    When I request \"<path>\"\n    Examples:\n      | path |\n      | /a   |\n      | /b   |\n",
        );
        let suite = load(&[path], None).expect("loads");
        let names: Vec<&str> = suite
            .scenarios()
            .map(|(_, scenario)| scenario.name.as_str())
            .collect();
        assert_eq!(names, ["page (path=/a)", "page (path=/b)"]);
    }

    #[test]
    fn line_numbers_stay_right_at_the_end_of_a_very_long_feature() {
        // Unpatched gherkin 0.16 scans every earlier line for each new one: this file took it
        // 100 s. The vendored copy (vendor/gherkin) finds lines by binary search.
        const BLANK_LINES: usize = 500_000;
        let dir = tempfile::tempdir().expect("temp dir");
        let text = format!(
            "Feature: Long\n{}  Scenario: last\n    Given I am not logged in\n",
            "\n".repeat(BLANK_LINES)
        );
        let path = write(dir.path(), "long.feature", text.as_bytes());
        let suite = load(&[path], None).expect("loads");
        let (_, last) = suite.scenarios().next().expect("one scenario");
        assert_eq!((last.position.line, last.position.col), (BLANK_LINES + 2, 3));
        assert_eq!(last.steps[0].position.line, BLANK_LINES + 3);
    }

    #[test]
    fn bad_input_is_named_precisely() {
        let dir = tempfile::tempdir().expect("temp dir");
        let latin1 = write(dir.path(), "latin1.feature", b"Feature: A\n  Scenario: caf\xe9\n");
        assert!(matches!(
            load(&[latin1], None),
            Err(Error::NotUtf8 {
                line: 2,
                column: 16,
                ..
            })
        ));
        let broken = write(
            dir.path(),
            "broken.feature",
            b"Feature: A\n  Scenario: s\n    Given x\n  | a | b |\n  | c |\n",
        );
        let error = load(&[broken], None).expect_err("bad table");
        assert!(matches!(error, Error::FeatureSyntax { .. }), "{error:?}");
        let garbage = write(dir.path(), "garbage.feature", b"This is not Gherkin\n");
        let error = load(&[garbage], None).expect_err("not gherkin");
        assert!(error.to_string().contains("garbage.feature:1:"), "{error}");
        assert!(
            error
                .to_string()
                .contains("a feature file starts with `Feature: <name>`"),
            "{error}"
        );
        assert!(matches!(
            load(&[dir.path().join("missing")], None),
            Err(Error::PathNotFound { .. })
        ));
        assert!(parse_tags("@a and").is_err());
    }
}
