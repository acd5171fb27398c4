//! The live step catalogue: every phrase the step library has registered, with its meaning and
//! an example, all written once at the phrase's own function (`#[phrase]`). It is read from what
//! the binary actually holds, so a step the linker dropped shows as missing instead of being
//! advertised, and `docs/steps.md` is generated from it.

use std::sync::LazyLock;

use cucumber::codegen::{StepConstructor, WorldInventory, inventory};
use cucumber::step::{Collection, Location};
use regex::Regex;

use crate::argument;
use crate::failure::StepFailure;
use crate::world::ShakedownWorld;

/// What `#[phrase]` records of one phrase.
pub struct Documented {
    /// The phrase as a cucumber expression.
    pub phrase: &'static str,
    /// A step line that uses it, without its keyword.
    pub example: &'static str,
    /// The function's doc comment.
    pub meaning: &'static str,
    /// Whether the phrase's first `{string}` names a role.
    pub names_role: bool,
    /// Whether the phrase acts as every role of the environment.
    pub needs_every_role: bool,
    /// Whether a scenario holding the phrase looks at a server, and so runs once per host.
    pub runs_on_host: bool,
    /// Whether the phrase's first argument is the response status the scenario expects.
    pub checks_status: bool,
    /// Whether the phrase is a check (it says what *should* be), which may wait: `within N
    /// seconds …`.
    pub may_wait: bool,
    /// Reads the phrase's arguments (as its regex captured them) into their kinds, as the step
    /// does when it runs.
    pub read_arguments: fn(&[&str]) -> Result<(), StepFailure>,
    /// The domain that groups it in the catalogue (`http`, `probes`): its file's `PHRASE_DOMAIN`.
    pub domain: &'static str,
}

inventory::collect!(Documented);

/// The phrases whose first `{string}` names a role of `[roles]`, as cucumber expressions.
pub fn role_phrases() -> impl Iterator<Item = &'static str> {
    inventory::iter::<Documented>
        .into_iter()
        .filter(|documented| documented.names_role)
        .map(|documented| documented.phrase)
}

/// The phrases that act as every role of the environment, as cucumber expressions.
pub fn every_role_phrases() -> impl Iterator<Item = &'static str> {
    inventory::iter::<Documented>
        .into_iter()
        .filter(|documented| documented.needs_every_role)
        .map(|documented| documented.phrase)
}

/// Why a step line's arguments cannot be what its phrase takes (a status of 1000, a port of
/// -1, a JSONPath that does not parse), read as the step would read them when it runs; `None`
/// when they can, or when no phrase matches the line.
pub fn argument_problem(step_text: &str) -> Option<StepFailure> {
    if let Err(failure) = crate::waiting::wait_of(step_text) {
        return Some(failure);
    }
    let step_text = crate::waiting::without_wait(step_text);
    static PHRASES: LazyLock<Vec<(Regex, &'static Documented)>> = LazyLock::new(|| {
        inventory::iter::<Documented>
            .into_iter()
            .filter_map(|documented| {
                Some((
                    cucumber::codegen::Expression::regex(documented.phrase).ok()?,
                    documented,
                ))
            })
            .collect()
    });
    PHRASES.iter().find_map(|(regex, documented)| {
        let arguments = argument::captured(regex, step_text)?;
        (documented.read_arguments)(&arguments).err()
    })
}

/// One registered phrase.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Entry {
    /// The domain that groups it in the catalogue: `http`, `session`, ...
    pub domain: String,
    /// The phrase as a cucumber expression.
    pub phrase: String,
    /// A step line that uses it.
    pub example: String,
    /// What it checks or does.
    pub meaning: String,
    /// The Gherkin keywords whose steps match the example; every phrase should have all three.
    pub keywords: Vec<&'static str>,
}

/// The sections of the vocabulary, in reading order: title, the domains it holds, a note.
const SECTIONS: &[(&str, &[&str], &str)] = &[
    ("Who is looking", &["session"], ""),
    ("HTTP", &["http"], ""),
    ("Browser (WebDriver)", &["browser"], ""),
    (
        "Who may see what",
        &["access"],
        "`allowed`: a 2xx answer that is not the login page. `denied`: 401, 403 or 404. `login`: a redirect to\n\
         (or the body of) the configured login page. A failure prints the whole matrix, expected against seen.\n",
    ),
    ("Page content", &["content"], ""),
    ("The public face", &["public"], ""),
    ("Services on the machine", &["probes", "wsgi", "tls"], ""),
];

const INTRODUCTION: &str = "\
Stakeholders write `.feature` files in these phrases and nothing else: they never write Rust.
This list is the product's public interface. Phrases are cucumber expressions: `{string}` is a
quoted string (\"...\" or '...'), `{int}` a whole number, `{word}` one word. Every step works with
any Gherkin keyword (Given/When/Then/And/But) and in every Gherkin language that the parser knows.

A phrase may gain synonyms, and the library may grow, but a phrase listed here keeps its meaning.
This page is generated from the step library (`shakedown steps --format markdown`); a test fails
when it and the library disagree.

Paths like \"/reports/\" are relative to the selected environment's base URL; a full URL is used as
it is. Roles (\"clerk\", \"admin\") are names from the configuration, never credentials.

`${NAME}` in a quoted argument, a table cell or a doc string is the value of the run's variable
`NAME` (`--var NAME=VALUE`, `SHAKEDOWN_VAR_NAME`, or the environment's `vars`); `$${` is a
literal `${`. Every check (a phrase that says what *should* be) may start with `within N
seconds`: it runs again, after the scenario's last GET or HEAD request is sent again, until it
passes or N seconds (at most the scenario's limit) are up, e.g. `Then within 120 seconds the
response JSON at \"$.version\" should be \"${release}\"`.
";

/// Every step `#[phrase]` registered, its regex compiled on first use and only once: compiling
/// the step library is most of what a run does before its first request.
static REGISTERED: LazyLock<Vec<(Location, Regex, cucumber::Step<ShakedownWorld>)>> = LazyLock::new(|| {
    inventory::iter::<<ShakedownWorld as WorldInventory>::Given>
        .into_iter()
        .map(|registered| {
            let (location, regex, step) = registered.inner();
            (location, regex(), step)
        })
        .collect()
});

/// The keywords `collection` offers every phrase under.
const KEYWORDS: [&str; 3] = ["Given", "When", "Then"];

/// The step library as cucumber looks it up: every phrase under every keyword, the three sharing
/// one compiled regex, and every check also with `within N seconds` before it. Built once:
/// `check` and the run both look steps up.
pub fn collection() -> Collection<ShakedownWorld> {
    static COLLECTION: LazyLock<Collection<ShakedownWorld>> = LazyLock::new(|| {
        let checks: Vec<&Regex> = inventory::iter::<Documented>
            .into_iter()
            .filter(|documented| documented.may_wait)
            .filter_map(|documented| patterns().find(|regex| regex.is_match(documented.example)))
            .collect();
        let waiting: Vec<_> = REGISTERED
            .iter()
            .filter(|(_, regex, _)| checks.iter().any(|check| check.as_str() == regex.as_str()))
            .map(|(location, regex, step)| (*location, crate::waiting::waiting_regex(regex), *step))
            .collect();
        REGISTERED.iter().cloned().chain(waiting).fold(
            Collection::new(),
            |collection, (location, regex, step)| {
                collection
                    .given(Some(location), regex.clone(), step)
                    .when(Some(location), regex.clone(), step)
                    .then(Some(location), regex, step)
            },
        )
    });
    COLLECTION.clone()
}

/// The regexes of every registered phrase.
fn patterns() -> impl Iterator<Item = &'static Regex> {
    REGISTERED.iter().map(|(_, regex, _)| regex)
}

/// Every documented phrase, with the keywords it is registered for (none when its example
/// matches no registered step), in reading order.
pub fn live() -> Vec<Entry> {
    let mut entries: Vec<Entry> = inventory::iter::<Documented>
        .into_iter()
        .map(|documented| {
            let registered = patterns().any(|regex| regex.is_match(documented.example));
            let keywords = if registered { KEYWORDS.to_vec() } else { Vec::new() };
            Entry {
                domain: documented.domain.to_owned(),
                phrase: documented.phrase.to_owned(),
                example: documented.example.to_owned(),
                meaning: documented.meaning.to_owned(),
                keywords,
            }
        })
        .collect();
    entries.sort_by_key(|entry| {
        (
            section_of(&entry.domain),
            entry.domain.clone(),
            entry.phrase.clone(),
        )
    });
    entries
}

/// The step lines whose phrase declares `runs_on_host`: a scenario holding one looks at a server
/// and runs once per host.
pub struct HostSteps {
    patterns: Vec<Regex>,
}

impl HostSteps {
    pub fn new() -> Self {
        let patterns = inventory::iter::<Documented>
            .into_iter()
            .filter(|documented| documented.runs_on_host)
            .filter_map(|documented| {
                patterns()
                    .find(|regex| regex.is_match(documented.example))
                    .cloned()
            })
            .collect();
        Self { patterns }
    }

    /// Whether a step line looks at a server rather than at the site.
    pub fn runs_on_host(&self, step_text: &str) -> bool {
        let step_text = crate::waiting::without_wait(step_text);
        self.patterns.iter().any(|regex| regex.is_match(step_text))
    }
}

impl Default for HostSteps {
    fn default() -> Self {
        Self::new()
    }
}

/// The status a step line names, as written, when its phrase declares `checks_status`: the text
/// after the phrase's words before its first parameter (`200`, or an outline's `<status>`).
pub(crate) fn checked_status(step_text: &str) -> Option<&str> {
    let text = crate::waiting::without_wait(step_text).trim();
    inventory::iter::<Documented>
        .into_iter()
        .filter(|documented| documented.checks_status)
        .find_map(|documented| text.strip_prefix(words_before_parameters(documented.phrase)))
        .map(str::trim)
}

/// `the response status should be ` of `the response status should be {int}`.
fn words_before_parameters(phrase: &str) -> &str {
    phrase.split_once('{').map_or(phrase, |(words, _)| words)
}

/// A step line of `phrase` (a cucumber expression, as a `text = NAME` constant holds it) with
/// `arguments` in its parameters' places, in order, each as the line shows it (a string in its
/// quotes): what `init` and the baseline write.
pub fn step_line(phrase: &str, arguments: &[&str]) -> String {
    let mut line = String::new();
    let mut rest = phrase;
    let mut arguments = arguments.iter();
    while let Some((before, after)) = rest.split_once('{') {
        line.push_str(before);
        let Some((_, after)) = after.split_once('}') else {
            break;
        };
        line.push_str(arguments.next().copied().unwrap_or_default());
        rest = after;
    }
    line.push_str(rest);
    line
}

/// Where a domain's phrases appear in the vocabulary; unknown domains come last.
fn section_of(domain: &str) -> usize {
    SECTIONS
        .iter()
        .position(|(_, domains, _)| domains.contains(&domain))
        .unwrap_or(SECTIONS.len())
}

/// The vocabulary page, `docs/steps.md`, made from the catalogue.
pub fn reference_page(entries: &[Entry]) -> String {
    let mut page = format!("# The step vocabulary\n\n{INTRODUCTION}");
    for (index, (title, _, note)) in SECTIONS.iter().enumerate() {
        let rows: Vec<&Entry> = entries
            .iter()
            .filter(|entry| section_of(&entry.domain) == index)
            .collect();
        if rows.is_empty() {
            continue;
        }
        page.push_str(&format!(
            "\n## {title}\n| phrase | meaning | example |\n|---|---|---|\n"
        ));
        for entry in rows {
            page.push_str(&format!(
                "| `{}` | {} | `{}` |\n",
                entry.phrase,
                entry.meaning.replace('|', "\\|"),
                entry.example.replace('|', "\\|")
            ));
        }
        if !note.is_empty() {
            page.push_str(&format!("\n{note}"));
        }
    }
    page
}

/// The phrase closest to a step line nobody implements, if any is likely what was meant.
pub fn closest<'a>(step_text: &str, entries: &'a [Entry]) -> Option<&'a Entry> {
    crate::suggest::closest(&shape_of(step_text), entries, |entry| &entry.phrase)
}

/// A step line with its arguments replaced by parameter names, to compare it with phrases.
fn shape_of(step_text: &str) -> String {
    static ARGUMENTS: std::sync::LazyLock<[(Regex, &str); 2]> = std::sync::LazyLock::new(|| {
        [
            (Regex::new(r#""[^"]*"|'[^']*'"#).expect("valid regex"), "{string}"),
            (Regex::new(r"\b-?\d+\b").expect("valid regex"), "{int}"),
        ]
    });
    ARGUMENTS
        .iter()
        .fold(step_text.to_owned(), |text, (pattern, name)| {
            pattern.replace_all(&text, *name).into_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_is_registered_for_every_keyword_and_its_example_matches() {
        let entries = live();
        assert!(entries.len() > 40, "{entries:#?}");
        for entry in &entries {
            assert_eq!(entry.keywords, ["Given", "When", "Then"], "{}", entry.phrase);
            assert!(section_of(&entry.domain) < SECTIONS.len(), "{entry:?}");
        }
    }

    #[test]
    fn the_collection_finds_every_example_under_every_keyword_and_nothing_else() {
        use cucumber::gherkin::{Step, StepType};

        let collection = collection();
        let step = |ty, value: &str| Step {
            keyword: String::new(),
            ty,
            value: value.to_owned(),
            docstring: None,
            docstring_media_type: None,
            table: None,
            span: Default::default(),
            position: Default::default(),
        };
        for entry in live() {
            for ty in [StepType::Given, StepType::When, StepType::Then] {
                let found = collection.find(&step(ty, &entry.example));
                assert!(
                    matches!(found, Ok(Some(_))),
                    "`{}` as {ty:?}: {:?}",
                    entry.example,
                    found.map(|found| found.is_some())
                );
            }
        }
        let unknown = collection.find(&step(StepType::Then, "the moon is made of cheese"));
        assert!(
            matches!(unknown, Ok(None)),
            "{:?}",
            unknown.map(|found| found.is_some())
        );
    }

    #[test]
    fn the_phrases_check_reads_roles_from_are_registered_ones() {
        let naming_roles: Vec<&str> = role_phrases().collect();
        assert_eq!(naming_roles.len(), 5, "{naming_roles:?}");
        assert!(naming_roles.contains(&"I am logged in as {string}"));
        for phrase in naming_roles {
            assert!(phrase.contains("{string}"), "{phrase}");
        }
    }

    #[test]
    fn every_registered_step_is_documented() {
        let documented = live().len();
        let registered = patterns().count();
        assert_eq!(documented, registered);
    }

    #[test]
    fn the_committed_vocabulary_page_is_the_generated_one() {
        let committed = include_str!("../../docs/steps.md");
        let generated = reference_page(&live());
        assert!(
            committed == generated,
            "docs/steps.md is out of date: run `cargo run --release -- steps --format markdown > docs/steps.md`"
        );
    }

    #[test]
    fn step_lines_are_told_apart_by_what_they_look_at() {
        let host_steps = HostSteps::new();
        assert!(host_steps.runs_on_host("the service \"cron\" should be running"));
        assert!(host_steps.runs_on_host("the WSGI file \"a.py\" should load with the virtualenv \"v\""));
        assert!(
            host_steps
                .runs_on_host("nothing on the server should have regressed since the baseline \"b.json\"")
        );
        assert!(!host_steps.runs_on_host("I request \"/\""));
        assert!(
            !host_steps.runs_on_host("the TLS certificate of \"a.test\" should be valid for at least 5 days")
        );
        assert!(!host_steps.runs_on_host("the moon is cheese"));
    }

    #[test]
    fn the_status_a_step_checks_is_read_where_its_phrase_declares_it() {
        assert_eq!(checked_status(" the response status should be 404 "), Some("404"));
        assert_eq!(
            checked_status("the response status should be <status>"),
            Some("<status>")
        );
        assert_eq!(checked_status("I request \"/\""), None);
    }

    #[test]
    fn a_step_line_is_its_phrase_with_the_arguments_in_place() {
        assert_eq!(
            step_line(
                "the response header {string} should contain {string}",
                &["\"Vary\"", "\"<x>\""]
            ),
            "the response header \"Vary\" should contain \"<x>\""
        );
        assert_eq!(step_line("I am not logged in", &[]), "I am not logged in");
    }

    #[test]
    fn a_misspelt_step_finds_its_phrase() {
        let entries = live();
        let found = closest("the response stauts should be 200", &entries).expect("close enough");
        assert_eq!(found.phrase, "the response status should be {int}");
        assert!(closest("the moon should be made of cheese", &entries).is_none());
    }
}
