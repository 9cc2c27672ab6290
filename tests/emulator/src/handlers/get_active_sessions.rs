//! `POST .../getActiveSessions`: a long-running operation. The POST answers 202 with
//! `Location` (and, if configured, `Azure-AsyncOperation`) and `Retry-After`; polling
//! `Location` answers 202 `polls` times, then 200 with the first page of sessions (or a
//! bare array). Hosts can be scripted to never finish, to send no polling header, or to
//! answer a final body that is not JSON.

use std::sync::Arc;

use http::{HeaderValue, Response, StatusCode};
use serde_json::{Value, json};

use crate::arm_error::arm_error;
use crate::config::FinalBodyShape;
use crate::response::{Body, empty, json, not_json, serialized};
use crate::router::{HostPath, RequestInfo};
use crate::scenario::HostBehaviour;
use crate::state::{Emulator, Operation, lock};

use super::{ACTION_GET_ACTIVE_SESSIONS, check_host, paging};

fn operation_url(info: &RequestInfo, host: &HostPath, kind: &str, id: &str) -> String {
    format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/bastionHosts/{}/getActiveSessions/{kind}/{id}?api-version={}",
        info.base_url, host.subscription, host.group, host.name, info.api_version
    )
}

fn accepted(
    emulator: &Emulator,
    host: &HostPath,
    location: Option<String>,
    async_operation: Option<String>,
) -> Response<Body> {
    let mut response = Response::new(empty());
    *response.status_mut() = StatusCode::ACCEPTED;
    super::insert_wait_headers(&mut response, emulator.settings(), &host.name);
    let headers = response.headers_mut();
    if let Some(location) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(http::header::LOCATION, location);
    }
    if let Some(status) = async_operation.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert("azure-asyncoperation", status);
    }
    response
}

/// The completed operation's answer for `key`'s current sessions.
fn result(
    emulator: &Emulator,
    info: &RequestInfo,
    host: &HostPath,
    behaviour: HostBehaviour,
    sessions: Arc<Vec<Value>>,
) -> Response<Body> {
    if behaviour == HostBehaviour::MalformedBody {
        return not_json();
    }
    let bare = behaviour == HostBehaviour::BareArray
        || emulator.settings().final_body_shape == FinalBodyShape::BareArray;
    if bare {
        return serialized(StatusCode::OK, sessions.as_slice());
    }
    paging::first_page(emulator, info, host, "sessionPages", sessions)
}

/// The POST.
pub fn start(emulator: &Emulator, info: &RequestInfo, host: &HostPath) -> Response<Body> {
    let settings = emulator.settings();
    let mut world = lock(&emulator.world);
    let key = match check_host(&world, host, ACTION_GET_ACTIVE_SESSIONS) {
        Ok(key) => key,
        Err(e) => return e,
    };
    let state = &world.hosts[&key];
    let behaviour = state.behaviour;
    let sessions = Arc::clone(&state.sessions);
    let headerless = behaviour == HostBehaviour::NoPollingHeaders || settings.no_polling_headers;
    if headerless {
        let seen = world.headerless_posts.entry(key.clone()).or_insert(0);
        if *seen < settings.polls.max(1) {
            *seen += 1;
            return accepted(emulator, host, None, None);
        }
        world.headerless_posts.remove(&key);
        drop(world);
        return result(emulator, info, host, behaviour, sessions);
    }
    if settings.polls == 0 && behaviour != HostBehaviour::LroNeverCompletes {
        drop(world);
        return result(emulator, info, host, behaviour, sessions);
    }
    let id = world.new_id();
    world.insert_operation(
        id.clone(),
        Operation {
            host_key: key,
            polls_left: settings.polls,
            result: None,
        },
    );
    drop(world);
    let location = operation_url(info, host, "operationResults", &id);
    let status = settings
        .async_operation_header
        .then(|| operation_url(info, host, "asyncOperations", &id));
    accepted(emulator, host, Some(location), status)
}

enum Progress {
    Running,
    Done(HostBehaviour, Arc<Vec<Value>>),
}

/// Advances an operation by one poll.
fn advance(emulator: &Emulator, host: &HostPath, id: &str) -> Result<Progress, Response<Body>> {
    let mut world = lock(&emulator.world);
    let key = check_host(&world, host, ACTION_GET_ACTIVE_SESSIONS)?;
    let behaviour = world.hosts[&key].behaviour;
    let current = Arc::clone(&world.hosts[&key].sessions);
    let Some(op) = world.operations.get_mut(id).filter(|op| op.host_key == key) else {
        return Err(arm_error(
            StatusCode::NOT_FOUND,
            "OperationNotFound",
            &format!("Operation {id} not found."),
        ));
    };
    if behaviour == HostBehaviour::LroNeverCompletes {
        return Ok(Progress::Running);
    }
    if op.polls_left > 0 {
        op.polls_left -= 1;
        return Ok(Progress::Running);
    }
    let sessions = op.result.get_or_insert(current).clone();
    Ok(Progress::Done(behaviour, sessions))
}

/// GET on the `Location`.
pub fn poll_location(
    emulator: &Emulator,
    info: &RequestInfo,
    host: &HostPath,
    id: &str,
) -> Response<Body> {
    match advance(emulator, host, id) {
        Err(e) => e,
        Ok(Progress::Running) => accepted(
            emulator,
            host,
            Some(operation_url(info, host, "operationResults", id)),
            None,
        ),
        Ok(Progress::Done(behaviour, sessions)) => {
            result(emulator, info, host, behaviour, sessions)
        }
    }
}

/// GET on the `Azure-AsyncOperation` status resource.
pub fn poll_status(
    emulator: &Emulator,
    _info: &RequestInfo,
    host: &HostPath,
    id: &str,
) -> Response<Body> {
    match advance(emulator, host, id) {
        Err(e) => e,
        Ok(Progress::Running) => {
            let mut r = json(
                StatusCode::OK,
                &json!({ "id": id, "name": id, "status": "InProgress" }),
            );
            let retry_after = emulator.settings().retry_after.to_string();
            r.headers_mut().insert(
                http::header::RETRY_AFTER,
                HeaderValue::from_str(&retry_after).expect("digits"),
            );
            r
        }
        Ok(Progress::Done(..)) => json(
            StatusCode::OK,
            &json!({ "id": id, "name": id, "status": "Succeeded" }),
        ),
    }
}
