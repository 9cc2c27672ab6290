//! The crate's error type: one [`Error`] with an [`ErrorKind`] and the facts ARM gave
//! (error code, HTTP status, request id), so callers can map it to the C ABI envelope
//! and to PowerShell ErrorRecords without parsing messages.
//!
//! Messages are written for an administrator. They never contain a bearer token or a
//! secret: only URLs without query secrets, ids and ARM's own error text go in.

use std::fmt;

use serde::Serialize;

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// What went wrong, in the coarse classes callers act on.
///
/// The variants map 1:1 onto the `kind` strings of the C ABI contract
/// (`ffi/CONTRACT.md`); [`ErrorKind::as_str`] gives that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// The caller's input is invalid (bad resource id, empty list, bad option).
    InvalidRequest,
    /// No credential could produce a token, or ARM answered 401.
    Auth,
    /// ARM answered 403; the message names the RBAC action needed.
    Forbidden,
    /// ARM answered 404: subscription, resource group or host does not exist.
    NotFound,
    /// ARM answered 409.
    Conflict,
    /// ARM answered 429 and the retry budget is spent.
    Throttled,
    /// ARM answered 5xx and the retry budget is spent.
    Server,
    /// Any other unexpected HTTP status.
    Http,
    /// The operation's deadline (or the LRO timeout) passed.
    Timeout,
    /// The operation was cancelled by its [`CancellationToken`](tokio_util::sync::CancellationToken).
    Cancelled,
    /// Connection, DNS or TLS failure past the retry budget.
    Transport,
    /// ARM's answer could not be understood; the message names the field.
    InvalidResponse,
    /// Plain HTTP to a host that is not loopback was refused before connecting.
    InsecureEndpoint,
    /// A bug: the work on one host panicked. That host fails; the others go on.
    Internal,
}

impl ErrorKind {
    /// Every kind (the C ABI's table in `ffi/src/envelope.rs` maps each by name; a test
    /// there checks that the names agree).
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::InvalidRequest,
        ErrorKind::Auth,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::Throttled,
        ErrorKind::Server,
        ErrorKind::Http,
        ErrorKind::Timeout,
        ErrorKind::Cancelled,
        ErrorKind::Transport,
        ErrorKind::InvalidResponse,
        ErrorKind::InsecureEndpoint,
        ErrorKind::Internal,
    ];

    /// The contract's name of this kind (`"notFound"`, `"insecureEndpoint"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalidRequest",
            ErrorKind::Auth => "auth",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "notFound",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Server => "server",
            ErrorKind::Http => "http",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Transport => "transport",
            ErrorKind::InvalidResponse => "invalidResponse",
            ErrorKind::InsecureEndpoint => "insecureEndpoint",
            ErrorKind::Internal => "internal",
        }
    }

    /// The kind an HTTP error status maps to (for statuses that are errors).
    pub fn from_status(status: u16) -> ErrorKind {
        match status {
            401 => ErrorKind::Auth,
            403 => ErrorKind::Forbidden,
            404 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::Throttled,
            400 => ErrorKind::InvalidRequest,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Http,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from this crate.
///
/// Serialises (camelCase) to `{kind, message, armCode?, httpStatus?, requestId?, target?}`,
/// which is the error object of the C ABI envelope minus its numeric `code`/`expected`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    arm_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    /// The failed request may have reached the service (a 5xx, an answer cut off or too
    /// large, a timeout after it was sent), so what it asked for may have been done.
    #[serde(skip)]
    may_have_reached: bool,
}

impl Error {
    /// A new error of `kind` with a human-readable `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            arm_code: None,
            http_status: None,
            request_id: None,
            target: None,
            may_have_reached: false,
        }
    }

    /// Shorthand for an [`ErrorKind::InvalidRequest`] error.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidRequest, message)
    }

    /// Shorthand for an [`ErrorKind::InvalidResponse`] error.
    pub fn invalid_response(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidResponse, message)
    }

    /// Shorthand for an [`ErrorKind::Cancelled`] error.
    pub fn cancelled() -> Self {
        Self::new(ErrorKind::Cancelled, "the operation was cancelled")
    }

    /// Shorthand for an [`ErrorKind::Timeout`] error.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }

    /// Sets the ARM error code (e.g. `ResourceNotFound`).
    pub fn with_arm_code(mut self, code: impl Into<String>) -> Self {
        self.arm_code = Some(code.into());
        self
    }

    /// Sets the HTTP status ARM answered with.
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// Sets ARM's `x-ms-request-id`.
    pub fn with_request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// Sets the resource the error is about (usually a Bastion host resource id).
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// Sets the target only when none is set yet.
    pub(crate) fn or_target(mut self, target: &str) -> Self {
        if self.target.is_none() {
            self.target = Some(target.to_string());
        }
        self
    }

    /// Marks that the failed request may have reached the service.
    pub(crate) fn reached(mut self) -> Self {
        self.may_have_reached = true;
        self
    }

    /// Whether the failed request may have reached the service (and taken effect there):
    /// true after a 5xx, a dropped connection or a timeout once it was sent, or an answer
    /// too large to read; false when the service refused it (4xx, 429) or it never left.
    pub fn may_have_reached_service(&self) -> bool {
        self.may_have_reached
    }

    /// Prefixes the message with context, keeping everything else.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }

    /// The class of the error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message (never contains a token).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// ARM's error code, when ARM sent one.
    pub fn arm_code(&self) -> Option<&str> {
        self.arm_code.as_deref()
    }

    /// The HTTP status, when the error came from an HTTP answer.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// ARM's `x-ms-request-id`, when known.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The resource the error is about, when known.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// True for [`ErrorKind::Cancelled`].
    pub fn is_cancelled(&self) -> bool {
        self.kind == ErrorKind::Cancelled
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_kind_once() {
        // The match is exhaustive: a new variant fails to compile here until it is in ALL.
        let index = |k: ErrorKind| match k {
            ErrorKind::InvalidRequest => 0,
            ErrorKind::Auth => 1,
            ErrorKind::Forbidden => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::Conflict => 4,
            ErrorKind::Throttled => 5,
            ErrorKind::Server => 6,
            ErrorKind::Http => 7,
            ErrorKind::Timeout => 8,
            ErrorKind::Cancelled => 9,
            ErrorKind::Transport => 10,
            ErrorKind::InvalidResponse => 11,
            ErrorKind::InsecureEndpoint => 12,
            ErrorKind::Internal => 13,
        };
        for (i, k) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(index(*k), i, "{k:?} is out of place in ALL");
        }
    }

    #[test]
    fn kinds_map_from_status() {
        assert_eq!(ErrorKind::from_status(401), ErrorKind::Auth);
        assert_eq!(ErrorKind::from_status(403), ErrorKind::Forbidden);
        assert_eq!(ErrorKind::from_status(404), ErrorKind::NotFound);
        assert_eq!(ErrorKind::from_status(409), ErrorKind::Conflict);
        assert_eq!(ErrorKind::from_status(429), ErrorKind::Throttled);
        assert_eq!(ErrorKind::from_status(503), ErrorKind::Server);
        assert_eq!(ErrorKind::from_status(418), ErrorKind::Http);
    }

    #[test]
    fn serialises_camel_case_without_empty_fields() {
        let e = Error::new(ErrorKind::NotFound, "gone")
            .with_http_status(404)
            .with_arm_code("ResourceNotFound");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "notFound");
        assert_eq!(v["httpStatus"], 404);
        assert_eq!(v["armCode"], "ResourceNotFound");
        assert!(v.get("requestId").is_none());
    }
}
