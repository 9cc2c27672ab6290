//! A call cut short by its deadline or by `bastion_cancel` answers the `timeout` /
//! `cancelled` error with what it already knows as `data`: every requested session id
//! exactly once, in a state the emulator's truth confirms; hosts that answered stay
//! answered (issue 12).

mod support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use bastion_emulator::HostBehaviour;
use serde_json::{Value, json};
use support::arm::{self, host_id};
use support::{expect_error, lib};

const TOKEN: &str = "interrupt-token";

/// The session ids still present on `host` according to the emulator.
fn remaining(truth: &Value, host: &str) -> HashSet<String> {
    truth["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == host)
        .map(|h| {
            h["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["sessionId"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Checks every requested id is reported exactly once and that its state tells the truth:
/// `Disconnected` ids are gone, `NotAttempted` ids are still there. Returns the count of
/// each state.
fn check_truthful(data: &Value, asked: &[(String, Vec<String>)], truth: &Value) -> Vec<usize> {
    let results = data["results"].as_array().unwrap();
    assert_eq!(results.len(), asked.len(), "{data}");
    let mut counts = vec![0usize; 3];
    for (name, ids) in asked {
        let r = results
            .iter()
            .find(|r| r["hostName"] == name.as_str())
            .unwrap_or_else(|| panic!("no result for {name}: {data}"));
        let sessions = r["sessions"]
            .as_array()
            .expect("sessions even when cut short");
        let got: Vec<&str> = sessions
            .iter()
            .map(|s| s["sessionId"].as_str().unwrap())
            .collect();
        assert_eq!(got, ids.iter().map(String::as_str).collect::<Vec<_>>());
        let left = remaining(truth, name);
        for s in sessions {
            let id = s["sessionId"].as_str().unwrap();
            match s["state"].as_str().unwrap() {
                "Disconnected" => {
                    assert!(!left.contains(id), "{id} reported Disconnected but present");
                    counts[0] += 1;
                }
                "NotAttempted" => {
                    assert!(left.contains(id), "{id} reported NotAttempted but gone");
                    counts[1] += 1;
                }
                "Unknown" => counts[2] += 1,
                other => panic!("unexpected state {other} for {id}: {s}"),
            }
        }
    }
    counts
}

fn disconnect_request(
    emu: &bastion_emulator::EmulatorHandle,
    extra: Value,
) -> (String, Vec<(String, Vec<String>)>) {
    let asked: Vec<(String, Vec<String>)> = ["bh-a", "bh-b"]
        .iter()
        .map(|h| {
            (
                h.to_string(),
                (0..20).map(|i| format!("{h}-s{i}")).collect(),
            )
        })
        .collect();
    let mut v = json!({
        "credential": {"type": "accessToken", "token": TOKEN},
        "armEndpoint": emu.base_url(),
        "chunkSize": 1,
        "concurrency": 2,
        "targets": asked.iter().map(|(h, ids)| json!({"hostResourceId": host_id(h), "sessionIds": ids})).collect::<Vec<_>>(),
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    (v.to_string(), asked)
}

fn slow_emulator() -> bastion_emulator::EmulatorHandle {
    arm::spawn(
        TOKEN,
        vec![
            arm::host("bh-a", 20, HostBehaviour::Normal),
            arm::host("bh-b", 20, HostBehaviour::Normal),
        ],
        |s| s.latency_ms = 150,
    )
}

#[test]
fn the_deadline_mid_disconnect_reports_every_id_once_truthfully() {
    let l = lib();
    let emu = slow_emulator();
    let (req, asked) = disconnect_request(&emu, json!({"timeoutSec": 1}));
    let started = Instant::now();
    let v = l.call(l.disconnect_sessions, &req);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    expect_error(&v, "timeout", 3001);
    let counts = check_truthful(&v["data"], &asked, &emu.truth());
    assert!(
        counts[0] > 0,
        "some chunks were answered before the deadline: {counts:?}"
    );
    assert!(counts[1] > 0, "some chunks were never sent: {counts:?}");
    assert_eq!(v["data"]["results"][0]["error"]["kind"], "timeout", "{v}");
}

#[test]
fn a_cancel_mid_disconnect_reports_every_id_once_truthfully() {
    let l = lib();
    let emu = slow_emulator();
    let (req, asked) = disconnect_request(&emu, json!({"operationId": "interrupt-cancel"}));
    let worker = std::thread::spawn(move || l.call(l.disconnect_sessions, &req));
    std::thread::sleep(Duration::from_millis(900));
    assert_eq!(l.cancel_op("interrupt-cancel"), 1);
    let t = Instant::now();
    let v = worker.join().unwrap();
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    expect_error(&v, "cancelled", 3002);
    let counts = check_truthful(&v["data"], &asked, &emu.truth());
    assert!(counts[0] > 0 && counts[1] > 0, "{counts:?}");
}

#[test]
fn hosts_that_answered_stay_answered_when_the_deadline_passes() {
    let l = lib();
    let emu = arm::spawn(
        TOKEN,
        vec![
            arm::host("bh-ok", 3, HostBehaviour::Normal),
            arm::host("bh-stuck", 3, HostBehaviour::LroNeverCompletes),
        ],
        |_| {},
    );
    let req = json!({
        "credential": {"type": "accessToken", "token": TOKEN},
        "armEndpoint": emu.base_url(),
        "timeoutSec": 1,
        "pollIntervalMinSec": 0.05,
        "pollIntervalMaxSec": 0.1,
        "hosts": [{"resourceId": host_id("bh-ok")}, {"resourceId": host_id("bh-stuck")}],
    });
    let v = l.call(l.get_sessions, &req.to_string());
    expect_error(&v, "timeout", 3001);
    let hosts = v["data"]["hosts"]
        .as_array()
        .expect("data with the hosts known");
    assert_eq!(hosts.len(), 2, "{v}");
    assert_eq!(hosts[0]["ok"], true, "{v}");
    assert_eq!(hosts[0]["sessions"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(hosts[1]["ok"], false, "{v}");
    assert_eq!(hosts[1]["error"]["kind"], "timeout", "{v}");
}
