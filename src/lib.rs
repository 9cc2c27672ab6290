//! # bastion_session
//!
//! Lists and disconnects the active sessions of Azure Bastion hosts through Azure
//! Resource Manager (ARM), for the C ABI in `ffi/` and the PowerShell module above it.
//!
//! ## Layout
//!
//! Public surface:
//! - [`client`]: [`BastionClient`], the entry point: list sessions, disconnect sessions,
//!   discover hosts, and fan each out over many hosts with bounded concurrency.
//! - [`model`]: sessions, hosts, host references, disconnect results, scopes.
//! - [`names`]: the one set of rules for subscription ids, resource group and Bastion host
//!   names (the C ABI and the module leave them to it).
//! - [`error`]: [`Error`] and [`ErrorKind`] (1:1 with the C ABI's error kinds).
//! - [`options`]: [`ClientOptions`], [`RetryPolicy`], [`PollOptions`].
//! - [`credential`]: [`CredentialSpec`] (which credential), [`SecretString`], [`TokenSource`].
//! - [`cloud`]: [`AzureEnvironment`] (ARM endpoint, token audience, authority host).
//! - [`context`]: [`OperationContext`] (cancellation, deadline, progress, counters).
//! - [`progress`]: [`ProgressEvent`] and [`ProgressSink`].
//! - [`timestamp`]: the lenient `startTime` parser.
//!
//! Machinery (private, one file per concern):
//! - `http`: the shared reqwest client (rustls + ring, extra CA, proxy), the loopback
//!   rule for plain HTTP, request ids, redacted logging.
//! - `retry`: which failures are retried, backoff with jitter, `Retry-After` parsing,
//!   slowing down on low `x-ms-ratelimit-remaining-*`.
//! - `throttle_gate`: a 429 pauses every request of the process to that subscription's
//!   bucket for its `Retry-After`, so a fan-out queues behind ARM instead of giving up.
//! - `lro`: polling `getActiveSessions` (Azure-AsyncOperation, Location, and a 202
//!   without either).
//! - `paging`: `{value,nextLink}` or bare-array answers, loop detection.
//! - `arm_error`: turning ARM error answers into [`Error`]s.
//! - `auth`: token sources (managed identity, azure_identity adapters, the default
//!   chain) and the per-identity token cache.
//! - `fanout`: the bounded-concurrency streams over many hosts.
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
pub mod timestamp;

mod arm_error;
mod auth;
mod fanout;
mod http;
mod lro;
mod paging;
mod retry;
mod throttle_gate;

pub use client::BastionClient;
pub use cloud::AzureEnvironment;
pub use context::{OperationContext, OperationStats};
pub use credential::{AccessToken, CredentialSpec, SecretString, TokenSource};
pub use error::{Error, ErrorKind, Result};
pub use model::{
    BastionHost, BastionSession, DisconnectTarget, HostDisconnectOutcome, HostRef, HostScope,
    HostSessionsOutcome, SessionDisconnectResult,
};
pub use options::{
    ClientOptions, DEFAULT_API_VERSION, DEFAULT_CONCURRENCY, DEFAULT_DISCONNECT_CHUNK,
    DEFAULT_MAX_ITEMS_PER_CALL, EnvSettings, PollOptions, RetryPolicy,
};
pub use progress::{NoProgress, ProgressEvent, ProgressSink};
pub use tokio_util::sync::CancellationToken;
