//! Every requested session id is accounted for exactly once, in a state that tells the
//! truth, whatever goes wrong: a failing chunk, the deadline, a cancel (issue 12).

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bastion_session::{
    DisconnectTarget, ErrorKind, HostDisconnectOutcome, OperationContext, SessionDisconnectResult,
};
use common::*;
use futures::StreamExt;
use serde_json::json;

fn is_post(r: &Req) -> bool {
    r.method == "POST"
}

/// Answers every asked id `Disconnected`.
fn disconnected(r: &Req) -> Reply {
    let ids: Vec<String> = serde_json::from_value(r.json()["sessionIds"].clone()).unwrap();
    let value: Vec<_> = ids
        .iter()
        .map(|id| json!({"sessionId": id, "state": "Disconnected", "message": "gone"}))
        .collect();
    Reply::json(200, json!({ "value": value }))
}

fn states(results: &[SessionDisconnectResult]) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for r in results {
        *m.entry(r.state.clone()).or_insert(0) += 1;
    }
    m
}

async fn one_host(
    base: &str,
    ids: Vec<String>,
    chunk: usize,
    ctx: &OperationContext,
) -> HostDisconnectOutcome {
    let mut outcomes: Vec<_> = client(base)
        .disconnect_sessions_many(
            vec![DisconnectTarget {
                host: host("bh-0"),
                session_ids: ids,
            }],
            chunk,
            1,
            ctx,
        )
        .collect()
        .await;
    assert_eq!(outcomes.len(), 1);
    outcomes.remove(0)
}

fn assert_each_once(ids: &[String], results: &[SessionDisconnectResult]) {
    assert_eq!(results.len(), ids.len());
    for (want, got) in ids.iter().zip(results) {
        assert_eq!(want, &got.session_id);
    }
}

#[tokio::test]
async fn a_failing_chunk_keeps_the_chunks_already_applied() {
    // 2,500 sessions, chunks of 1,000: the second request fails every time.
    let posts = Arc::new(AtomicUsize::new(0));
    let p = posts.clone();
    let srv = ScriptServer::start(move |r, _| {
        if !is_post(r) {
            return Reply::empty(404);
        }
        if p.fetch_add(1, Ordering::SeqCst) >= 1 {
            return Reply::json(
                409,
                json!({"error": {"code": "Conflict", "message": "the host is busy"}}),
            );
        }
        disconnected(r)
    });
    let ids: Vec<String> = (0..2500).map(|i| format!("s-{i:04}")).collect();
    let o = one_host(&srv.base, ids.clone(), 0, &OperationContext::new()).await;
    let e = o.result.as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert_each_once(&ids, &o.partial);
    let s = states(&o.partial);
    assert_eq!(s.get("Disconnected"), Some(&1000), "{s:?}");
    assert_eq!(s.get(SessionDisconnectResult::FAILED), Some(&1000), "{s:?}");
    assert_eq!(
        s.get(SessionDisconnectResult::NOT_ATTEMPTED),
        Some(&500),
        "{s:?}"
    );
    assert!(o.partial[1000].message.as_deref().unwrap().contains("busy"));
    // The third chunk was never sent.
    assert_eq!(srv.count(is_post), 2);
}

#[tokio::test]
async fn a_deadline_mid_disconnect_marks_in_flight_unknown_and_unsent_not_attempted() {
    // The first chunk is answered; the second hangs until the deadline.
    let posts = Arc::new(AtomicUsize::new(0));
    let p = posts.clone();
    let srv = ScriptServer::start(move |r, _| {
        if p.fetch_add(1, Ordering::SeqCst) >= 1 {
            return Reply::Hang;
        }
        disconnected(r)
    });
    let ids: Vec<String> = (0..30).map(|i| format!("s-{i}")).collect();
    let ctx = OperationContext::new().with_timeout(Duration::from_millis(800));
    let o = one_host(&srv.base, ids.clone(), 10, &ctx).await;
    assert_eq!(o.result.as_ref().unwrap_err().kind(), ErrorKind::Timeout);
    assert_each_once(&ids, &o.partial);
    let s = states(&o.partial);
    assert_eq!(s.get("Disconnected"), Some(&10), "{s:?}");
    assert_eq!(s.get(SessionDisconnectResult::UNKNOWN), Some(&10), "{s:?}");
    assert_eq!(
        s.get(SessionDisconnectResult::NOT_ATTEMPTED),
        Some(&10),
        "{s:?}"
    );
}

#[tokio::test]
async fn a_cancel_before_anything_is_sent_marks_every_id_not_attempted() {
    let srv = ScriptServer::start(|r, _| disconnected(r));
    let ids: Vec<String> = (0..5).map(|i| format!("s-{i}")).collect();
    let ctx = OperationContext::new();
    ctx.cancel.cancel();
    let o = one_host(&srv.base, ids.clone(), 2, &ctx).await;
    assert_eq!(o.result.as_ref().unwrap_err().kind(), ErrorKind::Cancelled);
    assert_each_once(&ids, &o.partial);
    assert!(
        o.partial
            .iter()
            .all(|r| r.state == SessionDisconnectResult::NOT_ATTEMPTED)
    );
    assert_eq!(srv.count(is_post), 0);
}

#[tokio::test]
async fn session_ids_from_arm_match_case_insensitively() {
    // ARM answers with the GUID upper-cased: the id is still Disconnected, not NotReported.
    let srv = ScriptServer::start(|r, _| {
        let ids: Vec<String> = serde_json::from_value(r.json()["sessionIds"].clone()).unwrap();
        let value: Vec<_> = ids
            .iter()
            .map(|id| json!({"sessionId": id.to_ascii_uppercase(), "state": "Disconnected"}))
            .collect();
        Reply::json(200, json!({ "value": value }))
    });
    let ids = vec![
        "1f0c2a7e-9d7b-4a55-8f3a-0d6a3c1f2b9e".to_string(),
        // The same GUID in another case is the same session: asked once.
        "1F0C2A7E-9D7B-4A55-8F3A-0D6A3C1F2B9E".to_string(),
        "abcdef00-0000-4000-8000-000000000000".to_string(),
    ];
    let out = client(&srv.base)
        .disconnect_sessions(&host("bh-0"), &ids, 0, &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].session_id, ids[0]);
    assert_eq!(out[1].session_id, ids[2]);
    assert!(out.iter().all(|r| r.state == "Disconnected"), "{out:?}");
    assert_eq!(
        srv.requests()[0].json()["sessionIds"],
        json!([ids[0], ids[2]])
    );
}
