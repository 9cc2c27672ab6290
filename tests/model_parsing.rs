//! Property tests over the model that ARM's answers and the caller's input go through:
//!
//! - any JSON value offered as a session parses or yields an `invalidResponse` error that
//!   names the field, and never panics; whatever parses serialises again;
//! - any string offered as a Bastion host resource id parses or is refused with an
//!   `invalidRequest` error, never panics, and a host that is accepted can only ever address
//!   its own `.../bastionHosts/{name}/...` path: no `..`, `\`, `%2e`, tab or newline in a
//!   name may move the request to another resource (the URL is built the way the client
//!   builds it, by joining the resource id onto the endpoint);
//! - the same holds for hosts read from ARM's discovery answers.
//!
//! A concrete end-to-end check sends the nastiest names through the real client to a
//! loopback server and looks at the paths it receives.

mod common;

use bastion_session::{BastionHost, BastionSession, ErrorKind, HostRef, OperationContext};
use common::{Reply, ScriptServer, client};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use url::Url;

const SESSION_FIELDS: &[&str] = &[
    "sessionId",
    "startTime",
    "targetSubscriptionId",
    "resourceType",
    "targetHostName",
    "targetResourceGroup",
    "userName",
    "targetIpAddress",
    "protocol",
    "targetResourceId",
    "sessionDurationInMins",
];

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,24}".prop_map(Value::String),
        // Near misses for the lenient time and number parsers.
        "[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}T[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\\.[0-9]{0,9})?Z?"
            .prop_map(Value::String),
        "[ +-]?[0-9]{0,6}(\\.[0-9]{0,6})?([eE][+-]?[0-9]{1,4})?".prop_map(Value::String),
        Just(json!("NaN")),
        Just(json!("inf")),
        Just(json!("1e999")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,8}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A JSON object whose keys are mostly the session's own, with any values.
fn session_like() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        4 => prop::sample::select(SESSION_FIELDS).prop_map(str::to_string),
        1 => "\\PC{0,12}",
    ];
    prop::collection::vec((key, any_json()), 0..14)
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()))
}

/// One path segment a caller or a hostile answer might use as a name.
fn nasty_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_.-]{1,12}",
        "\\PC{1,12}",
        prop::sample::select(vec![
            ".",
            "..",
            "...",
            "%2e",
            "%2e%2e",
            "%2E.",
            ".%2e",
            "a\\..\\..",
            "..\\x",
            "\\",
            "a\tb",
            "a\nb",
            "a\rb",
            " ",
            "x y",
            "ünï",
            "a%2fb",
            "a%5cb",
            "a;b",
            "a?b",
            "a#b",
            "%",
            "%zz",
            "\u{0}",
            "\u{7f}",
            "a/b",
            "",
        ])
        .prop_map(str::to_string),
    ]
}

fn resource_id(sub: &str, rg: &str, name: &str) -> String {
    format!(
        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/bastionHosts/{name}"
    )
}

/// The URL the client builds for `getActiveSessions` on `host` (endpoint joined with the
/// host's resource id, as `Arm::url_for` does).
fn action_url(host: &HostRef) -> Url {
    Url::parse("https://management.azure.com/")
        .unwrap()
        .join(format!("{}/getActiveSessions", host.resource_id()).trim_start_matches('/'))
        .expect("a URL can be built for an accepted host")
}

/// The request for `host` must stay on `host`: the same 9 segments, no query, no fragment.
fn assert_stays_on_host(host: &HostRef) -> Result<(), TestCaseError> {
    let url = action_url(host);
    let segments: Vec<&str> = url.path_segments().unwrap().collect();
    prop_assert_eq!(segments.len(), 9, "{:?} -> {}", host, url);
    prop_assert_eq!(segments[0], "subscriptions");
    prop_assert_eq!(segments[2], "resourceGroups");
    prop_assert_eq!(segments[4], "providers");
    prop_assert_eq!(segments[5], "Microsoft.Network");
    prop_assert_eq!(segments[6], "bastionHosts");
    prop_assert_eq!(segments[8], "getActiveSessions");
    prop_assert!(url.query().is_none(), "{:?} -> {}", host, url);
    prop_assert!(url.fragment().is_none(), "{:?} -> {}", host, url);
    // Each part arrives as itself (percent-decoding gives the name back).
    for (i, part) in [
        (1, &host.subscription_id),
        (3, &host.resource_group_name),
        (7, &host.name),
    ] {
        let decoded = percent_decode(segments[i]);
        prop_assert_eq!(&decoded, part, "{:?} -> {}", host, url);
    }
    Ok(())
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() && s.is_char_boundary(i + 3) {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_json_as_a_session_parses_or_names_the_problem(value in any_json()) {
        check_session(&value)?;
    }

    #[test]
    fn any_session_like_object_parses_or_names_the_field(value in session_like()) {
        check_session(&value)?;
    }

    #[test]
    fn any_string_as_a_resource_id_is_accepted_safely_or_refused(s in "\\PC{0,120}") {
        check_resource_id(&s)?;
    }

    #[test]
    fn resource_ids_with_nasty_segments_are_accepted_safely_or_refused(
        sub in nasty_segment(), rg in nasty_segment(), name in nasty_segment(),
        trailing in prop::sample::select(vec!["", "/", "//", "/x", "?a=b", "#f"]),
    ) {
        check_resource_id(&format!("{}{trailing}", resource_id(&sub, &rg, &name)))?;
    }

    #[test]
    fn host_parts_with_nasty_segments_are_accepted_safely_or_refused(
        sub in nasty_segment(), rg in nasty_segment(), name in nasty_segment(),
    ) {
        match HostRef::new(sub, rg, name) {
            Ok(host) => assert_stays_on_host(&host)?,
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidRequest),
        }
    }

    #[test]
    fn discovered_hosts_are_accepted_safely_or_refused(
        sub in nasty_segment(), rg in nasty_segment(), id_name in nasty_segment(),
        name in prop_oneof![Just(None), nasty_segment().prop_map(Some)],
        extra in any_json(),
    ) {
        let mut obj = json!({
            "id": resource_id(&sub, &rg, &id_name),
            "location": "westeurope",
            "sku": {"name": "Standard"},
            "properties": extra,
        });
        if let Some(n) = name {
            obj["name"] = json!(n);
        }
        match BastionHost::from_arm_json(&obj) {
            Ok(host) => {
                let r = host.host_ref();
                assert_stays_on_host(&r)?;
                // The host is addressed by its id, whatever its `name` field says.
                prop_assert!(
                    r.resource_id().eq_ignore_ascii_case(&host.id),
                    "name {:?} moves the host away from its id {}", host.name, host.id
                );
            }
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidResponse),
        }
    }

    #[test]
    fn any_json_as_a_discovered_host_parses_or_names_the_problem(value in any_json()) {
        if let Err(e) = BastionHost::from_arm_json(&value) {
            prop_assert_eq!(e.kind(), ErrorKind::InvalidResponse);
            prop_assert!(!e.message().is_empty());
        }
    }
}

fn check_session(value: &Value) -> Result<(), TestCaseError> {
    match BastionSession::from_arm_json(value) {
        Ok(session) => {
            // Whatever parses can be handed out again.
            let out = serde_json::to_value(&session).expect("a parsed session serialises");
            prop_assert!(out.is_object());
            if session.start_time.is_some() {
                prop_assert!(session.start_time_raw.is_some());
            }
            if let Some(d) = session.session_duration_in_mins {
                prop_assert!(d.is_finite(), "duration {d}");
            }
        }
        Err(e) => {
            prop_assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{}", e);
            let message = e.message();
            let named = !value.is_object()
                || SESSION_FIELDS
                    .iter()
                    .any(|f| message.contains(&format!("'{f}'")));
            prop_assert!(named, "the error does not name the field: {}", message);
            prop_assert!(
                message.len() < 1000,
                "the message is unbounded: {} bytes",
                message.len()
            );
        }
    }
    Ok(())
}

fn check_resource_id(s: &str) -> Result<(), TestCaseError> {
    match s.parse::<HostRef>() {
        Ok(host) => {
            assert_stays_on_host(&host)?;
            // Parsing what it prints gives the same host.
            let again: HostRef = host.resource_id().parse().expect("round trip");
            prop_assert_eq!(again, host);
        }
        Err(e) => {
            prop_assert_eq!(e.kind(), ErrorKind::InvalidRequest);
            prop_assert!(e.message().len() < 1000, "unbounded message");
        }
    }
    Ok(())
}

/// The real client, the real URL: names that would climb out of the host's path must be
/// refused before any request, or arrive at the server as the host's own path.
#[tokio::test]
async fn traversal_names_never_reach_another_resource() {
    let srv = ScriptServer::start(|_, _| Reply::json(200, json!({"value": []})));
    let c = client(&srv.base);
    for name in [
        "..",
        "%2e%2e",
        ".%2E",
        "bh-0\\..\\..\\..\\x",
        "..\\bh-1",
        "bh\t-0",
        "bh\n-0",
        ".",
    ] {
        let id = resource_id("00000000-0000-0000-0000-000000000001", "rg-0", name);
        let host = match id.parse::<HostRef>() {
            Ok(h) => h,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{name:?}");
                continue;
            }
        };
        let before = srv.requests().len();
        let _ = c.list_sessions(&host, &OperationContext::new()).await;
        for r in &srv.requests()[before..] {
            let path = r.path().to_string();
            assert!(
                path.contains("/providers/Microsoft.Network/bastionHosts/")
                    && path.ends_with("/getActiveSessions"),
                "name {name:?} sent a request to {path}"
            );
        }
    }
}
