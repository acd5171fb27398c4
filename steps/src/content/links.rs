//! Which links a crawl follows: same origin, `http(s)` only, resolved as the browser would
//! (against `<base href>`), and never one whose decoded path, query or text names an action that
//! ends the session or destroys something. The parts of an address that vary (numbers, moments,
//! tokens) are public: `shakedown init` reads them to tell an address that expires.

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
    "wipe",
    "erase",
    "truncate",
    "flush",
    "shutdown",
    "shut down",
    "reboot",
    "restart",
    "terminate",
];

/// The built-in destructive words, plus what a project adds (`content.crawl_skip`) and lets
/// through (`content.crawl_allow`).
#[derive(Debug, Clone, Default)]
pub(crate) struct LinkRules {
    skip: Vec<Regex>,
    allow: Vec<Regex>,
}

/// The links of one page, sorted by the rules.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Links {
    /// Same-origin links safe to follow, without their fragment, in page order, each with its
    /// label (a broken one is named by it).
    pub follow: Vec<(Url, String)>,
    /// Same-origin links left alone, without their fragment, and why.
    pub skipped: Vec<(Url, Skip)>,
}

/// Why a link is not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Skip {
    /// A built-in destructive word names it.
    Destructive,
    /// A `content.crawl_skip` pattern matches it.
    Configured,
}

impl LinkRules {
    pub fn new(skip: Vec<Regex>, allow: Vec<Regex>) -> Self {
        Self { skip, allow }
    }

    /// The links of an HTML page that ended at `page`, for a crawl of `origin`'s site.
    pub(crate) fn sort(&self, document: &Html, page: &Url, origin: &Url) -> Links {
        let mut links = Links::default();
        for (link, label) in anchors(document, page) {
            if link.origin() != origin.origin() || !matches!(link.scheme(), "http" | "https") {
                continue;
            }
            match self.skips(&link, &label) {
                Some(why) => links.skipped.push((without_fragment(&link), why)),
                None => links.follow.push((without_fragment(&link), label)),
            }
        }
        links
    }

    /// Why a link is one never to follow, if it is: a `crawl_skip` pattern matches its decoded
    /// path and query or its text, or a destructive word does and no `crawl_allow` pattern lets
    /// it through.
    fn skips(&self, link: &Url, label: &str) -> Option<Skip> {
        let target = decoded_target(link);
        let matches = |pattern: &Regex| pattern.is_match(&target) || pattern.is_match(label);
        if self.skip.iter().any(matches) {
            return Some(Skip::Configured);
        }
        let destructive = [target.as_str(), label]
            .into_iter()
            .any(|text| holds_destructive_word(&words(text)));
        (destructive && !self.allow.iter().any(matches)).then_some(Skip::Destructive)
    }
}

/// A link's path and query as the server reads them: percent-decoded (`/log%6fut` is
/// `/logout`), `+` in the query as a space. `content.crawl_skip` patterns read this.
pub fn decoded_target(link: &Url) -> String {
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

/// What a page's relative addresses are resolved against, as the browser does: its
/// `<base href>` when it has one, else where the page ended.
pub(crate) fn base_of(document: &Html, page: &Url) -> Url {
    static BASE: LazyLock<Selector> =
        LazyLock::new(|| Selector::parse("base[href]").expect("a valid selector"));
    document
        .select(&BASE)
        .next()
        .and_then(|base| page.join(base.value().attr("href")?.trim()).ok())
        .unwrap_or_else(|| page.clone())
}

/// Every `<a href>` of a page, resolved as the browser would (see [`base_of`]), with its
/// visible label.
fn anchors(document: &Html, page: &Url) -> Vec<(Url, String)> {
    static ANCHORS: LazyLock<Selector> =
        LazyLock::new(|| Selector::parse("a[href]").expect("a valid selector"));
    let page = &base_of(document, page);
    document
        .select(&ANCHORS)
        .filter_map(|anchor| {
            let href = anchor.value().attr("href")?.trim();
            let label = label_of(anchor);
            Some((page.join(href).ok()?, label))
        })
        .collect()
}

/// What a link says to a person: its text, and what stands for text where it has none or
/// besides it (an image's `alt`, `aria-label`, `title`), so a "Logout" icon reads as one.
fn label_of(anchor: scraper::ElementRef<'_>) -> String {
    let said_by_attributes = std::iter::once(anchor)
        .chain(anchor.descendants().filter_map(scraper::ElementRef::wrap))
        .flat_map(|element| {
            ["alt", "aria-label", "title"]
                .into_iter()
                .filter_map(move |name| element.value().attr(name))
        });
    anchor
        .text()
        .chain(said_by_attributes)
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn without_fragment(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    url
}

/// One page however its query is ordered: `?b=2&a=1` and `?a=1&b=2` ask for the same thing,
/// so a crawl fetches it once.
pub(crate) fn page_key(url: &Url) -> Url {
    let mut key = without_fragment(url);
    if key.query().is_some() {
        let mut pairs: Vec<(String, String)> = key.query_pairs().into_owned().collect();
        pairs.sort();
        key.query_pairs_mut().clear().extend_pairs(pairs);
    }
    key
}

/// A part of an address that picks one thing among many of its kind, or a moment, rather
/// than a kind of page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variable {
    /// `17`: a record's number.
    Number,
    /// `2026-12-06`, `2026-12-06T10:20:30Z`, `12/06/2026`, a Unix timestamp: a moment, which
    /// a link made today will not name tomorrow.
    Moment,
    /// A run of 16 or more hex digits, or a UUID: a hash, a key or a session.
    Token,
}

/// What kind of variable part `text` (a path segment or a query value, percent-decoded) is,
/// if it is one.
pub fn variable_part(text: &str) -> Option<Variable> {
    static MOMENT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\d{4}-\d{2}-\d{2}|\d{4}/\d{2}/\d{2}|\b\d{1,2}/\d{1,2}/\d{4}\b|^1\d{9}(?:\d{3})?$")
            .expect("the moment pattern is valid")
    });
    static HEX_RUN: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[0-9a-fA-F]{16,}").expect("the hex pattern is valid"));
    static UUID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
            .expect("the UUID pattern is valid")
    });
    if MOMENT.is_match(text) {
        return Some(Variable::Moment);
    }
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Some(Variable::Number);
    }
    // A word such as `deadbeefcafebabe` is hex too; a token mixes digits and letters.
    let token = HEX_RUN.find_iter(text).any(|run| {
        let run = run.as_str();
        run.bytes().any(|byte| byte.is_ascii_digit()) && run.bytes().any(|byte| byte.is_ascii_alphabetic())
    });
    (token || UUID.is_match(text)).then_some(Variable::Token)
}

/// The shape of a page's address: its path with every number, moment and token in place of a
/// placeholder, and the sorted names of its query's parameters (`/ticket/{n}?action&version`).
/// `/ticket/17` and `/ticket/18` are one shape, as are every query of one page that differ only
/// in values or order: one kind of page.
pub fn shape_of(url: &Url) -> String {
    let mut shape = String::new();
    for segment in url.path().split('/').skip(1) {
        shape.push('/');
        match variable_part(&percent_decode_str(segment).decode_utf8_lossy()) {
            Some(Variable::Number) => shape.push_str("{n}"),
            Some(Variable::Moment) => shape.push_str("{moment}"),
            Some(Variable::Token) => shape.push_str("{token}"),
            None => shape.push_str(segment),
        }
    }
    if url.query().is_some() {
        let mut names: Vec<String> = url.query_pairs().map(|(name, _)| name.into_owned()).collect();
        names.sort();
        names.dedup();
        shape.push('?');
        shape.push_str(&names.join("&"));
    }
    shape
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
            assert!(rules.skips(&link(href), "Go").is_some(), "{href} is followed");
        }
        assert_eq!(rules.skips(&link("/a"), "Sign out"), Some(Skip::Destructive));
        for href in ["/reports/removals", "/dropbox-help/", "/catalog/outdoor", "/"] {
            assert_eq!(rules.skips(&link(href), "Reports"), None, "{href} is skipped");
        }
        let allowing = LinkRules::new(
            vec![Regex::new("(?i)export").expect("regex")],
            vec![Regex::new("^/search/reset-filters$").expect("regex")],
        );
        assert_eq!(allowing.skips(&link("/search/reset-filters"), "Reset"), None);
        assert_eq!(
            allowing.skips(&link("/reports/export"), "Export"),
            Some(Skip::Configured)
        );
    }

    #[test]
    fn only_safe_links_of_the_same_origin_are_followed() {
        let page = Url::parse("http://site.test/a/").expect("url");
        let rules = LinkRules::new(vec![Regex::new("/archive/").expect("valid")], Vec::new());
        let links = rules.sort(
            &Html::parse_document(
                r#"<a href="b#top">B</a><a href="/accounts/logout/">Bye</a><a href="/x/" >Remove item</a>
               <a href="/archive/2020/">Old</a><a href="http://else.test/">Elsewhere</a><a href="mailto:a@b.test">Mail</a>"#,
            ),
            &page,
            &Url::parse("http://site.test/").expect("url"),
        );
        let url = |text: &str| Url::parse(text).expect("url");
        assert_eq!(
            links,
            Links {
                follow: vec![(url("http://site.test/a/b"), "B".to_owned())],
                skipped: vec![
                    (url("http://site.test/accounts/logout/"), Skip::Destructive),
                    (url("http://site.test/x/"), Skip::Destructive),
                    (url("http://site.test/archive/2020/"), Skip::Configured),
                ],
            }
        );
    }

    #[test]
    fn numbers_moments_and_tokens_are_variable_parts_and_words_are_not() {
        for (text, expected) in [
            ("17", Some(Variable::Number)),
            ("2026-12-06", Some(Variable::Moment)),
            ("2026-12-06T10:20:30Z", Some(Variable::Moment)),
            ("12/6/2026", Some(Variable::Moment)),
            ("1765015230", Some(Variable::Moment)),
            ("3f2a9c0d41b7e8a5", Some(Variable::Token)),
            ("550e8400-e29b-41d4-a716-446655440000", Some(Variable::Token)),
            ("report-2b1f9e7a0c3d5e6f.pdf", Some(Variable::Token)),
            ("deadbeefcafebabe", None),
            ("WikiStart", None),
            ("v2", None),
            ("", None),
        ] {
            assert_eq!(variable_part(text), expected, "{text:?}");
        }
    }

    #[test]
    fn pages_of_one_kind_share_a_shape() {
        let shape = |text: &str| shape_of(&Url::parse(text).expect("url"));
        assert_eq!(shape("http://site.test/ticket/17"), "/ticket/{n}");
        assert_eq!(
            shape("http://site.test/ticket/18"),
            shape("http://site.test/ticket/17")
        );
        assert_eq!(
            shape("http://site.test/query?status=new&order=id"),
            shape("http://site.test/query?order=priority&status=closed&status=new")
        );
        assert_eq!(shape("http://site.test/query?order=id"), "/query?order");
        assert_eq!(
            shape("http://site.test/timeline?from=2026-12-06&daysback=1"),
            "/timeline?daysback&from"
        );
        assert_eq!(
            shape("http://site.test/changeset/3f2a9c0d41b7e8a5/"),
            "/changeset/{token}/"
        );
        assert_ne!(
            shape("http://site.test/wiki/Start"),
            shape("http://site.test/wiki/Guide")
        );
        assert_ne!(
            shape("http://site.test/query"),
            shape("http://site.test/query?order=id")
        );
    }

    #[test]
    fn one_page_is_one_key_whatever_the_order_of_its_query() {
        let key = |text: &str| page_key(&Url::parse(text).expect("url"));
        assert_eq!(
            key("http://site.test/r?b=2&a=1#top"),
            key("http://site.test/r?a=1&b=2")
        );
        assert_ne!(key("http://site.test/r?a=1"), key("http://site.test/r?a=2"));
        assert_eq!(key("http://site.test/r").as_str(), "http://site.test/r");
    }
}
