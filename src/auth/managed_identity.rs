//! Managed identity, implemented here rather than through azure_identity, because its
//! 1.0 parser only accepts `expires_on` as a string of epoch seconds, refuses
//! `MSI_ENDPOINT`/`MSI_SECRET` (agent-based Hybrid Workers) and can block for a minute on
//! IMDS off Azure.
//!
//! Sources, first match wins (read from the environment on each token request):
//! 1. `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (App Service, Functions, Automation):
//!    `GET {endpoint}?resource=..&api-version=2019-08-01`, headers `X-IDENTITY-HEADER`
//!    and `Metadata: true`.
//! 2. `MSI_ENDPOINT` + `MSI_SECRET` (Hybrid Worker, older App Service):
//!    `GET {endpoint}?resource=..&api-version=2017-09-01`, header `secret`.
//! 3. IMDS at 169.254.169.254, with a 1 s connect timeout so off-Azure it fails fast.
//!
//! `expires_on` may be epoch seconds as a string or a number, or a date-time string
//! (`2021-07-02 08:00:34Z`, `11/28/2026 09:15:00 +00:00`); `expires_in` is the fallback.

use std::sync::OnceLock;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use time::{Duration as TimeDuration, OffsetDateTime};
use url::Url;

use super::source::{Vars, auth_error, env};
use crate::cloud::AzureEnvironment;
use crate::credential::{AccessToken, SecretString, TokenSource};
use crate::error::{Error, ErrorKind, Result};
use crate::timestamp::parse_lenient;

const NAME: &str = "ManagedIdentityCredential";
const IMDS: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// Which user-assigned identity, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UserAssigned {
    System,
    ClientId(String),
    ObjectId(String),
    ResourceId(String),
}

impl UserAssigned {
    pub fn from_parts(
        client_id: Option<String>,
        object_id: Option<String>,
        resource_id: Option<String>,
    ) -> Result<Self> {
        let given: Vec<_> = [
            client_id
                .filter(|s| !s.trim().is_empty())
                .map(UserAssigned::ClientId),
            object_id
                .filter(|s| !s.trim().is_empty())
                .map(UserAssigned::ObjectId),
            resource_id
                .filter(|s| !s.trim().is_empty())
                .map(UserAssigned::ResourceId),
        ]
        .into_iter()
        .flatten()
        .collect();
        match given.len() {
            0 => Ok(UserAssigned::System),
            1 => Ok(given.into_iter().next().unwrap_or(UserAssigned::System)),
            _ => Err(Error::invalid_request(
                "give at most one of clientId, objectId and resourceId for a managed identity",
            )),
        }
    }
}

/// Our managed-identity token source.
pub(crate) struct ManagedIdentitySource {
    id: UserAssigned,
    audience: &'static str,
    imds_url: Url,
    vars: Vars,
}

impl ManagedIdentitySource {
    /// A source for identity `id`, reading `IDENTITY_*` / `MSI_*` from `vars` (or the
    /// process environment without them).
    pub fn new(id: UserAssigned, environment: AzureEnvironment, vars: Vars) -> Self {
        ManagedIdentitySource {
            id,
            audience: environment.audience(),
            imds_url: Url::parse(IMDS).expect("static URL"),
            vars,
        }
    }

    /// The token URL of an endpoint named by environment variable `name`.
    fn endpoint_url(
        &self,
        name: &str,
        raw: &str,
        api_version: &str,
        client_id_param: &str,
    ) -> Result<Url> {
        let mut url = parse_endpoint(name, raw)?;
        self.append_identity_query(&mut url, api_version, client_id_param, "mi_res_id");
        Ok(url)
    }

    /// Adds `resource`, `api-version` and the user-assigned id (whose parameter names
    /// differ between the endpoint kinds) to a token URL.
    fn append_identity_query(
        &self,
        url: &mut Url,
        api_version: &str,
        client_id_param: &str,
        resource_id_param: &str,
    ) {
        let mut q = url.query_pairs_mut();
        q.append_pair("resource", self.audience)
            .append_pair("api-version", api_version);
        match &self.id {
            UserAssigned::System => {}
            UserAssigned::ClientId(v) => {
                q.append_pair(client_id_param, v);
            }
            UserAssigned::ObjectId(v) => {
                q.append_pair("object_id", v);
            }
            UserAssigned::ResourceId(v) => {
                q.append_pair(resource_id_param, v);
            }
        }
    }
}

/// A client that never uses a proxy (these endpoints are local) and connects fast.
fn mi_client() -> Result<reqwest::Client> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c.clone());
    }
    crate::transport::http::install_crypto_provider();
    let c = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(Duration::from_secs(1))
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| auth_error(NAME, format!("HTTP client: {e}")))?;
    Ok(CLIENT.get_or_init(|| c).clone())
}

#[async_trait]
impl TokenSource for ManagedIdentitySource {
    async fn get_token(&self, _scope: &str) -> Result<AccessToken> {
        let client = mi_client()?;
        let env = |name: &str| env(&self.vars, name);
        let (url, headers, source) = if let (Some(ep), Some(header)) =
            (env("IDENTITY_ENDPOINT"), env("IDENTITY_HEADER"))
        {
            let url = self.endpoint_url("IDENTITY_ENDPOINT", &ep, "2019-08-01", "client_id")?;
            (
                url,
                vec![
                    ("X-IDENTITY-HEADER", header),
                    ("Metadata", "true".to_string()),
                ],
                "IDENTITY_ENDPOINT",
            )
        } else if let (Some(ep), Some(secret)) = (env("MSI_ENDPOINT"), env("MSI_SECRET")) {
            let url = self.endpoint_url("MSI_ENDPOINT", &ep, "2017-09-01", "clientid")?;
            (
                url,
                vec![("secret", secret), ("Metadata", "true".to_string())],
                "MSI_ENDPOINT",
            )
        } else if env("MSI_ENDPOINT").is_some() {
            return Err(auth_error(
                NAME,
                "MSI_ENDPOINT is set without MSI_SECRET (Cloud Shell?), which is not supported; pass an access token instead",
            ));
        } else {
            let mut url = self.imds_url.clone();
            self.append_identity_query(&mut url, "2018-02-01", "client_id", "msi_res_id");
            (url, vec![("Metadata", "true".to_string())], "IMDS")
        };
        let mut req = client.get(url.clone());
        for (k, v) in &headers {
            let mut hv = reqwest::header::HeaderValue::from_str(v).map_err(|_| {
                auth_error(NAME, format!("a header value for {source} is not valid"))
            })?;
            hv.set_sensitive(true);
            req = req.header(*k, hv);
        }
        let resp = req.send().await.map_err(|e| {
            let why = if e.is_connect() || e.is_timeout() {
                "no managed identity endpoint answered"
            } else {
                "the request failed"
            };
            auth_error(
                NAME,
                format!("{why} ({source} at {}): {e}", url.host_str().unwrap_or("")),
            )
        })?;
        let status = resp.status().as_u16();
        let body = read_capped(resp, MAX_TOKEN_BODY_BYTES)
            .await
            .map_err(|e| auth_error(NAME, format!("reading the answer of {source}: {e}")))?;
        if !(200..300).contains(&status) {
            let (code, message, _) = crate::transport::arm_error::parse_body(&body);
            let hint = match status {
                400 => " (is a managed identity assigned, and is the id right?)",
                404 => " (no such identity)",
                _ => "",
            };
            return Err(auth_error(
                NAME,
                format!(
                    "{source} answered HTTP {status}{hint}: {}{}",
                    message.or(code).unwrap_or_else(|| "no details".into()),
                    ""
                ),
            )
            .with_http_status(status));
        }
        parse_token_response(&body, OffsetDateTime::now_utc())
            .map_err(|e| auth_error(NAME, format!("{source}: {}", e.message())))
    }

    fn name(&self) -> String {
        NAME.into()
    }
}

/// The largest managed-identity answer read (a token answer is a few KiB); a larger one
/// is refused instead of being buffered whole.
pub(crate) const MAX_TOKEN_BODY_BYTES: usize = 64 * 1024;

/// Reads an answer body, refusing one larger than `max` bytes as soon as it passes it.
async fn read_capped(
    mut resp: reqwest::Response,
    max: usize,
) -> std::result::Result<Vec<u8>, String> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Err(format!(
            "the answer is larger than the {} KiB limit",
            max / 1024
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > max {
            return Err(format!(
                "the answer is larger than the {} KiB limit",
                max / 1024
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn parse_endpoint(var: &str, value: &str) -> Result<Url> {
    let url = Url::parse(value.trim())
        .map_err(|e| auth_error(NAME, format!("{var} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(auth_error(NAME, format!("{var} must be an http(s) URL")));
    }
    Ok(url)
}

/// Reads `access_token` and the expiry from a managed-identity answer.
pub(crate) fn parse_token_response(body: &[u8], now: OffsetDateTime) -> Result<AccessToken> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        Error::new(
            ErrorKind::Auth,
            format!("the token answer is not valid JSON: {e}"),
        )
    })?;
    let token = v
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::new(ErrorKind::Auth, "the token answer has no 'access_token'"))?;
    let expires_on = v
        .get("expires_on")
        .and_then(|e| parse_expiry(e, now))
        .or_else(|| {
            let secs = match v.get("expires_in")? {
                Value::Number(n) => n.as_f64()?,
                Value::String(s) => s.trim().parse::<f64>().ok()?,
                _ => return None,
            };
            // "NaN" parses as a float, survives `clamp` and panics in `seconds_f64`.
            if secs.is_nan() {
                return None;
            }
            Some(now + TimeDuration::seconds_f64(secs.clamp(0.0, 86_400.0 * 365.0)))
        })
        // No usable expiry: assume a short life so the token is fetched again soon.
        .unwrap_or(now + TimeDuration::minutes(10));
    Ok(AccessToken {
        token: SecretString::new(token),
        expires_on,
    })
}

fn parse_expiry(v: &Value, now: OffsetDateTime) -> Option<OffsetDateTime> {
    let from_epoch = |secs: f64| {
        if !secs.is_finite() || secs <= 0.0 || secs > 1e11 {
            return None;
        }
        OffsetDateTime::from_unix_timestamp(secs as i64).ok()
    };
    let _ = now;
    match v {
        Value::Number(n) => from_epoch(n.as_f64()?),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(secs) = s.parse::<f64>() {
                return from_epoch(secs);
            }
            parse_lenient(s).or_else(|| parse_us_date(s))
        }
        _ => None,
    }
}

/// `MM/dd/yyyy HH:mm:ss +00:00`, the 2017-09-01 App Service form.
fn parse_us_date(s: &str) -> Option<OffsetDateTime> {
    let (date, rest) = s.split_once(' ')?;
    let mut d = date.split('/');
    let (m, day, y) = (d.next()?, d.next()?, d.next()?);
    if d.next().is_some() {
        return None;
    }
    let iso = format!("{y:0>4}-{m}-{day}T{}", rest.trim().replacen(' ', "", 1));
    parse_lenient(&iso)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-28 12:00 UTC);

    fn exp(body: &str) -> OffsetDateTime {
        parse_token_response(body.as_bytes(), NOW)
            .unwrap()
            .expires_on
    }

    #[test]
    fn expires_on_shapes() {
        assert_eq!(
            exp(r#"{"access_token":"a","expires_on":"1795000000"}"#).unix_timestamp(),
            1_795_000_000
        );
        assert_eq!(
            exp(r#"{"access_token":"a","expires_on":1795000000}"#).unix_timestamp(),
            1_795_000_000
        );
        assert_eq!(
            exp(r#"{"access_token":"a","expires_on":"2021-07-02 08:00:34Z"}"#),
            datetime!(2021-07-02 08:00:34 UTC)
        );
        assert_eq!(
            exp(r#"{"access_token":"a","expires_on":"07/02/2021 08:00:34 +00:00"}"#),
            datetime!(2021-07-02 08:00:34 UTC)
        );
        assert_eq!(
            exp(r#"{"access_token":"a","expires_in":"3600"}"#),
            NOW + TimeDuration::hours(1)
        );
        assert_eq!(
            exp(r#"{"access_token":"a","expires_in":60,"expires_on":"garbage"}"#),
            NOW + TimeDuration::minutes(1)
        );
        assert_eq!(
            exp(r#"{"access_token":"a"}"#),
            NOW + TimeDuration::minutes(10)
        );
        // Hostile numbers: no panic, a short life or the year's cap.
        assert_eq!(
            exp(r#"{"access_token":"a","expires_in":"NaN"}"#),
            NOW + TimeDuration::minutes(10)
        );
        assert_eq!(
            exp(r#"{"access_token":"a","expires_in":1e300}"#),
            NOW + TimeDuration::days(365)
        );
    }

    #[test]
    fn bad_answers_are_auth_errors_without_the_token() {
        let e = parse_token_response(br#"{"token":"secret-value"}"#, NOW).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(!e.message().contains("secret-value"));
        assert!(parse_token_response(b"<html>", NOW).is_err());
    }

    #[test]
    fn at_most_one_user_assigned_id() {
        assert_eq!(
            UserAssigned::from_parts(None, None, None).unwrap(),
            UserAssigned::System
        );
        assert_eq!(
            UserAssigned::from_parts(Some("c".into()), Some(" ".into()), None).unwrap(),
            UserAssigned::ClientId("c".into())
        );
        assert!(UserAssigned::from_parts(Some("c".into()), Some("o".into()), None).is_err());
    }
}
