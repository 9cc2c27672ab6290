//! Paged answers: the first page goes out with the response, later pages are served from
//! a snapshot through absolute `nextLink` URLs (GET), as ARM pages results.

use std::sync::Arc;

use http::{Response, StatusCode};
use serde::Serialize;
use serde_json::Value;

use crate::arm_error::arm_error;
use crate::response::{Body, serialized};
use crate::router::{HostPath, RequestInfo};
use crate::scenario::HostBehaviour;
use crate::state::{Emulator, host_key, lock};

fn page_url(
    info: &RequestInfo,
    host: &HostPath,
    kind: &str,
    snapshot: &str,
    page: usize,
) -> String {
    format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/bastionHosts/{}/{kind}/{snapshot}-{page}?api-version={}",
        info.base_url, host.subscription, host.group, host.name, info.api_version
    )
}

/// A page as ARM writes it, serialized straight from the snapshot (no copy of the items).
#[derive(Serialize)]
struct Page<'a> {
    value: &'a [Value],
    #[serde(rename = "nextLink", skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

fn page_body(
    items: &[Value],
    page: usize,
    page_size: usize,
    next: Option<String>,
) -> Response<Body> {
    let start = (page * page_size).min(items.len());
    let end = (start + page_size).min(items.len());
    serialized(
        StatusCode::OK,
        &Page {
            value: &items[start..end],
            next_link: next,
        },
    )
}

/// The 200 with the first page of `items`, storing a snapshot when more pages follow (or when the host
/// is scripted to loop its `nextLink`).
pub fn first_page(
    emulator: &Emulator,
    info: &RequestInfo,
    host: &HostPath,
    kind: &str,
    items: Arc<Vec<Value>>,
) -> Response<Body> {
    let page_size = emulator.settings().page_size.max(1);
    let looping =
        kind == "sessionPages" && behaviour(emulator, host) == HostBehaviour::NextLinkLoop;
    if items.len() <= page_size && !looping {
        return page_body(&items, 0, page_size, None);
    }
    let mut world = lock(&emulator.world);
    let snapshot = world.new_id();
    world.insert_snapshot(snapshot.clone(), Arc::clone(&items));
    drop(world);
    let next = page_url(info, host, kind, &snapshot, 1);
    page_body(&items, 0, page_size, Some(next))
}

fn behaviour(emulator: &Emulator, host: &HostPath) -> HostBehaviour {
    lock(&emulator.world)
        .hosts
        .get(&host_key(&host.subscription, &host.group, &host.name))
        .map(|h| h.behaviour)
        .unwrap_or_default()
}

/// GET on a `nextLink`.
pub fn page(
    emulator: &Emulator,
    info: &RequestInfo,
    host: &HostPath,
    token: &str,
    kind: &str,
) -> Response<Body> {
    let invalid = || {
        arm_error(
            StatusCode::NOT_FOUND,
            "InvalidPageToken",
            &format!("The page token '{token}' is not valid or has expired."),
        )
    };
    let Some((snapshot, page)) = token.rsplit_once('-') else {
        return invalid();
    };
    let Ok(page) = page.parse::<usize>() else {
        return invalid();
    };
    let Some(items) = lock(&emulator.world).snapshots.get(snapshot).cloned() else {
        return invalid();
    };
    let page_size = emulator.settings().page_size.max(1);
    let next = if kind == "sessionPages" && behaviour(emulator, host) == HostBehaviour::NextLinkLoop
    {
        Some(page_url(info, host, kind, snapshot, page))
    } else if (page + 1) * page_size < items.len() {
        Some(page_url(info, host, kind, snapshot, page + 1))
    } else {
        None
    };
    page_body(&items, page, page_size, next)
}
