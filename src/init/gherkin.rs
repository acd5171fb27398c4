//! Writing Gherkin that reads as if a person wrote it: strings quoted the way a step's `{string}`
//! reads them back, and tables with their columns lined up.

/// `text` as a step's `{string}`: in double quotes, or in single quotes when it holds a double
/// one. `None` when it holds both, since `{string}` has no escape for its own quote.
pub fn quoted(text: &str) -> Option<String> {
    if !text.contains('"') {
        Some(format!("\"{text}\""))
    } else if !text.contains('\'') {
        Some(format!("'{text}'"))
    } else {
        None
    }
}

/// A table, one row a line, each cell padded to its column's width, indented by `indent`.
pub fn table(indent: &str, rows: &[Vec<String>]) -> String {
    let escaped: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|cell| cell.replace('\\', "\\\\").replace('|', "\\|"))
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
