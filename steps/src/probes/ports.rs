//! TCP ports, open or closed, as seen from the host probes look at (so `localhost` is that
//! host's own loopback). The connection itself is the host's to make.

use crate::deadline::Deadline;
use crate::failure::StepFailure;
use crate::machine::{Connection, Host};

/// Tries `target:port` from `host` by `deadline`; a failure only when the host could not be asked.
pub(crate) async fn connect(
    host: &dyn Host,
    target: &str,
    port: u16,
    deadline: Deadline,
) -> Result<Connection, StepFailure> {
    host.connect_tcp(target, port, deadline).await.map_err(|error| {
        StepFailure::new(format!(
            "cannot check port {port} on {target} from {}",
            host.name()
        ))
        .with("reason", error.to_string())
    })
}

pub(crate) fn expect_open(host: &str, port: u16, seen: Connection, limit: &str) -> Result<(), StepFailure> {
    match seen {
        Connection::Accepted => Ok(()),
        Connection::Refused(reason) => Err(StepFailure::new(format!("port {port} on {host} is not open"))
            .with("seen", format!("the connection failed: {reason}"))),
        Connection::TimedOut => Err(StepFailure::new(format!("port {port} on {host} is not open"))
            .with("seen", format!("no answer within {limit}"))),
    }
}

pub(crate) fn expect_closed(host: &str, port: u16, seen: Connection) -> Result<(), StepFailure> {
    match seen {
        Connection::Accepted => Err(StepFailure::new(format!(
            "port {port} on {host} is open, which it should not be"
        ))
        .with("seen", "the connection was accepted")),
        Connection::Refused(_) | Connection::TimedOut => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadline::Limit;
    use crate::machine::LocalHost;

    #[tokio::test]
    async fn a_listening_port_is_open_and_a_released_one_closed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let limit = Deadline::after(std::time::Duration::from_secs(2), Limit::Step);
        let seen = || async {
            connect(&LocalHost, "127.0.0.1", port, limit)
                .await
                .expect("asked")
        };
        assert!(expect_open("127.0.0.1", port, seen().await, "2s").is_ok());
        assert!(expect_closed("127.0.0.1", port, seen().await).is_err());
        drop(listener);
        let failure = expect_open("127.0.0.1", port, seen().await, "2s").expect_err("closed");
        assert!(failure.to_string().contains("the connection failed"), "{failure}");
        assert!(expect_closed("127.0.0.1", port, seen().await).is_ok());
    }
}
