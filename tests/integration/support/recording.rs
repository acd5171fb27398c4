//! A real HTTP server on loopback that logs every request it receives (method, path, headers, body)
//! before its routes answer: the witness for promises of the form "nothing reached it".

use std::net::TcpListener as StdListener;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// The path and query exactly as sent, percent-encoding kept.
    pub target: String,
    /// Every header, names in lower case, values as sent (lossily read as text).
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    /// The value of the header `name` (lower case), if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(sent, _)| sent == name)
            .map(|(_, value)| value.as_str())
    }
}

type Log = Arc<Mutex<Vec<Received>>>;

/// A server answering with `routes` (and 404 elsewhere), stopped when dropped.
pub struct RecordingServer {
    pub url: String,
    log: Log,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl RecordingServer {
    pub fn start(routes: Router) -> Self {
        let listener = StdListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let log = Log::default();
        let app = routes
            .fallback(|| async { StatusCode::NOT_FOUND })
            .layer(middleware::from_fn_with_state(Arc::clone(&log), record));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        Self {
            url,
            log,
            stop: Some(stop),
        }
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The requests received so far, one `METHOD target` line each, for assertions and messages.
    pub fn request_lines(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|received| format!("{} {}", received.method, received.target))
            .collect()
    }
}

impl Drop for RecordingServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn record(State(log): State<Log>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    log.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(Received {
            method: parts.method.to_string(),
            target: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), ToString::to_string),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_owned(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: String::from_utf8_lossy(&bytes).into_owned(),
        });
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
