//! Request pipeline: route the path (case-insensitively, as ARM does), then for ARM routes
//! apply latency, `api-version`, the bearer token, fault injection and throttling (in that
//! order: an injected fault is answered before the token bucket is charged) before the
//! operation's handler; count every request and stamp ARM's headers on every answer.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::BodyExt;

use crate::arm_error::{arm_error, too_many_requests};
use crate::faults::FaultKind;
use crate::handlers;
use crate::response::{Body, dropped_mid_body};
use crate::scenario::HostBehaviour;
use crate::state::{Emulator, host_key, lock};
use crate::throttle::ThrottleDecision;

/// A host named in a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPath {
    /// Subscription id.
    pub subscription: String,
    /// Resource group.
    pub group: String,
    /// Host name.
    pub name: String,
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /_emulator/stats`.
    Stats,
    /// `GET /_emulator/sessions`.
    Truth,
    /// `POST /_emulator/reset`.
    Reset,
    /// `POST /_emulator/faults`.
    ScriptFaults,
    /// `GET /_emulator/msi/token`.
    MsiToken,
    /// `GET /subscriptions/{s}/providers/Microsoft.Network/bastionHosts`.
    ListBySubscription(String),
    /// `GET /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/bastionHosts`.
    ListByResourceGroup(String, String),
    /// `GET .../bastionHosts/{name}`.
    GetHost(HostPath),
    /// `POST .../bastionHosts/{name}/getActiveSessions`.
    GetActiveSessions(HostPath),
    /// `GET .../getActiveSessions/operationResults/{id}` (the `Location`).
    PollOperation(HostPath, String),
    /// `GET .../getActiveSessions/asyncOperations/{id}` (the `Azure-AsyncOperation`).
    AsyncOperationStatus(HostPath, String),
    /// `GET .../bastionHosts/{name}/sessionPages/{snapshot}-{page}` (a `nextLink`).
    SessionsPage(HostPath, String),
    /// `POST .../bastionHosts/{name}/disconnectActiveSessions`.
    DisconnectActiveSessions(HostPath),
    /// `GET .../bastionHosts/{name}/disconnectPages/{snapshot}-{page}` (a `nextLink`).
    DisconnectPage(HostPath, String),
    /// Anything else.
    Unknown,
}

impl Route {
    /// The name counted in `/_emulator/stats`.
    pub fn operation(&self) -> &'static str {
        match self {
            Route::Stats | Route::Truth | Route::Reset | Route::ScriptFaults => "emulator",
            Route::MsiToken => "msiToken",
            Route::ListBySubscription(_) => "listHostsBySubscription",
            Route::ListByResourceGroup(..) => "listHostsByResourceGroup",
            Route::GetHost(_) => "getHost",
            Route::GetActiveSessions(_) => "getActiveSessions",
            Route::PollOperation(..) => "pollOperation",
            Route::AsyncOperationStatus(..) => "asyncOperationStatus",
            Route::SessionsPage(..) => "nextPage",
            Route::DisconnectActiveSessions(_) => "disconnectActiveSessions",
            Route::DisconnectPage(..) => "disconnectNextPage",
            Route::Unknown => "unknown",
        }
    }

    /// The subscription the request is charged to, for ARM routes.
    pub fn subscription(&self) -> Option<&str> {
        match self {
            Route::ListBySubscription(s) | Route::ListByResourceGroup(s, _) => Some(s),
            Route::GetHost(h)
            | Route::GetActiveSessions(h)
            | Route::PollOperation(h, _)
            | Route::AsyncOperationStatus(h, _)
            | Route::SessionsPage(h, _)
            | Route::DisconnectActiveSessions(h)
            | Route::DisconnectPage(h, _) => Some(&h.subscription),
            _ => None,
        }
    }

    /// The host the request is about, if any.
    pub fn host(&self) -> Option<&HostPath> {
        match self {
            Route::GetHost(h)
            | Route::GetActiveSessions(h)
            | Route::PollOperation(h, _)
            | Route::AsyncOperationStatus(h, _)
            | Route::SessionsPage(h, _)
            | Route::DisconnectActiveSessions(h)
            | Route::DisconnectPage(h, _) => Some(h),
            _ => None,
        }
    }
}

/// Routes a method and path.
pub fn route(method: &Method, path: &str) -> Route {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let eq = |i: usize, s: &str| segments.get(i).is_some_and(|x| x.eq_ignore_ascii_case(s));
    let get = *method == Method::GET;
    let post = *method == Method::POST;
    if eq(0, "_emulator") {
        return match (segments.len(), method) {
            (2, &Method::GET) if eq(1, "stats") => Route::Stats,
            (2, &Method::GET) if eq(1, "sessions") => Route::Truth,
            (2, &Method::POST) if eq(1, "reset") => Route::Reset,
            (2, &Method::POST) if eq(1, "faults") => Route::ScriptFaults,
            (3, &Method::GET) if eq(1, "msi") && eq(2, "token") => Route::MsiToken,
            _ => Route::Unknown,
        };
    }
    if !eq(0, "subscriptions") || segments.len() < 5 {
        return Route::Unknown;
    }
    let sub = segments[1].to_string();
    if segments.len() == 5
        && eq(2, "providers")
        && eq(3, "Microsoft.Network")
        && eq(4, "bastionHosts")
    {
        return if get {
            Route::ListBySubscription(sub)
        } else {
            Route::Unknown
        };
    }
    if !(eq(2, "resourceGroups")
        && eq(4, "providers")
        && eq(5, "Microsoft.Network")
        && eq(6, "bastionHosts"))
    {
        return Route::Unknown;
    }
    let group = segments[3].to_string();
    if segments.len() == 7 {
        return if get {
            Route::ListByResourceGroup(sub, group)
        } else {
            Route::Unknown
        };
    }
    let host = HostPath {
        subscription: sub,
        group,
        name: segments[7].to_string(),
    };
    match segments.len() {
        8 if get => Route::GetHost(host),
        9 if post && eq(8, "getActiveSessions") => Route::GetActiveSessions(host),
        9 if post && eq(8, "disconnectActiveSessions") => Route::DisconnectActiveSessions(host),
        10 if get && eq(8, "sessionPages") => Route::SessionsPage(host, segments[9].to_string()),
        10 if get && eq(8, "disconnectPages") => {
            Route::DisconnectPage(host, segments[9].to_string())
        }
        11 if get && eq(8, "getActiveSessions") && eq(9, "operationResults") => {
            Route::PollOperation(host, segments[10].to_string())
        }
        11 if get && eq(8, "getActiveSessions") && eq(9, "asyncOperations") => {
            Route::AsyncOperationStatus(host, segments[10].to_string())
        }
        _ => Route::Unknown,
    }
}

/// What a handler needs besides the emulator: the base URL for absolute links, the
/// api-version to repeat in them, the query and the body.
#[derive(Debug)]
pub struct RequestInfo {
    /// `http://127.0.0.1:PORT` (or https), from the `Host` header.
    pub base_url: String,
    /// The request's api-version.
    pub api_version: String,
    /// Decoded query pairs.
    pub query: Vec<(String, String)>,
    /// Request headers.
    pub headers: http::HeaderMap,
    /// The whole request body.
    pub body: Bytes,
}

impl RequestInfo {
    /// A query parameter, case-insensitively.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Handles one request end to end.
pub async fn handle(
    emulator: Arc<Emulator>,
    request: Request<hyper::body::Incoming>,
) -> Response<Body> {
    let route = route(request.method(), request.uri().path());
    let operation = route.operation();
    let (parts, body) = request.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let host_header = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let mut info = RequestInfo {
        base_url: format!("{}://{}", emulator.scheme, host_header),
        api_version: String::new(),
        query,
        headers: parts.headers,
        body,
    };
    info.api_version = info.query("api-version").unwrap_or_default().to_string();

    let mut response = match &route {
        Route::Stats => crate::response::json(StatusCode::OK, &emulator.stats_json()),
        Route::Truth => crate::response::json(StatusCode::OK, &lock(&emulator.world).truth()),
        Route::Reset => {
            emulator.reset();
            empty_status(StatusCode::NO_CONTENT)
        }
        Route::ScriptFaults => handlers::admin::script_faults(&emulator, &info),
        Route::MsiToken => {
            let r = handlers::msi::token(&emulator, &info);
            emulator.record(operation, r.status().as_str());
            r
        }
        _ => arm_pipeline(&emulator, &route, &info).await,
    };
    stamp_arm_headers(&mut response, &info);
    response
}

async fn arm_pipeline(emulator: &Emulator, route: &Route, info: &RequestInfo) -> Response<Body> {
    let operation = route.operation();
    let latency = emulator.settings().latency_ms;
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let (mut response, dropped) = arm_outcome(emulator, route, info);
    let status = response.status();
    emulator.record(operation, if dropped { "dropped" } else { status.as_str() });
    if let Some(budget) = response.extensions_mut().remove::<RemainingHeader>() {
        let name = if budget.write {
            "x-ms-ratelimit-remaining-subscription-writes"
        } else {
            "x-ms-ratelimit-remaining-subscription-reads"
        };
        response.headers_mut().insert(
            name,
            HeaderValue::from_str(&budget.remaining.to_string()).expect("digits"),
        );
    }
    response
}

/// The remaining budget, carried from the throttle check to the header stamping.
#[derive(Debug, Clone, Copy)]
struct RemainingHeader {
    remaining: u64,
    write: bool,
}

/// True for a request to a host scripted to fail (`alwaysFail500`, `forbidden`): such a host
/// answers its own failure to every request, and no fault, scripted or random, takes its
/// place (a scripted fault waits for the next other request). A client that
/// gives up on it therefore ends with the scripted status, whatever the fault rate.
fn fails_by_script(emulator: &Emulator, route: &Route) -> bool {
    scripted_behaviour(emulator, route).is_some_and(|b| {
        matches!(
            b,
            HostBehaviour::AlwaysFail500
                | HostBehaviour::Forbidden
                | HostBehaviour::AlwaysThrottled
        )
    })
}

/// The scripted behaviour of the host `route` is about, if it names an existing host.
fn scripted_behaviour(emulator: &Emulator, route: &Route) -> Option<HostBehaviour> {
    let host = route.host()?;
    let key = host_key(&host.subscription, &host.group, &host.name);
    lock(&emulator.world).hosts.get(&key).map(|s| s.behaviour)
}

/// Runs the checks and the handler; the flag is set when the connection is to be dropped
/// mid-response (counted as status `dropped`).
fn arm_outcome(emulator: &Emulator, route: &Route, info: &RequestInfo) -> (Response<Body>, bool) {
    if *route == Route::Unknown {
        return (
            arm_error(
                StatusCode::NOT_FOUND,
                "InvalidResourceType",
                "The resource type could not be found in the namespace 'Microsoft.Network' for api version.",
            ),
            false,
        );
    }
    if info.api_version.is_empty() {
        return (
            arm_error(
                StatusCode::BAD_REQUEST,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ),
            false,
        );
    }
    if let Err(denied) = handlers::auth::check(emulator, info) {
        return (denied, false);
    }
    let fault = if fails_by_script(emulator, route) {
        None
    } else {
        lock(&emulator.faults).next(route.operation())
    };
    if let Some(fault) = fault {
        lock(&emulator.stats).faults_injected += 1;
        let retry_after = emulator.settings().retry_after;
        return match fault {
            FaultKind::TooManyRequests => (
                too_many_requests(
                    retry_after,
                    "Injected fault: too many requests. Please retry after the period in Retry-After.",
                ),
                false,
            ),
            FaultKind::InternalServerError => (
                arm_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    "Injected fault: an internal error occurred.",
                ),
                false,
            ),
            FaultKind::ServiceUnavailable => {
                let mut r = arm_error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "Injected fault: the service is unavailable.",
                );
                r.headers_mut().insert(
                    http::header::RETRY_AFTER,
                    HeaderValue::from_str(&retry_after.to_string()).expect("digits"),
                );
                (r, false)
            }
            FaultKind::DropConnection => (dropped_mid_body(), true),
        };
    }
    if scripted_behaviour(emulator, route) == Some(HostBehaviour::AlwaysThrottled) {
        let mut r = arm_error(
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "The request is being throttled.",
        );
        let name = route.host().map(|h| h.name.clone()).unwrap_or_default();
        handlers::insert_wait_headers(&mut r, emulator.settings(), &name);
        return (r, false);
    }
    let mut remaining = None;
    if let (Some(sub), true) = (route.subscription(), emulator.settings().throttle) {
        let write = matches!(
            route,
            Route::GetActiveSessions(_) | Route::DisconnectActiveSessions(_)
        );
        match lock(&emulator.throttle).charge(sub, write) {
            ThrottleDecision::Allowed {
                remaining: left,
                write,
            } => {
                remaining = Some(RemainingHeader {
                    remaining: left,
                    write,
                })
            }
            ThrottleDecision::Throttled {
                retry_after_secs,
                write,
            } => {
                lock(&emulator.stats).throttled += 1;
                let mut r = too_many_requests(
                    retry_after_secs,
                    "Number of requests for subscription exceeded the limit. Please try again after the period in Retry-After.",
                );
                let name = if write {
                    "x-ms-ratelimit-remaining-subscription-writes"
                } else {
                    "x-ms-ratelimit-remaining-subscription-reads"
                };
                r.headers_mut().insert(name, HeaderValue::from_static("0"));
                return (r, false);
            }
        }
    }
    let mut response = handlers::dispatch(emulator, route, info);
    if let Some(r) = remaining {
        response.extensions_mut().insert(r);
    }
    (response, false)
}

fn empty_status(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(crate::response::empty());
    *r.status_mut() = status;
    r
}

/// `x-ms-request-id` and `x-ms-correlation-request-id` on every answer, as ARM sends them.
fn stamp_arm_headers(response: &mut Response<Body>, info: &RequestInfo) {
    let request_id = uuid::Uuid::new_v4().to_string();
    let correlation = info
        .headers
        .get("x-ms-correlation-request-id")
        .or_else(|| info.headers.get("x-ms-client-request-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let headers = response.headers_mut();
    headers.insert(
        "x-ms-request-id",
        HeaderValue::from_str(&request_id).expect("uuid"),
    );
    if let Ok(v) = HeaderValue::from_str(&correlation) {
        headers.insert("x-ms-correlation-request-id", v);
    }
    if let Some(client_id) = info.headers.get("x-ms-client-request-id") {
        headers.insert("x-ms-client-request-id", client_id.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_case_insensitive_like_arm() {
        let r = route(
            &Method::POST,
            "/SUBSCRIPTIONS/s/resourcegroups/rg/PROVIDERS/microsoft.network/BASTIONHOSTS/bh/getactivesessions",
        );
        assert_eq!(
            r,
            Route::GetActiveSessions(HostPath {
                subscription: "s".into(),
                group: "rg".into(),
                name: "bh".into()
            })
        );
        assert_eq!(
            route(
                &Method::GET,
                "/subscriptions/s/providers/Microsoft.Network/bastionHosts"
            ),
            Route::ListBySubscription("s".into())
        );
        assert_eq!(
            route(
                &Method::DELETE,
                "/subscriptions/s/providers/Microsoft.Network/bastionHosts"
            ),
            Route::Unknown
        );
        assert_eq!(route(&Method::GET, "/_emulator/msi/token"), Route::MsiToken);
    }
}
