//! The built library (libloading) against the ARM emulator (`bastion-emulator`): paging
//! and LRO polling, disconnect verified against the emulator's truth, cancellation during
//! a long `Retry-After`, retries with progress, streaming over many hosts, TLS with an
//! extra CA, and the token absent from every envelope and event.

mod support;

use std::time::{Duration, Instant};

use bastion_emulator::{EmulatorConfig, EmulatorHandle, FaultKind, ScriptedFault, Settings};
use serde_json::{Value, json};
use support::{expect_error, expect_ok, lib};

const SUB: &str = "00000000-0000-0000-0000-000000000001";

fn emulator(hosts: usize, sessions: usize, tune: impl FnOnce(&mut Settings)) -> EmulatorHandle {
    let mut settings = Settings {
        retry_after: 0,
        ..Default::default()
    };
    tune(&mut settings);
    bastion_emulator::spawn(EmulatorConfig::generated(hosts, sessions).with_settings(settings))
}

fn request(emu: &EmulatorHandle, extra: Value) -> String {
    let mut v = json!({
        "credential": {"type": "accessToken", "token": emu.token()},
        "armEndpoint": emu.base_url(),
        "pollIntervalMinSec": 0,
        "scope": {"subscriptionIds": [SUB]},
    });
    for (k, x) in extra.as_object().unwrap() {
        if x.is_null() {
            v.as_object_mut().unwrap().remove(k);
        } else {
            v[k] = x.clone();
        }
    }
    v.to_string()
}

fn session_count(data: &Value) -> u64 {
    data["stats"]["sessions"].as_u64().unwrap()
}

#[test]
fn lists_pages_and_disconnects() {
    let l = lib();
    let emu = emulator(3, 5, |s| s.page_size = 2);
    let hosts = expect_ok(&l.call(l.list_hosts, &request(&emu, json!({}))));
    assert_eq!(hosts["hosts"].as_array().unwrap().len(), 3, "{hosts}");
    let data = expect_ok(&l.call(l.get_sessions, &request(&emu, json!({}))));
    assert_eq!(session_count(&data), 15, "{data}");
    let host = &data["hosts"][0];
    let id = host["host"]["id"].as_str().unwrap().to_owned();
    let sid: Vec<String> = host["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|s| s["sessionId"].as_str().unwrap().to_owned())
        .collect();
    let req = request(
        &emu,
        json!({"scope": null, "targets": [{"hostResourceId": id, "sessionIds": sid}], "chunkSize": 1}),
    );
    let d = expect_ok(&l.call(l.disconnect_sessions, &req));
    assert_eq!(d["results"][0]["ok"], true, "{d}");
    assert_eq!(
        d["results"][0]["sessions"].as_array().unwrap().len(),
        2,
        "{d}"
    );
    assert_eq!(d["stats"]["requests"], 2, "one request per chunk: {d}");
    let after = expect_ok(&l.call(l.get_sessions, &request(&emu, json!({}))));
    assert_eq!(session_count(&after), 13, "{after}");
}

#[test]
fn cancel_cuts_a_long_retry_after() {
    let l = lib();
    let emu = emulator(1, 1, |s| {
        s.polls = 100;
        s.retry_after = 30;
    });
    let req = request(
        &emu,
        json!({"operationId": "emu-cancel", "pollIntervalMinSec": 30}),
    );
    let worker = std::thread::spawn(move || l.call(l.get_sessions, &req));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let p = l.poll("emu-cancel");
        if p["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["type"] == "polling")
        {
            break;
        }
        assert!(Instant::now() < deadline, "never polled");
        std::thread::sleep(Duration::from_millis(50));
    }
    let t = Instant::now();
    assert_eq!(l.cancel_op("emu-cancel"), 1);
    let v = worker.join().unwrap();
    expect_error(&v, "cancelled", 3002);
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn retries_show_in_progress_and_stats() {
    let l = lib();
    let emu = emulator(2, 2, |_| {});
    emu.script_faults([ScriptedFault {
        operation: Some("getActiveSessions".into()),
        fault: FaultKind::TooManyRequests,
        count: 2,
    }]);
    let req = request(
        &emu,
        json!({"operationId": "emu-retry", "maxRetries": 4, "pollIntervalMaxSec": 0.2}),
    );
    let data = expect_ok(&l.call(l.get_sessions, &req));
    assert_eq!(session_count(&data), 4, "{data}");
    assert!(data["stats"]["retries"].as_u64().unwrap() >= 2, "{data}");
    let p = l.poll("emu-retry");
    let events = p["events"].as_array().unwrap();
    assert!(
        events
            .iter()
            .any(|e| e["type"] == "retrying" && e["status"] == 429),
        "{p}"
    );
    let text = format!("{data}{p}");
    assert!(!text.contains(emu.token()), "token leaked");
}

#[test]
fn streams_many_hosts() {
    let l = lib();
    // Two pages per host (page size 2, 3 sessions): each page is its own event.
    let emu = emulator(40, 3, |s| s.page_size = 2);
    let req = request(
        &emu,
        json!({"operationId": "emu-stream", "streamResults": true, "concurrency": 8}),
    );
    let worker = std::thread::spawn(move || l.call(l.get_sessions, &req));
    let mut results = 0;
    let mut pages = 0;
    let mut ids: Vec<String> = Vec::new();
    let mut count = |e: &Value| {
        if e["type"] == "hostResult" {
            results += 1;
            assert!(e["result"].get("sessions").is_none(), "{e}");
        }
        if e["type"] == "hostSessionsPage" {
            pages += 1;
            for s in e["result"]["sessions"].as_array().unwrap() {
                ids.push(format!("{}|{}", e["result"]["host"]["id"], s["sessionId"]));
            }
        }
    };
    loop {
        let p = l.poll("emu-stream");
        p["events"].as_array().unwrap().iter().for_each(&mut count);
        if p["running"] == false && worker.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let data = expect_ok(&worker.join().unwrap());
    // Events queued after the last running poll.
    l.poll("emu-stream")["events"]
        .as_array()
        .unwrap()
        .iter()
        .for_each(&mut count);
    assert_eq!(results, 40);
    assert_eq!(pages, 80);
    assert_eq!(ids.len(), 120);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 120, "a session came twice");
    assert_eq!(session_count(&data), 120);
}

/// The sessions a poll envelope carries in its `hostSessionsPage` events.
fn streamed_sessions(poll: &Value) -> usize {
    poll["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "hostSessionsPage")
        .map(|e| e["result"]["sessions"].as_array().unwrap().len())
        .sum()
}

#[test]
fn a_slow_reader_holds_the_listing_back() {
    let l = lib();
    // One host, 30 pages of 1,000: three times what the library holds unpolled.
    let emu = emulator(1, 30_000, |s| s.page_size = 1000);
    let req = request(
        &emu,
        json!({"operationId": "emu-slow-reader", "streamResults": true}),
    );
    let worker = std::thread::spawn(move || l.call(l.get_sessions, &req));
    // Not polled (for less than the 5 s after which the library stops waiting): it reads
    // 10,000 sessions, the page that reaches the limit included, then waits for a poll
    // instead of reading the other 20 pages. Wait until the page requests stop.
    // (The first page is the answer of the operation's polling; the others are nextLinks.)
    let next_pages = || emu.count_all("nextPage");
    let mut seen = next_pages();
    let mut quiet = 0;
    while quiet < 3 {
        std::thread::sleep(Duration::from_millis(200));
        let now = next_pages();
        quiet = if now == seen && now > 0 { quiet + 1 } else { 0 };
        seen = now;
    }
    assert_eq!(seen, 9, "pages read by nextLink before the first poll");
    assert!(
        !worker.is_finished(),
        "the listing did not wait for the reader"
    );
    // One poll hands over at most 2,000 sessions (whole pages): two of the ten queued.
    let first = streamed_sessions(&l.poll("emu-slow-reader"));
    assert_eq!(first, 2_000, "sessions in one poll");
    // Polled again, it reads on to the end; every session arrives once.
    let mut total = first;
    loop {
        let p = l.poll("emu-slow-reader");
        total += streamed_sessions(&p);
        if p["running"] == false && worker.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let data = expect_ok(&worker.join().unwrap());
    total += streamed_sessions(&l.poll("emu-slow-reader"));
    assert_eq!(total, 30_000);
    assert_eq!(session_count(&data), 30_000);
}

#[test]
fn a_reader_that_never_polls_does_not_stall_the_call() {
    let l = lib();
    let emu = emulator(1, 30_000, |s| s.page_size = 1000);
    let req = request(
        &emu,
        json!({"operationId": "emu-absent-reader", "streamResults": true}),
    );
    // Nobody polls until the call has returned: after one wait of 5 s the library stops
    // holding the listing back, and every session is still there for the late poll.
    let started = Instant::now();
    let data = expect_ok(&l.call(l.get_sessions, &req));
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(5),
        "it did not wait at all: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(30), "it stalled: {elapsed:?}");
    assert_eq!(session_count(&data), 30_000);
    // The late polls hand them over 2,000 at a time, until a poll returns no events.
    let mut polls = Vec::new();
    loop {
        let p = l.poll("emu-absent-reader");
        assert_eq!(p["running"], false);
        if p["events"].as_array().unwrap().is_empty() {
            break;
        }
        polls.push(streamed_sessions(&p));
    }
    assert_eq!(polls.iter().sum::<usize>(), 30_000);
    assert!(polls.iter().all(|&n| n <= 2_000), "{polls:?}");
    assert!(polls.len() >= 15, "{polls:?}");
}

#[test]
fn tls_with_an_extra_ca() {
    let l = lib();
    let settings = Settings {
        retry_after: 0,
        ..Default::default()
    };
    let emu = bastion_emulator::spawn_tls(EmulatorConfig::generated(2, 1).with_settings(settings));
    let pem = emu.certificate_pem().expect("certificate").to_owned();
    let req = request(&emu, json!({"extraCaCertificatePem": pem}));
    let data = expect_ok(&l.call(l.get_sessions, &req));
    assert_eq!(session_count(&data), 2, "{data}");
    // Without the CA the certificate is refused.
    let v = l.call(l.list_hosts, &request(&emu, json!({"maxRetries": 0})));
    expect_error(&v, "transport", 3003);
}
