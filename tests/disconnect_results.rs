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

/// The emulator with `hosts` hosts of `sessions` sessions each, in one resource group.
fn emulator_with(
    hosts: usize,
    sessions: usize,
    settings: bastion_emulator::Settings,
    behaviours: &[(&str, bastion_emulator::HostBehaviour)],
) -> bastion_emulator::EmulatorHandle {
    let mut scenario = bastion_emulator::Scenario::generated(hosts, sessions, 1, 1);
    for (name, b) in behaviours {
        assert_eq!(scenario.set_behaviour(name, *b), 1, "{name}");
    }
    bastion_emulator::spawn(bastion_emulator::EmulatorConfig { settings, scenario })
}

/// Every host of the emulator, with the ids of its sessions, in name order.
fn emulator_targets(emu: &bastion_emulator::EmulatorHandle) -> Vec<DisconnectTarget> {
    let mut targets: Vec<DisconnectTarget> = emu.truth()["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| DisconnectTarget {
            host: h["id"].as_str().unwrap().parse().unwrap(),
            session_ids: h["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["sessionId"].as_str().unwrap().to_string())
                .collect(),
        })
        .collect();
    targets.sort_by(|a, b| a.host.name.cmp(&b.host.name));
    targets
}

/// Sessions the emulator still holds on host `name`.
fn left_on(emu: &bastion_emulator::EmulatorHandle, name: &str) -> usize {
    emu.truth()["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == name)
        .map_or(0, |h| h["sessions"].as_array().unwrap().len())
}

/// Disconnects every target through the fan-out; outcomes by host name.
async fn disconnect_all(
    o: bastion_session::ClientOptions,
    targets: Vec<DisconnectTarget>,
    chunk: usize,
    concurrency: usize,
) -> HashMap<String, HostDisconnectOutcome> {
    bastion_session::BastionClient::new(o)
        .unwrap()
        .disconnect_sessions_many(targets, chunk, concurrency, &OperationContext::new())
        .map(|o| (o.host.name.clone(), o))
        .collect()
        .await
}

/// The states of a failed host's ids.
fn failed_states(o: &HostDisconnectOutcome) -> HashMap<String, usize> {
    assert!(o.result.is_err(), "{} did not fail", o.host.name);
    states(&o.partial)
}

#[tokio::test]
async fn a_chunk_that_may_have_reached_arm_is_unknown_and_one_refused_is_failed() {
    // Over real HTTP: a host answering 500 to everything (ARM may have acted before
    // failing), one answering 403 (refused, nothing done), one healthy.
    use bastion_emulator::HostBehaviour;
    let emu = emulator_with(
        3,
        4,
        bastion_emulator::Settings::default(),
        &[
            ("bh-1", HostBehaviour::AlwaysFail500),
            ("bh-2", HostBehaviour::Forbidden),
        ],
    );
    let targets = emulator_targets(&emu);
    let all = disconnect_all(fast_options(&emu.base_url(), emu.token()), targets, 0, 4).await;
    assert_eq!(all["bh-0"].result.as_ref().unwrap().len(), 4);
    let s = failed_states(&all["bh-1"]);
    assert_eq!(s.get(SessionDisconnectResult::UNKNOWN), Some(&4), "{s:?}");
    assert_eq!(
        all["bh-1"].result.as_ref().unwrap_err().kind(),
        ErrorKind::Server
    );
    let s = failed_states(&all["bh-2"]);
    assert_eq!(s.get(SessionDisconnectResult::FAILED), Some(&4), "{s:?}");
}

#[tokio::test]
async fn a_chunk_whose_connection_drops_on_every_attempt_is_unknown() {
    // The connection drops mid-answer on the first request and on every retry (6 + 1).
    let settings = bastion_emulator::Settings {
        faults: vec![bastion_emulator::ScriptedFault {
            operation: Some("disconnectActiveSessions".into()),
            fault: bastion_emulator::FaultKind::DropConnection,
            count: 7,
        }],
        ..Default::default()
    };
    let emu = emulator_with(1, 3, settings, &[]);
    let all = disconnect_all(
        fast_options(&emu.base_url(), emu.token()),
        emulator_targets(&emu),
        0,
        1,
    )
    .await;
    let o = &all["bh-0"];
    assert_eq!(o.result.as_ref().unwrap_err().kind(), ErrorKind::Transport);
    let s = failed_states(o);
    assert_eq!(s.get(SessionDisconnectResult::UNKNOWN), Some(&3), "{s:?}");
    assert_eq!(emu.count_all("disconnectActiveSessions"), 7);
}

#[tokio::test]
async fn a_chunk_that_times_out_on_every_attempt_is_unknown() {
    // Each attempt reaches the emulator (which disconnects the sessions), but its answer
    // comes after the client's per-request timeout.
    let settings = bastion_emulator::Settings {
        latency_ms: 400,
        ..Default::default()
    };
    let emu = emulator_with(1, 3, settings, &[]);
    let mut o = fast_options(&emu.base_url(), emu.token());
    o.request_timeout = Duration::from_millis(100);
    o.retry.max_retries = 1;
    let all = disconnect_all(o, emulator_targets(&emu), 0, 1).await;
    let s = failed_states(&all["bh-0"]);
    assert_eq!(s.get(SessionDisconnectResult::UNKNOWN), Some(&3), "{s:?}");
}

#[tokio::test]
async fn a_chunk_whose_answer_is_over_the_size_limit_is_unknown() {
    // 100 ids of 90,000 characters: the emulator's answer (each id twice) passes 16 MiB.
    let emu = emulator_with(1, 0, bastion_emulator::Settings::default(), &[]);
    let mut targets = emulator_targets(&emu);
    targets[0].session_ids = (0..100)
        .map(|i| format!("{i:03}{}", "x".repeat(90_000)))
        .collect();
    let all = disconnect_all(fast_options(&emu.base_url(), emu.token()), targets, 0, 1).await;
    let o = &all["bh-0"];
    let e = o.result.as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
    assert!(e.message().contains("MiB"), "{e}");
    let s = failed_states(o);
    assert_eq!(s.get(SessionDisconnectResult::UNKNOWN), Some(&100), "{s:?}");
}

#[tokio::test]
async fn no_chunk_is_sent_once_the_item_budget_is_spent() {
    // Budget 6, chunks of 5, one host at a time: the first host's chunk fits, every later
    // chunk would pass the budget and is not sent; those hosts keep every session.
    let emu = emulator_with(3, 5, bastion_emulator::Settings::default(), &[]);
    let mut o = fast_options(&emu.base_url(), emu.token());
    o.max_items_per_call = 6;
    let all = disconnect_all(o, emulator_targets(&emu), 5, 1).await;
    let applied: Vec<&String> = all
        .iter()
        .filter(|(_, o)| o.result.is_ok())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(applied.len(), 1, "{applied:?}");
    for (name, o) in &all {
        if o.result.is_ok() {
            assert_eq!(left_on(&emu, name), 0);
            continue;
        }
        let e = o.result.as_ref().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
        assert!(e.message().contains("maxItemsPerCall"), "{e}");
        let s = failed_states(o);
        assert_eq!(
            s.get(SessionDisconnectResult::NOT_ATTEMPTED),
            Some(&5),
            "{s:?}"
        );
        assert_eq!(left_on(&emu, name), 5, "{name} was touched");
    }
    assert_eq!(emu.count_all("disconnectActiveSessions"), 1);
}
