//! [`BastionClient`]: the operations on Bastion hosts, single and fanned out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;
use serde_json::Value;
use url::Url;

use crate::arm_error::Operation;
use crate::auth::{self, TokenProvider};
use crate::context::OperationContext;
use crate::error::{Error, Result};
use crate::http::{self, RequestSpec};
use crate::model::{
    BastionHost, BastionSession, DisconnectTarget, HostDisconnectOutcome, HostRef, HostScope,
    HostSessionsOutcome, SessionDisconnectResult,
};
use crate::options::{ClientOptions, DEFAULT_DISCONNECT_CHUNK, PollOptions, RetryPolicy};
use crate::progress::ProgressEvent;
use crate::{fanout, lro, paging, retry};

/// What the request machinery needs (shared by clones of a client).
pub(crate) struct Arm {
    pub http: reqwest::Client,
    pub tokens: Arc<TokenProvider>,
    pub endpoint: Url,
    pub api_version: String,
    pub retry: RetryPolicy,
    pub poll: PollOptions,
    pub request_timeout: Duration,
    pub max_pages: usize,
    pub max_items: u64,
}

impl Arm {
    /// `{endpoint}{path}?api-version=..` for an ARM path like `/subscriptions/..`.
    pub fn url_for(&self, path: &str) -> Result<Url> {
        let mut base = self.endpoint.clone();
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let mut url = base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::invalid_request(format!("cannot build a URL for '{path}': {e}")))?;
        url.query_pairs_mut()
            .append_pair("api-version", &self.api_version);
        Ok(url)
    }
}

/// A client for the Bastion session operations of ARM.
///
/// Cheap to clone (all state is shared); one client can serve any number of concurrent
/// operations. The HTTP client and the credential's token cache are process-wide and
/// shared between clients with the same proxy/CA and identity.
#[derive(Clone)]
pub struct BastionClient {
    arm: Arc<Arm>,
    options: Arc<ClientOptions>,
}

impl std::fmt::Debug for BastionClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BastionClient")
            .field("endpoint", &self.arm.endpoint.as_str())
            .field("api_version", &self.arm.api_version)
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
        let endpoint = options.effective_endpoint();
        http::check_endpoint(&endpoint)?;
        if options.api_version.trim().is_empty() {
            return Err(Error::invalid_request("the api-version is empty"));
        }
        let settings = options.env_settings.as_deref();
        let proxy = http::ProxySettings::resolve(options.proxy.as_deref(), |n| {
            crate::options::env_var(settings, n)
        });
        let extra_ca = extra_ca_with_cert_file(options.extra_ca_pem.as_deref(), settings)?;
        let http = http::shared_client(&proxy, extra_ca.as_deref(), options.connect_timeout)?;
        let tokens = auth::provider_for(
            &options.credential,
            options.environment,
            &http,
            options.env_settings.clone(),
        )?;
        let arm = Arm {
            http,
            tokens,
            endpoint,
            api_version: options.api_version.trim().to_string(),
            retry: options.retry.clone(),
            poll: options.poll.clone(),
            request_timeout: options.request_timeout,
            max_pages: options.max_pages.max(1),
            max_items: options.max_items_per_call.max(1) as u64,
        };
        Ok(BastionClient {
            arm: Arc::new(arm),
            options: Arc::new(options),
        })
    }

    /// The ARM endpoint this client calls.
    pub fn endpoint(&self) -> &Url {
        &self.arm.endpoint
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
        ctx.check()?;
        lro::get_active_sessions(&self.arm, host, ctx).await
    }

    /// Disconnects sessions on one host (`disconnectActiveSessions`).
    ///
    /// Duplicates are removed (ids compare case-insensitively: they are GUIDs); one request
    /// is sent per chunk of at most `chunk_size` ids (0 means [`DEFAULT_DISCONNECT_CHUNK`]);
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
        let (out, error) = self
            .disconnect_accounted(host, session_ids, chunk_size, ctx)
            .await;
        match error {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Disconnects sessions on one host and accounts for every distinct requested id, also
    /// when a chunk fails or the operation ends early: the ids of chunks ARM answered keep
    /// ARM's states, the failing chunk's ids are `Failed` (or `Unknown` when the request
    /// was in flight at a deadline or cancel), and the ids of chunks never sent are
    /// `NotAttempted`. The error, if any, is returned beside the full list.
    pub(crate) async fn disconnect_accounted(
        &self,
        host: &HostRef,
        session_ids: &[String],
        chunk_size: usize,
        ctx: &OperationContext,
    ) -> (Vec<SessionDisconnectResult>, Option<Error>) {
        let target = host.resource_id();
        let mut seen = HashSet::new();
        let ids: Vec<&String> = session_ids
            .iter()
            .filter(|id| seen.insert(id.to_ascii_lowercase()))
            .collect();
        let mut out = Vec::with_capacity(ids.len());
        if let Some(bad) = ids.iter().find(|id| id.trim().is_empty()) {
            let e = Error::invalid_request(format!("a session id is empty ({bad:?})"))
                .with_target(&target);
            mark(&mut out, &ids, SessionDisconnectResult::NOT_ATTEMPTED, &e);
            return (out, Some(e));
        }
        let chunk = if chunk_size == 0 {
            DEFAULT_DISCONNECT_CHUNK
        } else {
            chunk_size
        };
        let url = match self
            .arm
            .url_for(&format!("{target}/disconnectActiveSessions"))
        {
            Ok(u) => u,
            Err(e) => {
                mark(&mut out, &ids, SessionDisconnectResult::NOT_ATTEMPTED, &e);
                return (out, Some(e));
            }
        };
        let mut parts = ids.chunks(chunk);
        while let Some(part) = parts.next() {
            let failure = match ctx.check() {
                // Nothing of this chunk left the process: it was not attempted.
                Err(e) => Some((SessionDisconnectResult::NOT_ATTEMPTED, e)),
                Ok(()) => match self.disconnect_chunk(&url, &target, part, ctx).await {
                    Ok(states) => {
                        account_chunk(&mut out, part, states, &target);
                        None
                    }
                    Err(failure) => Some(failure),
                },
            };
            if let Some((state, e)) = failure {
                mark(&mut out, part, state, &e);
                let rest: Vec<&String> = parts.flatten().copied().collect();
                mark(&mut out, &rest, SessionDisconnectResult::NOT_ATTEMPTED, &e);
                return (out, Some(e));
            }
        }
        (out, None)
    }

    /// Sends one chunk and reads every page of its answer. On failure, says what the
    /// chunk's ids became: `Failed` when ARM refused the request (or it failed past the
    /// retry budget), `Unknown` when it may have been applied but its answer was lost
    /// (deadline, cancel, or a later page that could not be read).
    async fn disconnect_chunk(
        &self,
        url: &Url,
        target: &str,
        part: &[&String],
        ctx: &OperationContext,
    ) -> std::result::Result<Vec<Option<SessionDisconnectResult>>, (&'static str, Error)> {
        let interrupted = |e: &Error| {
            matches!(
                e.kind(),
                crate::ErrorKind::Cancelled | crate::ErrorKind::Timeout
            )
        };
        let body = serde_json::to_vec(&serde_json::json!({ "sessionIds": part }))
            .map_err(|e| Error::invalid_request(format!("cannot encode the session ids: {e}")))
            .map_err(|e| (SessionDisconnectResult::NOT_ATTEMPTED, e))?;
        let spec = RequestSpec {
            method: reqwest::Method::POST,
            url: url.clone(),
            body: Some(Bytes::from(body)),
        };
        let first = retry::send(&self.arm, &spec, Operation::Disconnect, target, ctx)
            .await
            .map_err(|e| {
                let state = if interrupted(&e) {
                    SessionDisconnectResult::UNKNOWN
                } else {
                    SessionDisconnectResult::FAILED
                };
                (state, e)
            })?;
        // ARM accepted the chunk: from here a failure leaves its outcome unknown.
        paging::collect_all(
            &self.arm,
            first,
            Operation::Disconnect,
            target,
            ctx,
            parse_state,
        )
        .await
        .map_err(|e| (SessionDisconnectResult::UNKNOWN, e))
    }

    /// Discovers the Bastion hosts in each subscription of `scope` (or in its resource
    /// group), reading every page. A subscription or group that does not exist fails the
    /// call. Emits `hostsDiscovered`.
    pub async fn list_hosts(
        &self,
        scope: &HostScope,
        ctx: &OperationContext,
    ) -> Result<Vec<BastionHost>> {
        ctx.check()?;
        let mut subs = Vec::new();
        for s in &scope.subscription_ids {
            let s = s.trim();
            crate::names::validate_subscription_id(s)?;
            if !subs.contains(&s) {
                subs.push(s);
            }
        }
        if subs.is_empty() {
            return Err(Error::invalid_request(
                "no subscription id was given to discover Bastion hosts in",
            ));
        }
        let rg = scope
            .resource_group_name
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if let Some(rg) = rg {
            crate::names::validate_resource_group_name(rg)?;
        }
        let mut hosts = Vec::new();
        for sub in subs {
            let (path, target) = match rg {
                Some(rg) => (
                    format!(
                        "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/bastionHosts"
                    ),
                    format!("resource group '{rg}' in subscription '{sub}'"),
                ),
                None => (
                    format!("/subscriptions/{sub}/providers/Microsoft.Network/bastionHosts"),
                    format!("subscription '{sub}'"),
                ),
            };
            let spec = RequestSpec {
                method: reqwest::Method::GET,
                url: self.arm.url_for(&path)?,
                body: None,
            };
            let first = retry::send(&self.arm, &spec, Operation::ListHosts, &target, ctx).await?;
            hosts.extend(
                paging::collect_all(
                    &self.arm,
                    first,
                    Operation::ListHosts,
                    &target,
                    ctx,
                    BastionHost::from_arm_json,
                )
                .await?,
            );
        }
        ctx.emit(ProgressEvent::HostsDiscovered { count: hosts.len() });
        Ok(hosts)
    }

    /// Reads one host (`GET .../bastionHosts/{name}`).
    pub async fn get_host(&self, host: &HostRef, ctx: &OperationContext) -> Result<BastionHost> {
        ctx.check()?;
        let target = host.resource_id();
        let spec = RequestSpec {
            method: reqwest::Method::GET,
            url: self.arm.url_for(&target)?,
            body: None,
        };
        let resp = retry::send(&self.arm, &spec, Operation::GetHost, &target, ctx).await?;
        let v: Value = serde_json::from_slice(&resp.body).map_err(|e| {
            Error::invalid_response(format!("the host answer is not valid JSON: {e}"))
                .with_target(&target)
        })?;
        BastionHost::from_arm_json(&v).map_err(|e| e.with_target(&target))
    }

    /// Lists the sessions of many hosts, at most `concurrency` at once (0 means
    /// [`DEFAULT_CONCURRENCY`](crate::DEFAULT_CONCURRENCY)), yielding each host's outcome
    /// as soon as it completes. A failing host does not stop the others. Emits
    /// `hostStarted`/`hostDone` progress. Cancelling `ctx` ends every host with `Cancelled`.
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
        fanout::sessions(self.clone(), hosts, concurrency, ctx.clone())
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
        fanout::disconnects(self.clone(), targets, chunk_size, concurrency, ctx.clone())
    }
}

/// Appends one result per id of an answered chunk: ARM's state for the ids it reported
/// (matched case-insensitively), `NotReported` for the others.
fn account_chunk(
    out: &mut Vec<SessionDisconnectResult>,
    part: &[&String],
    states: Vec<Option<SessionDisconnectResult>>,
    target: &str,
) {
    let mut reported: HashMap<String, SessionDisconnectResult> = HashMap::new();
    for s in states.into_iter().flatten() {
        reported
            .entry(s.session_id.to_ascii_lowercase())
            .or_insert(s);
    }
    for id in part {
        let result = match reported.remove(&id.to_ascii_lowercase()) {
            // Report the id as the caller spelled it.
            Some(r) => SessionDisconnectResult {
                session_id: (*id).clone(),
                ..r
            },
            None => SessionDisconnectResult {
                session_id: (*id).clone(),
                state: SessionDisconnectResult::NOT_REPORTED.to_string(),
                message: Some("the service did not report this session".to_string()),
            },
        };
        out.push(result);
    }
    if !reported.is_empty() {
        tracing::debug!(extra = reported.len(), host = %target, "the service reported sessions that were not asked for; ignored");
    }
}

/// Appends `state` for each of `ids`, with a message saying why.
fn mark(out: &mut Vec<SessionDisconnectResult>, ids: &[&String], state: &str, why: &Error) {
    let message = match state {
        SessionDisconnectResult::NOT_ATTEMPTED => {
            format!(
                "not attempted: no request was sent for this session ({})",
                why.message()
            )
        }
        SessionDisconnectResult::UNKNOWN => format!(
            "unknown: the request was sent but its answer was not received ({}); the session may or may not have been disconnected",
            why.message()
        ),
        _ => why.message().to_string(),
    };
    out.extend(ids.iter().map(|id| SessionDisconnectResult {
        session_id: (*id).clone(),
        state: state.to_string(),
        message: Some(message.clone()),
    }));
}

/// The extra CA PEM, plus the file `SSL_CERT_FILE` names when the caller passed its
/// environment explicitly (with the process environment the TLS verifier reads it itself).
fn extra_ca_with_cert_file(
    extra: Option<&str>,
    settings: Option<&crate::EnvSettings>,
) -> Result<Option<String>> {
    // SSL_CERT_FILE is the Unix convention, which the platform verifier follows itself for
    // callers that send no environment. Windows trusts its certificate store and never reads
    // it; honouring it there from the module's settings would make PowerShell and C callers
    // disagree (and a Linux CA bundle path inherited by a Windows process, as under wine,
    // turned every call into "the HTTP client could not be built").
    if cfg!(windows) {
        return Ok(extra.map(str::to_string));
    }
    let Some(path) = settings.and_then(|s| s.get("SSL_CERT_FILE")) else {
        return Ok(extra.map(str::to_string));
    };
    let pem = std::fs::read_to_string(&path).map_err(|e| {
        Error::invalid_request(format!(
            "the CA file named by SSL_CERT_FILE ('{path}') could not be read: {e}"
        ))
    })?;
    Ok(Some(match extra {
        Some(x) => format!("{x}\n{pem}"),
        None => pem,
    }))
}

/// One `BastionSessionState` of a disconnect answer; items without a session id are dropped.
fn parse_state(v: &Value) -> Result<Option<SessionDisconnectResult>> {
    let obj = v
        .as_object()
        .ok_or_else(|| Error::invalid_response("a disconnect result is not a JSON object"))?;
    let s = |k: &str| -> Result<Option<String>> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::invalid_response(format!(
                "disconnect result field '{k}' should be a string"
            ))),
        }
    };
    let Some(session_id) = s("sessionId")? else {
        return Ok(None);
    };
    Ok(Some(SessionDisconnectResult {
        session_id,
        state: s("state")?.unwrap_or_else(|| "Unknown".to_string()),
        message: s("message")?,
    }))
}
