//! One handler file per ARM operation, plus the emulator's own endpoints; this file holds
//! the dispatch and the existence checks every host operation shares.

pub mod admin;
pub mod auth;
pub mod disconnect;
pub mod get_active_sessions;
pub mod hosts;
pub mod msi;
pub mod paging;

use http::{HeaderName, HeaderValue, Response, StatusCode};

use crate::arm_error::arm_error;
use crate::config::Settings;
use crate::response::Body;
use crate::router::{HostPath, RequestInfo, Route};
use crate::scenario::HostBehaviour;
use crate::state::{Emulator, World, host_key};

/// Runs the handler of an ARM route (checks already passed).
pub fn dispatch(emulator: &Emulator, route: &Route, info: &RequestInfo) -> Response<Body> {
    match route {
        Route::ListBySubscription(sub) => hosts::list(emulator, info, sub, None),
        Route::ListByResourceGroup(sub, group) => hosts::list(emulator, info, sub, Some(group)),
        Route::GetHost(h) => hosts::get(emulator, h),
        Route::GetActiveSessions(h) => get_active_sessions::start(emulator, info, h),
        Route::PollOperation(h, id) => get_active_sessions::poll_location(emulator, info, h, id),
        Route::AsyncOperationStatus(h, id) => {
            get_active_sessions::poll_status(emulator, info, h, id)
        }
        Route::SessionsPage(h, token) => paging::page(emulator, info, h, token, "sessionPages"),
        Route::DisconnectActiveSessions(h) => disconnect::disconnect(emulator, info, h),
        Route::DisconnectPage(h, token) => {
            paging::page(emulator, info, h, token, "disconnectPages")
        }
        _ => arm_error(StatusCode::NOT_FOUND, "NotFound", "Not found."),
    }
}

/// ARM's 404s for an unknown subscription or resource group.
pub fn check_scope(
    world: &World,
    subscription: &str,
    group: Option<&str>,
) -> Result<(), Response<Body>> {
    if !world
        .subscriptions
        .contains(&subscription.to_ascii_lowercase())
    {
        return Err(arm_error(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            &format!("The subscription '{subscription}' could not be found."),
        ));
    }
    if let Some(group) = group {
        if !world
            .groups
            .contains(&format!("{subscription}/{group}").to_ascii_lowercase())
        {
            return Err(arm_error(
                StatusCode::NOT_FOUND,
                "ResourceGroupNotFound",
                &format!("Resource group '{group}' could not be found."),
            ));
        }
    }
    Ok(())
}

/// RBAC action of `getActiveSessions` (and its polls), named in a scripted 403.
pub const ACTION_GET_ACTIVE_SESSIONS: &str =
    "Microsoft.Network/bastionHosts/getactivesessions/action";
/// RBAC action of `disconnectActiveSessions`.
pub const ACTION_DISCONNECT: &str =
    "Microsoft.Network/bastionHosts/disconnectactivesessions/action";
/// RBAC action of reading a host.
pub const ACTION_READ: &str = "Microsoft.Network/bastionHosts/read";

/// The 404s for a host path, and the failures a host is scripted to give (a 403 names
/// `action`, the RBAC action the request needs). Returns the host's key.
pub fn check_host(world: &World, host: &HostPath, action: &str) -> Result<String, Response<Body>> {
    check_scope(world, &host.subscription, Some(&host.group))?;
    let key = host_key(&host.subscription, &host.group, &host.name);
    let Some(state) = world.hosts.get(&key) else {
        return Err(arm_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            &format!(
                "The Resource 'Microsoft.Network/bastionHosts/{}' under resource group '{}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
                host.name, host.group
            ),
        ));
    };
    match state.behaviour {
        HostBehaviour::AlwaysFail500 => Err(arm_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            "An error occurred while processing the request on the Bastion host.",
        )),
        HostBehaviour::Forbidden => Err(arm_error(
            StatusCode::FORBIDDEN,
            "AuthorizationFailed",
            &format!(
                "The client '00000000-0000-0000-0000-0000000000aa' with object id '00000000-0000-0000-0000-0000000000aa' does not have authorization to perform action '{action}' over scope '{}' or the scope is invalid. If access was recently granted, please refresh your credentials.",
                state.id()
            ),
        )),
        // `alwaysThrottled` is answered by the router, which has the settings' wait headers.
        _ => Ok(key),
    }
}

/// Adds host `name`'s wait headers (`Retry-After` unless the settings give it others) to
/// `response`; a header the HTTP crate cannot carry is left out.
pub fn insert_wait_headers(response: &mut Response<Body>, settings: &Settings, name: &str) {
    for (k, v) in settings.wait_headers_for(name) {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(&v),
        ) {
            response.headers_mut().insert(k, v);
        }
    }
}
