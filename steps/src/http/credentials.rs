//! A role's HTTP credentials (HTTP Basic, HTTP Digest, a fixed header such as a bearer token):
//! added to each request, hop by hop, only when that hop goes to an origin allowed to receive
//! them, so a redirect to another origin never carries them there.

use std::fmt;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use digest_auth::{AuthContext, HttpMethod, WwwAuthenticateHeader};
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue, WWW_AUTHENTICATE};
use secrecy::{ExposeSecret as _, SecretString};
use url::{Origin, Url};

use crate::failure::StepFailure;
use crate::locked::lock;

/// What a role sends, and the origins it may send it to.
pub(crate) struct HttpCredentials {
    kind: Kind,
    origins: Vec<Origin>,
}

enum Kind {
    /// The same header on every request: HTTP Basic, a bearer token, an API key.
    Fixed {
        /// How messages name it: "HTTP Basic authentication", "the `X-Api-Key` header".
        label: String,
        name: HeaderName,
        value: HeaderValue,
    },
    /// HTTP Digest: the server's last challenge, answered anew (its counter counting up) for
    /// each request, and replaced when the server challenges again.
    Digest {
        username: String,
        password: SecretString,
        challenge: Mutex<Option<WwwAuthenticateHeader>>,
    },
}

/// The values are secrets: only the scheme and the origins show.
impl fmt::Debug for HttpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let origins: Vec<String> = self.origins.iter().map(Origin::ascii_serialization).collect();
        f.debug_struct("HttpCredentials")
            .field("scheme", &self.scheme())
            .field("origins", &origins)
            .finish()
    }
}

impl HttpCredentials {
    /// `Authorization: Basic base64(user:password)`.
    pub(crate) fn basic(
        username: &str,
        password: &SecretString,
        origins: Vec<Origin>,
    ) -> Result<Self, StepFailure> {
        let pair = format!("{username}:{}", password.expose_secret());
        let value = format!("Basic {}", STANDARD.encode(pair));
        Ok(Self {
            kind: Kind::Fixed {
                label: "HTTP Basic authentication".to_owned(),
                name: AUTHORIZATION,
                value: sensitive(&value, "the user name and password")?,
            },
            origins,
        })
    }

    /// `name: value` (with `scheme ` before the value when one is configured, as in
    /// `Authorization: Bearer <token>`).
    pub(crate) fn header(
        name: &str,
        scheme: Option<&str>,
        value: &SecretString,
        origins: Vec<Origin>,
    ) -> Result<Self, StepFailure> {
        let label = format!("the `{name}` header");
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| StepFailure::configuration(format!("`{name}` is not an HTTP header name")))?;
        let value = match scheme {
            Some(scheme) => format!("{scheme} {}", value.expose_secret()),
            None => value.expose_secret().to_owned(),
        };
        Ok(Self {
            kind: Kind::Fixed {
                label,
                name,
                value: sensitive(&value, "the header's value")?,
            },
            origins,
        })
    }

    /// HTTP Digest: nothing is sent until the server's first challenge.
    pub(crate) fn digest(username: &str, password: SecretString, origins: Vec<Origin>) -> Self {
        Self {
            kind: Kind::Digest {
                username: username.to_owned(),
                password,
                challenge: Mutex::new(None),
            },
            origins,
        }
    }

    /// How the role logs in, for messages: "HTTP Basic authentication", "the `X-Api-Key` header".
    pub(crate) fn scheme(&self) -> String {
        match &self.kind {
            Kind::Fixed { label, .. } => label.clone(),
            Kind::Digest { .. } => "HTTP Digest authentication".to_owned(),
        }
    }

    /// Whether the credentials may go to `url`.
    fn goes_to(&self, url: &Url) -> bool {
        self.origins.contains(&url.origin())
    }

    /// The header a request to `url` carries, if the credentials may go there and there is one
    /// yet (Digest waits for a challenge).
    pub(crate) fn header_for(&self, method: &Method, url: &Url) -> Option<(HeaderName, HeaderValue)> {
        if !self.goes_to(url) {
            return None;
        }
        match &self.kind {
            Kind::Fixed { name, value, .. } => Some((name.clone(), value.clone())),
            Kind::Digest {
                username,
                password,
                challenge,
            } => {
                let mut challenge = lock(challenge);
                let prompt = challenge.as_mut()?;
                let uri = match url.query() {
                    Some(query) => format!("{}?{query}", url.path()),
                    None => url.path().to_owned(),
                };
                let context = AuthContext::new_with_method(
                    username.as_str(),
                    password.expose_secret(),
                    uri,
                    Option::<&[u8]>::None,
                    HttpMethod(method.as_str().to_owned().into()),
                );
                let answer = prompt.respond(&context).ok()?.to_header_string();
                let mut value = HeaderValue::from_str(&answer).ok()?;
                value.set_sensitive(true);
                Some((AUTHORIZATION, value))
            }
        }
    }

    /// The user name and password to answer a browser's authentication challenge from
    /// `origin` with: HTTP Digest's, for an origin they may go to. Basic and fixed headers go
    /// with every request already, so a challenge to them means they were refused.
    pub(crate) fn login_for_challenge(&self, origin: &Url) -> Option<(String, SecretString)> {
        match &self.kind {
            Kind::Digest {
                username, password, ..
            } if self.goes_to(origin) => Some((username.clone(), password.clone())),
            _ => None,
        }
    }

    /// After a 401 from `url`: takes the server's Digest challenge, and says whether the request
    /// is worth sending again with an answer to it. Basic and fixed headers have nothing new to
    /// say.
    pub(crate) fn take_challenge(&self, url: &Url, headers: &HeaderMap) -> bool {
        let Kind::Digest { challenge, .. } = &self.kind else {
            return false;
        };
        if !self.goes_to(url) {
            return false;
        }
        let offered = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.trim_start().to_ascii_lowercase().starts_with("digest"))
            .and_then(|value| digest_auth::parse(value).ok());
        match offered {
            Some(offered) => {
                *lock(challenge) = Some(offered);
                true
            }
            None => false,
        }
    }
}

/// A header value marked sensitive (kept out of reqwest's own `Debug`); what it holds is named,
/// never shown, when it cannot be a header at all (a line break in a token).
fn sensitive(value: &str, what: &str) -> Result<HeaderValue, StepFailure> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        StepFailure::configuration(format!(
            "{what} cannot be sent in an HTTP header: it holds a line break or another control character"
        ))
    })?;
    header.set_sensitive(true);
    Ok(header)
}

/// The schemes a 401 asks for (`Basic realm="staff"` → "Basic"), for a message that says which
/// `login.method` the site wants.
pub(crate) fn challenged_schemes(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split_whitespace().next())
        .map(|scheme| scheme.trim_end_matches(',').to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Vec<Origin> {
        vec![Url::parse("http://site.test/").expect("url").origin()]
    }

    #[test]
    fn credentials_go_only_to_their_origins() {
        let password = SecretString::from("pa55word");
        let basic = HttpCredentials::basic("admin", &password, site()).expect("valid");
        let here = Url::parse("http://site.test/admin/").expect("url");
        let elsewhere = Url::parse("http://other.test/admin/").expect("url");
        let (name, value) = basic.header_for(&Method::GET, &here).expect("sent");
        assert_eq!(name, AUTHORIZATION);
        assert_eq!(value.to_str().expect("ascii"), "Basic YWRtaW46cGE1NXdvcmQ=");
        assert!(basic.header_for(&Method::GET, &elsewhere).is_none());
        assert!(!format!("{basic:?}").contains("YWRt"));
    }

    #[test]
    fn a_digest_answer_counts_up_on_the_same_challenge() {
        let digest = HttpCredentials::digest("admin", SecretString::from("pa55word"), site());
        let url = Url::parse("http://site.test/digest/?page=2").expect("url");
        assert!(digest.header_for(&Method::GET, &url).is_none());
        let mut headers = HeaderMap::new();
        headers.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Digest realm="staff", qop="auth", nonce="abc123""#),
        );
        assert!(digest.take_challenge(&url, &headers));
        let first = digest.header_for(&Method::GET, &url).expect("answered");
        let second = digest.header_for(&Method::GET, &url).expect("answered");
        let first = first.1.to_str().expect("ascii").to_owned();
        assert!(
            first.contains("nc=00000001") && first.contains("uri=\"/digest/?page=2\""),
            "{first}"
        );
        assert!(second.1.to_str().expect("ascii").contains("nc=00000002"));
        assert_eq!(challenged_schemes(&headers), ["Digest"]);
    }
}
