// Which cloud (Azure Resource Manager endpoint) a call goes to. First match wins:
//   1. -ArmEndpoint;
//   2. -Environment: a built-in cloud (Generated/Contracts.cs, from src/cloud.rs), or, when
//      Az.Accounts is loaded, any environment Get-AzEnvironment knows (Azure Stack Hub ...);
//   3. the Az.Accounts context's environment (its ResourceManagerUrl), when the credential is
//      that context (no -AccessToken), as Az's own cmdlets do;
//   4. AzureCloud.
// The token audience follows the endpoint (Credentials asks Get-AzAccessToken for the
// endpoint chosen here). Endpoints are compared in one canonical form (Canonical).
using System;
using System.Globalization;
using System.Management.Automation;

namespace BastionSession
{
    /// <summary>A resolved cloud: where the requests go and what the request says about it.</summary>
    public sealed class Cloud
    {
        /// <summary>The endpoint, without a trailing slash (what -Verbose shows and what groups hosts).</summary>
        public string Url { get; private set; }
        /// <summary>The endpoint for the request's armEndpoint, or null when the request names a built-in <see cref="Environment"/> instead.</summary>
        public Uri ArmEndpoint { get; private set; }
        /// <summary>The built-in cloud's name for the request's environment, or null.</summary>
        public string Environment { get; private set; }
        /// <summary>Where the endpoint came from, for -Verbose.</summary>
        public string Source { get; private set; }

        /// <summary>Creates a cloud.</summary>
        /// <param name="url">The endpoint (a trailing slash is removed).</param>
        /// <param name="armEndpoint">True to send the endpoint itself; false to send the built-in <paramref name="environment"/>.</param>
        /// <param name="environment">A built-in cloud's canonical name, or null.</param>
        /// <param name="source">Where the endpoint came from.</param>
        public Cloud(string url, bool armEndpoint, string environment, string source)
        {
            Url = url.TrimEnd('/');
            ArmEndpoint = armEndpoint ? new Uri(Url) : null;
            Environment = environment;
            Source = source;
        }
    }

    /// <summary>Resolves the cloud of a call.</summary>
    public static class Clouds
    {
        /// <summary>
        /// The cloud of -ArmEndpoint, -Environment, the Az context (only without an access
        /// token) or AzureCloud. Throws a ParameterArgumentValidationError record's exception
        /// (through <see cref="CheckEnvironmentName"/>) for an unknown environment.
        /// </summary>
        /// <param name="armEndpoint">-ArmEndpoint, or null.</param>
        /// <param name="environment">-Environment, or null.</param>
        /// <param name="hasAccessToken">Whether -AccessToken was given: then the Az context does not choose the cloud.</param>
        /// <param name="az">Az.Accounts of the current runspace.</param>
        public static Cloud Resolve(Uri armEndpoint, string environment, bool hasAccessToken, AzAccounts az)
        {
            if (armEndpoint != null)
                return FromEndpoint(armEndpoint.OriginalString, "the -ArmEndpoint parameter");
            if (!string.IsNullOrEmpty(environment))
            {
                string builtIn = BuiltInClouds.CanonicalName(environment);
                if (builtIn != null)
                    return new Cloud(BuiltInClouds.ArmEndpoint(builtIn), false, builtIn, "-Environment " + builtIn);
                PSObject azEnvironment = az.FindEnvironment(environment);
                if (azEnvironment == null) CheckEnvironmentName(environment, az);
                return FromEndpoint(AzAccounts.ResourceManagerUrl(azEnvironment),
                    string.Format(CultureInfo.InvariantCulture, "-Environment {0} (Get-AzEnvironment)", AzAccounts.PropertyText(azEnvironment, "Name")));
            }
            if (!hasAccessToken)
            {
                PSObject context = az.GetContext();
                if (context != null)
                {
                    object contextEnvironment = AzAccounts.PropertyValue(context, "Environment");
                    string url = AzAccounts.ResourceManagerUrl(contextEnvironment);
                    if (url != null)
                    {
                        string name = AzAccounts.PropertyText(contextEnvironment, "Name");
                        return FromEndpoint(url, string.Format(CultureInfo.InvariantCulture,
                            "the Az.Accounts context's environment ({0})", string.IsNullOrEmpty(name) ? url : name));
                    }
                }
            }
            return new Cloud(BuiltInClouds.ArmEndpoint(BuiltInClouds.Names[0]), false, null, "the default environment (" + BuiltInClouds.Names[0] + ")");
        }

        /// <summary>
        /// The cloud of an endpoint URL. A built-in cloud's endpoint (compared in the
        /// <see cref="Canonical"/> form) becomes that cloud by name, so the request names the
        /// cloud and the native chain asks for a token of that cloud's audience (a bare URL
        /// would get a public-cloud token, refused by Azure Government's or China's ARM);
        /// any other endpoint is sent as it is.
        /// </summary>
        /// <param name="url">The endpoint.</param>
        /// <param name="source">Where the endpoint came from, for -Verbose.</param>
        public static Cloud FromEndpoint(string url, string source)
        {
            string canonical = Canonical(url);
            foreach (string name in BuiltInClouds.Names)
            {
                if (string.Equals(Canonical(BuiltInClouds.ArmEndpoint(name)), canonical, StringComparison.Ordinal))
                    return new Cloud(BuiltInClouds.ArmEndpoint(name), false, name, source);
            }
            return new Cloud(url, true, null, source);
        }

        /// <summary>
        /// Accepts a built-in cloud's name (or alias) or one Get-AzEnvironment knows; otherwise
        /// throws a ValidationMetadataException that lists the names there are.
        /// </summary>
        /// <param name="name">The -Environment value.</param>
        /// <param name="az">Az.Accounts of the current runspace.</param>
        public static void CheckEnvironmentName(string name, AzAccounts az)
        {
            if (BuiltInClouds.CanonicalName(name) != null) return;
            if (!string.IsNullOrEmpty(name) && az.FindEnvironment(name) != null) return;
            var azNames = new System.Collections.Generic.List<string>();
            foreach (PSObject environment in az.GetEnvironments())
            {
                string azName = AzAccounts.PropertyText(environment, "Name");
                if (!string.IsNullOrEmpty(azName)) azNames.Add(azName);
            }
            string more = azNames.Count > 0
                ? ", or one that Get-AzEnvironment knows: " + string.Join(", ", azNames.ToArray())
                : " (with Az.Accounts loaded, also any environment Get-AzEnvironment knows, such as one added with Add-AzEnvironment); or name the endpoint with -ArmEndpoint";
            throw new ValidationMetadataException(string.Format(CultureInfo.InvariantCulture,
                "{0} is not a known Azure environment: use {1}{2}.", ErrorRecords.Quote(name), string.Join(", ", BuiltInClouds.Names), more));
        }

        /// <summary>
        /// An endpoint in the one form endpoints are compared in: lower-case scheme and host,
        /// the port only when it is not the scheme's default, no path's trailing slash. Text that is
        /// not an absolute URI is returned trimmed of trailing slashes.
        /// </summary>
        /// <param name="endpoint">An endpoint URL.</param>
        public static string Canonical(string endpoint)
        {
            if (string.IsNullOrEmpty(endpoint)) return endpoint;
            Uri uri;
            if (!Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out uri)) return endpoint.TrimEnd('/');
            string path = uri.AbsolutePath.TrimEnd('/');
            return uri.Scheme.ToLowerInvariant() + "://" + uri.Host.ToLowerInvariant() + (uri.IsDefaultPort ? "" : ":" + uri.Port.ToString(CultureInfo.InvariantCulture)) + path;
        }
    }
}
