//! The ARM protocol corner cases, each against a scripted server on 127.0.0.1 that
//! answers exactly as the case needs: LRO shapes, paging shapes, retries, dropped
//! connections, token refresh, error mapping, disconnect accounting and cancellation.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bastion_session::{
    BastionClient, ClientOptions, CredentialSpec, ErrorKind, OperationContext, ProgressEvent,
    SessionDisconnectResult,
};
use common::*;
use serde_json::json;

fn is_post(r: &Req) -> bool {
    r.method == "POST"
}

#[tokio::test]
async fn several_pages_are_all_read() {
    let srv = ScriptServer::start(|r, base| {
        if r.path().ends_with("/getActiveSessions") {
            return Reply::json(
                200,
                json!({"value":[session("a"), session("b")], "nextLink": format!("{base}/page2?x=1")}),
            );
        }
        match r.path() {
            "/page2" => Reply::json(
                200,
                json!({"value":[session("c")], "nextLink": format!("{base}/page3")}),
            ),
            "/page3" => Reply::json(200, json!({"value":[session("d")], "nextLink": null})),
            _ => Reply::empty(404),
        }
    });
    let s = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap();
    let ids: Vec<_> = s.iter().map(|s| s.session_id.clone().unwrap()).collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(srv.requests().len(), 3);
    // The request carried the token, the api-version, a client request id and no body.
    let first = &srv.requests()[0];
    assert_eq!(first.header("authorization"), Some("Bearer test-token"));
    assert!(
        first.target.contains("api-version=2025-07-01"),
        "{}",
        first.target
    );
    assert!(first.header("x-ms-client-request-id").is_some());
    assert_eq!(first.header("content-length"), Some("0"));
    assert_eq!(
        first.path(),
        format!("{}/getActiveSessions", host_id("bh-0"))
    );
}

#[tokio::test]
async fn zero_sessions_in_every_shape() {
    for body in [
        "",
        "[]",
        r#"{"value":[]}"#,
        r#"{"value":null,"nextLink":""}"#,
    ] {
        let b = body.to_string();
        let srv = ScriptServer::start(move |_, _| Reply::Http {
            status: 200,
            headers: vec![],
            body: b.clone(),
        });
        let s = client(&srv.base)
            .list_sessions(&host("bh-0"), &OperationContext::new())
            .await
            .unwrap();
        assert!(s.is_empty(), "{body}");
    }
    let srv = ScriptServer::start(|_, _| Reply::empty(204));
    assert!(
        client(&srv.base)
            .list_sessions(&host("bh-0"), &OperationContext::new())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn many_location_polls_then_bare_array() {
    let polls = Arc::new(AtomicU32::new(0));
    let p = polls.clone();
    let srv = ScriptServer::start(move |r, base| {
        if is_post(r) {
            return Reply::empty(202)
                .header("Location", format!("{base}/op/1"))
                .header("Retry-After", "0");
        }
        let n = p.fetch_add(1, Ordering::SeqCst);
        if n < 5 {
            // A re-sent Location must be followed.
            Reply::empty(202)
                .header("Location", format!("{base}/op/{}", n + 2))
                .header("Retry-After", "0")
        } else {
            Reply::json(200, json!([session("x"), session("y")]))
        }
    });
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let ev = events.clone();
    let ctx = OperationContext::new()
        .with_progress(Arc::new(move |e: ProgressEvent| ev.lock().unwrap().push(e)));
    let s = client(&srv.base)
        .list_sessions(&host("bh-0"), &ctx)
        .await
        .unwrap();
    assert_eq!(s.len(), 2);
    let paths: Vec<_> = srv
        .requests()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    assert_eq!(
        &paths[1..],
        ["/op/1", "/op/2", "/op/3", "/op/4", "/op/5", "/op/6"]
    );
    let polling = events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| matches!(e, ProgressEvent::Polling { .. }))
        .count();
    assert_eq!(polling, 6);
}

#[tokio::test]
async fn accepted_without_any_polling_header_reposts() {
    // Two 202s without Location or Azure-AsyncOperation, then the third POST succeeds.
    let n = Arc::new(AtomicU32::new(0));
    let n2 = n.clone();
    let srv = ScriptServer::start(move |r, _| {
        assert!(is_post(r));
        if n2.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::empty(202).header("Retry-After", "0")
        } else {
            Reply::json(200, json!({"value":[session("s1")]}))
        }
    });
    let s = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(srv.count(is_post), 3);
}

#[tokio::test]
async fn azure_async_operation_then_location() {
    let n = Arc::new(AtomicU32::new(0));
    let n2 = n.clone();
    let srv = ScriptServer::start(move |r, base| {
        if is_post(r) {
            return Reply::empty(202)
                .header("Azure-AsyncOperation", format!("{base}/status/1"))
                .header("Location", format!("{base}/result/1"))
                .header("Retry-After", "0");
        }
        match r.path() {
            "/status/1" if n2.fetch_add(1, Ordering::SeqCst) < 2 => {
                Reply::json(200, json!({"status":"InProgress"}))
            }
            "/status/1" => Reply::json(200, json!({"status":"Succeeded"})),
            "/result/1" => Reply::json(200, json!({"value":[session("r1"), session("r2")]})),
            _ => Reply::empty(404),
        }
    });
    let s = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(srv.count(|r| r.path() == "/status/1"), 3);
    assert_eq!(srv.count(|r| r.path() == "/result/1"), 1);
}

#[tokio::test]
async fn failed_async_operation_is_an_error_with_its_code() {
    let srv = ScriptServer::start(|r, base| {
        if is_post(r) {
            return Reply::empty(202)
                .header("Azure-AsyncOperation", format!("{base}/status"))
                .header("Retry-After", "0");
        }
        Reply::json(
            200,
            json!({"status":"Failed","error":{"code":"BastionBusy","message":"try later"}}),
        )
    });
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Server);
    assert_eq!(e.arm_code(), Some("BastionBusy"));
    assert!(e.message().contains("try later"), "{e}");
}

#[tokio::test]
async fn stray_lro_headers_on_a_200_are_ignored() {
    let srv = ScriptServer::start(|_, base| {
        Reply::json(200, json!({"value":[session("a")]}))
            .header("Location", format!("{base}/nowhere"))
            .header("Azure-AsyncOperation", format!("{base}/nowhere"))
    });
    let s = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(srv.requests().len(), 1);
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried() {
    let n = Arc::new(AtomicU32::new(0));
    let n2 = n.clone();
    let srv = ScriptServer::start(move |_, _| match n2.fetch_add(1, Ordering::SeqCst) {
        0 | 1 => Reply::json(
            429,
            json!({"error":{"code":"TooManyRequests","message":"slow down"}}),
        )
        .header("Retry-After", "0"),
        2 => Reply::empty(503).header("retry-after-ms", "10"),
        3 => Reply::empty(500),
        _ => Reply::json(200, json!({"value":[session("a")]})),
    });
    let ctx = OperationContext::new();
    let s = client(&srv.base)
        .list_sessions(&host("bh-0"), &ctx)
        .await
        .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(srv.requests().len(), 5);
    assert_eq!(ctx.stats.retries(), 4);
    assert_eq!(ctx.stats.requests(), 5);
    // The same client request id on every attempt.
    let ids: std::collections::HashSet<_> = srv
        .requests()
        .iter()
        .map(|r| r.header("x-ms-client-request-id").unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 1);
}

#[tokio::test]
async fn throttling_past_the_deadline_is_throttled_without_a_tight_loop() {
    // A 429 is ARM saying "not yet": it does not use up max_retries (a fan-out must not
    // lose hosts to throttling), only the request's total deadline bounds it; and a
    // `Retry-After: 0` falls back to the growing backoff instead of hammering ARM.
    let srv = ScriptServer::start(|_, _| {
        Reply::json(
            429,
            json!({"error":{"code":"TooManyRequests","message":"no"}}),
        )
        .header("Retry-After", "0")
        .header("x-ms-request-id", "rid-429")
    });
    let mut o = fast_options(&srv.base, "t");
    o.retry.max_retries = 2;
    o.retry.total_deadline = Duration::from_millis(400);
    let e = BastionClient::new(o)
        .unwrap()
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert_eq!(e.http_status(), Some(429));
    assert_eq!(e.request_id(), Some("rid-429"));
    let sent = srv.requests().len();
    assert!(
        sent > 3,
        "429s must not stop at max_retries: {sent} requests"
    );
    assert!(
        sent < 12,
        "Retry-After 0 must back off, not loop: {sent} requests"
    );
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    let srv = ScriptServer::start(|_, _| {
        Reply::json(400, json!({"error":{"code":"BadRequest","message":"bad"}}))
    });
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    assert_eq!(srv.requests().len(), 1);
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let n = Arc::new(AtomicU32::new(0));
    let n2 = n.clone();
    let srv = ScriptServer::start(move |_, _| {
        if n2.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::Drop
        } else {
            Reply::json(200, json!({"value":[session("a")]}))
        }
    });
    let ctx = OperationContext::new();
    let s = client(&srv.base)
        .list_sessions(&host("bh-0"), &ctx)
        .await
        .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(ctx.stats.retries(), 1);
}

#[tokio::test]
async fn connection_failures_past_the_budget_are_transport_errors() {
    // Every connection is dropped without an answer: worth a retry (a refused connection
    // is not, see tests/connection_failures.rs), until the budget is spent.
    let srv = ScriptServer::start(|_, _| Reply::Drop);
    let mut o = fast_options(&srv.base, "t");
    o.retry.max_retries = 1;
    let e = BastionClient::new(o)
        .unwrap()
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
    assert!(e.message().contains("2 attempts"), "{e}");
    assert_eq!(srv.requests().len(), 2);
}

#[tokio::test]
async fn a_repeating_next_link_is_detected() {
    let srv = ScriptServer::start(|r, base| {
        if is_post(r) {
            return Reply::json(
                200,
                json!({"value":[session("a")], "nextLink": format!("{base}/p2")}),
            );
        }
        // p2 -> p3 -> p2 ...
        let next = if r.path() == "/p2" { "/p3" } else { "/p2" };
        Reply::json(
            200,
            json!({"value":[session("b")], "nextLink": format!("{base}{next}")}),
        )
    });
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.message().contains("nextLink loop detected"), "{e}");
    assert!(srv.requests().len() <= 4);
}

#[tokio::test]
async fn page_count_is_capped() {
    let srv = ScriptServer::start(|r, base| {
        let n: u32 = r
            .target
            .rsplit('=')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Reply::json(
            200,
            json!({"value":[], "nextLink": format!("{base}/p?n={}", n + 1)}),
        )
    });
    let mut o = fast_options(&srv.base, "t");
    o.max_pages = 5;
    let e = BastionClient::new(o)
        .unwrap()
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.message().contains("more than 5 pages"), "{e}");
}

#[tokio::test]
async fn a_bad_session_field_fails_that_host_naming_the_field() {
    let srv = ScriptServer::start(|_, _| {
        Reply::json(
            200,
            json!([session("a"), {"sessionId":"b","sessionDurationInMins":{"x":1}}]),
        )
    });
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(
        e.message().contains("sessionDurationInMins") && e.message().contains("item 2"),
        "{e}"
    );
    assert_eq!(e.target(), Some(host_id("bh-0").as_str()));
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once_and_the_request_retried() {
    let srv = ScriptServer::start(|r, _| {
        if r.header("authorization") == Some("Bearer fresh") {
            Reply::json(200, json!({"value":[session("a")]}))
        } else {
            Reply::json(
                401,
                json!({"error":{"code":"ExpiredAuthenticationToken","message":"expired"}}),
            )
        }
    });
    let tokens = CountingTokens::new(&["stale", "fresh"]);
    let mut o = fast_options(&srv.base, "unused");
    o.credential = CredentialSpec::Custom(tokens.clone());
    let c = BastionClient::new(o).unwrap();
    let s = c
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(tokens.calls(), 2);
    // The fresh token is cached now.
    c.list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(tokens.calls(), 2);
    assert_eq!(srv.requests().len(), 3);
}

#[tokio::test]
async fn a_401_after_refresh_is_an_auth_error_and_no_loop() {
    let srv = ScriptServer::start(|_, _| {
        Reply::json(
            401,
            json!({"error":{"code":"InvalidAuthenticationToken","message":"bad"}}),
        )
    });
    let tokens = CountingTokens::new(&["a", "b", "c"]);
    let mut o = fast_options(&srv.base, "unused");
    o.credential = CredentialSpec::Custom(tokens.clone());
    let e = BastionClient::new(o)
        .unwrap()
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(e.arm_code(), Some("InvalidAuthenticationToken"));
    assert_eq!(tokens.calls(), 2);
    assert_eq!(srv.requests().len(), 2);
    assert!(!e.message().contains("Bearer"));
    // A static access token is never "refreshed": one request only.
    let srv = ScriptServer::start(|_, _| Reply::empty(401));
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(srv.requests().len(), 1);
    assert!(!e.message().contains("test-token"));
}

#[tokio::test]
async fn not_found_and_forbidden_map_with_code_status_and_request_id() {
    let srv = ScriptServer::start(|r, _| {
        if r.path().contains("bh-missing") {
            Reply::json(404, json!({"error":{"code":"ResourceNotFound","message":"The Resource was not found."}}))
                .header("x-ms-request-id", "rid-404")
        } else {
            Reply::json(
                403,
                json!({"error":{"code":"AuthorizationFailed","message":"no access"}}),
            )
            .header("x-ms-request-id", "rid-403")
        }
    });
    let c = client(&srv.base);
    let e = c
        .list_sessions(&host("bh-missing"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(
        (e.arm_code(), e.http_status(), e.request_id()),
        (Some("ResourceNotFound"), Some(404), Some("rid-404"))
    );
    assert!(e.message().contains("'bh-missing'"), "{e}");
    let e = c
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    assert_eq!(e.request_id(), Some("rid-403"));
    assert!(
        e.message()
            .contains("Microsoft.Network/bastionHosts/getactivesessions/action"),
        "{e}"
    );
    let e = c
        .disconnect_sessions(&host("bh-0"), &["a".into()], 0, &OperationContext::new())
        .await
        .unwrap_err();
    assert!(
        e.message().contains("disconnectactivesessions/action"),
        "{e}"
    );
}

#[tokio::test]
async fn error_without_code_or_body_still_says_status_and_request_id() {
    let srv = ScriptServer::start(|_, _| {
        Reply::json(
            409,
            json!({"error":{"message":"Operation x not found.","details":[]}}),
        )
        .header("x-ms-request-id", "rid-409")
    });
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(e.arm_code(), None);
    assert!(
        e.message().contains("HTTP 409")
            && e.message().contains("rid-409")
            && e.message().contains("Operation x not found"),
        "{e}"
    );
    let srv = ScriptServer::start(|_, _| Reply::empty(418));
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http);
    assert!(e.message().contains("HTTP 418"), "{e}");
}

#[tokio::test]
async fn disconnect_accounts_for_every_id_across_chunks_and_pages() {
    let srv = ScriptServer::start(|r, base| {
        if r.path() == "/more" {
            return Reply::json(
                200,
                json!({"value":[{"sessionId":"s2","state":"Disconnected","message":"ok"}]}),
            );
        }
        let ids: Vec<String> = serde_json::from_value(r.json()["sessionIds"].clone()).unwrap();
        // Answer for known ids (s1..s4), NotFound for "gone", nothing for "silent";
        // s2's answer comes on a second page.
        let mut value = Vec::new();
        for id in &ids {
            match id.as_str() {
                "gone" => value.push(json!({"sessionId": id, "state": "NotFound", "message": "no such session"})),
                "silent" | "s2" => {}
                _ => value.push(json!({"sessionId": id, "state": "Disconnected", "message": format!("session {id} invalidated!")})),
            }
        }
        value.push(json!({"sessionId":"unasked","state":"Disconnected"}));
        let next = if ids.contains(&"s2".to_string()) {
            json!(format!("{base}/more"))
        } else {
            json!(null)
        };
        Reply::json(200, json!({"value": value, "nextLink": next}))
    });
    let ids: Vec<String> = ["s1", "s2", "s1", "gone", "s3", "silent", "s4", "s2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let ctx = OperationContext::new();
    let out = client(&srv.base)
        .disconnect_sessions(&host("bh-0"), &ids, 2, &ctx)
        .await
        .unwrap();
    let got: Vec<(String, String)> = out
        .iter()
        .map(|r| (r.session_id.clone(), r.state.clone()))
        .collect();
    let want: Vec<(String, String)> = [
        ("s1", "Disconnected"),
        ("s2", "Disconnected"),
        ("gone", "NotFound"),
        ("s3", "Disconnected"),
        ("silent", SessionDisconnectResult::NOT_REPORTED),
        ("s4", "Disconnected"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
    // 6 distinct ids in chunks of 2: 3 POSTs, plus one page GET.
    assert_eq!(srv.count(is_post), 3);
    assert_eq!(srv.count(|r| r.method == "GET"), 1);
    let bodies: Vec<_> = srv
        .requests()
        .iter()
        .filter(|r| is_post(r))
        .map(|r| r.json()["sessionIds"].clone())
        .collect();
    assert_eq!(
        bodies,
        [
            json!(["s1", "s2"]),
            json!(["gone", "s3"]),
            json!(["silent", "s4"])
        ]
    );
    // No ids: no request.
    let out = client(&srv.base)
        .disconnect_sessions(&host("bh-0"), &[], 0, &ctx)
        .await
        .unwrap();
    assert!(out.is_empty());
    assert_eq!(srv.count(is_post), 3);
}

#[tokio::test]
async fn cancellation_during_polling_returns_promptly() {
    let srv = ScriptServer::start(|_, base| {
        Reply::empty(202)
            .header("Location", format!("{base}/op"))
            .header("Retry-After", "30")
    });
    let mut o = fast_options(&srv.base, "t");
    o.poll.max_interval = Duration::from_secs(60);
    let c = BastionClient::new(o).unwrap();
    let ctx = OperationContext::new();
    let cancel = ctx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let e = c.list_sessions(&host("bh-0"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert!(
        started.elapsed() < Duration::from_millis(1300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn cancellation_during_a_hanging_request_returns_promptly() {
    let srv = ScriptServer::start(|_, _| Reply::Hang);
    let c = client(&srv.base);
    let ctx = OperationContext::new();
    let cancel = ctx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let e = c.list_sessions(&host("bh-0"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn deadline_and_lro_timeout_give_timeout() {
    let srv = ScriptServer::start(|_, base| {
        Reply::empty(202)
            .header("Location", format!("{base}/op"))
            .header("Retry-After", "0")
    });
    let c = client(&srv.base);
    let ctx = OperationContext::new().with_timeout(Duration::from_millis(300));
    let e = c.list_sessions(&host("bh-0"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    let mut o = fast_options(&srv.base, "t");
    o.poll.lro_timeout = Duration::from_millis(200);
    let e = BastionClient::new(o)
        .unwrap()
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert!(e.message().contains("LRO timeout"), "{e}");
}

#[tokio::test]
async fn plain_http_to_a_non_loopback_host_is_refused_before_connecting() {
    let mut o = ClientOptions::default();
    o.arm_endpoint = Some("http://203.0.113.1:80/".parse().unwrap());
    o.credential = CredentialSpec::AccessToken("t".into());
    let started = Instant::now();
    let e = BastionClient::new(o).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InsecureEndpoint);
    assert!(started.elapsed() < Duration::from_millis(100));
    // A loopback endpoint is fine, and so is https anywhere (no connection is made here).
    let mut o = ClientOptions::default();
    o.arm_endpoint = Some("https://203.0.113.1/".parse().unwrap());
    o.credential = CredentialSpec::AccessToken("t".into());
    assert!(BastionClient::new(o).is_ok());
}

#[tokio::test]
async fn links_to_another_host_are_not_followed_with_the_token() {
    let srv = ScriptServer::start(|_, _| {
        Reply::json(
            200,
            json!({"value":[], "nextLink":"https://evil.example/steal"}),
        )
    });
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert_eq!(srv.requests().len(), 1);
    let srv =
        ScriptServer::start(|_, _| Reply::empty(202).header("Location", "http://203.0.113.1/op"));
    let e = client(&srv.base)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InsecureEndpoint);
}

#[tokio::test]
async fn host_discovery_reads_every_page_per_subscription_and_group() {
    const S1: &str = "00000000-0000-0000-0000-0000000000a1";
    const S2: &str = "00000000-0000-0000-0000-0000000000a2";
    const NOPE: &str = "00000000-0000-0000-0000-0000000000ff";
    let srv = ScriptServer::start(|r, base| {
        let h = |sub: &str, rg: &str, name: &str| {
            json!({"id": format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/bastionHosts/{name}"),
                   "name": name, "location": "westeurope", "sku": {"name": "Standard"}})
        };
        match r.path() {
            "/subscriptions/00000000-0000-0000-0000-0000000000a1/providers/Microsoft.Network/bastionHosts" => {
                Reply::json(
                    200,
                    json!({"value":[h(S1,"rg-a","b1")], "nextLink": format!("{base}/s1p2")}),
                )
            }
            "/s1p2" => Reply::json(200, json!({"value":[h(S1,"rg-b","b2")]})),
            "/subscriptions/00000000-0000-0000-0000-0000000000a2/providers/Microsoft.Network/bastionHosts" => {
                Reply::json(200, json!({"value":[h(S2,"rg-c","b3")]}))
            }
            "/subscriptions/00000000-0000-0000-0000-0000000000a1/resourceGroups/rg-a/providers/Microsoft.Network/bastionHosts" => {
                Reply::json(200, json!({"value":[h(S1,"rg-a","b1")]}))
            }
            _ => Reply::json(
                404,
                json!({"error":{"code":"SubscriptionNotFound","message":"nope"}}),
            ),
        }
    });
    let c = client(&srv.base);
    let ctx = OperationContext::new();
    let scope = bastion_session::HostScope {
        subscription_ids: vec![S1.into(), S2.into(), S1.into()],
        resource_group_name: None,
    };
    let hosts = c.list_hosts(&scope, &ctx).await.unwrap();
    let names: Vec<_> = hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["b1", "b2", "b3"]);
    assert_eq!(hosts[1].resource_group_name, "rg-b");
    assert_eq!(hosts[0].sku.as_deref(), Some("Standard"));
    let scope = bastion_session::HostScope {
        subscription_ids: vec![S1.into()],
        resource_group_name: Some("rg-a".into()),
    };
    assert_eq!(c.list_hosts(&scope, &ctx).await.unwrap().len(), 1);
    let scope = bastion_session::HostScope {
        subscription_ids: vec![NOPE.into()],
        resource_group_name: None,
    };
    let e = c.list_hosts(&scope, &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.arm_code(), Some("SubscriptionNotFound"));
    let e = c
        .list_hosts(&bastion_session::HostScope::default(), &ctx)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
}

#[tokio::test]
async fn a_low_rate_limit_budget_slows_requests_down() {
    let srv = ScriptServer::start(|_, _| {
        Reply::json(200, json!([])).header("x-ms-ratelimit-remaining-subscription-writes", "0")
    });
    let mut o = fast_options(&srv.base, "t");
    o.retry.base_delay = Duration::from_millis(400);
    let c = BastionClient::new(o).unwrap();
    let started = Instant::now();
    c.list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    // Plenty of budget: no pause.
    let srv = ScriptServer::start(|_, _| {
        Reply::json(200, json!([])).header("x-ms-ratelimit-remaining-subscription-writes", "199")
    });
    let mut o = fast_options(&srv.base, "t");
    o.retry.base_delay = Duration::from_millis(400);
    let started = Instant::now();
    BastionClient::new(o)
        .unwrap()
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn an_explicit_proxy_carries_the_requests() {
    // The scripted server plays the proxy: an HTTPS endpoint is reached through a CONNECT
    // tunnel to it (the proxy drops it, so nothing leaves the machine). Loopback endpoints
    // never go through a proxy (tests/client_limits.rs).
    let proxy = ScriptServer::start(|_, _| Reply::Drop);
    let mut o = fast_options("https://arm.example/", "t");
    o.proxy = Some(proxy.base.clone());
    o.retry.max_retries = 0;
    let e = BastionClient::new(o)
        .unwrap()
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    let reqs = proxy.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "CONNECT");
    assert_eq!(reqs[0].target, "arm.example:443");
    let mut o = fast_options("http://localhost:9/", "t");
    o.proxy = Some("::not a url::".into());
    assert_eq!(
        BastionClient::new(o).unwrap_err().kind(),
        ErrorKind::InvalidRequest
    );
}
