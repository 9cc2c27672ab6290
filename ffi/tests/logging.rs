//! With diagnostics switched on (`BASTION_SESSION_LOG=trace`, written to a file), the
//! library logs its calls, and the bearer token of a request appears in no log line.
//! A separate test binary, because the subscriber is installed once per process.

mod support;

use bastion_emulator::HostBehaviour;
use serde_json::json;
use support::arm::{self, host, host_id};
use support::{expect_error, expect_ok, lib};

const TOKEN: &str = "LOGGED-TOKEN-8d2e61b0";

#[test]
fn logs_never_carry_the_token() {
    let dir = std::env::temp_dir().join(format!("bastion-ffi-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("trace.log");
    // SAFETY: set before the library (and any other thread of this test binary) reads it.
    unsafe {
        std::env::set_var("BASTION_SESSION_LOG", "trace");
        std::env::set_var("BASTION_SESSION_LOG_FILE", &file);
    }
    let l = lib();
    let emu = arm::spawn(TOKEN, vec![host("bh-0", 2, HostBehaviour::Normal)], |_| {});
    let url = emu.base_url();
    let base = json!({"credential": {"type": "accessToken", "token": TOKEN},
                      "armEndpoint": url, "pollIntervalMinSec": 0, "maxRetries": 0});
    let mut ok = base.clone();
    ok["scope"] = json!({"subscriptionIds": [arm::SUB]});
    ok["operationId"] = json!("log-op");
    expect_ok(&l.call(l.get_sessions, &ok.to_string()));
    let mut bad = base.clone();
    bad["credential"]["token"] = json!("not-it");
    bad["scope"] = ok["scope"].clone();
    expect_error(&l.call(l.list_hosts, &bad.to_string()), "auth", 2001);
    let mut panicking = ok.clone();
    panicking["_panic"] = json!("secret");
    panicking["operationId"] = json!("log-op-2");
    expect_error(
        &l.call(l.get_sessions, &panicking.to_string()),
        "internal",
        9001,
    );
    let mut targets = base.clone();
    targets["targets"] = json!([{"hostResourceId": host_id("bh-0"), "sessionIds": ["bh-0-s0"]}]);
    expect_ok(&l.call(l.disconnect_sessions, &targets.to_string()));

    let log = std::fs::read_to_string(&file).expect("the log file was written");
    assert!(log.contains("operation started"), "{log}");
    assert!(log.contains("bastion_get_sessions"), "{log}");
    assert!(!log.contains(TOKEN), "the token is in the log:\n{log}");
    assert!(
        !log.contains("LOGGED-TOKEN"),
        "the token is in the log:\n{log}"
    );
    for line in log
        .lines()
        .filter(|l| l.to_ascii_lowercase().contains("bearer "))
    {
        assert!(line.contains("Bearer <redacted>"), "{line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
