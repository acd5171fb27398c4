//! A server's TLS certificate as a client meets it: connect, let rustls verify the chain (the
//! system's trust store plus `probes.tls_ca_file`), keep the leaf certificate whatever the
//! verdict, and read its names and dates with an X.509 parser.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::DateTime;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::net::TcpStream;
use url::{Host, Url};

use crate::argument::PhraseArgument;
use crate::deadline::Deadline;
use crate::failure::{FailureKind, StepFailure};
use crate::locked::lock;

const SECONDS_PER_DAY: i64 = 24 * 60 * 60;

/// Where to connect: a host and port, and the name the certificate must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub host: String,
    pub port: u16,
    server_name: ServerName<'static>,
}

impl PhraseArgument for Target {
    fn read(written: &str) -> Result<Self, StepFailure> {
        Self::parse(written).map_err(|failure| failure.of_kind(FailureKind::Configuration))
    }
}

impl Target {
    /// `host`, `host:port`, `[::1]:8443` or an `https://` URL; the port defaults to 443.
    pub fn parse(text: &str) -> Result<Self, StepFailure> {
        let bad = |problem: &str| {
            StepFailure::new(format!("`{text}` is not a host or host:port ({problem})"))
                .with("hint", "write it like `ledger.example.com`, `ledger.example.com:8443` or `https://ledger.example.com/`")
        };
        let url = match text.contains("://") {
            true => Url::parse(text),
            false => Url::parse(&format!("https://{text}")),
        }
        .map_err(|error| bad(&error.to_string()))?;
        let port = url.port_or_known_default().ok_or_else(|| bad("no port"))?;
        let (host, server_name) = match url.host() {
            Some(Host::Domain(name)) => (
                name.to_owned(),
                ServerName::try_from(name.to_owned()).map_err(|error| bad(&error.to_string()))?,
            ),
            Some(Host::Ipv4(address)) => (
                address.to_string(),
                ServerName::IpAddress(std::net::IpAddr::V4(address).into()),
            ),
            Some(Host::Ipv6(address)) => (
                address.to_string(),
                ServerName::IpAddress(std::net::IpAddr::V6(address).into()),
            ),
            None => return Err(bad("no host")),
        };
        Ok(Self {
            host,
            port,
            server_name,
        })
    }

    pub fn display(&self) -> String {
        match self.host.contains(':') {
            true => format!("[{}]:{}", self.host, self.port),
            false => format!("{}:{}", self.host, self.port),
        }
    }
}

/// The leaf certificate's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Leaf {
    pub subject: String,
    pub issuer: String,
    /// Seconds since the Unix epoch.
    pub not_after: i64,
}

/// What a handshake showed.
#[derive(Debug)]
pub(crate) struct Inspection {
    pub leaf: Leaf,
    /// Why the chain does not verify, or `None` when it does.
    pub verify_error: Option<String>,
}

/// The trust anchors: the system's, plus the certificates of `extra_ca_file`.
/// The system's trusted certificates, read once per run: reading the store touches many files,
/// so it is done off the runner's task and kept for every later TLS step.
async fn system_certificates() -> Result<&'static [CertificateDer<'static>], StepFailure> {
    static SYSTEM: tokio::sync::OnceCell<Vec<CertificateDer<'static>>> = tokio::sync::OnceCell::const_new();
    SYSTEM
        .get_or_try_init(|| async {
            tokio::task::spawn_blocking(rustls_native_certs::load_native_certs)
                .await
                .map(|loaded| loaded.certs)
                .map_err(|error| {
                    StepFailure::new(format!("cannot load the system's trusted certificates: {error}"))
                })
        })
        .await
        .map(Vec::as_slice)
}

pub(crate) async fn trust(extra_ca_file: Option<&Path>) -> Result<RootCertStore, StepFailure> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(system_certificates().await?.iter().cloned());
    if let Some(file) = extra_ca_file {
        let pem = tokio::fs::read(file).await.map_err(|error| {
            StepFailure::new(format!(
                "cannot read `probes.tls_ca_file` `{}`: {error}",
                file.display()
            ))
        })?;
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<_, _>>()
            .map_err(|error| {
                StepFailure::new(format!(
                    "`probes.tls_ca_file` `{}` is not PEM certificates: {error}",
                    file.display()
                ))
            })?;
        if certificates.is_empty() {
            return Err(StepFailure::new(format!(
                "`probes.tls_ca_file` `{}` holds no certificates",
                file.display()
            )));
        }
        roots.add_parsable_certificates(certificates);
    }
    Ok(roots)
}

/// Connects and shakes hands by the step's deadline, keeping the leaf and the verifier's verdict.
pub(crate) async fn inspect(
    target: &Target,
    roots: RootCertStore,
    deadline: Deadline,
) -> Result<Inspection, StepFailure> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|error| StepFailure::new(format!("cannot set up certificate verification: {error}")))?;
    let recorder = Arc::new(Recorder {
        inner: webpki,
        seen: Mutex::new(None),
    });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| StepFailure::new(format!("cannot set up TLS: {error}")))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = async {
        let tcp = TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|error| format!("cannot connect: {error}"))?;
        connector
            .connect(target.server_name.clone(), tcp)
            .await
            .map(|_stream| ())
            .map_err(|error| format!("the TLS handshake failed: {error}"))
    };
    let outcome = deadline.run(handshake).await;
    let seen = lock(&recorder.seen).take();
    match (outcome, seen) {
        (None, _) => Err(deadline.exceeded(format!("no TLS handshake with {}", target.display()))),
        (Some(_), Some((der, verify_error))) => Ok(Inspection {
            leaf: leaf_of(&der)?,
            verify_error,
        }),
        (Some(Err(reason)), None) => Err(StepFailure::connection(format!(
            "no certificate from {}: {reason}",
            target.display()
        ))),
        (Some(Ok(())), None) => Err(StepFailure::new(format!(
            "{} sent no certificate",
            target.display()
        ))),
    }
}

/// Reads the names and the end date of a DER certificate.
pub(crate) fn leaf_of(der: &[u8]) -> Result<Leaf, StepFailure> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der)
        .map_err(|error| StepFailure::new(format!("the server's certificate cannot be read: {error}")))?;
    Ok(Leaf {
        subject: certificate.subject().to_string(),
        issuer: certificate.issuer().to_string(),
        not_after: certificate.validity().not_after.timestamp(),
    })
}

/// Whether the certificate names itself as its issuer.
fn is_self_signed(der: &[u8]) -> bool {
    x509_parser::parse_x509_certificate(der)
        .is_ok_and(|(_, certificate)| certificate.subject() == certificate.issuer())
}

/// Whole days from `now` to `not_after`, rounded down (negative once expired).
pub(crate) fn days_left(not_after: i64, now: SystemTime) -> i64 {
    (not_after - unix_seconds(now)).div_euclid(SECONDS_PER_DAY)
}

fn unix_seconds(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Passes when the chain verifies and the leaf is valid for at least `days` more days.
pub(crate) fn judge(
    target: &Target,
    inspection: &Inspection,
    days: i64,
    now: SystemTime,
) -> Result<(), StepFailure> {
    let leaf = &inspection.leaf;
    let left = days_left(leaf.not_after, now);
    let remaining_seconds = leaf.not_after - unix_seconds(now);
    let details = |failure: StepFailure| {
        failure
            .with("subject", &leaf.subject)
            .with("issuer", &leaf.issuer)
            .with("not after", utc(leaf.not_after))
            .with("days left", left.to_string())
    };
    if let Some(reason) = &inspection.verify_error {
        return Err(details(StepFailure::new(format!(
            "the TLS certificate of {} does not verify: {reason}",
            target.display()
        ))));
    }
    if remaining_seconds >= days.saturating_mul(SECONDS_PER_DAY) {
        return Ok(());
    }
    Err(details(StepFailure::new(format!(
        "the TLS certificate of {} expires in {left} day(s), sooner than the {days} required",
        target.display()
    ))))
}

pub(super) fn utc(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0).map_or_else(
        || seconds.to_string(),
        |at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// Verifies like rustls always does, but lets the handshake finish whatever the verdict, so
/// the certificate of a server that fails verification can still be shown.
#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<(Vec<u8>, Option<String>)>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        let server = server_name.to_str();
        let reason = verdict
            .err()
            .map(|error| super::words::in_words(&error, &server, is_self_signed(end_entity)));
        let mut seen = lock(&self.seen);
        *seen = Some((end_entity.to_vec(), reason));
        // Nothing is sent over this connection; it is closed as soon as the handshake ends.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn targets_read_as_host_port_or_url() {
        let plain = Target::parse("ledger.example.com").expect("host");
        assert_eq!((plain.host.as_str(), plain.port), ("ledger.example.com", 443));
        let port = Target::parse("localhost:8443").expect("host:port");
        assert_eq!(port.display(), "localhost:8443");
        let url = Target::parse("https://ledger.example.com:9443/health").expect("url");
        assert_eq!(url.display(), "ledger.example.com:9443");
        let v6 = Target::parse("[::1]:8443").expect("ipv6");
        assert_eq!(v6.display(), "[::1]:8443");
        assert!(Target::parse("bad host name:x").is_err());
    }

    #[test]
    fn days_left_round_down_and_go_negative() {
        let now = UNIX_EPOCH + Duration::from_secs(100 * 86_400);
        assert_eq!(days_left(105 * 86_400 - 60, now), 4);
        assert_eq!(days_left(130 * 86_400, now), 30);
        assert_eq!(days_left(99 * 86_400, now), -1);
    }

    #[test]
    fn a_short_lived_certificate_fails_with_its_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(100 * 86_400);
        let target = Target::parse("localhost:8443").expect("target");
        let inspection = Inspection {
            leaf: Leaf {
                subject: "CN=localhost".into(),
                issuer: "CN=Test CA".into(),
                not_after: 105 * 86_400 - 60,
            },
            verify_error: None,
        };
        assert!(judge(&target, &inspection, 4, now).is_ok());
        let failure = judge(&target, &inspection, 30, now).expect_err("too soon");
        let message = failure.to_string();
        assert!(
            message.starts_with(
                "the TLS certificate of localhost:8443 expires in 4 day(s), sooner than the 30 required"
            ),
            "{message}"
        );
        assert!(
            message.contains("issuer:") && message.contains("CN=Test CA"),
            "{message}"
        );
        let unverified = Inspection {
            verify_error: Some("unknown issuer".into()),
            ..inspection
        };
        let failure = judge(&target, &unverified, 1, now).expect_err("unverified");
        assert!(
            failure.to_string().contains("does not verify: unknown issuer"),
            "{failure}"
        );
    }
}
