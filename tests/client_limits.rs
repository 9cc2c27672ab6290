//! Hardening of issue 12: plain-HTTP loopback requests never cross a proxy, waits have a
//! floor, a name that does not resolve fails fast naming the host.

mod common;

use std::time::Duration;

use bastion_session::{BastionClient, ErrorKind, OperationContext};
use common::*;
use serde_json::json;

#[tokio::test]
async fn plain_http_to_loopback_never_goes_through_a_proxy() {
    // A "proxy" that would see the bearer token in clear, and the real (loopback) ARM.
    let proxy = ScriptServer::start(|_, _| Reply::json(200, json!({"value": []})));
    let arm = ScriptServer::start(|_, _| Reply::json(200, json!({"value": []})));
    let mut o = fast_options(&arm.base, "secret-token");
    o.proxy = Some(proxy.base.clone());
    let c = BastionClient::new(o).unwrap();
    c.list_hosts(
        &bastion_session::HostScope {
            subscription_ids: vec![SUB.to_string()],
            resource_group_name: None,
        },
        &OperationContext::new(),
    )
    .await
    .unwrap();
    assert_eq!(proxy.requests().len(), 0, "the proxy saw the request");
    assert_eq!(arm.requests().len(), 1);
}

/// Options as a C ABI caller gets them: the default wait floor, no poll minimum.
fn floor_options(base: &str) -> bastion_session::ClientOptions {
    let mut o = fast_options(base, "t");
    o.retry.min_delay = bastion_session::RetryPolicy::default().min_delay;
    o.poll.min_interval = Duration::ZERO;
    o.poll.default_interval = Duration::ZERO;
    o
}

#[tokio::test]
async fn a_retry_after_of_one_millisecond_is_not_a_busy_loop() {
    let srv = ScriptServer::start(|_, _| {
        Reply::json(
            429,
            json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
        )
        .header("retry-after-ms", "1")
    });
    let c = BastionClient::new(floor_options(&srv.base)).unwrap();
    let ctx = OperationContext::new().with_timeout(Duration::from_millis(1500));
    let e = c.get_host(&host("bh-0"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    // 250 + 500 + 1000 ms of floors: at most 4 attempts in 1.5 s (a busy loop makes hundreds).
    let n = srv.requests().len();
    assert!(n <= 4, "{n} requests in 1.5 s");
}

#[tokio::test]
async fn a_zero_poll_interval_is_not_a_busy_loop() {
    let srv = ScriptServer::start(|r, base| {
        if r.method == "POST" {
            Reply::empty(202).header("Location", format!("{base}/op"))
        } else {
            Reply::empty(202)
                .header("Location", format!("{base}/op"))
                .header("Retry-After", "0")
        }
    });
    let c = BastionClient::new(floor_options(&srv.base)).unwrap();
    let ctx = OperationContext::new().with_timeout(Duration::from_millis(1500));
    let e = c.list_sessions(&host("bh-0"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    let polls = srv.count(|r| r.method == "GET");
    assert!(polls <= 4, "{polls} polls in 1.5 s");
}

#[tokio::test]
async fn one_call_reads_at_most_its_item_budget_across_pages_and_hosts() {
    // Every host answers 3 pages of 100 sessions; the call may hold 500 items.
    let srv = ScriptServer::start(|r, base| {
        let page: usize = r
            .target
            .split("page=")
            .nth(1)
            .and_then(|p| p.split('&').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let value: Vec<_> = (0..100).map(|i| session(&format!("p{page}-{i}"))).collect();
        let next = if page < 2 {
            json!(format!("{base}{}?page={}", r.path(), page + 1))
        } else {
            json!(null)
        };
        Reply::json(200, json!({"value": value, "nextLink": next}))
    });
    let mut o = fast_options(&srv.base, "t");
    o.max_items_per_call = 500;
    let c = BastionClient::new(o).unwrap();
    let ctx = OperationContext::new();
    let first = c.list_sessions(&host("bh-0"), &ctx).await.unwrap();
    assert_eq!(first.len(), 300);
    // The same operation (context): the second host passes the budget.
    let e = c.list_sessions(&host("bh-1"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
    assert!(e.message().contains("500 items"), "{e}");
    // A new operation starts with a full budget.
    assert_eq!(
        c.list_sessions(&host("bh-1"), &OperationContext::new())
            .await
            .unwrap()
            .len(),
        300
    );
}

/// A host of the emulator's generated scenario, as the fan-out takes it.
fn emulator_host(emu: &bastion_emulator::EmulatorHandle, name: &str) -> bastion_session::HostRef {
    emu.truth()["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == name)
        .and_then(|h| h["id"].as_str())
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn hostile_waits_and_numbers_in_answers_fail_only_their_host() {
    use bastion_emulator::{EmulatorConfig, HostBehaviour, Scenario, Settings};
    use futures::StreamExt;
    use std::collections::BTreeMap;

    // Six hosts over real HTTP: two answer normally (one of them with a session lasting 1e300
    // minutes), the others ask for absurd waits on their LRO 202s or on a 429 to every request.
    let mut scenario = Scenario::generated(6, 2, 1, 1);
    scenario.set_behaviour("bh-3", HostBehaviour::AlwaysThrottled);
    scenario.set_behaviour("bh-4", HostBehaviour::AlwaysThrottled);
    for group in &mut scenario.subscriptions[0].resource_groups {
        for h in group.hosts.iter_mut().filter(|h| h.name == "bh-5") {
            h.sessions[0]["sessionDurationInMins"] = json!(1e300);
        }
    }
    let wait = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let mut settings = Settings {
        retry_after: 0,
        ..Settings::default()
    };
    settings.wait_headers = [
        ("bh-1", wait(&[("retry-after-ms", "1e30")])),
        ("bh-2", wait(&[("Retry-After", "99999999999")])),
        ("bh-3", wait(&[("retry-after-ms", "1e30")])),
        (
            "bh-4",
            wait(&[
                ("x-ms-retry-after-ms", "1e30"),
                ("Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"),
            ]),
        ),
    ]
    .into_iter()
    .map(|(h, w)| (h.to_string(), w))
    .collect();
    let emu = bastion_emulator::spawn(EmulatorConfig { settings, scenario });
    // The client's default policy (waits up to 60 s): only the call's deadline ends the
    // hostile hosts' waits.
    let mut o = bastion_session::ClientOptions::default();
    o.arm_endpoint = Some(emu.base_url().parse().unwrap());
    o.credential = bastion_session::CredentialSpec::AccessToken(emu.token().into());
    let c = BastionClient::new(o).unwrap();
    let names = ["bh-0", "bh-1", "bh-2", "bh-3", "bh-4", "bh-5"];
    let hosts: Vec<_> = names.iter().map(|n| emulator_host(&emu, n)).collect();
    let started = std::time::Instant::now();
    let ctx = OperationContext::new().with_timeout(Duration::from_secs(4));
    let outcomes: Vec<_> = c.list_sessions_many(hosts, 8, &ctx).collect().await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the deadline did not bound the hostile waits: {:?}",
        started.elapsed()
    );
    assert_eq!(outcomes.len(), names.len(), "every host's outcome arrives");
    for o in &outcomes {
        match o.host.name.as_str() {
            "bh-0" => assert_eq!(o.result.as_ref().unwrap().len(), 2),
            "bh-5" => {
                let sessions = o.result.as_ref().unwrap();
                assert_eq!(sessions.len(), 2);
                // Carried as ARM sent it, for the caller to judge (the module's reader
                // falls back to the start time for a duration no TimeSpan can hold).
                assert!(
                    sessions
                        .iter()
                        .any(|s| s.session_duration_in_mins == Some(1e300))
                );
            }
            _ => {
                let e = o.result.as_ref().unwrap_err();
                assert!(
                    matches!(e.kind(), ErrorKind::Timeout | ErrorKind::Throttled),
                    "{}: {e} ({:?})",
                    o.host.name,
                    e.kind()
                );
                assert_eq!(e.target(), Some(o.host.id.as_str()), "{e}");
            }
        }
    }
}
