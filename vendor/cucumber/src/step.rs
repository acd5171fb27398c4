// Copyright (c) 2018-2026  Brendan Molloy <brendan@bbqsrc.net>,
//                          Ilya Solovyiov <ilya.solovyiov@gmail.com>,
//                          Kai Ren <tyranron@gmail.com>
//
// Licensed under the Apache License, Version 2.0 <LICENSE-APACHE or
// http://www.apache.org/licenses/LICENSE-2.0> or the MIT license
// <LICENSE-MIT or http://opensource.org/licenses/MIT>, at your
// option. This file may not be copied, modified, or distributed
// except according to those terms.

//! Definitions for a [`Collection`] which is used to store [`Step`] [`Fn`]s and
//! corresponding [`Regex`] patterns.
//!
//! [`Step`]: gherkin::Step

use std::{
    cmp::Ordering,
    collections::HashMap,
    fmt,
    hash::{Hash, Hasher},
    iter,
};

use derive_more::with_trait::{Debug, Deref, DerefMut, Display, Error};
use futures::future::LocalBoxFuture;
use gherkin::StepType;
use itertools::Itertools as _;
use regex::Regex;

/// Alias for a [`gherkin::Step`] function that returns a [`LocalBoxFuture`].
pub type Step<World> =
    for<'a> fn(&'a mut World, Context) -> LocalBoxFuture<'a, ()>;

/// Alias for a [`Step`] with [`regex::CaptureLocations`], [`Location`] and
/// [`Context`] returned by [`Collection::find()`].
pub type WithContext<'me, World> =
    (&'me Step<World>, regex::CaptureLocations, Option<Location>, Context);

/// Collection of [`Step`]s.
///
/// Every [`Step`] has to match with exactly 1 [`Regex`].
#[derive(Debug)]
pub struct Collection<World> {
    /// Collection of [Given] [`Step`]s.
    ///
    /// [Given]: https://cucumber.io/docs/gherkin/reference#given
    #[debug("{:?}",
        given.iter()
            .map(|(re, c)| (re, format!("{:p}", c.step)))
            .collect::<HashMap<_, _>>(),
    )]
    given: HashMap<(HashableRegex, Option<Location>), Candidate<World>>,

    /// Collection of [When] [`Step`]s.
    ///
    /// [When]: https://cucumber.io/docs/gherkin/reference#when
    #[debug("{:?}",
        when.iter()
            .map(|(re, c)| (re, format!("{:p}", c.step)))
            .collect::<HashMap<_, _>>(),
    )]
    when: HashMap<(HashableRegex, Option<Location>), Candidate<World>>,

    /// Collection of [Then] [`Step`]s.
    ///
    /// [Then]: https://cucumber.io/docs/gherkin/reference#then
    #[debug("{:?}",
        then.iter()
            .map(|(re, c)| (re, format!("{:p}", c.step)))
            .collect::<HashMap<_, _>>(),
    )]
    then: HashMap<(HashableRegex, Option<Location>), Candidate<World>>,
}

// Implemented manually to omit redundant `World: Clone` trait bound, imposed by
// `#[derive(Clone)]`.
impl<World> Clone for Collection<World> {
    fn clone(&self) -> Self {
        Self {
            given: self.given.clone(),
            when: self.when.clone(),
            then: self.then.clone(),
        }
    }
}

// Implemented manually to omit redundant `World: Default` trait bound, imposed
// by `#[derive(Default)]`.
impl<World> Default for Collection<World> {
    fn default() -> Self {
        Self {
            given: HashMap::new(),
            when: HashMap::new(),
            then: HashMap::new(),
        }
    }
}

impl<World> Collection<World> {
    /// Creates a new empty [`Collection`].
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a [Given] [`Step`] matching the given `regex`.
    ///
    /// [Given]: https://cucumber.io/docs/gherkin/reference#given
    #[must_use]
    pub fn given(
        mut self,
        loc: Option<Location>,
        regex: Regex,
        step: Step<World>,
    ) -> Self {
        let key = (regex.into(), loc);
        let candidate = self.candidate(&key, step);
        drop(self.given.insert(key, candidate));
        self
    }

    /// Adds a [When] [`Step`] matching the given `regex`.
    ///
    /// [When]: https://cucumber.io/docs/gherkin/reference#when
    #[must_use]
    pub fn when(
        mut self,
        loc: Option<Location>,
        regex: Regex,
        step: Step<World>,
    ) -> Self {
        let key = (regex.into(), loc);
        let candidate = self.candidate(&key, step);
        drop(self.when.insert(key, candidate));
        self
    }

    /// Adds a [Then] [`Step`] matching the given `regex`.
    ///
    /// [Then]: https://cucumber.io/docs/gherkin/reference#then
    #[must_use]
    pub fn then(
        mut self,
        loc: Option<Location>,
        regex: Regex,
        step: Step<World>,
    ) -> Self {
        let key = (regex.into(), loc);
        let candidate = self.candidate(&key, step);
        drop(self.then.insert(key, candidate));
        self
    }

    /// Creates a [`Candidate`] for the `step` under the `key`, reusing the
    /// prefixes extracted when the same [`Regex`] was registered for another
    /// [`StepType`], as it is when a step is registered for every keyword.
    fn candidate(
        &self,
        key: &(HashableRegex, Option<Location>),
        step: Step<World>,
    ) -> Candidate<World> {
        [&self.given, &self.when, &self.then]
            .into_iter()
            .find_map(|steps| steps.get(key))
            .map_or_else(
                || Candidate::new(&key.0, step),
                |sibling| Candidate { step, ..sibling.clone() },
            )
    }

    /// Returns a [`Step`] function matching the given [`gherkin::Step`], if
    /// any.
    ///
    /// # Errors
    ///
    /// If the given [`gherkin::Step`] matches multiple [`Regex`]es.
    pub fn find(
        &self,
        step: &gherkin::Step,
    ) -> Result<Option<WithContext<'_, World>>, AmbiguousMatchError> {
        let collection = match step.ty {
            StepType::Given => &self.given,
            StepType::When => &self.when,
            StepType::Then => &self.then,
        };

        let mut captures = collection
            .iter()
            .filter(|(_, candidate)| candidate.may_match(&step.value))
            .map(|(key, candidate)| (key, &candidate.step))
            .filter_map(|((re, loc), step_fn)| {
                let mut captures = re.capture_locations();
                let names = re.capture_names();
                re.captures_read(&mut captures, &step.value)
                    .map(|m| (re, loc, m, captures, names, step_fn))
            })
            .collect::<Vec<_>>();

        let (_, loc, whole_match, captures, names, step_fn) =
            match captures.len() {
                0 => return Ok(None),
                // Instead of `.unwrap()` to avoid documenting `# Panics`.
                1 => captures.pop().unwrap_or_else(|| unreachable!()),
                _ => {
                    return Err(AmbiguousMatchError {
                        possible_matches: captures
                            .into_iter()
                            .map(|(re, loc, ..)| (re.clone(), *loc))
                            .sorted()
                            .collect(),
                    });
                }
            };

        #[expect( // intentional
            clippy::string_slice,
            reason = "all indices are obtained from the source string"
        )]
        let matches = names
            .map(|opt| opt.map(str::to_owned))
            .zip(iter::once(whole_match.as_str().to_owned()).chain(
                (1..captures.len()).map(|group_id| {
                    captures
                        .get(group_id)
                        .map_or("", |(s, e)| &step.value[s..e])
                        .to_owned()
                }),
            ))
            .collect();

        Ok(Some((
            step_fn,
            captures,
            *loc,
            Context { step: step.clone(), matches },
        )))
    }
}

/// [`Step`] function of a [`Collection`], along with the literal text any
/// match of its [`Regex`] begins with, so [`Collection::find()`] runs only
/// the [`Regex`]es that can match, instead of every one of them with capture
/// groups.
struct Candidate<World> {
    /// [`Step`] function itself.
    step: Step<World>,

    /// Literals one of which every match of the [`Regex`] begins with; [`None`]
    /// when they cannot be told (the [`Regex`] then runs on every step).
    prefixes: Option<Vec<Vec<u8>>>,

    /// Whether every match begins at the start of the text (`^` without the
    /// `m` flag), so the text itself must begin with one of the `prefixes`.
    anchored: bool,
}

// Implemented manually to omit redundant `World: Clone` trait bound, imposed by
// `#[derive(Clone)]`.
impl<World> Clone for Candidate<World> {
    fn clone(&self) -> Self {
        Self {
            step: self.step,
            prefixes: self.prefixes.clone(),
            anchored: self.anchored,
        }
    }
}

impl<World> Candidate<World> {
    /// Creates a new [`Candidate`], extracting the literal prefixes of the
    /// `regex`'s pattern.
    ///
    /// The pattern is parsed with the default flags of [`Regex::new()`]: a
    /// [`Regex`] built by `RegexBuilder` with `case_insensitive` or
    /// `ignore_whitespace` should carry them as inline flags (`(?i)`, `(?x)`).
    fn new(regex: &Regex, step: Step<World>) -> Self {
        use regex_syntax::hir::{Look, literal::Extractor};

        let Ok(hir) = regex_syntax::parse(regex.as_str()) else {
            return Self { step, prefixes: None, anchored: false };
        };
        let prefixes = Extractor::new().extract(&hir).literals().map(|l| {
            l.iter().map(|literal| literal.as_bytes().to_vec()).collect()
        });
        let anchored =
            hir.properties().look_set_prefix().contains(Look::Start);
        Self { step, prefixes, anchored }
    }

    /// Whether the [`Regex`] may match the `text`: a match begins with one
    /// of the prefixes, so the `text` begins with it when the [`Regex`] is
    /// anchored at the start, and contains it otherwise.
    fn may_match(&self, text: &str) -> bool {
        let text = text.as_bytes();
        self.prefixes.as_ref().is_none_or(|prefixes| {
            prefixes.iter().any(|prefix| match prefix.split_first() {
                None => true,
                Some((first, _)) if self.anchored => {
                    text.first() == Some(first) && text.starts_with(prefix)
                }
                Some((first, _)) => text
                    .windows(prefix.len())
                    .any(|w| w[0] == *first && w == prefix.as_slice()),
            })
        })
    }
}

/// Name of a capturing group inside a [`regex`].
pub type CaptureName = Option<String>;

/// Context for a [`Step`] function execution.
#[derive(Clone, Debug)]
pub struct Context {
    /// [`Step`] matched to a [`Step`] function.
    ///
    /// [`Step`]: gherkin::Step
    pub step: gherkin::Step,

    /// [`Regex`] matches of a [`Step::value`].
    ///
    /// [`Step::value`]: gherkin::Step::value
    pub matches: Vec<(CaptureName, String)>,
}

/// Error of a [`gherkin::Step`] matching multiple [`Step`] [`Regex`]es inside a
/// [`Collection`].
#[derive(Clone, Debug, Error)]
pub struct AmbiguousMatchError {
    /// Possible [`Regex`]es the [`gherkin::Step`] matches.
    pub possible_matches: Vec<(HashableRegex, Option<Location>)>,
}

impl Display for AmbiguousMatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Possible matches:")?;
        for (reg, loc_opt) in &self.possible_matches {
            write!(f, "\n{reg}")?;
            if let Some(loc) = loc_opt {
                write!(f, " --> {loc}")?;
            }
        }
        Ok(())
    }
}

/// Location of a [`Step`] [`fn`] automatically filled by a proc macro.
#[derive(Clone, Copy, Debug, Display, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[display("{path}:{line}:{column}")]
pub struct Location {
    /// Path to the file where [`Step`] [`fn`] is located.
    pub path: &'static str,

    /// Line of the file where [`Step`] [`fn`] is located.
    pub line: u32,

    /// Column of the file where [`Step`] [`fn`] is located.
    pub column: u32,
}

/// [`Regex`] wrapper implementing [`Eq`], [`Ord`] and [`Hash`].
#[derive(Clone, Debug, Deref, DerefMut, Display)]
pub struct HashableRegex(Regex);

impl From<Regex> for HashableRegex {
    fn from(re: Regex) -> Self {
        Self(re)
    }
}

impl Hash for HashableRegex {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.as_str().hash(state);
    }
}

impl PartialEq for HashableRegex {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Eq for HashableRegex {}

impl PartialOrd for HashableRegex {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for HashableRegex {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.as_str().cmp(other.0.as_str())
    }
}
