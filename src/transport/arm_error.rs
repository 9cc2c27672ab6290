//! Turning ARM's error answers into [`Error`]s with a message an administrator can act on.
//!
//! ARM's error body is `{"error":{"code","message","target"?}}`, some services send the
//! inner object bare, and sometimes the `code` (or the whole body) is missing: every case
//! still gives the status and the request id.

use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::resource_id::HostRef;
use crate::transport::http::Response;

/// Which ARM operation a request belongs to, to word the message and name the RBAC action of a 403.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArmOperation {
    ListSessions,
    Disconnect,
    ListHosts,
    GetHost,
}

impl ArmOperation {
    pub fn rbac_action(self) -> &'static str {
        match self {
            ArmOperation::ListSessions => "Microsoft.Network/bastionHosts/getactivesessions/action",
            ArmOperation::Disconnect => {
                "Microsoft.Network/bastionHosts/disconnectactivesessions/action"
            }
            ArmOperation::ListHosts | ArmOperation::GetHost => {
                "Microsoft.Network/bastionHosts/read"
            }
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ArmOperation::ListSessions => "listing the active sessions",
            ArmOperation::Disconnect => "disconnecting sessions",
            ArmOperation::ListHosts => "listing the Bastion hosts",
            ArmOperation::GetHost => "reading the Bastion host",
        }
    }
}

/// The code, message and target of an ARM error body, when it has them.
pub(crate) fn parse_body(body: &[u8]) -> (Option<String>, Option<String>, Option<String>) {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        return (
            None,
            (!text.is_empty()).then(|| text.chars().take(300).collect()),
            None,
        );
    };
    let inner = v.get("error").filter(|e| e.is_object()).unwrap_or(&v);
    let s = |k: &str| {
        inner
            .get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .filter(|s| !s.is_empty())
    };
    (s("code"), s("message"), s("target"))
}

/// `target` as it reads after "on": a resource id quoted, a scope that already quotes its
/// parts ("subscription '...'") as it is, so no message says "on 'subscription '...''".
pub(crate) fn on_target(target: &str) -> String {
    if target.contains('\'') {
        target.to_string()
    } else {
        format!("'{target}'")
    }
}

/// The error for a non-success answer of `op` on `target` (a host id or a scope).
pub(crate) fn from_response(resp: &Response, op: ArmOperation, target: &str) -> Error {
    let (code, arm_message, _arm_target) = parse_body(&resp.body);
    let status = resp.status;
    let kind = ErrorKind::from_status(status);
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut msg = match (status, op) {
        (404, ArmOperation::ListHosts) => format!("{target} was not found while {}", op.describe()),
        (404, _) => match target.parse::<HostRef>() {
            Ok(h) => format!(
                "Bastion host '{}' was not found in resource group '{}' of subscription '{}'",
                h.name, h.resource_group_name, h.subscription_id
            ),
            Err(_) => format!("'{target}' was not found"),
        },
        (401, _) => format!(
            "ARM rejected the access token while {} on {}",
            op.describe(),
            on_target(target)
        ),
        (403, _) => format!(
            "access denied while {} on {}: the caller needs the RBAC action '{}' on it",
            op.describe(),
            on_target(target),
            op.rbac_action()
        ),
        _ => format!(
            "{} on {} failed",
            capitalise(op.describe()),
            on_target(target)
        ),
    };
    msg.push_str(&format!(
        " (HTTP {status}{}{reason}",
        if reason.is_empty() { "" } else { " " }
    ));
    if let Some(c) = &code {
        msg.push_str(&format!(", {c}"));
    }
    msg.push(')');
    if let Some(m) = &arm_message {
        msg.push_str(&format!(": {m}"));
    }
    match resp.request_id() {
        Some(id) => msg.push_str(&format!(" [request id {id}]")),
        None => msg.push_str(" [no request id]"),
    }
    let mut e = Error::new(kind, msg)
        .with_http_status(status)
        .with_target(target);
    if let Some(c) = code {
        e = e.with_arm_code(c);
    }
    if let Some(id) = resp.request_id() {
        e = e.with_request_id(id);
    }
    e
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use reqwest::header::HeaderMap;

    fn resp(status: u16, body: &str, rid: Option<&str>) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(r) = rid {
            headers.insert("x-ms-request-id", r.parse().unwrap());
        }
        Response {
            status,
            headers,
            body: Bytes::from(body.to_string()),
            url: "https://x/".parse().unwrap(),
        }
    }

    const HOST: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-1";

    #[test]
    fn a_scope_target_is_not_quoted_twice() {
        let scope = "subscription '00000000-0000-0000-0000-000000000001'";
        for status in [401, 403, 500] {
            let e = from_response(
                &resp(status, r#"{"error":{"code":"X","message":"m"}}"#, None),
                ArmOperation::ListHosts,
                scope,
            );
            assert!(!e.message().contains("'subscription '"), "{e}");
            assert!(e.message().contains(&format!("on {scope}")), "{e}");
        }
        let e = from_response(&resp(401, "{}", None), ArmOperation::ListSessions, HOST);
        assert!(e.message().contains(&format!("on '{HOST}'")), "{e}");
    }

    #[test]
    fn not_found_names_host_and_code() {
        let e = from_response(
            &resp(
                404,
                r#"{"error":{"code":"ResourceNotFound","message":"nope"}}"#,
                Some("rid-1"),
            ),
            ArmOperation::ListSessions,
            HOST,
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.arm_code(), Some("ResourceNotFound"));
        assert_eq!(e.request_id(), Some("rid-1"));
        assert_eq!(e.http_status(), Some(404));
        assert!(
            e.message().contains("'bh-1'") && e.message().contains("'rg-0'"),
            "{e}"
        );
    }

    #[test]
    fn forbidden_names_the_rbac_action() {
        let e = from_response(&resp(403, "", None), ArmOperation::Disconnect, HOST);
        assert_eq!(e.kind(), ErrorKind::Forbidden);
        assert!(
            e.message().contains("disconnectactivesessions/action"),
            "{e}"
        );
        let e = from_response(
            &resp(403, "", None),
            ArmOperation::ListHosts,
            "subscription 's'",
        );
        assert!(
            e.message().contains("Microsoft.Network/bastionHosts/read"),
            "{e}"
        );
    }

    #[test]
    fn missing_code_or_body_still_useful() {
        let e = from_response(
            &resp(
                500,
                r#"{"error":{"message":"Operation x not found.","details":[]}}"#,
                Some("r2"),
            ),
            ArmOperation::ListSessions,
            HOST,
        );
        assert_eq!(e.arm_code(), None);
        assert!(
            e.message().contains("HTTP 500") && e.message().contains("r2"),
            "{e}"
        );
        let e = from_response(&resp(502, "", None), ArmOperation::ListSessions, HOST);
        assert!(e.message().contains("HTTP 502 Bad Gateway"), "{e}");
        assert!(e.message().contains("no request id"), "{e}");
        let e = from_response(
            &resp(409, "plain text", None),
            ArmOperation::Disconnect,
            HOST,
        );
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert!(e.message().contains("plain text"));
    }
}
