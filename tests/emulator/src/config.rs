//! The emulator's knobs: [`Settings`] (what a scenario file or the command line sets) and
//! [`EmulatorConfig`] (settings plus the scenario itself).

use serde::Deserialize;

use crate::faults::ScriptedFault;
use crate::scenario::Scenario;

/// Shape of the final getActiveSessions body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FinalBodyShape {
    /// `{"value": [...], "nextLink": ...}`, paged by `page_size`.
    #[default]
    ValueNextLink,
    /// A bare JSON array holding every session (as the service has been reported to send).
    BareArray,
}

/// ARM-like token buckets per subscription.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ThrottleSettings {
    /// Read bucket size (GETs).
    pub read_capacity: f64,
    /// Read tokens added per second.
    pub read_refill_per_sec: f64,
    /// Write bucket size (POSTs).
    pub write_capacity: f64,
    /// Write tokens added per second.
    pub write_refill_per_sec: f64,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        // ARM's published token bucket per subscription (2024).
        ThrottleSettings {
            read_capacity: 250.0,
            read_refill_per_sec: 25.0,
            write_capacity: 200.0,
            write_refill_per_sec: 10.0,
        }
    }
}

/// Knobs that a scenario file's `settings` or the command line set. Field names in JSON
/// are the camelCase names of the flags.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Settings {
    /// The bearer token accepted (besides tokens minted by the MSI endpoint).
    pub token: String,
    /// Added to every ARM response.
    pub latency_ms: u64,
    /// 202 answers before the 200 of getActiveSessions.
    pub polls: u32,
    /// The `Retry-After` (seconds) sent with 202s and 429s.
    pub retry_after: u64,
    /// Sessions (and hosts, and disconnect results) per page.
    pub page_size: usize,
    /// Share of ARM requests answered with an injected fault.
    pub fault_rate: f64,
    /// Seed for the fault dice, so a run can be repeated.
    pub fault_seed: u64,
    /// Per-subscription token buckets.
    pub throttle: bool,
    /// Bucket sizes when `throttle` is on.
    pub throttle_settings: ThrottleSettings,
    /// Final getActiveSessions body shape for every host.
    pub final_body_shape: FinalBodyShape,
    /// Send `Azure-AsyncOperation` beside `Location`.
    pub async_operation_header: bool,
    /// Send no polling header with the 202 for every host.
    pub no_polling_headers: bool,
    /// The secret the MSI endpoint wants in `X-IDENTITY-HEADER` (or `secret`).
    pub identity_header: String,
    /// Lifetime of tokens minted by the MSI endpoint; 0 = they never expire.
    pub token_ttl_sec: u64,
    /// The MSI endpoint writes `expires_on` as a JSON number instead of a string.
    pub msi_expires_on_number: bool,
    /// Faults applied to the next matching requests, in order.
    pub faults: Vec<ScriptedFault>,
    /// Per host name (case-insensitive): headers that replace `Retry-After` on that host's
    /// 202 and `alwaysThrottled` 429 answers, sent as written (hostile values included).
    pub wait_headers:
        std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

impl Settings {
    /// The wait headers of host `name`: its own `waitHeaders`, else `Retry-After` as set.
    pub fn wait_headers_for(&self, name: &str) -> Vec<(String, String)> {
        match self
            .wait_headers
            .iter()
            .find(|(host, _)| host.eq_ignore_ascii_case(name))
        {
            Some((_, headers)) => headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            None => vec![("retry-after".to_string(), self.retry_after.to_string())],
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            token: "emulator-token".to_string(),
            latency_ms: 0,
            polls: 1,
            retry_after: 1,
            page_size: 100,
            fault_rate: 0.0,
            fault_seed: 0x5eed,
            throttle: false,
            throttle_settings: ThrottleSettings::default(),
            final_body_shape: FinalBodyShape::ValueNextLink,
            async_operation_header: false,
            no_polling_headers: false,
            identity_header: "emulator-identity-header".to_string(),
            token_ttl_sec: 0,
            msi_expires_on_number: false,
            faults: Vec::new(),
            wait_headers: Default::default(),
        }
    }
}

/// Everything [`crate::serve`] needs.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    /// Knob values.
    pub settings: Settings,
    /// Hosts and sessions.
    pub scenario: Scenario,
}

impl Default for EmulatorConfig {
    /// Ten hosts with five sessions each in `rg-0`, default knobs.
    fn default() -> Self {
        EmulatorConfig {
            settings: Settings::default(),
            scenario: Scenario::generated(10, 5, 10, 1),
        }
    }
}

impl EmulatorConfig {
    /// A generated scenario with default knobs.
    pub fn generated(hosts: usize, sessions_per_host: usize) -> Self {
        EmulatorConfig {
            settings: Settings::default(),
            scenario: Scenario::generated(hosts, sessions_per_host, 10, 1),
        }
    }

    /// Replaces the settings.
    pub fn with_settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }
}
