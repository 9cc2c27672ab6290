//! A managed-identity token endpoint in the App Service / Azure Automation style
//! (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`); the `secret` header of the older
//! `MSI_ENDPOINT` style is accepted too.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{Response, StatusCode};
use serde_json::json;

use crate::response::{Body, json};
use crate::router::RequestInfo;
use crate::state::{Emulator, lock};

/// `GET /_emulator/msi/token?resource=...`.
pub fn token(emulator: &Emulator, info: &RequestInfo) -> Response<Body> {
    let settings = emulator.settings();
    let presented = info
        .headers
        .get("x-identity-header")
        .or_else(|| info.headers.get("secret"))
        .and_then(|v| v.to_str().ok());
    if presented != Some(settings.identity_header.as_str()) {
        return json(
            StatusCode::UNAUTHORIZED,
            &json!({ "error": "unauthorized_client", "error_description": "The X-IDENTITY-HEADER header is missing or wrong." }),
        );
    }
    let Some(resource) = info.query("resource").filter(|r| !r.is_empty()) else {
        return json(
            StatusCode::BAD_REQUEST,
            &json!({ "error": "invalid_request", "error_description": "The 'resource' query parameter is required." }),
        );
    };
    let ttl = settings.token_ttl_sec;
    let lifetime = if ttl > 0 { ttl } else { 3600 };
    let access_token = if ttl > 0 {
        let mut minted = lock(&emulator.minted);
        minted.count += 1;
        let token = format!("{}.mi{}", settings.token, minted.count);
        minted.tokens.insert(
            token.clone(),
            Some(Instant::now() + Duration::from_secs(ttl)),
        );
        token
    } else {
        lock(&emulator.minted).count += 1;
        settings.token.clone()
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let expires_on = now + lifetime;
    let expires_on = if settings.msi_expires_on_number {
        json!(expires_on)
    } else {
        json!(expires_on.to_string())
    };
    json(
        StatusCode::OK,
        &json!({
            "access_token": access_token,
            "expires_on": expires_on,
            "resource": resource,
            "token_type": "Bearer",
            "client_id": "11111111-1111-1111-1111-111111111111"
        }),
    )
}
