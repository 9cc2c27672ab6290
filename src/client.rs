//! Layer 7, [`BastionClient`]: the public facade. Each method checks its input, then calls
//! one ARM operation or one fan-out over the shared [`ArmPipeline`].

use std::sync::Arc;

use futures::stream::BoxStream;
use url::Url;

use crate::context::OperationContext;
use crate::error::Result;
use crate::fanout;
use crate::model::{
    BastionHost, BastionSession, DisconnectTarget, HostDisconnectOutcome, HostRef, HostScope,
    HostSessionsOutcome, SessionDisconnectResult, SubscriptionHostsOutcome,
};
use crate::operations::{disconnect_active_sessions, get_active_sessions, get_host};
use crate::options::ClientOptions;
use crate::pipeline::ArmPipeline;

/// A client for the Bastion session operations of ARM.
///
/// Cheap to clone (all state is shared); one client can serve any number of concurrent
/// operations. The HTTP client and the credential's token cache are process-wide and
/// shared between clients with the same proxy/CA and identity.
#[derive(Clone)]
pub struct BastionClient {
    pipeline: Arc<ArmPipeline>,
    options: Arc<ClientOptions>,
}

impl std::fmt::Debug for BastionClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BastionClient")
            .field("endpoint", &self.pipeline.endpoint.as_str())
            .field("api_version", &self.pipeline.api_version)
            .finish_non_exhaustive()
    }
}

impl BastionClient {
    /// Builds a client. Makes no network call.
    ///
    /// Fails with [`InsecureEndpoint`](crate::ErrorKind::InsecureEndpoint) for plain HTTP
    /// to a non-loopback host, with [`InvalidRequest`](crate::ErrorKind::InvalidRequest)
    /// for bad options (bad CA PEM, bad proxy URL, empty api-version or access token), and
    /// with [`Auth`](crate::ErrorKind::Auth) for a credential that cannot be set up (e.g. a
    /// client certificate file that is not a PEM with an unencrypted RSA key) or a bad
    /// `AZURE_TOKEN_CREDENTIALS`.
    pub fn new(options: ClientOptions) -> Result<BastionClient> {
        let pipeline = ArmPipeline::new(&options)?;
        Ok(BastionClient {
            pipeline: Arc::new(pipeline),
            options: Arc::new(options),
        })
    }

    /// The ARM endpoint this client calls.
    pub fn endpoint(&self) -> &Url {
        &self.pipeline.endpoint
    }

    /// The options the client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// Lists the active sessions of one host (`getActiveSessions`: POST, LRO polling,
    /// every page read).
    pub async fn list_sessions(
        &self,
        host: &HostRef,
        ctx: &OperationContext,
    ) -> Result<Vec<BastionSession>> {
        get_active_sessions::get_active_sessions(&self.pipeline, host, ctx).await
    }

    /// Disconnects sessions on one host (`disconnectActiveSessions`).
    ///
    /// Duplicates are removed (ids compare case-insensitively: they are GUIDs); one request
    /// is sent per chunk of at most `chunk_size` ids (0 means [`DEFAULT_DISCONNECT_CHUNK`](crate::options::DEFAULT_DISCONNECT_CHUNK));
    /// every page of each answer is read. The result has exactly one entry per distinct
    /// requested id, in request order; an id ARM did not mention gets state
    /// [`NotReported`](SessionDisconnectResult::NOT_REPORTED). No id, no request.
    ///
    /// When a chunk fails (or the deadline passes, or the call is cancelled) this returns
    /// the error alone; [`disconnect_sessions_many`](Self::disconnect_sessions_many) also
    /// reports what happened to every id in that case
    /// ([`HostDisconnectOutcome::partial`]).
    pub async fn disconnect_sessions(
        &self,
        host: &HostRef,
        session_ids: &[String],
        chunk_size: usize,
        ctx: &OperationContext,
    ) -> Result<Vec<SessionDisconnectResult>> {
        let (out, error) = disconnect_active_sessions::disconnect_active_sessions(
            &self.pipeline,
            host,
            session_ids,
            chunk_size,
            ctx,
        )
        .await;
        match error {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Discovers the Bastion hosts in each subscription of `scope` (or in its resource
    /// group), reading every page, and fails on the first subscription or group that
    /// cannot be listed (e.g. one that does not exist). Emits `hostsDiscovered`.
    /// [`discover_hosts`](Self::discover_hosts) keeps going past a failed subscription.
    pub async fn list_hosts(
        &self,
        scope: &HostScope,
        ctx: &OperationContext,
    ) -> Result<Vec<BastionHost>> {
        let mut hosts = Vec::new();
        for outcome in self.discover_hosts(scope, ctx).await? {
            hosts.extend(outcome.result?);
        }
        Ok(hosts)
    }

    /// Discovers the Bastion hosts in each subscription of `scope` (or in its resource
    /// group) and returns one outcome per distinct subscription, in the scope's order: its
    /// hosts, or why they could not be listed. One subscription failing (403, 404, a
    /// network failure) does not stop the others. Fails as a whole only for a scope that
    /// is not valid (no subscription, a name that is not a valid resource-id segment) or a
    /// context already cancelled or past its deadline. Emits `hostsDiscovered`.
    pub async fn discover_hosts(
        &self,
        scope: &HostScope,
        ctx: &OperationContext,
    ) -> Result<Vec<SubscriptionHostsOutcome>> {
        fanout::discover_hosts(self.pipeline.clone(), scope, ctx).await
    }

    /// Reads one host (`GET .../bastionHosts/{name}`).
    pub async fn get_host(&self, host: &HostRef, ctx: &OperationContext) -> Result<BastionHost> {
        get_host::get_host(&self.pipeline, host, ctx).await
    }

    /// Lists the sessions of many hosts, at most `concurrency` at once (0 means
    /// [`DEFAULT_CONCURRENCY`](crate::DEFAULT_CONCURRENCY)), yielding each host's outcome
    /// as soon as it completes. A failing host does not stop the others. Emits
    /// `hostStarted`/`hostDone` progress. Cancelling `ctx` ends every host with `Cancelled`.
    /// When `ctx` has a [`SessionPageSink`](crate::context::SessionPageSink)
    /// ([`OperationContext::with_session_pages`]), each host's sessions go to it page by
    /// page as they are read, and the host's outcome carries `Ok` with no sessions, or its
    /// error.
    ///
    /// The stream does its work as it is polled; it needs no particular runtime beyond
    /// tokio's timers and I/O.
    pub fn list_sessions_many<H: Into<BastionHost>>(
        &self,
        hosts: impl IntoIterator<Item = H>,
        concurrency: usize,
        ctx: &OperationContext,
    ) -> BoxStream<'static, HostSessionsOutcome> {
        let hosts: Vec<BastionHost> = hosts.into_iter().map(Into::into).collect();
        fanout::sessions(self.pipeline.clone(), hosts, concurrency, ctx.clone())
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
        fanout::disconnects(
            self.pipeline.clone(),
            targets,
            chunk_size,
            concurrency,
            ctx.clone(),
        )
    }
}
