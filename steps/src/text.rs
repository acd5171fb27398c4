//! Short, readable quotes of what a server sent, so a failure shows the relevant bit of a page
//! rather than a wall of HTML.

use std::time::Duration;

use scraper::{Html, Node};

/// Characters shown on each side of a match in a snippet.
const CONTEXT_CHARS: usize = 60;
/// Characters shown of a page when nothing in particular was found.
const EXCERPT_CHARS: usize = 240;

/// The text a person would read on an HTML page: title and body text, without scripts and
/// styles, whitespace collapsed.
pub fn visible_text(html: &str) -> String {
    visible_text_of(&Html::parse_document(html))
}

/// The visible text of a document already parsed (a crawl also reads its links).
pub fn visible_text_of(document: &Html) -> String {
    let mut text = String::new();
    for node in document.tree.root().descendants() {
        let Node::Text(fragment) = node.value() else {
            continue;
        };
        let hidden = node.ancestors().any(|ancestor| {
            ancestor
                .value()
                .as_element()
                .is_some_and(|element| matches!(element.name(), "script" | "style" | "noscript" | "template"))
        });
        if !hidden {
            text.push_str(fragment);
            text.push(' ');
        }
    }
    collapse_whitespace(&text)
}

/// Whether a body should be read as HTML rather than as plain text.
pub fn is_html(content_type: Option<&str>, body: &str) -> bool {
    match content_type {
        Some(kind) => kind.contains("html"),
        None => body.trim_start().starts_with('<'),
    }
}

/// A one-line quote of `text` around the byte range `start..end`, with an ellipsis where cut.
pub fn snippet_around(text: &str, start: usize, end: usize) -> String {
    let before: Vec<char> = text[..start].chars().rev().take(CONTEXT_CHARS).collect();
    let after: String = text[end..].chars().take(CONTEXT_CHARS).collect();
    let mut quote = String::new();
    if before.len() == CONTEXT_CHARS && start > 0 {
        quote.push('…');
    }
    quote.extend(before.iter().rev());
    quote.push_str(&text[start..end]);
    quote.push_str(&after);
    if text[end..].chars().count() > CONTEXT_CHARS {
        quote.push('…');
    }
    quoted(&quote)
}

/// The start of `text` on one line, quoted.
pub fn excerpt(text: &str) -> String {
    let mut quote: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().count() > EXCERPT_CHARS {
        quote.push('…');
    }
    quoted(&quote)
}

/// `15s`, `2m`, `250ms`: how limits are written in shakedown.toml.
pub(crate) fn humanize(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if duration.subsec_millis() == 0 && seconds >= 3600 && seconds.is_multiple_of(3600) {
        format!("{}h", seconds / 3600)
    } else if duration.subsec_millis() == 0 && seconds >= 60 && seconds.is_multiple_of(60) {
        format!("{}m", seconds / 60)
    } else if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else if duration.as_secs() == 0 {
        format!("{}ms", duration.as_millis())
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

/// `text` in double quotes on one line: whitespace collapsed, control characters escaped.
pub fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in collapse_whitespace(text).chars() {
        match c {
            '"' => out.push_str("\\\""),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_skips_markup_scripts_and_styles() {
        let html = "<html><head><title>Ledger</title><style>p{}</style></head>\
                    <body><h1>Welcome</h1><script>var x = 1;</script><p>to   Ledger</p></body></html>";
        assert_eq!(visible_text(html), "Ledger Welcome to Ledger");
    }

    #[test]
    fn snippet_marks_cuts_and_keeps_the_match() {
        let text = format!("{}needle{}", "a".repeat(100), "b".repeat(100));
        let snippet = snippet_around(&text, 100, 106);
        assert!(snippet.starts_with("\"…aaa"));
        assert!(snippet.contains("needle"));
        assert!(snippet.ends_with("bbb…\""));
    }

    #[test]
    fn quoted_escapes_control_characters_and_quotes() {
        assert_eq!(quoted("a\u{1b}[31m \"b\"\n c"), "\"a\\u{1b}[31m \\\"b\\\" c\"");
    }

    #[test]
    fn limits_read_as_they_are_written() {
        use std::time::Duration;
        assert_eq!(humanize(Duration::from_secs(15)), "15s");
        assert_eq!(humanize(Duration::from_secs(120)), "2m");
        assert_eq!(humanize(Duration::from_secs(7200)), "2h");
        assert_eq!(humanize(Duration::from_millis(250)), "250ms");
        assert_eq!(humanize(Duration::from_millis(1500)), "1.5s");
    }

    #[test]
    fn short_text_is_not_marked_as_cut() {
        assert_eq!(snippet_around("say hello there", 4, 9), "\"say hello there\"");
        assert_eq!(excerpt("short"), "\"short\"");
    }
}
