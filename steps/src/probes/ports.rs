//! TCP ports, open or closed, as seen from the machine shakedown runs on.

use std::time::Duration;

use tokio::net::TcpStream;

use crate::failure::StepFailure;

/// What became of a connection attempt.
#[derive(Debug)]
pub(crate) enum Connection {
    Accepted,
    Refused(String),
    TimedOut,
}

/// Tries `host:port` within `limit` (every address the name resolves to, in turn).
pub(crate) async fn connect(host: &str, port: u16, limit: Duration) -> Connection {
    match tokio::time::timeout(limit, TcpStream::connect((host, port))).await {
        Ok(Ok(_stream)) => Connection::Accepted,
        Ok(Err(error)) => Connection::Refused(error.to_string()),
        Err(_) => Connection::TimedOut,
    }
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

    #[tokio::test]
    async fn a_listening_port_is_open_and_a_released_one_closed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let limit = Duration::from_secs(2);
        assert!(expect_open("127.0.0.1", port, connect("127.0.0.1", port, limit).await, "2s").is_ok());
        assert!(expect_closed("127.0.0.1", port, connect("127.0.0.1", port, limit).await).is_err());
        drop(listener);
        let failure = expect_open("127.0.0.1", port, connect("127.0.0.1", port, limit).await, "2s")
            .expect_err("closed");
        assert!(failure.to_string().contains("the connection failed"), "{failure}");
        assert!(expect_closed("127.0.0.1", port, connect("127.0.0.1", port, limit).await).is_ok());
    }
}
