//! Client configuration: endpoint, cloud, api-version, credential, retry and polling
//! policy, extra trusted CA and proxy.
//!
//! The structs are `#[non_exhaustive]`: start from `Default::default()` and assign fields,
//! so new knobs can be added without breaking callers.

use std::time::Duration;

use url::Url;

use crate::cloud::AzureEnvironment;
use crate::credential::CredentialSpec;

/// The Microsoft.Network api-version used by default.
pub const DEFAULT_API_VERSION: &str = "2025-07-01";

/// Hosts worked on at once by the fan-out calls unless told otherwise.
///
/// Each host spends most of its time waiting in LRO polling (a `Retry-After` of 1 s or
/// more per poll), so the fan-out is latency-bound and concurrency buys time almost
/// linearly. Both session calls are POSTs, charged to ARM's per-subscription write bucket
/// (200 burst, 10/s refill): up to ~200 hosts the burst absorbs every POST, and beyond it
/// the client reads `x-ms-ratelimit-remaining-subscription-writes` to slow down before ARM
/// answers 429 (and honours `Retry-After` when it does), so a high bound costs nothing
/// but lets a large fleet finish at the bucket's pace instead of at 16 hosts in flight.
///
/// Measured (`examples/list_many.rs` against `bastion-emulator --hosts 200 --latency-ms 50
/// --polls 1 --retry-after 1`, i.e. per host the POST's 202 and one polling 202, each with
/// `Retry-After: 1`, then the 200): 200 hosts in 28.1 s at 16, 15.1 s at 32 and 8.75 s at
/// 64, where the floor is 4 waves of 2.15 s.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// Session ids per `disconnectActiveSessions` request unless told otherwise.
pub const DEFAULT_DISCONNECT_CHUNK: usize = 1000;

/// Default of [`ClientOptions::max_items_per_call`].
pub const DEFAULT_MAX_ITEMS_PER_CALL: usize = 500_000;

/// The environment variables the credentials, proxy and TLS read (the names of
/// [`TRANSPORT_VARIABLES`] and [`CREDENTIAL_CHAIN_VARIABLES`]), passed explicitly instead of read from the
/// process environment. A caller that keeps its own view of the environment (PowerShell's
/// `$env:`, which on Unix never reaches the C runtime) sends it here, so the library never
/// needs anyone to `setenv` while its threads may read the environment.
///
/// Values are held as [`SecretString`](crate::credential::SecretString)s (zeroed on drop); `Debug`
/// shows the names only.
#[derive(Clone, Default)]
pub struct EnvSettings {
    vars: std::collections::BTreeMap<String, crate::credential::SecretString>,
}

impl EnvSettings {
    /// No variables set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets variable `name` to `value`.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(
            name.into(),
            crate::credential::SecretString::new(value.into()),
        );
    }

    /// The value of `name`, if set and not blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .map(|v| v.expose().to_string())
            .filter(|v| !v.trim().is_empty())
    }

    /// The names that are set.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }
}

impl std::fmt::Debug for EnvSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

/// The environment variables the HTTP transport reads, whatever the credential: the proxy
/// (`HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`, upper or lower case, and `NO_PROXY`) and the
/// extra CA file (`SSL_CERT_FILE`, not on Windows, which trusts its certificate store).
///
/// With [`CREDENTIAL_CHAIN_VARIABLES`] this is every name the library reads through
/// [`EnvSettings`]: the C ABI refuses any other name in `credential.environment`, and the
/// module's list is generated from these (`ffi/tests/contracts_drift.rs`, which also fails
/// when code under `src/` or `ffi/src/` reads a name that is in neither list).
pub const TRANSPORT_VARIABLES: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
];

/// The environment variables the credentials read: the default chain (service principal,
/// workload identity, managed identity, Azure CLI on `PATH`, narrowed by
/// `AZURE_TOKEN_CREDENTIALS`; `AZURE_CONFIG_DIR` says where the CLI keeps its profile), and the workload and managed identity credentials, which
/// read their own ones and key their cached provider by the whole list. An access token, a
/// client secret, a client certificate or the Azure CLI credential read none of them.
pub const CREDENTIAL_CHAIN_VARIABLES: &[&str] = &[
    "AZURE_TOKEN_CREDENTIALS",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZURE_CONFIG_DIR",
    "PATH",
];

/// Variable `name` from `settings` when the caller gave settings, else from the process
/// environment (callers that name none, such as C programs).
pub(crate) fn env_var(settings: Option<&EnvSettings>, name: &str) -> Option<String> {
    match settings {
        Some(s) => s.get(name),
        None => std::env::var(name).ok().filter(|v| !v.trim().is_empty()),
    }
}

/// Options for [`BastionClient::new`](crate::BastionClient::new).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// ARM endpoint; wins over [`environment`](Self::environment). Plain `http` only for
    /// loopback hosts.
    pub arm_endpoint: Option<Url>,
    /// The cloud: default endpoint, token audience and authority host.
    pub environment: AzureEnvironment,
    /// Microsoft.Network api-version (default [`DEFAULT_API_VERSION`]).
    pub api_version: String,
    /// How to get tokens.
    pub credential: CredentialSpec,
    /// Retries of single requests.
    pub retry: RetryPolicy,
    /// LRO polling.
    pub poll: PollOptions,
    /// PEM of extra CA certificates to trust, on top of the platform's roots.
    pub extra_ca_pem: Option<String>,
    /// Explicit proxy URL; otherwise `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` apply.
    pub proxy: Option<String>,
    /// The environment variables to use instead of the process environment (see
    /// [`EnvSettings`]); `None` reads the process environment.
    pub env_settings: Option<std::sync::Arc<EnvSettings>>,
    /// Most pages read for one answer before giving up (protects against endless paging).
    pub max_pages: usize,
    /// Most items (sessions, disconnect results, hosts) one operation reads across all its
    /// pages and hosts (default 500,000); past it the host being read fails with
    /// `InvalidResponse`. With the 16 MiB cap on one answer this bounds the memory of one
    /// call (see RELIABILITY.md).
    pub max_items_per_call: usize,
    /// Connect timeout of the HTTP client.
    pub connect_timeout: Duration,
    /// Timeout of one HTTP request (headers and body).
    pub request_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            arm_endpoint: None,
            environment: AzureEnvironment::AzureCloud,
            api_version: DEFAULT_API_VERSION.to_string(),
            credential: CredentialSpec::Default,
            retry: RetryPolicy::default(),
            poll: PollOptions::default(),
            extra_ca_pem: None,
            proxy: None,
            env_settings: None,
            max_pages: 1000,
            max_items_per_call: DEFAULT_MAX_ITEMS_PER_CALL,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(100),
        }
    }
}

impl ClientOptions {
    /// The endpoint to call: [`arm_endpoint`](Self::arm_endpoint) or the environment's.
    pub fn effective_endpoint(&self) -> Url {
        self.arm_endpoint
            .clone()
            .unwrap_or_else(|| self.environment.arm_endpoint())
    }
}

/// Retry policy for single requests (408, 429, 500, 502, 503, 504, connection failures).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 6).
    pub max_retries: u32,
    /// First backoff delay (default 0.8 s), doubled per attempt, with jitter.
    pub base_delay: Duration,
    /// Longest single wait (default 60 s); a longer `Retry-After` is clamped to it.
    pub max_delay: Duration,
    /// Total time one request may spend retrying (default 5 min); no retry starts after it.
    pub total_deadline: Duration,
    /// When `x-ms-ratelimit-remaining-subscription-*` falls below this, requests slow
    /// down before ARM throttles (default 20).
    pub ratelimit_threshold: u32,
    /// The floor of every wait between attempts and between LRO polls (default 250 ms),
    /// doubled with each consecutive wait up to 8 times itself, so a `retry-after-ms: 1`
    /// or a `pollIntervalMinSec` of 0 can never become a busy loop. The C ABI always uses
    /// the default.
    pub min_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 6,
            base_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
            total_deadline: Duration::from_secs(300),
            ratelimit_threshold: 20,
            min_delay: Duration::from_millis(250),
        }
    }
}

/// Polling of `getActiveSessions`, a long-running operation.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PollOptions {
    /// Shortest wait between polls, even when `Retry-After` says less (default 1 s).
    pub min_interval: Duration,
    /// Longest wait between polls, even when `Retry-After` says more (default 60 s).
    pub max_interval: Duration,
    /// Wait when the service sends no `Retry-After` (default 2 s, then clamped).
    pub default_interval: Duration,
    /// How long one LRO may take in all (default 5 min).
    pub lro_timeout: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            min_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(60),
            default_interval: Duration::from_secs(2),
            lro_timeout: Duration::from_secs(300),
        }
    }
}
