//! What a page loads besides itself, found as a browser finds it: images (`src`, `srcset`),
//! scripts, the style sheets, icons, preloads and manifests of `<link rel>`, `<source>`, video
//! and audio (`src`, `poster`), and the `url(…)` and `@import` of its style sheets, read by the
//! CSS tokenizer the HTML parser itself uses (`cssparser`), so comments and strings are what
//! CSS says they are. `data:` and other addresses nothing is fetched from are left out.

use std::collections::HashSet;
use std::sync::LazyLock;

use cssparser::{ParseError, Parser, ParserInput, Token};
use reqwest::header::{CONTENT_SECURITY_POLICY, HeaderMap};
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::links::{base_of, without_fragment};

/// Blocks nested deeper than this in a style sheet are not searched for `url()`: no real style
/// sheet comes near it, and a hostile one must not run the reader out of stack.
const MAX_CSS_NESTING: usize = 32;

/// What the crawl does with a sub-resource beyond asking for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum AssetKind {
    /// Its answer is all that counts.
    Plain,
    /// A style sheet: its body is read for the `url()` and `@import` it loads in turn.
    StyleSheet,
    /// A script: its body is read for a source map, when those are checked.
    Script,
}

/// One address a page (or a style sheet) loads, and how it asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SubResource {
    /// Resolved as the browser would, without its fragment.
    pub url: Url,
    /// How it is asked for, for the report: `<img srcset>`, `<link rel=stylesheet>`, `url()`.
    pub element: &'static str,
    pub kind: AssetKind,
}

/// Every sub-resource an HTML page loads, in page order, each address once. Source maps are
/// named by the scripts and style sheets, not by the page: see [`source_map_of`].
pub(crate) fn sub_resources(document: &Html, page: &Url) -> Vec<SubResource> {
    static LOADING: LazyLock<Selector> = LazyLock::new(|| {
        Selector::parse("img, script[src], link[href][rel], source, video, audio, style")
            .expect("a valid selector")
    });
    let base = base_of(document, page);
    let mut found = Found::default();
    for element in document.select(&LOADING) {
        let tag = element.value().name();
        let attribute = |name: &str| element.value().attr(name);
        match tag {
            "img" | "source" => {
                let (src, srcset) = match tag {
                    "img" => ("<img src>", "<img srcset>"),
                    _ => ("<source src>", "<source srcset>"),
                };
                found.add(&base, attribute("src"), src, AssetKind::Plain);
                for candidate in attribute("srcset").map(srcset_urls).unwrap_or_default() {
                    found.add(&base, Some(candidate), srcset, AssetKind::Plain);
                }
            }
            "script" => found.add(&base, attribute("src"), "<script src>", AssetKind::Script),
            "link" => {
                if let Some((element, kind)) = link_loads(&element) {
                    found.add(&base, attribute("href"), element, kind);
                }
            }
            "video" | "audio" => {
                let (src, poster) = match tag {
                    "video" => ("<video src>", "<video poster>"),
                    _ => ("<audio src>", "<audio poster>"),
                };
                found.add(&base, attribute("src"), src, AssetKind::Plain);
                found.add(&base, attribute("poster"), poster, AssetKind::Plain);
            }
            _ => {
                let css: String = element.text().collect();
                for (reference, how) in css_references(&css) {
                    let element = match how {
                        CssReference::Url => "url() in <style>",
                        CssReference::Import => "@import in <style>",
                    };
                    found.add(&base, Some(&reference), element, css_kind(how));
                }
            }
        }
    }
    found.resources
}

/// Whether a page tells the browser to load its `http://` sub-resources over `https://`
/// instead: the CSP directive `upgrade-insecure-requests`, in a `Content-Security-Policy`
/// header or a `<meta http-equiv>` (a report-only policy changes nothing). Browsers then never
/// ask for the `http://` address, so it is no mixed content.
pub(crate) fn upgrades_insecure_requests(headers: &HeaderMap, document: &Html) -> bool {
    static META: LazyLock<Selector> =
        LazyLock::new(|| Selector::parse("meta[http-equiv][content]").expect("a valid selector"));
    let in_headers = headers
        .get_all(CONTENT_SECURITY_POLICY)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(policy_upgrades);
    in_headers
        || document.select(&META).any(|meta| {
            let value = meta.value();
            value
                .attr("http-equiv")
                .is_some_and(|name| name.trim().eq_ignore_ascii_case("content-security-policy"))
                && value.attr("content").is_some_and(policy_upgrades)
        })
}

/// Whether one serialized policy (directives split by `;`, a header's policies by `,`) holds
/// `upgrade-insecure-requests`.
fn policy_upgrades(policy: &str) -> bool {
    policy.split([';', ',']).any(|directive| {
        directive
            .split_ascii_whitespace()
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case("upgrade-insecure-requests"))
    })
}

/// The address a browser asks for once insecure requests are upgraded: `https://`, with port
/// 80 becoming 443 and any other port kept.
pub(crate) fn upgraded(url: &Url) -> Url {
    let mut upgraded = url.clone();
    if url.scheme() == "http" {
        // Both are special schemes, so the change is always allowed; port 80 is the default
        // `Url` leaves unwritten, so it becomes https's 443.
        let _ = upgraded.set_scheme("https");
    }
    upgraded
}

/// What a `<link>` loads, by its `rel` (a space-separated list, any case), if it loads anything.
fn link_loads(link: &ElementRef<'_>) -> Option<(&'static str, AssetKind)> {
    let rel = link.value().attr("rel")?.to_ascii_lowercase();
    let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
    [
        ("stylesheet", "<link rel=stylesheet>", AssetKind::StyleSheet),
        ("icon", "<link rel=icon>", AssetKind::Plain),
        (
            "apple-touch-icon",
            "<link rel=apple-touch-icon>",
            AssetKind::Plain,
        ),
        ("manifest", "<link rel=manifest>", AssetKind::Plain),
        ("preload", "<link rel=preload>", AssetKind::Plain),
        ("modulepreload", "<link rel=modulepreload>", AssetKind::Script),
    ]
    .into_iter()
    .find(|(name, _, _)| rels.contains(name))
    .map(|(_, element, kind)| (element, kind))
}

/// Sub-resources in the order found, each address once.
#[derive(Default)]
struct Found {
    seen: HashSet<Url>,
    resources: Vec<SubResource>,
}

impl Found {
    fn add(&mut self, base: &Url, written: Option<&str>, element: &'static str, kind: AssetKind) {
        let Some(url) = written.and_then(|written| resolve(base, written)) else {
            return;
        };
        if self.seen.insert(url.clone()) {
            self.resources.push(SubResource { url, element, kind });
        }
    }
}

/// An address as written in a page or style sheet, resolved against `base`; `None` for one
/// nothing is fetched from (empty, `data:`, `blob:`, `javascript:`, a fragment of the same
/// document such as an SVG filter's `url(#shadow)`).
pub(crate) fn resolve(base: &Url, written: &str) -> Option<Url> {
    let written = written.trim();
    if written.is_empty() || written.starts_with('#') {
        return None;
    }
    let url = base.join(written).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| without_fragment(&url))
}

/// The addresses of a `srcset`, as the HTML standard splits it: candidates are separated by
/// commas, an address runs to the first whitespace (a comma inside it, as in a `data:` address,
/// is part of it), and its descriptors (`2x`, `640w`) run to the next comma.
pub(crate) fn srcset_urls(srcset: &str) -> Vec<&str> {
    let mut urls = Vec::new();
    let mut rest = srcset;
    loop {
        rest = rest.trim_start_matches(|character: char| character.is_ascii_whitespace() || character == ',');
        if rest.is_empty() {
            return urls;
        }
        let end = rest
            .find(|character: char| character.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let (candidate, after) = rest.split_at(end);
        let address = candidate.trim_end_matches(',');
        if !address.is_empty() {
            urls.push(address);
        }
        if candidate.ends_with(',') {
            rest = after;
            continue;
        }
        // Descriptors, up to the comma that ends them (none inside parentheses).
        let mut depth = 0usize;
        let mut next = after.len();
        for (index, character) in after.char_indices() {
            match character {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    next = index + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &after[next..];
    }
}

/// How a style sheet asks for an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CssReference {
    /// `url(…)`: an image, a font, a cursor.
    Url,
    /// `@import`: another style sheet, read in turn.
    Import,
}

/// The kind of sub-resource a style sheet's reference loads.
pub(crate) fn css_kind(how: CssReference) -> AssetKind {
    match how {
        CssReference::Url => AssetKind::Plain,
        CssReference::Import => AssetKind::StyleSheet,
    }
}

/// Every `url(…)` and `@import` of a style sheet, as written, in order: quoted or not, escapes
/// undone, comments and strings that are no address passed over.
pub(crate) fn css_references(css: &str) -> Vec<(String, CssReference)> {
    let mut input = ParserInput::new(css);
    let mut parser = Parser::new(&mut input);
    let mut found = Vec::new();
    read_css_block(&mut parser, &mut found, 0);
    found
}

fn read_css_block(parser: &mut Parser<'_, '_>, found: &mut Vec<(String, CssReference)>, depth: usize) {
    loop {
        let token = match parser.next() {
            Ok(token) => token.clone(),
            Err(_) => return,
        };
        match token {
            Token::UnquotedUrl(address) => found.push((address.to_string(), CssReference::Url)),
            Token::AtKeyword(name) if name.eq_ignore_ascii_case("import") => {
                if let Ok(address) = parser.expect_url_or_string() {
                    found.push((address.to_string(), CssReference::Import));
                }
            }
            Token::Function(name) if name.eq_ignore_ascii_case("url") => {
                let quoted = parser.parse_nested_block(|nested| -> Result<_, ParseError<'_, ()>> {
                    Ok(nested.expect_string().ok().map(ToString::to_string))
                });
                if let Ok(Some(address)) = quoted {
                    found.push((address, CssReference::Url));
                }
            }
            Token::Function(_)
            | Token::ParenthesisBlock
            | Token::SquareBracketBlock
            | Token::CurlyBracketBlock
                if depth < MAX_CSS_NESTING =>
            {
                let _ = parser.parse_nested_block(|nested| -> Result<(), ParseError<'_, ()>> {
                    read_css_block(nested, found, depth + 1);
                    Ok(())
                });
            }
            _ => {}
        }
    }
}

/// The source map a script or style sheet names in its last `sourceMappingURL` comment
/// (`//# sourceMappingURL=app.js.map`, `/*# sourceMappingURL=site.css.map */`), or its
/// `SourceMap` header names; an inline `data:` map is no address.
pub(crate) fn source_map_reference<'a>(body: &'a str, header: Option<&'a str>) -> Option<&'a str> {
    const MARK: &str = "sourceMappingURL=";
    if let Some(header) = header.map(str::trim).filter(|header| !header.is_empty()) {
        return Some(header);
    }
    let at = body.rfind(MARK)?;
    let before = body[..at].trim_end_matches([' ', '\t']);
    if !["//#", "//@", "/*#", "/*@"]
        .iter()
        .any(|opening| before.ends_with(opening))
    {
        return None;
    }
    let rest = &body[at + MARK.len()..];
    let end = rest
        .find(|character: char| character.is_whitespace() || character == '*')
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|address| !address.is_empty())
}

/// A source map's address, resolved against the script or style sheet naming it.
pub(crate) fn source_map_of(asset: &Url, body: &str, header: Option<&str>) -> Option<Url> {
    resolve(asset, source_map_reference(body, header)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://site.test/shop/item").expect("url")
    }

    fn loaded(html: &str) -> Vec<String> {
        sub_resources(&Html::parse_document(html), &page())
            .into_iter()
            .map(|found| format!("{} {}", found.element, found.url))
            .collect()
    }

    #[test]
    fn a_content_security_policy_that_upgrades_insecure_requests_is_read_from_header_or_meta() {
        let policy = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_SECURITY_POLICY, value.parse().expect("a header value"));
            headers
        };
        let plain = Html::parse_document("<p>hello</p>");
        for upgrading in [
            "upgrade-insecure-requests",
            "default-src 'self'; Upgrade-Insecure-Requests ;img-src *",
            "default-src 'self', upgrade-insecure-requests",
        ] {
            assert!(
                upgrades_insecure_requests(&policy(upgrading), &plain),
                "{upgrading}"
            );
        }
        for not_upgrading in [
            "default-src 'self'",
            "block-all-mixed-content",
            "img-src upgrade-insecure-requests",
        ] {
            assert!(
                !upgrades_insecure_requests(&policy(not_upgrading), &plain),
                "{not_upgrading}"
            );
        }
        let meta = Html::parse_document(
            r#"<head><meta http-equiv="Content-Security-Policy" content="upgrade-insecure-requests"></head>"#,
        );
        assert!(upgrades_insecure_requests(&HeaderMap::new(), &meta));
        let report_only = Html::parse_document(
            r#"<meta http-equiv="Content-Security-Policy-Report-Only" content="upgrade-insecure-requests">"#,
        );
        assert!(!upgrades_insecure_requests(&HeaderMap::new(), &report_only));

        let upgrade = |written: &str| upgraded(&Url::parse(written).expect("url")).to_string();
        assert_eq!(upgrade("http://site.test/a.png"), "https://site.test/a.png");
        assert_eq!(upgrade("http://site.test:80/a.png"), "https://site.test/a.png");
        assert_eq!(
            upgrade("http://site.test:8080/a.png"),
            "https://site.test:8080/a.png"
        );
        assert_eq!(upgrade("https://cdn.test/a.js"), "https://cdn.test/a.js");
    }

    #[test]
    fn a_srcset_is_split_into_its_addresses_whatever_its_descriptors_and_commas() {
        assert_eq!(
            srcset_urls("a.png 1x, b.png 2x,c.png"),
            ["a.png", "b.png", "c.png"]
        );
        assert_eq!(
            srcset_urls("  /img/small.jpg 480w,\n /img/big.jpg 1080w  "),
            ["/img/small.jpg", "/img/big.jpg"]
        );
        assert_eq!(
            srcset_urls("data:image/png;base64,iVBOR= 1x, real.png 2x"),
            ["data:image/png;base64,iVBOR=", "real.png"]
        );
        assert_eq!(srcset_urls("a.png, b.png"), ["a.png", "b.png"]);
        assert_eq!(
            srcset_urls("a.png 1x (odd, descriptor), b.png"),
            ["a.png", "b.png"]
        );
        assert!(srcset_urls(" , ").is_empty());
    }

    #[test]
    fn every_element_that_loads_something_is_found_once_resolved_against_the_base() {
        let html = r#"<html><head>
            <link rel="Shortcut Icon" href="/favicon.ico">
            <link rel="preload stylesheet" href="site.css">
            <link rel="alternate" href="/feed.xml">
            <link rel="canonical" href="/shop/item">
            <link rel="manifest" href="/app.webmanifest">
            <script src="/app.js"></script><script>inline()</script>
            <style>body { background: url("/img/bg.png") } /* url(/commented.png) */</style>
            </head><body>
            <img src="logo.png" srcset="logo.png 1x, logo@2x.png 2x">
            <img src="data:image/gif;base64,R0lGOD=">
            <picture><source srcset="/hero.webp"><img src="/hero.jpg"></picture>
            <video src="/clip.mp4" poster="/clip.jpg"></video><audio src="/a.mp3"></audio>
            <a href="/not-a-resource">link</a><img src="/app.js">
            </body></html>"#;
        assert_eq!(
            loaded(html),
            [
                "<link rel=icon> https://site.test/favicon.ico",
                "<link rel=stylesheet> https://site.test/shop/site.css",
                "<link rel=manifest> https://site.test/app.webmanifest",
                "<script src> https://site.test/app.js",
                "url() in <style> https://site.test/img/bg.png",
                "<img src> https://site.test/shop/logo.png",
                "<img srcset> https://site.test/shop/logo@2x.png",
                "<source srcset> https://site.test/hero.webp",
                "<img src> https://site.test/hero.jpg",
                "<video src> https://site.test/clip.mp4",
                "<video poster> https://site.test/clip.jpg",
                "<audio src> https://site.test/a.mp3",
            ]
        );
        assert_eq!(
            loaded(r#"<base href="https://cdn.test/v2/"><img src="x.png#frag">"#),
            ["<img src> https://cdn.test/v2/x.png"]
        );
    }

    #[test]
    fn css_urls_and_imports_are_read_as_css_reads_them() {
        let css = r#"
            @import "base.css";
            @IMPORT url(theme.css) screen;
            /* background: url(/in-a-comment.png); */
            .a { background: URL( '/img/a.png' ) no-repeat; }
            .b { background-image: url(/img/b\(1\).png), url("data:image/svg+xml,<svg/>"); }
            .c::before { content: "url(/in-a-string.png)"; }
            .d { filter: url(#shadow); mask: image-set(url(/img/d.png) 1x); }
            @font-face { src: url(/fonts/f.woff2) format("woff2"); }
            @media (min-width: 1px) { .e { cursor: url(/e.cur), auto } }
        "#;
        let found: Vec<String> = css_references(css)
            .into_iter()
            .map(|(address, how)| format!("{how:?} {address}"))
            .collect();
        assert_eq!(
            found,
            [
                "Import base.css",
                "Import theme.css",
                "Url /img/a.png",
                "Url /img/b(1).png",
                "Url data:image/svg+xml,<svg/>",
                "Url #shadow",
                "Url /img/d.png",
                "Url /fonts/f.woff2",
                "Url /e.cur",
            ]
        );
        let base = Url::parse("https://site.test/static/site.css").expect("url");
        assert_eq!(resolve(&base, "data:image/svg+xml,<svg/>"), None);
        assert_eq!(resolve(&base, "#shadow"), None);
        assert_eq!(
            resolve(&base, "../img/a.png").map(String::from),
            Some("https://site.test/img/a.png".to_owned())
        );
    }

    #[test]
    fn deeply_nested_css_is_read_without_running_out_of_stack() {
        let css = format!("{}url(/deep.png){}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(css_references(&css).is_empty());
        assert_eq!(css_references("((url(/near.png)))").len(), 1);
    }

    #[test]
    fn a_source_map_is_named_by_the_last_comment_or_the_header() {
        let script = "var a=1;\n//# sourceMappingURL=app.js.map\n";
        assert_eq!(source_map_reference(script, None), Some("app.js.map"));
        assert_eq!(
            source_map_reference("a{}\n/*# sourceMappingURL=site.css.map */", None),
            Some("site.css.map")
        );
        assert_eq!(
            source_map_reference(script, Some("/maps/app.map")),
            Some("/maps/app.map")
        );
        assert_eq!(source_map_reference("var sourceMappingURL=x;", None), None);
        let asset = Url::parse("https://site.test/js/app.js").expect("url");
        assert_eq!(
            source_map_of(&asset, script, None).map(String::from),
            Some("https://site.test/js/app.js.map".to_owned())
        );
        assert_eq!(
            source_map_of(
                &asset,
                "//# sourceMappingURL=data:application/json;base64,e30=",
                None
            ),
            None
        );
    }
}
