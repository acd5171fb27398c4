//! Secrets never print. Every password, session cookie and `[secrets]` value shakedown resolves
//! is registered here, in every spelling it takes on its way through a site and a report
//! (HTML-escaped, JSON-escaped, the one inside the other, backslash-escaped, percent-encoded,
//! whitespace collapsed, base64 in a basic-auth header), and every output (terminal, reports,
//! error messages, panic messages, `Debug`) passes through `redact` on its way out. The password
//! in a URL's userinfo is masked whether registered or not.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, LazyLock, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use regex::Regex;
use url::Url;

/// What a secret is replaced with.
pub const MASK: &str = "[redacted]";
/// What the password of a URL's userinfo is replaced with (`https://user:***@host`).
pub const URL_PASSWORD_MASK: &str = "***";

/// Characters a shell-style quoter (`printf %q`, Python's `shlex`-like escapers) leaves bare.
const SHELL_SAFE: &[char] = &['_', '.', '/', '-', ',', ':', '@', '=', '+', '%'];

/// How HTML writers spell the characters they escape. Each row is one writer's table: Django,
/// Go's `html/template` and Jinja2, Rails, PHP's `htmlspecialchars`, XML, a browser
/// serialising text, a browser serialising an attribute value.
const HTML_STYLES: &[&[(char, &str)]] = &[
    &[
        ('&', "&amp;"),
        ('<', "&lt;"),
        ('>', "&gt;"),
        ('"', "&quot;"),
        ('\'', "&#x27;"),
    ],
    &[
        ('&', "&amp;"),
        ('<', "&lt;"),
        ('>', "&gt;"),
        ('"', "&#34;"),
        ('\'', "&#39;"),
    ],
    &[
        ('&', "&amp;"),
        ('<', "&lt;"),
        ('>', "&gt;"),
        ('"', "&quot;"),
        ('\'', "&#39;"),
    ],
    &[
        ('&', "&amp;"),
        ('<', "&lt;"),
        ('>', "&gt;"),
        ('"', "&quot;"),
        ('\'', "&#039;"),
    ],
    &[
        ('&', "&amp;"),
        ('<', "&lt;"),
        ('>', "&gt;"),
        ('"', "&quot;"),
        ('\'', "&apos;"),
    ],
    &[('&', "&amp;"), ('<', "&lt;"), ('>', "&gt;"), ('\u{a0}', "&nbsp;")],
    &[('&', "&amp;"), ('"', "&quot;"), ('\u{a0}', "&nbsp;")],
];

/// The secrets known so far and one automaton over all their spellings.
struct Known {
    spellings: Vec<String>,
    /// Per spelling, the name of the secret it spells when it was registered with one, so a
    /// check can say which secret a page shows without showing it.
    names: Vec<Option<Arc<str>>>,
    /// Where each spelling is in `spellings`.
    index: BTreeMap<String, usize>,
    matcher: Option<AhoCorasick>,
}

static KNOWN: RwLock<Known> = RwLock::new(Known {
    spellings: Vec::new(),
    names: Vec::new(),
    index: BTreeMap::new(),
    matcher: None,
});

/// `scheme://user:password@`: the password part of any URL's userinfo.
static URL_USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/?#@:\[\]]*):[^\s/?#@]+@")
        .expect("the userinfo pattern is valid")
});

/// `?token=…`, `&api_key=…`, `;jsessionid=…`: the value of a URL parameter whose name says it is
/// a credential, registered or not (a link a site hands out, a health check's URL in a feature).
static QUERY_CREDENTIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)([?&;](?:access_token|refresh_token|id_token|auth_token|token|api[_-]?key|apikey|client_secret|secret|password|passwd|pwd|signature|sig|jsessionid|session_?id|sid)=)[^&#\s"'<>]+"#,
    )
    .expect("the query credential pattern is valid")
});

/// Remembers `secret` in every spelling it may take so no output shows it.
pub fn register(secret: &str) {
    remember(spellings(secret), None);
}

/// Remembers `secret` like `register`, under a name that is not secret (`SMTP_PASSWORD`,
/// "the password of role `clerk`"), which `registered_secret_in` gives for it.
pub fn register_named(name: &str, secret: &str) {
    remember(spellings(secret), Some(Arc::from(name)));
}

/// The name of the first named secret `text` shows in any spelling: a page that shows a
/// registered secret is a finding, reported by name since its value never prints.
pub fn registered_secret_in(text: &str) -> Option<String> {
    let known = KNOWN.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let matcher = known.matcher.as_ref()?;
    matcher
        .find_iter(text)
        .find_map(|found| known.names.get(found.pattern().as_usize()).cloned().flatten())
        .map(|name| name.to_string())
}

/// `window` of `text` widened so that it cuts no secret in two: a quote cut through a secret
/// would show the part on the near side of the cut, which no whole spelling matches. Cut at the
/// widened ends and redact the piece.
pub fn uncut(text: &str, window: Range<usize>) -> Range<usize> {
    let mut widened = window;
    let known = KNOWN.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let userinfo = URL_USERINFO
        .find_iter(text)
        .chain(QUERY_CREDENTIAL.find_iter(text))
        .map(|found| found.range());
    let registered = known
        .matcher
        .iter()
        .flat_map(|matcher| matcher.find_iter(text))
        .map(|found| found.range());
    for secret in userinfo.chain(registered) {
        if secret.start < widened.start && widened.start < secret.end {
            widened.start = secret.start;
        }
        if secret.start < widened.end && widened.end < secret.end {
            widened.end = secret.end;
        }
    }
    widened
}

/// Remembers a user's password, and the pair as it travels in an HTTP basic-auth header
/// (`Authorization: Basic base64(user:password)`).
pub fn register_login(username: &str, password: &str) {
    if password.is_empty() {
        return;
    }
    let mut all = spellings(password);
    let pair = format!("{username}:{password}");
    all.push(STANDARD.encode(&pair));
    all.push(URL_SAFE_NO_PAD.encode(&pair));
    remember(all, None);
}

/// Remembers the password of `url`'s userinfo (a `--base-url` such as
/// `https://user:pass@host/`), decoded, with its user as a basic-auth pair.
pub fn register_url(url: &Url) {
    if let Some(password) = url.password() {
        let decoded = percent_encoding::percent_decode_str(password).decode_utf8_lossy();
        let username = percent_encoding::percent_decode_str(url.username()).decode_utf8_lossy();
        register_login(&username, &decoded);
    }
}

/// `text` with the password of every URL's userinfo and every registered secret masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    let text = URL_USERINFO.replace_all(text, format!("${{1}}:{URL_PASSWORD_MASK}@"));
    let text = match QUERY_CREDENTIAL.replace_all(&text, format!("${{1}}{URL_PASSWORD_MASK}")) {
        Cow::Borrowed(_) => text,
        Cow::Owned(masked) => Cow::Owned(masked),
    };
    let known = KNOWN.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    match &known.matcher {
        Some(matcher) if matcher.is_match(text.as_ref()) => {
            let mut masked = String::with_capacity(text.len());
            matcher.replace_all_with(text.as_ref(), &mut masked, |_, _, out| {
                out.push_str(MASK);
                true
            });
            Cow::Owned(masked)
        }
        _ => text,
    }
}

/// Adds `spellings`, under `name` when given, and rebuilds the automaton. Leftmost-longest
/// matching masks a secret that contains another one whole, in one pass.
fn remember(spellings: Vec<String>, name: Option<Arc<str>>) {
    let mut known = KNOWN.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    let known = &mut *known;
    let before = known.spellings.len();
    for spelling in spellings.into_iter().filter(|spelling| !spelling.is_empty()) {
        match known.index.get(&spelling) {
            // A value registered first without a name (a role's password as a login) keeps
            // the name it is given later.
            Some(&at) => {
                if known.names[at].is_none() {
                    known.names[at].clone_from(&name);
                }
            }
            None => {
                known.index.insert(spelling.clone(), known.spellings.len());
                known.spellings.push(spelling);
                known.names.push(name.clone());
            }
        }
    }
    if known.spellings.len() == before {
        return;
    }
    // Building fails only past the automaton's size limits, far beyond a run's few secrets;
    // keeping the last good automaton then masks every secret known before.
    if let Ok(matcher) = AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(&known.spellings)
    {
        known.matcher = Some(matcher);
    }
}

/// Every spelling of `secret` that a site, a client or a report may produce: its encodings, and
/// those of the secret as a page's visible text shows it (whitespace collapsed, as a browser
/// renders it and `text::visible_text` reads it).
fn spellings(secret: &str) -> Vec<String> {
    if secret.is_empty() {
        return Vec::new();
    }
    let mut all = encodings(secret);
    let collapsed = secret.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed != secret && !collapsed.is_empty() {
        all.extend(encodings(&collapsed));
    }
    all
}

/// `secret` as each encoder writes it, and as one encoder writes another's output: JSON inside
/// an HTML attribute (`data-config="{&quot;smtp&quot;: …}"`) or a page's HTML inside a JSON
/// answer.
fn encodings(secret: &str) -> Vec<String> {
    let mut all = vec![secret.to_owned()];
    let json = json_escaped(secret);
    for style in HTML_STYLES {
        let html = html_escaped(secret, style);
        all.extend(json.iter().map(|inside_json| html_escaped(inside_json, style)));
        all.extend(json_escaped(&html));
        all.push(html);
    }
    all.extend(json);
    all.extend(backslash_escaped(secret));
    let percent = percent_encoded(secret);
    all.extend(percent.iter().map(|encoded| lowercase_hex(encoded)));
    all.extend(percent);
    all.push(STANDARD.encode(secret));
    all.push(URL_SAFE_NO_PAD.encode(secret));
    all
}

fn html_escaped(secret: &str, style: &[(char, &str)]) -> String {
    secret
        .chars()
        .map(|c| match style.iter().find(|(plain, _)| *plain == c) {
            Some((_, entity)) => (*entity).to_owned(),
            None => c.to_string(),
        })
        .collect()
}

/// JSON string contents as common encoders write them: serde and JavaScript, PHP (`\/`), Go
/// (`<`, `>`, `&` as `\u003c`...), Django's `json_script` (the same in capitals), PHP's
/// `JSON_HEX_*` flags (quotes too), Python (everything outside ASCII as `\uXXXX`).
fn json_escaped(secret: &str) -> Vec<String> {
    let plain = serde_json::to_string(secret).unwrap_or_default();
    let plain = plain
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned();
    let html_safe = plain
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026");
    let html_safe_capitals = html_safe
        .replace("\\u003c", "\\u003C")
        .replace("\\u003e", "\\u003E");
    let hex_quotes = html_safe_capitals
        .replace("\\\"", "\\u0022")
        .replace('\'', "\\u0027")
        .replace('/', "\\/");
    let ascii_only: String = plain
        .chars()
        .map(|c| match c.is_ascii() {
            true => c.to_string(),
            false => c
                .encode_utf16(&mut [0; 2])
                .iter()
                .map(|unit| format!("\\u{unit:04x}"))
                .collect(),
        })
        .collect();
    vec![
        plain.replace('/', "\\/"),
        html_safe,
        html_safe_capitals,
        hex_quotes,
        ascii_only,
        plain,
    ]
}

/// Backslash escapes: Rust's `{:?}` and `escape_debug`, `text::quoted`'s, and a shell's
/// backslash before every character it would otherwise read.
fn backslash_escaped(secret: &str) -> Vec<String> {
    let debug = format!("{secret:?}");
    let debug = debug
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or_default()
        .to_owned();
    let shell: String = secret
        .chars()
        .flat_map(|c| {
            let bare = c.is_alphanumeric() || SHELL_SAFE.contains(&c);
            (!bare).then_some('\\').into_iter().chain([c])
        })
        .collect();
    // `text::quoted`: only the double quote gets a backslash.
    let quote_only = secret.replace('"', "\\\"");
    vec![debug, secret.escape_debug().to_string(), shell, quote_only]
}

/// Percent-encodings: a form post (`+` for a space), the same with `%20`, everything but
/// letters and digits encoded, and the sets a URL's userinfo and path use.
fn percent_encoded(secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let mut all = vec![
        form.replace('+', "%20"),
        form,
        utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
    ];
    if let Ok(mut url) = Url::parse("http://user@site.invalid/") {
        if url.set_password(Some(secret)).is_ok()
            && let Some(userinfo) = url.password()
        {
            all.push(userinfo.to_owned());
        }
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.clear().push(secret);
        }
        all.push(url.path().trim_start_matches('/').to_owned());
    }
    all
}

/// `%2F` written `%2f`, as some encoders do.
fn lowercase_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        match c {
            '%' => hex_left = 2,
            c if hex_left > 0 => {
                hex_left -= 1;
                out.push(c.to_ascii_lowercase());
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Passwords with every character that an encoder changes: `"`, `&`, `<`, `'`, spaces,
    /// `%`, `/`, `+`, a backslash and a letter outside ASCII.
    const HOSTILE: &str = r#"p"a&s<s w>o%rd/+\ü'"#;

    fn assert_masked(spelling: &str) {
        assert_eq!(
            redact(&format!("before {spelling} after")),
            format!("before {MASK} after"),
            "the spelling {spelling}"
        );
    }

    #[test]
    fn registered_secrets_are_masked_in_plain_and_encoded_form() {
        register("s3cret pass&word");
        assert_eq!(
            redact("login with s3cret pass&word failed"),
            "login with [redacted] failed"
        );
        assert_eq!(redact("password=s3cret+pass%26word"), "password=[redacted]");
        assert_eq!(redact("nothing here"), "nothing here");
    }

    #[test]
    fn every_spelling_of_a_hostile_password_is_masked() {
        register_login("clerk", HOSTILE);
        let html = "p&quot;a&amp;s&lt;s w&gt;o%rd/+\\ü&#x27;";
        let html_go = "p&#34;a&amp;s&lt;s w&gt;o%rd/+\\ü&#39;";
        let html_attribute = "p&quot;a&amp;s<s w>o%rd/+\\ü'";
        let json = r#"p\"a&s<s w>o%rd/+\\ü'"#;
        let json_go = r#"p\"a\u0026s\u003cs w\u003eo%rd/+\\ü'"#;
        let json_python = r#"p\"a&s<s w>o%rd/+\\\u00fc'"#;
        let json_php = r#"p\"a&s<s w>o%rd\/+\\ü'"#;
        let debug = r#"p\"a&s<s w>o%rd/+\\ü\'"#;
        let shell = r#"p\"a\&s\<s\ w\>o%rd/+\\ü\'"#;
        let form = "p%22a%26s%3Cs+w%3Eo%25rd%2F%2B%5C%C3%BC%27";
        let form_lower = "p%22a%26s%3cs+w%3eo%25rd%2f%2b%5c%c3%bc%27";
        let percent = "p%22a%26s%3Cs%20w%3Eo%25rd%2F%2B%5C%C3%BC%27";
        for spelling in [
            HOSTILE,
            html,
            html_go,
            html_attribute,
            json,
            json_go,
            json_python,
            json_php,
            debug,
            shell,
            form,
            form_lower,
            percent,
        ] {
            assert_masked(spelling);
        }
        let basic = STANDARD.encode(format!("clerk:{HOSTILE}"));
        assert_eq!(
            redact(&format!("Authorization: Basic {basic}")),
            "Authorization: Basic [redacted]"
        );
    }

    #[test]
    fn the_longest_spelling_is_masked_whole_in_one_pass() {
        register("inner-secret");
        register("outer-inner-secret-tail");
        assert_eq!(
            redact("a outer-inner-secret-tail b inner-secret c"),
            "a [redacted] b [redacted] c"
        );
    }

    #[test]
    fn url_userinfo_passwords_are_masked_registered_or_not() {
        assert_eq!(
            redact("against `live` (https://deploy:unregistered-pw@www.example.com/)"),
            "against `live` (https://deploy:***@www.example.com/)"
        );
        assert_eq!(
            redact("http://user@host/ and http://host:8080/a@b"),
            "http://user@host/ and http://host:8080/a@b"
        );
        let url = Url::parse("https://ops:base%20url%26pw@site.example/").expect("url");
        register_url(&url);
        assert_eq!(redact("typed base url&pw by hand"), "typed [redacted] by hand");
        let basic = STANDARD.encode("ops:base url&pw");
        assert_eq!(redact(&basic), MASK);
    }

    #[test]
    fn credentials_in_a_urls_query_are_masked_registered_or_not() {
        assert_eq!(
            redact("GET https://api.example.com/health?token=abc123&verbose=1 → 200"),
            "GET https://api.example.com/health?token=***&verbose=1 → 200"
        );
        assert_eq!(
            redact("/report?API_KEY=k-9&x=1 /cart;jsessionid=F00D /s?q=token=no"),
            "/report?API_KEY=***&x=1 /cart;jsessionid=*** /s?q=token=no"
        );
        assert_eq!(redact("/search?q=passwords&page=2"), "/search?q=passwords&page=2");
    }

    #[test]
    fn a_secret_is_masked_in_composed_and_framework_spellings() {
        register(r#"c&m"p<o/s\e  d"#);
        // JSON inside an HTML attribute, JSON with Django's `json_script` and PHP's `JSON_HEX_*`
        // escapes, HTML inside JSON, and the visible text of a page (whitespace collapsed).
        let html_of_json = r#"c&amp;m\&quot;p&lt;o/s\\e  d"#;
        let django = r#"c\u0026m\"p\u003Co/s\\e  d"#;
        let php_hex = r#"c\u0026m\u0022p\u003Co\/s\\e  d"#;
        let json_of_html = r#"c&amp;m&quot;p&lt;o/s\\e  d"#;
        let collapsed = r#"c&m"p<o/s\e d"#;
        let quoted = r#"c&m\"p<o/s\e  d"#;
        for spelling in [html_of_json, django, php_hex, json_of_html, collapsed, quoted] {
            assert_masked(spelling);
        }
    }

    #[test]
    fn a_named_secret_on_a_page_is_reported_by_its_name_only() {
        register("an-unnamed-cookie-value");
        register_named("SMTP_PASSWORD", r#"named"s<cret"#);
        let page = r#"<div data-cfg="{&quot;smtp&quot;: &quot;named\&quot;s&lt;cret&quot;}">"#;
        assert_eq!(registered_secret_in(page).as_deref(), Some("SMTP_PASSWORD"));
        assert_eq!(registered_secret_in("an-unnamed-cookie-value"), None);
        assert_eq!(registered_secret_in("nothing secret here"), None);
    }

    #[test]
    fn a_window_is_widened_so_no_secret_is_cut_in_two() {
        register("cut-me-never");
        let text = "before cut-me-never after";
        assert_eq!(uncut(text, 10..14), 7..19);
        assert_eq!(uncut(text, 0..5), 0..5);
        assert_eq!(uncut(text, 0..text.len()), 0..text.len());
        let url = "at https://ops:unregistered@host/ now";
        assert_eq!(uncut(url, 0..18), 0..28);
    }
}
