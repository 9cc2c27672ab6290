//! ARM's error shape, in one place: `{"error":{"code","message","target","details"}}`.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

use crate::response::{Body, full};

/// Builds an ARM error response with the given status, code and message.
pub fn arm_error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({
        "error": { "code": code, "message": message, "details": [] }
    });
    let mut response = Response::new(full(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// 401 with the `WWW-Authenticate` challenge ARM sends.
pub fn unauthorized(code: &str, message: &str) -> Response<Body> {
    let mut response = arm_error(StatusCode::UNAUTHORIZED, code, message);
    response.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        HeaderValue::from_static(
            "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\", error_description=\"The authentication failed because of missing 'Authorization' header or invalid token.\"",
        ),
    );
    response
}

/// 429 with `Retry-After` in seconds.
pub fn too_many_requests(retry_after_secs: u64, message: &str) -> Response<Body> {
    let mut response = arm_error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", message);
    response.headers_mut().insert(
        http::header::RETRY_AFTER,
        HeaderValue::from_str(&retry_after_secs.to_string()).expect("digits are a valid header"),
    );
    response
}
