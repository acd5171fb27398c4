//! The forbidden-content rules: a built-in set tuned for few false positives, extended, thinned
//! and excepted per path by `[content]`, compiled once per run (the built-in ones only when a
//! page is first scanned). Each rule has a name, so a failure says which one matched.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use crate::text;

/// A built-in rule: its name, what it catches, and its pattern over the page's visible text.
pub struct BuiltIn {
    pub name: &'static str,
    pub catches: &'static str,
    pattern: &'static str,
}

/// The rules every run starts with; `[content] disable = [...]` names the ones to drop.
pub const BUILT_IN: &[BuiltIn] = &[
    BuiltIn {
        name: "lorem-ipsum",
        catches: "lorem ipsum filler text",
        pattern: r"(?i)\blorem\s+ipsum\b|\bdolor\s+sit\s+amet\b",
    },
    BuiltIn {
        name: "test-please-ignore",
        catches: "\"test, please ignore\" and its kin",
        pattern: r"(?i)\btest(?:ing)?\b[\s,.:;!–—-]*(?:please|pls|plz)[\s,]*ignore\b|\bplease\s+ignore[\s,.:;!–—-]*(?:this\s+)?test\b|\bignore\s+this\s+test\b",
    },
    BuiltIn {
        name: "keyboard-mash",
        catches: "keyboard-mash test strings such as asdf or qwertyuiop",
        pattern: r"(?i)\b(?:asdf(?:gh?(?:jkl?)?)?|qwerty(?:uiop)?|zxcvbn(?:m)?|sdfsdf|asdasd|fghfgh|jkljkl)\b",
    },
    BuiltIn {
        name: "unrendered-template",
        catches: "template tags that were never rendered: {{ var }}, {% tag %}, ${var}",
        pattern: r"\{\{\s*[\w.\[\]]+(?:\s*\|[^}]*)?\s*\}\}|\{%-?\s*[a-z_]+\b[^%]*-?%\}|\$\{\s*[\w.]+\s*\}",
    },
    BuiltIn {
        name: "object-object",
        catches: "a JavaScript object printed as text",
        pattern: r"\[object Object\]",
    },
    BuiltIn {
        name: "django-debug",
        catches: "Django's debug page",
        pattern: r"(?i)you(?:'|’)re seeing this error because you have\s+DEBUG\s*=\s*True",
    },
    BuiltIn {
        name: "python-traceback",
        catches: "a Python traceback",
        pattern: r#"Traceback \(most recent call last\)|File "[^"]+\.py", line \d+, in \w+"#,
    },
    BuiltIn {
        name: "php-error",
        catches: "PHP fatal errors, warnings and notices",
        pattern: r"(?i)\b(?:PHP\s+)?(?:Fatal error|Parse error|Warning|Notice|Deprecated)\s*:\s.{0,300}?\bin\s+(?:/|[A-Z]:\\)\S+\.php(?::\d+|\s+on\s+line\s+\d+)",
    },
    BuiltIn {
        name: "rails-error",
        catches: "Rails' debug and error pages",
        pattern: r"Action Controller: Exception caught|ActionView::Template::Error|ActiveRecord::\w+ in \w+#\w+|Routing Error No route matches|We're sorry, but something went wrong\.",
    },
    BuiltIn {
        name: "laravel-error",
        catches: "Laravel and Symfony error pages",
        pattern: r"Whoops, looks like something went wrong\.|Illuminate\\(?:\w+\\)+\w*Exception|Symfony\\Component\\\w+\\Exception\\\w+",
    },
    BuiltIn {
        name: "java-stack-trace",
        catches: "a Java stack trace",
        pattern: r"\bat [a-zA-Z_$][\w$]*(?:\.[\w$<>]+)+\((?:[\w$]+\.java:\d+|Native Method|Unknown Source)\)|\bjava\.lang\.\w+(?:Exception|Error)\b",
    },
    BuiltIn {
        name: "werkzeug-debugger",
        catches: "the Werkzeug (Flask) debugger",
        pattern: r"(?i)werkzeug debugger|The debugger caught an exception in your WSGI application",
    },
    BuiltIn {
        name: "express-error",
        catches: "Express' default error pages",
        pattern: r"\bCannot (?:GET|POST|PUT|PATCH|DELETE) /\S*|\bat [\w.$<>\[\] ]+ \((?:/|[A-Z]:\\)[^)]*node_modules[^)]*\.js:\d+:\d+\)",
    },
];

/// A rule that does not apply to some paths (`[[content.allow]]`).
#[derive(Debug, Clone)]
pub struct Allowance {
    /// Paths starting with this are excepted.
    pub path_prefix: String,
    /// The rules excepted there; empty means every rule.
    pub rules: Vec<String>,
}

#[derive(Debug, Clone)]
struct Rule {
    name: String,
    pattern: Pattern,
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
                let suggestion = BUILT_IN
                    .iter()
                    .map(|rule| (strsim::jaro_winkler(name, rule.name), rule.name))
                    .filter(|(similarity, _)| *similarity > 0.8)
                    .max_by(|(a, _), (b, _)| a.total_cmp(b))
                    .map(|(_, rule)| rule);
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
            });
        let configured = extra.iter().map(|(name, pattern)| match Regex::new(pattern) {
            Ok(pattern) => Ok(Rule {
                name: name.clone(),
                pattern: Pattern::Configured(pattern),
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
    /// (attributes such as `placeholder="asdf"`), one finding per rule.
    pub fn scan(&self, path: &str, visible_text: &str, html: Option<&str>) -> Vec<Finding> {
        self.rules
            .iter()
            .filter(|rule| !self.excepted(path, &rule.name))
            .filter_map(|rule| {
                [Some(visible_text), html]
                    .into_iter()
                    .flatten()
                    .find_map(|haystack| {
                        rule.pattern.regex().find(haystack).map(|found| Finding {
                            rule: rule.name.clone(),
                            snippet: text::snippet_around(haystack, found.start(), found.end()),
                        })
                    })
            })
            .collect()
    }

    fn excepted(&self, path: &str, rule: &str) -> bool {
        self.allowances.iter().any(|allowance| {
            path.starts_with(&allowance.path_prefix)
                && (allowance.rules.is_empty() || allowance.rules.iter().any(|name| name == rule))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RuleSet {
        RuleSet::new(&[], &[], Vec::new()).expect("built-in rules compile")
    }

    fn fired(text: &str) -> Vec<String> {
        rules()
            .scan("/", text, None)
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
    fn configuration_adds_disables_and_excepts_rules() {
        let extra = [("staging-banner".to_owned(), "(?i)staging environment".to_owned())];
        let allowances = vec![Allowance {
            path_prefix: "/styleguide/".into(),
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
