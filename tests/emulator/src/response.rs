//! Response bodies: whole JSON bodies, and a body that breaks off mid-stream to emulate
//! a dropped connection.

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;

/// The body type every handler returns.
pub type Body = BoxBody<Bytes, std::io::Error>;

/// A complete body.
pub fn full(bytes: Bytes) -> Body {
    Full::new(bytes).map_err(|never| match never {}).boxed()
}

/// An empty body.
pub fn empty() -> Body {
    full(Bytes::new())
}

/// A 200 JSON response.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut response = Response::new(full(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// A 200 response labelled JSON whose body is not JSON.
pub fn not_json() -> Response<Body> {
    let mut response = Response::new(full(Bytes::from_static(b"this is not JSON")));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// A JSON response serialized from any value (no intermediate `serde_json::Value`).
pub fn serialized<T: serde::Serialize + ?Sized>(status: StatusCode, value: &T) -> Response<Body> {
    let bytes = serde_json::to_vec(value).expect("JSON values always serialize");
    let mut response = Response::new(full(Bytes::from(bytes)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// A 200 response whose body sends a few bytes of JSON and then fails, so the server
/// aborts the connection in the middle of the response.
pub fn dropped_mid_body() -> Response<Body> {
    let frames: Vec<Result<Frame<Bytes>, std::io::Error>> = vec![
        Ok(Frame::data(Bytes::from_static(
            b"{\"value\":[{\"sessionId\":\"trunc",
        ))),
        Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "emulator fault: connection dropped mid-response",
        )),
    ];
    let body = StreamBody::new(futures::stream::iter(frames)).boxed();
    let mut response = Response::new(body);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
