//! `POST .../disconnectActiveSessions` with `{"sessionIds": [...]}` (a bare array, as old
//! docs show, is accepted too): a state per id, paged; disconnected sessions leave the host.

use std::collections::HashSet;
use std::sync::Arc;

use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::arm_error::arm_error;
use crate::response::Body;
use crate::router::{HostPath, RequestInfo};
use crate::state::{Emulator, lock};

use super::{ACTION_DISCONNECT, check_host, paging};

fn session_ids(body: &[u8]) -> Result<Vec<String>, String> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        format!("The request content was invalid and could not be deserialized: {e}")
    })?;
    let list = match &value {
        Value::Object(o) => o
            .get("sessionIds")
            .ok_or_else(|| "The request content must carry 'sessionIds'.".to_string())?,
        Value::Array(_) => &value,
        _ => return Err("The request content must be an object with 'sessionIds'.".to_string()),
    };
    list.as_array()
        .ok_or_else(|| "'sessionIds' must be an array of strings.".to_string())?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| "'sessionIds' must be an array of strings.".to_string())
        })
        .collect()
}

/// The POST.
pub fn disconnect(emulator: &Emulator, info: &RequestInfo, host: &HostPath) -> Response<Body> {
    let ids = match session_ids(&info.body) {
        Ok(ids) => ids,
        Err(message) => {
            return arm_error(StatusCode::BAD_REQUEST, "InvalidRequestContent", &message);
        }
    };
    let mut world = lock(&emulator.world);
    let key = match check_host(&world, host, ACTION_DISCONNECT) {
        Ok(key) => key,
        Err(e) => return e,
    };
    let state = world.hosts.get_mut(&key).expect("checked above");
    let present: HashSet<&str> = state
        .sessions
        .iter()
        .filter_map(|s| s["sessionId"].as_str())
        .collect();
    let mut removed = HashSet::new();
    let results: Vec<Value> = ids
        .iter()
        .map(|id| {
            if present.contains(id.as_str()) || removed.contains(id.as_str()) {
                removed.insert(id.as_str());
                json!({ "sessionId": id, "message": format!("session {id} invalidated!"), "state": "Disconnected" })
            } else {
                json!({ "sessionId": id, "message": format!("session {id} not found!"), "state": "NotFound" })
            }
        })
        .collect();
    if !removed.is_empty() {
        Arc::make_mut(&mut state.sessions).retain(|s| {
            !s["sessionId"]
                .as_str()
                .is_some_and(|id| removed.contains(id))
        });
    }
    drop(world);
    paging::first_page(emulator, info, host, "disconnectPages", Arc::new(results))
}
