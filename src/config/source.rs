//! The configuration file as text with positions: its own keys laid over the embedded defaults,
//! read into the sections' raw types with unknown keys collected as data (never read out of an
//! error message), and every problem turned into an error at the file's line and column.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::Error;
use shakedown_steps::suggest::suggest;

/// Every default, as `defaults.toml` writes them.
pub const DEFAULTS: &str = include_str!("defaults.toml");

/// The key of a default table that each entry written beside it starts from.
const EVERY_ENTRY: &str = "*";

/// The file being read: where it is and what it says, to place every message.
pub struct Source<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Source<'_> {
    /// An error at `span` of this file.
    pub fn error_at(&self, span: Range<usize>, message: String, hint: Option<String>) -> Error {
        let (line, column) = self.line_and_column(span.start);
        Error::Config {
            path: self.path.to_path_buf(),
            line,
            column,
            message,
            hint,
        }
    }

    /// A path of the site as written in this file: it must start with `/`; one that does not is
    /// an error at its place, saying `problem` of it, with `hint`.
    pub fn site_path(
        &self,
        written: Spanned<String>,
        problem: impl FnOnce(&str) -> String,
        hint: &str,
    ) -> Result<String, Error> {
        if written.get_ref().starts_with('/') {
            return Ok(written.into_inner());
        }
        Err(self.error_at(written.span(), problem(written.get_ref()), Some(hint.to_owned())))
    }

    /// 1-based line and column of a byte offset of this file, for an error found later.
    pub fn line_and_column(&self, offset: usize) -> (usize, usize) {
        line_and_column(self.text, offset)
    }

    /// A path written in the file, taken from the file's folder.
    pub fn relative(&self, path: &str) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join(path)
    }
}

/// The file read as `T` with the defaults under it, and the top-level sections it writes itself.
pub struct Layered<T> {
    pub value: T,
    pub written: Vec<String>,
}

/// Parses the file, lays it over the defaults and reads it as `T`. `known_keys` names the keys
/// each table may hold (by its path of keys), for the message about a key that is none of them.
pub fn layered<T: DeserializeOwned>(
    source: &Source<'_>,
    known_keys: impl Fn(&[String]) -> &'static [&'static str],
) -> Result<Layered<T>, Error> {
    let at_error = |error: toml::de::Error| {
        source.error_at(
            error.span().unwrap_or(0..0),
            error.message().trim().to_owned(),
            None,
        )
    };
    let written = DeTable::parse(source.text).map_err(at_error)?;
    let defaults = DeTable::parse(DEFAULTS).map_err(at_error)?.into_inner();
    let mut document = written.clone();
    lay_over(document.get_mut(), defaults);
    let mut ignored: Vec<Vec<String>> = Vec::new();
    let read = serde_ignored::deserialize(toml::de::Deserializer::from(document), |path| {
        ignored.push(segments(&path));
    });
    // A misspelt key often leaves a required one missing: the misspelling is the news.
    if let Some(path) = ignored.first() {
        let span = key_span(written.get_ref(), path).unwrap_or(0..0);
        let (table, key) = path.split_at(path.len().saturating_sub(1));
        let key = key.first().map_or("", String::as_str);
        return Err(unknown_key(source, span, key, known_keys(table)));
    }
    // serde says what is wrong with a value; the key it is written under comes from its span.
    let read = read.map_err(|error: toml::de::Error| {
        let span = error.span().unwrap_or(0..0);
        let message = error.message().trim();
        let message = match path_at(written.get_ref(), &span) {
            Some(path) if !path.is_empty() => format!("`{}`: {message}", path.join(".")),
            _ => message.to_owned(),
        };
        source.error_at(span, message, None)
    })?;
    Ok(Layered {
        value: read,
        written: written
            .get_ref()
            .keys()
            .map(|key| key.get_ref().to_string())
            .collect(),
    })
}

fn unknown_key(source: &Source<'_>, span: Range<usize>, key: &str, known: &[&str]) -> Error {
    if key == "password" {
        return source.error_at(
            span,
            "unknown key `password`".into(),
            Some("passwords never go in shakedown.toml: use `password_env`, `password_file` or `password_command`".into()),
        );
    }
    let listed: Vec<String> = known.iter().map(|name| format!("`{name}`")).collect();
    source.error_at(
        span,
        format!("unknown key `{key}` (known here: {})", listed.join(", ")),
        suggest(key, known.iter().copied()).map(|name| format!("did you mean `{name}`?")),
    )
}

/// Fills in what `written` leaves out from `defaults`, table by table; a `"*"` table of the
/// defaults fills in each entry written beside it instead.
fn lay_over<'i>(written: &mut DeTable<'i>, mut defaults: DeTable<'i>) {
    if let Some(every_entry) = defaults.remove(EVERY_ENTRY) {
        for (_, entry) in written.iter_mut() {
            lay_value_over(entry.get_mut(), every_entry.get_ref());
        }
    }
    for (key, default) in defaults {
        match written.get_mut(key.get_ref().as_ref()) {
            Some(value) => lay_value_over(value.get_mut(), default.get_ref()),
            None if holds_only_entry_defaults(default.get_ref()) => {}
            // A section left out is filled in as if written empty, so its entry defaults stay out.
            None => {
                let span = default.span();
                let filled = match default.into_inner() {
                    DeValue::Table(table) => {
                        let mut empty = DeTable::new();
                        lay_over(&mut empty, table);
                        DeValue::Table(empty)
                    }
                    value => value,
                };
                written.insert(key, Spanned::new(span, filled));
            }
        }
    }
}

fn lay_value_over<'i>(written: &mut DeValue<'i>, default: &DeValue<'i>) {
    match (written, default) {
        (DeValue::Table(written), DeValue::Table(default)) => lay_over(written, default.clone()),
        // `[[content.allow]]`: each element starts from the defaults' `"*"` table.
        (DeValue::Array(elements), DeValue::Table(default)) => {
            if let Some(every_entry) = default.get(EVERY_ENTRY) {
                for element in elements.iter_mut() {
                    lay_value_over(element.get_mut(), every_entry.get_ref());
                }
            }
        }
        _ => {}
    }
}

/// A default table that only says what entries start from gives nothing when none is written.
fn holds_only_entry_defaults(default: &DeValue<'_>) -> bool {
    matches!(default, DeValue::Table(table) if table.keys().all(|key| key.get_ref() == EVERY_ENTRY))
}

fn segments(path: &serde_ignored::Path<'_>) -> Vec<String> {
    use serde_ignored::Path;
    let mut segments = match path {
        Path::Root => return Vec::new(),
        Path::Seq { parent, .. }
        | Path::Map { parent, .. }
        | Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => segments(parent),
    };
    match path {
        Path::Seq { index, .. } => segments.push(index.to_string()),
        // `$__…` keys are serde's own plumbing (a `Spanned` value travels under
        // `$__serde_spanned_private_value`), never written in a file.
        Path::Map { key, .. } if !key.starts_with("$__") => segments.push(key.clone()),
        _ => {}
    }
    segments
}

/// Where the key at `path` is written in the file.
fn key_span(table: &DeTable<'_>, path: &[String]) -> Option<Range<usize>> {
    let (first, rest) = path.split_first()?;
    let (key, value) = table.get_key_value(first.as_str())?;
    if rest.is_empty() {
        return Some(key.span());
    }
    value_key_span(value, rest)
}

fn value_key_span(value: &Spanned<DeValue<'_>>, path: &[String]) -> Option<Range<usize>> {
    match value.get_ref() {
        DeValue::Table(table) => key_span(table, path),
        DeValue::Array(elements) => {
            let (index, rest) = path.split_first()?;
            let element = elements.get(index.parse::<usize>().ok()?)?;
            match rest.is_empty() {
                true => Some(element.span()),
                false => value_key_span(element, rest),
            }
        }
        _ => None,
    }
}

/// The keys leading to the value written at `span`, the innermost one that covers it.
fn path_at(table: &DeTable<'_>, span: &Range<usize>) -> Option<Vec<String>> {
    table.iter().find_map(|(key, value)| {
        let inner = value_path_at(value, span)?;
        Some(std::iter::once(key.get_ref().to_string()).chain(inner).collect())
    })
}

fn value_path_at(value: &Spanned<DeValue<'_>>, span: &Range<usize>) -> Option<Vec<String>> {
    let covers = value.span().start <= span.start && span.end <= value.span().end;
    let inner = match value.get_ref() {
        DeValue::Table(table) => path_at(table, span),
        DeValue::Array(elements) => elements.iter().enumerate().find_map(|(index, element)| {
            let inner = value_path_at(element, span)?;
            Some(std::iter::once(index.to_string()).chain(inner).collect())
        }),
        _ => None,
    };
    inner.or_else(|| covers.then(Vec::new))
}

/// The field names a type's derived `Deserialize` asks for, read from the request itself: the
/// one list of a section's keys is its struct.
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    struct FieldProbe(Option<&'static [&'static str]>);
    #[derive(Debug)]
    struct Probed;
    impl std::fmt::Display for Probed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("probed")
        }
    }
    impl std::error::Error for Probed {}
    impl de::Error for Probed {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Probed
        }
    }
    impl<'de> Deserializer<'de> for &mut FieldProbe {
        type Error = Probed;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Probed> {
            Err(Probed)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Probed> {
            self.0 = Some(fields);
            Err(Probed)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    let mut probe = FieldProbe(None);
    let _ = T::deserialize(&mut probe);
    probe.0.unwrap_or_default()
}

/// 1-based line and column of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    (line, column)
}
