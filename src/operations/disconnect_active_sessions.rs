//! `disconnectActiveSessions`: disconnects sessions of one Bastion host, in chunks, and
//! accounts for every requested id whatever happens.

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use serde_json::Value;
use url::Url;

use crate::context::OperationContext;
use crate::error::{Error, ErrorKind, Result};
use crate::model::SessionDisconnectResult;
use crate::options::DEFAULT_DISCONNECT_CHUNK;
use crate::pipeline::{ArmPipeline, paging};
use crate::resource_id::HostRef;
use crate::transport::arm_error::ArmOperation;
use crate::transport::http::RequestSpec;

/// Disconnects sessions on one host and accounts for every distinct requested id, also
/// when a chunk fails or the operation ends early: the ids of chunks ARM answered keep
/// ARM's states, the failing chunk's ids are `Failed` when ARM refused the request (a 4xx,
/// a 429) or it never left (a refused connection), `Unknown` when it may have reached ARM
/// (a 5xx, a dropped connection or a timeout after retries, an answer over the size limit,
/// a deadline or cancel while in flight), and the ids of chunks never sent are
/// `NotAttempted`. A chunk is sent only when the call's item budget still has room for
/// its answer (one result per id), so no chunk is applied whose answer could not be read.
/// The error, if any, is returned beside the full list.
pub(crate) async fn disconnect_active_sessions(
    pipeline: &ArmPipeline,
    host: &HostRef,
    session_ids: &[String],
    chunk_size: usize,
    ctx: &OperationContext,
) -> (Vec<SessionDisconnectResult>, Option<Error>) {
    let target = host.resource_id();
    let ids = distinct(session_ids);
    let mut out = Vec::with_capacity(ids.len());
    if let Some(bad) = ids.iter().find(|id| id.trim().is_empty()) {
        let e =
            Error::invalid_request(format!("a session id is empty ({bad:?})")).with_target(&target);
        mark(&mut out, &ids, SessionDisconnectResult::NOT_ATTEMPTED, &e);
        return (out, Some(e));
    }
    let chunk = if chunk_size == 0 {
        DEFAULT_DISCONNECT_CHUNK
    } else {
        chunk_size
    };
    let url = match pipeline.url_for(&format!("{target}/disconnectActiveSessions")) {
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
            Ok(()) if !ctx.stats.reserve_items(part.len(), pipeline.max_items) => Some((
                SessionDisconnectResult::NOT_ATTEMPTED,
                pipeline.budget_spent(&target),
            )),
            Ok(()) => match disconnect_chunk(pipeline, &url, &target, part, ctx).await {
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

/// The distinct ids of `session_ids`, compared ignoring case (they are GUIDs), in order.
fn distinct(session_ids: &[String]) -> Vec<&String> {
    let mut seen = HashSet::new();
    session_ids
        .iter()
        .filter(|id| seen.insert(id.to_ascii_lowercase()))
        .collect()
}

/// Every distinct id of `session_ids` as `Unknown` because of `why`: what a host whose
/// work ended in a panic reports, since any of its chunks may have been applied.
pub(crate) fn all_unknown(session_ids: &[String], why: &Error) -> Vec<SessionDisconnectResult> {
    let mut out = Vec::new();
    mark(
        &mut out,
        &distinct(session_ids),
        SessionDisconnectResult::UNKNOWN,
        why,
    );
    out
}

/// Sends one chunk (whose answer's items are reserved in the call's budget) and reads
/// every page of its answer. On failure, says what the chunk's ids became: `Failed` when
/// ARM refused the request or it never left, `Unknown` when it may have been applied but
/// its outcome was not read (see [`disconnect_active_sessions`]).
async fn disconnect_chunk(
    pipeline: &ArmPipeline,
    url: &Url,
    target: &str,
    part: &[&String],
    ctx: &OperationContext,
) -> std::result::Result<Vec<Option<SessionDisconnectResult>>, (&'static str, Error)> {
    let interrupted = |e: &Error| matches!(e.kind(), ErrorKind::Cancelled | ErrorKind::Timeout);
    let body = serde_json::to_vec(&serde_json::json!({ "sessionIds": part }))
        .map_err(|e| Error::invalid_request(format!("cannot encode the session ids: {e}")))
        .map_err(|e| {
            ctx.stats.release_items(part.len());
            (SessionDisconnectResult::NOT_ATTEMPTED, e)
        })?;
    let spec = RequestSpec {
        method: reqwest::Method::POST,
        url: url.clone(),
        body: Some(Bytes::from(body)),
    };
    let sent = pipeline
        .send(&spec, ArmOperation::Disconnect, target, ctx)
        .await;
    // The answer's items are counted as its pages are read: the reservation ends here.
    ctx.stats.release_items(part.len());
    let first = sent.map_err(|e| {
        let state = if interrupted(&e) || e.may_have_reached_service() {
            SessionDisconnectResult::UNKNOWN
        } else {
            SessionDisconnectResult::FAILED
        };
        (state, e)
    })?;
    // ARM accepted the chunk: from here a failure leaves its outcome unknown.
    paging::collect_all(
        pipeline,
        first,
        ArmOperation::Disconnect,
        target,
        ctx,
        parse_state,
    )
    .await
    .map_err(|e| (SessionDisconnectResult::UNKNOWN, e))
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
            "unknown: the request may have reached the service, but its outcome was not read ({}); the session may or may not have been disconnected",
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
