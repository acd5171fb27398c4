//! docs/configuration.md, generated from `defaults.toml` and its comments: every key of
//! shakedown.toml with its default and what it means, so the page cannot drift from the defaults
//! the binary embeds. `SHAKEDOWN_UPDATE_DOCS=1 cargo test --release configuration_page` rewrites
//! the committed page after `defaults.toml` changes.

use super::load::known_keys;
use super::source::DEFAULTS;

/// A table of the file, as `defaults.toml` documents it.
struct Table {
    /// Its keys from the file's root; `"*"` stands for any entry's name.
    path: Vec<String>,
    about: Vec<String>,
    keys: Vec<Key>,
}

struct Key {
    name: String,
    /// The value as written: the default, or for a commented-out key an example of one.
    value: String,
    has_default: bool,
    about: Vec<String>,
}

/// Tables whose entries a project writes as an array of tables (`[[content.allow]]`), not by name.
const WRITTEN_AS_ARRAY: [&str; 1] = ["content.allow"];

/// The first comment block (up to the first blank line), and every table with its keys. A
/// comment block belongs to the header or key below it; a commented-out `key = value` line
/// whose key the table reads is a key without a default.
fn read(text: &str) -> (Vec<String>, Vec<Table>) {
    let mut intro = None;
    let mut comments: Vec<String> = Vec::new();
    let mut tables = vec![Table {
        path: Vec::new(),
        about: Vec::new(),
        keys: Vec::new(),
    }];
    for line in text.lines().map(str::trim) {
        let table = tables.last_mut().expect("the root table is always there");
        if line.is_empty() {
            if intro.is_none() {
                intro = Some(std::mem::take(&mut comments));
            }
        } else if let Some(header) = line.strip_prefix('[') {
            let path = header
                .trim_end_matches(']')
                .split('.')
                .map(|segment| segment.trim_matches('"').to_owned())
                .collect();
            tables.push(Table {
                path,
                about: std::mem::take(&mut comments),
                keys: Vec::new(),
            });
        } else if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.strip_prefix(' ').unwrap_or(comment);
            match key_line(comment).filter(|(name, _)| known_keys(&table.path).contains(name)) {
                Some((name, value)) => table.keys.push(Key {
                    name: name.to_owned(),
                    value: value.to_owned(),
                    has_default: false,
                    about: std::mem::take(&mut comments),
                }),
                None => comments.push(comment.to_owned()),
            }
        } else if let Some((name, value)) = key_line(line) {
            table.keys.push(Key {
                name: name.to_owned(),
                value: value.to_owned(),
                has_default: true,
                about: std::mem::take(&mut comments),
            });
        }
    }
    (intro.unwrap_or_default(), tables)
}

/// `name = value`, the only way `defaults.toml` writes a key.
fn key_line(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(" = ")?;
    let is_name = !name.is_empty()
        && name
            .chars()
            .all(|character| character.is_ascii_lowercase() || character == '_');
    is_name.then_some((name, value))
}

/// How a project writes the table's header.
fn header(path: &[String]) -> String {
    let named: Vec<&str> = path
        .iter()
        .map(|segment| match segment.as_str() {
            "*" => "NAME",
            other => other,
        })
        .collect();
    let joined = named.join(".");
    match joined.strip_suffix(".NAME") {
        Some(array) if WRITTEN_AS_ARRAY.contains(&array) => format!("`[[{array}]]`"),
        _ => format!("`[{joined}]`"),
    }
}

fn cell(lines: &[String]) -> String {
    lines.join(" ").replace('|', "\\|")
}

/// The page: the file's own introduction, then each table with its keys in the file's order.
pub fn configuration_page() -> String {
    let (intro, tables) = read(DEFAULTS);
    let mut page = String::from(
        "# Configuration\n\n\
         Every key of `shakedown.toml`, its default and what it means. This page is generated from\n\
         [src/config/defaults.toml](../src/config/defaults.toml), the defaults built into the\n\
         binary, and its comments; a test fails when the two disagree. Examples of each section\n\
         at work are in [the guide](guide.md) and [servers.md](servers.md).\n\n",
    );
    page.push_str(&intro.join("\n"));
    page.push('\n');
    for table in tables
        .iter()
        .filter(|table| !table.keys.is_empty() || !table.about.is_empty())
    {
        let title = match table.path.is_empty() {
            true => "Top level".to_owned(),
            false => header(&table.path),
        };
        page.push_str(&format!("\n## {title}\n\n"));
        if !table.about.is_empty() {
            page.push_str(&table.about.join("\n"));
            page.push_str("\n\n");
        }
        page.push_str("| key | default | meaning |\n|---|---|---|\n");
        for key in &table.keys {
            let default = match key.has_default {
                true => format!("`{}`", key.value.replace('|', "\\|")),
                false => format!("none (e.g. `{}`)", key.value.replace('|', "\\|")),
            };
            page.push_str(&format!(
                "| `{}` | {default} | {} |\n",
                key.name,
                cell(&key.about)
            ));
        }
    }
    page
}

#[test]
fn the_committed_configuration_page_is_the_generated_one() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md");
    let generated = configuration_page();
    if std::env::var_os("SHAKEDOWN_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/configuration.md");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/configuration.md is out of date: run `SHAKEDOWN_UPDATE_DOCS=1 cargo test --release configuration_page`"
    );
}

/// A key the sections read but `defaults.toml` does not document would be missing from the page:
/// each gets a default or a commented-out example, with a comment saying what it means.
#[test]
fn every_key_the_sections_read_is_documented_in_the_defaults() {
    let (_, tables) = read(DEFAULTS);
    for table in &tables {
        for known in known_keys(&table.path) {
            let mut below = table.path.clone();
            below.push((*known).to_owned());
            let documented = table.keys.iter().any(|key| key.name == *known)
                || tables.iter().any(|other| other.path.starts_with(&below));
            assert!(
                documented,
                "`{known}` under `{}` is read but not in defaults.toml: give it a default, or a \
                 commented-out example (`# {known} = …`), with a comment above it saying what it means",
                table.path.join(".")
            );
        }
        for key in &table.keys {
            assert!(
                !key.about.is_empty(),
                "defaults.toml: `{}` under `{}` has no comment saying what it means",
                key.name,
                table.path.join(".")
            );
        }
    }
}
