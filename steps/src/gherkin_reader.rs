//! Feature files read line by line as the Cucumber reference parser reads them (its grammar,
//! `gherkin.berp`, and its token rules), checked against the reference corpus in
//! `tests/fixtures/gherkin-corpus`. The vendored parser's grammar disagreed with the reference on
//! descriptions, doc strings, table cells and keywords, and told its failures in token names; here
//! every refusal names its line and the problem in words.

use std::path::Path;
use std::sync::LazyLock;

use cucumber::gherkin::{
    Background, Examples, Feature, Keywords, LineCol, Rule, Scenario, Span, Step, StepType, Table,
};
use regex::Regex;

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

/// A feature file as read: its Feature, `None` for a file with none at all (empty, or only
/// comments, which the reference accepts as a document without pickles), and the description
/// lines where a step could have been meant.
#[derive(Debug)]
pub struct Read {
    pub feature: Option<Feature>,
    pub step_position_lines: Vec<StepPositionLine>,
}

/// Reads a feature file's text.
pub fn read(text: &str, path: &Path) -> Result<Read, LineProblem> {
    let mut reader = Reader::new(text);
    let feature = reader.feature()?.map(|feature| Feature {
        path: Some(path.to_path_buf()),
        ..feature
    });
    Ok(Read {
        feature,
        step_position_lines: reader.step_position_lines,
    })
}

/// One line of the file: its number, where it starts in the text and its indentation.
#[derive(Clone, Copy)]
struct Line<'a> {
    number: usize,
    offset: usize,
    /// The line without its line end.
    raw: &'a str,
    /// The line without its leading whitespace.
    text: &'a str,
    /// Leading whitespace, in characters.
    indent: usize,
}

impl Line<'_> {
    fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    fn is_comment(&self) -> bool {
        self.text.starts_with('#')
    }

    fn is_tags(&self) -> bool {
        self.text.starts_with('@')
    }

    fn is_table_row(&self) -> bool {
        self.text.starts_with('|')
    }

    fn fence(&self) -> Option<&'static str> {
        ["\"\"\"", "```"]
            .into_iter()
            .find(|fence| self.text.starts_with(fence))
    }

    fn position(&self) -> LineCol {
        LineCol {
            line: self.number,
            col: self.indent + 1,
        }
    }

    fn span(&self) -> Span {
        Span {
            start: self.offset + (self.raw.len() - self.text.len()),
            end: self.offset + self.raw.len(),
        }
    }

    /// The line as a message quotes it: trimmed and shortened.
    fn quoted(&self) -> String {
        const SHOWN: usize = 60;
        let text = self.text.trim_end();
        match text.char_indices().nth(SHOWN) {
            Some((cut, _)) => format!("`{}…`", &text[..cut]),
            None => format!("`{text}`"),
        }
    }
}

/// A description, and where a misspelt step would sit in it.
struct Description {
    text: Option<String>,
    /// The lines after the description's last blank line, with their numbers.
    last_paragraph: Vec<(usize, String)>,
    /// Whether blank lines part it from what follows.
    blank_after: bool,
}

/// A description line where a step could have been meant: the scenario's last paragraph of
/// description, when it runs into the first step or the scenario has no steps. A misspelt
/// keyword (`Whenn I request "/"`) makes a step such a line, which Gherkin accepts silently.
#[derive(Debug, Clone)]
pub struct StepPositionLine {
    /// Where the scenario's header starts in the file (its `span.start`, kept by outline rows).
    pub scenario_offset: usize,
    pub line: usize,
    pub text: String,
}

/// The header keywords a line may start with (always followed by `:`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Header {
    Feature,
    Background,
    Rule,
    Scenario,
    Examples,
}

/// What a `Feature:` or `Rule:` line is followed by: its description, background and scenarios.
type Section = (Option<String>, Option<Background>, Vec<Scenario>);

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    next: usize,
    keywords: Keywords<'static>,
    /// Step keywords, longest first, so that `Sipoze ke ` wins over `Sipoze `.
    step_keywords: Vec<(&'static str, Option<StepType>)>,
    last_step_type: StepType,
    step_position_lines: Vec<StepPositionLine>,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut offset = 0;
        let lines = text
            .split_inclusive('\n')
            .enumerate()
            .map(|(index, whole)| {
                let raw = whole.strip_suffix('\n').unwrap_or(whole);
                let raw = raw.strip_suffix('\r').unwrap_or(raw);
                let text = raw.trim_start();
                let line = Line {
                    number: index + 1,
                    offset,
                    raw,
                    text,
                    indent: raw.chars().count() - text.chars().count(),
                };
                offset += whole.len();
                line
            })
            .collect();
        let mut reader = Self {
            lines,
            next: 0,
            keywords: Keywords::get("en").expect("English is always known"),
            step_keywords: Vec::new(),
            last_step_type: StepType::Given,
            step_position_lines: Vec::new(),
        };
        reader.sort_step_keywords();
        reader
    }

    fn sort_step_keywords(&mut self) {
        let keywords = &self.keywords;
        // A conjunction (`And`, `But`, and `*`, which every list holds) takes the type of the step
        // before it, so it is recorded first.
        let mut all: Vec<(&'static str, Option<StepType>)> = keywords
            .and
            .iter()
            .chain(keywords.but)
            .map(|keyword| (*keyword, None))
            .chain(
                keywords
                    .given
                    .iter()
                    .map(|keyword| (*keyword, Some(StepType::Given))),
            )
            .chain(
                keywords
                    .when
                    .iter()
                    .map(|keyword| (*keyword, Some(StepType::When))),
            )
            .chain(
                keywords
                    .then
                    .iter()
                    .map(|keyword| (*keyword, Some(StepType::Then))),
            )
            .collect();
        all.sort_by_key(|(keyword, _)| std::cmp::Reverse(keyword.chars().count()));
        self.step_keywords = all;
    }

    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.next).copied()
    }

    /// The next line that is neither blank nor a comment, without taking it.
    fn peek_significant(&mut self) -> Option<Line<'a>> {
        while let Some(line) = self.peek() {
            if !line.is_empty() && !line.is_comment() {
                return Some(line);
            }
            self.next += 1;
        }
        None
    }

    fn header(&self, line: &Line<'a>) -> Option<(Header, &'static str, &'a str)> {
        let keywords = &self.keywords;
        let lists: [(Header, &[&'static str]); 6] = [
            (Header::Feature, keywords.feature),
            (Header::Background, keywords.background),
            (Header::Rule, keywords.rule),
            (Header::Scenario, keywords.scenario),
            (Header::Scenario, keywords.scenario_outline),
            (Header::Examples, keywords.examples),
        ];
        lists
            .iter()
            .flat_map(|(header, list)| list.iter().map(move |keyword| (*header, *keyword)))
            .filter(|(_, keyword)| {
                line.text
                    .strip_prefix(keyword)
                    .is_some_and(|rest| rest.starts_with(':'))
            })
            .max_by_key(|(_, keyword)| keyword.chars().count())
            .map(|(header, keyword)| (header, keyword, line.text[keyword.len() + 1..].trim()))
    }

    fn is_header(&self, line: &Line<'a>, wanted: &[Header]) -> bool {
        self.header(line)
            .is_some_and(|(header, ..)| wanted.contains(&header))
    }

    fn step_keyword(&self, line: &Line<'a>) -> Option<(&'static str, Option<StepType>)> {
        self.step_keywords
            .iter()
            .find(|(keyword, _)| line.text.starts_with(keyword))
            .copied()
    }

    fn feature(&mut self) -> Result<Option<Feature>, LineProblem> {
        self.language()?;
        let tags = self.tags()?;
        let Some(line) = self.peek_significant() else {
            return match tags {
                Some((_, tag_line)) => Err(ends_after_tags(tag_line)),
                None => Ok(None),
            };
        };
        let Some((Header::Feature, keyword, name)) = self.header(&line) else {
            return Err(LineProblem::new(
                line.number,
                format!(
                    "a feature file starts with `Feature: <name>` (after any comments, tags and a `# language:` line), but this line is {}",
                    line.quoted()
                ),
            ));
        };
        self.next += 1;
        let (description, background, scenarios) = self.section()?;
        let rules = self.rules()?;
        Ok(Some(Feature {
            keyword: keyword.to_owned(),
            name: name.to_owned(),
            description,
            background,
            scenarios,
            rules,
            tags: tags.map(|(tags, _)| tags).unwrap_or_default(),
            span: line.span(),
            position: line.position(),
            path: None,
        }))
    }

    /// A `# language: xx` comment before the Feature switches the keywords.
    fn language(&mut self) -> Result<(), LineProblem> {
        static LANGUAGE: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r"^#\s*language\s*:\s*(\S+?)\s*$").expect("valid regex"));
        while let Some(line) = self.peek() {
            if line.is_empty() {
                self.next += 1;
                continue;
            }
            if !line.is_comment() {
                return Ok(());
            }
            self.next += 1;
            if let Some(language) = LANGUAGE.captures(line.text.trim_end()) {
                let language = &language[1];
                self.keywords = Keywords::get(language).ok_or_else(|| {
                    LineProblem::new(
                        line.number,
                        format!("`# language: {language}` is not a language Gherkin knows"),
                    )
                })?;
                self.sort_step_keywords();
                return Ok(());
            }
        }
        Ok(())
    }

    /// Tag lines, if the next lines are tags: the tags without `@`, and the last tag line.
    fn tags(&mut self) -> Result<Option<(Vec<String>, Line<'a>)>, LineProblem> {
        static COMMENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s#").expect("valid regex"));
        let mut tags = Vec::new();
        let mut last = None;
        while let Some(line) = self.peek_significant() {
            if !line.is_tags() {
                break;
            }
            self.next += 1;
            last = Some(line);
            let uncommented = COMMENT.splitn(line.text, 2).next().unwrap_or_default();
            for tag in uncommented.split('@').skip(1) {
                let tag = tag.trim();
                if tag.is_empty() {
                    continue;
                }
                if tag.contains(char::is_whitespace) {
                    return Err(LineProblem::new(
                        line.number,
                        format!(
                            "a tag may not contain whitespace: `@{tag}` (write `@{}`)",
                            tag.replace(char::is_whitespace, "-")
                        ),
                    ));
                }
                tags.push(tag.to_owned());
            }
        }
        Ok(last.map(|line| (tags, line)))
    }

    /// The free text under a header, up to the first line that is a keyword this place
    /// allows: comments within it are left out, blank lines kept, except at either end.
    fn description(&mut self, ends_at: &[Header], ends_at_steps: bool, ends_at_rows: bool) -> Description {
        let mut lines: Vec<(usize, &str)> = Vec::new();
        while let Some(line) = self.peek() {
            let ends = line.is_tags()
                || self.is_header(&line, ends_at)
                || (ends_at_steps && self.step_keyword(&line).is_some())
                || (ends_at_rows && line.is_table_row());
            if ends {
                break;
            }
            self.next += 1;
            if line.is_comment() || (lines.is_empty() && line.is_empty()) {
                continue;
            }
            lines.push((line.number, line.raw.trim_end()));
        }
        let mut blank_after = false;
        while lines.last().is_some_and(|(_, line)| line.trim().is_empty()) {
            lines.pop();
            blank_after = true;
        }
        let paragraph_start = lines
            .iter()
            .rposition(|(_, line)| line.trim().is_empty())
            .map_or(0, |blank| blank + 1);
        Description {
            text: (!lines.is_empty())
                .then(|| lines.iter().map(|(_, line)| *line).collect::<Vec<_>>().join("\n")),
            last_paragraph: lines[paragraph_start..]
                .iter()
                .map(|(number, line)| (*number, line.trim().to_owned()))
                .collect(),
            blank_after,
        }
    }

    fn background(&mut self) -> Result<Option<Background>, LineProblem> {
        let Some(line) = self.peek_significant() else {
            return Ok(None);
        };
        let Some((Header::Background, keyword, name)) = self.header(&line) else {
            return Ok(None);
        };
        self.next += 1;
        let description = self
            .description(&[Header::Scenario, Header::Rule], true, false)
            .text;
        let steps = self.steps(false)?;
        Ok(Some(Background {
            keyword: keyword.to_owned(),
            name: name.to_owned(),
            description,
            steps,
            span: line.span(),
            position: line.position(),
        }))
    }

    /// Scenarios until a Rule or the end. Tags belong to what follows them.
    fn scenarios(&mut self) -> Result<Vec<Scenario>, LineProblem> {
        let mut scenarios = Vec::new();
        loop {
            let start = self.next;
            let tags = self.tags()?;
            let Some(line) = self.peek_significant() else {
                return match tags {
                    Some((_, tag_line)) => Err(ends_after_tags(tag_line)),
                    None => Ok(scenarios),
                };
            };
            match self.header(&line) {
                Some((Header::Scenario, keyword, name)) => {
                    self.next += 1;
                    let tags = tags.map(|(tags, _)| tags).unwrap_or_default();
                    scenarios.extend(self.scenario(line, keyword, name, tags)?);
                }
                Some((Header::Rule, ..)) => {
                    self.next = start;
                    return Ok(scenarios);
                }
                _ => return Err(unexpected(line, "`Scenario:`, `Rule:` or tags")),
            }
        }
    }

    /// What follows a `Feature:` or `Rule:` line: its description, background and scenarios.
    fn section(&mut self) -> Result<Section, LineProblem> {
        let description = self
            .description(
                &[Header::Background, Header::Scenario, Header::Rule],
                false,
                false,
            )
            .text;
        Ok((description, self.background()?, self.scenarios()?))
    }

    fn rules(&mut self) -> Result<Vec<Rule>, LineProblem> {
        let mut rules = Vec::new();
        loop {
            let tags = self.tags()?;
            let Some(line) = self.peek_significant() else {
                return match tags {
                    Some((_, tag_line)) => Err(ends_after_tags(tag_line)),
                    None => Ok(rules),
                };
            };
            let Some((Header::Rule, keyword, name)) = self.header(&line) else {
                return Err(unexpected(line, "`Rule:` or tags"));
            };
            self.next += 1;
            let (description, background, scenarios) = self.section()?;
            rules.push(Rule {
                keyword: keyword.to_owned(),
                name: name.to_owned(),
                description,
                background,
                scenarios,
                tags: tags.map(|(tags, _)| tags).unwrap_or_default(),
                span: line.span(),
                position: line.position(),
            });
        }
    }

    /// A scenario, or one scenario per Examples row of an outline.
    fn scenario(
        &mut self,
        line: Line<'a>,
        keyword: &str,
        name: &str,
        tags: Vec<String>,
    ) -> Result<Vec<Scenario>, LineProblem> {
        let description = self.description(&[Header::Examples, Header::Scenario, Header::Rule], true, false);
        let steps = self.steps(true)?;
        if steps.is_empty() || !description.blank_after {
            let scenario_offset = line.span().start;
            self.step_position_lines
                .extend(
                    description
                        .last_paragraph
                        .into_iter()
                        .map(|(line, text)| StepPositionLine {
                            scenario_offset,
                            line,
                            text,
                        }),
                );
        }
        let scenario = Scenario {
            keyword: keyword.to_owned(),
            name: name.to_owned(),
            description: description.text,
            steps,
            examples: Vec::new(),
            tags,
            span: line.span(),
            position: line.position(),
        };
        let mut examples = Vec::new();
        loop {
            let start = self.next;
            let tags = self.tags()?;
            let Some(line) = self.peek_significant() else {
                if let Some((_, tag_line)) = tags {
                    return Err(ends_after_tags(tag_line));
                }
                break;
            };
            let Some((Header::Examples, keyword, name)) = self.header(&line) else {
                // Tags before the next Scenario or Rule are theirs.
                self.next = start;
                break;
            };
            self.next += 1;
            examples.push(self.examples(
                line,
                keyword,
                name,
                tags.map(|(tags, _)| tags).unwrap_or_default(),
            )?);
        }
        if examples.is_empty() {
            return Ok(vec![scenario]);
        }
        let mut expanded = Vec::new();
        for (block, rows) in examples {
            expanded.extend(expand(&scenario, &block, &rows)?);
        }
        Ok(expanded)
    }

    /// An Examples block and the lines of its table's rows.
    fn examples(
        &mut self,
        line: Line<'a>,
        keyword: &str,
        name: &str,
        tags: Vec<String>,
    ) -> Result<(Examples, Vec<Line<'a>>), LineProblem> {
        let description = self
            .description(&[Header::Examples, Header::Scenario, Header::Rule], false, true)
            .text;
        let (table, rows) = match self.peek_significant() {
            Some(row) if row.is_table_row() => {
                let (table, rows) = self.table()?;
                (Some(table), rows)
            }
            _ => (None, Vec::new()),
        };
        let examples = Examples {
            keyword: keyword.to_owned(),
            name: (!name.is_empty()).then(|| name.to_owned()),
            description,
            table,
            tags,
            span: line.span(),
            position: line.position(),
        };
        Ok((examples, rows))
    }

    /// Steps, each with its table and doc string, up to the next line that is not a step.
    fn steps(&mut self, examples_may_follow: bool) -> Result<Vec<Step>, LineProblem> {
        self.last_step_type = StepType::Given;
        let mut steps = Vec::new();
        while let Some(line) = self.peek_significant() {
            if let Some((keyword, ty)) = self.step_keyword(&line) {
                self.next += 1;
                steps.push(self.step(line, keyword, ty)?);
                continue;
            }
            let mut allowed = vec![Header::Scenario, Header::Rule];
            if examples_may_follow {
                allowed.push(Header::Examples);
            }
            if line.is_tags() || self.is_header(&line, &allowed) {
                break;
            }
            let expected = if examples_may_follow {
                "a step (`Given`, `When`, `Then`, `And`, `But`), a table, a doc string, `Examples:`, `Scenario:`, `Rule:` or tags"
            } else {
                "a step (`Given`, `When`, `Then`, `And`, `But`), a table, a doc string, `Scenario:`, `Rule:` or tags"
            };
            return Err(match line.fence() {
                Some(_) if steps.last().is_some_and(|step: &Step| step.docstring.is_some()) => {
                    LineProblem::new(
                        line.number,
                        "a step's doc string is repeated: a step takes one doc string (and at most one table)",
                    )
                }
                _ => unexpected(line, expected),
            });
        }
        Ok(steps)
    }

    fn step(
        &mut self,
        line: Line<'a>,
        keyword: &'static str,
        ty: Option<StepType>,
    ) -> Result<Step, LineProblem> {
        let ty = ty.unwrap_or(self.last_step_type);
        self.last_step_type = ty;
        let mut step = Step {
            keyword: keyword.to_owned(),
            ty,
            value: line.text[keyword.len()..].trim().to_owned(),
            docstring: None,
            docstring_media_type: None,
            table: None,
            span: line.span(),
            position: line.position(),
        };
        // The reference grammar lets a step carry a table and a doc string (in either order),
        // but no phrase reads both, and a report would show only one: refused, in words.
        while let Some(next) = self.peek_significant() {
            let second_argument = (next.is_table_row() && step.docstring.is_some())
                || (next.fence().is_some() && step.table.is_some());
            if second_argument {
                return Err(LineProblem::new(
                    next.number,
                    "this step has both a table and a doc string; Gherkin allows it, but no shakedown phrase reads both: keep the one its phrase takes",
                ));
            }
            if next.is_table_row() && step.table.is_none() {
                step.table = Some(self.table()?.0);
            } else if let Some(fence) = next.fence()
                && step.docstring.is_none()
            {
                self.next += 1;
                let (content, media_type) = self.doc_string(next, fence)?;
                step.docstring = Some(content);
                step.docstring_media_type = media_type;
            } else {
                break;
            }
        }
        Ok(step)
    }

    /// A doc string's content and media type; the fence's indentation is removed from every line.
    fn doc_string(&mut self, open: Line<'a>, fence: &str) -> Result<(String, Option<String>), LineProblem> {
        let media_type = open.text[fence.len()..].trim();
        let escaped_fence: String = fence.chars().flat_map(|c| ['\\', c]).collect();
        let mut content = Vec::new();
        while let Some(line) = self.peek() {
            self.next += 1;
            if line.text.starts_with(fence) {
                return Ok((
                    content.join("\n"),
                    (!media_type.is_empty()).then(|| media_type.to_owned()),
                ));
            }
            let text = if line.indent >= open.indent {
                let cut = line
                    .raw
                    .char_indices()
                    .nth(open.indent)
                    .map_or(line.raw.len(), |(at, _)| at);
                &line.raw[cut..]
            } else {
                line.text
            };
            content.push(text.replace(&escaped_fence, fence));
        }
        Err(LineProblem::new(
            open.number,
            format!("the file ends inside the doc string opened here: close it with a line of `{fence}`"),
        ))
    }

    /// A table: its rows (comments and blank lines may sit between them), all as wide as the first.
    fn table(&mut self) -> Result<(Table, Vec<Line<'a>>), LineProblem> {
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut lines = Vec::new();
        while let Some(line) = self.peek_significant() {
            if !line.is_table_row() {
                break;
            }
            self.next += 1;
            let cells = cells(line.text);
            if let Some(first) = rows.first()
                && first.len() != cells.len()
            {
                return Err(LineProblem::new(
                    line.number,
                    format!(
                        "this table row has {} cell(s), but the table's first row has {}",
                        cells.len(),
                        first.len()
                    ),
                ));
            }
            rows.push(cells);
            lines.push(line);
        }
        let first = lines[0];
        Ok((
            Table {
                rows,
                span: first.span(),
                position: first.position(),
            },
            lines,
        ))
    }
}

/// The cells of a row: what lies between its `|`s, trimmed of whitespace (non-breaking spaces
/// and tabs too, new lines written as `\n` kept). `\|` is a `|`, `\\` a backslash and `\n` a new line; a backslash before any
/// other character is kept as it is.
fn cells(row: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut characters = row.trim_end().chars().skip(1);
    while let Some(character) = characters.next() {
        match character {
            // A `\n` written at either end of a cell is content, not padding.
            '|' => cells.push(
                std::mem::take(&mut cell)
                    .trim_matches(|c: char| c.is_whitespace() && c != '\n')
                    .to_owned(),
            ),
            '\\' => match characters.next() {
                Some('n') => cell.push('\n'),
                Some(escaped @ ('|' | '\\')) => cell.push(escaped),
                Some(other) => {
                    cell.push('\\');
                    cell.push(other);
                }
                None => cell.push('\\'),
            },
            other => cell.push(other),
        }
    }
    // Text after the last `|` is no cell.
    cells
}

fn ends_after_tags(tag_line: Line<'_>) -> LineProblem {
    LineProblem::new(
        tag_line.number,
        "the file ends after these tags: tags go on the line above a `Scenario:`, `Rule:`, `Examples:` or `Feature:`",
    )
}

fn unexpected(line: Line<'_>, expected: &str) -> LineProblem {
    LineProblem::new(
        line.number,
        format!(
            "this line does not start with a Gherkin keyword that may come here, such as {expected}: it reads {}",
            line.quoted()
        ),
    )
}

/// One scenario per row of an outline's Examples table: `<column>` in the name, step texts, doc
/// strings and tables replaced by the row's values, at the row's own line.
fn expand(outline: &Scenario, examples: &Examples, rows: &[Line<'_>]) -> Result<Vec<Scenario>, LineProblem> {
    static PLACEHOLDER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"<([^>\s](?:[^>\s]?|[^>\t\n\r\v\f]*[^>\s]))>").expect("valid regex"));
    let Some(table) = &examples.table else {
        return Ok(Vec::new());
    };
    let Some((header, values)) = table.rows.split_first() else {
        return Ok(Vec::new());
    };
    // Each row's scenario gets a copy of the block without its whole table: copying every row
    // once per row would grow with the rows squared.
    let block = Examples {
        table: None,
        ..examples.clone()
    };
    let mut expanded = Vec::new();
    for (row, line) in values.iter().zip(&rows[1..]) {
        let fill = |text: &str, at: usize| -> Result<String, LineProblem> {
            let mut missing = None;
            let filled = PLACEHOLDER.replace_all(text, |found: &regex::Captures<'_>| {
                let name = &found[1];
                match header.iter().position(|column| column == name) {
                    Some(column) => row[column].clone(),
                    None => {
                        missing.get_or_insert_with(|| name.to_owned());
                        found[0].to_owned()
                    }
                }
            });
            match missing {
                Some(name) => Err(LineProblem::new(
                    at,
                    format!("the outline uses `<{name}>`, which its Examples table has no column for"),
                )),
                None => Ok(filled.into_owned()),
            }
        };
        let mut scenario = outline.clone();
        scenario.name = fill(&outline.name, outline.position.line)?;
        for step in &mut scenario.steps {
            let at = step.position.line;
            step.value = fill(&step.value, at)?;
            if let Some(docstring) = &mut step.docstring {
                *docstring = fill(docstring, at)?;
            }
            if let Some(media_type) = &mut step.docstring_media_type {
                *media_type = fill(media_type, at)?;
            }
            for cell in step
                .table
                .iter_mut()
                .flat_map(|table| table.rows.iter_mut().flatten())
            {
                *cell = fill(cell, at)?;
            }
        }
        scenario.position = line.position();
        scenario.tags.extend(examples.tags.iter().cloned());
        scenario.examples = vec![Examples {
            table: Some(Table {
                rows: vec![header.clone(), row.clone()],
                span: table.span,
                position: table.position,
            }),
            ..block.clone()
        }];
        expanded.push(scenario);
    }
    Ok(expanded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feature(text: &str) -> Feature {
        read(text, Path::new("t.feature"))
            .expect("reads")
            .feature
            .expect("a feature")
    }

    #[test]
    fn the_longest_keyword_of_a_language_wins() {
        let read = feature("# language: ht\nKarakteristik: F\n  Senaryo: s\n    Sipoze ke x\n    Sipoze y\n");
        let steps = &read.scenarios[0].steps;
        assert_eq!(
            (steps[0].keyword.as_str(), steps[0].value.as_str()),
            ("Sipoze ke ", "x")
        );
        assert_eq!(
            (steps[1].keyword.as_str(), steps[1].value.as_str()),
            ("Sipoze ", "y")
        );
    }

    #[test]
    fn cells_keep_backslashes_and_lose_padding_of_any_kind() {
        assert_eq!(
            cells("| C:\\Temp | \\d{4} |\u{a0}a\u{a0}|\tb\t| \\| | \\n |"),
            ["C:\\Temp", "\\d{4}", "a", "b", "|", "\n"]
        );
    }

    #[test]
    fn a_misspelt_step_just_above_the_first_step_is_a_step_position() {
        let read = read(
            "Feature: F\n  Scenario: s\n    Scenarios that cover this\n\n    Whenn I request \"/\"\n    Then x\n",
            Path::new("t.feature"),
        )
        .expect("reads");
        let lines: Vec<usize> = read.step_position_lines.iter().map(|line| line.line).collect();
        assert_eq!(lines, [5]);
    }
}
