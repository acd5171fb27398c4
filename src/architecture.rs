//! The layers' directions, checked: docs/ARCHITECTURE.md draws the pipeline (commands → plan →
//! run → report, audit after the run) and the step library's floors (ground floor, machine,
//! domains, World); these tests read every source file's `crate::` paths and fail on a path
//! that goes the wrong way, so a shortcut shows up in review as a failing test, not as a
//! circle found a year later.

use std::path::{Path, PathBuf};

/// A module path's first segment after `crate::` in every non-test line of `file`, with the line.
fn crate_paths(file: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(file).expect("a source file");
    // Test modules may reach anywhere to build their fixtures.
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
    let mut found = Vec::new();
    for (index, line) in code.lines().enumerate() {
        let line = line.trim_start();
        if line.starts_with("//") {
            continue;
        }
        for (at, _) in line.match_indices("crate::") {
            let rest = &line[at + "crate::".len()..];
            let names: Vec<&str> = match rest.strip_prefix('{') {
                // `use crate::{a, b::c};`
                Some(group) => group
                    .split('}')
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .map(|item| item.trim().split("::").next().unwrap_or_default())
                    .collect(),
                None => vec![
                    rest.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .next()
                        .unwrap_or_default(),
                ],
            };
            found.extend(
                names
                    .into_iter()
                    .filter(|name| !name.is_empty())
                    .map(|name| (index + 1, name.to_owned())),
            );
        }
    }
    found
}

/// Every `.rs` file under `folder`, or the file itself.
fn sources(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Where `from` (a folder or a file of `root`) may not reach: each `crate::NAME` its files name
/// must not be one of `forbidden`.
fn wrong_ways(root: &str, from: &str, forbidden: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(root);
    let mut found = Vec::new();
    for file in sources(&root.join(from)) {
        for (line, name) in crate_paths(&file) {
            if forbidden.contains(&name.as_str()) {
                let shown = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
                found.push(format!("{shown}:{line} reaches `crate::{name}`"));
            }
        }
    }
    found
}

/// The step library's domains: each sits on the machine seam and the ground floor, never on
/// another's internals through the World.
const DOMAINS: &[&str] = &[
    "http", "browser", "session", "access", "content", "tls", "wsgi", "probes", "baseline",
];

/// The step library's ground floor: what every layer above may use and which uses none of them.
const GROUND_FLOOR: &[&str] = &[
    "deadline", "failure", "text", "redact", "site", "argument", "locked", "suggest",
];

#[test]
fn the_pipeline_never_reaches_backwards() {
    let rules: &[(&str, &[&str])] = &[
        ("run", &["commands", "audit"]),
        ("plan", &["run", "report", "audit", "commands"]),
        ("report", &["plan", "run", "audit", "commands"]),
        ("config", &["plan", "run", "report", "audit", "commands"]),
        ("audit", &["run", "commands"]),
        ("cli.rs", &["plan", "run", "report", "audit", "commands"]),
    ];
    let found: Vec<String> = rules
        .iter()
        .flat_map(|(from, forbidden)| wrong_ways("src", from, forbidden))
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_step_library_stands_on_its_floors() {
    let above_machine: Vec<&str> = DOMAINS
        .iter()
        .chain(&["world", "context", "catalogue"])
        .copied()
        .collect();
    let above_ground: Vec<&str> = above_machine
        .iter()
        .chain(&["machine", "children", "written", "read_input"])
        .copied()
        .collect();
    let mut found = wrong_ways("steps/src", "machine", &above_machine);
    for floor in GROUND_FLOOR {
        found.extend(wrong_ways("steps/src", &format!("{floor}.rs"), &above_ground));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn only_a_domains_phrases_know_the_world() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("steps/src");
    let mut found = Vec::new();
    for file in sources(&root) {
        let relative = file.strip_prefix(&root).unwrap_or(&file);
        // The World itself, the crate root that exports it, the catalogue that collects the
        // phrases for it, the wait that runs any check again on it, and each domain's phrase file.
        let allowed = ["world.rs", "lib.rs", "catalogue.rs", "waiting.rs"]
            .iter()
            .any(|name| relative == Path::new(name))
            || relative.file_name().is_some_and(|name| name == "steps.rs");
        if allowed {
            continue;
        }
        for (line, name) in crate_paths(&file) {
            if name == "world" {
                found.push(format!("{}:{line} reaches `crate::world`", relative.display()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn the_checker_finds_a_path_in_a_use_group() {
    let file = tempfile::NamedTempFile::new().expect("a file");
    std::fs::write(
        file.path(),
        "use crate::{error::Error, run::execute};\nfn f() { crate::audit::x(); }\n// crate::commands\n",
    )
    .expect("written");
    let names: Vec<String> = crate_paths(file.path())
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    assert_eq!(names, ["error", "run", "audit"]);
}
