// The request fields every native call shares (ffi/CONTRACT.md, "Common request fields").
using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;

namespace BastionSession
{
    /// <summary>Builds the common part of a request: schemaVersion, credential (with its environment), armEndpoint or environment, timeoutSec, concurrency.</summary>
    public static class CommonRequest
    {
        /// <summary>
        /// The session's values of the environment variables the native library reads for a
        /// credential of this type (Generated/Contracts.cs, from the library's sources): the
        /// transport's (proxy, CA file) always; the credential chain's only for type "default".
        /// A token credential carries no credential variable: only what is read is sent.
        /// </summary>
        /// <remarks>
        /// On Linux and macOS, $env: changes live in .NET's copy of the environment and never
        /// reach the C runtime's. Rather than copying them over with setenv (which races with
        /// the library's own threads reading the environment, undefined behaviour in glibc),
        /// the module sends them with each request, and the library reads nothing else.
        /// Windows names ignore case ('Path'): they are read and sent in the library's spelling.
        /// </remarks>
        /// <param name="credentialType">The credential's type: "default" for the native chain, else a token type.</param>
        public static Dictionary<string, string> LibraryEnvironment(string credentialType)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            Add(values, LibraryEnvironmentVariables.Transport);
            if (string.Equals(credentialType, "default", StringComparison.Ordinal)) Add(values, LibraryEnvironmentVariables.CredentialChain);
            return values;
        }

        private static void Add(Dictionary<string, string> values, string[] names)
        {
            foreach (string name in names)
            {
                // On Windows, GetEnvironmentVariable ignores case: https_proxy and HTTPS_PROXY are one variable, sent once.
                string value = Environment.GetEnvironmentVariable(name);
                if (value == null) continue;
                if (System.IO.Path.DirectorySeparatorChar == '\\' && values.ContainsKey(name.ToUpperInvariant())) continue;
                values[name] = value;
            }
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
            credential["environment"] = LibraryEnvironment(Convert.ToString(credential["type"], CultureInfo.InvariantCulture));
            var request = new OrderedDictionary(StringComparer.OrdinalIgnoreCase) { { "schemaVersion", 1 }, { "credential", credential } };
            if (armEndpoint != null) request["armEndpoint"] = armEndpoint.OriginalString.TrimEnd('/');
            else if (!string.IsNullOrEmpty(environment)) request["environment"] = environment;
            if (timeoutSec > 0) request["timeoutSec"] = timeoutSec;
            if (throttleLimit > 0) request["concurrency"] = throttleLimit;
            return request;
        }

        /// <summary>The common request for a resolved cloud and credential (see the overload that takes the credential object).</summary>
        /// <param name="credential">The call's credential.</param>
        /// <param name="cloud">The call's cloud.</param>
        /// <param name="timeoutSec">The call's deadline in seconds; 0 for the default.</param>
        /// <param name="throttleLimit">Hosts at once; 0 for the default.</param>
        public static OrderedDictionary Create(ResolvedCredential credential, Cloud cloud, int timeoutSec, int throttleLimit)
        {
            return Create(credential.ToRequest(), cloud.ArmEndpoint, cloud.Environment, timeoutSec, throttleLimit);
        }
    }
}
