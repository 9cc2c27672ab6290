//! The emulator's ARM behaviour, exercised over real HTTP with reqwest.

use bastion_emulator::{
    EmulatorConfig, FaultKind, HostBehaviour, HostSpec, ResourceGroupSpec, Scenario, ScriptedFault,
    Settings, SubscriptionSpec, spawn,
};
use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

const SUB: &str = "00000000-0000-0000-0000-000000000001";
const API: &str = "api-version=2025-07-01";

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder().no_proxy().build().unwrap()
}

fn host_url(base: &str, group: &str, host: &str) -> String {
    format!(
        "{base}/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Network/bastionHosts/{host}"
    )
}

fn post(url: &str, body: Option<Value>) -> Response {
    let mut request = client().post(url).bearer_auth("emulator-token");
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().unwrap()
}

fn get(url: &str) -> Response {
    client()
        .get(url)
        .bearer_auth("emulator-token")
        .send()
        .unwrap()
}

fn config(settings: Settings, hosts: Vec<HostSpec>) -> EmulatorConfig {
    EmulatorConfig {
        settings,
        scenario: Scenario {
            settings: None,
            subscriptions: vec![SubscriptionSpec {
                subscription_id: SUB.into(),
                resource_groups: vec![ResourceGroupSpec {
                    name: "rg".into(),
                    hosts,
                }],
            }],
        },
    }
}

fn host(name: &str, sessions: usize, behaviour: HostBehaviour) -> HostSpec {
    HostSpec {
        name: name.into(),
        location: "westeurope".into(),
        sku: "Standard".into(),
        behaviour,
        sessions: (0..sessions)
            .map(|i| json!({ "sessionId": format!("{name}-s{i}"), "userName": "u", "startedMinutesAgo": i }))
            .collect(),
    }
}

/// POSTs getActiveSessions, follows Location and nextLink; returns ids and the number of 202 polls.
fn list(base: &str, name: &str) -> (Vec<String>, usize) {
    let first = post(
        &format!("{}/getActiveSessions?{API}", host_url(base, "rg", name)),
        None,
    );
    let mut polls = 0;
    let mut response = first;
    while response.status() == StatusCode::ACCEPTED {
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(response.headers().contains_key("retry-after"));
        response = get(&location);
        polls += 1;
    }
    assert_eq!(response.status(), StatusCode::OK);
    let mut body: Value = response.json().unwrap();
    let mut ids = Vec::new();
    loop {
        ids.extend(
            body["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["sessionId"].as_str().unwrap().to_string()),
        );
        match body["nextLink"].as_str() {
            Some(next) => body = get(next).json().unwrap(),
            None => break,
        }
    }
    (ids, polls)
}

#[test]
fn get_active_sessions_polls_then_pages_every_session() {
    let settings = Settings {
        polls: 3,
        page_size: 4,
        ..Settings::default()
    };
    let emulator = spawn(config(
        settings,
        vec![host("bh", 10, HostBehaviour::Normal)],
    ));
    let (ids, polls) = list(&emulator.base_url(), "bh");
    assert_eq!(polls, 3 + 1, "three 202 polls and the final 200");
    assert_eq!(ids.len(), 10);
    assert_eq!(emulator.count("getActiveSessions", "202"), 1);
    assert_eq!(emulator.count("pollOperation", "202"), 3);
    assert_eq!(
        emulator.count("nextPage", "200"),
        2,
        "10 sessions at 4 a page"
    );
}

#[test]
fn bare_array_async_operation_and_headerless_202_modes() {
    let settings = Settings {
        polls: 1,
        async_operation_header: true,
        ..Settings::default()
    };
    let emulator = spawn(config(
        settings,
        vec![
            host("bare", 3, HostBehaviour::BareArray),
            host("noheader", 2, HostBehaviour::NoPollingHeaders),
        ],
    ));
    let base = emulator.base_url();
    let accepted = post(
        &format!("{}/getActiveSessions?{API}", host_url(&base, "rg", "bare")),
        None,
    );
    let status_url = accepted.headers()["azure-asyncoperation"]
        .to_str()
        .unwrap()
        .to_string();
    let location = accepted.headers()["location"].to_str().unwrap().to_string();
    let status: Value = get(&status_url).json().unwrap();
    assert_eq!(status["status"], "InProgress");
    let status: Value = get(&status_url).json().unwrap();
    assert_eq!(status["status"], "Succeeded");
    let body: Value = get(&location).json().unwrap();
    assert_eq!(
        body.as_array().map(Vec::len),
        Some(3),
        "a bare JSON array: {body}"
    );

    let url = format!(
        "{}/getActiveSessions?{API}",
        host_url(&base, "rg", "noheader")
    );
    let first = post(&url, None);
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert!(!first.headers().contains_key("location"));
    assert!(!first.headers().contains_key("azure-asyncoperation"));
    let again = post(&url, None);
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "the POST sent again completes"
    );
}

#[test]
fn lro_that_never_completes_and_next_link_loop() {
    let emulator = spawn(config(
        Settings {
            page_size: 1,
            ..Settings::default()
        },
        vec![
            host("stuck", 1, HostBehaviour::LroNeverCompletes),
            host("loop", 3, HostBehaviour::NextLinkLoop),
        ],
    ));
    let base = emulator.base_url();
    let accepted = post(
        &format!("{}/getActiveSessions?{API}", host_url(&base, "rg", "stuck")),
        None,
    );
    let location = accepted.headers()["location"].to_str().unwrap().to_string();
    for _ in 0..5 {
        assert_eq!(get(&location).status(), StatusCode::ACCEPTED);
    }
    let accepted = post(
        &format!("{}/getActiveSessions?{API}", host_url(&base, "rg", "loop")),
        None,
    );
    let location = accepted.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(get(&location).status(), StatusCode::ACCEPTED);
    let page: Value = get(&location).json().unwrap();
    let next = page["nextLink"].as_str().unwrap().to_string();
    let again: Value = get(&next).json().unwrap();
    assert_eq!(
        again["nextLink"].as_str(),
        Some(next.as_str()),
        "the page links to itself"
    );
}

#[test]
fn disconnect_reports_states_pages_and_removes_sessions() {
    let emulator = spawn(config(
        Settings {
            page_size: 2,
            polls: 0,
            ..Settings::default()
        },
        vec![host("bh", 4, HostBehaviour::Normal)],
    ));
    let base = emulator.base_url();
    let url = format!(
        "{}/disconnectActiveSessions?{API}",
        host_url(&base, "rg", "bh")
    );
    let body: Value = post(
        &url,
        Some(json!({ "sessionIds": ["bh-s0", "bh-s1", "ghost"] })),
    )
    .json()
    .unwrap();
    assert_eq!(body["value"].as_array().unwrap().len(), 2);
    assert_eq!(body["value"][0]["state"], "Disconnected");
    let rest: Value = get(body["nextLink"].as_str().unwrap()).json().unwrap();
    assert_eq!(rest["value"][0]["sessionId"], "ghost");
    assert_eq!(rest["value"][0]["state"], "NotFound");
    let (ids, _) = list(&base, "bh");
    assert_eq!(ids, vec!["bh-s2".to_string(), "bh-s3".to_string()]);
    // The bare array of old docs is accepted; a body without ids is a 400 in ARM's shape.
    let bare: Value = post(&url, Some(json!(["bh-s2"]))).json().unwrap();
    assert_eq!(bare["value"][0]["state"], "Disconnected");
    let bad = post(&url, Some(json!({ "ids": [] })));
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json::<Value>().unwrap()["error"]["code"],
        "InvalidRequestContent"
    );
    assert_eq!(emulator.truth()["total"], 1);
}

#[test]
fn arm_errors_auth_api_version_and_not_found() {
    let emulator = spawn(config(
        Settings::default(),
        vec![host("bh", 1, HostBehaviour::Normal)],
    ));
    let base = emulator.base_url();
    let unauthenticated = client()
        .post(format!(
            "{}/getActiveSessions?{API}",
            host_url(&base, "rg", "bh")
        ))
        .send()
        .unwrap();
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);
    assert!(
        unauthenticated.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer authorization_uri=")
    );
    assert!(unauthenticated.headers().contains_key("x-ms-request-id"));
    let wrong = client()
        .get(host_url(&base, "rg", "bh") + "?" + API)
        .bearer_auth("nope")
        .send()
        .unwrap();
    assert_eq!(
        wrong.json::<Value>().unwrap()["error"]["code"],
        "InvalidAuthenticationToken"
    );
    let no_version = get(&host_url(&base, "rg", "bh"));
    assert_eq!(no_version.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        no_version.json::<Value>().unwrap()["error"]["code"],
        "MissingApiVersionParameter"
    );
    for (url, code) in [
        (
            format!(
                "{base}/subscriptions/ffffffff-0000-0000-0000-000000000000/providers/Microsoft.Network/bastionHosts?{API}"
            ),
            "SubscriptionNotFound",
        ),
        (
            format!("{}?{API}", host_url(&base, "rg-missing", "bh")),
            "ResourceGroupNotFound",
        ),
        (
            format!("{}?{API}", host_url(&base, "rg", "missing")),
            "ResourceNotFound",
        ),
    ] {
        let response = get(&url);
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{url}");
        assert_eq!(response.json::<Value>().unwrap()["error"]["code"], code);
    }
    // Case-insensitive like ARM.
    assert_eq!(
        get(&format!("{}?{API}", host_url(&base, "RG", "BH"))).status(),
        StatusCode::OK
    );
}

#[test]
fn host_listing_pages_by_subscription_and_group() {
    let mut cfg = EmulatorConfig::generated(25, 0);
    cfg.settings.page_size = 10;
    let emulator = spawn(cfg);
    let base = emulator.base_url();
    let mut url =
        format!("{base}/subscriptions/{SUB}/providers/Microsoft.Network/bastionHosts?{API}");
    let mut names = Vec::new();
    loop {
        let page: Value = get(&url).json().unwrap();
        names.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["name"].as_str().unwrap().to_string()),
        );
        match page["nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => break,
        }
    }
    assert_eq!(names.len(), 25);
    let group: Value = get(&format!("{base}/subscriptions/{SUB}/resourceGroups/rg-2/providers/Microsoft.Network/bastionHosts?{API}")).json().unwrap();
    assert_eq!(
        group["value"].as_array().unwrap().len(),
        5,
        "hosts 20..24 are in rg-2"
    );
    assert_eq!(group["value"][0]["type"], "Microsoft.Network/bastionHosts");
    assert_eq!(emulator.count_all("listHostsBySubscription"), 3);
}

#[test]
fn scripted_faults_and_reset() {
    let emulator = spawn(config(
        Settings {
            polls: 0,
            ..Settings::default()
        },
        vec![host("bh", 1, HostBehaviour::Normal)],
    ));
    let url = format!(
        "{}/getActiveSessions?{API}",
        host_url(&emulator.base_url(), "rg", "bh")
    );
    emulator.script_faults([
        ScriptedFault {
            operation: Some("getActiveSessions".into()),
            fault: FaultKind::TooManyRequests,
            count: 1,
        },
        ScriptedFault {
            operation: Some("getActiveSessions".into()),
            fault: FaultKind::ServiceUnavailable,
            count: 1,
        },
        ScriptedFault {
            operation: None,
            fault: FaultKind::InternalServerError,
            count: 1,
        },
        ScriptedFault {
            operation: None,
            fault: FaultKind::DropConnection,
            count: 1,
        },
    ]);
    let throttled = post(&url, None);
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.headers()["retry-after"], "1");
    assert_eq!(post(&url, None).status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(post(&url, None).status(), StatusCode::INTERNAL_SERVER_ERROR);
    let dropped = client()
        .post(&url)
        .bearer_auth("emulator-token")
        .send()
        .and_then(|r| r.text());
    assert!(dropped.is_err(), "the body breaks off: {dropped:?}");
    assert_eq!(post(&url, None).status(), StatusCode::OK);
    assert_eq!(emulator.stats()["faultsInjected"], 4);
    assert_eq!(emulator.count("getActiveSessions", "dropped"), 1);
    emulator.reset();
    assert_eq!(emulator.stats()["total"], 0);
}

#[test]
fn fault_rate_injects_faults_and_throttle_answers_429_with_budget_headers() {
    let mut settings = Settings {
        fault_rate: 0.5,
        polls: 0,
        ..Settings::default()
    };
    let emulator = spawn(config(
        settings.clone(),
        vec![host("bh", 1, HostBehaviour::Normal)],
    ));
    let url = format!("{}?{API}", host_url(&emulator.base_url(), "rg", "bh"));
    let failures = (0..100)
        .filter(|_| {
            let response = client().get(&url).bearer_auth("emulator-token").send();
            !response.is_ok_and(|r| r.status() == StatusCode::OK && r.text().is_ok())
        })
        .count();
    assert!(
        (25..75).contains(&failures),
        "{failures} of 100 failed at rate 0.5"
    );
    drop(emulator);

    settings.fault_rate = 0.0;
    settings.throttle = true;
    settings.throttle_settings.write_capacity = 3.0;
    settings.throttle_settings.write_refill_per_sec = 0.5;
    let emulator = spawn(config(settings, vec![host("bh", 1, HostBehaviour::Normal)]));
    let url = format!(
        "{}/getActiveSessions?{API}",
        host_url(&emulator.base_url(), "rg", "bh")
    );
    let remaining: Vec<String> = (0..3)
        .map(|_| {
            post(&url, None).headers()["x-ms-ratelimit-remaining-subscription-writes"]
                .to_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(remaining, ["2", "1", "0"]);
    let refused = post(&url, None);
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["retry-after"], "2");
    assert_eq!(emulator.stats()["throttled"], 1);
    // Reads have their own bucket.
    let read = get(&format!(
        "{}?{API}",
        host_url(&emulator.base_url(), "rg", "bh")
    ));
    assert_eq!(
        read.headers()["x-ms-ratelimit-remaining-subscription-reads"],
        "249"
    );
}

#[test]
fn managed_identity_endpoint_mints_tokens_that_expire() {
    let settings = Settings {
        token_ttl_sec: 1,
        polls: 0,
        ..Settings::default()
    };
    let emulator = spawn(config(settings, vec![host("bh", 1, HostBehaviour::Normal)]));
    let base = emulator.base_url();
    let msi = format!(
        "{base}/_emulator/msi/token?resource=https%3A%2F%2Fmanagement.azure.com&api-version=2019-08-01"
    );
    assert_eq!(
        client().get(&msi).send().unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let token: Value = client()
        .get(&msi)
        .header("X-IDENTITY-HEADER", "emulator-identity-header")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        token["expires_on"].is_string(),
        "App Service style: epoch seconds as a string"
    );
    let access = token["access_token"].as_str().unwrap().to_string();
    let host = format!("{}?{API}", host_url(&base, "rg", "bh"));
    assert_eq!(
        client()
            .get(&host)
            .bearer_auth(&access)
            .send()
            .unwrap()
            .status(),
        StatusCode::OK
    );
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let expired = client().get(&host).bearer_auth(&access).send().unwrap();
    assert_eq!(expired.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.json::<Value>().unwrap()["error"]["code"],
        "ExpiredAuthenticationToken"
    );
    assert_eq!(emulator.count("msiToken", "200"), 1);
}

#[test]
fn failing_hosts_answer_their_scripted_errors() {
    let emulator = spawn(config(
        Settings::default(),
        vec![
            host("broken", 1, HostBehaviour::AlwaysFail500),
            host("denied", 1, HostBehaviour::Forbidden),
        ],
    ));
    let base = emulator.base_url();
    assert_eq!(
        post(
            &format!(
                "{}/getActiveSessions?{API}",
                host_url(&base, "rg", "broken")
            ),
            None
        )
        .status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let denied = post(
        &format!(
            "{}/getActiveSessions?{API}",
            host_url(&base, "rg", "denied")
        ),
        None,
    );
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    let body: Value = denied.json().unwrap();
    assert_eq!(body["error"]["code"], "AuthorizationFailed");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("getactivesessions/action")
    );
}

#[test]
fn failing_hosts_answer_their_scripted_errors_whatever_the_fault_rate() {
    // Every request is faulted at rate 1.0, except those to a host scripted to fail: a
    // client that gives up on such a host must end with its scripted status.
    let emulator = spawn(config(
        Settings {
            fault_rate: 1.0,
            ..Settings::default()
        },
        vec![
            host("broken", 1, HostBehaviour::AlwaysFail500),
            host("denied", 1, HostBehaviour::Forbidden),
            host("fine", 1, HostBehaviour::Normal),
        ],
    ));
    let base = emulator.base_url();
    for _ in 0..20 {
        let broken = format!(
            "{}/getActiveSessions?{API}",
            host_url(&base, "rg", "broken")
        );
        assert_eq!(
            post(&broken, None).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        let denied = get(&format!("{}?{API}", host_url(&base, "rg", "denied")));
        assert_eq!(denied.status(), StatusCode::FORBIDDEN);
        let body: Value = denied.json().unwrap();
        assert_eq!(body["error"]["code"], "AuthorizationFailed");
    }
    assert_eq!(emulator.stats()["faultsInjected"], 0);
    let fine = client()
        .get(format!("{}?{API}", host_url(&base, "rg", "fine")))
        .bearer_auth("emulator-token")
        .send();
    assert!(
        !fine.is_ok_and(|r| r.status() == StatusCode::OK && r.text().is_ok()),
        "a normal host is still faulted"
    );
    assert_eq!(emulator.stats()["faultsInjected"], 1);
}

#[test]
fn malformed_body_host_completes_with_a_body_that_is_not_json() {
    let emulator = spawn(config(
        Settings::default(),
        vec![host("garbled", 2, HostBehaviour::MalformedBody)],
    ));
    let base = emulator.base_url();
    let host = host_url(&base, "rg", "garbled");
    // Only the operation's result is garbled: the host itself reads normally.
    assert_eq!(get(&format!("{host}?{API}")).status(), StatusCode::OK);
    let accepted = post(&format!("{host}/getActiveSessions?{API}"), None);
    assert_eq!(accepted.status(), StatusCode::ACCEPTED);
    let location = accepted.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(get(&location).status(), StatusCode::ACCEPTED);
    let done = get(&location);
    assert_eq!(done.status(), StatusCode::OK);
    assert!(
        done.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let text = done.text().unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
}

#[test]
fn faults_scripted_over_http_and_admin_endpoints_need_no_token() {
    let emulator = spawn(config(
        Settings {
            polls: 0,
            ..Settings::default()
        },
        vec![host("bh", 2, HostBehaviour::Normal)],
    ));
    let base = emulator.base_url();
    let scripted: Value = client()
        .post(format!("{base}/_emulator/faults"))
        .json(&json!([{ "operation": "getHost", "fault": "500", "count": 2 }]))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(scripted["scripted"], 1);
    let single = client()
        .post(format!("{base}/_emulator/faults"))
        .json(&json!({ "operation": "*", "fault": "503" }))
        .send()
        .unwrap();
    assert_eq!(single.status(), StatusCode::OK);
    let bad = client()
        .post(format!("{base}/_emulator/faults"))
        .json(&json!({ "fault": "418" }))
        .send()
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let url = format!("{}?{API}", host_url(&base, "rg", "bh"));
    let statuses: Vec<u16> = (0..4).map(|_| get(&url).status().as_u16()).collect();
    assert_eq!(
        statuses,
        [500, 500, 503, 200],
        "getHost faults first, then the wildcard"
    );
    let failed = get(&url);
    assert!(failed.headers().contains_key("x-ms-request-id"));
    let stats: Value = client()
        .get(format!("{base}/_emulator/stats"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(stats["total"], 5);
    assert_eq!(stats["byOperation"]["getHost"]["500"], 2);
    assert_eq!(stats["byOperation"]["getHost"]["503"], 1);
    assert_eq!(stats["byOperation"]["getHost"]["200"], 2);
    assert_eq!(stats["byOperation"]["getHost"]["total"], 5);
    assert_eq!(stats["faultsInjected"], 3);
    assert_eq!(stats["sessionsRemaining"], 2);
    let truth: Value = client()
        .get(format!("{base}/_emulator/sessions"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(truth["hosts"][0]["sessions"][1]["sessionId"], "bh-s1");
    let reset = client()
        .post(format!("{base}/_emulator/reset"))
        .send()
        .unwrap();
    assert!(reset.status().is_success());
    assert_eq!(emulator.stats()["total"], 0);
    // The handle's shortcut scripts the same way.
    emulator.script_fault("getHost", FaultKind::TooManyRequests, 1);
    assert_eq!(get(&url).status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(get(&url).status(), StatusCode::OK);
}

#[test]
fn every_answer_carries_request_and_correlation_ids_and_403_names_the_action() {
    let emulator = spawn(config(
        Settings::default(),
        vec![host("denied", 1, HostBehaviour::Forbidden)],
    ));
    let base = emulator.base_url();
    let response = client()
        .get(format!("{}?{API}", host_url(&base, "rg", "denied")))
        .bearer_auth("emulator-token")
        .header("x-ms-correlation-request-id", "corr-1")
        .send()
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers()["x-ms-correlation-request-id"], "corr-1");
    assert_eq!(response.headers()["x-ms-request-id"].len(), 36);
    let body: Value = response.json().unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'Microsoft.Network/bastionHosts/read'"),
        "{body}"
    );
    let disconnect: Value = post(
        &format!(
            "{}/disconnectActiveSessions?{API}",
            host_url(&base, "rg", "denied")
        ),
        Some(json!({ "sessionIds": ["x"] })),
    )
    .json()
    .unwrap();
    assert!(
        disconnect["error"]["message"]
            .as_str()
            .unwrap()
            .contains("disconnectactivesessions/action")
    );
    for url in [
        format!("{base}/nothing/here"),
        format!("{base}/_emulator/stats"),
    ] {
        let r = client().get(&url).send().unwrap();
        assert!(r.headers().contains_key("x-ms-request-id"), "{url}");
        assert!(
            r.headers().contains_key("x-ms-correlation-request-id"),
            "{url}"
        );
    }
}

#[test]
fn msi_endpoint_can_answer_expires_on_as_a_number_and_checks_its_secret() {
    let emulator = spawn(config(
        Settings {
            msi_expires_on_number: true,
            identity_header: "s3cret".into(),
            ..Settings::default()
        },
        vec![host("bh", 1, HostBehaviour::Normal)],
    ));
    let msi = format!(
        "{}/_emulator/msi/token?resource=https://management.azure.com/&api-version=2019-08-01",
        emulator.base_url()
    );
    let wrong = client()
        .get(&msi)
        .header("X-IDENTITY-HEADER", "emulator-identity-header")
        .send()
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let token: Value = client()
        .get(&msi)
        .header("X-IDENTITY-HEADER", "s3cret")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(token["expires_on"].is_u64(), "{token}");
    assert_eq!(token["access_token"], "emulator-token");
    assert_eq!(token["token_type"], "Bearer");
    assert_eq!(token["resource"], "https://management.azure.com/");
}

#[test]
fn generated_sessions_look_like_real_ones() {
    let emulator = spawn(EmulatorConfig::generated(20, 10));
    let truth = emulator.truth();
    let sessions: Vec<&Value> = truth["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["sessions"].as_array().unwrap())
        .collect();
    assert_eq!(sessions.len(), 200);
    let count = |f: &dyn Fn(&Value) -> bool| sessions.iter().filter(|s| f(s)).count();
    assert!(count(&|s| s["userName"] == "") > 0, "some empty user names");
    assert!(count(&|s| s["userName"] == "alice@contoso.com") > 0);
    assert!(count(&|s| s["resourceType"] == "VMSS") > 0);
    assert!(count(&|s| s["protocol"] == "RDP") > 0);
    assert!(count(&|s| s["protocol"] == "SSH") > 0);
    assert!(count(&|s| s["sessionDurationInMins"].is_f64()) > 0);
    assert!(count(&|s| s["sessionDurationInMins"].is_u64()) > 0);
    assert!(count(&|s| s["startTime"].as_str().unwrap().ends_with("+02:00")) > 0);
    assert!(count(&|s| s["startTime"].as_str().unwrap().ends_with(".0000Z")) > 0);
    let ids: std::collections::HashSet<&str> = sessions
        .iter()
        .map(|s| s["sessionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 200, "session ids are unique");
}

#[test]
fn wait_headers_and_always_throttled_hosts_send_hostile_values_as_written() {
    let wait_headers = [
        ("slow", [("retry-after-ms", "1e30")]),
        ("busy", [("Retry-After", "99999999999")]),
    ]
    .into_iter()
    .map(|(h, w)| {
        (
            h.to_string(),
            w.into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    })
    .collect();
    let settings = Settings {
        wait_headers,
        ..Settings::default()
    };
    let emulator = spawn(config(
        settings,
        vec![
            host("slow", 1, HostBehaviour::Normal),
            host("busy", 1, HostBehaviour::AlwaysThrottled),
            host("plain", 1, HostBehaviour::Normal),
        ],
    ));
    let base = emulator.base_url();
    let start = |name: &str| {
        post(
            &format!("{}/getActiveSessions?{API}", host_url(&base, "rg", name)),
            None,
        )
    };
    // The 202 of a host with wait headers carries them instead of Retry-After.
    let slow = start("slow");
    assert_eq!(slow.status(), StatusCode::ACCEPTED);
    assert_eq!(slow.headers()["retry-after-ms"], "1e30");
    assert!(slow.headers().get("retry-after").is_none());
    // Every request about an alwaysThrottled host is a 429 with its wait headers.
    for _ in 0..3 {
        let busy = start("busy");
        assert_eq!(busy.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(busy.headers()["retry-after"], "99999999999");
        let body: Value = busy.json().unwrap();
        assert_eq!(body["error"]["code"], "TooManyRequests");
    }
    // Other hosts keep the configured Retry-After.
    assert_eq!(start("plain").headers()["retry-after"], "1");
}
