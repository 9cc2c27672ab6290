// The request fields every native call shares (ffi/CONTRACT.md, "Common request fields"),
// built here rather than in script: a fresh session's first cmdlet call compiles every
// script statement it runs, and the environment scan alone took about 70 ms as script.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;

namespace BastionSession
{
    /// <summary>Builds the common part of a request: schemaVersion, credential (with its environment), armEndpoint or environment, timeoutSec, concurrency.</summary>
    public static class CommonRequest
    {
        // Variables the library reads besides the AZURE_*, IDENTITY_*, MSI_* and IMDS_* ones.
        private static readonly string[] OtherLibraryVariables =
        {
            "AZURE_TOKEN_CREDENTIALS", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy",
            "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "PATH",
        };

        private static readonly string[] LibraryVariablePrefixes = { "AZURE_", "IDENTITY_", "MSI_", "IMDS_" };

        /// <summary>
        /// The session's values of the environment variables the native library reads
        /// (credential chain, managed identity, proxy, CA file), for credential.environment.
        /// </summary>
        /// <remarks>
        /// On Linux and macOS, $env: changes live in .NET's copy of the environment and never
        /// reach the C runtime's. Rather than copying them over with setenv (which races with
        /// the library's own threads reading the environment, undefined behaviour in glibc),
        /// the module sends them with each request, and the library reads nothing else.
        /// Windows names ignore case ('Path'): they are sent in the library's spelling.
        /// </remarks>
        public static Dictionary<string, string> LibraryEnvironment()
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            bool onWindows = System.IO.Path.DirectorySeparatorChar == '\\';
            foreach (DictionaryEntry item in Environment.GetEnvironmentVariables())
            {
                string name = Convert.ToString(item.Key, System.Globalization.CultureInfo.InvariantCulture);
                if (onWindows) name = name.ToUpperInvariant();
                if (IsLibraryVariable(name)) values[name] = Convert.ToString(item.Value, System.Globalization.CultureInfo.InvariantCulture);
            }
            return values;
        }

        /// <summary>
        /// An ordered request: schemaVersion 1, <paramref name="credential"/> (given its
        /// environment, see <see cref="LibraryEnvironment"/>), armEndpoint without a trailing
        /// slash when given, else environment when given, and timeoutSec and concurrency when
        /// positive. The caller adds the call's own fields.
        /// </summary>
        /// <param name="credential">The credential object (type and its fields); gains an "environment" entry.</param>
        /// <param name="armEndpoint">The Resource Manager endpoint, or null.</param>
        /// <param name="environment">The cloud's name, used when <paramref name="armEndpoint"/> is null.</param>
        /// <param name="timeoutSec">The call's deadline in seconds; 0 or less for the library's default.</param>
        /// <param name="throttleLimit">Hosts queried at once; 0 or less for the library's default.</param>
        public static OrderedDictionary Create(IDictionary credential, Uri armEndpoint, string environment, int timeoutSec, int throttleLimit)
        {
            if (credential == null) throw new ArgumentNullException(nameof(credential));
            credential["environment"] = LibraryEnvironment();
            var request = new OrderedDictionary(StringComparer.OrdinalIgnoreCase) { { "schemaVersion", 1 }, { "credential", credential } };
            if (armEndpoint != null) request["armEndpoint"] = armEndpoint.OriginalString.TrimEnd('/');
            else if (!string.IsNullOrEmpty(environment)) request["environment"] = environment;
            if (timeoutSec > 0) request["timeoutSec"] = timeoutSec;
            if (throttleLimit > 0) request["concurrency"] = throttleLimit;
            return request;
        }

        private static bool IsLibraryVariable(string name)
        {
            foreach (string prefix in LibraryVariablePrefixes)
            {
                if (name.StartsWith(prefix, StringComparison.Ordinal)) return true;
            }
            return Array.IndexOf(OtherLibraryVariables, name) >= 0;
        }
    }
}
