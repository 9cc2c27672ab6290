//! `bastion-emulator`: a stand-in for Azure Resource Manager's Bastion session operations,
//! served over real HTTP on 127.0.0.1 for tests, demos and benchmarks.
//!
//! # Layout
//! - [`config`]: the knobs ([`Settings`]) and [`EmulatorConfig`];
//! - [`scenario`]: the hosts and sessions served, generated or read from a JSON file (the
//!   file format is documented there);
//! - [`state`]: the mutable world, statistics and the shared [`state::Emulator`];
//! - [`router`]: routing and the request pipeline (latency, `api-version`, bearer token,
//!   faults, throttling, ARM headers);
//! - [`handlers`]: one file per ARM operation, plus the managed-identity token endpoint
//!   and the emulator's own endpoints;
//! - [`arm_error`]: ARM's error shape; [`response`]: bodies, including one that breaks off;
//! - [`faults`], [`throttle`], [`tls`]: fault injection, token buckets, TLS;
//! - [`server`]: the accept loop and [`spawn`] for tests.
//!
//! # Endpoints
//! ARM: `POST .../bastionHosts/{name}/getActiveSessions` (202 + `Location`, then 200 and
//! `nextLink` pages), `POST .../disconnectActiveSessions`, `GET` hosts by subscription, by
//! resource group and by id. Emulator (no token needed): `GET /_emulator/stats`,
//! `GET /_emulator/sessions` (the truth), `POST /_emulator/reset`, `POST /_emulator/faults`
//! (`{"operation":"getActiveSessions","fault":"429|500|503|drop","count":2}` or an array),
//! and `GET /_emulator/msi/token?resource=...` (managed identity, header
//! `X-IDENTITY-HEADER`).

// Handlers return an HTTP response as their error: it is what gets sent, and boxing it
// would only add an allocation to every refused request.
#![allow(clippy::result_large_err)]

pub mod arm_error;
pub mod config;
pub mod faults;
pub mod handlers;
pub mod response;
pub mod router;
pub mod scenario;
pub mod server;
pub mod state;
pub mod throttle;
pub mod tls;

pub use config::{EmulatorConfig, FinalBodyShape, Settings, ThrottleSettings};
pub use faults::{FaultKind, ScriptedFault};
pub use scenario::{
    DEFAULT_SUBSCRIPTION, HostBehaviour, HostSpec, ResourceGroupSpec, Scenario, SubscriptionSpec,
};
pub use server::{EmulatorHandle, serve, serve_tls, spawn, spawn_tls};
