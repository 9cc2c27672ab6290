//! Hangs are bounded: servers that never finish, never answer or never stop paging must end
//! the call with a clear error within the deadline the caller configured
//! (`OperationContext::with_timeout`, which is what `timeoutSec` and `-TimeoutSec` set),
//! and a hang on one host must not hold back the other hosts' results.
//!
//! Every server here listens on 127.0.0.1; the client runs with its default retry and
//! polling policy so that nothing but the configured deadline can be what bounds the call.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bastion_session::{
    BastionClient, ClientOptions, CredentialSpec, DisconnectTarget, ErrorKind, OperationContext,
};
use common::{Reply, ScriptServer, host, session};
use futures::StreamExt;
use serde_json::json;

/// The deadline every test configures.
const DEADLINE: Duration = Duration::from_secs(2);
/// How much later than the deadline a call may return (scheduling on a busy CI box).
const SLACK: Duration = Duration::from_millis(1500);

/// Default options (real retry and polling policy) for a loopback endpoint.
fn default_options(base: &str) -> ClientOptions {
    let mut o = ClientOptions::default();
    o.arm_endpoint = Some(base.parse().unwrap());
    o.credential = CredentialSpec::AccessToken("hang-test-token".into());
    o
}

fn client(base: &str) -> BastionClient {
    BastionClient::new(default_options(base)).unwrap()
}

fn assert_bounded(started: Instant, what: &str) {
    let took = started.elapsed();
    assert!(
        took <= DEADLINE + SLACK,
        "{what}: took {took:?}, deadline was {DEADLINE:?}"
    );
}

/// A raw TCP server that accepts every connection and then never says a word.
struct SilentServer {
    base: String,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SilentServer {
    fn start() -> SilentServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (accepted2, stop2) = (accepted.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut sock, _)) => {
                        accepted2.fetch_add(1, Ordering::SeqCst);
                        // Read what arrives so the client's write never blocks; answer nothing.
                        sock.set_nonblocking(true).unwrap();
                        let mut buf = [0u8; 4096];
                        let _ = sock.read(&mut buf);
                        held.push(sock);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        SilentServer {
            base,
            accepted,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[tokio::test]
async fn a_server_that_accepts_and_never_answers_ends_in_timeout() {
    let srv = SilentServer::start();
    let ctx = OperationContext::new().with_timeout(DEADLINE);
    let started = Instant::now();
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &ctx)
        .await
        .unwrap_err();
    assert_bounded(started, "silent server, list");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(!e.message().is_empty());
    assert!(srv.accepted.load(Ordering::SeqCst) >= 1, "never connected");

    let ctx = OperationContext::new().with_timeout(DEADLINE);
    let started = Instant::now();
    let e = client(&srv.base)
        .disconnect_sessions(&host("bh-0"), &["s-1".to_string()], 0, &ctx)
        .await
        .unwrap_err();
    assert_bounded(started, "silent server, disconnect");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
}

#[tokio::test]
async fn an_lro_that_never_completes_ends_in_timeout_despite_a_huge_retry_after() {
    let srv = ScriptServer::start(|_, base| {
        Reply::empty(202)
            .header("Location", format!("{base}/operationResults/forever"))
            .header("Retry-After", "3600")
    });
    let ctx = OperationContext::new().with_timeout(DEADLINE);
    let started = Instant::now();
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &ctx)
        .await
        .unwrap_err();
    assert_bounded(started, "endless LRO");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
}

#[tokio::test]
async fn an_lro_that_never_completes_with_short_polls_ends_in_timeout() {
    let srv = ScriptServer::start(|_, base| {
        Reply::empty(202)
            .header("Location", format!("{base}/operationResults/forever"))
            .header("Retry-After", "0")
    });
    let ctx = OperationContext::new().with_timeout(DEADLINE);
    let started = Instant::now();
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &ctx)
        .await
        .unwrap_err();
    assert_bounded(started, "endless LRO, short polls");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    // The minimum poll interval (1 s by default) keeps a Retry-After of 0 from becoming a
    // busy loop against the service.
    assert!(
        srv.requests().len() <= 6,
        "{} requests",
        srv.requests().len()
    );
}

#[tokio::test]
async fn a_throttle_with_a_huge_retry_after_ends_in_timeout() {
    let srv = ScriptServer::start(|_, _| {
        Reply::json(
            429,
            json!({"error":{"code":"TooManyRequests","message":"slow down"}}),
        )
        .header("Retry-After", "3600")
    });
    let ctx = OperationContext::new().with_timeout(DEADLINE);
    let started = Instant::now();
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &ctx)
        .await
        .unwrap_err();
    assert_bounded(started, "429 with Retry-After 3600");
    assert!(
        matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Throttled),
        "{e}"
    );
}

#[tokio::test]
async fn a_next_link_loop_ends_with_a_clear_error() {
    // p1 -> p2 -> p1 -> ...: the same URL comes back.
    let srv = ScriptServer::start(|r, base| {
        let next = if r.path().ends_with("/p1") {
            "/p2"
        } else {
            "/p1"
        };
        Reply::json(
            200,
            json!({"value":[session("s")], "nextLink": format!("{base}{next}")}),
        )
    });
    let ctx = OperationContext::new().with_timeout(DEADLINE);
    let started = Instant::now();
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &ctx)
        .await
        .unwrap_err();
    assert_bounded(started, "nextLink loop");
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
    assert!(e.message().contains("nextLink"), "{e}");
}

#[tokio::test]
async fn an_endless_chain_of_new_next_links_ends_with_a_clear_error() {
    // Every page names a new page: no URL repeats, so only the page cap or the deadline
    // can end it.
    let srv = ScriptServer::start(|r, base| {
        let n: u64 = r
            .target
            .rsplit_once("page=")
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(0);
        Reply::json(
            200,
            json!({"value":[], "nextLink": format!("{base}/pages?page={}", n + 1)}),
        )
    });
    let ctx = OperationContext::new().with_timeout(DEADLINE);
    let started = Instant::now();
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &ctx)
        .await
        .unwrap_err();
    assert_bounded(started, "endless nextLink chain");
    assert!(
        matches!(e.kind(), ErrorKind::InvalidResponse | ErrorKind::Timeout),
        "{e}"
    );
    assert!(!e.message().is_empty());
}

#[tokio::test]
async fn an_endless_disconnect_next_link_chain_ends_with_a_clear_error() {
    let srv = ScriptServer::start(|r, base| {
        let n: u64 = r
            .target
            .rsplit_once("page=")
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(0);
        Reply::json(
            200,
            json!({"value":[], "nextLink": format!("{base}/pages?page={}", n + 1)}),
        )
    });
    let ctx = OperationContext::new().with_timeout(DEADLINE);
    let started = Instant::now();
    let e = client(&srv.base)
        .disconnect_sessions(&host("bh-0"), &["s-1".to_string()], 0, &ctx)
        .await
        .unwrap_err();
    assert_bounded(started, "endless disconnect nextLink chain");
    assert!(
        matches!(e.kind(), ErrorKind::InvalidResponse | ErrorKind::Timeout),
        "{e}"
    );
}

#[tokio::test]
async fn a_body_that_trickles_forever_ends_in_timeout() {
    // Headers arrive at once, the body never ends: a content-length far larger than what is
    // sent, then silence.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    listener.set_nonblocking(true).unwrap();
    let thread = std::thread::spawn(move || {
        use std::io::Write;
        let mut held = Vec::new();
        while !stop2.load(Ordering::SeqCst) {
            if let Ok((mut sock, _)) = listener.accept() {
                sock.set_nonblocking(false).unwrap();
                sock.set_read_timeout(Some(Duration::from_millis(200)))
                    .unwrap();
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf);
                let _ = sock.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{\"value\":[",
                );
                held.push(sock);
            } else {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    });
    let ctx = OperationContext::new().with_timeout(DEADLINE);
    let started = Instant::now();
    let e = client(&base)
        .list_sessions(&host("bh-0"), &ctx)
        .await
        .unwrap_err();
    assert_bounded(started, "trickling body");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    stop.store(true, Ordering::SeqCst);
    let _ = thread.join();
}

#[tokio::test]
async fn one_hanging_host_does_not_hold_back_the_others() {
    let srv = ScriptServer::start(|r, _| {
        if r.path().contains("/bastionHosts/bh-stuck/") {
            Reply::Hang
        } else {
            Reply::json(200, json!({"value":[session("s-1")]}))
        }
    });
    let hosts: Vec<_> = ["bh-0", "bh-1", "bh-stuck", "bh-2", "bh-3"]
        .iter()
        .map(|n| host(n))
        .collect();
    let ctx = OperationContext::new().with_timeout(DEADLINE);
    let started = Instant::now();
    let mut stream = client(&srv.base).list_sessions_many(hosts, 4, &ctx);
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    while let Some(outcome) = stream.next().await {
        match outcome.result {
            Ok(sessions) => {
                assert_eq!(sessions.len(), 1);
                // The healthy hosts arrive long before the deadline.
                assert!(started.elapsed() < DEADLINE, "{}", outcome.host.name);
                ok.push(outcome.host.name);
            }
            Err(e) => failed.push((outcome.host.name, e)),
        }
    }
    assert_bounded(started, "fan-out with one hanging host");
    ok.sort();
    assert_eq!(ok, ["bh-0", "bh-1", "bh-2", "bh-3"]);
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "bh-stuck");
    assert_eq!(failed[0].1.kind(), ErrorKind::Timeout, "{}", failed[0].1);
    assert!(
        failed[0].1.target().is_some_and(|t| t.contains("bh-stuck")),
        "the error names the host: {:?}",
        failed[0].1
    );
}

#[tokio::test]
async fn a_hanging_disconnect_host_does_not_hold_back_the_others() {
    let srv = ScriptServer::start(|r, _| {
        if r.path().contains("/bastionHosts/bh-stuck/") {
            Reply::Hang
        } else {
            let ids = r.json()["sessionIds"].clone();
            let value: Vec<_> = ids
                .as_array()
                .unwrap()
                .iter()
                .map(|id| json!({"sessionId": id, "state": "Disconnected", "message": "ok"}))
                .collect();
            Reply::json(200, json!({ "value": value }))
        }
    });
    let targets: Vec<DisconnectTarget> = ["bh-0", "bh-stuck", "bh-1"]
        .iter()
        .map(|n| DisconnectTarget {
            host: host(n),
            session_ids: vec![format!("{n}-a"), format!("{n}-b")],
        })
        .collect();
    let ctx = OperationContext::new().with_timeout(DEADLINE);
    let started = Instant::now();
    let outcomes: Vec<_> = client(&srv.base)
        .disconnect_sessions_many(targets, 0, 4, &ctx)
        .collect()
        .await;
    assert_bounded(started, "disconnect fan-out with one hanging host");
    assert_eq!(outcomes.len(), 3);
    for o in outcomes {
        if o.host.name == "bh-stuck" {
            assert_eq!(o.result.unwrap_err().kind(), ErrorKind::Timeout);
        } else {
            let results = o.result.unwrap();
            assert_eq!(results.len(), 2);
            assert!(results.iter().all(|r| r.state == "Disconnected"));
        }
    }
}
