//! The data the crate hands out: sessions, hosts, disconnect results, discovery scopes
//! and the per-host and per-subscription outcomes, plus the tolerant parsing of ARM's
//! session JSON. Host references and resource-id safety live in
//! [`resource_id`](crate::resource_id); [`HostRef`] is re-exported here.
//!
//! All serialise camelCase, matching `ffi/CONTRACT.md` field for field.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use time::OffsetDateTime;

use crate::error::{Error, Result};
pub use crate::resource_id::HostRef;
use crate::timestamp::{format_rfc3339_utc, parse_lenient};

/// One active session on a Bastion host, as ARM reports it.
///
/// Every field is optional: ARM omits some (e.g. `userName` for Entra ID sign-ins through
/// the native client) and the spec marks all of them optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BastionSession {
    /// The session id, the handle for disconnecting it.
    pub session_id: Option<String>,
    /// When the session started, normalised to UTC; `None` when ARM sent none or it
    /// could not be read (then see [`start_time_raw`](Self::start_time_raw)).
    /// Serialised as RFC 3339 with `Z`.
    #[serde(
        serialize_with = "serialize_time",
        deserialize_with = "deserialize_time",
        default
    )]
    pub start_time: Option<OffsetDateTime>,
    /// What ARM sent as `startTime`: the string itself, or other JSON rendered as text.
    pub start_time_raw: Option<String>,
    /// Subscription of the target VM.
    pub target_subscription_id: Option<String>,
    /// Kind of target (e.g. `VM`).
    pub resource_type: Option<String>,
    /// Host name of the target.
    pub target_host_name: Option<String>,
    /// Resource group of the target.
    pub target_resource_group: Option<String>,
    /// Signed-in user; may be empty or absent.
    pub user_name: Option<String>,
    /// IP address of the target.
    pub target_ip_address: Option<String>,
    /// `SSH` or `RDP` (kept as ARM's string: the enum is open).
    pub protocol: Option<String>,
    /// Resource id of the target.
    pub target_resource_id: Option<String>,
    /// Minutes since the session started.
    pub session_duration_in_mins: Option<f64>,
}

fn serialize_time<S: Serializer>(
    v: &Option<OffsetDateTime>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(t) => s.serialize_str(&format_rfc3339_utc(*t)),
        None => s.serialize_none(),
    }
}

fn deserialize_time<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<OffsetDateTime>, D::Error> {
    let v = Option::<String>::deserialize(d)?;
    Ok(v.as_deref().and_then(parse_lenient))
}

impl BastionSession {
    /// Reads one session object as ARM sends it, tolerantly.
    ///
    /// Unknown fields are ignored; `null` is absent; numbers or booleans where a string is
    /// expected are kept as their text; `startTime` of any shape is kept raw and parsed
    /// leniently; `sessionDurationInMins` may be a number or a numeric string. An object or
    /// array where a scalar is expected, or a non-numeric duration, is an
    /// [`InvalidResponse`](crate::error::ErrorKind::InvalidResponse) error naming the field.
    ///
    /// The same rules as reading ARM's bytes directly ([`ArmSession`]), which is what the
    /// client does; this form is for a value already parsed.
    pub fn from_arm_json(value: &Value) -> Result<BastionSession> {
        ArmSession::deserialize(value)
            .map_err(|e| Error::invalid_response(format!("a session could not be read: {e}")))?
            .0
    }
}

/// One session read straight from ARM's JSON, with [`BastionSession::from_arm_json`]'s
/// lenient rules but without building a `serde_json::Value` first. A session that breaks
/// the rules is still read to its end (so the page stays readable) and carries the
/// [`InvalidResponse`](crate::error::ErrorKind::InvalidResponse) error naming the field.
#[derive(Debug)]
pub(crate) struct ArmSession(pub(crate) Result<BastionSession>);

/// The fields of a session that ARM sends; anything else is skipped.
enum SessionField {
    SessionId,
    StartTime,
    TargetSubscriptionId,
    ResourceType,
    TargetHostName,
    TargetResourceGroup,
    UserName,
    TargetIpAddress,
    Protocol,
    TargetResourceId,
    SessionDurationInMins,
    Other,
}

impl<'de> Deserialize<'de> for SessionField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct FieldVisitor;
        impl serde::de::Visitor<'_> for FieldVisitor {
            type Value = SessionField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: serde::de::Error>(
                self,
                v: &str,
            ) -> std::result::Result<SessionField, E> {
                Ok(match v {
                    "sessionId" => SessionField::SessionId,
                    "startTime" => SessionField::StartTime,
                    "targetSubscriptionId" => SessionField::TargetSubscriptionId,
                    "resourceType" => SessionField::ResourceType,
                    "targetHostName" => SessionField::TargetHostName,
                    "targetResourceGroup" => SessionField::TargetResourceGroup,
                    "userName" => SessionField::UserName,
                    "targetIpAddress" => SessionField::TargetIpAddress,
                    "protocol" => SessionField::Protocol,
                    "targetResourceId" => SessionField::TargetResourceId,
                    "sessionDurationInMins" => SessionField::SessionDurationInMins,
                    _ => SessionField::Other,
                })
            }
        }
        d.deserialize_identifier(FieldVisitor)
    }
}

/// A field's value as ARM sent it, keeping only what the lenient rules need. Strings are
/// taken once into their final `String`; arrays and objects become a `Value` (only to be
/// rendered as text for `startTime`, or named in an error).
enum LooseValue {
    Null,
    Text(String),
    Number(serde_json::Number),
    Bool(bool),
    Nested(Value),
}

impl LooseValue {
    fn json_type(&self) -> &'static str {
        match self {
            LooseValue::Null => "null",
            LooseValue::Bool(_) => "a boolean",
            LooseValue::Number(_) => "a number",
            LooseValue::Text(_) => "a string",
            LooseValue::Nested(v) => json_type(v),
        }
    }
}

impl<'de> Deserialize<'de> for LooseValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct LooseVisitor;
        impl<'de> serde::de::Visitor<'de> for LooseVisitor {
            type Value = LooseValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> std::result::Result<LooseValue, E> {
                Ok(LooseValue::Null)
            }
            fn visit_none<E>(self) -> std::result::Result<LooseValue, E> {
                Ok(LooseValue::Null)
            }
            fn visit_some<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> std::result::Result<LooseValue, D::Error> {
                LooseValue::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> std::result::Result<LooseValue, E> {
                Ok(LooseValue::Bool(v))
            }
            fn visit_u64<E>(self, v: u64) -> std::result::Result<LooseValue, E> {
                Ok(LooseValue::Number(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> std::result::Result<LooseValue, E> {
                Ok(LooseValue::Number(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> std::result::Result<LooseValue, E> {
                Ok(serde_json::Number::from_f64(v).map_or(LooseValue::Null, LooseValue::Number))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<LooseValue, E> {
                Ok(LooseValue::Text(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> std::result::Result<LooseValue, E> {
                Ok(LooseValue::Text(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> std::result::Result<LooseValue, A::Error> {
                Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(LooseValue::Nested)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<LooseValue, A::Error> {
                Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(LooseValue::Nested)
            }
        }
        d.deserialize_any(LooseVisitor)
    }
}

impl<'de> Deserialize<'de> for ArmSession {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct SessionVisitor;
        impl<'de> serde::de::Visitor<'de> for SessionVisitor {
            type Value = ArmSession;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a session object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<ArmSession, A::Error> {
                let mut s = BastionSession::default();
                let mut problem: Option<Error> = None;
                while let Some(field) = map.next_key::<SessionField>()? {
                    let slot = match field {
                        SessionField::Other => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                            continue;
                        }
                        SessionField::StartTime => {
                            (s.start_time, s.start_time_raw) = match map.next_value()? {
                                LooseValue::Null => (None, None),
                                LooseValue::Text(t) => (parse_lenient(&t), Some(t)),
                                LooseValue::Number(n) => (None, Some(n.to_string())),
                                LooseValue::Bool(b) => (None, Some(b.to_string())),
                                LooseValue::Nested(v) => (None, Some(v.to_string())),
                            };
                            continue;
                        }
                        SessionField::SessionDurationInMins => {
                            let value: LooseValue = map.next_value()?;
                            match duration(value) {
                                Ok(d) => s.session_duration_in_mins = d,
                                Err(e) => {
                                    problem.get_or_insert(e);
                                }
                            }
                            continue;
                        }
                        SessionField::SessionId => (&mut s.session_id, "sessionId"),
                        SessionField::TargetSubscriptionId => {
                            (&mut s.target_subscription_id, "targetSubscriptionId")
                        }
                        SessionField::ResourceType => (&mut s.resource_type, "resourceType"),
                        SessionField::TargetHostName => (&mut s.target_host_name, "targetHostName"),
                        SessionField::TargetResourceGroup => {
                            (&mut s.target_resource_group, "targetResourceGroup")
                        }
                        SessionField::UserName => (&mut s.user_name, "userName"),
                        SessionField::TargetIpAddress => {
                            (&mut s.target_ip_address, "targetIpAddress")
                        }
                        SessionField::Protocol => (&mut s.protocol, "protocol"),
                        SessionField::TargetResourceId => {
                            (&mut s.target_resource_id, "targetResourceId")
                        }
                    };
                    let (target, name) = slot;
                    *target = match map.next_value()? {
                        LooseValue::Null => None,
                        LooseValue::Text(t) => Some(t),
                        LooseValue::Number(n) => Some(n.to_string()),
                        LooseValue::Bool(b) => Some(b.to_string()),
                        nested @ LooseValue::Nested(_) => {
                            problem.get_or_insert(Error::invalid_response(format!(
                                "session field '{name}' should be a string but is {}",
                                nested.json_type()
                            )));
                            None
                        }
                    };
                }
                Ok(ArmSession(match problem {
                    Some(e) => Err(e),
                    None => Ok(s),
                }))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> std::result::Result<ArmSession, A::Error> {
                Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
                Ok(not_an_object("an array"))
            }
            fn visit_unit<E>(self) -> std::result::Result<ArmSession, E> {
                Ok(not_an_object("null"))
            }
            fn visit_none<E>(self) -> std::result::Result<ArmSession, E> {
                Ok(not_an_object("null"))
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<ArmSession, E> {
                Ok(not_an_object("a boolean"))
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<ArmSession, E> {
                Ok(not_an_object("a number"))
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<ArmSession, E> {
                Ok(not_an_object("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<ArmSession, E> {
                Ok(not_an_object("a number"))
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<ArmSession, E> {
                Ok(not_an_object("a string"))
            }
        }
        d.deserialize_any(SessionVisitor)
    }
}

fn not_an_object(what: &str) -> ArmSession {
    ArmSession(Err(Error::invalid_response(format!(
        "a session in the answer is not a JSON object but {what}"
    ))))
}

/// `sessionDurationInMins`: a number, a numeric string, or absent.
fn duration(value: LooseValue) -> Result<Option<f64>> {
    match value {
        LooseValue::Null => Ok(None),
        LooseValue::Number(n) => Ok(n.as_f64()),
        LooseValue::Text(t) if t.trim().is_empty() => Ok(None),
        LooseValue::Text(t) => t
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| {
                Error::invalid_response(format!(
                    "session field 'sessionDurationInMins' is not a number: {:?}",
                    truncate(&t, 64)
                ))
            }),
        other => Err(Error::invalid_response(format!(
            "session field 'sessionDurationInMins' should be a number but is {}",
            other.json_type()
        ))),
    }
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// A Bastion host as discovered through ARM (or built from a [`HostRef`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BastionHost {
    /// Resource id.
    pub id: String,
    /// Host name.
    pub name: String,
    /// Resource group name.
    pub resource_group_name: String,
    /// Subscription id.
    pub subscription_id: String,
    /// Azure region, when known.
    pub location: Option<String>,
    /// SKU name (`Basic`, `Standard`, `Premium`, `Developer`), when known.
    pub sku: Option<String>,
}

impl BastionHost {
    /// The reference that names this host.
    pub fn host_ref(&self) -> HostRef {
        HostRef {
            subscription_id: self.subscription_id.clone(),
            resource_group_name: self.resource_group_name.clone(),
            name: self.name.clone(),
        }
    }

    /// Reads a host from an ARM `bastionHosts` resource object.
    pub fn from_arm_json(value: &Value) -> Result<BastionHost> {
        let id = value
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid_response("a Bastion host in the answer has no 'id'"))?;
        let r: HostRef = id
            .parse()
            .map_err(|e: Error| Error::invalid_response(format!("field 'id': {}", e.message())))?;
        // The id is authoritative: a different `name` field must not make the host
        // address something else than its id.
        let name = r.name.clone();
        Ok(BastionHost {
            id: r.resource_id(),
            name,
            resource_group_name: r.resource_group_name,
            subscription_id: r.subscription_id,
            location: value
                .get("location")
                .and_then(Value::as_str)
                .map(str::to_string),
            sku: value
                .get("sku")
                .and_then(|s| s.get("name"))
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }
}

impl From<HostRef> for BastionHost {
    fn from(r: HostRef) -> Self {
        BastionHost {
            id: r.resource_id(),
            name: r.name,
            resource_group_name: r.resource_group_name,
            subscription_id: r.subscription_id,
            location: None,
            sku: None,
        }
    }
}

impl From<&BastionHost> for HostRef {
    fn from(h: &BastionHost) -> Self {
        h.host_ref()
    }
}

/// The outcome for one session id of a disconnect request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionDisconnectResult {
    /// The session id that was asked for.
    pub session_id: String,
    /// ARM's state string (`Disconnected`, `Failed`, `NotFound`, ...) or
    /// [`SessionDisconnectResult::NOT_REPORTED`].
    pub state: String,
    /// ARM's message, or ours for `NotReported`.
    pub message: Option<String>,
}

impl SessionDisconnectResult {
    /// The state given to a requested id that ARM's answer did not mention.
    pub const NOT_REPORTED: &'static str = "NotReported";
    /// The state of an id whose request was never sent (an earlier chunk failed, the
    /// call's item budget was spent, or the deadline passed or the call was cancelled
    /// first): the session was not touched.
    pub const NOT_ATTEMPTED: &'static str = "NotAttempted";
    /// The state of an id whose request may have reached ARM without its outcome being
    /// read (a 5xx, a dropped connection or a timeout after the retries, an answer over
    /// the size limit, the deadline or a cancel while it was in flight, a later page that
    /// could not be read): the session may or may not have been disconnected.
    pub const UNKNOWN: &'static str = "Unknown";
    /// The state of an id whose request ARM refused (a 4xx, or 429 past the retry budget)
    /// or that never reached it (a refused connection, a name that does not resolve, an
    /// untrusted certificate): the session was not disconnected by this call.
    pub const FAILED: &'static str = "Failed";
}

/// Where to discover Bastion hosts: each subscription, optionally one resource group.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostScope {
    /// Subscriptions to search (at least one).
    pub subscription_ids: Vec<String>,
    /// Only this resource group (in each subscription), when given.
    pub resource_group_name: Option<String>,
}

/// One subscription's outcome in a host discovery (of its resource group, when the scope
/// names one): the hosts found there, or why they could not be listed. A discovery over
/// several subscriptions has one per distinct subscription, in the scope's order, so a
/// subscription that fails never hides the hosts of the others.
#[derive(Debug, Clone)]
pub struct SubscriptionHostsOutcome {
    /// The subscription searched.
    pub subscription_id: String,
    /// The resource group searched in it, when the scope named one.
    pub resource_group_name: Option<String>,
    /// Its hosts, or why they could not be listed.
    pub result: Result<Vec<BastionHost>>,
}

/// One host's outcome in a session fan-out.
#[derive(Debug, Clone)]
pub struct HostSessionsOutcome {
    /// The host.
    pub host: BastionHost,
    /// Its sessions, or why they could not be read.
    pub result: Result<Vec<BastionSession>>,
}

/// What to disconnect on one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisconnectTarget {
    /// The host.
    pub host: HostRef,
    /// The session ids to disconnect (duplicates are removed).
    pub session_ids: Vec<String>,
}

/// One host's outcome in a disconnect fan-out.
#[derive(Debug, Clone)]
pub struct HostDisconnectOutcome {
    /// The host.
    pub host: HostRef,
    /// One result per distinct requested id, or why the host failed.
    pub result: Result<Vec<SessionDisconnectResult>>,
    /// When `result` is an error: the outcome of every distinct requested id all the same,
    /// in request order. Chunks ARM answered keep ARM's states; the chunk that failed is
    /// [`FAILED`](SessionDisconnectResult::FAILED) when ARM refused it, or
    /// [`UNKNOWN`](SessionDisconnectResult::UNKNOWN) when it may have reached ARM; chunks
    /// never sent are
    /// [`NOT_ATTEMPTED`](SessionDisconnectResult::NOT_ATTEMPTED). Empty when `result` is `Ok`.
    pub partial: Vec<SessionDisconnectResult>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use serde_json::json;

    #[test]
    fn spec_example_session() {
        let v = json!({
            "sessionId": "sessionId",
            "startTime": "2019-1-1T12:00:00.0000Z",
            "targetSubscriptionId": "subid",
            "resourceType": "VM",
            "targetHostName": "vm01",
            "targetResourceGroup": "rg1",
            "userName": "user",
            "targetIpAddress": "1.1.1.1",
            "protocol": "SSH",
            "targetResourceId": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm01",
            "sessionDurationInMins": 0
        });
        let s = BastionSession::from_arm_json(&v).unwrap();
        assert_eq!(s.session_id.as_deref(), Some("sessionId"));
        assert_eq!(s.start_time_raw.as_deref(), Some("2019-1-1T12:00:00.0000Z"));
        assert_eq!(s.session_duration_in_mins, Some(0.0));
        let out = serde_json::to_value(&s).unwrap();
        assert_eq!(out["startTime"], "2019-01-01T12:00:00Z");
        assert_eq!(out["startTimeRaw"], "2019-1-1T12:00:00.0000Z");
        assert_eq!(out["targetIpAddress"], "1.1.1.1");
    }

    #[test]
    fn seven_digit_fraction_float_duration_and_unknown_fields() {
        let v = json!({"sessionId":"a","startTime":"2026-11-28T09:15:00.1234567Z",
            "sessionDurationInMins": 42.5, "somethingNew": {"x": 1}, "userName": ""});
        let s = BastionSession::from_arm_json(&v).unwrap();
        assert_eq!(s.session_duration_in_mins, Some(42.5));
        assert_eq!(s.user_name.as_deref(), Some(""));
        assert_eq!(
            serde_json::to_value(&s).unwrap()["startTime"],
            "2026-11-28T09:15:00.1234567Z"
        );
    }

    #[test]
    fn nulls_and_string_duration_and_raw_objects() {
        let v = json!({"sessionId":null,"startTime":null,"sessionDurationInMins":null});
        let s = BastionSession::from_arm_json(&v).unwrap();
        assert_eq!(s, BastionSession::default());
        let v = json!({"sessionDurationInMins":"12.25","startTime":{"ticks":5}});
        let s = BastionSession::from_arm_json(&v).unwrap();
        assert_eq!(s.session_duration_in_mins, Some(12.25));
        assert_eq!(s.start_time, None);
        assert_eq!(s.start_time_raw.as_deref(), Some(r#"{"ticks":5}"#));
        let v = json!({"startTime": 1732786500});
        let s = BastionSession::from_arm_json(&v).unwrap();
        assert_eq!(s.start_time_raw.as_deref(), Some("1732786500"));
        let v = json!({"startTime": "not a date"});
        let s = BastionSession::from_arm_json(&v).unwrap();
        assert_eq!(s.start_time, None);
        assert_eq!(s.start_time_raw.as_deref(), Some("not a date"));
    }

    #[test]
    fn bad_field_names_itself() {
        let e =
            BastionSession::from_arm_json(&json!({"sessionDurationInMins":"soon"})).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        assert!(e.message().contains("sessionDurationInMins"), "{e}");
        let e = BastionSession::from_arm_json(&json!({"userName":["a"]})).unwrap_err();
        assert!(e.message().contains("userName"), "{e}");
        let e = BastionSession::from_arm_json(&json!("x")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    }

    #[test]
    fn host_from_arm_json() {
        let v = json!({"id":"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/bastionHosts/b",
            "name":"b","location":"westeurope","sku":{"name":"Standard"}});
        let h = BastionHost::from_arm_json(&v).unwrap();
        assert_eq!(h.sku.as_deref(), Some("Standard"));
        assert_eq!(h.resource_group_name, "rg");
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>()
                .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
            any::<i64>().prop_map(|i| Value::Number(i.into())),
            "\\PC{0,30}".prop_map(Value::String),
            "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}T[0-9:.]{0,14}Z?".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop_oneof![
                            Just("sessionId".to_string()),
                            Just("startTime".to_string()),
                            Just("sessionDurationInMins".to_string()),
                            Just("userName".to_string()),
                            "[a-z]{1,8}"
                        ],
                        inner
                    ),
                    0..6
                )
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn session_parsing_never_panics_and_errors_are_invalid_response(v in json_value()) {
            match BastionSession::from_arm_json(&v) {
                Ok(s) => {
                    // Whatever was read serialises.
                    prop_assert!(serde_json::to_string(&s).is_ok());
                }
                Err(e) => prop_assert_eq!(e.kind(), crate::error::ErrorKind::InvalidResponse),
            }
        }

        #[test]
        fn reading_bytes_and_reading_a_value_agree(v in json_value()) {
            // The client reads sessions straight from ARM's bytes; from_arm_json reads a
            // parsed Value. Both must give the same session or the same error.
            // (Both parse the same text: serde_json's float parsing need not round-trip `v`.)
            let text = serde_json::to_string(&v).unwrap();
            let from_bytes = serde_json::from_str::<ArmSession>(&text).expect("any JSON reads").0;
            let parsed: Value = serde_json::from_str(&text).unwrap();
            let from_value = BastionSession::from_arm_json(&parsed);
            match (from_bytes, from_value) {
                (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
                (Err(a), Err(b)) => prop_assert_eq!(a.message(), b.message()),
                (a, b) => prop_assert!(false, "bytes gave {:?}, value gave {:?}", a, b),
            }
        }

        #[test]
        fn resource_id_parsing_never_panics(s in "(/[A-Za-z.]{0,14}){0,10}/?") {
            let _ = s.parse::<HostRef>();
        }
    }
}
