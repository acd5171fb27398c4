//! `init --from-access-log FILE…`: the pages clients really ask for, read from Apache or nginx
//! access logs (the combined and common formats, plain or gzipped), written as an outline that
//! checks each still answers and shows no forbidden content. Identifiers are generalised
//! (`/invoices/1742` and `/invoices/981` are one page, one real example kept), static files,
//! bots and addresses carrying a token are left out, and pages that needed a login are listed
//! for the user to give a role. A log line holds no `Location`, so a redirect counts as one to
//! the login page when the same client (address and user agent) asks for a login page next, as
//! a browser following it does; no configuration is needed, which `init` often runs without.

use std::collections::{BTreeMap, HashMap};
use std::io::Read as _;
use std::sync::LazyLock;

use regex::Regex;

use super::gherkin::{comment_text, table};

/// `host ident user [time] "METHOD target PROTOCOL" status size` and, in the combined format,
/// `"referer" "user agent"`.
static LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^(\S+) \S+ (\S+) \[[^\]]+\] "(\S+) (\S+)(?: [^"]*)?" (\d{3}) \S+(?: "(?:[^"\\]|\\.)*" "((?:[^"\\]|\\.)*)")?"#)
        .expect("the log line pattern is valid")
});

/// Query parameters that choose which kind of page is shown, and so are kept.
const PAGE_TYPE_PARAMETERS: &[&str] = &["type", "view", "tab", "format", "section", "category", "lang"];
/// Words in a parameter's name that say its value is a credential or a session.
const TOKEN_WORDS: &[&str] = &[
    "token",
    "sid",
    "session",
    "key",
    "signature",
    "sig",
    "auth",
    "code",
    "state",
    "password",
    "nonce",
];
/// File endings of static files: their server's business, not the application's.
const STATIC_ENDINGS: &[&str] = &[
    ".css", ".js", ".map", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp", ".woff", ".woff2",
    ".ttf", ".eot", ".txt", ".xml",
];
/// Words of a path that say it is a login page (`/accounts/login/`, `/users/sign_in`, `/auth/`).
const LOGIN_WORDS: &[&str] = &["login", "signin", "sign", "logon", "auth", "sso", "cas"];
/// Words in a user agent that say a program, not a person, asked.
const BOT_WORDS: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "slurp",
    "curl/",
    "wget",
    "python-requests",
    "monitoring",
    "check_http",
];

/// What the logs say.
#[derive(Debug, Default)]
pub struct Usage {
    /// Generalised path → requests and the most asked real example.
    pages: BTreeMap<String, Page>,
    /// Generalised paths that asked for a login (a user in the log, a 401, a redirect to the
    /// login page).
    behind_login: BTreeMap<String, String>,
    pub lines: usize,
    pub unparsable: usize,
    pub left_out: usize,
}

#[derive(Debug, Default)]
struct Page {
    requests: usize,
    examples: BTreeMap<String, usize>,
}

/// The text of a log file: gzipped when it starts with gzip's magic bytes, and then read to at
/// most `limit` bytes, so a small file that unpacks to gigabytes does not fill memory.
pub fn decompressed(bytes: &[u8], limit: u64) -> std::io::Result<String> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut unpacked = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .take(limit)
            .read_to_end(&mut unpacked)?;
        Ok(String::from_utf8_lossy(&unpacked).into_owned())
    } else {
        Ok(String::from_utf8_lossy(bytes).into_owned())
    }
}

impl Usage {
    /// Counts every line of one log.
    pub fn read(&mut self, text: &str) {
        // Each client's last request, when it was redirected: the page and its address.
        let mut redirected: HashMap<String, (String, String)> = HashMap::new();
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            self.lines += 1;
            let Some(found) = LINE.captures(line) else {
                self.unparsable += 1;
                continue;
            };
            let user = &found[2];
            let method = &found[3];
            let target = &found[4];
            let status: u16 = found[5].parse().unwrap_or(0);
            let agent = found
                .get(6)
                .map_or("", |agent| agent.as_str())
                .to_ascii_lowercase();
            let client = format!("{} {agent}", &found[1]);
            if let Some((page, example)) = redirected.remove(&client)
                && method == "GET"
                && is_login_page(target)
            {
                // Counted as left out when it was read as a mere redirect.
                self.left_out -= 1;
                self.behind_login.entry(page).or_insert(example);
            }
            let Some(example) = kept_address(target) else {
                self.left_out += 1;
                continue;
            };
            if method != "GET" || BOT_WORDS.iter().any(|word| agent.contains(word)) {
                self.left_out += 1;
                continue;
            }
            let page = generalised(&example);
            if user != "-" || status == 401 {
                self.behind_login.entry(page).or_insert(example);
                continue;
            }
            if matches!(status, 302 | 303) {
                redirected.insert(client, (page, example));
                self.left_out += 1;
                continue;
            }
            if !(200..300).contains(&status) {
                self.left_out += 1;
                continue;
            }
            let entry = self.pages.entry(page).or_default();
            entry.requests += 1;
            *entry.examples.entry(example).or_default() += 1;
        }
    }

    /// The `top` most requested pages: the real example kept and the requests counted.
    fn most_requested(&self, top: usize) -> Vec<(String, usize)> {
        let mut pages: Vec<(String, usize)> = self
            .pages
            .values()
            .map(|page| {
                let example = page
                    .examples
                    .iter()
                    .max_by_key(|(example, count)| (**count, std::cmp::Reverse((*example).clone())))
                    .map(|(example, _)| example.clone())
                    .unwrap_or_default();
                (example, page.requests)
            })
            .collect();
        pages.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        pages.truncate(top);
        pages
    }

    /// The paths the crawl starts from besides its start page: the pages the feature checks.
    pub fn seeds(&self, top: usize) -> Vec<String> {
        self.most_requested(top)
            .into_iter()
            .map(|(path, _)| path)
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    /// `features/usage.feature`, and how many pages it checks.
    pub fn render(&self, sources: &[String], top: usize) -> (String, usize) {
        let pages = self.most_requested(top);
        let mut rows = vec![vec!["path".to_owned(), "requests".to_owned()]];
        rows.extend(
            pages
                .iter()
                .map(|(path, count)| vec![path.clone(), count.to_string()]),
        );
        let mut text = format!(
            "@post-install\n\
             Feature: The pages our clients use most still answer\n  \
             Imported by `shakedown init` from {}: the {} most requested pages that\n  \
             answered, each once with a real address where its identifiers vary. Static\n  \
             files, bots, other methods and addresses carrying a token are left out.\n\n  \
             Scenario Outline: <path> still answers and shows nothing forbidden\n    \
             Given I am not logged in\n    \
             When I request \"<path>\"\n    \
             Then the response status should be 200\n    \
             And the page should contain no forbidden content\n\n    \
             Examples:\n{}",
            sources.join(", "),
            pages.len(),
            table("      ", &rows)
        );
        if !self.behind_login.is_empty() {
            text.push_str(
                "\n  # Pages that needed a login; give each a role (`I am logged in as \"NAME\"`):\n",
            );
            for example in self.behind_login.values() {
                text.push_str(&format!("  #   {}\n", comment_text(example)));
            }
        }
        (text, pages.len())
    }
}

/// The address as the feature keeps it: the query kept only for parameters that choose a kind
/// of page; `None` for a static file or an address carrying a token.
fn kept_address(target: &str) -> Option<String> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let lower = path.to_ascii_lowercase();
    if !path.starts_with('/')
        || STATIC_ENDINGS.iter().any(|ending| lower.ends_with(ending))
        || lower.contains(";jsessionid")
    {
        return None;
    }
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name_lower = name.to_ascii_lowercase();
        if TOKEN_WORDS.iter().any(|word| name_lower.contains(word)) || looks_like_token(value) {
            return None;
        }
        if PAGE_TYPE_PARAMETERS.contains(&name_lower.as_str()) {
            kept.push(pair);
        }
    }
    Some(match kept.is_empty() {
        true => path.to_owned(),
        false => format!("{path}?{}", kept.join("&")),
    })
}

/// Whether the address is a login page's: a word of its path is one of [`LOGIN_WORDS`].
fn is_login_page(target: &str) -> bool {
    let path = target.split('?').next().unwrap_or_default().to_ascii_lowercase();
    path.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|word| LOGIN_WORDS.contains(&word) || word.starts_with("login") || word.starts_with("signin"))
}

/// A long run of hex or a UUID: a session, a key or a one-time link.
fn looks_like_token(value: &str) -> bool {
    let hex = value.chars().filter(char::is_ascii_hexdigit).count();
    value.len() >= 20 && hex * 10 >= value.len() * 8
}

/// The page an address stands for: numbers, UUIDs and long hex in the path become `{id}`.
fn generalised(address: &str) -> String {
    let (path, query) = address
        .split_once('?')
        .map_or((address, None), |(path, query)| (path, Some(query)));
    let path = path
        .split('/')
        .map(|segment| {
            let identifier = (!segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()))
                || (segment.len() >= 16 && segment.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
            if identifier { "{id}" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/");
    match query {
        Some(query) => format!("{path}?{query}"),
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_generalised_and_tokens_static_files_and_other_parameters_handled() {
        assert_eq!(generalised("/invoices/1742/edit"), "/invoices/{id}/edit");
        assert_eq!(
            kept_address("/reports/?type=monthly&utm_source=x"),
            Some("/reports/?type=monthly".into())
        );
        assert_eq!(kept_address("/?sid=1"), None);
        assert_eq!(kept_address("/reset/?t=9f86d081884c7d659a2feaa0c55ad015"), None);
        assert_eq!(kept_address("/static/app.css"), None);
    }

    #[test]
    fn a_redirect_counts_as_to_the_login_page_when_its_client_asks_for_one_next() {
        let mut usage = Usage::default();
        usage.read(
            "10.0.0.1 - - [06/Dec/2026:10:00:00 +0000] \"GET /dashboard/ HTTP/1.1\" 302 0 \"-\" \"Firefox\"\n\
             10.0.0.2 - - [06/Dec/2026:10:00:00 +0000] \"GET /old/ HTTP/1.1\" 302 0 \"-\" \"Firefox\"\n\
             10.0.0.1 - - [06/Dec/2026:10:00:01 +0000] \"GET /accounts/login/?next=/dashboard/ HTTP/1.1\" 200 9 \"-\" \"Firefox\"\n\
             10.0.0.2 - - [06/Dec/2026:10:00:01 +0000] \"GET /new/ HTTP/1.1\" 200 9 \"-\" \"Firefox\"\n",
        );
        assert_eq!(usage.behind_login.keys().collect::<Vec<_>>(), ["/dashboard/"]);
        assert_eq!(usage.left_out, 1);
        assert!(is_login_page("/users/sign_in") && is_login_page("/login.php?x=1"));
        assert!(!is_login_page("/authors/") && !is_login_page("/blogin-posts/"));
    }
}
