// Whether an endpoint that came with a piped object may receive the call's token. A token
// goes only where the user sent it (issue 23): a piped ArmEndpoint is used only when it
// comes from a Session or DisconnectResult this module made in this process and still
// holds the endpoint the module recorded, or when it is a cloud the user already trusts (a
// built-in cloud, or an environment Get-AzEnvironment knows). A CSV, an Import-Clixml or a
// hand-made object naming anything else is refused before any request; -ArmEndpoint or
// -Environment on the command line confirms an endpoint (and then wins over the piped one).
using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace BastionSession.Cmdlets
{
    /// <summary>Decides whether a piped endpoint is trusted (one instance per cmdlet invocation).</summary>
    internal sealed class EndpointTrust
    {
        private readonly AzAccounts _az;
        private HashSet<string> _knownClouds;

        /// <summary>Creates the check; Az.Accounts' environments are read on first need.</summary>
        public EndpointTrust(AzAccounts az) { _az = az; }

        /// <summary>True when <paramref name="endpoint"/>, bound from <paramref name="input"/>, may receive the token.</summary>
        /// <param name="input">The piped object.</param>
        /// <param name="endpoint">The endpoint bound from it.</param>
        public bool IsTrusted(PSObject input, string endpoint)
        {
            string canonical = Clouds.Canonical(endpoint);
            object item = input == null ? null : input.BaseObject;
            var session = item as Session;
            if (session != null && session.ArmEndpointIsModules && Clouds.Canonical(session.ArmEndpoint) == canonical) return true;
            var result = item as DisconnectResult;
            if (result != null && result.ArmEndpointIsModules && Clouds.Canonical(result.ArmEndpoint) == canonical) return true;
            return KnownClouds().Contains(canonical);
        }

        private HashSet<string> KnownClouds()
        {
            if (_knownClouds != null) return _knownClouds;
            var known = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in BuiltInClouds.Names) known.Add(Clouds.Canonical(BuiltInClouds.ArmEndpoint(name)));
            foreach (PSObject environment in _az.GetEnvironments())
            {
                string url = AzAccounts.ResourceManagerUrl(environment);
                if (url != null) known.Add(Clouds.Canonical(url));
            }
            return _knownClouds = known;
        }
    }
}
