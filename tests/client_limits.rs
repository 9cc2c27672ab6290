//! Hardening of issue 12: plain-HTTP loopback requests never cross a proxy, waits have a
//! floor, a name that does not resolve fails fast naming the host.

mod common;

use std::time::Duration;

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

/// Options as a C ABI caller gets them: the default wait floor, no poll minimum.
fn floor_options(base: &str) -> bastion_session::ClientOptions {
    let mut o = fast_options(base, "t");
    o.retry.min_delay = bastion_session::RetryPolicy::default().min_delay;
    o.poll.min_interval = Duration::ZERO;
    o.poll.default_interval = Duration::ZERO;
    o
}

#[tokio::test]
async fn a_retry_after_of_one_millisecond_is_not_a_busy_loop() {
    let srv = ScriptServer::start(|_, _| {
        Reply::json(
            429,
            json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
        )
        .header("retry-after-ms", "1")
    });
    let c = BastionClient::new(floor_options(&srv.base)).unwrap();
    let ctx = OperationContext::new().with_timeout(Duration::from_millis(1500));
    let e = c.get_host(&host("bh-0"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    // 250 + 500 + 1000 ms of floors: at most 4 attempts in 1.5 s (a busy loop makes hundreds).
    let n = srv.requests().len();
    assert!(n <= 4, "{n} requests in 1.5 s");
}

#[tokio::test]
async fn a_zero_poll_interval_is_not_a_busy_loop() {
    let srv = ScriptServer::start(|r, base| {
        if r.method == "POST" {
            Reply::empty(202).header("Location", format!("{base}/op"))
        } else {
            Reply::empty(202)
                .header("Location", format!("{base}/op"))
                .header("Retry-After", "0")
        }
    });
    let c = BastionClient::new(floor_options(&srv.base)).unwrap();
    let ctx = OperationContext::new().with_timeout(Duration::from_millis(1500));
    let e = c.list_sessions(&host("bh-0"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    let polls = srv.count(|r| r.method == "GET");
    assert!(polls <= 4, "{polls} polls in 1.5 s");
}

#[tokio::test]
async fn one_call_reads_at_most_its_item_budget_across_pages_and_hosts() {
    // Every host answers 3 pages of 100 sessions; the call may hold 500 items.
    let srv = ScriptServer::start(|r, base| {
        let page: usize = r
            .target
            .split("page=")
            .nth(1)
            .and_then(|p| p.split('&').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        let value: Vec<_> = (0..100).map(|i| session(&format!("p{page}-{i}"))).collect();
        let next = if page < 2 {
            json!(format!("{base}{}?page={}", r.path(), page + 1))
        } else {
            json!(null)
        };
        Reply::json(200, json!({"value": value, "nextLink": next}))
    });
    let mut o = fast_options(&srv.base, "t");
    o.max_items_per_call = 500;
    let c = BastionClient::new(o).unwrap();
    let ctx = OperationContext::new();
    let first = c.list_sessions(&host("bh-0"), &ctx).await.unwrap();
    assert_eq!(first.len(), 300);
    // The same operation (context): the second host passes the budget.
    let e = c.list_sessions(&host("bh-1"), &ctx).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
    assert!(e.message().contains("500 items"), "{e}");
    // A new operation starts with a full budget.
    assert_eq!(
        c.list_sessions(&host("bh-1"), &OperationContext::new())
            .await
            .unwrap()
            .len(),
        300
    );
}
