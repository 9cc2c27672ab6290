//! Costs of the C ABI, printed (never asserted):
//! 1. one round trip through the boundary with trivial work, via the built library
//!    (libloading): a request that fails validation (`{"timeoutSec":0}`), an unknown
//!    operation's progress poll, and `bastion_list_hosts` over HTTP against an emulator
//!    scope with no hosts;
//! 2. marshalling 100,000 sessions (100 hosts x 1,000) into the success envelope and the
//!    caller-owned C string, in process.
//!
//! Run: `cargo bench -p bastion_session_ffi --bench marshal`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use bastion_emulator::{EmulatorConfig, Settings};
use bastion_session::{BastionHost, BastionSession, HostRef, HostSessionsOutcome};
use bastion_session_ffi::envelope;
use bastion_session_ffi::sessions::SessionsData;
use bastion_session_ffi::views::HostSessionsOutcomeView;
use serde_json::json;

fn per_call(label: &str, n: u32, mut f: impl FnMut()) {
    for _ in 0..n / 10 {
        f();
    }
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    let d = t.elapsed();
    println!(
        "{label:<58} {:>10.2} us/call ({n} calls, {:.2?})",
        d.as_secs_f64() * 1e6 / f64::from(n),
        d
    );
}

fn round_trips() {
    let l = support::lib();
    per_call("boundary: get_sessions, validation error", 100_000, || {
        let v = l.call(l.get_sessions, r#"{"timeoutSec":0}"#);
        assert_eq!(v["ok"], false);
    });
    per_call(
        "boundary: poll_progress, unknown operation",
        100_000,
        || {
            let v = l.call(l.poll_progress, "no-such-op");
            assert_eq!(v["ok"], true);
        },
    );
    let emu =
        bastion_emulator::spawn(EmulatorConfig::generated(0, 0).with_settings(Settings::default()));
    let req = json!({
        "credential": {"type": "accessToken", "token": emu.token()},
        "armEndpoint": emu.base_url(),
        "scope": {"subscriptionIds": ["00000000-0000-0000-0000-000000000001"]},
    })
    .to_string();
    per_call(
        "boundary + HTTP: list_hosts, empty scope, emulator",
        2_000,
        || {
            let v = l.call(l.list_hosts, &req);
            assert_eq!(v["ok"], true, "{v}");
        },
    );
}

fn marshalling() {
    let hosts: Vec<HostSessionsOutcomeView> = (0..100)
        .map(|h| {
            let host = BastionHost::from(
                HostRef::new("00000000-0000-0000-0000-000000000001", "rg-0", format!("bh-{h}"))
                    .unwrap(),
            );
            let sessions: Vec<BastionSession> = (0..1000)
                .map(|i| {
                    BastionSession::from_arm_json(&json!({
                        "sessionId": format!("{h:04}-{i:04}-5a4c-4b9e-9d1f-0c2b7e1a9f00"),
                        "startTime": "2026-11-28T09:15:00.0000000Z",
                        "targetSubscriptionId": "00000000-0000-0000-0000-000000000001",
                        "resourceType": "VM",
                        "targetHostName": format!("vm-{i}"),
                        "targetResourceGroup": "rg-app",
                        "userName": format!("user{i}@contoso.com"),
                        "targetIpAddress": "10.0.1.4",
                        "protocol": "SSH",
                        "targetResourceId": format!("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-{i}"),
                        "sessionDurationInMins": 42.5
                    }))
                    .unwrap()
                })
                .collect();
            HostSessionsOutcomeView::from_outcome(HostSessionsOutcome {
                host,
                result: Ok(sessions),
            })
        })
        .collect();
    let data = SessionsData::new(hosts, 100_000, 200, 0, 0);
    let mut best = Duration::MAX;
    let mut bytes = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let json = envelope::success(&data).unwrap();
        bytes = json.len();
        let c = std::ffi::CString::new(json).unwrap();
        best = best.min(t.elapsed());
        drop(c);
    }
    println!(
        "marshal 100,000 sessions into the envelope (+ C string)    {:>10.2} ms ({:.1} MB, best of 5)",
        best.as_secs_f64() * 1e3,
        bytes as f64 / 1e6
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    marshalling();
    round_trips();
}
