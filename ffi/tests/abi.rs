//! The built library driven like a foreign caller (libloading) against the ARM emulator
//! over real HTTP: every export, every error kind the boundary produces, cancellation,
//! progress, streaming, many threads, calls from inside tokio, panics and secrets.

mod support;

use std::ffi::CString;
use std::time::{Duration, Instant};

use bastion_emulator::{EmulatorHandle, HostBehaviour};
use serde_json::{Value, json};
use support::arm::{self, closed_port_url, host, host_id};
use support::{expect_error, expect_ok, lib};

const TOKEN: &str = "SECRET-TOKEN-4f1c9a77";

/// Three well-behaved hosts with 3, 5 and 0 sessions.
fn normal_emulator() -> EmulatorHandle {
    arm::spawn(
        TOKEN,
        vec![
            host("bh-0", 3, HostBehaviour::Normal),
            host("bh-1", 5, HostBehaviour::Normal),
            host("bh-2", 0, HostBehaviour::Normal),
        ],
        |_| {},
    )
}

/// Hosts that fail in their own ways, and one that does not.
fn failing_emulator() -> EmulatorHandle {
    arm::spawn(
        TOKEN,
        vec![
            host("forbidden-0", 0, HostBehaviour::Forbidden),
            host("garbage-0", 0, HostBehaviour::MalformedBody),
            host("broken-0", 1, HostBehaviour::AlwaysFail500),
            host("bh-0", 2, HostBehaviour::Normal),
        ],
        |_| {},
    )
}

/// One host whose getActiveSessions never completes, polled every `retry_after` seconds.
fn stuck_emulator(retry_after: u64) -> EmulatorHandle {
    arm::spawn(
        TOKEN,
        vec![host("slow-0", 0, HostBehaviour::LroNeverCompletes)],
        |s| s.retry_after = retry_after,
    )
}

fn base(url: &str) -> Value {
    json!({
        "credential": {"type": "accessToken", "token": TOKEN},
        "armEndpoint": url,
        "pollIntervalMinSec": 0,
        "maxRetries": 0,
    })
}

fn with(mut v: Value, extra: Value) -> String {
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v.to_string()
}

fn scope() -> Value {
    json!({"subscriptionIds": [arm::SUB], "resourceGroupName": arm::RG})
}

#[test]
fn version_names_crate_and_schema() {
    let v = lib().version_string();
    assert_eq!(
        v,
        format!(
            "bastion_session_ffi {} (schema 1)",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn null_pointers_are_invalid_argument() {
    let l = lib();
    for f in [
        l.get_sessions,
        l.disconnect_sessions,
        l.list_hosts,
        l.poll_progress,
    ] {
        let text = l.call_raw(f, std::ptr::null());
        let v: Value = serde_json::from_str(&text).unwrap();
        let e = expect_error(&v, "invalidArgument", 1001);
        assert!(e["message"].as_str().unwrap().contains("null"), "{v}");
    }
    assert_eq!(unsafe { (l.cancel)(std::ptr::null()) }, -1);
    unsafe { (l.string_free)(std::ptr::null_mut()) };
}

#[test]
fn invalid_utf8_is_invalid_argument() {
    let l = lib();
    let bad = CString::new(vec![b'{', b'"', 0xC3, 0x28, b'"', b'}']).unwrap();
    for f in [
        l.get_sessions,
        l.disconnect_sessions,
        l.list_hosts,
        l.poll_progress,
    ] {
        let v: Value = serde_json::from_str(&l.call_raw(f, bad.as_ptr())).unwrap();
        let e = expect_error(&v, "invalidArgument", 1001);
        assert!(e["message"].as_str().unwrap().contains("UTF-8"), "{v}");
    }
    assert_eq!(unsafe { (l.cancel)(bad.as_ptr()) }, -1);
}

#[test]
fn oversized_request_is_invalid_argument() {
    let l = lib();
    let mut big = vec![b' '; 64 * 1024 * 1024 + 1];
    big[0] = b'{';
    let c = CString::new(big).unwrap();
    let v: Value = serde_json::from_str(&l.call_raw(l.get_sessions, c.as_ptr())).unwrap();
    let e = expect_error(&v, "invalidArgument", 1001);
    assert!(e["message"].as_str().unwrap().contains("64 MiB"), "{v}");
}

#[test]
fn malformed_and_mistyped_requests_name_the_path() {
    let l = lib();
    for (req, path) in [
        ("{", "$"),
        ("[]", "$"),
        ("{} trailing", "$"),
        (r#"{"timeoutSec":"ten"}"#, "timeoutSec"),
        (r#"{"hosts":[{"resourceId":7}]}"#, "hosts[0].resourceId"),
        (
            r#"{"credential":{"type":"accessToken","tokne":"x"}}"#,
            "credential.tokne",
        ),
        (r#"{"bogus":1}"#, "bogus"),
        (r#"{"timeoutSec":0,"hosts":[]}"#, "timeoutSec"),
        (r#"{"hosts":[]}"#, "hosts"),
        (
            r#"{"hosts":[{"resourceId":"/subscriptions/x"}]}"#,
            "hosts[0].resourceId",
        ),
        (
            r#"{"credential":{"type":"nope"},"hosts":[{"resourceId":"/x"}]}"#,
            "credential.type",
        ),
    ] {
        let v = l.call(l.get_sessions, req);
        let e = expect_error(&v, "invalidRequest", 1002);
        assert_eq!(e["target"], path, "{req}: {v}");
    }
    let v = l.call(l.list_hosts, r#"{"streamResults":true}"#);
    assert_eq!(
        expect_error(&v, "invalidRequest", 1002)["target"],
        "streamResults"
    );
    let v = l.call(
        l.disconnect_sessions,
        r#"{"targets":[{"hostResourceId":"/x","sessionIds":[]}]}"#,
    );
    assert_eq!(
        expect_error(&v, "invalidRequest", 1002)["target"],
        "targets[0].hostResourceId"
    );
    let v = l.call(
        l.disconnect_sessions,
        &json!({"targets":[{"hostResourceId": host_id("bh-0"), "sessionIds": []}]}).to_string(),
    );
    assert_eq!(
        expect_error(&v, "invalidRequest", 1002)["target"],
        "targets[0].sessionIds"
    );
}

#[test]
fn other_schema_versions_are_unsupported() {
    let l = lib();
    expect_error(
        &l.call(l.get_sessions, r#"{"schemaVersion":2,"newThing":{}}"#),
        "unsupportedSchema",
        1003,
    );
    expect_error(
        &l.call(l.list_hosts, r#"{"schemaVersion":"1"}"#),
        "unsupportedSchema",
        1003,
    );
}

#[test]
fn lists_hosts_sessions_and_disconnects() {
    let l = lib();
    let emu = normal_emulator();
    let url = emu.base_url();
    let hosts = expect_ok(&l.call(l.list_hosts, &with(base(&url), json!({"scope": scope()}))));
    assert_eq!(hosts["hosts"].as_array().unwrap().len(), 3, "{hosts}");
    assert_eq!(hosts["hosts"][0]["sku"], "Standard");

    let data = expect_ok(&l.call(l.get_sessions, &with(base(&url), json!({"scope": scope()}))));
    assert_eq!(data["stats"]["hostsTotal"], 3, "{data}");
    assert_eq!(data["stats"]["sessions"], 8, "{data}");
    assert_eq!(data["stats"]["hostsFailed"], 0, "{data}");
    let bh1 = &data["hosts"][1];
    assert_eq!(bh1["host"]["name"], "bh-1");
    assert_eq!(bh1["ok"], true);
    assert_eq!(bh1["sessions"][0]["sessionId"], "bh-1-s0");
    assert_eq!(bh1["sessions"][0]["startTime"], "2026-11-28T09:15:00Z");

    let req = with(
        base(&url),
        json!({"targets": [
            {"hostResourceId": host_id("bh-1"), "sessionIds": ["bh-1-s0", "bh-1-s1", "bh-1-s0", "nope"]},
            {"subscriptionId": arm::SUB, "resourceGroupName": "rg-0", "name": "bh-9", "sessionIds": ["x"]}
        ]}),
    );
    let d = expect_ok(&l.call(l.disconnect_sessions, &req));
    assert_eq!(d["stats"]["hostsTotal"], 2, "{d}");
    assert_eq!(d["stats"]["hostsFailed"], 1, "{d}");
    let r0 = &d["results"][0];
    assert_eq!(r0["hostName"], "bh-1");
    assert_eq!(r0["ok"], true, "{d}");
    let states: Vec<(&str, &str)> = r0["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["sessionId"].as_str().unwrap(),
                s["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("bh-1-s0", "Disconnected"),
            ("bh-1-s1", "Disconnected"),
            ("nope", "NotFound")
        ]
    );
    assert_eq!(d["results"][1]["ok"], false);
    assert_eq!(d["results"][1]["error"]["kind"], "notFound");
    assert_eq!(d["results"][1]["error"]["code"], 2004);

    let hosts = json!([{"resourceId": host_id("bh-1")}]);
    let data = expect_ok(&l.call(l.get_sessions, &with(base(&url), json!({"hosts": hosts}))));
    assert_eq!(data["stats"]["sessions"], 3, "{data}");
}

#[test]
fn a_scope_over_several_subscriptions_reports_each_and_lists_the_ones_that_answered() {
    let l = lib();
    let emu = normal_emulator();
    let url = emu.base_url();
    let missing = "00000000-0000-0000-0000-0000000000ff";
    let scope = json!({"subscriptionIds": [missing, arm::SUB], "resourceGroupName": arm::RG});
    let d = expect_ok(&l.call(l.list_hosts, &with(base(&url), json!({"scope": scope}))));
    assert_eq!(d["hosts"].as_array().unwrap().len(), 3, "{d}");
    let subs = d["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 2, "{d}");
    assert_eq!(subs[0]["subscriptionId"], missing);
    assert_eq!(subs[0]["resourceGroupName"], arm::RG);
    assert_eq!(subs[0]["ok"], false);
    assert_eq!(subs[0]["error"]["kind"], "notFound", "{d}");
    assert_eq!(subs[0]["error"]["code"], 2004);
    assert_eq!(subs[0]["error"]["httpStatus"], 404);
    assert!(subs[0].get("hostsFound").is_none(), "{d}");
    assert_eq!(subs[1]["subscriptionId"], arm::SUB);
    assert_eq!(subs[1]["ok"], true);
    assert_eq!(subs[1]["hostsFound"], 3);
    assert!(subs[1].get("error").is_none(), "{d}");
    // bastion_get_sessions over the same scope: the sessions of the subscription that
    // answered, and the same subscription entries.
    let d = expect_ok(&l.call(l.get_sessions, &with(base(&url), json!({"scope": scope}))));
    assert_eq!(d["stats"]["hostsTotal"], 3, "{d}");
    assert_eq!(d["stats"]["sessions"], 8, "{d}");
    assert_eq!(d["subscriptions"][0]["ok"], false, "{d}");
    assert_eq!(d["subscriptions"][1]["hostsFound"], 3, "{d}");
    // Hosts named directly: no subscription entries.
    let hosts = json!([{"resourceId": host_id("bh-0")}]);
    let d = expect_ok(&l.call(l.get_sessions, &with(base(&url), json!({"hosts": hosts}))));
    assert!(d.get("subscriptions").is_none(), "{d}");
    // No subscription answers: the call fails with the first one's error, and still says
    // what happened to each.
    let other = "00000000-0000-0000-0000-0000000000fe";
    let scope = json!({"subscriptionIds": [missing, other]});
    for f in [l.list_hosts, l.get_sessions] {
        let v = l.call(f, &with(base(&url), json!({"scope": scope})));
        let e = expect_error(&v, "notFound", 2004);
        assert!(e["message"].as_str().unwrap().contains(missing), "{v}");
        let subs = v["data"]["subscriptions"].as_array().unwrap();
        assert_eq!(subs.len(), 2, "{v}");
        assert_eq!(subs[1]["subscriptionId"], other);
        assert_eq!(subs[1]["error"]["armCode"], "SubscriptionNotFound", "{v}");
    }
}

#[test]
fn service_and_client_errors_map_to_their_kinds() {
    let l = lib();
    let emu = normal_emulator();
    let url = emu.base_url();
    let failing = failing_emulator();
    // auth: a token the service refuses.
    let mut b = base(&url);
    b["credential"]["token"] = json!("wrong-token");
    expect_error(
        &l.call(l.list_hosts, &with(b, json!({"scope": scope()}))),
        "auth",
        2001,
    );
    // notFound: a resource group that does not exist fails discovery.
    let v = l.call(
        l.list_hosts,
        &with(
            base(&url),
            json!({"scope": {"subscriptionIds": [arm::SUB], "resourceGroupName": "rg-x"}}),
        ),
    );
    let e = expect_error(&v, "notFound", 2004);
    assert_eq!(e["httpStatus"], 404);
    assert_eq!(e["armCode"], "ResourceGroupNotFound");
    // notFound: so does a subscription that does not exist.
    let v = l.call(
        l.list_hosts,
        &with(
            base(&url),
            json!({"scope": {"subscriptionIds": ["00000000-0000-0000-0000-0000000000ff"]}}),
        ),
    );
    let e = expect_error(&v, "notFound", 2004);
    assert_eq!(e["httpStatus"], 404);
    assert_eq!(e["armCode"], "SubscriptionNotFound");
    // notFound: and a host that does not exist is an error for that host.
    let hosts = json!([{"resourceId": host_id("bh-9")}, {"resourceId": host_id("bh-0")}]);
    let d = expect_ok(&l.call(l.get_sessions, &with(base(&url), json!({"hosts": hosts}))));
    assert_eq!(d["hosts"][0]["error"]["kind"], "notFound", "{d}");
    assert_eq!(d["hosts"][0]["error"]["code"], 2004);
    assert_eq!(d["hosts"][1]["ok"], true, "{d}");
    // forbidden / invalidResponse: per-host entries.
    let hosts = json!([{"resourceId": host_id("forbidden-0")},
                       {"resourceId": host_id("garbage-0")},
                       {"resourceId": host_id("bh-0")}]);
    let d = expect_ok(&l.call(
        l.get_sessions,
        &with(base(&failing.base_url()), json!({"hosts": hosts})),
    ));
    assert_eq!(d["hosts"][0]["error"]["kind"], "forbidden", "{d}");
    assert_eq!(d["hosts"][0]["error"]["code"], 2002);
    assert_eq!(d["hosts"][1]["error"]["kind"], "invalidResponse", "{d}");
    assert_eq!(d["hosts"][1]["error"]["code"], 3004);
    assert_eq!(d["hosts"][2]["ok"], true);
    assert_eq!(d["stats"]["hostsFailed"], 2);
    // server: a host that answers 500 to everything.
    let hosts = json!([{"resourceId": host_id("broken-0")}]);
    let d = expect_ok(&l.call(
        l.get_sessions,
        &with(base(&failing.base_url()), json!({"hosts": hosts})),
    ));
    assert_eq!(d["hosts"][0]["error"]["kind"], "server", "{d}");
    assert_eq!(d["hosts"][0]["error"]["code"], 2050);
    assert_eq!(d["hosts"][0]["error"]["httpStatus"], 500, "{d}");
    assert_eq!(d["stats"]["hostsFailed"], 1);
    // insecureEndpoint: plain HTTP to a host that is not loopback (never contacted).
    let v = l.call(
        l.list_hosts,
        &with(
            base("http://bastion.example.com"),
            json!({"scope": scope()}),
        ),
    );
    expect_error(&v, "insecureEndpoint", 3005);
    // ... and to an address, refused before any connection (this machine has no route
    // there: a connection attempt would hang).
    let started = Instant::now();
    let v = l.call(
        l.list_hosts,
        &with(base("http://203.0.113.1"), json!({"scope": scope()})),
    );
    expect_error(&v, "insecureEndpoint", 3005);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // transport: nobody listens.
    let v = l.call(
        l.list_hosts,
        &with(base(&closed_port_url()), json!({"scope": scope()})),
    );
    expect_error(&v, "transport", 3003);
    // timeout: a host whose operation never ends, with a 1 s deadline.
    let stuck = stuck_emulator(1);
    let hosts = json!([{"resourceId": host_id("slow-0")}]);
    let started = Instant::now();
    let v = l.call(
        l.get_sessions,
        &with(
            base(&stuck.base_url()),
            json!({"hosts": hosts, "timeoutSec": 1}),
        ),
    );
    expect_error(&v, "timeout", 3001);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn cancel_from_another_thread_ends_a_long_poll_quickly() {
    let l = lib();
    // A Retry-After far longer than the test: only the cancellation can end the call.
    let stuck = stuck_emulator(30);
    let hosts = json!([{"resourceId": host_id("slow-0")}]);
    let req = with(
        base(&stuck.base_url()),
        json!({"hosts": hosts, "operationId": "op-cancel-1"}),
    );
    let worker = std::thread::spawn(move || l.call(l.get_sessions, &req));
    // Wait until the operation polls, and check its progress meanwhile.
    let mut events = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !events.iter().any(|e: &Value| e["type"] == "polling") {
        assert!(Instant::now() < deadline, "no polling event: {events:?}");
        std::thread::sleep(Duration::from_millis(50));
        let p = l.poll("op-cancel-1");
        assert_eq!(p["running"], true, "{p}");
        events.extend(p["events"].as_array().unwrap().iter().cloned());
    }
    assert!(
        events.iter().any(|e| e["type"] == "hostStarted"),
        "{events:?}"
    );
    assert!(events.iter().any(|e| e["type"] == "request"), "{events:?}");
    let cancelled_at = Instant::now();
    assert_eq!(l.cancel_op("op-cancel-1"), 1);
    let v = worker.join().unwrap();
    let took = cancelled_at.elapsed();
    expect_error(&v, "cancelled", 3002);
    assert!(took < Duration::from_secs(1), "cancel took {took:?}");
    assert_eq!(
        l.cancel_op("op-cancel-1"),
        0,
        "finished operations are not running"
    );
    let p = l.poll("op-cancel-1");
    assert_eq!(p["running"], false);
    assert_eq!(l.cancel_op("never-started"), 0);
}

#[test]
fn operation_ids_in_use_are_refused() {
    let l = lib();
    let stuck = stuck_emulator(30);
    let hosts = json!([{"resourceId": host_id("slow-0")}]);
    let req = with(
        base(&stuck.base_url()),
        json!({"hosts": hosts, "operationId": "op-dup"}),
    );
    let r2 = req.clone();
    let worker = std::thread::spawn(move || l.call(l.get_sessions, &r2));
    let deadline = Instant::now() + Duration::from_secs(10);
    while l.poll("op-dup")["running"] != true {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(20));
    }
    let v = l.call(l.get_sessions, &req);
    assert_eq!(
        expect_error(&v, "invalidRequest", 1002)["target"],
        "operationId"
    );
    assert_eq!(l.cancel_op("op-dup"), 1);
    expect_error(&worker.join().unwrap(), "cancelled", 3002);
}

#[test]
fn stream_results_arrive_as_page_events_then_host_result_events() {
    let l = lib();
    let emu = normal_emulator();
    let url = emu.base_url();
    let req = with(
        base(&url),
        json!({"scope": scope(), "operationId": "op-stream", "streamResults": true}),
    );
    let data = expect_ok(&l.call(l.get_sessions, &req));
    assert_eq!(data["stats"]["sessions"], 8);
    for h in data["hosts"].as_array().unwrap() {
        assert!(h.get("sessions").is_none(), "{h}");
    }
    let p = l.poll("op-stream");
    assert_eq!(p["running"], false);
    let events = p["events"].as_array().unwrap();
    let discovered: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "hostsDiscovered")
        .collect();
    assert_eq!(discovered.len(), 1, "{p}");
    assert_eq!(discovered[0]["count"], 3);
    // The sessions come in `hostSessionsPage` events: the page number, and `result` shaped
    // as a host entry holding that page's sessions (empty pages send no event).
    let pages: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "hostSessionsPage")
        .collect();
    assert_eq!(pages.len(), 2, "{p}");
    for e in &pages {
        assert_eq!(e["page"], 1, "{e}");
        assert_eq!(e["result"]["ok"], true, "{e}");
        assert!(e["result"]["host"]["id"].is_string(), "{e}");
        assert!(e["result"].get("error").is_none(), "{e}");
    }
    let mut ids: Vec<&str> = pages
        .iter()
        .flat_map(|e| e["result"]["sessions"].as_array().unwrap())
        .map(|s| s["sessionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 8);
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 8, "a session came twice: {p}");
    // Then each host's `hostResult`, with its status and no sessions, after its pages.
    let results: Vec<(usize, &Value)> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e["type"] == "hostResult")
        .collect();
    assert_eq!(results.len(), 3, "{p}");
    for (at, e) in &results {
        assert_eq!(e["result"]["ok"], true, "{e}");
        assert!(e["result"].get("sessions").is_none(), "{e}");
        let id = &e["result"]["host"]["id"];
        assert!(
            events[..*at]
                .iter()
                .filter(|x| x["type"] == "hostSessionsPage" && &x["result"]["host"]["id"] == id)
                .count()
                == pages
                    .iter()
                    .filter(|x| &x["result"]["host"]["id"] == id)
                    .count(),
            "a page of {id} came after its hostResult: {p}"
        );
    }
    assert!(events.iter().any(|e| e["type"] == "hostDone"), "{p}");
    // Drained: nothing more, and the finished operation is forgotten.
    let p = l.poll("op-stream");
    assert_eq!(p["events"].as_array().unwrap().len(), 0);
    expect_error(&l.call(l.poll_progress, ""), "invalidArgument", 1001);
}

#[test]
fn stream_results_without_an_operation_id_is_refused() {
    // Streamed sessions can only be read with bastion_poll_progress(operationId): without
    // an id they would be lost, so the request is refused before any network work.
    let l = lib();
    let emu = normal_emulator();
    let req = with(
        base(&emu.base_url()),
        json!({"scope": scope(), "streamResults": true}),
    );
    let e = expect_error(&l.call(l.get_sessions, &req), "invalidRequest", 1002);
    assert_eq!(e["target"], "streamResults", "{e}");
    assert!(
        e["message"].as_str().unwrap().contains("operationId"),
        "{e}"
    );
    assert_eq!(emu.count_all("getActiveSessions"), 0);
}

#[test]
fn the_credential_environment_replaces_the_process_environment() {
    // The managed identity's endpoint and header come only from the request: this process
    // has no IDENTITY_ENDPOINT, and the library must not need one (no setenv anywhere).
    assert!(std::env::var_os("IDENTITY_ENDPOINT").is_none());
    let l = lib();
    let emu = normal_emulator();
    let url = emu.base_url();
    let mut req = base(&url);
    req["credential"] = json!({
        "type": "managedIdentity",
        "environment": {
            "IDENTITY_ENDPOINT": format!("{url}/_emulator/msi/token"),
            "IDENTITY_HEADER": "emulator-identity-header",
            "NO_PROXY": "127.0.0.1",
        },
    });
    let data = expect_ok(&l.call(l.list_hosts, &with(req.clone(), json!({"scope": scope()}))));
    assert_eq!(data["hosts"].as_array().unwrap().len(), 3, "{data}");
    assert!(emu.count_all("msiToken") >= 1);
    // A name the library does not read is refused, naming it (a typo must not pass).
    req["credential"]["environment"] = json!({"IDENTITY_ENDPIONT": "x", "HOME": "/root"});
    let e = expect_error(
        &l.call(l.list_hosts, &with(req, json!({"scope": scope()}))),
        "invalidRequest",
        1002,
    );
    assert_eq!(e["target"], "credential.environment.HOME", "{e}");
}

#[test]
fn only_the_variables_the_call_reads_are_taken() {
    let l = lib();
    let emu = normal_emulator();
    let url = emu.base_url();
    let secret = "VALUE-NEVER-ECHOED-8d2e";
    let call = |credential: Value| {
        let mut req = base(&url);
        req["credential"] = credential;
        l.call(l.list_hosts, &with(req, json!({"scope": scope()})))
    };
    // The transport's variables go with any credential, an access token too.
    let data = expect_ok(&call(json!({
        "type": "accessToken", "token": TOKEN,
        "environment": {"NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"},
    })));
    assert_eq!(data["hosts"].as_array().unwrap().len(), 3, "{data}");
    // An access token reads no credential variable: one sent with it is refused, named,
    // and its value is not repeated.
    for (credential, name) in [
        (
            json!({"type": "accessToken", "token": TOKEN}),
            "AZURE_CLIENT_SECRET",
        ),
        (
            json!({"type": "accessToken", "token": TOKEN}),
            "IDENTITY_HEADER",
        ),
        (json!({"type": "azureCli"}), "AZURE_TENANT_ID"),
        // Never read by the library, whatever the credential (another tool's secret).
        (json!({"type": "default"}), "AZURE_STORAGE_KEY"),
        (json!({"type": "managedIdentity"}), "IMDS_ENDPOINT"),
    ] {
        let mut credential = credential;
        credential["environment"] = json!({ name: secret, "NO_PROXY": "127.0.0.1" });
        let v = call(credential);
        let e = expect_error(&v, "invalidRequest", 1002);
        assert_eq!(e["target"], format!("credential.environment.{name}"), "{e}");
        assert!(e["message"].as_str().unwrap().contains(name), "{e}");
        assert!(!v.to_string().contains(secret), "the value was echoed: {v}");
    }
    assert_eq!(emu.count_all("msiToken"), 0);
}

#[test]
fn a_freed_string_is_not_handed_out_again_at_once_and_a_second_free_is_ignored() {
    let l = lib();
    // Envelopes of one size, as a streamed listing's polls are: before the quarantine each
    // came back in the buffer just freed, at the very same address.
    let id = CString::new("no-such-operation").unwrap();
    let next = || unsafe { (l.poll_progress)(id.as_ptr()) };
    let mut previous = next();
    unsafe { (l.string_free)(previous) };
    for round in 0..200 {
        let p = next();
        assert_ne!(
            p, previous,
            "round {round}: a new envelope came back at the address just freed"
        );
        unsafe {
            // A careless caller frees the old pointer again: ignored, and `p` stays whole.
            (l.string_free)(previous);
            let text = std::ffi::CStr::from_ptr(p).to_str().unwrap();
            assert!(text.contains("\"running\":false"), "{text}");
            (l.string_free)(p);
            (l.string_free)(p);
        }
        previous = p;
    }
}

#[test]
fn many_threads_at_once() {
    let l = lib();
    let emu = normal_emulator();
    let url = emu.base_url();
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let req = with(
                        base(&url),
                        json!({"scope": scope(), "operationId": format!("mt-{t}-{i}")}),
                    );
                    let v = if i % 2 == 0 {
                        l.call(l.get_sessions, &req)
                    } else {
                        l.call(l.list_hosts, &req)
                    };
                    expect_ok(&v);
                    expect_error(&l.call(l.get_sessions, "{"), "invalidRequest", 1002);
                    let _ = l.poll(&format!("mt-{t}-{i}"));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn works_from_inside_a_current_thread_runtime() {
    let l = lib();
    let emu = normal_emulator();
    let url = emu.base_url();
    let v = l.call(l.get_sessions, &with(base(&url), json!({"scope": scope()})));
    assert_eq!(expect_ok(&v)["stats"]["sessions"], 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_from_inside_a_multi_thread_runtime() {
    let l = lib();
    let emu = normal_emulator();
    let url = emu.base_url();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let v = l.call(l.list_hosts, &with(base(&url), json!({"scope": scope()})));
                expect_ok(&v)["hosts"].as_array().unwrap().len()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 3);
    }
}

#[test]
fn panics_become_internal_envelopes() {
    let l = lib();
    let emu = normal_emulator();
    let url = emu.base_url();
    for (f, what) in [
        (l.get_sessions, "sync"),
        (l.list_hosts, "async"),
        (l.disconnect_sessions, "sync"),
    ] {
        let req = with(base(&url), json!({"scope": scope(), "_panic": what}));
        let v = l.call(f, &req);
        let e = expect_error(&v, "internal", 9001);
        let m = e["message"].as_str().unwrap();
        assert!(
            m.contains(&format!("test panic requested by _panic={what}")),
            "{m}"
        );
        assert!(m.contains("test_hooks.rs"), "{m}");
    }
    // The library still works after a panic.
    expect_ok(&l.call(l.list_hosts, &with(base(&url), json!({"scope": scope()}))));
}

#[test]
fn the_token_is_never_echoed() {
    let l = lib();
    let emu = normal_emulator();
    let url = emu.base_url();
    let failing = failing_emulator();
    let unreachable = closed_port_url();
    let mut answers = Vec::new();
    let mut b = base(&url);
    b["credential"]["token"] = json!(TOKEN);
    for req in [
        with(b.clone(), json!({"scope": scope(), "_panic": "secret"})),
        with(b.clone(), json!({"scope": scope(), "_panic": "async"})),
        with(b.clone(), json!({"scope": scope(), "bogus": TOKEN})),
        with(b.clone(), json!({"scope": TOKEN})),
        with(b.clone(), json!({"scope": scope(), "timeoutSec": TOKEN})),
        with(b.clone(), json!({"scope": scope(), "environment": TOKEN})),
        with(b.clone(), json!({"scope": scope(), "armEndpoint": TOKEN})),
        json!({"credential": {"type": TOKEN}, "scope": scope()}).to_string(),
        json!({"credential": TOKEN, "scope": scope()}).to_string(),
        json!({"credential": {"type": "clientSecret", "tenantId": "t", "clientId": "c", "clientSecret": TOKEN, "authorityHost": unreachable}, "scope": scope(), "armEndpoint": url, "maxRetries": 0}).to_string(),
        with(b.clone(), json!({"scope": scope()})),
        with(b.clone(), json!({"hosts": [{"resourceId": host_id("forbidden-0")}], "armEndpoint": failing.base_url()})),
    ] {
        answers.push(l.call_raw(l.get_sessions, CString::new(req.clone()).unwrap().as_ptr()));
        answers.push(l.call_raw(l.list_hosts, CString::new(req).unwrap().as_ptr()));
    }
    for a in &answers {
        assert!(!a.contains(TOKEN), "the token leaked: {a}");
        assert!(!a.contains("SECRET-TOKEN"), "the token leaked: {a}");
    }
    let panicked: Value = serde_json::from_str(&answers[0]).unwrap();
    expect_error(&panicked, "internal", 9001);
}
