//! The JSON envelope every export answers with, and the banded error codes of
//! `ffi/CONTRACT.md`. Codes are part of the ABI: a number is never renumbered or reused.

use serde::Serialize;

/// The `schemaVersion` of requests and envelopes (see `ffi/CONTRACT.md`).
pub const SCHEMA_VERSION: u32 = 1;

/// The error kinds of the envelope, each with its stable, banded code: the one table of
/// kinds and codes, and of the module's ErrorId and category per kind. The module's C#
/// tables are generated from it (`ErrorKinds.cs` by `ffi/tests/error_kinds_drift.rs`,
/// `Generated/Contracts.cs` by `ffi/tests/contracts_drift.rs`); the core's kinds and
/// `ffi/CONTRACT.md` are checked against it.
///
/// 1xxx: the caller's input; 2xxx: the service; 3xxx: the client side; 9xxx: the library.
/// Retired codes stay listed here as comments and are never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 1001: a null pointer, invalid UTF-8 or a request over the size limit.
    InvalidArgument,
    /// 1002: malformed JSON, a wrong type, a missing or unknown field, an invalid value.
    InvalidRequest,
    /// 1003: the request's `schemaVersion` is not 1.
    UnsupportedSchema,
    /// 2001: no credential could produce a token, or ARM answered 401.
    Auth,
    /// 2002: ARM answered 403.
    Forbidden,
    /// 2004: the subscription, resource group or host does not exist.
    NotFound,
    /// 2009: ARM answered 409.
    Conflict,
    /// 2029: 429 past the retry budget.
    Throttled,
    /// 2050: 5xx past the retry budget.
    Server,
    /// 2099: any other unexpected HTTP status.
    Http,
    /// 3001: the operation's deadline passed.
    Timeout,
    /// 3002: `bastion_cancel` was called for the operation.
    Cancelled,
    /// 3003: connection, DNS or TLS failure past the retry budget.
    Transport,
    /// 3004: ARM's answer could not be understood.
    InvalidResponse,
    /// 3005: plain HTTP to a host that is not loopback.
    InsecureEndpoint,
    /// 9001: a panic or a bug in the library; the only kind with `expected: false`.
    Internal,
}

impl ErrorKind {
    /// Every kind, in code order (used by tests and documentation checks).
    pub const ALL: [ErrorKind; 16] = [
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidRequest,
        ErrorKind::UnsupportedSchema,
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

    /// The stable numeric code.
    pub fn code(self) -> u32 {
        match self {
            ErrorKind::InvalidArgument => 1001,
            ErrorKind::InvalidRequest => 1002,
            ErrorKind::UnsupportedSchema => 1003,
            ErrorKind::Auth => 2001,
            ErrorKind::Forbidden => 2002,
            ErrorKind::NotFound => 2004,
            ErrorKind::Conflict => 2009,
            ErrorKind::Throttled => 2029,
            ErrorKind::Server => 2050,
            ErrorKind::Http => 2099,
            ErrorKind::Timeout => 3001,
            ErrorKind::Cancelled => 3002,
            ErrorKind::Transport => 3003,
            ErrorKind::InvalidResponse => 3004,
            ErrorKind::InsecureEndpoint => 3005,
            ErrorKind::Internal => 9001,
        }
    }

    /// The `kind` string of the envelope.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalidArgument",
            ErrorKind::InvalidRequest => "invalidRequest",
            ErrorKind::UnsupportedSchema => "unsupportedSchema",
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

    /// The module's ErrorId for an error of this kind (PowerShell's `FullyQualifiedErrorId`
    /// starts with it). Stable: scripts match on it. `powershell/src/Generated/Contracts.cs`
    /// is generated from this (`ffi/tests/contracts_drift.rs`).
    pub fn error_id(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "BastionInvalidArgument",
            ErrorKind::InvalidRequest => "BastionInvalidRequest",
            ErrorKind::UnsupportedSchema => "BastionNativeLibraryMismatch",
            ErrorKind::Auth => "BastionAuthenticationFailed",
            ErrorKind::Forbidden => "BastionAuthorizationFailed",
            ErrorKind::NotFound => "BastionHostNotFound",
            ErrorKind::Conflict => "BastionConflict",
            ErrorKind::Throttled => "BastionThrottled",
            ErrorKind::Server => "BastionServerError",
            ErrorKind::Http => "BastionHttpError",
            ErrorKind::Timeout => "BastionRequestTimeout",
            ErrorKind::Cancelled => "BastionOperationCancelled",
            ErrorKind::Transport => "BastionConnectionFailed",
            ErrorKind::InvalidResponse => "BastionInvalidResponse",
            ErrorKind::InsecureEndpoint => "BastionInsecureEndpoint",
            ErrorKind::Internal => "BastionInternalError",
        }
    }

    /// The name of the PowerShell `ErrorCategory` member of this kind's error records.
    pub fn category(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "InvalidArgument",
            ErrorKind::InvalidRequest => "InvalidArgument",
            ErrorKind::UnsupportedSchema => "InvalidData",
            ErrorKind::Auth => "AuthenticationError",
            ErrorKind::Forbidden => "PermissionDenied",
            ErrorKind::NotFound => "ObjectNotFound",
            ErrorKind::Conflict => "ResourceBusy",
            ErrorKind::Throttled => "LimitsExceeded",
            ErrorKind::Server => "ResourceUnavailable",
            ErrorKind::Http => "ProtocolError",
            ErrorKind::Timeout => "OperationTimeout",
            ErrorKind::Cancelled => "OperationStopped",
            ErrorKind::Transport => "ConnectionError",
            ErrorKind::InvalidResponse => "InvalidData",
            ErrorKind::InsecureEndpoint => "SecurityError",
            ErrorKind::Internal => "NotSpecified",
        }
    }
}

impl Serialize for ErrorKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The `error` object of a failure envelope (and of a failed host inside a success).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FfiError {
    /// The kind; `code` is derived from it.
    pub kind: ErrorKind,
    /// The stable numeric code of `kind`.
    pub code: u32,
    /// `false` only for faults of the library itself (`internal`).
    pub expected: bool,
    /// A human-readable message; never carries a secret.
    pub message: String,
    /// ARM's `error.code`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arm_code: Option<String>,
    /// The HTTP status, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// ARM's `x-ms-request-id`, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The resource (or request path) the error is about, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

impl FfiError {
    /// An error of `kind` with `message` and no service details.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        FfiError {
            kind,
            code: kind.code(),
            expected: kind != ErrorKind::Internal,
            message: message.into(),
            arm_code: None,
            http_status: None,
            request_id: None,
            target: None,
        }
    }

    /// `invalidArgument`.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// `invalidRequest` about the JSON path `path` (e.g. `credential.token`).
    pub fn invalid_request(path: &str, message: impl std::fmt::Display) -> Self {
        let mut e = Self::new(
            ErrorKind::InvalidRequest,
            format!("invalid request at `{path}`: {message}"),
        );
        e.target = Some(path.to_owned());
        e
    }

    /// `internal` (a library fault, `expected: false`).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// `cancelled`.
    pub fn cancelled() -> Self {
        Self::new(
            ErrorKind::Cancelled,
            "the operation was cancelled by bastion_cancel",
        )
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Success<'a, T: Serialize> {
    schema_version: u32,
    ok: bool,
    data: &'a T,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Failure<'a> {
    schema_version: u32,
    ok: bool,
    error: &'a FfiError,
}

/// Serialises `envelope` into a buffer that is handed to the caller as it is (a spare one
/// from `buffers` when there is one: see there why).
fn serialise<T: Serialize>(envelope: &T) -> Result<String, FfiError> {
    let mut buffer = crate::buffers::take();
    serde_json::to_writer(&mut buffer, envelope)
        .map_err(|e| FfiError::internal(format!("could not serialise the answer: {e}")))?;
    // SAFETY: serde_json writes only UTF-8 (its own `to_string` relies on this the same
    // way); checking it again would read the whole envelope once more (55 MB for 100,000
    // sessions) on every call.
    Ok(unsafe { String::from_utf8_unchecked(buffer) })
}

/// Serialises a success envelope around `data`, straight into one string.
pub fn success<T: Serialize>(data: &T) -> Result<String, FfiError> {
    serialise(&Success {
        schema_version: SCHEMA_VERSION,
        ok: true,
        data,
    })
}

/// Serialises a failure envelope; never fails (falls back to a fixed `internal` envelope).
pub fn failure(error: &FfiError) -> String {
    serialise(&Failure {
        schema_version: SCHEMA_VERSION,
        ok: false,
        error,
    })
    .unwrap_or_else(|_| FALLBACK_FAILURE.to_owned())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PartialFailure<'a, T: Serialize> {
    schema_version: u32,
    ok: bool,
    error: &'a FfiError,
    data: &'a T,
}

/// Serialises a failure envelope that also carries the `data` known when the call was
/// interrupted (a `timeout` or `cancelled` call answers what it already knows).
pub fn failure_with_data<T: Serialize>(error: &FfiError, data: &T) -> Result<String, FfiError> {
    serialise(&PartialFailure {
        schema_version: SCHEMA_VERSION,
        ok: false,
        error,
        data,
    })
}

/// The envelope used when nothing else can be produced.
pub const FALLBACK_FAILURE: &str = r#"{"schemaVersion":1,"ok":false,"error":{"kind":"internal","code":9001,"expected":false,"message":"internal error: the answer could not be serialised"}}"#;

/// The envelope's error for an error of the core crate (kinds map 1:1).
pub fn from_core(e: &bastion_session::Error) -> FfiError {
    use bastion_session::ErrorKind as K;
    let kind = match e.kind() {
        K::InvalidRequest => ErrorKind::InvalidRequest,
        K::Auth => ErrorKind::Auth,
        K::Forbidden => ErrorKind::Forbidden,
        K::NotFound => ErrorKind::NotFound,
        K::Conflict => ErrorKind::Conflict,
        K::Throttled => ErrorKind::Throttled,
        K::Server => ErrorKind::Server,
        K::Http => ErrorKind::Http,
        K::Timeout => ErrorKind::Timeout,
        K::Cancelled => ErrorKind::Cancelled,
        K::Transport => ErrorKind::Transport,
        K::InvalidResponse => ErrorKind::InvalidResponse,
        K::InsecureEndpoint => ErrorKind::InsecureEndpoint,
        K::Internal => ErrorKind::Internal,
    };
    let mut out = FfiError::new(kind, e.message());
    out.arm_code = e.arm_code().map(str::to_owned);
    out.http_status = e.http_status();
    out.request_id = e.request_id().map(str::to_owned);
    out.target = e.target().map(str::to_owned);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_banded() {
        let mut seen = std::collections::HashSet::new();
        for kind in ErrorKind::ALL {
            assert!(seen.insert(kind.code()), "duplicate code {}", kind.code());
            let band = kind.code() / 1000;
            assert!(matches!(band, 1 | 2 | 3 | 9));
        }
    }

    #[test]
    fn all_lists_every_kind_once() {
        // The match is exhaustive: a new variant fails to compile here until it is in ALL.
        let index = |k: ErrorKind| match k {
            ErrorKind::InvalidArgument => 0,
            ErrorKind::InvalidRequest => 1,
            ErrorKind::UnsupportedSchema => 2,
            ErrorKind::Auth => 3,
            ErrorKind::Forbidden => 4,
            ErrorKind::NotFound => 5,
            ErrorKind::Conflict => 6,
            ErrorKind::Throttled => 7,
            ErrorKind::Server => 8,
            ErrorKind::Http => 9,
            ErrorKind::Timeout => 10,
            ErrorKind::Cancelled => 11,
            ErrorKind::Transport => 12,
            ErrorKind::InvalidResponse => 13,
            ErrorKind::InsecureEndpoint => 14,
            ErrorKind::Internal => 15,
        };
        for (i, k) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(index(*k), i, "{k:?} is out of place in ALL");
        }
    }

    #[test]
    fn failure_envelope_shape() {
        let json = failure(&FfiError::invalid_request(
            "timeoutSec",
            "must be 1..=86400",
        ));
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["schemaVersion"], 1);
        assert_eq!(v["ok"], false);
        assert_eq!(v["error"]["kind"], "invalidRequest");
        assert_eq!(v["error"]["code"], 1002);
        assert_eq!(v["error"]["expected"], true);
        assert!(v["error"].get("armCode").is_none());
        let fallback: serde_json::Value = serde_json::from_str(FALLBACK_FAILURE).unwrap();
        assert_eq!(fallback["error"]["code"], 9001);
    }
}
