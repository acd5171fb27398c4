//! A role's second factor: the RFC 6238 one-time code an authenticator app would show, made
//! from the role's `totp_secret_*` (base32, as the site's setup page gives it) when the site
//! asks for one after the password. The secret and every code made are redacted like passwords.

use std::fmt;

use totp_rs::{Algorithm, TOTP};

use super::secrets::PasswordSource;
use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::redact;

/// `totp_algorithm`: the HMAC an authenticator app is told to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TotpAlgorithm {
    #[default]
    Sha1,
    Sha256,
    Sha512,
}

impl TotpAlgorithm {
    /// The names `totp_algorithm` takes, as otpauth:// URIs spell them.
    pub const KNOWN: [&'static str; 3] = ["SHA1", "SHA256", "SHA512"];

    pub fn parse(written: &str) -> Option<Self> {
        match written.to_ascii_uppercase().replace('-', "").as_str() {
            "SHA1" => Some(Self::Sha1),
            "SHA256" => Some(Self::Sha256),
            "SHA512" => Some(Self::Sha512),
            _ => None,
        }
    }
}

/// `totp_secret_env` (or `_file`, `_command`) and how codes are made from it.
#[derive(Debug, Clone)]
pub struct SecondFactor {
    pub secret: PasswordSource,
    pub algorithm: TotpAlgorithm,
    /// `totp_digits`: 6 to 8.
    pub digits: usize,
    /// `totp_period`: seconds each code lasts.
    pub period: u64,
}

impl SecondFactor {
    /// The digits `totp_digits` may be: RFC 4226 codes have 6 to 8.
    pub const DIGITS: std::ops::RangeInclusive<usize> = 6..=8;

    /// Reads and registers the secret, and checks it is base32; on failure, why (never the value).
    pub(crate) async fn read(&self, role: &str, deadline: Deadline) -> Result<CodeMaker, StepFailure> {
        let failure = |why: String| {
            StepFailure::configuration(format!(
                "the one-time code secret of role `{role}` could not be read: {why}"
            ))
            .with("source", self.secret.describe_as("totp_secret"))
        };
        let written = self.secret.read(deadline).await.map_err(failure)?;
        if written.is_empty() {
            return Err(failure("it is empty".into()));
        }
        redact::register_named(&format!("the one-time code secret of role `{role}`"), &written);
        // Authenticator apps take the secret in groups, lower case, padded or not.
        let normalised: String = written
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        redact::register_named(&format!("the one-time code secret of role `{role}`"), &normalised);
        let key = totp_rs::Secret::Encoded(normalised)
            .to_bytes()
            .map_err(|_| failure("it is not base32 (letters A to Z and digits 2 to 7)".into()))?;
        let algorithm = match self.algorithm {
            TotpAlgorithm::Sha1 => Algorithm::SHA1,
            TotpAlgorithm::Sha256 => Algorithm::SHA256,
            TotpAlgorithm::Sha512 => Algorithm::SHA512,
        };
        // Unchecked: a site's short secret (80 bits is common) is the site's choice, not ours.
        Ok(CodeMaker(TOTP::new_unchecked(
            algorithm,
            self.digits,
            0,
            self.period,
            key,
        )))
    }
}

/// Makes the role's current one-time code. `Debug` shows nothing of the key.
#[derive(Clone)]
pub(crate) struct CodeMaker(TOTP);

impl fmt::Debug for CodeMaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeMaker")
    }
}

impl CodeMaker {
    /// The code for now, registered with the redactor before it goes anywhere.
    pub(crate) fn code(&self) -> Result<String, StepFailure> {
        let code = self.0.generate_current().map_err(|_| {
            StepFailure::configuration("the system clock is before 1970: no one-time code can be made")
        })?;
        redact::register(&code);
        Ok(code)
    }
}

/// The site asked for a one-time code at `path` and the role has no secret to make one from.
pub(crate) fn no_second_factor(role: &str, path: &str) -> StepFailure {
    StepFailure::configuration(format!(
        "the site asks `{role}` for a one-time code at {path}, and `[roles.{role}]` has no `totp_secret_env`, `totp_secret_file` or `totp_secret_command`"
    ))
    .with(
        "hint",
        "give the role the base32 secret of its authenticator app; `[login] totp_field` names the code's input if another one was taken for it",
    )
}

/// The site would not take the role's code given at `path`: the secret, its settings or the
/// clock are off. A configuration failure, like a refused password of an HTTP login.
pub(crate) fn code_refused(role: &str, path: &str) -> StepFailure {
    StepFailure::configuration(format!("`{role}`'s one-time code was refused at {path}")).with(
        "hint",
        format!("check the `totp_secret_*` of `[roles.{role}]` (the base32 secret the site gave when the second factor was set up), `totp_digits`, `totp_period`, `totp_algorithm`, and this machine's clock"),
    )
}

/// The CSS selector of the input a site asks for a one-time code in: `totp_field` by name, or
/// by default one marked `autocomplete="one-time-code"` or, for a role with a second factor
/// (`by_name`), one named like `otp`, `totp` or `code`. A role without one is only told the site
/// asks for a code on the strong signs, so a `postcode` field after its login is no such ask.
/// Hidden inputs are never it (an OAuth `code` carried along, say).
pub fn one_time_code_selector(totp_field: Option<&str>, by_name: bool) -> String {
    let visible = ":not([type=hidden]):not([type=submit]):not([type=checkbox]):not([type=radio])";
    let marks: &[&str] = match by_name {
        true => &[
            "[autocomplete=\"one-time-code\"]",
            "[name*=\"otp\" i]",
            "[name*=\"code\" i]",
        ],
        false => &["[autocomplete=\"one-time-code\"]"],
    };
    match totp_field {
        Some(name) => format!("input[name=\"{}\"]{visible}", name.replace('"', "\\\"")),
        None => marks
            .iter()
            .map(|which| format!("input{which}{visible}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use scraper::{Html, Selector};

    use super::*;
    use crate::deadline::Limit;

    fn matches(html: &str, field: Option<&str>) -> bool {
        let selector = Selector::parse(&one_time_code_selector(field, true)).expect("selector");
        Html::parse_document(html).select(&selector).next().is_some()
    }

    #[test]
    fn a_code_field_is_found_by_autocomplete_or_name_and_never_hidden() {
        assert!(matches(r#"<input autocomplete="one-time-code" name="x">"#, None));
        assert!(matches(r#"<input name="TOTP_token">"#, None));
        assert!(matches(r#"<input type="tel" name="verification_Code">"#, None));
        assert!(!matches(r#"<input type="hidden" name="code">"#, None));
        assert!(!matches(r#"<input name="username">"#, None));
        assert!(matches(r#"<input name="pin">"#, Some("pin")));
        assert!(!matches(r#"<input name="otp">"#, Some("pin")));
        let strict = Selector::parse(&one_time_code_selector(None, false)).expect("selector");
        let select = |html: &str| Html::parse_document(html).select(&strict).next().is_some();
        assert!(!select(r#"<input name="postcode">"#));
        assert!(select(r#"<input name="x" autocomplete="one-time-code">"#));
    }

    #[tokio::test]
    async fn codes_follow_rfc_6238_and_are_redacted() {
        // RFC 6238 appendix B: the SHA-1 key "12345678901234567890", 8 digits, at 59 s.
        let factor = SecondFactor {
            secret: PasswordSource::Command("printf 'gezd gnbv gy3t qojq gezd gnbv gy3t qojq\\n'".into()),
            algorithm: TotpAlgorithm::Sha1,
            digits: 8,
            period: 30,
        };
        let maker = factor
            .read("admin", Deadline::after(Duration::from_secs(5), Limit::Step))
            .await
            .expect("base32");
        assert_eq!(maker.0.generate(59), "94287082");
        let code = maker.code().expect("a code");
        assert_eq!(redact::redact(&format!("sent {code}")), "sent [redacted]");
        assert_eq!(redact::redact("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "[redacted]");
        assert!(!format!("{maker:?}").contains("GEZD"));
        let not_base32 = SecondFactor {
            secret: PasswordSource::Command("echo 'not base32 1!'".into()),
            ..factor
        };
        let failure = not_base32
            .read("admin", Deadline::after(Duration::from_secs(5), Limit::Step))
            .await
            .expect_err("refused");
        assert!(failure.to_string().contains("not base32"), "{failure}");
    }
}
