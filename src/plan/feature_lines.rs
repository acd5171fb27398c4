//! A line-by-line reading of a feature file, for what the Gherkin parser lets through (a table
//! row with more cells than its header is cut short without a word) or reports where it gave up
//! rather than where the problem is (an unclosed doc string, a stray line after a step).

use cucumber::gherkin::GherkinEnv;

/// A problem at a line of a feature file.
#[derive(Debug, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    pub problem: String,
}

impl LineProblem {
    fn new(line: usize, problem: impl Into<String>) -> Self {
        Self {
            line,
            problem: problem.into(),
        }
    }
}

/// Problems found in the text of any file, in any language, before it is parsed.
pub fn before_parsing(text: &str) -> Option<LineProblem> {
    let lines = numbered(text);
    if lines.iter().all(|(_, line)| is_blank_or_comment(line)) {
        return Some(LineProblem::new(
            1,
            "no Feature in this file; a feature file starts with `Feature: <name>`",
        ));
    }
    unknown_language(&lines)
        .or_else(|| unclosed_doc_string(&lines))
        .or_else(|| uneven_table(&lines))
}

/// Where a parse failure really is, for files in English (the parser's own keyword lists are
/// private, so other languages keep the parser's position).
pub fn after_failure(text: &str) -> Option<LineProblem> {
    let lines = numbered(text);
    let in_english = lines
        .iter()
        .filter_map(|(_, line)| language_of(line))
        .all(|language| language == "en");
    if !in_english {
        return None;
    }
    scenario_outside_feature(&lines).or_else(|| stray_line_after_step(&lines))
}

const FEATURE: [&str; 3] = ["Feature:", "Ability:", "Business Need:"];
const SECTIONS: [&str; 8] = [
    "Background:",
    "Scenario Outline:",
    "Scenario Template:",
    "Scenario:",
    "Example:",
    "Examples:",
    "Scenarios:",
    "Rule:",
];
const STEPS: [&str; 6] = ["Given ", "When ", "Then ", "And ", "But ", "* "];

fn numbered(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .collect()
}

fn is_blank_or_comment(line: &str) -> bool {
    line.is_empty() || line.starts_with('#')
}

fn language_of(line: &str) -> Option<&str> {
    let directive = line.strip_prefix('#')?.trim_start();
    let (key, language) = directive.split_once(':')?;
    (key.trim() == "language").then(|| language.trim())
}

fn unknown_language(lines: &[(usize, &str)]) -> Option<LineProblem> {
    lines.iter().find_map(|(number, line)| {
        let language = language_of(line)?;
        GherkinEnv::new(language).is_err().then(|| {
            LineProblem::new(
                *number,
                format!("`# language: {language}` is not a language Gherkin knows"),
            )
        })
    })
}

fn is_doc_string_fence(line: &str) -> bool {
    line.starts_with("\"\"\"") || line.starts_with("```")
}

/// The lines outside doc strings, so that their content is never read as Gherkin.
fn outside_doc_strings<'a>(lines: &'a [(usize, &'a str)]) -> impl Iterator<Item = (usize, &'a str)> {
    let mut open: Option<&str> = None;
    lines.iter().filter_map(move |(number, line)| match open {
        Some(fence) => {
            if line.starts_with(fence) {
                open = None;
            }
            None
        }
        None if is_doc_string_fence(line) => {
            open = Some(&line[..3]);
            None
        }
        None => Some((*number, *line)),
    })
}

fn unclosed_doc_string(lines: &[(usize, &str)]) -> Option<LineProblem> {
    let mut open: Option<(usize, &str)> = None;
    for (number, line) in lines {
        match open {
            Some((_, fence)) if line.starts_with(fence) => open = None,
            Some(_) => {}
            None if is_doc_string_fence(line) => open = Some((*number, &line[..3])),
            None => {}
        }
    }
    open.map(|(number, fence)| {
        LineProblem::new(
            number,
            format!("this doc string is never closed: end it with a line of `{fence}`"),
        )
    })
}

/// The cells of a table row: its unescaped `|` less one.
fn cell_count(row: &str) -> usize {
    let mut pipes: usize = 0;
    let mut characters = row.chars();
    while let Some(character) = characters.next() {
        match character {
            // `\|` and `\\` are cell text.
            '\\' => {
                characters.next();
            }
            '|' => pipes += 1,
            _ => {}
        }
    }
    pipes.saturating_sub(1)
}

fn uneven_table(lines: &[(usize, &str)]) -> Option<LineProblem> {
    let mut header: Option<usize> = None;
    for (number, line) in outside_doc_strings(lines) {
        if !line.starts_with('|') {
            // Comments and blank lines may sit between a table's rows.
            if !is_blank_or_comment(line) {
                header = None;
            }
            continue;
        }
        let cells = cell_count(line);
        match header {
            None => header = Some(cells),
            Some(expected) if expected != cells => {
                return Some(LineProblem::new(
                    number,
                    format!("this table row has {cells} cell(s), but the table's first row has {expected}"),
                ));
            }
            Some(_) => {}
        }
    }
    None
}

fn starts_with_any(line: &str, keywords: &[&str]) -> bool {
    keywords.iter().any(|keyword| line.starts_with(keyword))
}

fn scenario_outside_feature(lines: &[(usize, &str)]) -> Option<LineProblem> {
    let (number, first) = lines
        .iter()
        .find(|(_, line)| !is_blank_or_comment(line) && !line.starts_with('@'))?;
    if starts_with_any(first, &FEATURE) {
        return None;
    }
    let keyword = first.split(':').next().unwrap_or(first);
    (starts_with_any(first, &SECTIONS) || starts_with_any(first, &STEPS)).then(|| {
        LineProblem::new(
            *number,
            format!("`{keyword}` is outside a Feature: a feature file starts with `Feature: <name>`"),
        )
    })
}

/// Text is a description only right under a header; once a step was written, every line of
/// the block must be a keyword, a table row, a doc string, a tag or a comment.
fn stray_line_after_step(lines: &[(usize, &str)]) -> Option<LineProblem> {
    let mut after_step = false;
    for (number, line) in outside_doc_strings(lines) {
        if is_blank_or_comment(line) || line.starts_with('|') || line.starts_with('@') {
            continue;
        }
        if starts_with_any(line, &STEPS) {
            after_step = true;
        } else if starts_with_any(line, &FEATURE) || starts_with_any(line, &SECTIONS) {
            after_step = false;
        } else if after_step {
            return Some(LineProblem::new(
                number,
                "this line does not start with a Gherkin keyword such as `Scenario:`, `Given` or `Then`",
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn before(text: &str) -> Option<(usize, String)> {
        before_parsing(text).map(|found| (found.line, found.problem))
    }

    fn after(text: &str) -> Option<usize> {
        after_failure(text).map(|found| found.line)
    }

    #[test]
    fn an_empty_file_has_no_feature() {
        assert_eq!(before("").map(|(line, _)| line), Some(1));
        let (_, problem) = before("# only a comment\n\n").expect("empty");
        assert!(problem.starts_with("no Feature in this file"), "{problem}");
    }

    #[test]
    fn a_table_row_is_measured_against_the_first_row() {
        let text = "Feature: F\n  Scenario: s\n    Given x\n      | a | b |\n      # note\n      | c \\| d | e |\n      | f |\n";
        let (line, problem) = before(text).expect("short row");
        assert_eq!(line, 7);
        assert!(
            problem.contains("has 1 cell(s), but the table's first row has 2"),
            "{problem}"
        );
        assert_eq!(
            before("Feature: F\n  Scenario: s\n    Given x\n      | a |\n      | b | c |\n")
                .map(|(line, _)| line),
            Some(5)
        );
        assert_eq!(
            before(
                "Feature: F\n  Scenario: s\n    Given x\n      \"\"\"\n      | a |\n      | b | c |\n      \"\"\"\n"
            ),
            None
        );
    }

    #[test]
    fn an_unclosed_doc_string_is_named_where_it_opens() {
        let (line, _) =
            before("Feature: F\n  Scenario: s\n    Given x\n      \"\"\"\n      text\n").expect("open");
        assert_eq!(line, 4);
    }

    #[test]
    fn an_unknown_language_is_named_on_its_line() {
        assert_eq!(
            before("# language: xx\nFeature: F\n").map(|(line, _)| line),
            Some(1)
        );
        assert_eq!(before("# language: fr\nFonctionnalité: F\n"), None);
    }

    #[test]
    fn a_failure_is_placed_where_the_problem_is() {
        assert_eq!(after("@tag\nScenario: s\n  Given x\n"), Some(2));
        assert_eq!(
            after("Feature: F\n  Scenario: s\n    Given x\n  Scenaro: t\n    Given y\n"),
            Some(4)
        );
        assert_eq!(
            after("Feature: F\n  Scenario: s\n    a description\n    Given x\n"),
            None
        );
        assert_eq!(after("# language: fr\nScénario: s\n"), None);
    }
}
