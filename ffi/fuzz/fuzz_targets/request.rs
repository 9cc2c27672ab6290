//! Fuzzes the C ABI's request handling: arbitrary bytes go through the exported entry points
//! exactly as a C caller would pass them (a NUL-terminated string), and every answer must be
//! a well-formed envelope that no panic produced and that never echoes the credential.
//!
//! The fuzzer must never reach a network. Bytes that are not a JSON object are passed as they
//! are (they can only reach the parser and validation). A JSON object is passed with the
//! fields that choose where to connect pinned to loopback: `armEndpoint` and `proxy` point at
//! 127.0.0.1 port 9 (nothing listens, so each connect is refused at once), `environment` is
//! dropped, and the credential is forced to an access token so no token endpoint, IMDS or CLI
//! is touched. Everything else (hosts, scope, resource ids, session ids, limits, PEM text,
//! operation ids) is the fuzzer's. Run it inside `unshare -n` as RELIABILITY.md shows, so that
//! even a bug that builds a URL to another host cannot send a packet anywhere.

#![no_main]

use std::ffi::{CStr, CString, c_char};
use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

// The exports as C sees them (the symbols come from the linked `bastion_session_ffi` rlib).
use bastion_session_ffi as _;
unsafe extern "C" {
    fn bastion_get_sessions(request_json: *const c_char) -> *mut c_char;
    fn bastion_disconnect_sessions(request_json: *const c_char) -> *mut c_char;
    fn bastion_list_hosts(request_json: *const c_char) -> *mut c_char;
    fn bastion_poll_progress(operation_id: *const c_char) -> *mut c_char;
    fn bastion_cancel(operation_id: *const c_char) -> i32;
    fn bastion_string_free(s: *mut c_char);
}

/// Where every pinned connection goes: the discard port on loopback, where nothing listens.
const DEAD_END: &str = "http://127.0.0.1:9";
/// A token the answers must never contain.
const CANARY: &str = "fuzz-canary-token-7f3e9c1d";
/// Canaries for the other secret fields of a credential.
const SECRET_FIELDS: &[(&str, &str)] = &[
    ("clientSecret", "fuzz-canary-client-secret-2a6b"),
    ("certificatePassword", "fuzz-canary-cert-password-9d4e"),
];

static INIT: Once = Once::new();

fn init() {
    INIT.call_once(|| {
        // SAFETY: runs once, before the library has started any thread of its own.
        unsafe {
            for var in [
                "HTTPS_PROXY",
                "https_proxy",
                "HTTP_PROXY",
                "http_proxy",
                "ALL_PROXY",
                "all_proxy",
            ] {
                std::env::set_var(var, DEAD_END);
            }
            std::env::remove_var("NO_PROXY");
            std::env::remove_var("no_proxy");
            std::env::set_var("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential");
            for var in [
                "AZURE_CLIENT_ID",
                "AZURE_CLIENT_SECRET",
                "AZURE_TENANT_ID",
                "AZURE_FEDERATED_TOKEN_FILE",
                "AZURE_CLIENT_CERTIFICATE_PATH",
                "IDENTITY_ENDPOINT",
                "IDENTITY_HEADER",
                "MSI_ENDPOINT",
                "MSI_SECRET",
            ] {
                std::env::remove_var(var);
            }
        }
    });
}

/// Pins every field that decides where the library connects or which credential it runs.
fn pin_to_loopback(mut request: Map<String, Value>) -> Map<String, Value> {
    request.insert("armEndpoint".into(), json!(DEAD_END));
    request.insert("proxy".into(), json!(DEAD_END));
    request.remove("environment");
    // Debug builds honour a test hook that panics on purpose; that is not a finding.
    request.remove("_panic");
    let credential = match request.remove("credential") {
        Some(Value::Object(mut fields)) => {
            fields.insert("type".into(), json!("accessToken"));
            fields.insert("token".into(), json!(CANARY));
            // Secret fields keep their place (so validation sees them) but carry canaries:
            // a fuzzer-chosen value could legitimately appear elsewhere in the answer (as
            // an unknown field's name, say), which would not be a leak.
            for (key, canary) in SECRET_FIELDS {
                if fields.contains_key(*key) {
                    fields.insert((*key).into(), json!(canary));
                }
            }
            Value::Object(fields)
        }
        // Not an object: the library must refuse it before doing anything.
        Some(other) if !other.is_null() => other,
        _ => json!({ "type": "accessToken", "token": CANARY }),
    };
    request.insert("credential".into(), credential);
    // Keep each call short: one attempt, a small deadline (invalid values stay as they are,
    // so validation still sees them).
    if request
        .get("timeoutSec")
        .and_then(Value::as_i64)
        .is_some_and(|t| t > 2)
    {
        request.insert("timeoutSec".into(), json!(2));
    }
    if request.contains_key("maxRetries") {
        if request.get("maxRetries").and_then(Value::as_i64).is_some() {
            request.insert("maxRetries".into(), json!(0));
        }
    } else {
        request.insert("maxRetries".into(), json!(0));
    }
    request
}

/// What C would see: the bytes up to the first NUL.
fn c_string(bytes: &[u8]) -> CString {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    CString::new(&bytes[..end]).expect("no NUL before end")
}

/// Checks an envelope and frees it.
fn check_envelope(ptr: *mut c_char, secrets: &[&str]) {
    assert!(!ptr.is_null(), "an export returned null");
    // SAFETY: the library returns a NUL-terminated string that we own until we free it.
    let text = unsafe { CStr::from_ptr(ptr) }
        .to_str()
        .expect("envelope is not UTF-8")
        .to_owned();
    // SAFETY: returned by this library, freed once.
    unsafe { bastion_string_free(ptr) };
    let envelope: Value = serde_json::from_str(&text).expect("envelope is not JSON");
    assert_eq!(envelope["schemaVersion"], json!(1), "{text}");
    let ok = envelope["ok"].as_bool().expect("ok is not a bool");
    if !ok {
        let error = &envelope["error"];
        assert!(error["kind"].is_string(), "error without kind: {text}");
        assert!(error["code"].is_u64(), "error without code: {text}");
        assert!(
            error["message"].is_string(),
            "error without message: {text}"
        );
        assert_ne!(
            error["expected"],
            json!(false),
            "the library faulted (panic or bug): {text}"
        );
    }
    for secret in secrets {
        if secret.len() >= 8 {
            assert!(
                !text.contains(secret),
                "the envelope echoes a secret: {text}"
            );
        }
    }
}

/// Secrets that the request carries, which the answer must not repeat (all canaries).
fn secrets_of(request: &Map<String, Value>) -> Vec<String> {
    let mut found = vec![CANARY.to_owned()];
    if let Some(Value::Object(credential)) = request.get("credential") {
        for (key, canary) in SECRET_FIELDS {
            if credential.contains_key(*key) {
                found.push((*canary).to_owned());
            }
        }
    }
    found
}

fuzz_target!(|data: &[u8]| {
    init();
    let Some((&selector, payload)) = data.split_first() else {
        return;
    };
    match selector % 5 {
        entry @ 0..=2 => {
            let (bytes, secrets) = match serde_json::from_slice::<Value>(payload) {
                Ok(Value::Object(request)) => {
                    let request = pin_to_loopback(request);
                    let secrets = secrets_of(&request);
                    (
                        serde_json::to_vec(&Value::Object(request)).expect("serialises"),
                        secrets,
                    )
                }
                // Any other JSON value or no JSON at all: nothing in it can name an endpoint
                // that the library would accept, so it goes through untouched.
                _ => (payload.to_vec(), vec![CANARY.to_owned()]),
            };
            let request = c_string(&bytes);
            let export: unsafe extern "C" fn(*const c_char) -> *mut c_char = match entry {
                0 => bastion_get_sessions,
                1 => bastion_disconnect_sessions,
                _ => bastion_list_hosts,
            };
            // SAFETY: a valid NUL-terminated string that outlives the call.
            let answer = unsafe { export(request.as_ptr()) };
            let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
            check_envelope(answer, &secrets);
        }
        3 => {
            let id = c_string(payload);
            // SAFETY: a valid NUL-terminated string that outlives the call.
            let status = unsafe { bastion_cancel(id.as_ptr()) };
            assert!(
                (-1..=1).contains(&status),
                "bastion_cancel returned {status}"
            );
        }
        _ => {
            let id = c_string(payload);
            // SAFETY: a valid NUL-terminated string that outlives the call.
            let answer = unsafe { bastion_poll_progress(id.as_ptr()) };
            check_envelope(answer, &[CANARY]);
        }
    }
});
