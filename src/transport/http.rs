//! The HTTP layer: the process-wide reqwest clients, the plain-HTTP rule, one request
//! attempt with request ids and redacted logging.
//!
//! TLS is rustls with the `ring` provider and the platform verifier (OS trust store, so
//! corporate TLS inspection works), plus any extra CA the caller trusts. Verification is
//! never disabled. Plain HTTP is allowed only to loopback hosts, checked before any
//! connection is attempted.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue};
use url::{Host, Url};

use crate::context::OperationContext;
use crate::error::{Error, ErrorKind, Result};
use crate::progress::ProgressEvent;

/// Largest answer body read (a page of 100 sessions is about 50 KB). With at most 256
/// hosts worked on at once this bounds the raw answers one call holds in flight.
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The most room reserved up front for a body whose length the server announced.
const PRESIZE_LIMIT: usize = 4 * 1024 * 1024;

/// Key of the client cache: proxy settings and extra CA (and timeouts) decide the client.
type ClientKey = (ProxySettings, Option<String>, Duration);

/// At most this many HTTP clients are cached (one per distinct proxy / CA / timeout); past
/// it the cache starts over, so changing settings cannot grow it without bound.
pub(crate) const MAX_CACHED_CLIENTS: usize = 16;

fn client_cache() -> &'static Mutex<HashMap<ClientKey, reqwest::Client>> {
    static CACHE: OnceLock<Mutex<HashMap<ClientKey, reqwest::Client>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The proxies a client uses, resolved once from the explicit proxy option and the proxy
/// variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`, upper or lower case).
/// Loopback destinations never go through a proxy, whatever these say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub(crate) struct ProxySettings {
    /// Proxy for `https://` URLs.
    pub https: Option<String>,
    /// Proxy for `http://` URLs.
    pub http: Option<String>,
    /// Hosts that bypass the proxy (`NO_PROXY` syntax).
    pub no_proxy: Option<String>,
}

impl ProxySettings {
    /// The settings for an explicit proxy (if any), else from the variables `lookup` gives.
    pub(crate) fn resolve(explicit: Option<&str>, lookup: impl Fn(&str) -> Option<String>) -> Self {
        let first = |names: &[&str]| names.iter().find_map(|n| lookup(n));
        let no_proxy = first(&["NO_PROXY", "no_proxy"]);
        match explicit.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => ProxySettings {
                https: Some(p.to_string()),
                http: Some(p.to_string()),
                no_proxy,
            },
            None => ProxySettings {
                https: first(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]),
                http: first(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]),
                no_proxy,
            },
        }
    }
}

/// Installs rustls' `ring` provider as the process default (reqwest is built without one).
pub(crate) fn install_crypto_provider() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        // Err means another provider is already installed, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The shared client for these proxy settings / extra CA, built on first use.
pub(crate) fn shared_client(
    proxy: &ProxySettings,
    extra_ca_pem: Option<&str>,
    connect_timeout: Duration,
) -> Result<reqwest::Client> {
    let key = (
        proxy.clone(),
        extra_ca_pem.map(str::to_string),
        connect_timeout,
    );
    let mut cache = client_cache().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = cache.get(&key) {
        return Ok(c.clone());
    }
    let client = build_client(proxy, extra_ca_pem, connect_timeout)?;
    if cache.len() >= MAX_CACHED_CLIENTS {
        cache.clear();
    }
    cache.insert(key, client.clone());
    Ok(client)
}

/// The proxy for `url` under `settings`: none for loopback hosts (a token sent over plain
/// HTTP to loopback must not cross a proxy in clear), none for `NO_PROXY` hosts (applied
/// by reqwest), else the proxy for the URL's scheme.
fn proxy_for(settings: &ProxySettings, url: &Url) -> Option<Url> {
    if is_loopback(url) {
        return None;
    }
    let p = match url.scheme() {
        "https" => settings.https.as_deref(),
        "http" => settings.http.as_deref(),
        _ => None,
    }?;
    Url::parse(p).ok()
}

fn build_client(
    proxy: &ProxySettings,
    extra_ca_pem: Option<&str>,
    connect_timeout: Duration,
) -> Result<reqwest::Client> {
    install_crypto_provider();
    let mut b = reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        // ARM never redirects these calls; following one could carry the token elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("bastion_session/", env!("CARGO_PKG_VERSION")))
        // Proxies come only from `proxy` (resolved by the caller), never read again here.
        .no_proxy()
        // getaddrinfo as before, but a failed lookup is an error of our own type.
        .dns_resolver(std::sync::Arc::new(super::dns::SystemResolver));
    for p in [&proxy.https, &proxy.http].into_iter().flatten() {
        Url::parse(p).map_err(|e| {
            Error::invalid_request(format!(
                "the proxy URL '{}' is not valid: {e}",
                redact_proxy(p)
            ))
        })?;
    }
    if proxy.https.is_some() || proxy.http.is_some() {
        let settings = proxy.clone();
        let p = reqwest::Proxy::custom(move |url| proxy_for(&settings, url)).no_proxy(
            proxy
                .no_proxy
                .as_deref()
                .and_then(reqwest::NoProxy::from_string),
        );
        b = b.proxy(p);
    }
    if let Some(pem) = extra_ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
            Error::invalid_request(format!(
                "the extra CA certificate PEM could not be read: {e}"
            ))
        })?;
        if certs.is_empty() {
            return Err(Error::invalid_request(
                "the extra CA certificate PEM holds no certificate",
            ));
        }
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    b.build().map_err(|e| {
        use std::error::Error as _;
        // reqwest's own text is only "builder error": say why (the TLS verifier, a CA ...).
        let mut why = e.to_string();
        let mut src = e.source();
        while let Some(s) = src {
            why.push_str(": ");
            why.push_str(&s.to_string());
            src = s.source();
        }
        Error::new(
            ErrorKind::Transport,
            format!("the HTTP client could not be built: {why}"),
        )
    })
}

/// A proxy URL for messages, without any user name or password in it.
fn redact_proxy(p: &str) -> String {
    match p.rsplit_once('@') {
        Some((_, host)) => format!("[credentials]@{host}"),
        None => p.to_string(),
    }
}

/// True for loopback hosts: `localhost`, 127.0.0.0/8, `::1`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

/// Refuses plain HTTP to a non-loopback host (before any connection) and non-HTTP schemes.
pub(crate) fn check_endpoint(url: &Url) -> Result<()> {
    match url.scheme() {
        "https" => {
            if url.host().is_none() {
                return Err(Error::invalid_request(format!(
                    "the endpoint '{url}' has no host"
                )));
            }
            Ok(())
        }
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(Error::new(
            ErrorKind::InsecureEndpoint,
            format!(
                "refusing plain HTTP to '{}': a bearer token may only be sent over HTTPS \
                 (plain HTTP is allowed for loopback addresses only)",
                url.host_str().unwrap_or_default()
            ),
        )),
        other => Err(Error::invalid_request(format!(
            "the endpoint '{url}' uses the scheme '{other}'; only https (or http to loopback) is supported"
        ))),
    }
}

/// Checks that a URL the service handed us (nextLink, Location, Azure-AsyncOperation)
/// may receive our token: the same scheme, host and port as the endpoint, exactly (the
/// host's case aside). Another port of the same host, or HTTP where the endpoint is HTTPS,
/// may be another service, and the token must not go there.
pub(crate) fn check_followup(endpoint: &Url, url: &Url) -> Result<()> {
    check_endpoint(url)?;
    let same_host = match (endpoint.host(), url.host()) {
        (Some(Host::Domain(a)), Some(Host::Domain(b))) => a.eq_ignore_ascii_case(b),
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    let same = same_host
        && endpoint.scheme() == url.scheme()
        && endpoint.port_or_known_default() == url.port_or_known_default();
    if same {
        Ok(())
    } else {
        Err(Error::invalid_response(format!(
            "the service pointed to '{}', another origin than the ARM endpoint '{}' (scheme, host and port must match); not sending the token there",
            origin(url),
            origin(endpoint)
        )))
    }
}

/// `scheme://host:port` of a URL, for messages (no path or query: they may carry secrets).
fn origin(url: &Url) -> String {
    format!(
        "{}://{}:{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

/// An answer read in full.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub url: Url,
}

impl Response {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// ARM's request id (`x-ms-request-id`, else the correlation id).
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-ms-request-id")
            .or_else(|| self.header("x-ms-correlation-request-id"))
    }
}

/// Why one attempt got no HTTP answer.
#[derive(Debug)]
pub(crate) struct TransportFailure {
    pub message: String,
    /// Retrying cannot help (the connection was refused, the name does not exist, the
    /// server's certificate is not trusted): fail at once.
    pub permanent: bool,
    /// No connection was made, so the request cannot have reached the service.
    pub not_sent: bool,
}

/// What to send.
#[derive(Debug, Clone)]
pub(crate) struct RequestSpec {
    pub method: reqwest::Method,
    pub url: Url,
    pub body: Option<Bytes>,
}

/// Sends one attempt and reads the body. Cancellation/deadline come back as `Err(Error)`
/// in the outer result; transport failures as `Ok(Err(..))` so the caller can retry them.
pub(crate) async fn send_once(
    client: &reqwest::Client,
    spec: &RequestSpec,
    token: &str,
    client_request_id: &str,
    timeout: Duration,
    ctx: &OperationContext,
) -> Result<std::result::Result<Response, TransportFailure>> {
    // The formatted text is zeroed when dropped; the header's own copy (and hyper's write
    // buffer) cannot be, see SECURITY.md.
    let bearer = zeroize::Zeroizing::new(format!("Bearer {token}"));
    let mut auth = HeaderValue::from_str(&bearer).map_err(|_| {
        Error::new(
            ErrorKind::Auth,
            "the access token contains characters not allowed in a header",
        )
    })?;
    auth.set_sensitive(true);
    let mut req = client
        .request(spec.method.clone(), spec.url.clone())
        .header(reqwest::header::AUTHORIZATION, auth)
        .header(reqwest::header::ACCEPT, "application/json")
        .header("x-ms-client-request-id", client_request_id)
        .timeout(timeout);
    req = match &spec.body {
        Some(b) => req
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(b.clone()),
        // ARM wants an explicit empty body on body-less POSTs.
        None if spec.method == reqwest::Method::POST => {
            req.header(reqwest::header::CONTENT_LENGTH, "0")
        }
        None => req,
    };
    ctx.stats.add_request();
    let started = std::time::Instant::now();
    tracing::debug!(
        method = %spec.method, url = %redact_url(&spec.url), client_request_id,
        "sending request (Authorization: Bearer <redacted>)"
    );
    let outcome = ctx
        .run(async {
            let mut resp = req.send().await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let url = resp.url().clone();
            // Room for the whole body at once when its length is announced, so a page of half
            // a megabyte is not copied through a series of regrowths. Only up to
            // PRESIZE_LIMIT: a length is the server's word, and a larger body grows as read.
            let announced = resp.content_length().unwrap_or(0).min(PRESIZE_LIMIT as u64);
            let mut body = bytes::BytesMut::with_capacity(announced as usize);
            while let Some(chunk) = resp.chunk().await? {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Ok(Err(status));
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>(Ok(Response {
                status,
                headers,
                body: body.freeze(),
                url,
            }))
        })
        .await?;
    let outcome = match outcome {
        Ok(Err(status)) => {
            return Err(Error::invalid_response(format!(
                "the answer to {} {} (HTTP {status}) is larger than {} MiB; refusing to read it",
                spec.method,
                spec.url.path(),
                MAX_BODY_BYTES / (1024 * 1024)
            ))
            .reached());
        }
        Ok(Ok(r)) => Ok(r),
        Err(e) => Err(e),
    };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    let status = outcome.as_ref().ok().map(|r| r.status);
    ctx.emit(ProgressEvent::Request {
        method: spec.method.to_string(),
        url: redact_url(&spec.url),
        status,
        elapsed_ms,
    });
    Ok(match outcome {
        Ok(r) => {
            tracing::debug!(
                status = r.status,
                elapsed_ms,
                request_id = r.request_id().unwrap_or(""),
                "answer received"
            );
            Ok(r)
        }
        Err(e) => {
            let failure = classify(&e, &spec.url);
            tracing::debug!(elapsed_ms, error = %failure.message, "request failed without an answer");
            Err(failure)
        }
    })
}

/// What a failure without an answer means, found by the types in its error chain: a
/// refused connection, a name that does not exist and an untrusted certificate are met
/// again on every retry, so they end the request at once with their cause in the message;
/// anything else (a reset, a timeout, a resolver failing for now) is worth another attempt.
fn classify(e: &reqwest::Error, url: &Url) -> TransportFailure {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or_default();
    let detail = describe_reqwest_error(e);
    let lookup = find_in_chain(e, |s| {
        s.downcast_ref::<super::dns::LookupFailure>()
            .map(|l| l.gone)
    });
    if let Some(gone) = lookup {
        let message = if gone {
            format!(
                "the host name '{host}' could not be resolved (DNS): check the endpoint for a typo, and that this machine is online and can reach its DNS server ({detail})"
            )
        } else {
            format!("looking up the host name '{host}' failed for now (DNS) ({detail})")
        };
        return TransportFailure {
            message,
            permanent: gone,
            not_sent: true,
        };
    }
    let refused = find_in_chain(e, |s| {
        s.downcast_ref::<std::io::Error>()
            .filter(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
            .map(|_| ())
    });
    if refused.is_some() {
        return TransportFailure {
            message: format!(
                "the connection to {host}:{port} was refused: nothing accepts connections there; check the endpoint and its port ({detail})"
            ),
            permanent: true,
            not_sent: true,
        };
    }
    if let Some(certificate) = tls_failure(e) {
        let why = if certificate {
            "the server's certificate is not trusted"
        } else {
            "the handshake failed; the endpoint may not speak HTTPS on that port"
        };
        return TransportFailure {
            message: format!("the TLS connection to {host}:{port} failed: {why} ({detail})"),
            permanent: true,
            not_sent: true,
        };
    }
    TransportFailure {
        message: detail,
        permanent: false,
        // A connect error (including a connect timeout) never sent the request.
        not_sent: e.is_connect(),
    }
}

/// The first error in `e`'s chain for which `pick` answers, looking inside the
/// `io::Error`s that hide what they wrap from `source()` (hyper-rustls wraps a rustls
/// error in two of them).
fn find_in_chain<T>(
    e: &(dyn std::error::Error + 'static),
    pick: impl Fn(&(dyn std::error::Error + 'static)) -> Option<T>,
) -> Option<T> {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut depth = 0;
    while let Some(s) = src {
        if let Some(found) = pick(s) {
            return Some(found);
        }
        let mut io = s.downcast_ref::<std::io::Error>();
        while let Some(inner) = io.and_then(|e| e.get_ref()) {
            let inner: &(dyn std::error::Error + 'static) = inner;
            if let Some(found) = pick(inner) {
                return Some(found);
            }
            io = inner.downcast_ref::<std::io::Error>();
        }
        src = s.source();
        depth += 1;
        if depth > 8 {
            break;
        }
    }
    None
}

/// Whether the TLS handshake failed (a rustls error in the chain), and if so whether
/// because the server's certificate is not trusted (or absent). The same server presents
/// the same certificate, and speaks the same protocol, on every retry; a connection reset
/// during the handshake is an I/O error, not a rustls one, and stays worth a retry.
fn tls_failure(e: &reqwest::Error) -> Option<bool> {
    find_in_chain(e, |s| {
        s.downcast_ref::<rustls::Error>().map(|e| {
            matches!(
                e,
                rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented
                    | rustls::Error::UnsupportedNameType
            )
        })
    })
}

fn describe_reqwest_error(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut msg = if e.is_timeout() {
        "the request timed out".to_string()
    } else if e.is_connect() {
        "the connection could not be made".to_string()
    } else if e.is_body() || e.is_decode() {
        "the connection failed while reading the answer".to_string()
    } else {
        "the request failed".to_string()
    };
    let mut src = e.source();
    let mut depth = 0;
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
        depth += 1;
        if depth > 4 {
            break;
        }
    }
    msg
}

/// The URL for logs and progress events: query values other than `api-version` are
/// replaced by `REDACTED`, because ARM's polling URLs carry signatures (`s=`, `h=`, `c=`).
pub(crate) fn redact_url(url: &Url) -> String {
    let mut u = url.clone();
    u.set_fragment(None);
    let _ = u.set_password(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("api-version") {
                    v.into_owned()
                } else {
                    "REDACTED".to_string()
                };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn urls_are_redacted_for_logs() {
        let polled = u(
            "https://management.azure.com/subscriptions/s/providers/Microsoft.Network/locations/x/operationResults/1?api-version=2025-07-01&t=638&c=MIIH&s=sig&h=hash",
        );
        let r = redact_url(&polled);
        assert!(r.contains("api-version=2025-07-01"), "{r}");
        assert!(
            !r.contains("sig") && !r.contains("hash") && !r.contains("MIIH"),
            "{r}"
        );
        assert_eq!(
            redact_url(&u("http://127.0.0.1:5/a")),
            "http://127.0.0.1:5/a"
        );
    }

    #[test]
    fn loopback_rule() {
        for ok in [
            "http://127.0.0.1:8080/",
            "http://127.1.2.3/",
            "http://localhost:1/",
            "http://LOCALHOST/",
            "http://[::1]:80/",
            "https://management.azure.com/",
            "https://203.0.113.1/",
        ] {
            assert!(check_endpoint(&u(ok)).is_ok(), "{ok}");
        }
        for bad in [
            "http://203.0.113.1/",
            "http://management.azure.com/",
            "http://10.0.0.1/",
            "http://localhost.evil.com/",
            "http://[::2]/",
        ] {
            assert_eq!(
                check_endpoint(&u(bad)).unwrap_err().kind(),
                ErrorKind::InsecureEndpoint,
                "{bad}"
            );
        }
        assert_eq!(
            check_endpoint(&u("ftp://127.0.0.1/")).unwrap_err().kind(),
            ErrorKind::InvalidRequest
        );
    }

    #[test]
    fn followups_stay_on_the_endpoint_host() {
        let ep = u("https://management.azure.com/");
        assert!(check_followup(&ep, &u("https://MANAGEMENT.azure.com/x?a=1")).is_ok());
        assert!(check_followup(&ep, &u("https://evil.example/x")).is_err());
        let lo = u("http://127.0.0.1:5/");
        assert!(check_followup(&lo, &u("http://127.0.0.1:5/x")).is_ok());
        assert!(check_followup(&lo, &u("http://203.0.113.1/x")).is_err());
    }

    #[test]
    fn followups_match_scheme_host_and_port_exactly() {
        let ep = u("https://management.azure.com/");
        assert!(check_followup(&ep, &u("https://management.azure.com:443/x")).is_ok());
        // Another port of the same host may be another service.
        let e = check_followup(&ep, &u("https://management.azure.com:8443/x")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidResponse);
        assert!(e.message().contains(":8443"), "{e}");
        let lo = u("http://127.0.0.1:5/");
        for other in [
            "http://127.0.0.1:6/x",
            "http://localhost:5/x",
            "http://127.0.0.2:5/x",
            "https://127.0.0.1:5/x",
        ] {
            assert!(check_followup(&lo, &u(other)).is_err(), "{other}");
        }
    }

    #[test]
    fn loopback_never_goes_through_a_proxy() {
        let p = ProxySettings::resolve(Some("http://proxy.example:3128"), |_| None);
        assert_eq!(proxy_for(&p, &u("http://127.0.0.1:5/x")), None);
        assert_eq!(proxy_for(&p, &u("http://localhost:5/x")), None);
        assert_eq!(proxy_for(&p, &u("http://[::1]:5/x")), None);
        assert_eq!(
            proxy_for(&p, &u("https://management.azure.com/x")),
            Some(u("http://proxy.example:3128"))
        );
        let from_vars = ProxySettings::resolve(None, |n| match n {
            "https_proxy" => Some("http://a:1".into()),
            "ALL_PROXY" => Some("http://b:2".into()),
            "NO_PROXY" => Some("internal".into()),
            _ => None,
        });
        assert_eq!(from_vars.https.as_deref(), Some("http://a:1"));
        assert_eq!(from_vars.http.as_deref(), Some("http://b:2"));
        assert_eq!(from_vars.no_proxy.as_deref(), Some("internal"));
    }

    #[test]
    fn the_client_cache_is_keyed_by_proxy_settings_and_bounded() {
        let a = ProxySettings::resolve(Some("http://proxy-a.example:1"), |_| None);
        let b = ProxySettings::resolve(Some("http://proxy-b.example:1"), |_| None);
        let t = Duration::from_secs(7);
        shared_client(&a, None, t).unwrap();
        shared_client(&b, None, t).unwrap();
        {
            let cache = client_cache().lock().unwrap();
            assert!(cache.contains_key(&(a.clone(), None, t)));
            assert!(cache.contains_key(&(b.clone(), None, t)));
        }
        for i in 0..(3 * MAX_CACHED_CLIENTS) {
            let p = ProxySettings::resolve(Some(&format!("http://p{i}.example:1")), |_| None);
            shared_client(&p, None, t).unwrap();
        }
        assert!(client_cache().lock().unwrap().len() <= MAX_CACHED_CLIENTS);
    }

    #[test]
    fn builds_a_client_with_an_extra_ca_and_rejects_bad_pem() {
        let none = ProxySettings::default();
        assert!(shared_client(&none, None, Duration::from_secs(5)).is_ok());
        let e = shared_client(&none, Some("not a pem"), Duration::from_secs(5)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
    }
}
