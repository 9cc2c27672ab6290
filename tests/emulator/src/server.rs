//! The accept loop (plain or TLS), and [`spawn`]: the emulator on its own thread and
//! runtime for tests, stopped when its handle drops.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::config::EmulatorConfig;
use crate::faults::{FaultKind, ScriptedFault};
use crate::router::handle;
use crate::state::{Emulator, lock};

/// Serves plain HTTP on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    config: EmulatorConfig,
    shutdown: impl Future<Output = ()>,
) {
    serve_shared(
        listener,
        Arc::new(Emulator::new(config, false)),
        None,
        shutdown,
    )
    .await;
}

/// Serves HTTPS with `acceptor` on `listener` until `shutdown` completes.
pub async fn serve_tls(
    listener: TcpListener,
    config: EmulatorConfig,
    acceptor: TlsAcceptor,
    shutdown: impl Future<Output = ()>,
) {
    serve_shared(
        listener,
        Arc::new(Emulator::new(config, true)),
        Some(acceptor),
        shutdown,
    )
    .await;
}

async fn serve_shared(
    listener: TcpListener,
    emulator: Arc<Emulator>,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let emulator = Arc::clone(&emulator);
        let tls = tls.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let emulator = Arc::clone(&emulator);
                async move { Ok::<_, std::convert::Infallible>(handle(emulator, request).await) }
            });
            let builder = hyper::server::conn::http1::Builder::new();
            let result = match tls {
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(tls_stream) => {
                        builder
                            .serve_connection(TokioIo::new(tls_stream), service)
                            .await
                    }
                    Err(e) => {
                        tracing::debug!("TLS handshake failed: {e}");
                        return;
                    }
                },
                None => {
                    builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                }
            };
            if let Err(e) = result {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
}

/// A running emulator started by [`spawn`]; dropping it stops the server.
pub struct EmulatorHandle {
    address: SocketAddr,
    scheme: &'static str,
    emulator: Arc<Emulator>,
    certificate_pem: Option<String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmulatorHandle {
    /// `http://127.0.0.1:PORT` (or `https://localhost:PORT` with TLS).
    pub fn base_url(&self) -> String {
        match self.scheme {
            "https" => format!("https://localhost:{}", self.address.port()),
            _ => format!("http://{}", self.address),
        }
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The token the emulator accepts.
    pub fn token(&self) -> &str {
        &self.emulator.settings().token
    }

    /// The generated certificate's PEM, with TLS.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate_pem.as_deref()
    }

    /// What `GET /_emulator/stats` answers.
    pub fn stats(&self) -> Value {
        self.emulator.stats_json()
    }

    /// Requests counted for `operation` with `status` (e.g. `("getActiveSessions", "202")`).
    pub fn count(&self, operation: &str, status: &str) -> u64 {
        lock(&self.emulator.stats)
            .by_operation
            .get(operation)
            .and_then(|m| m.get(status))
            .copied()
            .unwrap_or(0)
    }

    /// Requests counted for `operation`, any status.
    pub fn count_all(&self, operation: &str) -> u64 {
        lock(&self.emulator.stats)
            .by_operation
            .get(operation)
            .map(|m| m.values().sum())
            .unwrap_or(0)
    }

    /// What `GET /_emulator/sessions` answers: the current sessions per host.
    pub fn truth(&self) -> Value {
        lock(&self.emulator.world).truth()
    }

    /// Restores the scenario and zeroes the counters.
    pub fn reset(&self) {
        self.emulator.reset();
    }

    /// Scripts one fault for the next `count` requests of `operation` (as named in
    /// `/_emulator/stats`, e.g. `"pollOperation"`; `"*"` for any ARM request).
    pub fn script_fault(&self, operation: &str, fault: FaultKind, count: u32) {
        self.script_faults([ScriptedFault {
            operation: Some(operation.to_string()),
            fault,
            count: count.max(1),
        }]);
    }

    /// Adds scripted faults for the next matching requests.
    pub fn script_faults(&self, faults: impl IntoIterator<Item = ScriptedFault>) {
        lock(&self.emulator.faults).script(faults);
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts the emulator on 127.0.0.1 with a free port, on its own thread and runtime.
pub fn spawn(config: EmulatorConfig) -> EmulatorHandle {
    spawn_inner(config, false)
}

/// Like [`spawn`], serving HTTPS with a generated self-signed certificate.
pub fn spawn_tls(config: EmulatorConfig) -> EmulatorHandle {
    spawn_inner(config, true)
}

fn spawn_inner(config: EmulatorConfig, tls: bool) -> EmulatorHandle {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    std_listener
        .set_nonblocking(true)
        .expect("non-blocking listener");
    let address = std_listener.local_addr().expect("local address");
    let generated = tls.then(|| crate::tls::generate().expect("generate a TLS certificate"));
    let certificate_pem = generated.as_ref().map(|g| g.certificate_pem.clone());
    let acceptor = generated.map(|g| g.acceptor);
    let emulator = Arc::new(Emulator::new(config, tls));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shared = Arc::clone(&emulator);
    let thread = std::thread::Builder::new()
        .name("bastion-emulator".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("emulator runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                serve_shared(listener, shared, acceptor, async {
                    let _ = stopped.await;
                })
                .await;
            });
            runtime.shutdown_background();
        })
        .expect("emulator thread");
    EmulatorHandle {
        address,
        scheme: if tls { "https" } else { "http" },
        emulator,
        certificate_pem,
        stop: Some(stop),
        thread: Some(thread),
    }
}
