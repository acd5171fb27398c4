//! Secrets never print. Every password, session cookie and `[secrets]` value shakedown resolves
//! is registered here, in every spelling it takes on its way through a site and a report
//! (HTML-escaped, JSON-escaped, the one inside the other, backslash-escaped, percent-encoded,
//! whitespace collapsed, base64 in a basic-auth header), and as display leaves it (whitespace
//! runs, tags, zero-width characters, soft hyphens and character references in it, read or
//! written literally), and every output (terminal, reports, error messages, panic messages,
//! `Debug`) passes through `redact` on its way out, before anything cuts, collapses or escapes
//! it. The password in a URL's userinfo is masked whether registered or not.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, LazyLock, RwLock};

use crate::locked::{read, write};
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
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

/// Texts to find, each with the name of the secret it stands for when it was registered with
/// one (so a check can say which secret a page shows without showing it), and one automaton
/// over them all.
struct Patterns {
    texts: Vec<String>,
    names: Vec<Option<Arc<str>>>,
    /// Where each text is in `texts`.
    index: BTreeMap<String, usize>,
    matcher: Option<AhoCorasick>,
}

impl Patterns {
    const fn new() -> Self {
        Self {
            texts: Vec::new(),
            names: Vec::new(),
            index: BTreeMap::new(),
            matcher: None,
        }
    }

    /// Adds `texts`, under `name` when given, and rebuilds the automaton. Leftmost-longest
    /// matching masks a secret that contains another one whole, in one pass.
    fn add(&mut self, texts: impl IntoIterator<Item = String>, name: Option<&Arc<str>>) {
        let before = self.texts.len();
        for text in texts.into_iter().filter(|text| !text.is_empty()) {
            match self.index.get(&text) {
                // A value registered first without a name (a role's password as a login) keeps
                // the name it is given later.
                Some(&at) => {
                    if self.names[at].is_none() {
                        self.names[at] = name.cloned();
                    }
                }
                None => {
                    self.index.insert(text.clone(), self.texts.len());
                    self.texts.push(text);
                    self.names.push(name.cloned());
                }
            }
        }
        if self.texts.len() == before {
            return;
        }
        // A contiguous NFA builds in time linear in the patterns' length (0.2 s for the
        // spellings of a 30 KB password); the automatic choice took 15 s for them.
        // Building fails only past the automaton's size limits, far beyond a run's few secrets;
        // keeping the last good automaton then masks every secret known before.
        if let Ok(matcher) = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&self.texts)
        {
            self.matcher = Some(matcher);
        }
    }

    /// Where `text` holds one of the texts, with the name it stands for.
    fn find<'p, 't>(
        &'p self,
        text: &'t str,
    ) -> impl Iterator<Item = (Range<usize>, Option<&'p Arc<str>>)> + use<'p, 't> {
        self.matcher
            .iter()
            .flat_map(move |matcher| matcher.find_iter(text))
            .map(|found| {
                let name = self
                    .names
                    .get(found.pattern().as_usize())
                    .and_then(Option::as_ref);
                (found.range(), name)
            })
    }
}

/// The secrets known so far: every spelling, matched in the text as it is, and each secret's
/// [`Shape`], matched in the shape of the text.
struct Known {
    spellings: Patterns,
    shapes: Patterns,
}

static KNOWN: RwLock<Known> = RwLock::new(Known {
    spellings: Patterns::new(),
    shapes: Patterns::new(),
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
    remember(secret, spellings(secret), None);
}

/// Remembers `secret` like `register`, under a name that is not secret (`SMTP_PASSWORD`,
/// "the password of role `clerk`"), which `registered_secret_in` gives for it.
pub fn register_named(name: &str, secret: &str) {
    remember(secret, spellings(secret), Some(Arc::from(name)));
}

/// The name of the first named secret `text` shows in any spelling or as display leaves it
/// (split by a tag, a line break, a zero-width character): a page that shows a
/// registered secret is a finding, reported by name since its value never prints.
pub fn registered_secret_in(text: &str) -> Option<String> {
    let known = read(&KNOWN);
    sightings(&known, text)
        .into_iter()
        .find_map(|(_, name)| name)
        .map(|name| name.to_string())
}

/// `window` of `text` widened so that it cuts no secret in two: a quote cut through a secret
/// would show the part on each side of the cut, which no whole spelling matches. Cut at the
/// widened ends and redact the piece.
pub fn uncut(text: &str, window: Range<usize>) -> Range<usize> {
    let known = read(&KNOWN);
    let credentials = URL_USERINFO
        .find_iter(text)
        .chain(QUERY_CREDENTIAL.find_iter(text))
        .map(|found| found.range());
    let secrets: Vec<Range<usize>> = sightings(&known, text)
        .into_iter()
        .map(|(secret, _)| secret)
        .chain(credentials)
        .collect();
    drop(known);
    // Overlapping sightings (a secret's spelling and its shape) can widen a window in turns.
    let mut widened = window;
    loop {
        let before = widened.clone();
        for secret in &secrets {
            if secret.start < widened.start && widened.start < secret.end {
                widened.start = secret.start;
            }
            if secret.start < widened.end && widened.end < secret.end {
                widened.end = secret.end;
            }
        }
        if widened == before {
            return widened;
        }
    }
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
    remember(password, all, None);
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

/// `text` with every registered secret, in any spelling or as display leaves it, and the
/// password of every URL's userinfo masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    let known = read(&KNOWN);
    let secrets = sightings(&known, text)
        .into_iter()
        .map(|(secret, _)| secret)
        .collect();
    drop(known);
    let text = masked(text, secrets);
    let text = match URL_USERINFO.replace_all(&text, format!("${{1}}:{URL_PASSWORD_MASK}@")) {
        Cow::Borrowed(_) => text,
        Cow::Owned(masked) => Cow::Owned(masked),
    };
    match QUERY_CREDENTIAL.replace_all(&text, format!("${{1}}{URL_PASSWORD_MASK}")) {
        Cow::Borrowed(_) => text,
        Cow::Owned(masked) => Cow::Owned(masked),
    }
}

/// Every place `text` shows a registered secret, with its name when it has one: a spelling as
/// it stands, and a secret's shape in the text's shape, so a secret that a page splits with a
/// tag, a zero-width character or a line break, or spells with a literal `&amp;`, is found
/// whole, from its first character to its last.
fn sightings<'a>(known: &'a Known, text: &str) -> Vec<(Range<usize>, Option<&'a Arc<str>>)> {
    let mut found: Vec<_> = known.spellings.find(text).collect();
    if known.shapes.matcher.is_some() {
        let shape = Shape::of(text);
        found.extend(known.shapes.find(&shape.text).map(|(secret, name)| {
            let first = &shape.origin[secret.start];
            let last = &shape.origin[secret.end - 1];
            (first.start..last.end, name)
        }));
    }
    found
}

/// `text` with each of `secrets` (byte ranges, which may overlap) replaced by [`MASK`],
/// overlapping ones by one.
fn masked(text: &str, mut secrets: Vec<Range<usize>>) -> Cow<'_, str> {
    if secrets.is_empty() {
        return Cow::Borrowed(text);
    }
    secrets.sort_by_key(|secret| secret.start);
    let mut out = String::with_capacity(text.len());
    let mut written = 0;
    for secret in secrets {
        if secret.start >= written {
            out.push_str(&text[written..secret.start]);
            out.push_str(MASK);
            written = secret.end;
        } else {
            written = written.max(secret.end);
        }
    }
    out.push_str(&text[written..]);
    Cow::Owned(out)
}

/// Adds `spellings` of `secret`, under `name` when given, and its shape.
fn remember(secret: &str, spellings: Vec<String>, name: Option<Arc<str>>) {
    let mut known = write(&KNOWN);
    known.spellings.add(spellings, name.as_ref());
    known.shapes.add([Shape::of(secret).text], name.as_ref());
}

/// Text as a reader takes it in, whatever display did to it: without whitespace, tags
/// (`p4ss<b>w0rd</b>` shows `p4ssw0rd`), zero-width characters and soft hyphens, with each
/// character reference read, and read again through any `&amp;` a page wrote literally
/// (`&amp;lt;` shows `&lt;`, which stands for `<`).
struct Shape {
    text: String,
    /// Per byte of `text`, the bytes of the original its character comes from.
    origin: Vec<Range<usize>>,
}

impl Shape {
    fn of(original: &str) -> Self {
        let mut shape = Self {
            text: String::with_capacity(original.len()),
            origin: Vec::with_capacity(original.len()),
        };
        let mut at = 0;
        while let Some(next) = original[at..].chars().next() {
            let rest = &original[at..];
            let (read, length) = match next {
                '<' => match tag_length(rest) {
                    Some(length) => (None, length),
                    None => (Some('<'), 1),
                },
                '&' => reference(rest).map_or((Some('&'), 1), |(read, length)| (Some(read), length)),
                next => (Some(next), next.len_utf8()),
            };
            if let Some(read) = read.filter(|read| !unseen(*read)) {
                shape.text.push(read);
                shape
                    .origin
                    .extend(std::iter::repeat_n(at..at + length, read.len_utf8()));
            }
            at += length;
        }
        shape
    }
}

/// Characters a reader does not see as such: whitespace (display collapses and wraps it), the
/// zero-width space, joiners and word joiner, the byte order mark and the soft hyphen.
fn unseen(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}')
}

/// The length of the tag `rest` starts with (`<b>`, `</span>`, `<wbr/>`, `<a href="/">`), if
/// it starts with one. A `<` and a name followed by anything else (`w<rd/x`) is text.
fn tag_length(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let name = if bytes.get(1) == Some(&b'/') { 2 } else { 1 };
    if !bytes.get(name)?.is_ascii_alphabetic() {
        return None;
    }
    let name_end = name
        + bytes[name..]
            .iter()
            .position(|byte| !(byte.is_ascii_alphanumeric() || *byte == b'-'))?;
    match bytes[name_end] {
        b'>' => Some(name_end + 1),
        b'/' => (bytes.get(name_end + 1) == Some(&b'>')).then_some(name_end + 2),
        byte if byte.is_ascii_whitespace() => {
            // Stopping at the next `<` keeps the scan linear: each byte is read by at most one
            // tag.
            let end = name_end + rest[name_end..].find(['<', '>'])?;
            (bytes[end] == b'>').then_some(end + 1)
        }
        _ => None,
    }
}

/// The longest character reference read (`&#x10FFFF;`, `&nbsp;`), `&` and `;` excluded.
const LONGEST_REFERENCE: usize = 8;

/// The character the reference `rest` starts with stands for, read through any number of
/// `amp;` before it, and the reference's length; a bare run of `&amp;amp;` reads `&`.
fn reference(rest: &str) -> Option<(char, usize)> {
    let mut at = 1;
    while rest[at..].starts_with("amp;") {
        at += "amp;".len();
    }
    let body = &rest[at..];
    let read = body
        .bytes()
        .take(LONGEST_REFERENCE + 1)
        .position(|byte| byte == b';')
        .and_then(|end| Some((referenced(&body[..end])?, at + end + 1)));
    match read {
        Some(read) => Some(read),
        None => (at > 1).then_some(('&', at)),
    }
}

/// The character a named or numeric reference (without its `&` and `;`) stands for.
fn referenced(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        "shy" => Some('\u{ad}'),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
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
    fn a_secret_is_masked_whole_however_display_splits_or_spells_it() {
        register_named("DISPLAYED", "dis&play-s3cret");
        for shown in [
            "dis&play-s3cret",
            "dis&play  -s3\tcre\n\nt",
            "dis&<b>play</b>-s3cret",
            "dis&pl<span class=\"x\">ay-s3c</span>ret",
            "dis\u{200b}&play-s3\u{ad}c\u{feff}r\u{2060}et",
            "dis&amp;play-s3cret",
            "dis&amp;amp;play-s3cret",
            "dis&#38;play&shy;-s3cr&#x65;t",
        ] {
            assert_eq!(
                redact(&format!("before {shown} after")),
                format!("before {MASK} after"),
                "shown as {shown:?}"
            );
            assert_eq!(
                registered_secret_in(shown).as_deref(),
                Some("DISPLAYED"),
                "{shown:?}"
            );
        }
        // A `<` and a letter in text are no tag: the text around stays as it is.
        assert_eq!(redact("a<b and c>d"), "a<b and c>d");
        assert_eq!(redact("x <br/> y &amp; z"), "x <br/> y &amp; z");
    }

    #[test]
    fn a_window_is_widened_over_a_secret_split_by_markup() {
        register("split-by-markup");
        let text = "before split-<i>by</i>-markup after";
        assert_eq!(uncut(text, 10..20), 7..29);
        assert_eq!(uncut(text, 0..7), 0..7);
    }

    #[test]
    fn a_long_secret_is_registered_and_masked_in_a_large_text_quickly() {
        let secret: String = (0..30_000_u32)
            .map(|at| char::from(b'a' + u8::try_from(at * 7 % 26).unwrap_or(0)))
            .collect();
        let started = std::time::Instant::now();
        register_named("LONG", &secret);
        let registered = started.elapsed();
        let page = format!(
            "{}{secret}{}",
            "lorem ipsum ".repeat(45_000),
            "dolor sit ".repeat(45_000)
        );
        let started = std::time::Instant::now();
        let masked = redact(&page);
        let redacted = started.elapsed();
        let started = std::time::Instant::now();
        // Every `a` of the secret followed by a space and a tag: its shape is found as fast.
        let spread = page.replace('a', "a <b></b>");
        let masked_spread = redact(&spread);
        let redacted_spread = started.elapsed();
        assert!(!masked.contains(&secret[..100]), "the secret shows");
        assert!(!masked_spread.contains(&secret.replace('a', "a <b></b>")[..200]));
        let bound = std::time::Duration::from_secs(5);
        assert!(
            registered < bound && redacted < bound && redacted_spread < bound,
            "registering took {registered:?}, masking 1 MB {redacted:?}, {redacted_spread:?}"
        );
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
