//! Secrets never print. Every password and session cookie shakedown resolves is registered
//! here, in every spelling it takes on its way through a site and a report (HTML-escaped,
//! JSON-escaped, backslash-escaped, percent-encoded, base64 in a basic-auth header), and every
//! output (terminal, reports, error messages, panic messages, `Debug`) passes through `redact`
//! on its way out. The password in a URL's userinfo is masked whether registered or not.

use std::borrow::Cow;
use std::sync::{LazyLock, RwLock};

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
    matcher: Option<AhoCorasick>,
}

static KNOWN: RwLock<Known> = RwLock::new(Known {
    spellings: Vec::new(),
    matcher: None,
});

/// `scheme://user:password@`: the password part of any URL's userinfo.
static URL_USERINFO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/?#@:\[\]]*):[^\s/?#@]+@")
        .expect("the userinfo pattern is valid")
});

/// Remembers `secret` in every spelling it may take so no output shows it.
pub fn register(secret: &str) {
    remember(spellings(secret));
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
    remember(all);
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

/// Adds `spellings` and rebuilds the automaton. Leftmost-longest matching masks a secret that
/// contains another one whole, in one pass.
fn remember(spellings: Vec<String>) {
    let mut known = KNOWN.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = known.spellings.len();
    for spelling in spellings {
        if !spelling.is_empty() && !known.spellings.contains(&spelling) {
            known.spellings.push(spelling);
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

/// Every spelling of `secret` that a site, a client or a report may produce.
fn spellings(secret: &str) -> Vec<String> {
    if secret.is_empty() {
        return Vec::new();
    }
    let mut all = vec![secret.to_owned()];
    all.extend(HTML_STYLES.iter().map(|style| html_escaped(secret, style)));
    all.extend(json_escaped(secret));
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
/// (`<`, `>`, `&` as `\u003c`...), Python (everything outside ASCII as `\uXXXX`).
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
    vec![plain.replace('/', "\\/"), html_safe, ascii_only, plain]
}

/// Backslash escapes: Rust's `{:?}` and `escape_debug` (and so `text::quoted`), and a shell's
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
    vec![debug, secret.escape_debug().to_string(), shell]
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
}
