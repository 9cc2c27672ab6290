//! The ARM emulator (`bastion_emulator`, real HTTP on 127.0.0.1) set up as the C ABI tests
//! want it: hosts in subscription [`SUB`], resource group [`RG`], with hand-written
//! sessions (`{host}-s{i}`, a fixed .NET-shaped `startTime`) and a chosen token, plus the
//! addresses nobody serves.
#![allow(dead_code)]

use bastion_emulator::{
    DEFAULT_SUBSCRIPTION, EmulatorConfig, EmulatorHandle, HostBehaviour, HostSpec,
    ResourceGroupSpec, Scenario, Settings, SubscriptionSpec,
};
use serde_json::{Value, json};

/// The subscription of every host.
pub const SUB: &str = DEFAULT_SUBSCRIPTION;
/// The resource group of every host.
pub const RG: &str = "rg-0";

/// The resource id of host `name`.
pub fn host_id(name: &str) -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/bastionHosts/{name}"
    )
}

/// Session `i` of `host` as ARM renders it.
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

/// Host `name` with `sessions` sessions, behaving as `behaviour`.
pub fn host(name: &str, sessions: usize, behaviour: HostBehaviour) -> HostSpec {
    HostSpec {
        name: name.into(),
        location: "westeurope".into(),
        sku: "Standard".into(),
        behaviour,
        sessions: (0..sessions).map(|i| session(name, i)).collect(),
    }
}

/// An emulator serving `hosts` in [`RG`] that accepts `token`; one 202 poll before each
/// getActiveSessions completes, `Retry-After: 0` unless `tune` says otherwise.
pub fn spawn(
    token: &str,
    hosts: Vec<HostSpec>,
    tune: impl FnOnce(&mut Settings),
) -> EmulatorHandle {
    let mut settings = Settings {
        token: token.into(),
        retry_after: 0,
        ..Settings::default()
    };
    tune(&mut settings);
    bastion_emulator::spawn(EmulatorConfig {
        settings,
        scenario: Scenario {
            settings: None,
            subscriptions: vec![SubscriptionSpec {
                subscription_id: SUB.into(),
                resource_groups: vec![ResourceGroupSpec {
                    name: RG.into(),
                    hosts,
                }],
            }],
        },
    })
}

/// A loopback URL whose port was just bound and released, so nothing listens there.
pub fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let port = listener.local_addr().expect("local address").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
