// Redaction for everything the module writes to a stream. The native library never puts a
// token or an Authorization value in an event or envelope (ffi/CONTRACT.md); this is the
// second line of defence: the caller's own secrets are scrubbed from every message, and the
// query parameters that carry credentials in URLs (SAS signatures, tokens) are masked.
using System;
using System.Text.RegularExpressions;

namespace BastionSession
{
    /// <summary>Scrubs secrets from text before it reaches any PowerShell stream.</summary>
    public static class Redaction
    {
        /// <summary>What replaces a secret.</summary>
        public const string Mask = "[redacted]";

        // Built on first use, not at import: a Regex costs its construction.
        private static Regex _bearer, _urlSecret;

        /// <summary>
        /// Replaces every occurrence of each secret (of 4 characters or more: a shorter one
        /// would mask ordinary words) with [redacted], and any bearer token that reached the
        /// text some other way.
        /// </summary>
        /// <param name="text">The text to scrub; null and "" are returned as they are.</param>
        /// <param name="secrets">The caller's secrets (tokens); null entries are ignored.</param>
        public static string Protect(string text, params string[] secrets)
        {
            if (string.IsNullOrEmpty(text)) return text;
            if (secrets != null)
            {
                foreach (string secret in secrets)
                    if (!string.IsNullOrEmpty(secret) && secret.Length >= 4) text = text.Replace(secret, Mask);
            }
            if (text.IndexOf("bearer", StringComparison.OrdinalIgnoreCase) < 0) return text;
            if (_bearer == null) _bearer = new Regex(@"(?i)(bearer\s+)[A-Za-z0-9\-\._~\+/]{16,}=*", RegexOptions.CultureInvariant);
            return _bearer.Replace(text, "$1" + Mask);
        }

        /// <summary>Masks the query parameters that can carry credentials (sig, token, access_token, code, secret, password ...).</summary>
        /// <param name="url">A URL from a request event; null and "" are returned as they are.</param>
        public static string ProtectUrl(string url)
        {
            if (string.IsNullOrEmpty(url)) return url;
            if (_urlSecret == null)
                _urlSecret = new Regex(@"(?i)([?&](?:sig|signature|token|access_token|code|secret|client_secret|password)=)[^&#]*", RegexOptions.CultureInvariant);
            return _urlSecret.Replace(url, "$1" + Mask);
        }
    }
}
