//! What a private file that a site served is, told from its content rather than its name, and
//! what of it a failure may show: names (of keys, sections, tables), never values, since the
//! file's values are the secrets it exposes and a report is read by more people than the server.

use std::sync::LazyLock;

use regex::Regex;
use scraper::{Html, Selector};

use crate::text;

/// Names listed of one file; the rest are counted.
const SHOWN_NAMES: usize = 8;
/// Bytes of a served file read to tell what it is.
pub(super) const READ_BYTES: usize = 64 * 1024;

/// What a served file is, in a few words a failure can show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Served {
    /// Whether its content proves what it is (a Git HEAD starting with `ref:`), rather than
    /// only differing from the site's ordinary not-found page.
    pub proven: bool,
    pub description: String,
}

impl Served {
    fn proven(description: String) -> Self {
        Self {
            proven: true,
            description,
        }
    }
}

/// What the body served for a private path is.
pub(super) fn identify(content_type: Option<&str>, body: &str) -> Served {
    let head = start_of(body);
    let trimmed = head.trim_start_matches('\u{feff}').trim_start();
    if let Some(served) = by_signature(trimmed) {
        return served;
    }
    // PHP source starts with `<` too, and is often sent as `text/html`: it is read as source.
    if !trimmed.contains("<?php") && text::is_html(content_type, trimmed) {
        if let Some(served) = server_page(head) {
            return served;
        }
        return Served {
            proven: false,
            description: format!("an HTML page titled {}", text::quoted(&title_of(head))),
        };
    }
    if let Some(served) = source_or_settings(trimmed) {
        return served;
    }
    Served {
        proven: false,
        description: format!(
            "{} byte(s) of {}, starting {}",
            body.len(),
            content_type.unwrap_or("text"),
            text::quoted(&shape_of_line(trimmed.lines().next().unwrap_or_default()))
        ),
    }
}

/// The first [`READ_BYTES`] of `body`, cut at a character boundary.
fn start_of(body: &str) -> &str {
    let mut end = body.len().min(READ_BYTES);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    &body[..end]
}

/// Files told by their first bytes: version control, editors, archives, macOS.
fn by_signature(head: &str) -> Option<Served> {
    static HEAD_REF: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\Aref: (refs/[\w./-]{1,200})\s*\z").expect("a valid pattern"));
    static DETACHED: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\A(?:[0-9a-f]{40}|[0-9a-f]{64})\s*\z").expect("a valid pattern"));
    if let Some(found) = HEAD_REF.captures(head) {
        return Some(Served::proven(format!(
            "a Git HEAD (`ref: {}`): the repository, its whole history included, can be downloaded",
            &found[1]
        )));
    }
    if DETACHED.is_match(head) {
        return Some(Served::proven(
            "a Git HEAD (a commit id): the repository, its whole history included, can be downloaded".into(),
        ));
    }
    if head.starts_with("[core]") || head.contains("\trepositoryformatversion = ") {
        return Some(Served::proven(format!(
            "a Git config with the sections {} (values not shown)",
            listed(&ini_sections(head))
        )));
    }
    if head
        .lines()
        .any(|line| matches!(line.trim(), "revlogv1" | "store" | "fncache" | "dotencode"))
        && head.lines().all(|line| {
            line.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
    {
        return Some(Served::proven(
            "a Mercurial repository's `requires`: the repository can be downloaded".into(),
        ));
    }
    let mut lines = head.lines();
    if lines.next().is_some_and(|first| first.parse::<u8>().is_ok()) && head.contains("\ndir\n") {
        return Some(Served::proven(
            "a Subversion working copy's `entries`: the file names and history can be downloaded".into(),
        ));
    }
    if head.get(..16).is_some_and(|start| start.contains("Bud1")) {
        return Some(Served::proven(
            "a macOS folder index (`.DS_Store`), which names the files in its folder".into(),
        ));
    }
    if head.starts_with("b0VIM") {
        return Some(Served::proven(
            "a Vim swap file, which holds the source of the file being edited".into(),
        ));
    }
    if head.starts_with("PK\u{3}\u{4}") {
        return Some(Served::proven("a ZIP archive".into()));
    }
    if head.starts_with("SQLite format 3\0") {
        return Some(Served::proven("an SQLite database".into()));
    }
    if head.starts_with('\u{1f}') {
        return Some(Served::proven("a gzip-compressed file".into()));
    }
    None
}

/// The pages a web server shows about itself.
fn server_page(html: &str) -> Option<Served> {
    let title = title_of(html);
    let what = if html.contains("Apache Server Status for") {
        "Apache's server status, which shows every client and the address each one asked for"
    } else if html.contains("Apache Server Information") {
        "Apache's server information, which shows its modules and configuration"
    } else if title.contains("phpinfo()") || html.contains("<title>PHP Version") {
        "phpinfo() output, which shows the server's configuration and environment variables"
    } else {
        return None;
    };
    Some(Served::proven(format!(
        "{what} (titled {})",
        text::quoted(&title)
    )))
}

/// Source code, settings, environment files and SQL dumps: what they define is named, what they
/// define it as is not.
fn source_or_settings(head: &str) -> Option<Served> {
    static NGINX_STATUS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\AActive connections: \d+\s*\nserver accepts handled requests").expect("a valid pattern")
    });
    static PHP_DEFINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?m)\bdefine\(\s*['"](\w+)['"]|^\s*\$(\w+)\s*(?:\[[^\]]*\])?\s*="#)
            .expect("a valid pattern")
    });
    static PYTHON_CODE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)^(?:import \w|from [\w.]+ import |def \w+\(|class \w+[(:])")
            .expect("a valid pattern")
    });
    static UPPER_ASSIGNMENT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?m)^([A-Z][A-Z0-9_]*)\s*=").expect("a valid pattern"));
    static ENV_LINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\A\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=").expect("a valid pattern")
    });
    static SQL_TABLE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)\bCREATE TABLE (?:IF NOT EXISTS )?(?:[`"\[]?\w+[`"\]]?\.)?[`"\[]?(\w+)"#)
            .expect("a valid pattern")
    });
    if NGINX_STATUS.is_match(head) {
        return Some(Served::proven(
            "nginx's stub status, which shows the server's connection counts".into(),
        ));
    }
    if head.contains("<?php") {
        let names = PHP_DEFINE
            .captures_iter(head)
            .filter_map(|found| found.get(1).or_else(|| found.get(2)))
            .map(|name| name.as_str().to_owned())
            .collect::<Vec<_>>();
        return Some(Served::proven(format!(
            "PHP source, served as text rather than run{} (values not shown)",
            naming(", setting", &names)
        )));
    }
    let dump_marker = ["-- MySQL dump", "-- MariaDB dump", "PostgreSQL database dump"]
        .iter()
        .any(|marker| head.contains(marker));
    let tables: Vec<String> = SQL_TABLE
        .captures_iter(head)
        .map(|found| found[1].to_owned())
        .collect();
    if dump_marker || !tables.is_empty() || head.contains("INSERT INTO ") {
        return Some(Served::proven(format!(
            "an SQL dump{} (rows not shown)",
            naming(" creating the tables", &tables)
        )));
    }
    if PYTHON_CODE.is_match(head) {
        let names: Vec<String> = UPPER_ASSIGNMENT
            .captures_iter(head)
            .map(|found| found[1].to_owned())
            .collect();
        return Some(Served::proven(format!(
            "Python source{} (values not shown)",
            naming(", setting", &names)
        )));
    }
    let meaningful: Vec<&str> = head
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let keys: Vec<String> = meaningful
        .iter()
        .filter_map(|line| ENV_LINE.captures(line).map(|found| found[1].to_owned()))
        .collect();
    // Every line a `KEY=value`: an environment file (or `.ini` without sections).
    if !keys.is_empty() && keys.len() == meaningful.len() {
        return Some(Served::proven(format!(
            "an environment file setting {} (values not shown)",
            listed(&keys)
        )));
    }
    let sections = ini_sections(head);
    if !sections.is_empty() && !keys.is_empty() {
        return Some(Served::proven(format!(
            "a settings file with the sections {} (values not shown)",
            listed(&sections)
        )));
    }
    None
}

/// `[core]`, `[remote "origin"]`: the section headers of an INI-style file.
fn ini_sections(head: &str) -> Vec<String> {
    head.lines()
        .map(str::trim)
        .filter(|line| line.starts_with('[') && line.ends_with(']') && line.len() <= 100)
        .map(str::to_owned)
        .collect()
}

/// ` creating the tables a, b`: `lead` and the names, or nothing without names.
fn naming(lead: &str, names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    format!("{lead} {}", listed(names))
}

/// `A, B, C and 4 more`, each name once, terminal controls escaped.
fn listed(names: &[String]) -> String {
    let mut unique: Vec<&str> = Vec::new();
    for name in names {
        if !unique.contains(&name.as_str()) {
            unique.push(name);
        }
    }
    let shown: Vec<String> = unique
        .iter()
        .take(SHOWN_NAMES)
        .map(|name| format!("`{}`", text::without_terminal_controls(name)))
        .collect();
    let more = unique.len().saturating_sub(SHOWN_NAMES);
    match more {
        0 => shown.join(", "),
        _ => format!("{} and {more} more", shown.join(", ")),
    }
}

/// A page's `<title>`, or its first heading, as a person reads it.
fn title_of(html: &str) -> String {
    static TITLE: LazyLock<Selector> =
        LazyLock::new(|| Selector::parse("title, h1").expect("a valid selector"));
    let document = Html::parse_document(html);
    document
        .select(&TITLE)
        .map(|element| element.text().collect::<String>())
        .find(|title| !title.trim().is_empty())
        .unwrap_or_default()
}

/// A line of an unknown file with what may be secret taken out: everything after a `=` or `:`
/// and every long run of letters and digits (a token, a key), so only its shape shows.
fn shape_of_line(line: &str) -> String {
    static VALUE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"([=:])\s*\S.*").expect("a valid pattern"));
    static TOKEN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/_.-]{16,}").expect("a valid pattern"));
    let line: String = line.chars().take(120).collect();
    let without_values = VALUE.replace(&line, "$1 [not shown]");
    TOKEN.replace_all(&without_values, "[not shown]").into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(content_type: &str, body: &str) -> Served {
        identify(Some(content_type), body)
    }

    #[test]
    fn version_control_files_are_proven_by_their_content() {
        let head = described("text/plain", "ref: refs/heads/main\n");
        assert!(head.proven);
        assert!(head.description.contains("`ref: refs/heads/main`"), "{head:?}");
        let config = described(
            "text/plain",
            "[core]\n\trepositoryformatversion = 0\n[remote \"origin\"]\n\turl = https://deploy:ghp_s3cr3tT0ken@github.com/acme/shop.git\n",
        );
        assert!(config.proven);
        assert!(config.description.contains("`[remote \"origin\"]`"), "{config:?}");
        assert!(!config.description.contains("ghp_"), "{config:?}");
        assert!(described("text/plain", "revlogv1\nstore\nfncache\ndotencode\n").proven);
        assert!(described("text/plain", "12\n\ndir\n1234\nhttps://svn.example.com/repo\n").proven);
    }

    #[test]
    fn an_env_file_shows_its_key_names_and_never_a_value() {
        let env = described(
            "text/plain",
            "# production\nAPP_KEY=base64:Zm9vYmFyYmF6cXV4\nDB_PASSWORD=\"hunter2-very-secret\"\nexport MAIL_PASSWORD=m4il\n",
        );
        assert!(env.proven);
        assert_eq!(
            env.description,
            "an environment file setting `APP_KEY`, `DB_PASSWORD`, `MAIL_PASSWORD` (values not shown)"
        );
    }

    #[test]
    fn source_settings_and_dumps_name_what_they_define_and_not_its_value() {
        let php = described(
            "text/plain",
            "<?php\ndefine( 'DB_PASSWORD', 'pa55word' );\n$table_prefix = 'wp_';\n",
        );
        assert!(
            php.proven && php.description.contains("`DB_PASSWORD`, `table_prefix`"),
            "{php:?}"
        );
        assert!(!php.description.contains("pa55word"));
        let python = described(
            "text/x-python",
            "import os\nSECRET_KEY = 'django-insecure-abc'\nDEBUG = False\n",
        );
        assert!(
            python.proven && python.description.contains("`SECRET_KEY`, `DEBUG`"),
            "{python:?}"
        );
        assert!(!python.description.contains("insecure"));
        let dump = described(
            "application/sql",
            "-- MySQL dump 10.13\nCREATE TABLE `users` (\n  `password` varchar(255)\n);\nINSERT INTO `users` VALUES ('admin','$2y$10$x');\n",
        );
        assert_eq!(
            dump.description,
            "an SQL dump creating the tables `users` (rows not shown)"
        );
    }

    #[test]
    fn server_pages_are_named_by_their_title_only() {
        let status = described(
            "text/html",
            "<html><head><title>Apache Status</title></head><body><h1>Apache Server Status for 127.0.0.1 (via 127.0.0.1)</h1><table><tr><td>10.0.0.7</td><td>GET /reset?token=abc</td></tr></table></body></html>",
        );
        assert!(status.proven);
        assert!(
            status.description.ends_with("(titled \"Apache Status\")"),
            "{status:?}"
        );
        assert!(!status.description.contains("token"));
        assert!(
            described(
                "text/plain",
                "Active connections: 2 \nserver accepts handled requests\n 10 10 12 \n"
            )
            .proven
        );
    }

    #[test]
    fn an_unknown_file_shows_its_shape_without_values_or_tokens() {
        let unknown = described("text/plain", "api_key: sk_live_abcdefghijklmnop\nsecond line\n");
        assert!(!unknown.proven);
        assert!(
            unknown.description.contains("\"api_key: [not shown]\""),
            "{unknown:?}"
        );
        let token = described("text/plain", "abcdefghijklmnopqrstuvwxyz012345\n");
        assert!(!token.description.contains("abcdefghijklmnop"), "{token:?}");
        let page = described("text/html", "<html><title>Backups</title><p>x</p></html>");
        assert_eq!(page.description, "an HTML page titled \"Backups\"");
    }
}
