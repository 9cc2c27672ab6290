//! [`BastionClient`]: the operations on Bastion hosts, single and fanned out.

use std::sync::Arc;

use futures::stream::BoxStream;
use url::Url;

use crate::context::OperationContext;
use crate::error::{Error, Result};
use crate::model::{
    BastionHost, BastionSession, DisconnectTarget, HostDisconnectOutcome, HostRef, HostScope,
    HostSessionsOutcome, SessionDisconnectResult,
};
use crate::options::ClientOptions;

/// A client for the Bastion session operations of ARM.
///
/// Cheap to clone (all state is shared); one client can serve any number of concurrent
/// operations. The HTTP client and the credential's token cache are process-wide and
/// shared between clients with the same proxy/CA and identity.
#[derive(Clone)]
pub struct BastionClient {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: Url,
    options: ClientOptions,
}

impl std::fmt::Debug for BastionClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BastionClient")
            .field("endpoint", &self.inner.endpoint.as_str())
            .field("api_version", &self.inner.options.api_version)
            .finish_non_exhaustive()
    }
}

impl BastionClient {
    /// Builds a client. Fails with [`InsecureEndpoint`](crate::ErrorKind::InsecureEndpoint)
    /// for plain HTTP to a non-loopback host (no connection is made), with
    /// [`InvalidRequest`](crate::ErrorKind::InvalidRequest) for bad options (bad CA PEM,
    /// bad proxy URL). Credentials are resolved lazily, on the first call that needs a token.
    pub fn new(options: ClientOptions) -> Result<BastionClient> {
        let endpoint = options.effective_endpoint();
        Ok(BastionClient {
            inner: Arc::new(Inner { endpoint, options }),
        })
    }

    /// The ARM endpoint this client calls.
    pub fn endpoint(&self) -> &Url {
        &self.inner.endpoint
    }

    /// The options the client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// Lists the active sessions of one host (`getActiveSessions`: POST, LRO polling,
    /// every page read).
    pub async fn list_sessions(
        &self,
        host: &HostRef,
        ctx: &OperationContext,
    ) -> Result<Vec<BastionSession>> {
        let _ = (host, ctx);
        Err(Error::invalid_request("not implemented yet"))
    }

    /// Disconnects sessions on one host (`disconnectActiveSessions`).
    ///
    /// Duplicates are removed; one request is sent per chunk of at most `chunk_size` ids
    /// (0 means [`DEFAULT_DISCONNECT_CHUNK`](crate::DEFAULT_DISCONNECT_CHUNK)); every page of
    /// each answer is read. The result has exactly one entry per distinct requested id, in
    /// request order; an id ARM did not mention gets state
    /// [`NotReported`](SessionDisconnectResult::NOT_REPORTED).
    pub async fn disconnect_sessions(
        &self,
        host: &HostRef,
        session_ids: &[String],
        chunk_size: usize,
        ctx: &OperationContext,
    ) -> Result<Vec<SessionDisconnectResult>> {
        let _ = (host, session_ids, chunk_size, ctx);
        Err(Error::invalid_request("not implemented yet"))
    }

    /// Discovers the Bastion hosts in each subscription of `scope` (or in its resource
    /// group), reading every page. A subscription or group that does not exist fails the call.
    pub async fn list_hosts(
        &self,
        scope: &HostScope,
        ctx: &OperationContext,
    ) -> Result<Vec<BastionHost>> {
        let _ = (scope, ctx);
        Err(Error::invalid_request("not implemented yet"))
    }

    /// Reads one host (`GET .../bastionHosts/{name}`).
    pub async fn get_host(&self, host: &HostRef, ctx: &OperationContext) -> Result<BastionHost> {
        let _ = (host, ctx);
        Err(Error::invalid_request("not implemented yet"))
    }

    /// Lists the sessions of many hosts, at most `concurrency` at once (0 means
    /// [`DEFAULT_CONCURRENCY`](crate::DEFAULT_CONCURRENCY)), yielding each host's outcome
    /// as soon as it completes. A failing host does not stop the others. Emits
    /// `hostStarted`/`hostDone` progress. Cancelling `ctx` ends every host with `Cancelled`.
    pub fn list_sessions_many<H: Into<BastionHost>>(
        &self,
        hosts: impl IntoIterator<Item = H>,
        concurrency: usize,
        ctx: &OperationContext,
    ) -> BoxStream<'static, HostSessionsOutcome> {
        let _ = (concurrency, ctx);
        let hosts: Vec<BastionHost> = hosts.into_iter().map(Into::into).collect();
        Box::pin(futures::stream::iter(hosts.into_iter().map(|host| {
            HostSessionsOutcome {
                host,
                result: Err(Error::invalid_request("not implemented yet")),
            }
        })))
    }

    /// Disconnects sessions on many hosts, at most `concurrency` hosts at once, yielding
    /// each host's outcome as it completes (see [`disconnect_sessions`](Self::disconnect_sessions)).
    pub fn disconnect_sessions_many(
        &self,
        targets: Vec<DisconnectTarget>,
        chunk_size: usize,
        concurrency: usize,
        ctx: &OperationContext,
    ) -> BoxStream<'static, HostDisconnectOutcome> {
        let _ = (chunk_size, concurrency, ctx);
        Box::pin(futures::stream::iter(targets.into_iter().map(|t| {
            HostDisconnectOutcome {
                host: t.host,
                result: Err(Error::invalid_request("not implemented yet")),
            }
        })))
    }
}
