//! The site as the public sees it: the security headers it sends and what its robots.txt lets
//! search engines do.

mod headers;
mod robots;
mod steps;

pub use headers::{HSTS_MIN_AGE_SECONDS, SecurityHeader};

/// `[headers]`: what the public-face checks require.
#[derive(Debug, Clone)]
pub struct PublicSettings {
    /// The rules `the site should send the security headers` checks, in this order.
    pub security_headers: Vec<SecurityHeader>,
}

impl Default for PublicSettings {
    fn default() -> Self {
        Self {
            security_headers: SecurityHeader::ALL.to_vec(),
        }
    }
}
