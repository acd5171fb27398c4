//! Where an SSH host is (`user@host` or `user@host:port`) and the `[ssh]` settings every
//! connection shares; the rest (agent, `ProxyJump`, ciphers) comes from the user's ssh config.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The `[ssh]` settings. Absent values leave the user's ssh config (and ssh's defaults) in charge.
#[derive(Debug, Clone)]
pub struct SshSettings {
    /// The private key to log in with (`IdentityFile`).
    pub identity_file: Option<PathBuf>,
    /// The known hosts file the server's key must be in (`UserKnownHostsFile`).
    pub known_hosts: Option<PathBuf>,
    /// How long to wait for the server to answer when connecting (`ConnectTimeout`).
    pub connect_timeout: Duration,
}

impl Default for SshSettings {
    fn default() -> Self {
        Self {
            identity_file: None,
            known_hosts: None,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// A server to log in to: `user@host` or `user@host:port` (an IPv6 address in brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshDestination {
    pub user: String,
    pub host: String,
    pub port: Option<u16>,
}

/// Why a destination cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not an SSH destination: {reason} (expected `user@host` or `user@host:port`)")]
pub struct DestinationError {
    pub given: String,
    pub reason: String,
}

impl FromStr for SshDestination {
    type Err = DestinationError;

    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let error = |reason: &str| DestinationError {
            given: given.to_owned(),
            reason: reason.to_owned(),
        };
        let (user, address) = given
            .split_once('@')
            .ok_or_else(|| error("the user is missing"))?;
        if user.is_empty() {
            return Err(error("the user is missing"));
        }
        if !user
            .chars()
            .all(|character| character.is_alphanumeric() || "._-".contains(character))
            || user.starts_with('-')
        {
            return Err(error("the user name holds characters a login name cannot have"));
        }
        let (host, port) = match address.strip_prefix('[') {
            Some(bracketed) => {
                let (host, rest) = bracketed
                    .split_once(']')
                    .ok_or_else(|| error("the `[` of an IPv6 address is not closed"))?;
                match rest {
                    "" => (host, None),
                    _ => (
                        host,
                        Some(
                            rest.strip_prefix(':')
                                .ok_or_else(|| error("text follows the `]`"))?,
                        ),
                    ),
                }
            }
            None => match address.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (address, None),
            },
        };
        if host.is_empty() {
            return Err(error("the host is missing"));
        }
        if host.starts_with('-')
            || !host
                .chars()
                .all(|character| character.is_alphanumeric() || ".-_:%".contains(character))
        {
            return Err(error("the host name holds characters a host name cannot have"));
        }
        let port = port
            .map(|port| match port.parse::<u16>() {
                Ok(0) | Err(_) => Err(error("the port is not a number from 1 to 65535")),
                Ok(port) => Ok(port),
            })
            .transpose()?;
        Ok(Self {
            user: user.to_owned(),
            host: host.to_owned(),
            port,
        })
    }
}

impl SshDestination {
    /// The name known hosts files use for this server: `host`, or `[host]:port` off port 22.
    pub fn known_hosts_name(&self) -> String {
        match self.port {
            Some(port) if port != 22 => format!("[{}]:{port}", self.host),
            _ => self.host.clone(),
        }
    }
}

impl fmt::Display for SshDestination {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match self.host.contains(':') {
            true => format!("[{}]", self.host),
            false => self.host.clone(),
        };
        match self.port {
            Some(port) => write!(formatter, "{}@{host}:{port}", self.user),
            None => write!(formatter, "{}@{host}", self.user),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(given: &str) -> SshDestination {
        given.parse().expect("a destination")
    }

    #[test]
    fn user_host_and_optional_port_are_read() {
        assert_eq!(
            parsed("shakedown@web1.example.com"),
            SshDestination {
                user: "shakedown".into(),
                host: "web1.example.com".into(),
                port: None
            }
        );
        let worker = parsed("ops@worker1:2222");
        assert_eq!((worker.host.as_str(), worker.port), ("worker1", Some(2222)));
        assert_eq!(worker.known_hosts_name(), "[worker1]:2222");
        let ipv6 = parsed("ops@[::1]:2222");
        assert_eq!((ipv6.host.as_str(), ipv6.port), ("::1", Some(2222)));
        assert_eq!(ipv6.to_string(), "ops@[::1]:2222");
        assert_eq!(parsed("ops@web1:22").known_hosts_name(), "web1");
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        for (given, reason) in [
            ("web1", "the user is missing"),
            ("@web1", "the user is missing"),
            ("ops@", "the host is missing"),
            ("ops@web1:ssh", "the port is not a number"),
            ("ops@web1:0", "the port is not a number"),
            ("ops@web1:99999", "the port is not a number"),
            ("ops@-oProxyCommand=x", "cannot have"),
            ("ops@web 1", "cannot have"),
            ("-x@web1", "cannot have"),
            ("ops@[::1", "is not closed"),
        ] {
            let error = given.parse::<SshDestination>().expect_err(given);
            let message = error.to_string();
            assert!(message.contains(reason), "{given}: {message}");
            assert!(
                message.starts_with(&format!("`{given}` is not an SSH destination")),
                "{message}"
            );
        }
    }
}
