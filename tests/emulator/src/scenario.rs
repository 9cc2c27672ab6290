//! The world the emulator serves: subscriptions, resource groups, Bastion hosts and their
//! sessions, either generated (`--hosts N --sessions-per-host M`) or read from a JSON file.
//!
//! # Scenario file format
//! ```json
//! {
//!   "settings": { "polls": 1, "retryAfter": 1, "pageSize": 100, "latencyMs": 0 },
//!   "subscriptions": [
//!     { "subscriptionId": "00000000-0000-0000-0000-000000000001",
//!       "resourceGroups": [
//!         { "name": "rg-prod",
//!           "hosts": [
//!             { "name": "bh-prod", "location": "westeurope", "sku": "Standard",
//!               "behaviour": "normal",
//!               "sessions": [
//!                 { "userName": "alice@contoso.com", "targetHostName": "vm-web-01",
//!                   "protocol": "SSH", "resourceType": "VM", "startedMinutesAgo": 150 }
//!               ] } ] } ] } ]
//! }
//! ```
//! A session is any JSON object and is served as written (so odd `startTime` shapes can be
//! reproduced), with three conveniences: `startedMinutesAgo` becomes `startTime` (relative
//! to when the emulator starts or is reset) and `sessionDurationInMins`; a missing
//! `sessionId` gets a generated one; missing target fields are filled from the host's
//! subscription. `settings` takes the same knobs as the command line (camelCase names of
//! the flags) and is overridden by flags given explicitly. Every field is optional; an
//! unknown field is an error. The fields and their defaults:
//!
//! | field | default | flag |
//! | --- | --- | --- |
//! | `token` | `"emulator-token"` | `--token` |
//! | `latencyMs` | `0` | `--latency-ms` |
//! | `polls` | `1` | `--polls` |
//! | `retryAfter` | `1` | `--retry-after` |
//! | `pageSize` | `100` | `--page-size` |
//! | `faultRate` | `0.0` | `--fault-rate` |
//! | `faultSeed` | `24301` | `--fault-seed` |
//! | `throttle` | `false` | `--throttle` |
//! | `throttleSettings` | `{"readCapacity":250,"readRefillPerSec":25,"writeCapacity":200,"writeRefillPerSec":10}` | `--throttle-read-capacity` ... |
//! | `finalBodyShape` | `"valueNextLink"` (or `"bareArray"`) | `--bare-array` |
//! | `asyncOperationHeader` | `false` | `--async-operation` |
//! | `noPollingHeaders` | `false` | `--no-polling-headers` |
//! | `identityHeader` | `"emulator-identity-header"` | `--identity-header` |
//! | `tokenTtlSec` | `0` (never expire) | `--token-ttl-sec` |
//! | `msiExpiresOnNumber` | `false` | `--msi-expires-on-number` |
//! | `waitHeaders` | `{}` (see below) | none |
//! | `faults` | `[]`: `[{"operation":"getActiveSessions","fault":"429","count":2}]` | `--fault getActiveSessions=429x2` |
//!
//! `fault` is one of `"429"`, `"500"`, `"503"`, `"drop"`; `operation` is an operation name
//! as counted in `/_emulator/stats` (`getActiveSessions`, `pollOperation`,
//! `asyncOperationStatus`, `nextPage`, `disconnectActiveSessions`, `disconnectNextPage`,
//! `listHostsBySubscription`, `listHostsByResourceGroup`, `getHost`) or `"*"`.
//!
//! `behaviour` of a host: `normal`, `lroNeverCompletes` (every poll answers 202),
//! `noPollingHeaders` (202 without `Location`: the client must POST again),
//! `nextLinkLoop` (every page links to itself), `bareArray` (final LRO body is a bare
//! array), `alwaysFail500`, `forbidden` (403 `AuthorizationFailed` naming the RBAC action;
//! these two answer their failure to every request, and no injected fault replaces it),
//! `malformedBody` (the completed getActiveSessions answers 200 `application/json` with a
//! body that is not JSON, for a client's invalid-response path), `alwaysThrottled` (429
//! `TooManyRequests` to every request about the host, like the two failing behaviours).
//!
//! The setting `waitHeaders` (`{"HOST NAME": {"HEADER": "VALUE"}}`, default none) replaces
//! the `Retry-After` of the named hosts' 202 and `alwaysThrottled` 429 answers with headers
//! sent as written, so hostile values reach a client: `{"bh-1": {"retry-after-ms": "1e30"}}`.
//! On the command line, `--host-behaviour NAME=BEHAVIOUR` sets it for hosts of a generated
//! scenario or a file.

use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::config::Settings;

/// How one host misbehaves, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum HostBehaviour {
    /// Answers like ARM.
    #[default]
    Normal,
    /// The getActiveSessions operation never completes.
    LroNeverCompletes,
    /// The 202 carries no polling header; completes after `polls` re-POSTs.
    NoPollingHeaders,
    /// Every `nextLink` points to the same page.
    NextLinkLoop,
    /// The final LRO body is a bare JSON array of sessions.
    BareArray,
    /// Every request about this host answers 500.
    AlwaysFail500,
    /// Every request about this host answers 403 AuthorizationFailed.
    Forbidden,
    /// The completed getActiveSessions answers 200 with a body that is not JSON.
    MalformedBody,
    /// Every request about this host answers 429 TooManyRequests (with its wait headers).
    AlwaysThrottled,
}

/// A Bastion host and its sessions.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostSpec {
    /// Host name (unique within its resource group).
    pub name: String,
    /// Azure region.
    #[serde(default = "default_location")]
    pub location: String,
    /// SKU name.
    #[serde(default = "default_sku")]
    pub sku: String,
    /// Misbehaviour, if any.
    #[serde(default)]
    pub behaviour: HostBehaviour,
    /// Session JSON objects as ARM would send them.
    #[serde(default)]
    pub sessions: Vec<Value>,
}

/// A resource group.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupSpec {
    /// Resource group name.
    pub name: String,
    /// Its Bastion hosts.
    #[serde(default)]
    pub hosts: Vec<HostSpec>,
}

/// A subscription.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionSpec {
    /// Subscription id (a GUID).
    pub subscription_id: String,
    /// Its resource groups.
    #[serde(default)]
    pub resource_groups: Vec<ResourceGroupSpec>,
}

/// The whole world.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scenario {
    /// Knob values carried by the file.
    #[serde(default)]
    pub settings: Option<Settings>,
    /// Subscriptions.
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionSpec>,
}

fn default_location() -> String {
    "westeurope".to_string()
}

fn default_sku() -> String {
    "Standard".to_string()
}

/// The subscription generated scenarios use first.
pub const DEFAULT_SUBSCRIPTION: &str = "00000000-0000-0000-0000-000000000001";

/// Generated subscription id number `index` (0-based).
pub fn generated_subscription_id(index: usize) -> String {
    format!("00000000-0000-0000-0000-{:012}", index + 1)
}

const USERS: &[&str] = &[
    "alice@contoso.com",
    "bob@contoso.com",
    "carol@fabrikam.com",
    "dave@contoso.com",
    "",
    "erin@contoso.com",
    "frank@fabrikam.com",
    "grace@contoso.com",
];

impl Scenario {
    /// Reads a scenario file.
    pub fn from_json(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("scenario file is not valid: {e}"))
    }

    /// Gives every host called `name` (case-insensitively, in any group) `behaviour`;
    /// returns how many hosts matched.
    pub fn set_behaviour(&mut self, name: &str, behaviour: HostBehaviour) -> usize {
        let mut matched = 0;
        for host in self
            .subscriptions
            .iter_mut()
            .flat_map(|s| s.resource_groups.iter_mut())
            .flat_map(|g| g.hosts.iter_mut())
            .filter(|h| h.name.eq_ignore_ascii_case(name))
        {
            host.behaviour = behaviour;
            matched += 1;
        }
        matched
    }

    /// `hosts` hosts with `sessions_per_host` sessions each, `hosts_per_group` per resource
    /// group `rg-0`, `rg-1`, ..., groups spread round-robin over `subscriptions`
    /// subscriptions starting at [`DEFAULT_SUBSCRIPTION`]. Values are deterministic.
    pub fn generated(
        hosts: usize,
        sessions_per_host: usize,
        hosts_per_group: usize,
        subscriptions: usize,
    ) -> Self {
        let hosts_per_group = hosts_per_group.max(1);
        let subscriptions = subscriptions.max(1);
        let mut subs: Vec<SubscriptionSpec> = (0..subscriptions)
            .map(|s| SubscriptionSpec {
                subscription_id: generated_subscription_id(s),
                resource_groups: Vec::new(),
            })
            .collect();
        let groups = hosts.div_ceil(hosts_per_group);
        for g in 0..groups {
            let sub = g % subscriptions;
            let mut group = ResourceGroupSpec {
                name: format!("rg-{g}"),
                hosts: Vec::new(),
            };
            for h in (g * hosts_per_group)..((g + 1) * hosts_per_group).min(hosts) {
                let sessions = (0..sessions_per_host)
                    .map(|j| generated_session(&subs[sub].subscription_id, h, j))
                    .collect();
                group.hosts.push(HostSpec {
                    name: format!("bh-{h}"),
                    location: if h % 2 == 0 { "westeurope" } else { "eastus" }.to_string(),
                    sku: if h % 3 == 0 { "Premium" } else { "Standard" }.to_string(),
                    behaviour: HostBehaviour::Normal,
                    sessions,
                });
            }
            subs[sub].resource_groups.push(group);
        }
        Scenario {
            settings: None,
            subscriptions: subs,
        }
    }
}

/// One realistic session: users (some empty, as Entra ID native-client sessions are), VM and
/// VMSS targets, SSH and RDP, start times in several ISO-8601 shapes.
fn generated_session(subscription: &str, host: usize, index: usize) -> Value {
    let seed = host * 7919 + index * 104_729;
    let minutes_ago = ((host * 37 + index * 53) % 600) as i64 + 1;
    let user = USERS[seed % USERS.len()];
    let vmss = index % 5 == 4;
    let rg = format!("rg-app-{}", host % 4);
    let vm = format!("vm-{:03}-{}", host % 1000, index);
    let target_id = if vmss {
        format!(
            "/subscriptions/{subscription}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-{}/virtualMachines/{index}",
            host % 1000
        )
    } else {
        format!(
            "/subscriptions/{subscription}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{vm}"
        )
    };
    let protocol = if seed % 3 == 0 { "RDP" } else { "SSH" };
    let duration = if index % 2 == 0 {
        json!(minutes_ago)
    } else {
        json!(minutes_ago as f64 + 0.5)
    };
    json!({
        "sessionId": format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", host, index % 0xffff, host % 0xfff, index % 0xfff, seed),
        "startTime": format_start_time(minutes_ago, seed % 4),
        "targetSubscriptionId": subscription,
        "resourceType": if vmss { "VMSS" } else { "VM" },
        "targetHostName": vm,
        "targetResourceGroup": rg,
        "userName": user,
        "targetIpAddress": format!("10.{}.{}.{}", host % 250, index / 250 % 250, index % 250 + 4),
        "protocol": protocol,
        "targetResourceId": target_id,
        "sessionDurationInMins": duration,
    })
}

/// `now - minutes_ago` in one of four shapes ARM has been seen sending.
pub fn format_start_time(minutes_ago: i64, shape: usize) -> String {
    let t = OffsetDateTime::now_utc() - time::Duration::minutes(minutes_ago);
    let (y, mo, d) = (t.year(), u8::from(t.month()), t.day());
    let (h, mi, s) = (t.hour(), t.minute(), t.second());
    match shape {
        // RFC 3339, second precision.
        0 => format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
        // Seven fractional digits, as .NET writes them.
        1 => format!(
            "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:07}Z",
            t.nanosecond() / 100
        ),
        // Month and day not zero-padded, four fractional digits (the spec's example shape).
        2 => format!("{y}-{mo}-{d}T{h:02}:{mi:02}:{s:02}.0000Z"),
        // An offset instead of Z (the same instant, written at +02:00).
        _ => {
            let local = t.to_offset(time::UtcOffset::from_hms(2, 0, 0).expect("valid offset"));
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+02:00",
                local.year(),
                u8::from(local.month()),
                local.day(),
                local.hour(),
                local.minute(),
                local.second(),
                local.millisecond()
            )
        }
    }
}

/// Applies the scenario file conveniences to one session (see the module docs).
pub fn materialise_session(raw: &Value, subscription: &str, seq: usize) -> Value {
    let mut session = raw.clone();
    if let Some(obj) = session.as_object_mut() {
        if let Some(minutes) = obj.remove("startedMinutesAgo").and_then(|v| v.as_f64()) {
            obj.insert(
                "startTime".into(),
                json!(format_start_time(minutes.round() as i64, 1)),
            );
            obj.entry("sessionDurationInMins").or_insert(json!(minutes));
        }
        if !obj.contains_key("sessionId") {
            obj.insert(
                "sessionId".into(),
                json!(format!("{:08x}-0000-4000-8000-{:012x}", seq, seq * 31)),
            );
        }
        obj.entry("targetSubscriptionId")
            .or_insert(json!(subscription));
    }
    session
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_scenario_spreads_hosts_over_groups_and_subscriptions() {
        let s = Scenario::generated(25, 3, 10, 2);
        assert_eq!(s.subscriptions.len(), 2);
        let groups: usize = s
            .subscriptions
            .iter()
            .map(|s| s.resource_groups.len())
            .sum();
        assert_eq!(groups, 3);
        let hosts: usize = s
            .subscriptions
            .iter()
            .flat_map(|s| &s.resource_groups)
            .map(|g| g.hosts.len())
            .sum();
        assert_eq!(hosts, 25);
        assert_eq!(
            s.subscriptions[0].resource_groups[0].hosts[0]
                .sessions
                .len(),
            3
        );
    }

    #[test]
    fn start_time_shapes_include_the_unpadded_spec_shape() {
        let unpadded = format_start_time(0, 2);
        assert!(unpadded.ends_with(".0000Z"), "{unpadded}");
        assert!(format_start_time(0, 1).len() == "2026-11-28T12:00:00.0000000Z".len());
        assert!(format_start_time(0, 3).ends_with("+02:00"));
    }

    #[test]
    fn materialise_turns_minutes_ago_into_start_time() {
        let s = materialise_session(&json!({"startedMinutesAgo": 90, "userName": "x"}), "sub", 1);
        assert!(s["startTime"].is_string());
        assert_eq!(s["sessionDurationInMins"], json!(90.0));
        assert!(s["sessionId"].is_string());
        assert!(s.get("startedMinutesAgo").is_none());
    }
}
