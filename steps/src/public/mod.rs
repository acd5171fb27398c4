//! The site as the public sees it: the security headers it sends, what its robots.txt lets
//! search engines do, and the private files it must never serve.

mod docroot;
mod exposure;
mod headers;
mod robots;
mod served;
mod steps;

pub use exposure::{BUILT_IN_PATHS, ExposureSettings};
pub use headers::{HSTS_MIN_AGE_SECONDS, SecurityHeader};

/// `[headers]`: what the public-face checks require.
#[derive(Debug, Clone)]
pub struct PublicSettings {
    /// The rules `the site should send the security headers` checks, in this order.
    pub security_headers: Vec<SecurityHeader>,
    /// `[exposure]`: what `nothing private should be public on the site` asks for.
    pub exposure: ExposureSettings,
}

impl Default for PublicSettings {
    fn default() -> Self {
        Self {
            security_headers: SecurityHeader::ALL.to_vec(),
            exposure: ExposureSettings::default(),
        }
    }
}
