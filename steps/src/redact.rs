//! Secrets never print. Every password and session cookie shakedown resolves is registered
//! here, and every output (terminal, reports, error messages, panic messages, `Debug`) passes
//! through `redact` on its way out.

use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret is replaced with.
pub const MASK: &str = "[redacted]";

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers `secret` (and its form-encoded spelling, as it travels in a login post) so no
/// output shows it.
pub fn register(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    let mut secrets = SECRETS.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    for variant in [secret.to_owned(), encoded] {
        if !secrets.contains(&variant) {
            secrets.push(variant);
        }
    }
    // Longest first, so a secret containing another is masked whole.
    secrets.sort_by_key(|known| std::cmp::Reverse(known.len()));
}

/// `text` with every registered secret masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut text = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if text.contains(secret.as_str()) {
            text = Cow::Owned(text.replace(secret.as_str(), MASK));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
