//! The bearer token check: the configured token, or a token minted by the MSI endpoint
//! that has not expired.

use std::time::Instant;

use http::Response;

use crate::arm_error::unauthorized;
use crate::response::Body;
use crate::router::RequestInfo;
use crate::state::{Emulator, lock};

/// `Ok` when the request carries a valid bearer token; otherwise ARM's 401.
pub fn check(emulator: &Emulator, info: &RequestInfo) -> Result<(), Response<Body>> {
    let Some(header) = info
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(unauthorized(
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        ));
    };
    let Some(token) = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
    else {
        return Err(unauthorized(
            "AuthenticationFailedInvalidHeader",
            "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        ));
    };
    if token == emulator.settings().token {
        return Ok(());
    }
    match lock(&emulator.minted).tokens.get(token) {
        Some(None) => Ok(()),
        Some(Some(expiry)) if *expiry > Instant::now() => Ok(()),
        Some(Some(_)) => Err(unauthorized(
            "ExpiredAuthenticationToken",
            "The access token expiry UTC time is earlier than current UTC time.",
        )),
        None => Err(unauthorized(
            "InvalidAuthenticationToken",
            "The access token is invalid.",
        )),
    }
}
