//! Layer 4, the ARM pipeline: [`ArmPipeline`] builds ARM URLs and sends authenticated,
//! retried requests to them; `paging` reads every page of a list answer. Every ARM
//! operation goes through one pipeline, shared by the clones of a client.
//!
//! - `send`: one request, retried (backoff, `Retry-After`, throttle gate, token refresh).
//! - `paging`: `{value,nextLink}` or bare-array answers, loop detection, page and item caps.

pub(crate) mod paging;
mod send;

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::auth::{self, TokenProvider};
use crate::context::OperationContext;
use crate::error::{Error, Result};
use crate::options::{ClientOptions, EnvSettings, PollOptions, RetryPolicy, env_var};
use crate::transport::http;

/// Everything a request to ARM needs: the HTTP client, the token provider, the endpoint
/// and api-version, and the retry, polling and size limits of the client's options.
pub(crate) struct ArmPipeline {
    pub http: reqwest::Client,
    pub tokens: Arc<TokenProvider>,
    pub endpoint: Url,
    pub api_version: String,
    pub retry: RetryPolicy,
    pub poll: PollOptions,
    pub request_timeout: Duration,
    pub max_pages: usize,
    pub max_items: u64,
}

impl ArmPipeline {
    /// The pipeline for `options`: checks the endpoint and api-version, takes the shared
    /// HTTP client for the proxy/CA settings and the token provider for the credential.
    /// Makes no network call.
    pub fn new(options: &ClientOptions) -> Result<ArmPipeline> {
        let endpoint = options.effective_endpoint();
        http::check_endpoint(&endpoint)?;
        if options.api_version.trim().is_empty() {
            return Err(Error::invalid_request("the api-version is empty"));
        }
        let settings = options.env_settings.as_deref();
        let proxy =
            http::ProxySettings::resolve(options.proxy.as_deref(), |n| env_var(settings, n));
        let extra_ca = extra_ca_with_cert_file(options.extra_ca_pem.as_deref(), settings)?;
        let http = http::shared_client(&proxy, extra_ca.as_deref(), options.connect_timeout)?;
        // What decides the client decides the token provider too (it fetches through it).
        let client_key = auth::hash_secret(&format!(
            "{proxy:?}|{extra_ca:?}|{:?}",
            options.connect_timeout
        ));
        let tokens = auth::provider_for(
            &options.credential,
            options.environment,
            &http,
            &client_key,
            options.env_settings.clone(),
        )?;
        Ok(ArmPipeline {
            http,
            tokens,
            endpoint,
            api_version: options.api_version.trim().to_string(),
            retry: options.retry.clone(),
            poll: options.poll.clone(),
            request_timeout: options.request_timeout,
            max_pages: options.max_pages.max(1),
            max_items: options.max_items_per_call.max(1) as u64,
        })
    }

    /// The error of a call whose item budget is spent, about `target`.
    pub fn budget_spent(&self, target: &str) -> Error {
        Error::invalid_response(format!(
            "this call has read its budget of {} items across its pages and hosts, the limit that bounds its memory; narrow the scope (fewer hosts or subscriptions per call), or raise the limit (maxItemsPerCall)",
            self.max_items
        ))
        .with_target(target)
    }

    /// Fails before a request is sent when the call's item budget is already spent, so no
    /// request goes out whose answer could not be read.
    pub fn check_budget(&self, ctx: &OperationContext, target: &str) -> Result<()> {
        if ctx.stats.items() >= self.max_items {
            return Err(self.budget_spent(target));
        }
        Ok(())
    }

    /// `{endpoint}{path}?api-version=..` for an ARM path like `/subscriptions/..`.
    pub fn url_for(&self, path: &str) -> Result<Url> {
        let mut base = self.endpoint.clone();
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let mut url = base
            .join(path.trim_start_matches('/'))
            .map_err(|e| Error::invalid_request(format!("cannot build a URL for '{path}': {e}")))?;
        url.query_pairs_mut()
            .append_pair("api-version", &self.api_version);
        Ok(url)
    }
}

/// The extra CA PEM, plus the file `SSL_CERT_FILE` names when the caller passed its
/// environment explicitly (with the process environment the TLS verifier reads it itself).
fn extra_ca_with_cert_file(
    extra: Option<&str>,
    settings: Option<&EnvSettings>,
) -> Result<Option<String>> {
    // SSL_CERT_FILE is the Unix convention, which the platform verifier follows itself for
    // callers that send no environment. Windows trusts its certificate store and never reads
    // it; honouring it there from the module's settings would make PowerShell and C callers
    // disagree (and a Linux CA bundle path inherited by a Windows process, as under wine,
    // turned every call into "the HTTP client could not be built").
    if cfg!(windows) {
        return Ok(extra.map(str::to_string));
    }
    let Some(path) = settings.and_then(|s| s.get("SSL_CERT_FILE")) else {
        return Ok(extra.map(str::to_string));
    };
    let pem = std::fs::read_to_string(&path).map_err(|e| {
        Error::invalid_request(format!(
            "the CA file named by SSL_CERT_FILE ('{path}') could not be read: {e}"
        ))
    })?;
    Ok(Some(match extra {
        Some(x) => format!("{x}\n{pem}"),
        None => pem,
    }))
}
