//! Host name lookups for the HTTP clients: the system resolver (getaddrinfo, as reqwest's
//! default resolver uses), with failures of a type of our own, [`LookupFailure`], so that
//! a failed lookup is recognised by its type in the error chain rather than by the words
//! another crate happens to print.
//!
//! Whether a failed lookup is worth another attempt still depends on what the platform
//! says, and the standard library passes that on differently per platform:
//! - **Windows** gives the Winsock code: `WSAHOST_NOT_FOUND` (11001, "No such host is
//!   known") and `WSANO_DATA` (11004) mean the name does not exist; `WSATRY_AGAIN` (11002)
//!   is a resolver failing for now. Offline, Windows is commonly seen answering 11001 at
//!   once (its DNS client has no server to ask), so an offline call fails at once too.
//! - **Unix** (glibc, musl, macOS) gives getaddrinfo's `EAI_*` code only as text
//!   ("failed to lookup address information: ..."), so there the text decides:
//!   `EAI_AGAIN` ("Temporary failure in name resolution", "Try again") is retried, an
//!   `EAI_SYSTEM` failure (an OS error code) is retried, anything else ("Name or service
//!   not known", "No address associated with hostname", "nodename nor servname provided,
//!   or not known", "Name does not resolve") means the name does not exist. Offline,
//!   macOS answers `EAI_NONAME` ("nodename nor servname provided, or not known") and
//!   glibc `EAI_AGAIN` when no DNS server answers: the first fails at once, the second
//!   is retried until the deadline, whose error then names this lookup as the cause.
//!
//! These platform texts are from the platforms' documentation and common reports; only the
//! glibc answers are checked by this project's tests (a loopback NXDOMAIN server).

use std::fmt;
use std::io;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The system resolver, failing with [`LookupFailure`].
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            // Port 0: only the addresses matter, the connector sets the port.
            match tokio::net::lookup_host(format!("{host}:0")).await {
                Ok(addrs) => Ok(Box::new(addrs.collect::<Vec<_>>().into_iter()) as Addrs),
                Err(source) => Err(Box::new(LookupFailure::new(host, source))
                    as Box<dyn std::error::Error + Send + Sync>),
            }
        })
    }
}

/// A host name lookup that failed.
#[derive(Debug)]
pub(crate) struct LookupFailure {
    /// The name looked up.
    pub host: String,
    /// The name does not exist (as opposed to a resolver failing for now).
    pub gone: bool,
    source: io::Error,
}

impl LookupFailure {
    fn new(host: String, source: io::Error) -> Self {
        let gone = name_is_gone(&source);
        LookupFailure { host, gone, source }
    }
}

impl fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "looking up '{}' failed: {}", self.host, self.source)
    }
}

impl std::error::Error for LookupFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Whether the resolver's error says the name does not exist (see the module's notes).
fn name_is_gone(e: &io::Error) -> bool {
    if cfg!(windows) {
        return matches!(e.raw_os_error(), Some(11001 | 11004));
    }
    // EAI_SYSTEM carries the OS error (errno): a failure of the machine, not of the name.
    e.raw_os_error().is_none() && !is_temporary_text(&e.to_string())
}

/// Whether getaddrinfo's text is `EAI_AGAIN`'s (glibc, musl, macOS wordings).
pub(crate) fn is_temporary_text(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("temporary failure") || t.contains("try again")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gone_names_are_told_from_resolvers_failing_for_now() {
        let text = |s: &str| io::Error::other(s.to_string());
        for gone in [
            "failed to lookup address information: Name or service not known",
            "failed to lookup address information: No address associated with hostname",
            "failed to lookup address information: nodename nor servname provided, or not known",
            "failed to lookup address information: Name does not resolve",
        ] {
            assert!(cfg!(windows) || name_is_gone(&text(gone)), "{gone}");
        }
        for retry in [
            "failed to lookup address information: Temporary failure in name resolution",
            "failed to lookup address information: Try again",
        ] {
            assert!(!name_is_gone(&text(retry)), "{retry}");
        }
        // EAI_SYSTEM: an OS error, not an answer about the name.
        assert!(!name_is_gone(&io::Error::from_raw_os_error(24)));
    }
}
