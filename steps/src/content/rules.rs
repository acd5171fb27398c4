//! The forbidden-content rules: a built-in set tuned for few false positives, extended, thinned
//! and excepted per path by `[content]`, compiled once per run (the built-in ones only when a
//! page is first scanned). Each rule has a name, so a failure says which one matched.

use std::cell::OnceCell;
use std::fmt;
use std::sync::LazyLock;

use percent_encoding::percent_decode_str;
use regex::Regex;
use scraper::{Html, Selector};

use crate::text;

/// A built-in rule: its name, what it catches, and its pattern over the page's visible text.
pub struct BuiltIn {
    pub name: &'static str,
    pub catches: &'static str,
    pattern: &'static str,
    /// Whether it passes over text in [`CODE_ELEMENTS`]: what it catches is also what
    /// documentation shows on purpose and users paste (a template's syntax, a traceback in a
    /// ticket), so only outside them is it a rendering mistake.
    skips_code: bool,
    /// Whether it reads the page's markup only, never its text: what it catches is a shape of
    /// markup (a title and a heading), which a page that shows that markup as text is not.
    markup_only: bool,
}

/// Elements whose text is code, sample output or what a user typed, shown as it is on purpose.
pub const CODE_ELEMENTS: &[&str] = &["pre", "code", "kbd", "samp", "textarea"];

/// The rules every run starts with; `[content] disable = [...]` names the ones to drop.
pub const BUILT_IN: &[BuiltIn] = &[
    BuiltIn {
        name: "lorem-ipsum",
        catches: "lorem ipsum filler text",
        pattern: r"(?i)\blorem\s+ipsum\b|\bdolor\s+sit\s+amet\b",
        skips_code: false,
        markup_only: false,
    },
    BuiltIn {
        name: "test-please-ignore",
        catches: "\"test, please ignore\" and its kin",
        pattern: r"(?i)\btest(?:ing)?\b[\s,.:;!–—-]*(?:please|pls|plz)[\s,]*ignore\b|\bplease\s+ignore[\s,.:;!–—-]*(?:this\s+)?test\b|\bignore\s+this\s+test\b",
        skips_code: false,
        markup_only: false,
    },
    BuiltIn {
        name: "keyboard-mash",
        catches: "keyboard-mash test strings such as asdf or qwertyuiop",
        pattern: r"(?i)\b(?:asdf(?:gh?(?:jkl?)?)?|qwerty(?:uiop)?|zxcvbn(?:m)?|sdfsdf|asdasd|fghfgh|jkljkl)\b",
        skips_code: false,
        markup_only: false,
    },
    BuiltIn {
        name: "unrendered-template",
        catches: "template tags that were never rendered: {{ var }}, {% tag %}, ${var}",
        pattern: r"\{\{\s*[\w.\[\]]+(?:\s*\|[^}]*)?\s*\}\}|\{%-?\s*[a-z_]+\b[^%]*-?%\}|\$\{\s*[\w.]+\s*\}",
        skips_code: true,
        markup_only: false,
    },
    BuiltIn {
        name: "object-object",
        catches: "a JavaScript object printed as text",
        pattern: r"\[object Object\]",
        skips_code: false,
        markup_only: false,
    },
    BuiltIn {
        name: "django-debug",
        catches: "Django's debug page",
        pattern: r"(?i)you(?:'|’)re seeing this error because you have\s+DEBUG\s*=\s*True",
        skips_code: false,
        markup_only: false,
    },
    BuiltIn {
        name: "python-traceback",
        catches: "a Python traceback",
        pattern: r#"Traceback \(most recent call last\)|File "[^"]+\.py", line \d+, in \w+"#,
        skips_code: true,
        markup_only: false,
    },
    BuiltIn {
        name: "php-error",
        catches: "PHP fatal errors, warnings and notices",
        pattern: r"(?i)\b(?:PHP\s+)?(?:Fatal error|Parse error|Warning|Notice|Deprecated)\s*:\s.{0,300}?\bin\s+(?:/|[A-Z]:\\)\S+\.php(?::\d+|\s+on\s+line\s+\d+)",
        skips_code: true,
        markup_only: false,
    },
    BuiltIn {
        name: "rails-error",
        catches: "Rails' debug and error pages",
        pattern: r"Action Controller: Exception caught|ActionView::Template::Error|ActiveRecord::\w+ in \w+#\w+|Routing Error No route matches|We're sorry, but something went wrong\.",
        skips_code: false,
        markup_only: false,
    },
    BuiltIn {
        name: "laravel-error",
        catches: "Laravel and Symfony error pages",
        pattern: r"Whoops, looks like something went wrong\.|Illuminate\\(?:\w+\\)+\w*Exception|Symfony\\Component\\\w+\\Exception\\\w+",
        skips_code: false,
        markup_only: false,
    },
    BuiltIn {
        name: "java-stack-trace",
        catches: "a Java stack trace",
        pattern: r"\bat [a-zA-Z_$][\w$]*(?:\.[\w$<>]+)+\((?:[\w$]+\.java:\d+|Native Method|Unknown Source)\)|\bjava\.lang\.\w+(?:Exception|Error)\b",
        skips_code: true,
        markup_only: false,
    },
    BuiltIn {
        name: "werkzeug-debugger",
        catches: "the Werkzeug (Flask) debugger",
        pattern: r"(?i)werkzeug debugger|The debugger caught an exception in your WSGI application",
        skips_code: false,
        markup_only: false,
    },
    BuiltIn {
        name: "express-error",
        catches: "Express' default error pages",
        pattern: r"\bCannot (?:GET|POST|PUT|PATCH|DELETE) /\S*|\bat [\w.$<>\[\] ]+ \((?:/|[A-Z]:\\)[^)]*node_modules[^)]*\.js:\d+:\d+\)",
        skips_code: false,
        markup_only: false,
    },
    BuiltIn {
        name: "directory-listing",
        catches: "a web server's listing of a folder (Apache, nginx, lighttpd, IIS, Tomcat, Python)",
        // Its title and first heading both name a folder: `Index of /static/`, `Directory
        // listing for /`; or IIS's parent link. A page titled "Index of products" is no listing.
        pattern: r#"(?is)<title>\s*(?:Index of|Directory listing for)\s+\[?/[^<]*</title>.*?<h[1-3][^>]*>\s*(?:Index of|Directory listing for)\s+\[?/|<a href="[^"]*">\[To Parent Directory\]</a>"#,
        // Markup shown as text is escaped (`&lt;title&gt;`), so reading markup only spares it;
        // the listing itself is in a `<pre>` on IIS and nginx.
        skips_code: false,
        markup_only: true,
    },
];

/// A rule that does not apply to some paths (`[[content.allow]]`).
#[derive(Debug, Clone)]
pub struct Allowance {
    /// The page at this path and every page under it are excepted, segment by segment:
    /// `/docs/Guide` covers `/docs/Guide` and `/docs/Guide/Intro`, not `/docs/GuideIndex`. A
    /// `*` stands for any run of characters within one segment (`/docs/Guide*`).
    pub path: String,
    /// The rules excepted there; empty means every rule.
    pub rules: Vec<String>,
}

impl Allowance {
    /// Whether the page at `path` (as sent, percent-encoded) is at or under the allowance's
    /// path.
    pub fn covers(&self, path: &str) -> bool {
        let decoded = percent_decode_str(path).decode_utf8_lossy();
        let mut page = segments(&decoded);
        segments(&self.path).all(|wanted| page.next().is_some_and(|segment| glob_matches(wanted, segment)))
    }
}

/// The segments of a path, without the empty one a leading or trailing `/` makes.
fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|segment| !segment.is_empty())
}

/// Whether `text` is `pattern`, where each `*` of the pattern stands for any run of characters.
fn glob_matches(pattern: &str, text: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let mut pieces: Vec<&str> = pieces.collect();
    let Some(last) = pieces.pop() else {
        // No `*`: the whole segment.
        return rest.is_empty();
    };
    for piece in pieces {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    pattern: Pattern,
    skips_code: bool,
    markup_only: bool,
}

impl Rule {
    /// What the rule finds in a page's visible text, else in its markup.
    fn find(&self, visible_text: &str, html: Option<&str>) -> Option<Finding> {
        [(!self.markup_only).then_some(visible_text), html]
            .into_iter()
            .flatten()
            .find_map(|haystack| {
                self.pattern.regex().find(haystack).map(|found| Finding {
                    rule: self.name.clone(),
                    snippet: text::snippet_around(haystack, found.start(), found.end()),
                })
            })
    }
}

/// A page with its [`CODE_ELEMENTS`] taken out: their text and markup both.
struct Prose {
    visible: String,
    markup: String,
}

impl Prose {
    fn of(html: &str) -> Self {
        static CODE: LazyLock<Selector> =
            LazyLock::new(|| Selector::parse(&CODE_ELEMENTS.join(", ")).expect("a valid selector"));
        let mut document = Html::parse_document(html);
        let code: Vec<_> = document.select(&CODE).map(|element| element.id()).collect();
        for id in code {
            if let Some(mut node) = document.tree.get_mut(id) {
                node.detach();
            }
        }
        Self {
            visible: text::visible_text_of(&document),
            markup: document.html(),
        }
    }
}

/// A rule's regex: a configured one is compiled with the configuration, where its errors are
/// found; the built-in ones, known good, are compiled when a page is first scanned, so start-up
/// (and every run that checks no content) does not wait for them.
#[derive(Debug, Clone)]
enum Pattern {
    /// The index of the rule in `BUILT_IN`.
    BuiltIn(usize),
    Configured(Regex),
}

static BUILT_IN_PATTERNS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    BUILT_IN
        .iter()
        .map(|rule| {
            Regex::new(rule.pattern).expect("the built-in rules are valid regexes (a test compiles them)")
        })
        .collect()
});

impl Pattern {
    fn regex(&self) -> &Regex {
        match self {
            Self::BuiltIn(index) => &BUILT_IN_PATTERNS[*index],
            Self::Configured(regex) => regex,
        }
    }
}

/// The compiled rules of a run.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    allowances: Vec<Allowance>,
}

/// The name findings of a page that shows a registered secret go by, for `[[content.allow]]`.
pub const SHOWN_SECRET_RULE: &str = "registered-secret";

/// What one rule found on one page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    /// A quote of the page around the match.
    pub snippet: String,
}

/// A configured rule that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleError {
    Pattern {
        name: String,
        problem: String,
    },
    UnknownBuiltIn {
        name: String,
        suggestion: Option<&'static str>,
    },
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pattern { name, problem } => write!(f, "the rule `{name}` is not a valid regex: {problem}"),
            Self::UnknownBuiltIn { name, .. } => write!(f, "there is no built-in rule `{name}` to disable"),
        }
    }
}

impl RuleSet {
    /// The built-in rules minus `disabled`, plus `extra` (name, pattern) rules.
    pub fn new(
        extra: &[(String, String)],
        disabled: &[String],
        allowances: Vec<Allowance>,
    ) -> Result<Self, RuleError> {
        for name in disabled {
            if !BUILT_IN.iter().any(|rule| rule.name == name) {
                let suggestion = crate::suggest::suggest(name, BUILT_IN.iter().map(|rule| rule.name));
                return Err(RuleError::UnknownBuiltIn {
                    name: name.clone(),
                    suggestion,
                });
            }
        }
        let built_in = BUILT_IN
            .iter()
            .enumerate()
            .filter(|(_, rule)| !disabled.iter().any(|name| name == rule.name))
            .map(|(index, rule)| Rule {
                name: rule.name.to_owned(),
                pattern: Pattern::BuiltIn(index),
                skips_code: rule.skips_code,
                markup_only: rule.markup_only,
            });
        // A project's own rule names what it never wants shown, code or not.
        let configured = extra.iter().map(|(name, pattern)| match Regex::new(pattern) {
            Ok(pattern) => Ok(Rule {
                name: name.clone(),
                pattern: Pattern::Configured(pattern),
                skips_code: false,
                markup_only: false,
            }),
            Err(error) => Err(RuleError::Pattern {
                name: name.clone(),
                problem: error.to_string(),
            }),
        });
        let rules = built_in.map(Ok).chain(configured).collect::<Result<_, _>>()?;
        Ok(Self { rules, allowances })
    }

    /// Every rule that matches the page at `path`: its visible text first, then its markup
    /// (attributes such as `placeholder="asdf"`), one finding per rule. A rule that skips code
    /// reads an HTML page without its [`CODE_ELEMENTS`].
    pub fn scan(&self, path: &str, visible_text: &str, html: Option<&str>) -> Vec<Finding> {
        // Taking the code out costs a parse: done only once a rule that skips code has fired on
        // the whole page, which a clean page never makes it do.
        let prose = OnceCell::new();
        self.rules
            .iter()
            .filter(|rule| !self.excepted(path, &rule.name))
            .filter_map(|rule| {
                let found = rule.find(visible_text, html)?;
                match html {
                    Some(html) if rule.skips_code => {
                        let prose = prose.get_or_init(|| Prose::of(html));
                        rule.find(&prose.visible, Some(&prose.markup))
                    }
                    _ => Some(found),
                }
            })
            .chain(self.shown_secret(path, visible_text, html))
            .collect()
    }

    /// A registered secret (a role's password, a `[secrets]` value) that the page shows, in any
    /// spelling, named by where it comes from: its value is never quoted.
    fn shown_secret(&self, path: &str, visible_text: &str, html: Option<&str>) -> Option<Finding> {
        if self.excepted(path, SHOWN_SECRET_RULE) {
            return None;
        }
        let name = [Some(visible_text), html]
            .into_iter()
            .flatten()
            .find_map(crate::redact::registered_secret_in)?;
        Some(Finding {
            rule: SHOWN_SECRET_RULE.to_owned(),
            snippet: format!("the page shows {name} (not quoted: it is a secret)"),
        })
    }

    fn excepted(&self, path: &str, rule: &str) -> bool {
        self.allowances.iter().any(|allowance| {
            allowance.covers(path)
                && (allowance.rules.is_empty() || allowance.rules.iter().any(|name| name == rule))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Apache 2.4's `mod_autoindex` with `FancyIndexing` (Debian's default).
    const APACHE_AUTOINDEX: &str = r#"<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html>
 <head>
  <title>Index of /static</title>
 </head>
 <body>
<h1>Index of /static</h1>
  <table>
   <tr><th valign="top"><img src="/icons/blank.gif" alt="[ICO]"></th><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th><th><a href="?C=S;O=A">Size</a></th><th><a href="?C=D;O=A">Description</a></th></tr>
   <tr><th colspan="5"><hr></th></tr>
<tr><td valign="top"><img src="/icons/back.gif" alt="[PARENTDIR]"></td><td><a href="/">Parent Directory</a></td><td>&nbsp;</td><td align="right">  - </td><td>&nbsp;</td></tr>
<tr><td valign="top"><img src="/icons/text.gif" alt="[TXT]"></td><td><a href="app.css">app.css</a></td><td align="right">2026-12-01 10:12  </td><td align="right">1.2K</td><td>&nbsp;</td></tr>
   <tr><th colspan="5"><hr></th></tr>
</table>
<address>Apache/2.4.62 (Debian) Server at www.example.com Port 80</address>
</body></html>
"#;

    /// nginx's `autoindex on;`.
    const NGINX_AUTOINDEX: &str = "<html>\r\n<head><title>Index of /media/</title></head>\r\n<body>\r\n<h1>Index of /media/</h1><hr><pre><a href=\"../\">../</a>\r\n<a href=\"invoices/\">invoices/</a>                                          01-Dec-2026 10:12                   -\r\n<a href=\"backup.zip\">backup.zip</a>                                         01-Dec-2026 10:12              104857\r\n</pre><hr></body>\r\n</html>\r\n";

    /// lighttpd's `dir-listing.activate`.
    const LIGHTTPD_DIR_LISTING: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" "http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en">
<head>
<title>Index of /files/</title>
<style type="text/css">a, a:active {text-decoration: none; color: blue;}</style>
</head>
<body>
<h2>Index of /files/</h2>
<div class="list">
<table summary="Directory Listing" cellpadding="0" cellspacing="0">
<thead><tr><th class="n">Name</th><th class="m">Last Modified</th><th class="s">Size</th><th class="t">Type</th></tr></thead>
<tbody>
<tr class="d"><td class="n"><a href="../">..</a>/</td><td class="m">&nbsp;</td><td class="s">- &nbsp;</td><td class="t">Directory</td></tr>
</tbody>
</table>
</div>
<div class="foot">lighttpd/1.4.69</div>
</body>
</html>
"#;

    /// `python3 -m http.server`.
    const PYTHON_HTTP_SERVER: &str = r#"<!DOCTYPE HTML>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Directory listing for /</title>
</head>
<body>
<h1>Directory listing for /</h1>
<hr>
<ul>
<li><a href=".env">.env</a></li>
<li><a href="index.html">index.html</a></li>
</ul>
<hr>
</body>
</html>
"#;

    /// IIS with directory browsing on.
    const IIS_DIRECTORY_BROWSING: &str = r#"<html><head><title>www.example.com - /uploads/</title></head><body><H1>www.example.com - /uploads/</H1><hr>

<pre><A HREF="/">[To Parent Directory]</A><br><br> 12/1/2026 10:12 AM        &lt;dir&gt; <A HREF="/uploads/2026/">2026</A><br></pre><hr></body></html>"#;

    /// Tomcat's `DefaultServlet` with `listings` on.
    const TOMCAT_LISTING: &str = r#"<!doctype html><html lang="en"><head><title>Directory Listing For [/]</title><link rel="stylesheet" href="/docs/tomcat.css"></head><body><h1>Directory Listing For [/]</h1><hr class="line"><table width="100%" cellspacing="0" cellpadding="5" align="center"><tr><td align="left"><font size="+1"><strong>Filename</strong></font></td></tr></table></body></html>"#;

    fn rules() -> RuleSet {
        RuleSet::new(&[], &[], Vec::new()).expect("built-in rules compile")
    }

    /// The rules a text fires, read as a page's text and as its markup both.
    fn fired(text: &str) -> Vec<String> {
        rules()
            .scan("/", text, Some(text))
            .into_iter()
            .map(|finding| finding.rule)
            .collect()
    }

    /// Each rule: real samples that must match, near misses that must not.
    #[test]
    fn every_built_in_rule_catches_its_samples_and_spares_its_near_misses() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "lorem-ipsum",
                &[
                    "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
                    "sed quia dolor sit amet",
                ],
                &[
                    "Contact Lorem Smith, our ipsum-free accountant",
                    "Lorem is our CFO. Ipsum Ltd is our bank.",
                ],
            ),
            (
                "test-please-ignore",
                &[
                    "TEST please ignore",
                    "Test, please ignore this",
                    "testing - pls ignore",
                    "Please ignore, test",
                    "ignore this test",
                ],
                &[
                    "Please ignore the previous invoice",
                    "Test results are published weekly",
                ],
            ),
            (
                "keyboard-mash",
                &["Company: asdf", "Name: asdfgh Qwerty", "Address qwertyuiop"],
                &["The Asdfield branch", "a QWERTYbased layout"],
            ),
            (
                "unrendered-template",
                &[
                    "Hello {{ user.name }}!",
                    "{% if user %}",
                    "Total: ${order.total}",
                    "{{ price|floatformat:2 }}",
                ],
                &["Use {curly} braces", "Costs $5 {per month}", "100% {guaranteed}"],
            ),
            (
                "object-object",
                &["Welcome, [object Object]"],
                &["object-oriented objects"],
            ),
            (
                "django-debug",
                &["You're seeing this error because you have DEBUG = True in your Django settings file."],
                &["We fixed the DEBUG setting last week"],
            ),
            (
                "python-traceback",
                &[
                    "Traceback (most recent call last):",
                    "File \"/srv/app/views.py\", line 42, in report",
                ],
                &["Trace back your order history"],
            ),
            (
                "php-error",
                &[
                    "Fatal error: Uncaught Error: Call to undefined function foo() in /var/www/html/index.php:12",
                    "Warning: Undefined variable $x in /var/www/app/page.php on line 7",
                    "Notice: Undefined index: id in C:\\xampp\\htdocs\\a.php on line 3",
                ],
                &[
                    "Warning: stock is low in the Berlin warehouse",
                    "Notice: offices close at 5",
                ],
            ),
            (
                "rails-error",
                &[
                    "Action Controller: Exception caught",
                    "ActiveRecord::RecordNotFound in OrdersController#show",
                ],
                &["Our controller caught the exception rate rising"],
            ),
            (
                "laravel-error",
                &[
                    "Whoops, looks like something went wrong.",
                    "Illuminate\\Database\\QueryException",
                ],
                &["Whoops! Your basket is empty"],
            ),
            (
                "java-stack-trace",
                &[
                    "at com.example.Orders.load(Orders.java:42)",
                    "java.lang.NullPointerException",
                ],
                &["Meet us at the Java conference (Berlin)"],
            ),
            (
                "werkzeug-debugger",
                &[
                    "Werkzeug Debugger",
                    "The debugger caught an exception in your WSGI application.",
                ],
                &["Our debugger course starts Monday"],
            ),
            (
                "express-error",
                &[
                    "Cannot GET /reports/",
                    "at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)",
                ],
                &["You cannot get a refund after 30 days"],
            ),
            (
                "directory-listing",
                &[
                    APACHE_AUTOINDEX,
                    NGINX_AUTOINDEX,
                    LIGHTTPD_DIR_LISTING,
                    PYTHON_HTTP_SERVER,
                    IIS_DIRECTORY_BROWSING,
                    TOMCAT_LISTING,
                ],
                &[
                    "<html><head><title>Index of products</title></head><body><h1>Index of products</h1></body></html>",
                    "<html><head><title>Ledger</title></head><body><h1>Index of /static/</h1><p>An Index of / page means autoindex is on.</p></body></html>",
                    "<html><head><title>Help</title></head><body><pre>&lt;title&gt;Index of /&lt;/title&gt;\n&lt;h1&gt;Index of /&lt;/h1&gt;</pre></body></html>",
                    "Index of / is what nginx shows with autoindex on",
                ],
            ),
        ];
        assert_eq!(cases.len(), BUILT_IN.len(), "every built-in rule has cases");
        for (rule, samples, near_misses) in cases {
            for sample in *samples {
                assert!(
                    fired(sample).iter().any(|name| name == rule),
                    "`{rule}` missed {sample:?}"
                );
            }
            for near_miss in *near_misses {
                assert!(
                    fired(near_miss).is_empty(),
                    "{near_miss:?} fired {:?}",
                    fired(near_miss)
                );
            }
        }
    }

    #[test]
    fn a_listing_shown_as_text_is_no_listing() {
        let shown = format!(
            "<p>What autoindex serves:</p><p>{}</p>",
            NGINX_AUTOINDEX.replace('<', "&lt;")
        );
        let names: Vec<String> = rules()
            .scan("/docs/", &text::visible_text(&shown), Some(&shown))
            .into_iter()
            .map(|finding| finding.rule)
            .collect();
        assert_eq!(names, Vec::<String>::new());
        let found = rules().scan(
            "/media/",
            &text::visible_text(NGINX_AUTOINDEX),
            Some(NGINX_AUTOINDEX),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].snippet.contains("Index of /media/"), "{found:?}");
    }

    #[test]
    fn configuration_adds_disables_and_excepts_rules() {
        let extra = [("staging-banner".to_owned(), "(?i)staging environment".to_owned())];
        let allowances = vec![Allowance {
            path: "/styleguide/".into(),
            rules: vec!["lorem-ipsum".into()],
        }];
        let rules = RuleSet::new(&extra, &["keyboard-mash".to_owned()], allowances).expect("valid");
        let page = "Lorem ipsum on the STAGING ENVIRONMENT, asdf";
        let names = |path| {
            rules
                .scan(path, page, None)
                .into_iter()
                .map(|finding| finding.rule)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("/"), ["lorem-ipsum", "staging-banner"]);
        assert_eq!(names("/styleguide/buttons/"), ["staging-banner"]);
        let html_only = rules.scan("/", "clean text", Some("<input placeholder=\"Lorem ipsum\">"));
        assert_eq!(html_only[0].rule, "lorem-ipsum");
        assert!(html_only[0].snippet.contains("placeholder"));
    }

    #[test]
    fn an_allowance_covers_whole_segments_and_stars_within_one() {
        let allowance = |path: &str| Allowance {
            path: path.into(),
            rules: Vec::new(),
        };
        let guide = allowance("/docs/Guide");
        for covered in ["/docs/Guide", "/docs/Guide/", "/docs/Guide/Intro"] {
            assert!(guide.covers(covered), "{covered} is not covered");
        }
        for outside in ["/docs/GuideIndex", "/docs/", "/docs/Guid", "/other/docs/Guide"] {
            assert!(!guide.covers(outside), "{outside} is covered");
        }
        assert!(allowance("/styleguide/").covers("/styleguide"));
        assert!(allowance("/").covers("/anything/at/all"));
        let starred = allowance("/docs/Guide*");
        assert!(starred.covers("/docs/GuideIndex/2") && starred.covers("/docs/Guide"));
        assert!(!starred.covers("/docs/TheGuide"));
        let middle = allowance("/wiki/*/history");
        assert!(middle.covers("/wiki/Start/history") && !middle.covers("/wiki/Start/edit"));
        assert!(
            allowance("/docs/a*b*c").covers("/docs/a-b-b-c") && !allowance("/docs/a*bc").covers("/docs/abcx")
        );
        assert!(allowance("/docs/My Guide").covers("/docs/My%20Guide/1"));
    }

    #[test]
    fn code_and_typed_text_are_documentation_to_the_rules_that_skip_code() {
        let rules = rules();
        let names = |html: &str| {
            rules
                .scan("/", &text::visible_text(html), Some(html))
                .into_iter()
                .map(|finding| finding.rule)
                .collect::<Vec<_>>()
        };
        for documented in [
            "<p>Write</p><pre>Hello {{ user.name }}</pre>",
            "<p>Inline <code>{% if user %}</code> tags</p>",
            "<p>Press <kbd>${HOME}</kbd></p>",
            "<pre class=\"wiki\">Traceback (most recent call last):\n  File \"/srv/a.py\", line 3, in main</pre>",
            "<samp>java.lang.NullPointerException</samp>",
            "<form><textarea>{{ draft }}</textarea></form>",
        ] {
            assert_eq!(names(documented), Vec::<String>::new(), "{documented}");
        }
        assert_eq!(
            names("<pre>{{ shown }}</pre><p>Hello {{ user.name }}</p>"),
            ["unrendered-template"]
        );
        assert_eq!(
            names("<pre>You're seeing this error because you have DEBUG = True</pre>"),
            ["django-debug"]
        );
        assert_eq!(names("<pre>Lorem ipsum dolor</pre>"), ["lorem-ipsum"]);
        let own = RuleSet::new(&[("mine".into(), r"\{\{".into())], &[], Vec::new()).expect("valid");
        let found = own.scan("/", "{{ x }}", Some("<pre>{{ x }}</pre>"));
        assert!(found.iter().any(|finding| finding.rule == "mine"), "{found:?}");
    }

    #[test]
    fn bad_configuration_is_named() {
        let error = RuleSet::new(&[], &["lorem".to_owned()], Vec::new()).expect_err("unknown");
        assert_eq!(
            error,
            RuleError::UnknownBuiltIn {
                name: "lorem".into(),
                suggestion: Some("lorem-ipsum")
            }
        );
        let error = RuleSet::new(&[("mine".into(), "(".into())], &[], Vec::new()).expect_err("bad regex");
        assert!(
            error
                .to_string()
                .starts_with("the rule `mine` is not a valid regex"),
            "{error}"
        );
    }
}
