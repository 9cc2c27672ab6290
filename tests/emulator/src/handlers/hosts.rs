//! Bastion host discovery: list by subscription, by resource group (paged), and one host.

use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::response::{Body, json};
use crate::router::{HostPath, RequestInfo};
use crate::state::{Emulator, host_key, lock};

use super::{ACTION_READ, check_host, check_scope};

/// `GET .../bastionHosts` at subscription or resource-group scope; pages by
/// `page_size` with `$skiptoken` (an offset) in the `nextLink`.
pub fn list(
    emulator: &Emulator,
    info: &RequestInfo,
    subscription: &str,
    group: Option<&str>,
) -> Response<Body> {
    let world = lock(&emulator.world);
    if let Err(e) = check_scope(&world, subscription, group) {
        return e;
    }
    let prefix = match group {
        Some(g) => format!("{subscription}/{g}/").to_ascii_lowercase(),
        None => format!("{subscription}/").to_ascii_lowercase(),
    };
    let skip: usize = info
        .query("$skiptoken")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let page_size = emulator.settings().page_size.max(1);
    let matching: Vec<&crate::state::HostState> = world
        .hosts
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, h)| h)
        .collect();
    let value: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(page_size)
        .map(|h| h.to_json())
        .collect();
    let mut body = json!({ "value": value });
    if skip + page_size < matching.len() {
        let path = match group {
            Some(g) => format!(
                "/subscriptions/{subscription}/resourceGroups/{g}/providers/Microsoft.Network/bastionHosts"
            ),
            None => {
                format!("/subscriptions/{subscription}/providers/Microsoft.Network/bastionHosts")
            }
        };
        body["nextLink"] = json!(format!(
            "{}{path}?api-version={}&$skiptoken={}",
            info.base_url,
            info.api_version,
            skip + page_size
        ));
    }
    json(StatusCode::OK, &body)
}

/// `GET .../bastionHosts/{name}`.
pub fn get(emulator: &Emulator, host: &HostPath) -> Response<Body> {
    let world = lock(&emulator.world);
    if let Err(e) = check_host(&world, host, ACTION_READ) {
        return e;
    }
    let key = host_key(&host.subscription, &host.group, &host.name);
    json(StatusCode::OK, &world.hosts[&key].to_json())
}
