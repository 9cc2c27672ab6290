//! The core client against the ARM emulator (`tests/emulator`) over real HTTP on
//! 127.0.0.1: realistic scenarios, faults and counts asserted through the emulator's stats.

mod common;

use std::time::{Duration, Instant};

use bastion_emulator::{
    EmulatorConfig, EmulatorHandle, FaultKind, FinalBodyShape, Scenario, ScriptedFault, Settings,
};
use bastion_session::{
    BastionClient, BastionHost, ClientOptions, CredentialSpec, ErrorKind, HostRef, HostScope,
    OperationContext, SessionDisconnectResult,
};
use common::{CountingTokens, fast_options};
use futures::StreamExt;
use serde_json::{Value, json};
use serial_test::serial;

const SUB: &str = bastion_emulator::DEFAULT_SUBSCRIPTION;

fn settings() -> Settings {
    Settings {
        retry_after: 0,
        ..Settings::default()
    }
}

fn emulator(hosts: usize, sessions: usize, settings: Settings) -> EmulatorHandle {
    bastion_emulator::spawn(EmulatorConfig::generated(hosts, sessions).with_settings(settings))
}

fn options(emu: &EmulatorHandle) -> ClientOptions {
    fast_options(&emu.base_url(), emu.token())
}

fn client(emu: &EmulatorHandle) -> BastionClient {
    BastionClient::new(options(emu)).unwrap()
}

/// The hosts the emulator serves, from its truth.
fn hosts(emu: &EmulatorHandle) -> Vec<HostRef> {
    emu.truth()["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

fn truth_sessions(emu: &EmulatorHandle, host: &HostRef) -> Vec<String> {
    emu.truth()["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == host.name.as_str())
        .map(|h| {
            h["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["sessionId"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A scenario with one host per behaviour given, named after it, in `rg-0`.
fn scenario(hosts: &[(&str, &str, usize)]) -> Scenario {
    let hosts: Vec<Value> = hosts
        .iter()
        .map(|(name, behaviour, sessions)| {
            json!({"name": name, "behaviour": behaviour,
                   "sessions": (0..*sessions).map(|i| json!({"userName": format!("u{i}"), "startedMinutesAgo": 10 + i})).collect::<Vec<_>>()})
        })
        .collect();
    Scenario::from_json(
        &json!({"subscriptions":[{"subscriptionId": SUB, "resourceGroups":[{"name":"rg-0","hosts":hosts}]}]}).to_string(),
    )
    .unwrap()
}

fn spawn_scenario(s: Scenario, settings: Settings) -> EmulatorHandle {
    bastion_emulator::spawn(EmulatorConfig {
        settings,
        scenario: s,
    })
}

fn rg0(name: &str) -> HostRef {
    HostRef::new(SUB, "rg-0", name).unwrap()
}

#[tokio::test]
async fn several_pages_after_many_polls() {
    let emu = emulator(
        1,
        250,
        Settings {
            polls: 4,
            page_size: 100,
            ..settings()
        },
    );
    let h = &hosts(&emu)[0];
    let s = client(&emu)
        .list_sessions(h, &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(s.len(), 250);
    let mut got: Vec<String> = s.iter().map(|s| s.session_id.clone().unwrap()).collect();
    let mut want = truth_sessions(&emu, h);
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert!(
        s.iter()
            .all(|s| s.start_time.is_some() && s.user_name.is_some())
    );
    assert_eq!(emu.count_all("getActiveSessions"), 1);
    assert_eq!(emu.count("getActiveSessions", "202"), 1);
    assert_eq!(emu.count("pollOperation", "202"), 4);
    assert_eq!(emu.count("pollOperation", "200"), 1);
    assert_eq!(emu.count_all("nextPage"), 2);
}

#[tokio::test]
async fn a_host_without_sessions() {
    let emu = emulator(1, 0, settings());
    let s = client(&emu)
        .list_sessions(&hosts(&emu)[0], &OperationContext::new())
        .await
        .unwrap();
    assert!(s.is_empty());
}

#[tokio::test]
async fn bare_array_final_body() {
    let emu = emulator(
        1,
        7,
        Settings {
            final_body_shape: FinalBodyShape::BareArray,
            page_size: 3,
            ..settings()
        },
    );
    let s = client(&emu)
        .list_sessions(&hosts(&emu)[0], &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(s.len(), 7);
    assert_eq!(emu.count_all("nextPage"), 0);
}

#[tokio::test]
async fn accepted_without_polling_headers_is_posted_again() {
    let emu = emulator(
        1,
        3,
        Settings {
            no_polling_headers: true,
            polls: 2,
            ..settings()
        },
    );
    let s = client(&emu)
        .list_sessions(&hosts(&emu)[0], &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(s.len(), 3);
    assert_eq!(emu.count("getActiveSessions", "202"), 2);
    assert_eq!(emu.count("getActiveSessions", "200"), 1);
    assert_eq!(emu.count_all("pollOperation"), 0);
}

#[tokio::test]
async fn azure_async_operation_header() {
    let emu = emulator(
        1,
        4,
        Settings {
            async_operation_header: true,
            polls: 2,
            ..settings()
        },
    );
    let s = client(&emu)
        .list_sessions(&hosts(&emu)[0], &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(s.len(), 4);
    assert!(
        emu.count_all("asyncOperationStatus") >= 1,
        "{}",
        emu.stats()
    );
}

#[tokio::test]
async fn bursts_of_429_and_503_are_retried() {
    let emu = emulator(1, 2, settings());
    emu.script_faults([
        ScriptedFault {
            operation: Some("getActiveSessions".into()),
            fault: FaultKind::TooManyRequests,
            count: 3,
        },
        ScriptedFault {
            operation: Some("pollOperation".into()),
            fault: FaultKind::ServiceUnavailable,
            count: 2,
        },
    ]);
    let ctx = OperationContext::new();
    let s = client(&emu)
        .list_sessions(&hosts(&emu)[0], &ctx)
        .await
        .unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(emu.count("getActiveSessions", "429"), 3);
    assert_eq!(emu.count("pollOperation", "503"), 2);
    assert_eq!(ctx.stats.retries(), 5);
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let emu = emulator(1, 2, settings());
    emu.script_faults([ScriptedFault {
        operation: Some("pollOperation".into()),
        fault: FaultKind::DropConnection,
        count: 1,
    }]);
    let ctx = OperationContext::new();
    let s = client(&emu)
        .list_sessions(&hosts(&emu)[0], &ctx)
        .await
        .unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(emu.count("pollOperation", "dropped"), 1);
    assert_eq!(ctx.stats.retries(), 1);
}

#[tokio::test]
async fn a_next_link_loop_is_detected() {
    let emu = spawn_scenario(
        scenario(&[("bh-loop", "nextLinkLoop", 5)]),
        Settings {
            page_size: 2,
            ..settings()
        },
    );
    let e = client(&emu)
        .list_sessions(&rg0("bh-loop"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.message().contains("nextLink loop detected"), "{e}");
}

#[tokio::test]
async fn not_found_forbidden_and_unauthorized_map_to_kinds() {
    let emu = spawn_scenario(
        scenario(&[("bh-ok", "normal", 1), ("bh-403", "forbidden", 1)]),
        settings(),
    );
    let c = client(&emu);
    let ctx = OperationContext::new();
    let e = c.list_sessions(&rg0("bh-missing"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(e.http_status(), Some(404));
    assert!(e.arm_code().is_some() && e.request_id().is_some(), "{e:?}");
    let e = c.list_sessions(&rg0("bh-403"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    assert_eq!(e.arm_code(), Some("AuthorizationFailed"));
    assert!(e.request_id().is_some());
    assert!(e.message().contains("getactivesessions/action"), "{e}");
    let mut o = options(&emu);
    o.credential = CredentialSpec::AccessToken("wrong-token".into());
    let e = BastionClient::new(o)
        .unwrap()
        .list_sessions(&rg0("bh-ok"), &ctx)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(e.http_status(), Some(401));
    assert!(!e.message().contains("wrong-token"));
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once() {
    let emu = emulator(1, 2, settings());
    let tokens = CountingTokens::new(&["expired-token", emu.token()]);
    let mut o = options(&emu);
    o.credential = CredentialSpec::Custom(tokens.clone());
    let s = BastionClient::new(o)
        .unwrap()
        .list_sessions(&hosts(&emu)[0], &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(s.len(), 2);
    assert_eq!(tokens.calls(), 2);
    assert_eq!(emu.count("getActiveSessions", "401"), 1);
}

#[tokio::test]
#[serial]
async fn managed_identity_through_the_emulators_identity_endpoint() {
    let emu = emulator(
        2,
        3,
        Settings {
            msi_expires_on_number: true,
            ..settings()
        },
    );
    // SAFETY: serialised with the other env-changing test of this file.
    unsafe {
        std::env::set_var("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential");
        std::env::set_var(
            "IDENTITY_ENDPOINT",
            format!("{}/_emulator/msi/token", emu.base_url()),
        );
        std::env::set_var("IDENTITY_HEADER", "emulator-identity-header");
    }
    let mut o = options(&emu);
    o.credential = CredentialSpec::Default;
    let c = BastionClient::new(o).unwrap();
    let ctx = OperationContext::new();
    for h in hosts(&emu) {
        assert_eq!(c.list_sessions(&h, &ctx).await.unwrap().len(), 3);
    }
    assert_eq!(
        emu.count_all("msiToken"),
        1,
        "one token, cached for both hosts"
    );
    unsafe {
        for v in [
            "AZURE_TOKEN_CREDENTIALS",
            "IDENTITY_ENDPOINT",
            "IDENTITY_HEADER",
        ] {
            std::env::remove_var(v);
        }
    }
}

#[tokio::test]
async fn cancellation_while_polling_returns_within_a_second() {
    let emu = spawn_scenario(
        scenario(&[("bh-slow", "lroNeverCompletes", 1)]),
        Settings {
            retry_after: 30,
            ..Settings::default()
        },
    );
    let mut o = options(&emu);
    o.poll.max_interval = Duration::from_secs(60);
    let c = BastionClient::new(o).unwrap();
    let ctx = OperationContext::new();
    let cancel = ctx.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let e = c.list_sessions(&rg0("bh-slow"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Cancelled);
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_hosts_fan_out_with_per_host_failures() {
    let mut specs: Vec<(String, &str, usize)> = Vec::new();
    for i in 0..200 {
        let behaviour = match i % 20 {
            3 => "forbidden",
            7 => "alwaysFail500",
            _ => "normal",
        };
        specs.push((format!("bh-{i}"), behaviour, i % 3));
    }
    let refs: Vec<(&str, &str, usize)> =
        specs.iter().map(|(n, b, s)| (n.as_str(), *b, *s)).collect();
    let emu = spawn_scenario(scenario(&refs), settings());
    let mut o = options(&emu);
    o.retry.max_retries = 1;
    let c = BastionClient::new(o).unwrap();
    let ctx = OperationContext::new();
    let hosts: Vec<BastionHost> = (0..200).map(|i| rg0(&format!("bh-{i}")).into()).collect();
    let outcomes: Vec<_> = c.list_sessions_many(hosts, 16, &ctx).collect().await;
    assert_eq!(outcomes.len(), 200);
    let (mut ok, mut forbidden, mut server) = (0, 0, 0);
    for o in &outcomes {
        let i: usize = o.host.name[3..].parse().unwrap();
        match &o.result {
            Ok(s) => {
                assert_eq!(s.len(), i % 3, "{}", o.host.name);
                ok += 1;
            }
            Err(e) if e.kind() == ErrorKind::Forbidden => forbidden += 1,
            Err(e) if e.kind() == ErrorKind::Server => server += 1,
            Err(e) => panic!("{}: {e}", o.host.name),
        }
    }
    assert_eq!((ok, forbidden, server), (180, 10, 10));
}

#[tokio::test]
async fn disconnect_accounts_for_every_id_in_chunks() {
    let emu = emulator(1, 5, settings());
    let h = hosts(&emu)[0].clone();
    let mut ids = truth_sessions(&emu, &h);
    ids.truncate(3);
    let mut asked = ids.clone();
    asked.push("unknown-1".into());
    asked.push(ids[0].clone());
    asked.push("unknown-2".into());
    let out = client(&emu)
        .disconnect_sessions(&h, &asked, 2, &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(out.len(), 5, "{out:?}");
    for r in &out {
        let want = if r.session_id.starts_with("unknown") {
            "NotFound"
        } else {
            "Disconnected"
        };
        assert_eq!(r.state, want, "{r:?}");
        assert_ne!(r.state, SessionDisconnectResult::NOT_REPORTED);
    }
    // 5 distinct ids in chunks of 2: 3 requests.
    assert_eq!(emu.count_all("disconnectActiveSessions"), 3);
    assert_eq!(truth_sessions(&emu, &h).len(), 2);
    // A second attempt is harmless: the ids are reported NotFound.
    let again = client(&emu)
        .disconnect_sessions(&h, &ids, 1000, &OperationContext::new())
        .await
        .unwrap();
    assert!(again.iter().all(|r| r.state == "NotFound"), "{again:?}");
}

#[tokio::test]
async fn discovery_by_subscription_and_resource_group_is_paged() {
    // 25 hosts, 10 per group (rg-0, rg-1, rg-2), 4 per page.
    let emu = bastion_emulator::spawn(EmulatorConfig {
        settings: Settings {
            page_size: 4,
            ..settings()
        },
        scenario: Scenario::generated(25, 1, 10, 1),
    });
    let c = client(&emu);
    let ctx = OperationContext::new();
    let all = c
        .list_hosts(
            &HostScope {
                subscription_ids: vec![SUB.into()],
                resource_group_name: None,
            },
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 25);
    assert!(all.iter().all(|h| h.location.is_some() && h.sku.is_some()));
    assert!(
        emu.count_all("listHostsBySubscription") >= 7,
        "{}",
        emu.stats()
    );
    let rg1 = c
        .list_hosts(
            &HostScope {
                subscription_ids: vec![SUB.into()],
                resource_group_name: Some("rg-1".into()),
            },
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(rg1.len(), 10);
    assert!(rg1.iter().all(|h| h.resource_group_name == "rg-1"));
    let one = c.get_host(&rg1[0].host_ref(), &ctx).await.unwrap();
    assert_eq!(one, rg1[0]);
}

#[tokio::test]
async fn tls_emulator_with_its_certificate_as_extra_ca() {
    let emu =
        bastion_emulator::spawn_tls(EmulatorConfig::generated(1, 2).with_settings(settings()));
    let mut o = options(&emu);
    o.extra_ca_pem = emu.certificate_pem().map(str::to_string);
    let s = BastionClient::new(o)
        .unwrap()
        .list_sessions(&hosts(&emu)[0], &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(s.len(), 2);
    let mut o = options(&emu);
    o.retry.max_retries = 0;
    let e = BastionClient::new(o)
        .unwrap()
        .list_sessions(&hosts(&emu)[0], &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arm_like_throttling_is_ridden_out() {
    let mut s = settings();
    s.throttle = true;
    s.throttle_settings.write_capacity = 5.0;
    s.throttle_settings.write_refill_per_sec = 20.0;
    s.polls = 0;
    let emu = emulator(20, 1, s);
    let ctx = OperationContext::new();
    let outcomes: Vec<_> = client(&emu)
        .list_sessions_many(hosts(&emu), 20, &ctx)
        .collect()
        .await;
    assert!(
        outcomes.iter().all(|o| o.result.is_ok()),
        "{:?}",
        outcomes.iter().find(|o| o.result.is_err())
    );
    assert!(
        emu.stats()["throttled"].as_u64().unwrap() > 0,
        "{}",
        emu.stats()
    );
    assert!(ctx.stats.retries() > 0);
}

#[tokio::test]
async fn discovery_over_a_known_and_an_unknown_subscription_lists_the_known_one() {
    // 6 hosts in 2 subscriptions (3 groups of 2, round-robin: sub 0 has rg-0 and rg-2).
    let emu = bastion_emulator::spawn(EmulatorConfig {
        settings: settings(),
        scenario: Scenario::generated(6, 1, 2, 2),
    });
    let known = "00000000-0000-0000-0000-000000000002".to_string();
    let unknown = "00000000-0000-0000-0000-0000000000ff";
    let c = client(&emu);
    let ctx = OperationContext::new();
    let outcomes = c
        .discover_hosts(
            &HostScope {
                subscription_ids: vec![unknown.into(), known.clone()],
                resource_group_name: None,
            },
            &ctx,
        )
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 2);
    assert_eq!(outcomes[0].subscription_id, unknown);
    let e = outcomes[0].result.as_ref().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert_eq!(e.arm_code(), Some("SubscriptionNotFound"));
    assert!(e.message().contains(unknown), "{e}");
    assert_eq!(outcomes[1].subscription_id, known);
    let hosts = outcomes[1].result.as_ref().unwrap();
    assert_eq!(hosts.len(), 2, "{hosts:?}");
    assert!(hosts.iter().all(|h| h.subscription_id == known));
    // The hosts found are real: their sessions can be listed.
    let sessions = c.list_sessions(&hosts[0].host_ref(), &ctx).await.unwrap();
    assert_eq!(sessions.len(), 1);
}
