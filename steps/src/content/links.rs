//! Which links a crawl follows: same origin, `http(s)` only, resolved as the browser would
//! (against `<base href>`), and never one whose decoded path, query or text names an action that
//! ends the session or destroys something. Public so that `shakedown init` explores a site by the
//! same rules as the crawl step.

use std::sync::LazyLock;

use percent_encoding::percent_decode_str;
use regex::Regex;
use scraper::{Html, Selector};
use url::Url;

/// Words (or runs of words) that name an action ending a session or destroying something: a link
/// whose decoded path, query or text holds one of them is never followed. Matched as whole words,
/// so `/reports/removals` is crawled and `/items/7/remove` is not.
const DESTRUCTIVE_WORDS: &[&str] = &[
    "logout",
    "log out",
    "logoff",
    "log off",
    "signout",
    "sign out",
    "signoff",
    "sign off",
    "delete",
    "destroy",
    "remove",
    "drop",
    "reset",
    "purge",
    "cancel",
    "deactivate",
    "disable",
    "unsubscribe",
    "revoke",
    "session end",
];

/// The built-in destructive words, plus what a project adds (`content.crawl_skip`) and lets
/// through (`content.crawl_allow`).
#[derive(Debug, Clone, Default)]
pub struct LinkRules {
    skip: Vec<Regex>,
    allow: Vec<Regex>,
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
    pub fn new(skip: Vec<Regex>, allow: Vec<Regex>) -> Self {
        Self { skip, allow }
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
            if self.skips(&link, &label) {
                links.skipped += 1;
            } else {
                links.follow.push(without_fragment(&link));
            }
        }
        links
    }

    /// Whether a link is one never to follow: a `crawl_skip` pattern matches its decoded path
    /// and query or its text, or a destructive word does and no `crawl_allow` pattern lets it
    /// through.
    fn skips(&self, link: &Url, label: &str) -> bool {
        let target = decoded_target(link);
        let matches = |pattern: &Regex| pattern.is_match(&target) || pattern.is_match(label);
        if self.skip.iter().any(matches) {
            return true;
        }
        let destructive = [target.as_str(), label]
            .into_iter()
            .any(|text| holds_destructive_word(&words(text)));
        destructive && !self.allow.iter().any(matches)
    }
}

/// A link's path and query as the server reads them: percent-decoded (`/log%6fut` is
/// `/logout`), `+` in the query as a space.
fn decoded_target(link: &Url) -> String {
    let path = percent_decode_str(link.path()).decode_utf8_lossy();
    match link.query() {
        Some(query) => format!(
            "{path}?{}",
            percent_decode_str(&query.replace('+', " ")).decode_utf8_lossy()
        ),
        None => path.into_owned(),
    }
}

/// The lower-case words of a text, split at anything not a letter or digit and where a
/// lower-case letter meets an upper-case one (`deleteAccount` is `delete account`).
fn words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for character in text.chars() {
        let boundary = !character.is_alphanumeric() || (previous_lower && character.is_uppercase());
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if character.is_alphanumeric() {
            current.extend(character.to_lowercase());
        }
        previous_lower = character.is_lowercase();
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether a run of `words` spells one of [`DESTRUCTIVE_WORDS`].
fn holds_destructive_word(words: &[String]) -> bool {
    DESTRUCTIVE_WORDS.iter().any(|phrase| {
        let wanted: Vec<&str> = phrase.split(' ').collect();
        words
            .windows(wanted.len())
            .any(|window| window.iter().zip(&wanted).all(|(word, want)| word == want))
    })
}

/// Every `<a href>` of a page, resolved as the browser would (against the page's `<base href>`
/// when it has one, else where the page ended), with its visible label.
fn anchors(document: &Html, page: &Url) -> Vec<(Url, String)> {
    static ANCHORS: LazyLock<Selector> =
        LazyLock::new(|| Selector::parse("a[href]").expect("a valid selector"));
    static BASE: LazyLock<Selector> =
        LazyLock::new(|| Selector::parse("base[href]").expect("a valid selector"));
    let base = document
        .select(&BASE)
        .next()
        .and_then(|base| page.join(base.value().attr("href")?.trim()).ok());
    let page = base.as_ref().unwrap_or(page);
    document
        .select(&ANCHORS)
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
        let with_base = anchors(
            &Html::parse_document(r#"<base href="/app/"><a href="reports/">Reports</a>"#),
            &page,
        );
        assert_eq!(with_base[0].0.as_str(), "http://site.test/app/reports/");
    }

    #[test]
    fn destructive_links_are_known_by_their_decoded_words_not_by_substrings() {
        let rules = LinkRules::default();
        let link = |href: &str| {
            Url::parse("http://site.test/")
                .expect("url")
                .join(href)
                .expect("link")
        };
        for href in [
            "/log%6fut",
            "/accounts/log-out/",
            "/orders/7/delete",
            "/api/deleteAccount",
            "/session/end",
            "/newsletter?action=unsubscribe",
            "/cache/purge/",
            "/keys/7/revoke",
        ] {
            assert!(rules.skips(&link(href), "Go"), "{href} is followed");
        }
        assert!(rules.skips(&link("/a"), "Sign out"));
        for href in ["/reports/removals", "/dropbox-help/", "/catalog/outdoor", "/"] {
            assert!(!rules.skips(&link(href), "Reports"), "{href} is skipped");
        }
        let allowing = LinkRules::new(
            vec![Regex::new("(?i)export").expect("regex")],
            vec![Regex::new("^/search/reset-filters$").expect("regex")],
        );
        assert!(!allowing.skips(&link("/search/reset-filters"), "Reset"));
        assert!(allowing.skips(&link("/reports/export"), "Export"));
    }

    #[test]
    fn only_safe_links_of_the_same_origin_are_followed() {
        let page = Url::parse("http://site.test/a/").expect("url");
        let rules = LinkRules::new(vec![Regex::new("/archive/").expect("valid")], Vec::new());
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
