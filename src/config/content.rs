//! `[content]`: forbidden-content rules (extra patterns, named rules, built-in rules switched
//! off, paths excepted), the crawl's bounds and what it asks of the sub-resources pages load,
//! compiled once; a bad pattern or rule name points at its line.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::ops::Range;

use regex::Regex;
use serde::Deserialize;
use shakedown_steps::ContentSettings;
use shakedown_steps::content::{Allowance, AssetSettings, BUILT_IN, CrawlSettings, RuleError, RuleSet};
use toml::Spanned;

use super::source::Source;
use super::values::at_least_one;
use crate::error::Error;
use shakedown_steps::suggest::suggest;

#[derive(Deserialize)]
pub(super) struct RawContent {
    forbidden: Vec<Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<String, Spanned<String>>,
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    allow: Vec<RawAllowance>,
    crawl_skip: Vec<Spanned<String>>,
    crawl_allow: Vec<Spanned<String>>,
    #[serde(deserialize_with = "at_least_one")]
    crawl_max_pages: NonZeroUsize,
    crawl_max_depth: usize,
    crawl_seeds: Vec<Spanned<String>>,
    #[serde(deserialize_with = "at_least_one")]
    crawl_max_assets: NonZeroUsize,
    check_external: bool,
    check_source_maps: bool,
}

/// `[[content.allow]]`: rules a path, and every path under it, is excepted from (all of them
/// when none is named).
#[derive(Deserialize)]
pub(super) struct RawAllowance {
    path: Spanned<String>,
    rules: Vec<String>,
}

impl RawContent {
    pub fn resolve(self, source: &Source<'_>) -> Result<ContentSettings, Error> {
        let mut spans: Vec<(&str, Range<usize>)> = Vec::new();
        let mut extra = Vec::new();
        for pattern in &self.forbidden {
            spans.push((pattern.get_ref(), pattern.span()));
            extra.push((pattern.get_ref().clone(), pattern.get_ref().clone()));
        }
        for (name, pattern) in &self.rules {
            spans.push((name, pattern.span()));
            extra.push((name.clone(), pattern.get_ref().clone()));
        }
        for name in &self.disable {
            spans.push((name.get_ref(), name.span()));
        }
        let disabled: Vec<String> = self.disable.iter().map(|name| name.get_ref().clone()).collect();
        let allowances = self
            .allow
            .into_iter()
            .map(|allow| {
                let path = source.site_path(
                    allow.path,
                    |path| format!("`content.allow`: the path `{path}` does not start with `/`"),
                    "write the path as the address shows it after the host, `/docs/Guide`; it covers that page and every page under it, and `*` stands for any run of characters within one segment",
                )?;
                Ok(Allowance {
                    path,
                    rules: allow.rules,
                })
            })
            .collect::<Result<_, _>>()?;
        let rules = RuleSet::new(&extra, &disabled, allowances).map_err(|error| {
            let name = match &error {
                RuleError::Pattern { name, .. } | RuleError::UnknownBuiltIn { name, .. } => name,
            };
            let span = spans
                .iter()
                .find(|(known, _)| known == name)
                .map_or(0..0, |(_, span)| span.clone());
            let hint = match &error {
                RuleError::UnknownBuiltIn { name, .. } => {
                    let built_in = BUILT_IN.iter().map(|rule| rule.name);
                    Some(match suggest(name, built_in.clone()) {
                        Some(rule) => format!("did you mean `{rule}`?"),
                        None => format!("built-in rules: {}", built_in.collect::<Vec<_>>().join(", ")),
                    })
                }
                RuleError::Pattern { .. } => None,
            };
            source.error_at(span, format!("`[content]`: {error}"), hint)
        })?;
        let patterns = |key: &str, written: &[Spanned<String>]| {
            written
                .iter()
                .map(|pattern| {
                    Regex::new(pattern.get_ref()).map_err(|error| {
                        source.error_at(
                            pattern.span(),
                            format!(
                                "`content.{key}`: `{}` is not a valid regex: {error}",
                                pattern.get_ref()
                            ),
                            None,
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let skip = patterns("crawl_skip", &self.crawl_skip)?;
        let allow = patterns("crawl_allow", &self.crawl_allow)?;
        let seeds = self
            .crawl_seeds
            .into_iter()
            .map(|seed| {
                source.site_path(
                    seed,
                    |path| format!("`content.crawl_seeds`: the path `{path}` does not start with `/`"),
                    "write each page the crawl starts from as the address shows it after the host, `/invoices/1742`",
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ContentSettings {
            rules,
            crawl: CrawlSettings {
                max_pages: self.crawl_max_pages.get(),
                max_depth: self.crawl_max_depth,
                skip,
                allow,
                seeds,
                assets: AssetSettings {
                    max_assets: self.crawl_max_assets.get(),
                    check_external: self.check_external,
                    check_source_maps: self.check_source_maps,
                },
            },
            public: Default::default(),
        })
    }
}
