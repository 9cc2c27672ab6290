//! Secrets stay secret in the core: a distinctive bearer token and client secret never
//! appear in the trace-level log of this crate and of every dependency (reqwest, hyper,
//! rustls, azure_core, azure_identity), in any error, in any progress event, or in the
//! `Debug` text that a panic (`unwrap`, `expect`, `{:?}`) would print.
//!
//! Also: plain HTTP to a host that is not loopback is refused before any connection is
//! attempted. The proof does not depend on the refusal working: every request is sent
//! through a proxy on 127.0.0.1 that only counts connections, so even a broken check could
//! not send a packet to the documentation address used (203.0.113.1).
//!
//! One process-wide subscriber (TRACE, everything) writes into a buffer; the tests run
//! one at a time so each reads only its own lines.

mod common;

use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bastion_session::{
    BastionClient, ClientOptions, CredentialSpec, DisconnectTarget, ErrorKind, OperationContext,
    ProgressEvent, ProgressSink, SecretString,
};
use common::{Reply, ScriptServer, host, session};
use futures::StreamExt;
use serde_json::json;
use serial_test::serial;

const TOKEN: &str = "eyJTOKEN-canary-7d1c5e2a9b3f4d6e8a0c";
const CLIENT_SECRET: &str = "CS~canary~secret~4f8e2b7a1d9c3e5f";

/// Everything every subscriber line wrote since the last [`take_log`].
fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || BufWriter(writer.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        buf
    })
}

struct BufWriter(Arc<Mutex<Vec<u8>>>);

impl Write for BufWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn take_log() -> String {
    String::from_utf8_lossy(&std::mem::take(&mut *log_buffer().lock().unwrap())).into_owned()
}

/// Collects progress events as their `Debug` text.
#[derive(Default)]
struct Events(Mutex<Vec<String>>);

impl ProgressSink for Events {
    fn emit(&self, event: ProgressEvent) {
        self.0.lock().unwrap().push(format!("{event:?}"));
    }
}

fn assert_clean(what: &str, text: &str) {
    for secret in [TOKEN, CLIENT_SECRET] {
        assert!(
            !text.contains(secret),
            "{what} contains a secret ({secret}):\n{text}"
        );
        // Also no recognisable prefix of it (a truncated echo is still a leak).
        assert!(
            !text.contains(&secret[..16]),
            "{what} contains the start of a secret:\n{text}"
        );
    }
}

fn options(base: &str, credential: CredentialSpec) -> ClientOptions {
    let mut o = ClientOptions::default();
    o.arm_endpoint = Some(base.parse().unwrap());
    o.credential = credential;
    o.retry.base_delay = Duration::from_millis(10);
    o.retry.max_delay = Duration::from_millis(50);
    o.retry.min_delay = Duration::from_millis(10);
    o.poll.min_interval = Duration::from_millis(10);
    o.poll.default_interval = Duration::from_millis(10);
    o
}

/// An ARM stand-in that exercises every path that handles the token: an LRO, pages,
/// a throttle, a 5xx, a dropped connection, a 401, a 403, and a disconnect.
fn arm_server() -> ScriptServer {
    let calls = Arc::new(AtomicUsize::new(0));
    ScriptServer::start(move |r, base| {
        let n = calls.fetch_add(1, Ordering::SeqCst);
        let path = r.path().to_string();
        if path.contains("/bastionHosts/bh-403/") {
            return Reply::json(
                403,
                json!({"error":{"code":"AuthorizationFailed","message":"no"}}),
            );
        }
        if path.contains("/bastionHosts/bh-401/") {
            return Reply::json(
                401,
                json!({"error":{"code":"InvalidAuthenticationToken","message":"The access token is invalid."}}),
            )
            .header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        }
        if path.ends_with("/disconnectActiveSessions") {
            let ids = r.json()["sessionIds"].clone();
            let value: Vec<_> = ids
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|id| json!({"sessionId": id, "state": "Disconnected", "message": "gone"}))
                .collect();
            return Reply::json(200, json!({ "value": value }));
        }
        match n % 5 {
            0 => Reply::json(
                429,
                json!({"error":{"code":"TooManyRequests","message":"x"}}),
            )
            .header("Retry-After", "0"),
            1 => Reply::Drop,
            2 => Reply::json(503, json!({"error":{"code":"ServerBusy","message":"x"}})),
            _ if path.ends_with("/getActiveSessions") => Reply::empty(202)
                .header("Location", format!("{base}/operationResults/op-1"))
                .header("Retry-After", "0"),
            _ if path.ends_with("/op-1") => Reply::json(
                200,
                json!({"value":[session("s-1")], "nextLink": format!("{base}/page2")}),
            ),
            _ => Reply::json(200, json!({"value":[session("s-2")]})),
        }
    })
}

async fn exercise(client: &BastionClient, events: Arc<Events>) -> Vec<String> {
    let ctx = OperationContext::new()
        .with_timeout(Duration::from_secs(20))
        .with_progress(events);
    let mut errors = Vec::new();
    let hosts = vec![host("bh-0"), host("bh-401"), host("bh-403")];
    let mut stream = client.list_sessions_many(hosts, 2, &ctx);
    while let Some(o) = stream.next().await {
        match o.result {
            Ok(s) => errors.push(format!("{s:?}")),
            Err(e) => errors.push(format!(
                "{e} | {e:?} | {}",
                serde_json::to_string(&e).unwrap()
            )),
        }
    }
    let targets = vec![DisconnectTarget {
        host: host("bh-0"),
        session_ids: vec!["s-1".into(), "s-2".into()],
    }];
    let outcomes: Vec<_> = client
        .disconnect_sessions_many(targets, 0, 2, &ctx)
        .collect()
        .await;
    errors.push(format!("{outcomes:?}"));
    errors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn a_bearer_token_never_reaches_logs_errors_or_events() {
    log_buffer();
    let srv = arm_server();
    let client = BastionClient::new(options(
        &srv.base,
        CredentialSpec::AccessToken(SecretString::new(TOKEN)),
    ))
    .unwrap();
    let events = Arc::new(Events::default());
    take_log();
    let outputs = exercise(&client, events.clone()).await;
    let log = take_log();

    // The token was really used, so its absence from the log means something.
    assert!(
        srv.requests()
            .iter()
            .any(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}"))),
        "the token was never sent"
    );
    assert!(log.contains("TRACE"), "no trace-level lines were captured");
    assert_clean("the trace log", &log);
    assert_clean("errors and results", &outputs.join("\n"));
    assert_clean("progress events", &events.0.lock().unwrap().join("\n"));
    assert_clean("the client's Debug", &format!("{client:?}"));
    assert_clean("the options' Debug", &format!("{:?}", client.options()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[serial]
async fn a_client_secret_never_reaches_logs_or_errors() {
    log_buffer();
    let arm = arm_server();
    // An authority on plain HTTP is refused; one on HTTPS whose TLS fails (a listener that
    // closes every connection) gives an auth error. Neither error nor log may carry the
    // secret, and ARM is never called without a token.
    let (trap_url, trap_hits) = trap();
    for authority in [trap_url.clone(), trap_url.replace("http://", "https://")] {
        let credential = CredentialSpec::ClientSecret {
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            secret: SecretString::new(CLIENT_SECRET),
            authority_host: Some(authority.parse().unwrap()),
        };
        let mut o = options(&arm.base, credential);
        o.retry.max_retries = 1;
        take_log();
        // azure_identity retries a failing token endpoint for up to a minute on its own;
        // the deadline cuts that short (a timeout is as good as an auth error here).
        let ctx = OperationContext::new().with_timeout(Duration::from_secs(3));
        let e = match BastionClient::new(o) {
            Err(e) => e,
            Ok(client) => {
                assert_clean("the client's Debug", &format!("{client:?}"));
                client.list_sessions(&host("bh-0"), &ctx).await.unwrap_err()
            }
        };
        let log = take_log();
        assert!(
            matches!(e.kind(), ErrorKind::Auth | ErrorKind::Timeout),
            "{authority}: {e}"
        );
        assert_clean("the error", &format!("{e} | {e:?}"));
        assert_clean("the trace log", &log);
    }
    assert!(
        trap_hits.load(Ordering::SeqCst) >= 1,
        "the HTTPS authority was never tried"
    );
    assert_eq!(arm.requests().len(), 0, "ARM was called without a token");
}

#[test]
#[serial]
fn debug_text_that_a_panic_would_print_has_no_secret() {
    let specs = [
        CredentialSpec::AccessToken(SecretString::new(TOKEN)),
        CredentialSpec::ClientSecret {
            tenant_id: "t".into(),
            client_id: "c".into(),
            secret: SecretString::new(CLIENT_SECRET),
            authority_host: None,
        },
        CredentialSpec::ClientCertificate {
            tenant_id: "t".into(),
            client_id: "c".into(),
            certificate_path: "/nonexistent/cert.pfx".into(),
            password: Some(SecretString::new(CLIENT_SECRET)),
        },
    ];
    for spec in specs {
        let mut o = ClientOptions::default();
        o.arm_endpoint = Some("http://127.0.0.1:9".parse().unwrap());
        o.credential = spec;
        assert_clean("ClientOptions Debug", &format!("{o:?} {o:#?}"));
        match BastionClient::new(o.clone()) {
            Ok(client) => assert_clean("BastionClient Debug", &format!("{client:?} {client:#?}")),
            Err(e) => assert_clean("the error of an unusable credential", &format!("{e:?}")),
        }
        // What a caller's `expect` would print, captured from a real panic (quietly).
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let message = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let r: Result<(), ClientOptions> = std::hint::black_box(Err(o));
            r.expect("boom");
        }))
        .unwrap_err();
        std::panic::set_hook(previous);
        let text = message
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(text.contains("boom"), "{text}");
        assert_clean("a panic message", &text);
    }
}

/// A local "proxy" that counts connections and closes them: where every request of the
/// insecure-endpoint test would go if it were sent at all.
fn trap() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let hits2 = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            hits2.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (url, hits)
}

#[tokio::test]
#[serial]
async fn plain_http_to_a_non_loopback_host_is_refused_before_any_connection() {
    let (proxy, hits) = trap();
    for endpoint in [
        "http://203.0.113.1/",
        "http://203.0.113.1:8080/",
        "http://management.azure.com/",
        "http://127.0.0.1.nip.io/",
        "http://[2001:db8::1]/",
        "http://0x7f000001.example/",
    ] {
        let mut o = ClientOptions::default();
        o.arm_endpoint = Some(endpoint.parse().unwrap());
        o.credential = CredentialSpec::AccessToken(SecretString::new(TOKEN));
        o.proxy = Some(proxy.clone());
        let started = Instant::now();
        let e = match BastionClient::new(o) {
            Err(e) => e,
            Ok(client) => client
                .list_sessions(&host("bh-0"), &OperationContext::new())
                .await
                .unwrap_err(),
        };
        assert_eq!(e.kind(), ErrorKind::InsecureEndpoint, "{endpoint}: {e}");
        assert!(
            started.elapsed() < Duration::from_millis(200),
            "{endpoint}: not refused at once ({:?})",
            started.elapsed()
        );
        assert!(e.message().contains("HTTP") || e.message().contains("http"));
        assert_clean("the error", &format!("{e:?}"));
    }
    // Give a stray connection a moment to show up, then check there was none.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(hits.load(Ordering::SeqCst), 0, "a connection was attempted");
}

#[tokio::test]
#[serial]
async fn an_lro_location_on_plain_http_elsewhere_is_refused_without_a_connection() {
    let (proxy, hits) = trap();
    let srv = ScriptServer::start(|_, _| {
        Reply::empty(202)
            .header("Location", "http://203.0.113.1/operationResults/op-1")
            .header("Retry-After", "0")
    });
    // The loopback ARM stand-in is reached directly; anything else would go to the trap.
    // SAFETY: the tests of this file run one at a time (serial) and read no other variable.
    unsafe { std::env::set_var("NO_PROXY", "127.0.0.1") };
    let mut o = options(&srv.base, CredentialSpec::AccessToken(TOKEN.into()));
    o.proxy = Some(proxy);
    let e = BastionClient::new(o)
        .unwrap()
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    unsafe { std::env::remove_var("NO_PROXY") };
    assert_eq!(e.kind(), ErrorKind::InsecureEndpoint, "{e}");
    assert_eq!(
        srv.requests().len(),
        1,
        "the first request did not reach ARM directly"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0, "a connection was attempted");
    assert_clean("the error", &format!("{e:?}"));
}
