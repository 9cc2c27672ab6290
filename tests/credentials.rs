//! Credentials end to end: our managed-identity client against a loopback identity
//! endpoint (`IDENTITY_ENDPOINT`/`IDENTITY_HEADER`, `MSI_ENDPOINT`/`MSI_SECRET`), the
//! default chain narrowed by `AZURE_TOKEN_CREDENTIALS`, and the per-identity token cache.
//!
//! These tests change process environment variables, so they run one at a time
//! (`serial_test`), and every one sets `AZURE_TOKEN_CREDENTIALS` or an identity endpoint
//! so IMDS (169.254.169.254) can never be reached.

mod common;

use bastion_session::{BastionClient, CredentialSpec, ErrorKind, OperationContext};
use common::*;
use serde_json::json;
use serial_test::serial;

const VARS: &[&str] = &[
    "AZURE_TOKEN_CREDENTIALS",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "MSI_ENDPOINT",
    "MSI_SECRET",
];

/// Clears the credential variables, then sets `vars`.
fn set_env(vars: &[(&str, &str)]) {
    // SAFETY: the tests of this file are serialised and no other thread reads the
    // environment while they change it.
    unsafe {
        for v in VARS {
            std::env::remove_var(v);
        }
        for (k, v) in vars {
            std::env::set_var(k, v);
        }
    }
}

/// A server that is both the identity endpoint (`/msi/token`) and ARM (accepting only
/// the token `mi-token`).
fn identity_and_arm(expires_on: serde_json::Value) -> ScriptServer {
    ScriptServer::start(move |r, _| {
        if r.path() == "/msi/token" {
            let ok_header = r.header("x-identity-header") == Some("id-header-secret")
                || r.header("secret") == Some("msi-secret");
            if !ok_header || r.header("metadata") != Some("true") {
                return Reply::json(401, json!({"error":"missing header"}));
            }
            if !r
                .target
                .contains("resource=https%3A%2F%2Fmanagement.azure.com")
            {
                return Reply::json(
                    400,
                    json!({"error":"bad resource", "error_description": r.target}),
                );
            }
            return Reply::json(
                200,
                json!({"access_token":"mi-token","expires_on": expires_on.clone(),
                "resource":"https://management.azure.com","token_type":"Bearer"}),
            );
        }
        if r.header("authorization") == Some("Bearer mi-token") {
            Reply::json(200, json!({"value":[session("a")]}))
        } else {
            Reply::empty(401)
        }
    })
}

fn mi_client(base: &str, spec: CredentialSpec) -> BastionClient {
    let mut o = fast_options(base, "unused");
    o.credential = spec;
    BastionClient::new(o).unwrap()
}

fn system_mi() -> CredentialSpec {
    CredentialSpec::ManagedIdentity {
        client_id: None,
        object_id: None,
        resource_id: None,
    }
}

#[tokio::test]
#[serial]
async fn managed_identity_via_identity_endpoint_with_numeric_expiry() {
    let srv = identity_and_arm(json!(4_102_444_800u64));
    set_env(&[
        ("IDENTITY_ENDPOINT", &format!("{}/msi/token", srv.base)),
        ("IDENTITY_HEADER", "id-header-secret"),
    ]);
    let c = mi_client(&srv.base, system_mi());
    let s = c
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(s.len(), 1);
    let token_req = srv
        .requests()
        .into_iter()
        .find(|r| r.path() == "/msi/token")
        .unwrap();
    assert!(
        token_req.target.contains("api-version=2019-08-01"),
        "{}",
        token_req.target
    );
    // A second client for the same identity shares the cached token.
    let c2 = mi_client(&srv.base, system_mi());
    c2.list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap();
    assert_eq!(srv.count(|r| r.path() == "/msi/token"), 1);
    set_env(&[]);
}

#[tokio::test]
#[serial]
async fn managed_identity_user_assigned_client_id_and_datetime_expiry() {
    let srv = identity_and_arm(json!("2099-07-02 08:00:34Z"));
    set_env(&[
        ("IDENTITY_ENDPOINT", &format!("{}/msi/token", srv.base)),
        ("IDENTITY_HEADER", "id-header-secret"),
    ]);
    let c = mi_client(
        &srv.base,
        CredentialSpec::ManagedIdentity {
            client_id: Some("cid-1".into()),
            object_id: None,
            resource_id: None,
        },
    );
    c.list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap();
    let token_req = srv
        .requests()
        .into_iter()
        .find(|r| r.path() == "/msi/token")
        .unwrap();
    assert!(
        token_req.target.contains("client_id=cid-1"),
        "{}",
        token_req.target
    );
    set_env(&[]);
}

#[tokio::test]
#[serial]
async fn managed_identity_via_msi_endpoint_and_secret() {
    let srv = identity_and_arm(json!("4102444800"));
    set_env(&[
        ("MSI_ENDPOINT", &format!("{}/msi/token", srv.base)),
        ("MSI_SECRET", "msi-secret"),
    ]);
    let c = mi_client(&srv.base, system_mi());
    assert_eq!(
        c.list_sessions(&host("bh-0"), &OperationContext::new())
            .await
            .unwrap()
            .len(),
        1
    );
    set_env(&[]);
}

#[tokio::test]
#[serial]
async fn an_oversized_managed_identity_answer_is_refused_not_buffered() {
    // A valid token answer padded to 1 MiB: the library must stop reading at its cap.
    let padding = "x".repeat(1024 * 1024);
    let srv = ScriptServer::start(move |r, _| {
        if r.path() == "/msi/token" {
            return Reply::json(
                200,
                json!({"access_token":"mi-token","expires_on": 4_102_444_800u64,
                    "resource":"https://management.azure.com","token_type":"Bearer",
                    "padding": padding.clone()}),
            );
        }
        Reply::json(200, json!({"value":[session("a")]}))
    });
    set_env(&[
        ("IDENTITY_ENDPOINT", &format!("{}/msi/token", srv.base)),
        ("IDENTITY_HEADER", "id-header-secret"),
    ]);
    let e = mi_client(&srv.base, system_mi())
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.message().contains("limit"), "{e}");
    set_env(&[]);
}

#[tokio::test]
#[serial]
async fn managed_identity_errors_are_auth_errors_without_secrets() {
    let srv = ScriptServer::start(|_, _| {
        Reply::json(
            400,
            json!({"error":"invalid_request","message":"Identity not found"}),
        )
    });
    set_env(&[
        ("IDENTITY_ENDPOINT", &format!("{}/msi/token", srv.base)),
        ("IDENTITY_HEADER", "id-header-secret"),
    ]);
    let e = mi_client(&srv.base, system_mi())
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(
        e.message().contains("ManagedIdentityCredential") && e.message().contains("400"),
        "{e}"
    );
    assert!(!e.message().contains("id-header-secret"));
    // Only the identity endpoint was called; no ARM request without a token.
    assert!(srv.requests().iter().all(|r| r.path() == "/msi/token"));
    set_env(&[]);
}

#[tokio::test]
#[serial]
async fn default_chain_narrowed_to_managed_identity() {
    let srv = identity_and_arm(json!("4102444800"));
    set_env(&[
        ("AZURE_TOKEN_CREDENTIALS", "ManagedIdentityCredential"),
        ("IDENTITY_ENDPOINT", &format!("{}/msi/token", srv.base)),
        ("IDENTITY_HEADER", "id-header-secret"),
    ]);
    let c = mi_client(&srv.base, CredentialSpec::Default);
    assert_eq!(
        c.list_sessions(&host("bh-0"), &OperationContext::new())
            .await
            .unwrap()
            .len(),
        1
    );
    set_env(&[]);
}

#[tokio::test]
#[serial]
async fn default_chain_explains_every_failure_without_secrets() {
    let srv = ScriptServer::start(|_, _| Reply::empty(200));
    // `dev` = Azure CLI only; with an empty PATH it is skipped.
    let path = std::env::var_os("PATH");
    set_env(&[("AZURE_TOKEN_CREDENTIALS", "dev")]);
    unsafe { std::env::set_var("PATH", "/nonexistent") };
    let e = mi_client(&srv.base, CredentialSpec::Default)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    if let Some(p) = path {
        unsafe { std::env::set_var("PATH", p) };
    }
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.message().contains("AzureCliCredential: skipped"), "{e}");
    assert!(!e.message().contains("ManagedIdentityCredential"), "{e}");

    // EnvironmentCredential alone, with a certificate path that does not exist: said so.
    set_env(&[
        ("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential"),
        ("AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
        ("AZURE_CLIENT_ID", "c"),
        ("AZURE_CLIENT_CERTIFICATE_PATH", "/tmp/cert.pem"),
    ]);
    let e = mi_client(&srv.base, CredentialSpec::Default)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert!(
        e.message().contains("EnvironmentCredential") && e.message().contains("/tmp/cert.pem"),
        "{e}"
    );

    // Nothing set at all for EnvironmentCredential: skipped with the variables named.
    set_env(&[
        ("AZURE_TOKEN_CREDENTIALS", "EnvironmentCredential"),
        ("AZURE_CLIENT_SECRET", "hunter2"),
    ]);
    let e = mi_client(&srv.base, CredentialSpec::Default)
        .list_sessions(&host("bh-0"), &OperationContext::new())
        .await
        .unwrap_err();
    assert!(e.message().contains("AZURE_TENANT_ID"), "{e}");
    assert!(!e.message().contains("hunter2"), "{e}");

    // A bad AZURE_TOKEN_CREDENTIALS is an auth error naming the value.
    set_env(&[("AZURE_TOKEN_CREDENTIALS", "Nonsense")]);
    let mut o = fast_options(&srv.base, "unused");
    o.credential = CredentialSpec::Default;
    let e = BastionClient::new(o).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.message().contains("Nonsense"));
    assert!(srv.requests().is_empty(), "no ARM request without a token");
    set_env(&[]);
}

#[tokio::test]
#[serial]
async fn client_certificate_in_pfx_form_is_reported_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let pfx = dir.path().join("c.pfx");
    std::fs::write(&pfx, b"\x30\x82\x01\x00 not pem").unwrap();
    set_env(&[("AZURE_TOKEN_CREDENTIALS", "dev")]);
    let mut o = fast_options("http://127.0.0.1:9", "unused");
    o.credential = CredentialSpec::ClientCertificate {
        tenant_id: "t".into(),
        client_id: "c".into(),
        certificate_path: pfx.clone(),
        password: Some("hunter2-pw".into()),
    };
    let e = BastionClient::new(o).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(
        e.message().contains("only a PEM file") && e.message().contains("c.pfx"),
        "{e}"
    );
    assert!(!e.message().contains("hunter2"), "{e}");
    set_env(&[]);
}
