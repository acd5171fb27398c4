//! What a failed certificate check means, in words a person acts on ("self-signed certificate",
//! "certificate is for other.example.com, not ledger.example.com"), for the TLS probe and for
//! HTTP steps alike, instead of rustls's variant names.

use rustls::{CertificateError, Error};

use super::certificate::utc;

/// `error` as said of a connection to `server`; `self_signed` when the leaf signed itself.
pub(crate) fn in_words(error: &Error, server: &str, self_signed: bool) -> String {
    let Error::InvalidCertificate(certificate) = error else {
        return format!("the TLS handshake failed: {error}");
    };
    match certificate {
        CertificateError::NotValidForNameContext { presented, .. } if !presented.is_empty() => {
            let names: Vec<&str> = presented.iter().map(|name| bare(name)).collect();
            format!("certificate is for {}, not {server}", names.join(", "))
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            format!("certificate is not for {server}")
        }
        CertificateError::ExpiredContext { not_after, .. } => {
            format!("certificate expired on {}", utc(seconds(not_after)))
        }
        CertificateError::Expired => "certificate expired".to_owned(),
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "certificate not valid before {} (is this machine's clock right?)",
            utc(seconds(not_before))
        ),
        CertificateError::NotValidYet => "certificate not valid yet (is this machine's clock right?)".to_owned(),
        // A chain that ends in the leaf itself fails in several ways (unknown issuer, or a
        // trusted root with the same name tried as its signer): all mean the same to a person.
        _ if self_signed => {
            "self-signed certificate: no authority this machine trusts signed it; to trust it, set `probes.tls_ca_file` to it".to_owned()
        }
        CertificateError::UnknownIssuer => {
            "unknown issuer: the certificate is signed by an authority this machine does not trust (a self-signed or private CA?); set `probes.tls_ca_file` to the authority's certificate".to_owned()
        }
        CertificateError::Revoked => "certificate revoked by its authority".to_owned(),
        CertificateError::BadSignature => "certificate signature does not verify (a forged or corrupted chain)".to_owned(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "certificate is not meant for a web server (its extended key usage)".to_owned()
        }
        other => format!("certificate refused: {other}"),
    }
}

/// The certificate's TLS failure in words, when `error`'s chain of causes holds one. reqwest's
/// errors wrap rustls's inside I/O errors, sometimes twice, and an I/O error's `source` skips
/// what it wraps: the walk goes into the wrapped error instead.
pub(crate) fn in_error_chain(error: &(dyn std::error::Error + 'static), server: &str) -> Option<String> {
    let mut cause = Some(error);
    while let Some(current) = cause {
        if let Some(tls) = current.downcast_ref::<Error>() {
            return Some(in_words(tls, server, false));
        }
        cause = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    None
}

/// rustls lists presented names as `DnsName("x")` or `IpAddress(x)`: the name alone.
fn bare(presented: &str) -> &str {
    presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .map_or(presented, |inner| inner.trim_matches('"'))
}

fn seconds(at: &rustls_pki_types::UnixTime) -> i64 {
    i64::try_from(at.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use rustls_pki_types::ServerName;

    use super::*;

    #[test]
    fn a_certificate_for_another_name_says_both_names() {
        let error = Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("ledger.example.com").expect("a name"),
            presented: vec![
                "DnsName(\"other.example.com\")".into(),
                "other.example.org".into(),
            ],
        });
        assert_eq!(
            in_words(&error, "ledger.example.com", false),
            "certificate is for other.example.com, other.example.org, not ledger.example.com"
        );
    }

    #[test]
    fn an_unknown_issuer_points_at_the_setting_and_a_self_signed_leaf_is_named() {
        let unknown = Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert!(in_words(&unknown, "x", false).starts_with("unknown issuer"));
        assert!(in_words(&unknown, "x", false).contains("`probes.tls_ca_file`"));
        assert!(in_words(&unknown, "x", true).starts_with("self-signed certificate"));
    }

    #[test]
    fn a_tls_error_is_found_inside_an_io_error() {
        let wrapped = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            Error::InvalidCertificate(CertificateError::UnknownIssuer),
        ));
        let words = in_error_chain(&wrapped, "ledger.example.com").expect("found");
        assert!(words.starts_with("unknown issuer"), "{words}");
        assert!(in_error_chain(&std::io::Error::other("refused"), "x").is_none());
    }
}
