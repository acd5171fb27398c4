//! Text as people read it: the visible text of a page as a browser renders it, and short,
//! readable quotes of what a server, a command or a plugin sent, so a failure shows the
//! relevant bit on a terminal rather than a wall of HTML or a stream of control codes.

use std::time::Duration;

use ego_tree::iter::Edge;
use scraper::{Html, Node};

use crate::redact::{self, redact};

/// Characters shown on each side of a match in a snippet.
const CONTEXT_CHARS: usize = 60;
/// Characters shown of a page when nothing in particular was found.
const EXCERPT_CHARS: usize = 240;
/// Lines of a command's, a plugin's or a page's output shown in a failure.
const SHOWN_LINES: usize = 12;
/// Characters shown of one such line.
const SHOWN_LINE_CHARS: usize = 200;

/// Elements whose content never shows.
const HIDDEN_ELEMENTS: &[&str] = &["script", "style", "noscript", "template"];
/// Elements a browser lays out as blocks, list items, table cells or line breaks: their edges
/// separate words. Every other element (`b`, `span`, `a`, `em`, ...) flows inline, so
/// `Le<b>dg</b>er` reads "Ledger".
const BREAKING_ELEMENTS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "optgroup",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
];

/// The text a person would read on an HTML page: title and body text, without scripts and
/// styles, words split only where a browser breaks the line, whitespace collapsed.
pub fn visible_text(html: &str) -> String {
    visible_text_of(&Html::parse_document(html))
}

/// The visible text of a document already parsed (a crawl also reads its links).
pub fn visible_text_of(document: &Html) -> String {
    let mut text = String::new();
    let mut hidden_depth = 0_usize;
    for edge in document.tree.root().traverse() {
        let (node, opening) = match edge {
            Edge::Open(node) => (node, true),
            Edge::Close(node) => (node, false),
        };
        match node.value() {
            Node::Element(element) if HIDDEN_ELEMENTS.contains(&element.name()) => match opening {
                true => hidden_depth += 1,
                false => hidden_depth = hidden_depth.saturating_sub(1),
            },
            Node::Element(element) if hidden_depth == 0 && BREAKING_ELEMENTS.contains(&element.name()) => {
                text.push(' ');
            }
            Node::Text(fragment) if hidden_depth == 0 && opening => text.push_str(fragment),
            _ => {}
        }
    }
    collapse_whitespace(&text)
}

/// Which end of a long output a failure shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// The first lines: a page, a plugin's long text, read from the top.
    Start,
    /// The last lines: a command's output, where the error is.
    End,
}

/// Output of a command, a plugin or a page as a terminal can show it: at most a dozen lines
/// from the chosen end and a couple of hundred characters per line, each cut noted ("… 37
/// more lines"), and control characters escaped, so no output can move the cursor, ring the
/// bell, colour the report or overwrite a line with a carriage return.
pub(crate) fn for_terminal(output: &str, keep: Keep) -> String {
    // Masked before it is cut or escaped: a secret cut in two or escaped matches no spelling.
    let output = redact(output);
    let lines: Vec<&str> = output.trim_end().lines().collect();
    let cut = lines.len().saturating_sub(SHOWN_LINES);
    let plural = |count: usize| if count == 1 { "line" } else { "lines" };
    let shown = match keep {
        Keep::Start => &lines[..lines.len() - cut],
        Keep::End => &lines[cut..],
    };
    let mut out: Vec<String> = shown.iter().map(|line| escaped_line(line)).collect();
    if cut > 0 {
        match keep {
            Keep::Start => out.push(format!("… {cut} more {}", plural(cut))),
            Keep::End => out.insert(0, format!("… {cut} earlier {}", plural(cut))),
        }
    }
    out.join("\n")
}

/// One line of output cut at `SHOWN_LINE_CHARS`, terminal controls escaped.
fn escaped_line(line: &str) -> String {
    let shown: String = line.chars().take(SHOWN_LINE_CHARS).collect();
    let mut out = without_terminal_controls(&shown);
    let rest = line.chars().count().saturating_sub(SHOWN_LINE_CHARS);
    if rest > 0 {
        out.push_str(&format!("… ({rest} more characters)"));
    }
    out
}

/// `text` with every character a terminal would act on, rather than show, escaped; line breaks
/// and tabs are kept. For output that is shown whole, such as a passing plugin's status line.
pub(crate) fn without_terminal_controls(text: &str) -> String {
    let text = redact(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            c if acts_on_terminal(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out
}

/// Whether a body should be read as HTML rather than as plain text.
pub fn is_html(content_type: Option<&str>, body: &str) -> bool {
    match content_type {
        Some(kind) => kind.contains("html"),
        None => body.trim_start().starts_with('<'),
    }
}

/// A one-line quote of `text` around the byte range `start..end`, with an ellipsis where cut.
/// The cuts are moved out of any secret, so the quote holds it whole, and masked.
pub fn snippet_around(text: &str, start: usize, end: usize) -> String {
    let from = text[..start]
        .char_indices()
        .rev()
        .nth(CONTEXT_CHARS - 1)
        .map_or(0, |(at, _)| at);
    let to = text[end..]
        .char_indices()
        .nth(CONTEXT_CHARS)
        .map_or(text.len(), |(at, _)| end + at);
    let shown = redact::uncut(text, from..to);
    let mut quote = String::new();
    if shown.start > 0 {
        quote.push('…');
    }
    quote.push_str(&text[shown.clone()]);
    if shown.end < text.len() {
        quote.push('…');
    }
    quoted(&quote)
}

/// The start of `text` on one line, quoted.
pub fn excerpt(text: &str) -> String {
    let text = redact(text);
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

/// `text` in double quotes on one line: secrets masked first (collapsed and escaped, a secret
/// would match no spelling), whitespace collapsed, control characters escaped.
pub fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in collapse_whitespace(&redact(text)).chars() {
        match c {
            '"' => out.push_str("\\\""),
            c if acts_on_terminal(c) => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Control characters (ESC, BEL, CR, ...) and the bidirectional overrides that reorder what a
/// terminal shows: printed as they are, they would act instead of showing.
/// Whether a terminal would act on `c` rather than show it: C0 and C1 controls (ESC starts a
/// sequence, CR and BS move the cursor) and the bidirectional overrides that reorder a line.
pub fn acts_on_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whitespace collapsed, as a reader sees text regardless of line breaks and column spacing.
pub(crate) fn collapse_whitespace(text: &str) -> String {
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
    fn inline_tags_do_not_split_words_and_blocks_do() {
        // Read with a break at every tag, "Ledger" here was "Le dg er": a false failure.
        assert_eq!(
            visible_text("<p>Welcome to Le<b>dg</b>er, <em>simple</em> book<wbr>keeping</p>"),
            "Welcome to Ledger, simple bookkeeping"
        );
        assert_eq!(
            visible_text("<div>Ledger</div><div>Reports</div><p>one<br>two</p><ul><li>a</li><li>b</li></ul>"),
            "Ledger Reports one two a b"
        );
        assert_eq!(
            visible_text("<table><tr><td>debit</td><td>credit</td></tr></table><h1>Total</h1>x"),
            "debit credit Total x"
        );
    }

    #[test]
    fn test_strings_split_by_inline_tags_are_caught() {
        // Read with a break at every tag, this was "Lo rem ipsum": a missed test string.
        let html = "<p>Lo<span>rem</span> ipsum dolor</p>";
        assert_eq!(visible_text(html), "Lorem ipsum dolor");
        let rules = crate::content::RuleSet::new(&[], &[], Vec::new()).expect("built-in rules");
        let findings = rules.scan("/", &visible_text(html), Some(html));
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].rule, "lorem-ipsum");
    }

    #[test]
    fn hidden_elements_stay_hidden_inside_inline_ones() {
        assert_eq!(
            visible_text(
                "<p>Le<span>dg<script>var x = 1;</script>er</span><noscript>enable JS</noscript></p>"
            ),
            "Ledger"
        );
    }

    #[test]
    fn long_output_keeps_the_chosen_end_and_says_how_much_was_cut() {
        let output: String = (1..=49).map(|n| format!("line {n}\n")).collect();
        let end = for_terminal(&output, Keep::End);
        assert!(end.starts_with("… 37 earlier lines\nline 38\n"), "{end}");
        assert!(end.ends_with("\nline 49"), "{end}");
        let start = for_terminal(&output, Keep::Start);
        assert!(start.starts_with("line 1\nline 2\n"), "{start}");
        assert!(start.ends_with("\nline 12\n… 37 more lines"), "{start}");
        assert_eq!(for_terminal("one\ntwo\n", Keep::End), "one\ntwo");
        let thirteen: String = (1..=13).map(|n| format!("{n}\n")).collect();
        assert!(for_terminal(&thirteen, Keep::Start).ends_with("\n… 1 more line"));
    }

    #[test]
    fn terminal_controls_in_output_are_escaped_and_long_lines_cut() {
        let hostile = "\u{1b}[2J\u{1b}[31mred\u{7}\rOK\ttab \u{202e}desrever";
        assert_eq!(
            for_terminal(hostile, Keep::End),
            "\\u{1b}[2J\\u{1b}[31mred\\u{7}\\rOK\ttab \\u{202e}desrever"
        );
        let long = "x".repeat(SHOWN_LINE_CHARS + 37);
        let shown = for_terminal(&long, Keep::End);
        assert!(shown.ends_with("x… (37 more characters)"), "{shown}");
        assert_eq!(shown.chars().filter(|c| *c == 'x').count(), SHOWN_LINE_CHARS);
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
