//! Failures before any answer (issue 22): what a retry would meet again (nothing listening
//! on the port, a host name that does not exist, a failed TLS handshake) ends the request on its first attempt
//! with that cause in the message; what may pass is retried, and a deadline that ends the
//! retries names the last real cause.
//!
//! Attempts are counted by the client's own counter (a refused connection reaches no
//! listener) and, for the unresolvable name, by a DNS server of our own on 127.0.0.1: the
//! lookup runs in a private network and mount namespace whose `/etc/resolv.conf` points at
//! it, so no query leaves loopback.

mod common;

use std::time::{Duration, Instant};

use bastion_session::{
    BastionClient, DisconnectTarget, ErrorKind, OperationContext, SessionDisconnectResult,
};
use common::*;
use futures::StreamExt;

/// A loopback port where nothing listens (bound, then closed).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Options with the client's default retry policy (7 attempts, backoff up to 60 s).
fn default_policy(base: &str) -> bastion_session::ClientOptions {
    let mut o = bastion_session::ClientOptions::default();
    o.arm_endpoint = Some(base.parse().unwrap());
    o.credential = bastion_session::CredentialSpec::AccessToken("t".into());
    o
}

#[tokio::test]
async fn a_refused_connection_ends_on_the_first_attempt_naming_the_cause() {
    let port = closed_port();
    let c = BastionClient::new(default_policy(&format!("http://127.0.0.1:{port}"))).unwrap();
    let ctx = OperationContext::new().with_timeout(Duration::from_secs(120));
    let started = Instant::now();
    let e = c.get_host(&host("bh-0"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.message().contains("refused"), "{e}");
    assert!(e.message().contains(&format!("127.0.0.1:{port}")), "{e}");
    assert!(!e.message().contains("timeout"), "{e}");
    assert_eq!(ctx.stats.requests(), 1, "retried a refused connection: {e}");
    assert_eq!(ctx.stats.retries(), 0);
    // Generous: before, 7 attempts took about 55 s.
    assert!(started.elapsed() < Duration::from_secs(20));

    // A disconnect there never left the machine: its ids were not disconnected.
    let outcomes: Vec<_> = c
        .disconnect_sessions_many(
            vec![DisconnectTarget {
                host: host("bh-0"),
                session_ids: vec!["s-1".into(), "s-2".into()],
            }],
            0,
            1,
            &OperationContext::new(),
        )
        .collect()
        .await;
    let states: Vec<&str> = outcomes[0]
        .partial
        .iter()
        .map(|r| r.state.as_str())
        .collect();
    assert_eq!(states, [SessionDisconnectResult::FAILED; 2]);
}

#[tokio::test]
async fn a_tls_handshake_failure_ends_on_the_first_attempt_naming_it() {
    // A listener that answers plain HTTP where the client expects TLS, counting connections.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = std::io::Write::write_all(&mut s, b"HTTP/1.1 400 Bad Request\r\n\r\n");
        }
    });
    let c = BastionClient::new(default_policy(&format!("https://127.0.0.1:{port}"))).unwrap();
    let ctx = OperationContext::new().with_timeout(Duration::from_secs(120));
    let e = c.get_host(&host("bh-0"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.message().contains("TLS"), "{e}");
    assert!(e.message().contains(&format!("127.0.0.1:{port}")), "{e}");
    assert_eq!(ctx.stats.requests(), 1, "{e}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_deadline_during_retries_names_the_last_real_cause() {
    // 503 to every request: retried, until the 2 s deadline ends the wait.
    let srv = ScriptServer::start(|_, _| {
        Reply::json(
            503,
            serde_json::json!({"error": {"code": "ServiceUnavailable", "message": "the region is being patched"}}),
        )
    });
    let c = BastionClient::new(default_policy(&srv.base)).unwrap();
    let ctx = OperationContext::new().with_timeout(Duration::from_secs(2));
    let e = c.get_host(&host("bh-0"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.message().contains("the region is being patched"), "{e}");
    assert!(e.message().contains("last failure"), "{e}");
    assert_eq!(e.target(), Some(host_id("bh-0").as_str()));
    assert!(srv.requests().len() >= 2, "a 503 is worth a retry");
    assert!(e.may_have_reached_service());
}

/// Set in the child process that runs inside the private namespace.
#[cfg(target_os = "linux")]
const IN_NAMESPACE: &str = "BASTION_TEST_IN_DNS_NAMESPACE";
/// The name looked up: it exists nowhere (the loopback server answers NXDOMAIN to all).
#[cfg(target_os = "linux")]
const UNRESOLVABLE: &str = "arm.bastion-name-typo.example";

// Linux namespaces; the Windows lane runs the Pester suite, not these tests.
#[cfg(target_os = "linux")]
#[test]
fn a_name_that_does_not_exist_ends_on_the_first_attempt_naming_it() {
    if std::env::var_os(IN_NAMESPACE).is_some() {
        return in_namespace();
    }
    let dir = tempfile::tempdir().unwrap();
    let resolv = dir.path().join("resolv.conf");
    std::fs::write(&resolv, "nameserver 127.0.0.1\n").unwrap();
    let ready = dir.path().join("ready");
    let log = dir.path().join("queries.log");
    let server = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/pester/fixtures/nxdomain_dns.py"
    );
    // Loopback up, our resolv.conf over the real one, the NXDOMAIN server on 127.0.0.1:53,
    // then this test again as the child.
    let script = r#"set -e; ip link set lo up; mount --bind "$1" /etc/resolv.conf
python3 "$2" 127.0.0.1 53 "$3" "$4" >/dev/null 2>&1 & dns=$!; trap "kill $dns 2>/dev/null" EXIT
i=0; while [ ! -f "$3" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
"$5" --exact a_name_that_does_not_exist_ends_on_the_first_attempt_naming_it --nocapture --test-threads 1"#;
    let mut args: Vec<String> = Vec::new();
    // As root a mount and network namespace is enough; otherwise a
    // user namespace maps us to root inside.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !root {
        args.extend(["--user".into(), "--map-root-user".into()]);
    }
    args.extend(["--mount".into(), "--net".into(), "sh".into(), "-c".into()]);
    args.push(script.into());
    args.push("sh".into());
    for p in [
        resolv.as_path(),
        std::path::Path::new(server),
        ready.as_path(),
        log.as_path(),
        std::env::current_exe().unwrap().as_path(),
    ] {
        args.push(p.to_string_lossy().into_owned());
    }
    let out = std::process::Command::new("unshare")
        .args(&args)
        .env(IN_NAMESPACE, "1")
        .output()
        .expect("unshare (util-linux) runs the lookup in a private network namespace");
    let printed = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the child failed:\n{printed}");
    assert!(
        printed.contains("CHILD_OK"),
        "the child did not run:\n{printed}"
    );
    // The name really went to our server, for one attempt: the resolver asks for A and
    // AAAA and may repeat a query once, where 7 attempts made 14 or more lookups.
    let queries = std::fs::read_to_string(&log).unwrap_or_default();
    let lookups = queries.lines().filter(|l| *l == UNRESOLVABLE).count();
    assert!(
        lookups >= 1,
        "no lookup reached the loopback server:\n{printed}"
    );
    assert!(lookups <= 4, "{lookups} lookups: the name was retried");
}

/// The child's half, inside the namespace: one call to the unresolvable endpoint.
#[cfg(target_os = "linux")]
fn in_namespace() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = BastionClient::new(default_policy(&format!("https://{UNRESOLVABLE}"))).unwrap();
        let ctx = OperationContext::new().with_timeout(Duration::from_secs(120));
        let e = c.get_host(&host("bh-0"), &ctx).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
        assert!(e.message().contains(UNRESOLVABLE), "{e}");
        assert!(e.message().contains("could not be resolved"), "{e}");
        assert_eq!(ctx.stats.requests(), 1, "{e}");
        assert!(!e.may_have_reached_service());
        println!("CHILD_OK {e}");
    });
}
