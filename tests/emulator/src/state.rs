//! The emulator's mutable world: hosts and their current sessions, running operations,
//! page snapshots, minted tokens, fault dice, throttle buckets and request statistics.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde_json::{Value, json};

use crate::config::{EmulatorConfig, Settings};
use crate::faults::FaultInjector;
use crate::scenario::{HostBehaviour, materialise_session};
use crate::throttle::Throttle;

/// A Bastion host as the emulator holds it.
#[derive(Debug, Clone)]
pub struct HostState {
    /// Subscription id as written in the scenario.
    pub subscription_id: String,
    /// Resource group name as written in the scenario.
    pub resource_group: String,
    /// Host name.
    pub name: String,
    /// Region.
    pub location: String,
    /// SKU name.
    pub sku: String,
    /// Misbehaviour.
    pub behaviour: HostBehaviour,
    /// Current sessions (shared with page snapshots; copied on write).
    pub sessions: Arc<Vec<Value>>,
}

impl HostState {
    /// The ARM resource id.
    pub fn id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/bastionHosts/{}",
            self.subscription_id, self.resource_group, self.name
        )
    }

    /// The host as ARM's GET returns it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id(),
            "name": self.name,
            "type": "Microsoft.Network/bastionHosts",
            "location": self.location,
            "etag": format!("W/\"{}\"", self.name.len()),
            "sku": { "name": self.sku },
            "properties": {
                "provisioningState": "Succeeded",
                "dnsName": format!("bst-{}.bastion.azure.com", self.name),
                "scaleUnits": 2,
                "enableShareableLink": false,
                "ipConfigurations": []
            }
        })
    }
}

/// Key of a host: lower-cased `subscription/group/name` (ARM names are case-insensitive).
pub fn host_key(subscription: &str, group: &str, name: &str) -> String {
    format!("{subscription}/{group}/{name}").to_ascii_lowercase()
}

/// A getActiveSessions operation in flight.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The host it lists.
    pub host_key: String,
    /// 202 answers still to give.
    pub polls_left: u32,
    /// Sessions at completion (taken when the operation completes).
    pub result: Option<Arc<Vec<Value>>>,
}

/// Request counters for `/_emulator/stats`.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Every request except `/_emulator/*`.
    pub total: u64,
    /// Operation → status → count.
    pub by_operation: BTreeMap<String, BTreeMap<String, u64>>,
    /// Faults injected (scripted or by rate).
    pub faults_injected: u64,
    /// 429s from the token buckets.
    pub throttled: u64,
}

/// The hosts and what happens to them.
#[derive(Debug, Default)]
pub struct World {
    /// Hosts by [`host_key`], in a stable order.
    pub hosts: BTreeMap<String, HostState>,
    /// Lower-cased subscription ids that exist.
    pub subscriptions: HashSet<String>,
    /// Lower-cased `subscription/group` that exist.
    pub groups: HashSet<String>,
    /// getActiveSessions operations by id.
    pub operations: HashMap<String, Operation>,
    /// Page snapshots by id: the items of a paged answer.
    pub snapshots: HashMap<String, Arc<Vec<Value>>>,
    /// POSTs seen per host for hosts whose 202 carries no polling header.
    pub headerless_posts: HashMap<String, u32>,
    /// Sequence for operation and snapshot ids.
    pub next_id: u64,
    /// Operation ids, oldest first (for eviction).
    pub operation_order: VecDeque<String>,
    /// Snapshot ids, oldest first (for eviction).
    pub snapshot_order: VecDeque<String>,
}

/// Operations and page snapshots kept at most; older ones are forgotten (their URLs then
/// answer 404), so a long benchmark does not grow the emulator without bound.
pub const MAX_REMEMBERED: usize = 100_000;

impl World {
    /// Builds the world from a scenario.
    pub fn from_config(config: &EmulatorConfig) -> Self {
        let mut world = World::default();
        let mut seq = 0usize;
        for sub in &config.scenario.subscriptions {
            world
                .subscriptions
                .insert(sub.subscription_id.to_ascii_lowercase());
            for group in &sub.resource_groups {
                world
                    .groups
                    .insert(format!("{}/{}", sub.subscription_id, group.name).to_ascii_lowercase());
                for host in &group.hosts {
                    let sessions = host
                        .sessions
                        .iter()
                        .map(|s| {
                            seq += 1;
                            materialise_session(s, &sub.subscription_id, seq)
                        })
                        .collect();
                    world.hosts.insert(
                        host_key(&sub.subscription_id, &group.name, &host.name),
                        HostState {
                            subscription_id: sub.subscription_id.clone(),
                            resource_group: group.name.clone(),
                            name: host.name.clone(),
                            location: host.location.clone(),
                            sku: host.sku.clone(),
                            behaviour: host.behaviour,
                            sessions: Arc::new(sessions),
                        },
                    );
                }
            }
        }
        world
    }

    /// A fresh id for an operation or a snapshot.
    pub fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("{:016x}", self.next_id.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    /// Records a new operation, forgetting the oldest beyond [`MAX_REMEMBERED`].
    pub fn insert_operation(&mut self, id: String, operation: Operation) {
        if self.operation_order.len() >= MAX_REMEMBERED {
            if let Some(old) = self.operation_order.pop_front() {
                self.operations.remove(&old);
            }
        }
        self.operation_order.push_back(id.clone());
        self.operations.insert(id, operation);
    }

    /// Records a new page snapshot, forgetting the oldest beyond [`MAX_REMEMBERED`].
    pub fn insert_snapshot(&mut self, id: String, items: Arc<Vec<Value>>) {
        if self.snapshot_order.len() >= MAX_REMEMBERED {
            if let Some(old) = self.snapshot_order.pop_front() {
                self.snapshots.remove(&old);
            }
        }
        self.snapshot_order.push_back(id.clone());
        self.snapshots.insert(id, items);
    }

    /// Every current session, per host (the truth tests compare against).
    pub fn truth(&self) -> Value {
        let hosts: Vec<Value> = self
            .hosts
            .values()
            .map(|h| {
                json!({
                    "id": h.id(),
                    "name": h.name,
                    "resourceGroupName": h.resource_group,
                    "subscriptionId": h.subscription_id,
                    "sessions": h.sessions.as_ref(),
                })
            })
            .collect();
        let total: usize = self.hosts.values().map(|h| h.sessions.len()).sum();
        json!({ "total": total, "hosts": hosts })
    }
}

/// Tokens minted by the managed-identity endpoint, with their expiry.
#[derive(Debug, Default)]
pub struct MintedTokens {
    /// Token → expiry (`None`: never).
    pub tokens: HashMap<String, Option<Instant>>,
    /// Tokens minted so far.
    pub count: u64,
}

/// Everything a request handler can reach.
#[derive(Debug)]
pub struct Emulator {
    /// The configuration it started with (reset restores it).
    pub config: EmulatorConfig,
    /// Hosts, operations, snapshots.
    pub world: Mutex<World>,
    /// Counters.
    pub stats: Mutex<Stats>,
    /// Fault dice and script.
    pub faults: Mutex<FaultInjector>,
    /// Token buckets.
    pub throttle: Mutex<Throttle>,
    /// Managed-identity tokens.
    pub minted: Mutex<MintedTokens>,
    /// `https` when serving TLS.
    pub scheme: &'static str,
}

/// Locks a mutex, recovering from a poisoned one (a panicking handler must not take the
/// whole emulator down).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Emulator {
    /// A new emulator in its initial state.
    pub fn new(config: EmulatorConfig, tls: bool) -> Self {
        let s = &config.settings;
        Emulator {
            world: Mutex::new(World::from_config(&config)),
            stats: Mutex::new(Stats::default()),
            faults: Mutex::new(FaultInjector::new(
                s.faults.clone(),
                s.fault_rate,
                s.fault_seed,
            )),
            throttle: Mutex::new(Throttle::new(s.throttle_settings)),
            minted: Mutex::new(MintedTokens::default()),
            scheme: if tls { "https" } else { "http" },
            config,
        }
    }

    /// The knobs.
    pub fn settings(&self) -> &Settings {
        &self.config.settings
    }

    /// Restores the scenario and zeroes the counters.
    pub fn reset(&self) {
        let s = &self.config.settings;
        *lock(&self.world) = World::from_config(&self.config);
        *lock(&self.stats) = Stats::default();
        *lock(&self.faults) = FaultInjector::new(s.faults.clone(), s.fault_rate, s.fault_seed);
        *lock(&self.throttle) = Throttle::new(s.throttle_settings);
        *lock(&self.minted) = MintedTokens::default();
    }

    /// Counts one request.
    pub fn record(&self, operation: &str, status: &str) {
        let mut stats = lock(&self.stats);
        stats.total += 1;
        *stats
            .by_operation
            .entry(operation.to_string())
            .or_default()
            .entry(status.to_string())
            .or_default() += 1;
    }

    /// `/_emulator/stats` as JSON.
    pub fn stats_json(&self) -> Value {
        let stats = lock(&self.stats).clone();
        let remaining: usize = lock(&self.world)
            .hosts
            .values()
            .map(|h| h.sessions.len())
            .sum();
        let by_operation: serde_json::Map<String, Value> = stats
            .by_operation
            .iter()
            .map(|(op, statuses)| {
                let total: u64 = statuses.values().sum();
                let mut m: serde_json::Map<String, Value> = statuses
                    .iter()
                    .map(|(k, v)| (k.clone(), json!(v)))
                    .collect();
                m.insert("total".into(), json!(total));
                (op.clone(), Value::Object(m))
            })
            .collect();
        json!({
            "total": stats.total,
            "byOperation": by_operation,
            "faultsInjected": stats.faults_injected,
            "throttled": stats.throttled,
            "sessionsRemaining": remaining,
        })
    }
}
