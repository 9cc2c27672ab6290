// Where the token comes from. First match wins:
//   1. -AccessToken (SecureString or string);
//   2. the Az.Accounts context, when that module is loaded and signed in (Get-AzAccessToken
//      for the chosen endpoint, so the audience follows the cloud);
//   3. the native chain ({ type = "default" }): environment service principal, workload
//      identity, managed identity (IDENTITY_ENDPOINT/IDENTITY_HEADER as in Azure
//      Automation), Azure CLI; narrowed by AZURE_TOKEN_CREDENTIALS.
// The subscription, when not given, is the Az context's (Subscriptions.cs).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Security;

namespace BastionSession
{
    /// <summary>How a call authenticates (what sessions record of it is <see cref="Kind"/>, never the token).</summary>
    public sealed class ResolvedCredential
    {
        /// <summary>AccessToken, AzContext or CredentialChain.</summary>
        public string Kind { get; private set; }
        /// <summary>Where the credential came from, for -Verbose.</summary>
        public string Source { get; private set; }
        /// <summary>The Az context's subscription id, or null.</summary>
        public string SubscriptionId { get; private set; }
        private readonly string _token;

        internal ResolvedCredential(string kind, string source, string token, string subscriptionId)
        {
            Kind = kind; Source = source; _token = token; SubscriptionId = subscriptionId;
        }

        /// <summary>The strings never to write to a stream: the token, when there is one.</summary>
        public string[] Secrets { get { return _token == null ? new string[0] : new[] { _token }; } }

        /// <summary>True when the request carries a token (AccessToken or AzContext) rather than asking the native chain.</summary>
        public bool HasToken { get { return _token != null; } }

        /// <summary>A fresh request credential object: { type = accessToken, token } or { type = default }.</summary>
        public Dictionary<string, object> ToRequest()
        {
            var credential = new Dictionary<string, object>(StringComparer.Ordinal);
            if (_token != null) { credential["type"] = "accessToken"; credential["token"] = _token; }
            else credential["type"] = "default";
            return credential;
        }
    }

    /// <summary>Resolves the credential of a call.</summary>
    public static class Credentials
    {
        /// <summary>The -AccessToken value as text: a SecureString or a string (anything else is refused by the parameter's validation).</summary>
        /// <param name="accessToken">The bound value.</param>
        public static string TokenText(object accessToken)
        {
            object value = accessToken is PSObject ? ((PSObject)accessToken).BaseObject : accessToken;
            var secure = value as SecureString;
            return secure != null ? SecureText.ToPlainText(secure) : value as string;
        }

        /// <summary>
        /// -AccessToken, else the Az context's token for <paramref name="armEndpoint"/>, else the
        /// native chain. Throws <see cref="CmdletErrorException"/> for an empty token
        /// (BastionAccessTokenEmpty) or a failed Get-AzAccessToken (BastionAuthenticationFailed).
        /// </summary>
        /// <param name="accessToken">-AccessToken, or null.</param>
        /// <param name="armEndpoint">The chosen endpoint (the token's audience).</param>
        /// <param name="az">Az.Accounts of the current runspace.</param>
        public static ResolvedCredential Resolve(object accessToken, string armEndpoint, AzAccounts az)
        {
            if (accessToken != null)
            {
                string token = TokenText(accessToken);
                if (string.IsNullOrWhiteSpace(token))
                    throw new CmdletErrorException(ErrorRecords.Module("The -AccessToken value is empty.", "BastionAccessTokenEmpty", ErrorCategory.InvalidArgument, "AccessToken"));
                return new ResolvedCredential("AccessToken", "the -AccessToken parameter", token, null);
            }
            PSObject context = az.GetContext();
            if (context != null)
            {
                string resourceUrl = armEndpoint.TrimEnd('/') + "/";
                string token;
                try
                {
                    token = az.GetAccessToken(resourceUrl);
                }
                catch (Exception e) when (!(e is PipelineStoppedException))
                {
                    throw new CmdletErrorException(ErrorRecords.Module(string.Format(CultureInfo.InvariantCulture,
                        "Get-AzAccessToken failed for '{0}': {1}. Run Connect-AzAccount again, or pass -AccessToken.", resourceUrl, e.Message),
                        "BastionAuthenticationFailed", ErrorCategory.AuthenticationError, resourceUrl));
                }
                object subscription = AzAccounts.PropertyValue(context, "Subscription");
                string account = AzAccounts.PropertyText(AzAccounts.PropertyValue(context, "Account"), "Id");
                return new ResolvedCredential("AzContext", string.Format(CultureInfo.InvariantCulture, "the Az.Accounts context of '{0}'", account),
                    token, AzAccounts.PropertyText(subscription, "Id"));
            }
            string narrowing = Environment.GetEnvironmentVariable("AZURE_TOKEN_CREDENTIALS");
            return new ResolvedCredential("CredentialChain",
                "the native credential chain (environment, workload identity, managed identity, Azure CLI)" +
                (string.IsNullOrEmpty(narrowing) ? "" : " (narrowed by AZURE_TOKEN_CREDENTIALS=" + narrowing + ")"), null, null);
        }
    }
}
