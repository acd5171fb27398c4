//! Which links a crawl follows: same origin, `http(s)` only, and never one whose path, query or
//! text looks like it ends the session or changes data. Public so that `shakedown init` explores
//! a site by the same rules as the crawl step.

use regex::Regex;
use scraper::{Html, Selector};
use url::Url;

/// Links whose path or text match these are never followed: they end the session or change
/// data, and a crawl must leave the site as it found it.
const BUILT_IN_SKIPS: &str =
    r"(?i)log[-_\s]*out|sign[-_\s]*out|log[-_\s]*off|delete|remove|destroy|unsubscribe";

/// The built-in skips, plus any a project adds (`content.crawl_skip`).
#[derive(Debug, Clone)]
pub struct LinkRules {
    skips: Vec<Regex>,
}

/// The links of one page, sorted by the rules.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// Same-origin links safe to follow, without their fragment, in page order.
    pub follow: Vec<Url>,
    /// Same-origin links left alone because they look destructive.
    pub skipped: usize,
}

impl LinkRules {
    pub fn new(extra_skips: Vec<Regex>) -> Self {
        let built_in = Regex::new(BUILT_IN_SKIPS).expect("the built-in skip pattern is valid");
        Self {
            skips: std::iter::once(built_in).chain(extra_skips).collect(),
        }
    }

    /// The links of an HTML page that ended at `page`, for a crawl of `origin`'s site.
    pub fn links_of(&self, html: &str, page: &Url, origin: &Url) -> Links {
        self.sort(&Html::parse_document(html), page, origin)
    }

    pub(crate) fn sort(&self, document: &Html, page: &Url, origin: &Url) -> Links {
        let mut links = Links::default();
        for (link, label) in anchors(document, page) {
            if link.origin() != origin.origin() || !matches!(link.scheme(), "http" | "https") {
                continue;
            }
            let target = &link[url::Position::BeforePath..];
            if self
                .skips
                .iter()
                .any(|skip| skip.is_match(target) || skip.is_match(&label))
            {
                links.skipped += 1;
            } else {
                links.follow.push(without_fragment(&link));
            }
        }
        links
    }
}

/// Every `<a href>` of a page, resolved against where the page ended, with its visible label.
fn anchors(document: &Html, page: &Url) -> Vec<(Url, String)> {
    let Ok(anchors) = Selector::parse("a[href]") else {
        return Vec::new();
    };
    document
        .select(&anchors)
        .filter_map(|anchor| {
            let href = anchor.value().attr("href")?.trim();
            let label = anchor.text().collect::<Vec<_>>().join(" ");
            Some((page.join(href).ok()?, label))
        })
        .collect()
}

pub(crate) fn without_fragment(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_against_the_page_and_keep_their_labels() {
        let page = Url::parse("http://site.test/a/b").expect("url");
        let found = anchors(
            &Html::parse_document(
                r#"<a href="c">C</a><a href="/accounts/logout/">Log <b>out</b></a><a href="https://else.test/">x</a><a name="anchor">no href</a>"#,
            ),
            &page,
        );
        let urls: Vec<String> = found
            .iter()
            .map(|(url, label)| format!("{url} [{label}]"))
            .collect();
        assert_eq!(
            urls,
            [
                "http://site.test/a/c [C]",
                "http://site.test/accounts/logout/ [Log  out]",
                "https://else.test/ [x]"
            ]
        );
        let skips = Regex::new(BUILT_IN_SKIPS).expect("valid");
        assert!(
            skips.is_match("/accounts/logout/")
                && skips.is_match("Sign out")
                && skips.is_match("/orders/7/delete")
        );
        assert!(!skips.is_match("/reports/") && !skips.is_match("Log in"));
    }

    #[test]
    fn only_safe_links_of_the_same_origin_are_followed() {
        let page = Url::parse("http://site.test/a/").expect("url");
        let rules = LinkRules::new(vec![Regex::new("/archive/").expect("valid")]);
        let links = rules.links_of(
            r#"<a href="b#top">B</a><a href="/accounts/logout/">Bye</a><a href="/x/" >Remove item</a>
               <a href="/archive/2020/">Old</a><a href="http://else.test/">Elsewhere</a><a href="mailto:a@b.test">Mail</a>"#,
            &page,
            &Url::parse("http://site.test/").expect("url"),
        );
        assert_eq!(
            links,
            Links {
                follow: vec![Url::parse("http://site.test/a/b").expect("url")],
                skipped: 3,
            }
        );
    }
}
