//! Token sources and the token cache.
//!
//! - `managed_identity`: our own managed-identity client (App Service / Automation
//!   endpoint, hybrid-worker `MSI_ENDPOINT`, IMDS with a short probe).
//! - `identity`: adapters over azure_identity (client secret, workload identity, Azure CLI).
//! - `chain`: the default chain, narrowed by `AZURE_TOKEN_CREDENTIALS`.
//!
//! [`TokenProvider`] caches one token per identity and scope and refreshes it 5 minutes
//! before expiry. Providers are kept in a process-wide map keyed by identity and by
//! everything that changes what they would fetch: the HTTP client's proxy and CA
//! settings, the certificate file's size and time, the Azure CLI profile's size and time
//! (it changes on `az login`), the environment's credential variables. Secrets enter a key
//! only as an HMAC-SHA256 under a key drawn at random once per process, never in plain
//! text. Every client and C ABI call with the same key shares one token. A new key for an
//! identity evicts only that identity's entries that hold no valid token, so a wrong
//! secret never evicts a working one.

mod certificate;
mod chain;
mod identity;
mod managed_identity;
mod source;

use source::{Vars, env};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use time::{Duration as TimeDuration, OffsetDateTime};

use crate::cloud::AzureEnvironment;
use crate::credential::{AccessToken, CredentialSpec, SecretString, TokenSource};
use crate::error::{Error, ErrorKind, Result};

/// Tokens are refreshed this long before they expire.
const REFRESH_MARGIN: TimeDuration = TimeDuration::minutes(5);

/// A token source with a cache in front.
pub(crate) struct TokenProvider {
    source: Arc<dyn TokenSource>,
    scope: String,
    refreshable: bool,
    cached: Mutex<Option<AccessToken>>,
    refresh_gate: tokio::sync::Mutex<()>,
}

impl TokenProvider {
    fn new(source: Arc<dyn TokenSource>, scope: String, refreshable: bool) -> Self {
        TokenProvider {
            source,
            scope,
            refreshable,
            cached: Mutex::new(None),
            refresh_gate: tokio::sync::Mutex::new(()),
        }
    }

    fn fresh_cached(&self) -> Option<SecretString> {
        let g = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        g.as_ref()
            .filter(|t| t.expires_on > OffsetDateTime::now_utc() + REFRESH_MARGIN)
            .map(|t| t.token.clone())
    }

    /// A valid token: the cached one, or a new one (one fetch at a time).
    pub async fn token(&self) -> Result<SecretString> {
        if let Some(t) = self.fresh_cached() {
            return Ok(t);
        }
        let _gate = self.refresh_gate.lock().await;
        if let Some(t) = self.fresh_cached() {
            return Ok(t);
        }
        let t = self.source.get_token(&self.scope).await?;
        if t.token.is_empty() {
            return Err(Error::new(
                ErrorKind::Auth,
                format!("{} returned an empty token", self.source.name()),
            ));
        }
        let out = t.token.clone();
        *self.cached.lock().unwrap_or_else(|p| p.into_inner()) = Some(t);
        Ok(out)
    }

    /// Whether a new token can be had (false for a caller-supplied access token).
    pub fn refreshable(&self) -> bool {
        self.refreshable
    }

    /// Drops the cached token if it is `token` (ARM rejected it).
    pub fn invalidate(&self, token: &SecretString) {
        let mut g = self.cached.lock().unwrap_or_else(|p| p.into_inner());
        if g.as_ref().is_some_and(|t| &t.token == token) {
            *g = None;
        }
    }
}

/// A caller-supplied token, used as is.
struct StaticToken(SecretString);

#[async_trait]
impl TokenSource for StaticToken {
    async fn get_token(&self, _scope: &str) -> Result<AccessToken> {
        Ok(AccessToken {
            token: self.0.clone(),
            expires_on: OffsetDateTime::now_utc() + TimeDuration::days(3650),
        })
    }
    fn name(&self) -> String {
        "AccessToken".into()
    }
}

/// At most this many token providers are cached; past it the cache starts over (the next
/// call of each identity fetches a new token).
pub(crate) const MAX_CACHED_PROVIDERS: usize = 32;

/// One cached provider: the identity it serves (its key without secrets or environment)
/// and the provider.
struct CachedProvider {
    identity: String,
    provider: Arc<TokenProvider>,
}

/// Providers by full key: identity plus everything that decides the token (a hash of the
/// secret, the certificate file's size and time, the environment's fingerprint).
fn provider_cache() -> &'static Mutex<HashMap<String, CachedProvider>> {
    static CACHE: OnceLock<Mutex<HashMap<String, CachedProvider>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// What distinguishes a certificate file's content without reading it: size and time.
fn file_stamp(path: &std::path::Path) -> String {
    match std::fs::metadata(path) {
        Ok(m) => format!(
            "{}@{:?}",
            m.len(),
            m.modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        ),
        Err(_) => "missing".to_string(),
    }
}

/// `s` as it may enter a cache key: HMAC-SHA256 under a key drawn at random once per
/// process (so the text in a key tells nothing about the secret, and equal secrets still
/// give equal keys), hex-encoded.
pub(crate) fn hash_secret(s: &str) -> String {
    static KEY: OnceLock<ring::hmac::Key> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        ring::hmac::Key::generate(ring::hmac::HMAC_SHA256, &ring::rand::SystemRandom::new())
            // The OS's random source failing is not something to go on without.
            .expect("the system's random number generator failed")
    });
    ring::hmac::sign(key, s.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The Azure CLI's profile file (`azureProfile.json` in `AZURE_CONFIG_DIR`, else in
/// `~/.azure`), whose size and time change when someone else signs in with `az login`.
/// The home folder is the process's own: `az`, a child process, finds its profile there too,
/// and the C ABI accepts no `HOME` in a request.
fn cli_profile_stamp(vars: &Vars) -> String {
    let dir = env(vars, "AZURE_CONFIG_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var("HOME")
                .ok()
                .or_else(|| std::env::var("USERPROFILE").ok())
                .map(|h| std::path::Path::new(&h).join(".azure"))
        });
    dir.map_or_else(
        || "no profile".to_string(),
        |d| file_stamp(&d.join("azureProfile.json")),
    )
}

/// Environment variables that decide what the env-driven credentials do; part of the
/// cache key so a changed environment gets a new provider.
fn env_fingerprint(vars: &Vars) -> String {
    let plain = [
        "AZURE_TOKEN_CREDENTIALS",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_AUTHORITY_HOST",
        "IDENTITY_ENDPOINT",
        "MSI_ENDPOINT",
    ];
    let secret = [
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PASSWORD",
        "IDENTITY_HEADER",
        "MSI_SECRET",
    ];
    let mut key = String::new();
    for n in plain {
        key.push_str(&format!("{n}={};", env(vars, n).unwrap_or_default()));
    }
    for n in secret {
        key.push_str(&format!(
            "{n}#{};",
            env(vars, n).map(|v| hash_secret(&v)).unwrap_or_default()
        ));
    }
    // A certificate rotated in place keeps its path: its size and time tell it apart.
    if let Some(path) = env(vars, "AZURE_CLIENT_CERTIFICATE_PATH") {
        key.push_str(&format!(
            "certificate={};",
            file_stamp(std::path::Path::new(&path))
        ));
    }
    key
}

/// Builds a token source (and says whether it can be refreshed).
type SourceBuilder = Box<dyn FnOnce() -> Result<(Arc<dyn TokenSource>, bool)>>;

/// The provider for `spec` in `environment`, shared process-wide per identity and
/// `client_key` (what decides the HTTP client `http`: its proxy and CA settings, so a
/// changed proxy or CA gets a provider that uses the new client).
pub(crate) fn provider_for(
    spec: &CredentialSpec,
    environment: AzureEnvironment,
    http: &reqwest::Client,
    client_key: &str,
    vars: Vars,
) -> Result<Arc<TokenProvider>> {
    let scope = environment.scope();
    let (identity, key, build): (String, String, SourceBuilder) = match spec {
        CredentialSpec::AccessToken(t) => {
            let token = t.expose().trim();
            if token.is_empty() {
                return Err(Error::invalid_request("the access token is empty"));
            }
            let token = token
                .strip_prefix("Bearer ")
                .unwrap_or(token)
                .trim()
                .to_string();
            return Ok(Arc::new(TokenProvider::new(
                Arc::new(StaticToken(SecretString::new(token))),
                scope,
                false,
            )));
        }
        CredentialSpec::Custom(src) => {
            return Ok(Arc::new(TokenProvider::new(src.clone(), scope, true)));
        }
        CredentialSpec::ClientSecret {
            tenant_id,
            client_id,
            secret,
            authority_host,
        } => {
            let identity = format!(
                "cs|{tenant_id}|{client_id}|{}",
                authority_host.as_ref().map(|u| u.as_str()).unwrap_or("")
            );
            let key = format!("{identity}|{}", hash_secret(secret.expose()));
            let (t, c, s, a, h) = (
                tenant_id.clone(),
                client_id.clone(),
                secret.clone(),
                authority_host.clone(),
                http.clone(),
            );
            (
                identity,
                key,
                Box::new(move || {
                    Ok((
                        identity::client_secret(&t, &c, &s, a.as_ref(), environment, &h)?,
                        true,
                    ))
                }),
            )
        }
        CredentialSpec::ClientCertificate {
            tenant_id,
            client_id,
            certificate_path,
            password,
        } => {
            let identity = format!("cc|{tenant_id}|{client_id}|{}", certificate_path.display());
            // A replaced certificate file (or password) is a new key, not the old token.
            let key = format!(
                "{identity}|{}|{}",
                file_stamp(certificate_path),
                password
                    .as_ref()
                    .map(|p| hash_secret(p.expose()))
                    .unwrap_or_default()
            );
            let (t, c, p, pw, h) = (
                tenant_id.clone(),
                client_id.clone(),
                certificate_path.clone(),
                password.is_some(),
                http.clone(),
            );
            (
                identity,
                key,
                Box::new(move || {
                    Ok((
                        identity::client_certificate(&t, &c, &p, pw, environment, &h)?,
                        true,
                    ))
                }),
            )
        }
        CredentialSpec::WorkloadIdentity {
            tenant_id,
            client_id,
            token_file_path,
        } => {
            let identity = format!("wi|{tenant_id:?}|{client_id:?}|{token_file_path:?}");
            let key = format!("{identity}|{}", env_fingerprint(&vars));
            // Unset fields fall back to AZURE_TENANT_ID, AZURE_CLIENT_ID and
            // AZURE_FEDERATED_TOKEN_FILE, from the caller's settings when given.
            let (t, c, p, h) = (
                tenant_id.clone().or_else(|| env(&vars, "AZURE_TENANT_ID")),
                client_id.clone().or_else(|| env(&vars, "AZURE_CLIENT_ID")),
                token_file_path
                    .clone()
                    .or_else(|| env(&vars, "AZURE_FEDERATED_TOKEN_FILE").map(Into::into)),
                http.clone(),
            );
            (
                identity,
                key,
                Box::new(move || {
                    Ok((identity::workload_identity(t, c, p, environment, &h)?, true))
                }),
            )
        }
        CredentialSpec::ManagedIdentity {
            client_id,
            object_id,
            resource_id,
        } => {
            let identity = format!("mi|{client_id:?}|{object_id:?}|{resource_id:?}");
            let key = format!("{identity}|{}", env_fingerprint(&vars));
            let mi_vars = vars.clone();
            let id = managed_identity::UserAssigned::from_parts(
                client_id.clone(),
                object_id.clone(),
                resource_id.clone(),
            )?;
            (
                identity,
                key,
                Box::new(move || {
                    Ok((
                        Arc::new(managed_identity::ManagedIdentitySource::new(
                            id,
                            environment,
                            mi_vars,
                        )) as Arc<dyn TokenSource>,
                        true,
                    ))
                }),
            )
        }
        CredentialSpec::AzureCli { tenant_id } => {
            let identity = format!("cli|{tenant_id:?}");
            // `az login` as someone else rewrites the profile: a new key, not the old token.
            let key = format!("{identity}|{}", cli_profile_stamp(&vars));
            let t = tenant_id.clone();
            (
                identity,
                key,
                Box::new(move || Ok((identity::azure_cli(t)?, true))),
            )
        }
        CredentialSpec::Default => {
            let identity = "default".to_string();
            let key = format!("{identity}|{}", env_fingerprint(&vars));
            let h = http.clone();
            let chain_vars = vars.clone();
            (
                identity,
                key,
                Box::new(move || Ok((chain::default_chain(environment, &h, chain_vars)?, true))),
            )
        }
    };
    let identity = format!("{identity}|{scope}");
    let key = format!("{key}|{client_key}|{scope}");
    let mut cache = provider_cache().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(p) = cache.get(&key) {
        return Ok(p.provider.clone());
    }
    let (source, refreshable) = build()?;
    let p = Arc::new(TokenProvider::new(source, scope, refreshable));
    // A rotated secret, replaced certificate or changed environment for the same identity
    // replaces the entries of that identity that hold no valid token (dropping their
    // secrets); one that works stays until its token expires, so a wrong secret tried
    // once never evicts it.
    cache.retain(|_, c| c.identity != identity || c.provider.fresh_cached().is_some());
    if cache.len() >= MAX_CACHED_PROVIDERS {
        cache.clear();
    }
    cache.insert(
        key,
        CachedProvider {
            identity,
            provider: p.clone(),
        },
    );
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Counting(AtomicU32, TimeDuration);

    #[async_trait]
    impl TokenSource for Counting {
        async fn get_token(&self, _scope: &str) -> Result<AccessToken> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Ok(AccessToken {
                token: SecretString::new(format!("t{n}")),
                expires_on: OffsetDateTime::now_utc() + self.1,
            })
        }
        fn name(&self) -> String {
            "Counting".into()
        }
    }

    #[tokio::test]
    async fn caches_until_five_minutes_before_expiry() {
        let src = Arc::new(Counting(AtomicU32::new(0), TimeDuration::hours(1)));
        let p = TokenProvider::new(src.clone(), "s".into(), true);
        assert_eq!(p.token().await.unwrap().expose(), "t0");
        assert_eq!(p.token().await.unwrap().expose(), "t0");
        p.invalidate(&SecretString::new("other"));
        assert_eq!(p.token().await.unwrap().expose(), "t0");
        p.invalidate(&SecretString::new("t0"));
        assert_eq!(p.token().await.unwrap().expose(), "t1");

        let short = Arc::new(Counting(AtomicU32::new(0), TimeDuration::minutes(4)));
        let p = TokenProvider::new(short.clone(), "s".into(), true);
        p.token().await.unwrap();
        p.token().await.unwrap();
        assert_eq!(
            short.0.load(Ordering::SeqCst),
            2,
            "a token within 5 min of expiry is refreshed"
        );
    }

    fn client_secret(client_id: &str, secret: &str) -> CredentialSpec {
        CredentialSpec::ClientSecret {
            tenant_id: "00000000-0000-0000-0000-00000000000a".into(),
            client_id: client_id.into(),
            secret: SecretString::new(secret.to_string()),
            authority_host: None,
        }
    }

    #[test]
    fn a_rotated_secret_replaces_the_cached_provider_and_the_cache_is_bounded() {
        let http = crate::transport::http::shared_client(
            &Default::default(),
            None,
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        let env = AzureEnvironment::AzureCloud;
        let old = provider_for(
            &client_secret("rotating-app", "old-secret"),
            env,
            &http,
            "",
            None,
        )
        .unwrap();
        let again = provider_for(
            &client_secret("rotating-app", "old-secret"),
            env,
            &http,
            "",
            None,
        )
        .unwrap();
        assert!(Arc::ptr_eq(&old, &again), "same secret, same provider");
        let new = provider_for(
            &client_secret("rotating-app", "new-secret"),
            env,
            &http,
            "",
            None,
        )
        .unwrap();
        assert!(!Arc::ptr_eq(&old, &new));
        // The cache no longer holds the provider of the old secret.
        drop(again);
        assert_eq!(
            Arc::strong_count(&old),
            1,
            "the old secret's provider is still cached"
        );
        let holders = provider_cache()
            .lock()
            .unwrap()
            .values()
            .filter(|c| c.identity.contains("rotating-app"))
            .count();
        assert_eq!(holders, 1);
        for i in 0..(3 * MAX_CACHED_PROVIDERS) {
            provider_for(
                &client_secret(&format!("app-{i}"), "s"),
                env,
                &http,
                "",
                None,
            )
            .unwrap();
        }
        assert!(provider_cache().lock().unwrap().len() <= MAX_CACHED_PROVIDERS);
    }

    #[test]
    fn a_wrong_secret_never_evicts_a_working_provider() {
        let http = crate::transport::http::shared_client(
            &Default::default(),
            None,
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        let env = AzureEnvironment::AzureCloud;
        let get = |secret: &str| {
            provider_for(&client_secret("working-app", secret), env, &http, "", None).unwrap()
        };
        let working = get("right-secret");
        // It has fetched a token that is still valid.
        *working.cached.lock().unwrap() = Some(AccessToken {
            token: SecretString::new("t".to_string()),
            expires_on: OffsetDateTime::now_utc() + TimeDuration::hours(1),
        });
        let wrong = get("wrong-secret");
        assert!(!Arc::ptr_eq(&working, &wrong));
        assert!(
            Arc::ptr_eq(&working, &get("right-secret")),
            "the working provider was evicted by a wrong secret"
        );
    }

    #[test]
    fn keys_hold_secrets_only_as_an_hmac_and_follow_what_decides_the_fetch() {
        let h = hash_secret("hunter2-password");
        assert_eq!(h, hash_secret("hunter2-password"));
        assert_ne!(h, hash_secret("hunter3-password"));
        assert_eq!(h.len(), 64, "HMAC-SHA256 in hex");
        let mut vars = crate::options::EnvSettings::new();
        vars.set("AZURE_CLIENT_CERTIFICATE_PASSWORD", "hunter2-password");
        let dir = tempfile::tempdir().unwrap();
        let cert = dir.path().join("cert.pem");
        std::fs::write(&cert, "one").unwrap();
        vars.set("AZURE_CLIENT_CERTIFICATE_PATH", cert.to_string_lossy());
        let vars = Some(Arc::new(vars));
        let before = env_fingerprint(&vars);
        assert!(!before.contains("hunter2"), "{before}");
        // The certificate rotated in place (same path, new content): a new key.
        std::fs::write(&cert, "two, longer").unwrap();
        assert_ne!(before, env_fingerprint(&vars));
        // Another proxy or CA (the client key) is another provider.
        let http = crate::transport::http::shared_client(
            &Default::default(),
            None,
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        let spec = client_secret("proxied-app", "s");
        let env = AzureEnvironment::AzureCloud;
        let a = provider_for(&spec, env, &http, "proxy-a", None).unwrap();
        let b = provider_for(&spec, env, &http, "proxy-b", None).unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn the_cli_provider_follows_the_signed_in_account() {
        let dir = tempfile::tempdir().unwrap();
        let mut vars = crate::options::EnvSettings::new();
        vars.set("AZURE_CONFIG_DIR", dir.path().to_string_lossy());
        let vars = Some(Arc::new(vars));
        let profile = dir.path().join("azureProfile.json");
        std::fs::write(&profile, r#"{"subscriptions":[{"user":{"name":"a@x"}}]}"#).unwrap();
        let first = cli_profile_stamp(&vars);
        // `az login` as someone else rewrites the profile.
        std::fs::write(
            &profile,
            r#"{"subscriptions":[{"user":{"name":"someone@else"}}]}"#,
        )
        .unwrap();
        assert_ne!(first, cli_profile_stamp(&vars));
    }

    #[test]
    fn empty_access_token_is_rejected() {
        let http = crate::transport::http::shared_client(
            &Default::default(),
            None,
            std::time::Duration::from_secs(5),
        )
        .unwrap();
        let e = provider_for(
            &CredentialSpec::AccessToken("  ".into()),
            AzureEnvironment::AzureCloud,
            &http,
            "",
            None,
        )
        .err()
        .unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    }
}
