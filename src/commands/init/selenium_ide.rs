//! `init --from-selenium-ide FILE.side`: each test of a Selenium IDE project becomes a browser
//! feature in shakedown's phrases. A command the phrases cannot say stays a comment at its place,
//! with the reason, and is listed; a typed password becomes a role to log in as, and the
//! password itself is never written.

use serde::Deserialize;

use super::gherkin::{comment_text, quoted};

/// A Selenium IDE project, as its JSON holds it (only what is translated is read).
#[derive(Deserialize)]
struct SideProject {
    #[serde(default)]
    url: String,
    tests: Vec<SideTest>,
}

#[derive(Deserialize)]
struct SideTest {
    name: String,
    commands: Vec<SideCommand>,
}

#[derive(Deserialize)]
struct SideCommand {
    command: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    value: String,
}

/// One test, written as a feature.
pub struct TranslatedTest {
    /// The file name it goes to, from the test's name.
    pub file_name: String,
    pub text: String,
    /// Each command left as a comment: `test: command target: reason`.
    pub untranslated: Vec<String>,
    /// The roles its logins use: name and the user name typed.
    pub roles: Vec<(String, String)>,
    /// The page its first login's form was on: the path it last opened before the password.
    pub login_path: Option<String>,
}

/// Every test of the project in `text`; `source` names the file in the features' description.
pub fn translate(source: &str, text: &str) -> Result<Vec<TranslatedTest>, String> {
    let project: SideProject = serde_json::from_str(text).map_err(|error| {
        format!("not a Selenium IDE project (`.side` JSON with `tests` and their `commands`): {error}")
    })?;
    let base = project.url.trim_end_matches('/').to_owned();
    Ok(project
        .tests
        .iter()
        .map(|test| translate_test(source, &base, test))
        .collect())
}

/// What one command becomes.
enum Line {
    Step(String),
    /// Left as a comment, with the reason.
    Untranslated(String),
}

fn translate_test(source: &str, base: &str, test: &SideTest) -> TranslatedTest {
    let mut lines: Vec<(String, Line)> = Vec::new();
    let mut roles = Vec::new();
    let mut opened: Option<String> = None;
    let mut login_path = None;
    let commands = &test.commands;
    let mut index = 0;
    while index < commands.len() {
        let command = &commands[index];
        let written = format!("{} {}", command.command, command.target)
            .trim()
            .to_owned();
        // A login: the user name typed, then the password, then the form submitted.
        if is_typing(command) && is_password_field(&command.target) {
            let username = index
                .checked_sub(1)
                .map(|previous| &commands[previous])
                .filter(|previous| is_typing(previous) && !is_password_field(&previous.target))
                .map(|previous| previous.value.clone());
            if username.is_some() {
                lines.pop();
            }
            let username = username.unwrap_or_default();
            let role = role_name(&username);
            roles.push((role.clone(), username));
            login_path = login_path.or_else(|| opened.clone());
            lines.push((written, Line::Step(format!("Given I am logged in as \"{role}\""))));
            // The click that submits the form is the login step's own work now.
            if commands
                .get(index + 1)
                .is_some_and(|next| next.command == "click" || next.command == "submit")
            {
                index += 1;
            }
            index += 1;
            continue;
        }
        if command.command == "open" {
            opened = opened_path(base, &command.target);
        }
        lines.push((written, step_for(base, command)));
        index += 1;
    }
    let mut text = format!(
        "@browser\nFeature: {}\n  Imported by `shakedown init` from the Selenium IDE test `{}` of {source}.\n  Commands the browser phrases cannot say are comments at their place, with the reason.\n\n  Scenario: {}\n",
        comment_text(&test.name),
        comment_text(&test.name),
        comment_text(&test.name)
    );
    let mut untranslated = Vec::new();
    let mut steps = 0;
    for (written, line) in lines {
        match line {
            Line::Step(step) => {
                steps += 1;
                text.push_str(&format!("    {step}\n"));
            }
            Line::Untranslated(reason) => {
                let entry = format!("{}: `{}`: {reason}", test.name, comment_text(&written));
                text.push_str(&format!(
                    "    # not translated: `{}`: {reason}\n",
                    comment_text(&written)
                ));
                untranslated.push(entry);
            }
        }
    }
    if steps == 0 {
        // A scenario without steps would pass proving nothing.
        text.push_str("    # nothing of this test could be translated\n");
    }
    TranslatedTest {
        file_name: file_name(&test.name),
        text,
        untranslated,
        roles,
        login_path,
    }
}

fn step_for(base: &str, command: &SideCommand) -> Line {
    let quote = |text: &str, step: &dyn Fn(String) -> String| match quoted(text) {
        Some(text) => Line::Step(step(text)),
        None => Line::Untranslated(
            "its text holds both kinds of quote or a line break, which a step's string cannot carry".into(),
        ),
    };
    match command.command.as_str() {
        disabled if disabled.starts_with("//") => {
            Line::Untranslated("disabled in Selenium IDE".into())
        }
        "open" => match opened_path(base, &command.target) {
            Some(path) => quote(&path, &|path| format!("When I visit {path}")),
            None => Line::Untranslated(
                "another site than the project's: shakedown visits paths of the environment's site".into(),
            ),
        },
        "click" | "clickAt" => match command.target.split_once('=') {
            Some(("linkText" | "partialLinkText", text)) => quote(text, &|text| format!("When I click {text}")),
            _ => Line::Untranslated(
                "`I click` finds a link or button by its visible text; this locator is not one (record the click on the link text, `linkText=`)".into(),
            ),
        },
        "type" | "sendKeys" => match field_name(&command.target) {
            Some(field) => match (quoted(&field), quoted(&command.value)) {
                (Some(field), Some(value)) => Line::Step(format!("When I fill in {field} with {value}")),
                _ => Line::Untranslated("the field or the text holds both kinds of quote".into()),
            },
            None => Line::Untranslated(
                "`I fill in` finds a field by label, name, id or placeholder; this locator is none of them".into(),
            ),
        },
        "assertText" | "verifyText" | "assertTextPresent" | "verifyTextPresent" => {
            let text = if command.value.is_empty() { &command.target } else { &command.value };
            quote(text, &|text| format!("Then I should see {text}"))
        }
        "assertTitle" | "verifyTitle" => quote(&command.target, &|title| format!("Then the page title should contain {title}")),
        "assertElementPresent" | "verifyElementPresent" | "waitForElementPresent" | "waitForElementVisible"
        | "assertElementVisible" | "verifyElementVisible" => match css_selector(&command.target) {
            Some(selector) => quote(&selector, &|selector| format!("Then I should see an element matching {selector}")),
            None => Line::Untranslated(
                "`I should see an element matching` takes a CSS selector; an XPath or link text locator has none".into(),
            ),
        },
        "pause" => Line::Untranslated("shakedown's browser steps wait for the page themselves, within the step's deadline".into()),
        "select" | "addSelection" | "removeSelection" => {
            Line::Untranslated("no phrase chooses an option of a list".into())
        }
        "check" | "uncheck" => Line::Untranslated("no phrase ticks or clears a checkbox".into()),
        other => Line::Untranslated(format!("no phrase does what `{other}` does")),
    }
}

/// The path an `open` visits on the project's site (`base` taken off); `None` for another site.
fn opened_path(base: &str, target: &str) -> Option<String> {
    let target = target.trim();
    let path = match target.strip_prefix(base) {
        Some(path) if !base.is_empty() => path,
        _ => target,
    };
    if !path.starts_with('/') && path.contains("://") {
        return None;
    }
    Some(if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    })
}

fn is_typing(command: &SideCommand) -> bool {
    matches!(command.command.as_str(), "type" | "sendKeys")
}

/// A field whose locator says it takes a password.
fn is_password_field(target: &str) -> bool {
    let target = target.to_ascii_lowercase();
    target.contains("password") || target.contains("passwd") || target.contains("type=password")
}

/// What `I fill in` finds a field by: an `id=` or `name=` locator, or a CSS selector that is
/// one id.
fn field_name(target: &str) -> Option<String> {
    match target.split_once('=') {
        Some(("id" | "name", name)) => Some(name.to_owned()),
        Some(("css", selector)) => selector
            .strip_prefix('#')
            .filter(|id| id.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_'))
            .map(str::to_owned),
        _ => None,
    }
}

/// The CSS selector a locator stands for, where it has one.
fn css_selector(target: &str) -> Option<String> {
    match target.split_once('=') {
        Some(("css", selector)) => Some(selector.to_owned()),
        Some(("id", id)) if id.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') => {
            Some(format!("#{id}"))
        }
        Some(("name", name)) if !name.contains(['"', '\\']) => Some(format!("[name=\"{name}\"]")),
        _ => None,
    }
}

/// A role's name from the user name typed: letters, digits, `-` and `_`, or `user`.
fn role_name(username: &str) -> String {
    let name: String = username
        .split('@')
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    if name.is_empty() {
        "user".to_owned()
    } else {
        name.to_ascii_lowercase()
    }
}

/// A feature file name from a test's name: `features/selenium/<name>.feature`.
fn file_name(test: &str) -> String {
    let slug: String = test
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let slug = slug
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!(
        "features/selenium/{}.feature",
        if slug.is_empty() { "test" } else { &slug }
    )
}
