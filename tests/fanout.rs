//! Fan-out over many hosts against a scripted loopback server: bounded concurrency,
//! results streamed per host, per-host failures not stopping the others, cancellation.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bastion_session::{
    BastionHost, DisconnectTarget, ErrorKind, OperationContext, ProgressEvent, SessionPageSink,
};
use common::*;
use futures::StreamExt;
use serde_json::json;

/// Host `bh-N`: N % 10 == 3 → 404, N % 10 == 7 → 403, else one 202 poll then N % 4 sessions.
fn fleet_server(in_flight: Arc<AtomicUsize>, max_in_flight: Arc<AtomicUsize>) -> ScriptServer {
    ScriptServer::start(move |r, base| {
        let name = r
            .path()
            .split('/')
            .find(|s| s.starts_with("bh-"))
            .unwrap_or("bh-0")
            .to_string();
        let n: usize = name[3..].parse().unwrap_or(0);
        if r.method == "POST" {
            match n % 10 {
                3 => {
                    return Reply::json(
                        404,
                        json!({"error":{"code":"ResourceNotFound","message":"gone"}}),
                    );
                }
                7 => {
                    return Reply::json(
                        403,
                        json!({"error":{"code":"AuthorizationFailed","message":"no"}}),
                    );
                }
                _ => {}
            }
            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            max_in_flight.fetch_max(now, Ordering::SeqCst);
            return Reply::empty(202)
                .header("Location", format!("{base}/op/{name}"))
                .header("Retry-After", "0");
        }
        in_flight.fetch_sub(1, Ordering::SeqCst);
        let sessions: Vec<_> = (0..n % 4)
            .map(|i| session(&format!("{name}-s{i}")))
            .collect();
        Reply::json(200, json!(sessions))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_hosts_with_per_host_failures() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max_in_flight = Arc::new(AtomicUsize::new(0));
    let srv = fleet_server(in_flight.clone(), max_in_flight.clone());
    let c = client(&srv.base);
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let ctx = OperationContext::new().with_progress(Arc::new(move |e: ProgressEvent| {
        if !matches!(e, ProgressEvent::Request { .. }) {
            ev.lock().unwrap().push(e)
        }
    }));
    let hosts: Vec<_> = (0..200).map(|i| host(&format!("bh-{i}"))).collect();
    let outcomes: Vec<_> = c.list_sessions_many(hosts, 8, &ctx).collect().await;
    assert_eq!(outcomes.len(), 200);
    let mut ok = 0;
    for o in &outcomes {
        let n: usize = o.host.name[3..].parse().unwrap();
        match (n % 10, &o.result) {
            (3, Err(e)) => assert_eq!(e.kind(), ErrorKind::NotFound),
            (7, Err(e)) => {
                assert_eq!(e.kind(), ErrorKind::Forbidden);
                assert_eq!(e.target(), Some(o.host.id.as_str()));
            }
            (_, Ok(s)) => {
                assert_eq!(s.len(), n % 4, "{}", o.host.name);
                ok += 1;
            }
            other => panic!("unexpected outcome for {}: {other:?}", o.host.name),
        }
    }
    assert_eq!(ok, 160);
    assert!(
        max_in_flight.load(Ordering::SeqCst) <= 8,
        "concurrency bound exceeded"
    );
    let ev = events.lock().unwrap();
    let done: Vec<usize> = ev
        .iter()
        .filter_map(|e| match e {
            ProgressEvent::HostDone { done, total, .. } => {
                assert_eq!(*total, 200);
                Some(*done)
            }
            _ => None,
        })
        .collect();
    assert_eq!(done.len(), 200);
    assert_eq!(*done.iter().max().unwrap(), 200);
    assert_eq!(
        ev.iter()
            .filter(|e| matches!(e, ProgressEvent::HostStarted { .. }))
            .count(),
        200
    );
}

#[tokio::test]
async fn results_stream_as_each_host_completes() {
    // bh-1 answers at once; bh-0 polls for a while: bh-1 must come out first.
    let srv = ScriptServer::start(|r, base| {
        if r.path().contains("bh-0") && r.method == "POST" {
            return Reply::empty(202)
                .header("Location", format!("{base}/slow"))
                .header("Retry-After", "1");
        }
        Reply::json(200, json!([]))
    });
    let mut o = fast_options(&srv.base, "t");
    o.poll.min_interval = Duration::from_millis(500);
    let c = bastion_session::BastionClient::new(o).unwrap();
    let mut stream = c.list_sessions_many(
        vec![host("bh-0"), host("bh-1")],
        4,
        &OperationContext::new(),
    );
    let first = stream.next().await.unwrap();
    assert_eq!(first.host.name, "bh-1");
    assert_eq!(stream.next().await.unwrap().host.name, "bh-0");
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn cancelling_a_fan_out_ends_every_host_promptly() {
    let srv = ScriptServer::start(|_, base| {
        Reply::empty(202)
            .header("Location", format!("{base}/op"))
            .header("Retry-After", "30")
    });
    let mut o = fast_options(&srv.base, "t");
    o.poll.max_interval = Duration::from_secs(60);
    let c = bastion_session::BastionClient::new(o).unwrap();
    let ctx = OperationContext::new();
    let cancel = ctx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let hosts: Vec<BastionHost> = (0..50).map(|i| host(&format!("bh-{i}")).into()).collect();
    let outcomes: Vec<_> = c.list_sessions_many(hosts, 16, &ctx).collect().await;
    assert!(
        started.elapsed() < Duration::from_millis(1300),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(outcomes.len(), 50);
    assert!(
        outcomes
            .iter()
            .all(|o| o.result.as_ref().err().map(|e| e.kind()) == Some(ErrorKind::Cancelled))
    );
    // Hosts not started before the cancel never sent a request.
    assert!(srv.requests().iter().filter(|r| r.method == "POST").count() <= 16);
}

#[tokio::test]
async fn disconnect_fan_out_per_host() {
    let srv = ScriptServer::start(|r, _| {
        if r.path().contains("bh-9") {
            return Reply::json(
                404,
                json!({"error":{"code":"ResourceNotFound","message":"gone"}}),
            );
        }
        let ids: Vec<String> = serde_json::from_value(r.json()["sessionIds"].clone()).unwrap();
        Reply::json(
            200,
            json!({"value": ids.iter().map(|i| json!({"sessionId": i, "state": "Disconnected"})).collect::<Vec<_>>()}),
        )
    });
    let targets = vec![
        DisconnectTarget {
            host: host("bh-0"),
            session_ids: vec!["a".into(), "b".into(), "a".into()],
        },
        DisconnectTarget {
            host: host("bh-1"),
            session_ids: vec!["c".into()],
        },
        DisconnectTarget {
            host: host("bh-9"),
            session_ids: vec!["d".into()],
        },
    ];
    let c = client(&srv.base);
    let mut outcomes: Vec<_> = c
        .disconnect_sessions_many(targets, 1000, 2, &OperationContext::new())
        .collect()
        .await;
    outcomes.sort_by(|a, b| a.host.name.cmp(&b.host.name));
    assert_eq!(outcomes[0].result.as_ref().unwrap().len(), 2);
    assert_eq!(outcomes[1].result.as_ref().unwrap().len(), 1);
    assert_eq!(
        outcomes[2].result.as_ref().unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(srv.requests().len(), 3);
}

/// A host listing page for `sub`: one host per name, in `rg`.
fn host_page(sub: &str, rg: &str, names: &[&str]) -> serde_json::Value {
    let value: Vec<_> = names
        .iter()
        .map(|n| {
            json!({
                "id": format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/bastionHosts/{n}"),
                "name": n, "location": "westeurope", "sku": {"name": "Standard"}
            })
        })
        .collect();
    json!({ "value": value })
}

#[tokio::test]
async fn discovery_over_two_subscriptions_lists_the_one_that_answers_and_reports_the_forbidden_one()
{
    const DENIED: &str = "00000000-0000-0000-0000-0000000000d1";
    const OPEN: &str = "00000000-0000-0000-0000-0000000000a2";
    let srv = ScriptServer::start(|r, _| {
        if r.path().contains(DENIED) {
            Reply::json(
                403,
                json!({"error":{"code":"AuthorizationFailed","message":"no read on this subscription"}}),
            )
        } else if r.path().contains(OPEN) {
            Reply::json(200, host_page(OPEN, "rg-a", &["b1", "b2"]))
        } else {
            Reply::json(404, json!({"error":{"code":"NotFound","message":"?"}}))
        }
    });
    let c = client(&srv.base);
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let ctx = OperationContext::new().with_progress(Arc::new(move |e: ProgressEvent| {
        sink.lock().unwrap().push(e);
    }));
    let scope = bastion_session::HostScope {
        subscription_ids: vec![DENIED.into(), OPEN.into()],
        resource_group_name: None,
    };
    let outcomes = c.discover_hosts(&scope, &ctx).await.unwrap();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    // One outcome per subscription, in the scope's order.
    assert_eq!(outcomes[0].subscription_id, DENIED);
    let e = outcomes[0].result.as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden, "{e}");
    assert_eq!(e.http_status(), Some(403));
    assert!(e.message().contains(DENIED), "{e}");
    assert!(
        e.message().contains("Microsoft.Network/bastionHosts/read"),
        "{e}"
    );
    assert_eq!(outcomes[1].subscription_id, OPEN);
    let hosts = outcomes[1].result.as_ref().unwrap();
    let names: Vec<_> = hosts.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["b1", "b2"]);
    assert!(hosts.iter().all(|h| h.subscription_id == OPEN));
    assert!(
        events
            .lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, ProgressEvent::HostsDiscovered { count: 2 })),
        "{:?}",
        events.lock().unwrap()
    );
    // The strict listing still fails on the forbidden subscription.
    let e = c.list_hosts(&scope, &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
}

#[tokio::test]
async fn discovery_of_a_resource_group_missing_in_one_subscription_reports_that_subscription() {
    const WITHOUT: &str = "00000000-0000-0000-0000-0000000000b1";
    const WITH: &str = "00000000-0000-0000-0000-0000000000b2";
    let srv = ScriptServer::start(|r, _| {
        if r.path()
            .contains(&format!("/subscriptions/{WITH}/resourceGroups/rg-x/"))
        {
            Reply::json(200, host_page(WITH, "rg-x", &["bx"]))
        } else {
            Reply::json(
                404,
                json!({"error":{"code":"ResourceGroupNotFound","message":"Resource group 'rg-x' could not be found."}}),
            )
        }
    });
    let c = client(&srv.base);
    let ctx = OperationContext::new();
    let scope = bastion_session::HostScope {
        // The same subscription twice (in another case) is searched once.
        subscription_ids: vec![WITHOUT.into(), WITH.into(), WITHOUT.to_uppercase()],
        resource_group_name: Some("rg-x".into()),
    };
    let outcomes = c.discover_hosts(&scope, &ctx).await.unwrap();
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert_eq!(outcomes[0].subscription_id, WITHOUT);
    assert_eq!(outcomes[0].resource_group_name.as_deref(), Some("rg-x"));
    let e = outcomes[0].result.as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.arm_code(), Some("ResourceGroupNotFound"));
    assert!(
        e.message().contains(&format!(
            "resource group 'rg-x' in subscription '{WITHOUT}'"
        )),
        "{e}"
    );
    assert_eq!(outcomes[1].subscription_id, WITH);
    assert_eq!(outcomes[1].result.as_ref().unwrap()[0].name, "bx");
    assert_eq!(
        srv.count(|r| r.path().contains(WITHOUT)),
        1,
        "{:?}",
        srv.requests()
    );
    // A scope that is not valid still fails as a whole, before any request.
    let bad = bastion_session::HostScope {
        subscription_ids: vec![WITH.into(), "a/b".into()],
        resource_group_name: None,
    };
    let e = c.discover_hosts(&bad, &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidRequest);
}

/// Records what a [`SessionPageSink`] receives, and tells the server when page 1 arrived.
struct RecordingPages {
    pages: Mutex<Vec<(String, u32, Vec<String>)>>,
    page_one: Mutex<std::sync::mpsc::Sender<()>>,
}

impl SessionPageSink for RecordingPages {
    fn page(&self, host: &BastionHost, page: u32, sessions: Vec<bastion_session::BastionSession>) {
        let ids = sessions.into_iter().filter_map(|s| s.session_id).collect();
        self.pages
            .lock()
            .unwrap()
            .push((host.id.clone(), page, ids));
        if page == 1 {
            let _ = self.page_one.lock().unwrap().send(());
        }
    }
}

/// A host answering four pages (a,b / c / d / e): the server holds page 3 until the sink
/// has seen page 1 (or 10 s pass), and answers page 4 with `last_page_status`.
fn held_pages_server(
    last_page_status: u16,
) -> (ScriptServer, Arc<RecordingPages>, Arc<AtomicBool>) {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let held_until_seen = Arc::new(AtomicBool::new(false));
    let held = held_until_seen.clone();
    let server = ScriptServer::start(move |r, base| {
        if r.method == "POST" {
            return Reply::json(
                200,
                json!({"value":[session("a"), session("b")], "nextLink": format!("{base}/p2")}),
            );
        }
        match r.path() {
            "/p2" => Reply::json(
                200,
                json!({"value":[session("c")], "nextLink": format!("{base}/p3")}),
            ),
            "/p3" => {
                let seen = rx
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(10))
                    .is_ok();
                held.store(seen, Ordering::SeqCst);
                Reply::json(
                    200,
                    json!({"value":[session("d")], "nextLink": format!("{base}/p4")}),
                )
            }
            "/p4" if last_page_status == 200 => {
                Reply::json(200, json!({"value":[session("e")], "nextLink": null}))
            }
            "/p4" => Reply::json(
                last_page_status,
                json!({"error":{"code":"BadRequest","message":"page 4 is broken"}}),
            ),
            _ => Reply::empty(404),
        }
    });
    let sink = Arc::new(RecordingPages {
        pages: Mutex::new(Vec::new()),
        page_one: Mutex::new(tx),
    });
    (server, sink, held_until_seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_pages_reach_the_sink_before_the_last_page_is_served() {
    let (server, sink, held_until_seen) = held_pages_server(200);
    let ctx = OperationContext::new().with_session_pages(sink.clone());
    let outcomes: Vec<_> = client(&server.base)
        .list_sessions_many([host("bh-0")], 4, &ctx)
        .collect()
        .await;
    assert!(
        held_until_seen.load(Ordering::SeqCst),
        "page 3 was served before the sink saw page 1"
    );
    assert_eq!(outcomes.len(), 1);
    // The outcome holds the status only: the sessions went to the sink.
    assert!(outcomes[0].result.as_ref().unwrap().is_empty());
    let pages = sink.pages.lock().unwrap().clone();
    let numbers: Vec<u32> = pages.iter().map(|p| p.1).collect();
    assert_eq!(numbers, [1, 2, 3, 4]);
    assert!(pages.iter().all(|p| p.0 == host_id("bh-0")));
    let ids: Vec<String> = pages.into_iter().flat_map(|p| p.2).collect();
    assert_eq!(
        ids,
        ["a", "b", "c", "d", "e"],
        "every session once, in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_failing_mid_pages_keeps_the_pages_already_handed_over() {
    let (server, sink, _) = held_pages_server(400);
    let ctx = OperationContext::new().with_session_pages(sink.clone());
    let outcomes: Vec<_> = client(&server.base)
        .list_sessions_many([host("bh-0")], 4, &ctx)
        .collect()
        .await;
    assert_eq!(outcomes.len(), 1);
    let e = outcomes[0].result.as_ref().unwrap_err();
    assert!(e.message().contains("page 4 is broken"), "{e}");
    let ids: Vec<String> = sink
        .pages
        .lock()
        .unwrap()
        .iter()
        .flat_map(|p| p.2.clone())
        .collect();
    assert_eq!(
        ids,
        ["a", "b", "c", "d"],
        "pages 1-3 once each, nothing of page 4"
    );
}

/// A caller's progress sink with a bug: it panics on the `nth` event that `hits` matches.
struct PanickingSink {
    hits: fn(&bastion_session::ProgressEvent) -> bool,
    nth: usize,
    seen: AtomicUsize,
}

impl bastion_session::ProgressSink for PanickingSink {
    fn emit(&self, event: bastion_session::ProgressEvent) {
        if (self.hits)(&event) && self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.nth {
            panic!("a progress sink with a bug");
        }
    }
}

/// The emulator's hosts (`hosts` of `sessions` sessions, one group), by name.
fn emulator_hosts(
    hosts: usize,
    sessions: usize,
) -> (
    bastion_emulator::EmulatorHandle,
    Vec<(bastion_session::HostRef, Vec<String>)>,
) {
    let emu = bastion_emulator::spawn(bastion_emulator::EmulatorConfig {
        settings: bastion_emulator::Settings {
            retry_after: 0,
            ..Default::default()
        },
        scenario: bastion_emulator::Scenario::generated(hosts, sessions, 1, 1),
    });
    let mut list: Vec<(bastion_session::HostRef, Vec<String>)> = emu.truth()["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let ids = h["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["sessionId"].as_str().unwrap().to_string())
                .collect();
            (h["id"].as_str().unwrap().parse().unwrap(), ids)
        })
        .collect();
    list.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    (emu, list)
}

#[tokio::test]
async fn a_panic_while_listing_one_host_fails_that_host_alone() {
    let (emu, hosts) = emulator_hosts(4, 3);
    let c =
        bastion_session::BastionClient::new(fast_options(&emu.base_url(), emu.token())).unwrap();
    let sink = Arc::new(PanickingSink {
        hits: |e| matches!(e, bastion_session::ProgressEvent::HostStarted { host } if host.ends_with("/bh-2")),
        nth: 1,
        seen: AtomicUsize::new(0),
    });
    let ctx = OperationContext::new().with_progress(sink);
    let outcomes: Vec<_> = c
        .list_sessions_many(hosts.into_iter().map(|(h, _)| h), 4, &ctx)
        .collect()
        .await;
    assert_eq!(outcomes.len(), 4);
    for o in outcomes {
        if o.host.name == "bh-2" {
            let e = o.result.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
            assert_eq!(e.target(), Some(o.host.id.as_str()));
            assert!(!e.message().contains("a progress sink with a bug"), "{e}");
        } else {
            assert_eq!(o.result.unwrap().len(), 3, "{}", o.host.name);
        }
    }
}

#[tokio::test]
async fn a_panic_mid_disconnect_fails_that_host_and_keeps_every_other_outcome() {
    // Chunks of 2 over 6 sessions per host: the panic comes after bh-1's second chunk was
    // applied, so bh-1 keeps 2 sessions and its 6 ids are reported Unknown.
    let (emu, hosts) = emulator_hosts(3, 6);
    let c =
        bastion_session::BastionClient::new(fast_options(&emu.base_url(), emu.token())).unwrap();
    let sink = Arc::new(PanickingSink {
        hits: |e| {
            matches!(e, bastion_session::ProgressEvent::Request { method, url, .. }
                if method == "POST" && url.contains("/bh-1/disconnectActiveSessions"))
        },
        nth: 2,
        seen: AtomicUsize::new(0),
    });
    let ctx = OperationContext::new().with_progress(sink);
    let targets = hosts
        .iter()
        .map(|(h, ids)| bastion_session::DisconnectTarget {
            host: h.clone(),
            session_ids: ids.clone(),
        })
        .collect();
    let outcomes: Vec<_> = c
        .disconnect_sessions_many(targets, 2, 3, &ctx)
        .collect()
        .await;
    assert_eq!(outcomes.len(), 3);
    let truth = emu.truth();
    let left = |name: &str| {
        truth["hosts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == name)
            .unwrap()["sessions"]
            .as_array()
            .unwrap()
            .len()
    };
    for o in outcomes {
        if o.host.name == "bh-1" {
            let e = o.result.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Internal, "{e}");
            assert_eq!(o.partial.len(), 6);
            assert!(
                o.partial
                    .iter()
                    .all(|r| r.state == bastion_session::SessionDisconnectResult::UNKNOWN)
            );
            assert_eq!(left("bh-1"), 2);
        } else {
            let results = o.result.unwrap();
            assert_eq!(results.len(), 6);
            assert!(results.iter().all(|r| r.state == "Disconnected"));
            assert_eq!(left(&o.host.name), 0);
        }
    }
}
