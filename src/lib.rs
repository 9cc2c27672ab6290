//! # bastion_session
//!
//! Lists and disconnects the active sessions of Azure Bastion hosts through Azure
//! Resource Manager (ARM), for the C ABI in `ffi/` and the PowerShell module above it.
//!
//! ## Layout
//!
//! Seven layers, lowest first. A module imports only from its own layer or the ones below
//! it, and files of one layer import each other without a circle; `tests/layers.rs`
//! fails on any upward import or circle. Only this file sees every layer (to re-export).
//!
//! 1. Value types, public: [`error`] ([`Error`], [`ErrorKind`], 1:1 with the C ABI's
//!    error kinds); [`model`] (sessions, hosts, disconnect results, scopes, per-host and
//!    per-subscription outcomes); [`names`] (the one set of rules for subscription ids,
//!    resource group and Bastion host names: the C ABI and the module leave them to it);
//!    [`resource_id`] ([`HostRef`]: parse, build back); [`timestamp`] (the lenient `startTime`
//!    parser); [`cloud`] ([`AzureEnvironment`]); [`options`] ([`ClientOptions`],
//!    [`RetryPolicy`], [`PollOptions`]); [`credential`] ([`CredentialSpec`],
//!    [`SecretString`], [`TokenSource`]); [`progress`] ([`ProgressEvent`],
//!    [`ProgressSink`]); [`context`] ([`OperationContext`]: cancellation, deadline,
//!    progress, counters).
//! 2. `transport`: `http` (the shared reqwest client, rustls + ring, extra CA, proxy, the
//!    loopback rule for plain HTTP, redacted logging), `request_id`, `retry` (the retry
//!    policy's decisions), `throttle_gate` (one pause per throttled subscription), and
//!    `arm_error` (ARM's error answers turned into [`Error`]s).
//! 3. `auth`: token sources (managed identity, azure_identity adapters, the default
//!    chain) and the per-identity token cache.
//! 4. `pipeline`: `ArmPipeline`, ARM URLs and authenticated, retried requests
//!    (`send`), and reading every page of a list answer (`paging`).
//! 5. `operations`: one file per ARM operation, each a function over the pipeline:
//!    `get_active_sessions` (with its `lro` polling), `disconnect_active_sessions`,
//!    `list_hosts`, `get_host`.
//! 6. `fanout`: the operations over many hosts (bounded concurrency, streamed outcomes)
//!    and host discovery over many subscriptions (one outcome per subscription).
//! 7. [`client`]: [`BastionClient`], the public facade.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod cloud;
pub mod context;
pub mod credential;
pub mod error;
pub mod model;
pub mod names;
pub mod options;
pub mod progress;
pub mod resource_id;
pub mod timestamp;

mod auth;
mod fanout;
mod operations;
mod pipeline;
mod transport;

pub use client::BastionClient;
pub use cloud::AzureEnvironment;
pub use context::{OperationContext, OperationStats, SessionPageSink, SinkRoom};
pub use credential::{AccessToken, CredentialSpec, SecretString, TokenSource};
pub use error::{Error, ErrorKind, Result};
pub use model::{
    BastionHost, BastionSession, DisconnectTarget, HostDisconnectOutcome, HostRef, HostScope,
    HostSessionsOutcome, SessionDisconnectResult, SubscriptionHostsOutcome,
};
pub use options::{
    ClientOptions, DEFAULT_API_VERSION, DEFAULT_CONCURRENCY, DEFAULT_DISCONNECT_CHUNK,
    DEFAULT_MAX_ITEMS_PER_CALL, EnvSettings, PollOptions, RetryPolicy,
};
pub use progress::{NoProgress, ProgressEvent, ProgressSink};
pub use tokio_util::sync::CancellationToken;
