//! Hardening of issue 12: plain-HTTP loopback requests never cross a proxy, waits have a
//! floor, a name that does not resolve fails fast naming the host.

mod common;

use std::time::{Duration, Instant};

use bastion_session::{BastionClient, ErrorKind, OperationContext};
use common::*;
use serde_json::json;

#[tokio::test]
async fn plain_http_to_loopback_never_goes_through_a_proxy() {
    // A "proxy" that would see the bearer token in clear, and the real (loopback) ARM.
    let proxy = ScriptServer::start(|_, _| Reply::json(200, json!({"value": []})));
    let arm = ScriptServer::start(|_, _| Reply::json(200, json!({"value": []})));
    let mut o = fast_options(&arm.base, "secret-token");
    o.proxy = Some(proxy.base.clone());
    let c = BastionClient::new(o).unwrap();
    c.list_hosts(
        &bastion_session::HostScope {
            subscription_ids: vec![SUB.to_string()],
            resource_group_name: None,
        },
        &OperationContext::new(),
    )
    .await
    .unwrap();
    assert_eq!(proxy.requests().len(), 0, "the proxy saw the request");
    assert_eq!(arm.requests().len(), 1);
}
