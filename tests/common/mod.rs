//! Shared helpers of the integration tests: a tiny scripted HTTP/1.1 server on
//! 127.0.0.1 (own thread and runtime, stops on drop) whose every answer a test decides,
//! down to dropping the connection, plus client builders and a counting token source.
//!
//! The ARM emulator (`bastion_emulator`) covers realistic scenarios; this server covers
//! exact protocol corner cases (a 202 without headers, a repeating nextLink, ...).
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bastion_session::{
    AccessToken, BastionClient, ClientOptions, CredentialSpec, Result as BsResult, SecretString,
    TokenSource,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// Path and query.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub enum Reply {
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Close the connection without answering.
    Drop,
    /// Never answer (until the client gives up).
    Hang,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Reply {
        Reply::Http {
            status,
            headers: vec![],
            body: body.to_string(),
        }
    }
    pub fn empty(status: u16) -> Reply {
        Reply::Http {
            status,
            headers: vec![],
            body: String::new(),
        }
    }
    pub fn header(mut self, k: &str, v: impl Into<String>) -> Reply {
        if let Reply::Http { headers, .. } = &mut self {
            headers.push((k.to_string(), v.into()));
        }
        self
    }
}

type Handler = dyn Fn(&Req, &str) -> Reply + Send + Sync;

/// The scripted server. `base` is `http://127.0.0.1:PORT`.
pub struct ScriptServer {
    pub base: String,
    log: Arc<Mutex<Vec<Req>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ScriptServer {
    /// Starts a server; `handler(req, base)` decides each answer.
    pub fn start(handler: impl Fn(&Req, &str) -> Reply + Send + Sync + 'static) -> ScriptServer {
        Self::start_with_latency(Duration::ZERO, handler)
    }

    /// Like [`start`](Self::start), with `latency` added before every answer.
    pub fn start_with_latency(
        latency: Duration,
        handler: impl Fn(&Req, &str) -> Reply + Send + Sync + 'static,
    ) -> ScriptServer {
        let handler: Arc<Handler> = Arc::new(handler);
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx_addr, rx_addr) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let log2 = log.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let base = format!("http://{}", listener.local_addr().unwrap());
                tx_addr.send(base.clone()).unwrap();
                let accept = async {
                    loop {
                        let Ok((sock, _)) = listener.accept().await else {
                            continue;
                        };
                        let (handler, log, base) = (handler.clone(), log2.clone(), base.clone());
                        tokio::spawn(async move {
                            let _ = connection(sock, handler, log, base, latency).await;
                        });
                    }
                };
                tokio::select! {
                    _ = accept => {}
                    _ = stop_rx => {}
                }
            });
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        let base = rx_addr.recv().unwrap();
        ScriptServer {
            base,
            log,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }

    /// How many requests matched `pred`.
    pub fn count(&self, pred: impl Fn(&Req) -> bool) -> usize {
        self.log.lock().unwrap().iter().filter(|r| pred(r)).count()
    }
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn connection(
    sock: tokio::net::TcpStream,
    handler: Arc<Handler>,
    log: Arc<Mutex<Vec<Req>>>,
    base: String,
    latency: Duration,
) -> std::io::Result<()> {
    let mut r = BufReader::new(sock);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("").to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            r.read_line(&mut h).await?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        r.read_exact(&mut body).await?;
        let req = Req {
            method,
            target,
            headers,
            body,
        };
        log.lock().unwrap().push(req.clone());
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        match handler(&req, &base) {
            Reply::Drop => return Ok(()),
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Ok(());
            }
            Reply::Http {
                status,
                headers,
                body,
            } => {
                let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                if !headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                    && !body.is_empty()
                {
                    out.push_str("content-type: application/json\r\n");
                }
                if !headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("x-ms-request-id"))
                {
                    out.push_str("x-ms-request-id: req-script\r\n");
                }
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                r.get_mut().write_all(out.as_bytes()).await?;
            }
        }
    }
}

pub const SUB: &str = "00000000-0000-0000-0000-000000000001";

/// Resource id of host `name` in `rg-0`.
pub fn host_id(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/{name}"
    )
}

pub fn host(name: &str) -> bastion_session::HostRef {
    host_id(name).parse().unwrap()
}

/// Options for a loopback endpoint with a static token and fast retries/polls.
pub fn fast_options(base: &str, token: &str) -> ClientOptions {
    let mut o = ClientOptions::default();
    o.arm_endpoint = Some(base.parse().unwrap());
    o.credential = CredentialSpec::AccessToken(token.into());
    o.retry.base_delay = Duration::from_millis(20);
    o.retry.max_delay = Duration::from_millis(200);
    o.retry.min_delay = Duration::from_millis(10);
    o.poll.min_interval = Duration::from_millis(10);
    o.poll.default_interval = Duration::from_millis(20);
    o.poll.max_interval = Duration::from_millis(200);
    o
}

pub fn client(base: &str) -> BastionClient {
    BastionClient::new(fast_options(base, "test-token")).unwrap()
}

/// A session object as ARM sends it.
pub fn session(id: &str) -> serde_json::Value {
    serde_json::json!({
        "sessionId": id, "startTime": "2026-11-28T09:15:00.1234567Z", "targetSubscriptionId": SUB,
        "resourceType": "VM", "targetHostName": format!("vm-{id}"), "targetResourceGroup": "rg-app",
        "userName": "alice@contoso.com", "targetIpAddress": "10.0.1.4", "protocol": "SSH",
        "targetResourceId": format!("/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-{id}"),
        "sessionDurationInMins": 42.5
    })
}

/// A token source that counts calls and hands out `tokens[i]` (the last one repeats).
pub struct CountingTokens {
    pub calls: AtomicU32,
    pub tokens: Vec<String>,
}

impl CountingTokens {
    pub fn new(tokens: &[&str]) -> Arc<CountingTokens> {
        Arc::new(CountingTokens {
            calls: AtomicU32::new(0),
            tokens: tokens.iter().map(|s| s.to_string()).collect(),
        })
    }
    pub fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl TokenSource for CountingTokens {
    async fn get_token(&self, _scope: &str) -> BsResult<AccessToken> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) as usize;
        let t = self
            .tokens
            .get(n)
            .or(self.tokens.last())
            .cloned()
            .unwrap_or_default();
        Ok(AccessToken {
            token: SecretString::new(t),
            expires_on: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        })
    }
    fn name(&self) -> String {
        "CountingTokens".into()
    }
}
