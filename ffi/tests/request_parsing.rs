//! Property tests at the C ABI: arbitrary requests through the exports (called in-process,
//! exactly as C calls them) never panic, never crash and always answer with a well-formed
//! envelope: `schemaVersion` 1, `ok` a boolean, an error with a kind from the contract, a
//! numeric code in the kind's band, a message, and `expected` never false (false would mean
//! the library panicked or hit a bug). No answer ever echoes the request's token.
//!
//! Nothing here reaches a network: every request that parses as an object has its
//! `armEndpoint` and `proxy` pinned to a loopback port where nothing listens, its credential
//! forced to an access token, its `environment` and the debug-only `_panic` hook removed.

use std::ffi::{CStr, CString, c_char};

use proptest::prelude::*;
use serde_json::{Map, Value, json};

// The exports, resolved from the linked rlib (the same symbols the cdylib exports).
use bastion_session_ffi as _;
unsafe extern "C" {
    fn bastion_get_sessions(request_json: *const c_char) -> *mut c_char;
    fn bastion_disconnect_sessions(request_json: *const c_char) -> *mut c_char;
    fn bastion_list_hosts(request_json: *const c_char) -> *mut c_char;
    fn bastion_poll_progress(operation_id: *const c_char) -> *mut c_char;
    fn bastion_cancel(operation_id: *const c_char) -> i32;
    fn bastion_string_free(s: *mut c_char);
}

type Export = unsafe extern "C" fn(*const c_char) -> *mut c_char;

const CANARY: &str = "proptest-canary-token-0c5d8e21";
const DEAD_END: &str = "http://127.0.0.1:9";

const KINDS: &[(&str, u64)] = &[
    ("invalidArgument", 1001),
    ("invalidRequest", 1002),
    ("unsupportedSchema", 1003),
    ("auth", 2001),
    ("forbidden", 2002),
    ("notFound", 2004),
    ("conflict", 2009),
    ("throttled", 2029),
    ("server", 2050),
    ("http", 2099),
    ("timeout", 3001),
    ("cancelled", 3002),
    ("transport", 3003),
    ("invalidResponse", 3004),
    ("insecureEndpoint", 3005),
];

const FIELDS: &[&str] = &[
    "schemaVersion",
    "operationId",
    "credential",
    "armEndpoint",
    "environment",
    "apiVersion",
    "timeoutSec",
    "concurrency",
    "maxRetries",
    "pollIntervalMinSec",
    "pollIntervalMaxSec",
    "extraCaCertificatePem",
    "proxy",
    "streamResults",
    "hosts",
    "scope",
    "targets",
    "chunkSize",
];

fn exports() -> [Export; 3] {
    [
        bastion_get_sessions,
        bastion_disconnect_sessions,
        bastion_list_hosts,
    ]
}

/// Calls an export with `bytes` as C would see them (up to the first NUL) and checks the
/// envelope; returns it.
fn call(export: Export, bytes: &[u8]) -> Value {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let arg = CString::new(&bytes[..end]).unwrap();
    // SAFETY: a valid NUL-terminated string alive for the call.
    let out = unsafe { export(arg.as_ptr()) };
    assert!(!out.is_null(), "an export returned null");
    // SAFETY: the library returns a NUL-terminated string we own until freed.
    let text = unsafe { CStr::from_ptr(out) }
        .to_str()
        .expect("envelope is UTF-8")
        .to_owned();
    // SAFETY: returned by the library, freed once.
    unsafe { bastion_string_free(out) };
    assert!(
        !text.contains(CANARY),
        "the envelope echoes the token: {text}"
    );
    let envelope: Value = serde_json::from_str(&text).expect("envelope is JSON");
    check_envelope(&envelope, &text);
    envelope
}

fn check_envelope(envelope: &Value, text: &str) {
    assert_eq!(envelope["schemaVersion"], json!(1), "{text}");
    let ok = envelope["ok"].as_bool().expect("ok is a boolean");
    if ok {
        assert!(envelope["data"].is_object(), "{text}");
        return;
    }
    let error = &envelope["error"];
    let kind = error["kind"].as_str().expect("error.kind");
    let code = error["code"].as_u64().expect("error.code");
    assert_ne!(
        error["expected"],
        json!(false),
        "the library faulted: {text}"
    );
    assert!(
        KINDS.contains(&(kind, code)),
        "kind {kind} with code {code} is not in the contract: {text}"
    );
    let message = error["message"].as_str().expect("error.message");
    assert!(!message.is_empty(), "{text}");
}

/// Any JSON value, a few levels deep, with strings that look like what requests carry.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-5i64..100_000).prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,20}".prop_map(Value::String),
        prop::sample::select(vec![
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-0",
            "/subscriptions/x/resourceGroups/../providers/Microsoft.Network/bastionHosts/..",
            "00000000-0000-0000-0000-000000000001",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "AzureCloud",
            "2025-07-01",
            "accessToken",
            "clientSecret",
            "managedIdentity",
            "",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(vec![
                            "resourceId",
                            "subscriptionId",
                            "resourceGroupName",
                            "name",
                            "subscriptionIds",
                            "hostResourceId",
                            "sessionIds",
                            "type",
                            "token",
                        ])
                        .prop_map(str::to_string),
                        "\\PC{0,8}",
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A request-shaped object: mostly the contract's own fields, any values.
fn request_like() -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![
        6 => prop::sample::select(FIELDS).prop_map(str::to_string),
        1 => "\\PC{0,10}",
    ];
    prop::collection::vec((key, any_json()), 0..10).prop_map(|kv| kv.into_iter().collect())
}

/// Pins everything that decides where the library connects or which credential it runs.
fn pin(mut request: Map<String, Value>) -> Map<String, Value> {
    request.insert("armEndpoint".into(), json!(DEAD_END));
    request.insert("proxy".into(), json!(DEAD_END));
    request.remove("environment");
    request.remove("_panic");
    let credential = match request.remove("credential") {
        Some(Value::Object(mut c)) => {
            c.insert("type".into(), json!("accessToken"));
            c.insert("token".into(), json!(CANARY));
            Value::Object(c)
        }
        Some(other) if !other.is_null() => other,
        _ => json!({"type": "accessToken", "token": CANARY}),
    };
    request.insert("credential".into(), credential);
    if request
        .get("timeoutSec")
        .and_then(Value::as_i64)
        .is_some_and(|t| t > 2)
    {
        request.insert("timeoutSec".into(), json!(2));
    }
    if request
        .get("maxRetries")
        .is_none_or(|v| v.as_i64().is_some())
    {
        request.insert("maxRetries".into(), json!(0));
    }
    request
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_get_an_envelope(bytes in prop::collection::vec(any::<u8>(), 0..256), which in 0usize..3) {
        // Bytes that parse as a JSON object go through `pin` like any request, so nothing
        // can name a remote endpoint; everything else only reaches the parser.
        let bytes = match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(m)) => serde_json::to_vec(&Value::Object(pin(m))).unwrap(),
            _ => bytes,
        };
        call(exports()[which], &bytes);
    }

    #[test]
    fn arbitrary_json_values_get_an_envelope(value in any_json(), which in 0usize..3) {
        let value = match value {
            Value::Object(m) => Value::Object(pin(m)),
            other => other,
        };
        let envelope = call(exports()[which], value.to_string().as_bytes());
        if !value.is_object() {
            prop_assert_eq!(envelope["ok"].clone(), json!(false));
        }
    }

    #[test]
    fn arbitrary_request_objects_get_an_envelope(request in request_like(), which in 0usize..3) {
        let request = pin(request);
        let envelope = call(exports()[which], Value::Object(request.clone()).to_string().as_bytes());
        // An invalid request names where in the JSON the problem is.
        if envelope["error"]["kind"] == json!("invalidRequest") {
            let message = envelope["error"]["message"].as_str().unwrap_or_default();
            prop_assert!(!message.is_empty());
        }
    }

    #[test]
    fn arbitrary_operation_ids_are_safe_to_poll_and_cancel(id in "\\PC{0,200}") {
        let arg = CString::new(id.replace('\0', "")).unwrap();
        // SAFETY: a valid NUL-terminated string alive for the call.
        let status = unsafe { bastion_cancel(arg.as_ptr()) };
        prop_assert!((-1..=1).contains(&status), "bastion_cancel returned {}", status);
        call(bastion_poll_progress, id.as_bytes());
    }
}

/// Null pointers are refused with an envelope (or -1), never dereferenced.
#[test]
fn null_arguments_get_an_envelope() {
    for export in exports() {
        // SAFETY: null is allowed by the contract.
        let out = unsafe { export(std::ptr::null()) };
        assert!(!out.is_null());
        // SAFETY: returned by the library.
        let text = unsafe { CStr::from_ptr(out) }.to_str().unwrap().to_owned();
        unsafe { bastion_string_free(out) };
        let envelope: Value = serde_json::from_str(&text).unwrap();
        check_envelope(&envelope, &text);
        assert_eq!(envelope["error"]["kind"], json!("invalidArgument"));
    }
    // SAFETY: null is allowed by the contract.
    assert_eq!(unsafe { bastion_cancel(std::ptr::null()) }, -1);
    // SAFETY: freeing null is a no-op.
    unsafe { bastion_string_free(std::ptr::null_mut()) };
}
