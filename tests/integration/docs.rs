//! The README and docs/ link to each other and into the tree: every relative link must lead to a
//! file that exists and, with a `#fragment`, to a heading of that page.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The README and every page of docs/.
fn pages() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pages = vec![root.join("README.md")];
    let docs = std::fs::read_dir(root.join("docs")).expect("read docs/");
    for entry in docs {
        let path = entry.expect("a docs/ entry").path();
        if path.extension().is_some_and(|extension| extension == "md") {
            pages.push(path);
        }
    }
    pages.sort();
    pages
}

/// The page's lines outside fenced code blocks, where a `](…)` or a `#` is prose, not code.
fn prose(text: &str) -> Vec<&str> {
    let mut in_code = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                return false;
            }
            !in_code
        })
        .collect()
}

/// The targets of the page's `[text](target)` and `![alt](target)` links.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose(text) {
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            rest = &rest[start + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            targets.push(rest[..end].to_owned());
            rest = &rest[end..];
        }
    }
    targets
}

/// The fragments GitHub gives the page's headings: lower case, punctuation dropped, spaces as
/// hyphens, a repeated heading numbered.
fn anchors(text: &str) -> BTreeSet<String> {
    let mut anchors = BTreeSet::new();
    for line in prose(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let slug: String = heading
            .trim_start_matches('#')
            .trim()
            .to_lowercase()
            .chars()
            .filter(|character| character.is_alphanumeric() || matches!(character, ' ' | '-' | '_'))
            .map(|character| if character == ' ' { '-' } else { character })
            .collect();
        let mut numbered = slug.clone();
        let mut repeat = 0;
        while !anchors.insert(numbered.clone()) {
            repeat += 1;
            numbered = format!("{slug}-{repeat}");
        }
    }
    anchors
}

#[test]
fn every_relative_link_of_the_readme_and_docs_leads_to_a_file_and_heading_that_exist() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut broken = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("read the page");
        let folder = page.parent().expect("a page is in a folder");
        let name = page.strip_prefix(root).unwrap_or(&page).display();
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = match target.split_once('#') {
                Some((file, fragment)) => (file, Some(fragment)),
                None => (target.as_str(), None),
            };
            let linked = match file.is_empty() {
                true => page.clone(),
                false => folder.join(file),
            };
            if !linked.exists() {
                broken.push(format!("{name}: `{target}`: no such file"));
                continue;
            }
            let Some(fragment) = fragment else { continue };
            if linked.extension().is_some_and(|extension| extension == "md") {
                let linked_text = std::fs::read_to_string(&linked).expect("read the linked page");
                if !anchors(&linked_text).contains(fragment) {
                    broken.push(format!("{name}: `{target}`: no such heading"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn a_heading_gets_the_fragment_github_gives_it() {
    let page = "# The guide\n## Your team's first hour\n```\n# not a heading\n```\n## `[[content.allow]]`\n## Running\n## Running\n";
    let found = anchors(page);
    let expected = [
        "the-guide",
        "your-teams-first-hour",
        "contentallow",
        "running",
        "running-1",
    ];
    assert_eq!(found, expected.iter().map(|anchor| anchor.to_string()).collect());
}
