//! Writing Gherkin that reads as if a person wrote it: strings quoted the way a step's `{string}`
//! reads them back, and tables with their columns lined up.

/// `text` as a step's `{string}`: in double quotes, or in single quotes when it holds a double
/// one. `None` when it holds both, since `{string}` has no escape for its own quote, and when it
/// holds a line break or another control character: text a site sent must never start a line
/// of Gherkin of its own (a new `Scenario`, a step that runs a command).
pub fn quoted(text: &str) -> Option<String> {
    if text.chars().any(char::is_control) {
        None
    } else if !text.contains('"') {
        Some(format!("\"{text}\""))
    } else if !text.contains('\'') {
        Some(format!("'{text}'"))
    } else {
        None
    }
}

/// `text` on one line of a comment: line breaks and other control characters become spaces, so
/// nothing a site sent can end the comment and start a line of Gherkin.
pub fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A table, one row a line, each cell padded to its column's width, indented by `indent`.
pub fn table(indent: &str, rows: &[Vec<String>]) -> String {
    let escaped: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| {
                    // `\n` is the cell's own escape for a line break; other controls are dropped.
                    cell.replace('\\', "\\\\")
                        .replace('|', "\\|")
                        .replace('\n', "\\n")
                        .replace(|c: char| c.is_control(), " ")
                })
                .collect()
        })
        .collect();
    let columns = escaped.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            escaped
                .iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    escaped
        .iter()
        .map(|row| {
            let cells: Vec<String> = widths
                .iter()
                .enumerate()
                .map(|(column, width)| {
                    let cell = row.get(column).map_or("", String::as_str);
                    format!(" {cell:<width$} ")
                })
                .collect();
            format!("{indent}|{}|\n", cells.join("|"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_take_the_quote_they_do_not_hold() {
        assert_eq!(
            quoted("check_users -w 5").as_deref(),
            Some("\"check_users -w 5\"")
        );
        assert_eq!(
            quoted(r#"check_http -s "Welcome""#).as_deref(),
            Some(r#"'check_http -s "Welcome"'"#)
        );
        assert_eq!(quoted(r#"sh -c 'echo "x"'"#), None);
        assert_eq!(
            quoted("ok\n  Scenario: planted\n    Then the command \"touch /tmp/x\" should succeed"),
            None
        );
        assert_eq!(
            comment_text("fired on \"x\nScenario: planted\r\""),
            "fired on \"x Scenario: planted \""
        );
    }

    #[test]
    fn tables_line_up_and_escape_their_pipes() {
        let rows = [
            vec!["page".to_owned()],
            vec!["/".to_owned()],
            vec!["/search?q=a|b".to_owned()],
        ];
        assert_eq!(
            table("      ", &rows),
            "      | page           |\n      | /              |\n      | /search?q=a\\|b |\n"
        );
    }
}
