//! `shakedown steps`: the live step catalogue in the form a reader needs: plain text for a
//! terminal, Markdown for a wiki, JSON for tools.

use shakedown_steps::catalogue::{self, Entry};

use crate::cli::CatalogueFormat;
use crate::error::{Error, exit};
use crate::output::say;

pub fn print(format: CatalogueFormat) -> Result<i32, Error> {
    let entries = catalogue::live();
    let text = match format {
        CatalogueFormat::Text => text(&entries),
        CatalogueFormat::Markdown => catalogue::reference_page(&entries),
        CatalogueFormat::Json => serde_json::to_string_pretty(&entries).map_err(|error| Error::Io {
            what: "cannot write the catalogue as JSON".into(),
            source: error.into(),
        })?,
    };
    say!("{}", text.trim_end_matches('\n'));
    Ok(exit::PASSED)
}

fn text(entries: &[Entry]) -> String {
    let mut out = Vec::new();
    let mut domain = "";
    for entry in entries {
        if entry.domain != domain {
            domain = &entry.domain;
            out.push(format!("{}{domain}", if out.is_empty() { "" } else { "\n" }));
        }
        out.push(format!(
            "  {}\n      {}\n      e.g. {}",
            entry.phrase, entry.meaning, entry.example
        ));
    }
    out.join("\n")
}
