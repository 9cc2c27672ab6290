//! A small ARM stand-in for the C ABI tests (HTTP/1.1 on 127.0.0.1, keep-alive), used by
//! the libloading tests in-process and, as `examples/mock_arm.rs`, by `tests/c/run.sh`
//! when the `bastion-emulator` binary is not available.
//!
//! Hosts live in subscription [`SUB`], resource group `rg-0`. Every `getActiveSessions`
//! answers 202 with a `Location` to poll (`Retry-After: 0`), and the poll answers 200 with
//! the sessions; hosts named `slow*` answer 202 forever (for cancellation tests), hosts
//! named `forbidden*` answer 403, `garbage*` answer a body that is not JSON, unknown hosts 404. `disconnectActiveSessions` removes
//! the sessions it names. A wrong bearer token is a 401.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The subscription of every mock host.
pub const SUB: &str = "00000000-0000-0000-0000-000000000001";
/// The resource group of every mock host.
pub const RG: &str = "rg-0";

/// The mock's state, shared by its connections.
pub struct Mock {
    /// The bearer token it accepts.
    pub token: String,
    /// Sessions by lower-cased host name (`slow*`/`forbidden*` hosts included).
    pub hosts: Mutex<Vec<(String, Vec<Value>)>>,
    /// Requests answered.
    pub requests: AtomicU64,
}

/// The resource id of mock host `name`.
pub fn host_id(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/bastionHosts/{name}"
    )
}

/// A session as ARM renders it.
pub fn session(host: &str, i: usize) -> Value {
    json!({
        "sessionId": format!("{host}-s{i}"),
        "startTime": "2026-11-28T09:15:00.0000000Z",
        "targetSubscriptionId": SUB,
        "resourceType": "VM",
        "targetHostName": format!("vm-{i}"),
        "targetResourceGroup": "rg-app",
        "userName": format!("user{i}@contoso.com"),
        "targetIpAddress": "10.0.1.4",
        "protocol": if i % 2 == 0 { "SSH" } else { "RDP" },
        "targetResourceId": format!("/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-{i}"),
        "sessionDurationInMins": 42.5
    })
}

impl Mock {
    /// A mock with `hosts` (name, session count) accepting `token`.
    pub fn new(token: &str, hosts: &[(&str, usize)]) -> Arc<Mock> {
        Arc::new(Mock {
            token: token.to_owned(),
            hosts: Mutex::new(
                hosts
                    .iter()
                    .map(|(n, k)| (n.to_string(), (0..*k).map(|i| session(n, i)).collect()))
                    .collect(),
            ),
            requests: AtomicU64::new(0),
        })
    }

    fn sessions_of(&self, name: &str) -> Option<Vec<Value>> {
        let hosts = self.hosts.lock().unwrap();
        hosts
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, s)| s.clone())
    }

    fn answer(&self, method: &str, target: &str, auth: Option<&str>, body: &[u8]) -> Reply {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let path = target.split('?').next().unwrap_or("");
        if auth != Some(&format!("Bearer {}", self.token)) {
            return Reply::error(
                401,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            );
        }
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        // /_lro/{name}
        if parts.len() == 2 && parts[0] == "_lro" && method == "GET" {
            let name = parts[1];
            if name.starts_with("slow") {
                return Reply::accepted(&format!("/_lro/{name}"), 1);
            }
            if name.starts_with("garbage") {
                return Reply {
                    status: 200,
                    headers: Vec::new(),
                    body: "this is not JSON".into(),
                };
            }
            return match self.sessions_of(name) {
                Some(s) => Reply::json(200, json!({ "value": s })),
                None => Reply::error(404, "ResourceNotFound", "gone"),
            };
        }
        if parts.first() != Some(&"subscriptions") || parts.get(1) != Some(&SUB) {
            return Reply::error(
                404,
                "SubscriptionNotFound",
                "The subscription could not be found.",
            );
        }
        match (method, &parts[2..]) {
            ("GET", ["providers", "Microsoft.Network", "bastionHosts"])
            | (
                "GET",
                [
                    "resourceGroups",
                    RG,
                    "providers",
                    "Microsoft.Network",
                    "bastionHosts",
                ],
            ) => {
                let hosts = self.hosts.lock().unwrap();
                let value: Vec<Value> = hosts
                    .iter()
                    .map(|(n, _)| {
                        json!({"id": host_id(n), "name": n, "location": "westeurope",
                               "sku": {"name": "Standard"}, "properties": {}})
                    })
                    .collect();
                Reply::json(200, json!({ "value": value }))
            }
            (
                "GET",
                [
                    "resourceGroups",
                    _,
                    "providers",
                    "Microsoft.Network",
                    "bastionHosts",
                ],
            ) => Reply::error(
                404,
                "ResourceGroupNotFound",
                "Resource group could not be found.",
            ),
            (
                "POST",
                [
                    "resourceGroups",
                    RG,
                    "providers",
                    "Microsoft.Network",
                    "bastionHosts",
                    name,
                    op,
                ],
            ) => {
                if name.starts_with("forbidden") {
                    return Reply::error(
                        403,
                        "AuthorizationFailed",
                        "The client does not have authorization to perform action.",
                    );
                }
                let Some(sessions) = self.sessions_of(name) else {
                    return Reply::error(
                        404,
                        "ResourceNotFound",
                        "The Resource 'Microsoft.Network/bastionHosts' was not found.",
                    );
                };
                match *op {
                    "getActiveSessions" => Reply::accepted(&format!("/_lro/{name}"), 0),
                    "disconnectActiveSessions" => {
                        let ids: Vec<String> = serde_json::from_slice::<Value>(body)
                            .ok()
                            .and_then(|v| v.get("sessionIds").cloned())
                            .and_then(|v| serde_json::from_value(v).ok())
                            .unwrap_or_default();
                        let mut hosts = self.hosts.lock().unwrap();
                        let entry = hosts
                            .iter_mut()
                            .find(|(n, _)| n.eq_ignore_ascii_case(name))
                            .map(|(_, s)| s);
                        let value: Vec<Value> = ids
                            .iter()
                            .map(|id| {
                                let found = sessions.iter().any(|s| s["sessionId"] == **id);
                                json!({"sessionId": id,
                                       "message": if found { format!("session {id} invalidated!") } else { "not found".into() },
                                       "state": if found { "Disconnected" } else { "NotFound" }})
                            })
                            .collect();
                        if let Some(list) = entry {
                            list.retain(|s| !ids.iter().any(|id| s["sessionId"] == **id));
                        }
                        Reply::json(200, json!({ "value": value }))
                    }
                    _ => Reply::error(404, "NoRegisteredProviderFound", "unknown operation"),
                }
            }
            _ => Reply::error(404, "NotFound", "no such route in the mock"),
        }
    }
}

/// An answer.
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }

    fn error(status: u16, code: &str, message: &str) -> Reply {
        let mut r = Reply::json(status, json!({"error": {"code": code, "message": message}}));
        r.headers
            .push(("x-ms-failure-cause".into(), "gateway".into()));
        r
    }

    fn accepted(location: &str, retry_after: u32) -> Reply {
        Reply {
            status: 202,
            headers: vec![
                ("Location".into(), format!("LOCATION_BASE{location}")),
                ("Retry-After".into(), retry_after.to_string()),
            ],
            body: String::new(),
        }
    }
}

async fn serve_connection(mock: Arc<Mock>, stream: TcpStream, base: String) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut it = line.split_whitespace();
        let method = it.next().unwrap_or("").to_owned();
        let target = it.next().unwrap_or("").to_owned();
        let mut length = 0usize;
        let mut auth = None;
        loop {
            let mut h = String::new();
            match reader.read_line(&mut h).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let v = v.trim();
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.parse().unwrap_or(0);
                } else if k.eq_ignore_ascii_case("authorization") {
                    auth = Some(v.to_owned());
                }
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let reply = mock.answer(&method, &target, auth.as_deref(), &body);
        let mut head = format!(
            "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nx-ms-request-id: mock-{}\r\n",
            reply.status,
            reply.body.len(),
            mock.requests.load(Ordering::Relaxed)
        );
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {}\r\n", v.replace("LOCATION_BASE", &base)));
        }
        head.push_str("\r\n");
        if write.write_all(head.as_bytes()).await.is_err()
            || write.write_all(reply.body.as_bytes()).await.is_err()
        {
            return;
        }
    }
}

/// Serves `mock` on `listener` until the process ends.
pub async fn serve(mock: Arc<Mock>, listener: TcpListener) {
    let base = format!("http://{}", listener.local_addr().unwrap());
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(serve_connection(Arc::clone(&mock), stream, base.clone()));
    }
}

/// Starts `mock` on its own thread and runtime; returns its base URL.
pub fn spawn(mock: Arc<Mock>) -> String {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", std_listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            serve(mock, listener).await;
        });
    });
    url
}
