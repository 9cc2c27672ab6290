// The one place where an error becomes an ErrorRecord: a native error (its ErrorId and
// category from the generated ErrorKindRecords, refined for notFound by ARM's code), one of
// the module's own checks, or a name or id the native library refused, shown as the refusal
// of the cmdlet parameter it came from. Every message is scrubbed of the call's secrets.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;

namespace BastionSession
{
    /// <summary>Builds the module's ErrorRecords with stable ErrorIds.</summary>
    public static class ErrorRecords
    {
        /// <summary>The ErrorId and category for a native error; notFound is refined by ARM's code.</summary>
        /// <param name="error">The envelope's error.</param>
        /// <param name="category">The category that goes with the ErrorId.</param>
        public static string ErrorIdOf(BastionError error, out ErrorCategory category)
        {
            if (error == null) throw new ArgumentNullException(nameof(error));
            string errorId;
            if (!ErrorKindRecords.TryGet(error.Kind, out errorId, out category))
            {
                category = ErrorCategory.NotSpecified;
                return "BastionError";
            }
            if (error.Kind == ErrorKinds.NotFound)
            {
                switch (error.ArmCode)
                {
                    case "ResourceGroupNotFound": return "BastionResourceGroupNotFound";
                    case "SubscriptionNotFound":
                    case "InvalidSubscriptionId": return "BastionSubscriptionNotFound";
                }
            }
            return errorId;
        }

        /// <summary>
        /// The record of a native error: a <see cref="BastionNativeException"/> (carrying the
        /// error's fields), the kind's ErrorId and category, the host's resource id as
        /// TargetObject when the error is about a host (else the error itself), a CategoryInfo
        /// that reads "ObjectNotFound: (bh-0:String) [Get-BastionSession], BastionHostNotFound",
        /// and ErrorDetails whose message names the host once, then ARM's words, then what to do.
        /// </summary>
        /// <param name="error">The envelope's error.</param>
        /// <param name="context">What failed, for people ("Bastion host 'bh-0' (rg-0)"), or null.</param>
        /// <param name="secrets">Strings never to write (the call's token).</param>
        public static ErrorRecord FromNative(BastionError error, string context, string[] secrets)
        {
            ErrorCategory category;
            string errorId = ErrorIdOf(error, out category);
            string hostId = HostResourceId(error);
            var record = new ErrorRecord(new BastionNativeException(error), errorId, category, (object)hostId ?? error);
            string text = error.FullMessage;
            if (hostId != null && text.IndexOf("'" + hostId + "'", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                // The library's message already names the host by its id: say it once, by
                // name and group, where the id was (the id itself is the TargetObject).
                text = ReplaceIgnoringCase(text, "'" + hostId + "'", HostPhrase(hostId));
            }
            else if (!string.IsNullOrEmpty(context)) text = context + ": " + text;
            string action = RecommendedAction(error);
            if (action != null) text = text.TrimEnd() + " " + action;
            record.ErrorDetails = new ErrorDetails(Redaction.Protect(text, secrets));
            if (action != null) record.ErrorDetails.RecommendedAction = action;
            // Windows PowerShell 5.1's NormalView prints CategoryInfo, whose target would
            // otherwise be a cut-off message: the host's name (or the error's target) and the ErrorId.
            record.CategoryInfo.TargetName = Redaction.Protect(hostId != null ? hostId.Substring(hostId.LastIndexOf('/') + 1) : (error.Target ?? error.Kind), secrets);
            record.CategoryInfo.TargetType = hostId != null ? "String" : "BastionError";
            record.CategoryInfo.Reason = errorId;
            return record;
        }

        /// <summary>
        /// True when ARM refused the credential itself, not one host: any 401, and the 403s
        /// whose ARM code is about the token (InvalidAuthenticationToken, ExpiredAuthenticationToken,
        /// AuthenticationFailed ...). A 403 for a missing RBAC action (AuthorizationFailed) is per host.
        /// </summary>
        /// <param name="error">An error, or null.</param>
        public static bool AppliesToCredential(BastionError error)
        {
            if (error == null) return false;
            if (error.Kind == ErrorKinds.Auth || error.HttpStatus == 401) return true;
            string code = error.ArmCode ?? string.Empty;
            return error.Kind == ErrorKinds.Forbidden &&
                (code.StartsWith("InvalidAuthenticationToken", StringComparison.OrdinalIgnoreCase) ||
                 code.Equals("ExpiredAuthenticationToken", StringComparison.OrdinalIgnoreCase) ||
                 code.Equals("AuthenticationFailed", StringComparison.OrdinalIgnoreCase) ||
                 code.Equals("InvalidAuthenticationTokenTenant", StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>
        /// The one terminating record for a credential ARM refused (see <see cref="AppliesToCredential"/>):
        /// BastionAuthenticationFailed / AuthenticationError, naming the credential that was used
        /// and what to do for that credential; TargetObject is the credential's kind
        /// (AccessToken, AzContext or CredentialChain), never the token.
        /// </summary>
        /// <param name="error">The error ARM answered.</param>
        /// <param name="credential">The call's credential.</param>
        /// <param name="secrets">Strings never to write (the call's token).</param>
        public static ErrorRecord CredentialRejected(BastionError error, ResolvedCredential credential, string[] secrets)
        {
            string used, action;
            switch (credential == null ? null : credential.Kind)
            {
                case "AccessToken":
                    used = "the token given with -AccessToken";
                    action = "It may have expired (ARM tokens last about an hour): get a new one, e.g. (Get-AzAccessToken).Token or az account get-access-token, and pass it with -AccessToken.";
                    break;
                case "AzContext":
                    used = "the token of " + credential.Source;
                    action = "Run Connect-AzAccount to sign in again (the context's sign-in may have expired or be for another tenant), or pass -AccessToken.";
                    break;
                default:
                    used = "the token of " + (credential == null ? "the native credential chain" : credential.Source) + ChainIdentity();
                    action = "Check that identity: a managed identity needs a role assignment on the hosts (Reader, or the Bastion actions) and its IDENTITY_*/MSI_* settings; " +
                        "a service principal's secret or certificate (AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH) may have expired; for the Azure CLI, run az login.";
                    break;
            }
            string status = error.HttpStatus.HasValue ? "HTTP " + error.HttpStatus.Value.ToString(CultureInfo.InvariantCulture) : error.Kind;
            if (!string.IsNullOrEmpty(error.ArmCode)) status += ", " + error.ArmCode;
            string text = string.Format(CultureInfo.InvariantCulture,
                "ARM refused {0} ({1}): {2} The call was stopped here: every other Bastion host would refuse it the same way. {3}",
                used, status, ArmWords(error), action);
            var record = new ErrorRecord(new BastionNativeException(error), "BastionAuthenticationFailed", ErrorCategory.AuthenticationError,
                credential == null ? "CredentialChain" : credential.Kind);
            record.ErrorDetails = new ErrorDetails(Redaction.Protect(text, secrets)) { RecommendedAction = action };
            record.CategoryInfo.TargetName = credential == null ? "CredentialChain" : credential.Kind;
            record.CategoryInfo.TargetType = "Credential";
            record.CategoryInfo.Reason = "BastionAuthenticationFailed";
            return record;
        }

        /// <summary>Which identity the native chain is likely to have used, from the variables it reads ("" when it cannot tell).</summary>
        private static string ChainIdentity()
        {
            string narrowed = Environment.GetEnvironmentVariable("AZURE_TOKEN_CREDENTIALS");
            if (!string.IsNullOrEmpty(narrowed) && !narrowed.Equals("dev", StringComparison.OrdinalIgnoreCase) && !narrowed.Equals("prod", StringComparison.OrdinalIgnoreCase))
                return string.Empty;
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AZURE_CLIENT_SECRET")) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AZURE_CLIENT_CERTIFICATE_PATH")))
                return ", here the service principal of AZURE_CLIENT_ID";
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("IDENTITY_ENDPOINT")) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MSI_ENDPOINT")))
                return ", here the managed identity";
            return string.Empty;
        }

        /// <summary>ARM's own message: what follows the library's "(HTTP 401 ..., Code): " prefix, else the whole message.</summary>
        private static string ArmWords(BastionError error)
        {
            string message = error.Message ?? string.Empty;
            int http = message.IndexOf("(HTTP ", StringComparison.Ordinal);
            int end = http < 0 ? -1 : message.IndexOf("): ", http, StringComparison.Ordinal);
            string words = end < 0 ? message : message.Substring(end + 3);
            words = words.Trim();
            if (words.Length > 0 && !words.EndsWith(".", StringComparison.Ordinal)) words += ".";
            return words;
        }

        /// <summary>The Bastion host's resource id the error is about, or null.</summary>
        private static string HostResourceId(BastionError error)
        {
            string target = error.Target;
            if (string.IsNullOrEmpty(target) || !target.StartsWith("/subscriptions/", StringComparison.OrdinalIgnoreCase)) return null;
            return target.IndexOf("/providers/Microsoft.Network/bastionHosts/", StringComparison.OrdinalIgnoreCase) > 0 ? target.TrimEnd('/') : null;
        }

        /// <summary>"Bastion host 'bh-0' in resource group 'rg-0'" for a host's resource id.</summary>
        private static string HostPhrase(string hostId)
        {
            string[] parts = hostId.Split('/');
            string name = parts[parts.Length - 1], group = null;
            for (int i = 0; i + 1 < parts.Length; i++)
                if (parts[i].Equals("resourceGroups", StringComparison.OrdinalIgnoreCase)) { group = parts[i + 1]; break; }
            return group == null
                ? string.Format(CultureInfo.InvariantCulture, "Bastion host '{0}'", name)
                : string.Format(CultureInfo.InvariantCulture, "Bastion host '{0}' in resource group '{1}'", name, group);
        }

        private static string ReplaceIgnoringCase(string text, string find, string replacement)
        {
            int at = text.IndexOf(find, StringComparison.OrdinalIgnoreCase);
            return at < 0 ? text : text.Substring(0, at) + replacement + text.Substring(at + find.Length);
        }

        /// <summary>The record of one of the module's own checks (an InvalidOperationException with the message).</summary>
        /// <param name="message">What is wrong and what to do.</param>
        /// <param name="errorId">The stable ErrorId.</param>
        /// <param name="category">The category.</param>
        /// <param name="targetObject">What the error is about (a parameter's name ...).</param>
        /// <param name="secrets">Strings never to write.</param>
        public static ErrorRecord Module(string message, string errorId, ErrorCategory category, object targetObject, params string[] secrets)
        {
            return new ErrorRecord(new InvalidOperationException(Redaction.Protect(message, secrets)), errorId, category, targetObject);
        }

        /// <summary>
        /// The record for a name or id the native library refused, read like a parameter's
        /// validation failure ("Cannot validate argument on parameter 'Name'. The Bastion host
        /// name ..."; ErrorId ParameterArgumentValidationError; the parameter's name as
        /// TargetObject); null for any other error.
        /// </summary>
        /// <remarks>
        /// The module does not check names and ids itself: the core's rules do (ffi/CONTRACT.md,
        /// "Names and ids"). Their refusal is an invalidRequest whose Target is the request
        /// field's JSON path (hosts[0].resourceGroupName, scope.subscriptionIds[1]).
        /// </remarks>
        /// <param name="error">The call's error, or null.</param>
        /// <param name="fields">Request field name (resourceGroupName, subscriptionIds ...) to cmdlet parameter name.</param>
        /// <param name="secrets">Strings never to write.</param>
        public static ErrorRecord ArgumentError(BastionError error, IDictionary<string, string> fields, string[] secrets)
        {
            if (error == null || error.Kind != ErrorKinds.InvalidRequest || string.IsNullOrEmpty(error.Target) || fields == null) return null;
            // The last field of the path, without an index: hosts[0].name -> name.
            string field = error.Target.Substring(error.Target.LastIndexOf('.') + 1);
            int bracket = field.IndexOf('[');
            if (bracket >= 0) field = field.Substring(0, bracket);
            string parameter;
            if (!fields.TryGetValue(field, out parameter)) return null;
            // "invalid request at `hosts[0].name`: the Bastion host name ..." -> "The Bastion host name ..."
            string reason = error.Message ?? string.Empty;
            const string prefix = "invalid request at `";
            if (reason.StartsWith(prefix, StringComparison.Ordinal))
            {
                int end = reason.IndexOf("`: ", prefix.Length, StringComparison.Ordinal);
                if (end >= 0) reason = reason.Substring(end + 3);
            }
            if (reason.Length > 0) reason = char.ToUpperInvariant(reason[0]) + reason.Substring(1);
            string message = string.Format(CultureInfo.InvariantCulture, "Cannot validate argument on parameter '{0}'. {1}", parameter, reason);
            return Module(message, "ParameterArgumentValidationError", ErrorCategory.InvalidArgument, parameter, secrets);
        }

        /// <summary>The value for an error message: quoted, and cut short when long (never echo 100,000 characters).</summary>
        /// <param name="value">The value as given.</param>
        public static string Quote(string value)
        {
            if (value == null) return "<null>";
            if (value.Length <= 120) return "'" + value + "'";
            return string.Format(CultureInfo.InvariantCulture, "'{0}...' ({1} characters)", value.Substring(0, 60), value.Length);
        }

        /// <summary>What to do, by cause: a refused connection or a failed lookup is never "raise -TimeoutSec".</summary>
        private static string RecommendedAction(BastionError error)
        {
            string message = error.Message ?? string.Empty;
            switch (error.Kind)
            {
                case ErrorKinds.Auth: return "Pass -AccessToken, sign in with Connect-AzAccount, or configure a managed identity / service principal (see AZURE_TOKEN_CREDENTIALS).";
                case ErrorKinds.Forbidden: return "Grant the identity the RBAC action named in the message (Microsoft.Network/bastionHosts/read, .../getactivesessions/action or .../disconnectactivesessions/action).";
                case ErrorKinds.Throttled: return "ARM is throttling this subscription: lower -ThrottleLimit or try again later.";
                case ErrorKinds.Transport: return TransportAction(message);
                case ErrorKinds.Timeout:
                {
                    // The core names the last real cause of a deadline that passed while retrying.
                    const string last = "the last failure: ";
                    int at = message.IndexOf(last, StringComparison.Ordinal);
                    if (at < 0) return "Raise -TimeoutSec or narrow the scope.";
                    string cause = message.Substring(at + last.Length);
                    if (IsConnectionCause(cause)) return TransportAction(cause);
                    return "ARM kept failing until the deadline (the last failure is above): try again later; raise -TimeoutSec only if ARM is merely slow.";
                }
                default: return null;
            }
        }

        private static bool IsConnectionCause(string cause)
        {
            return cause.IndexOf("refused", StringComparison.OrdinalIgnoreCase) >= 0 || cause.IndexOf("connection", StringComparison.OrdinalIgnoreCase) >= 0 ||
                cause.IndexOf("TLS", StringComparison.Ordinal) >= 0 || cause.IndexOf("does not exist", StringComparison.OrdinalIgnoreCase) >= 0 ||
                cause.IndexOf("resolve", StringComparison.OrdinalIgnoreCase) >= 0;
        }

        private static string TransportAction(string cause)
        {
            if (cause.IndexOf("refused", StringComparison.OrdinalIgnoreCase) >= 0)
                return "Nothing accepts connections at that address: check -ArmEndpoint/-Environment and its port; a longer -TimeoutSec will not help.";
            if (cause.IndexOf("TLS", StringComparison.Ordinal) >= 0 || cause.IndexOf("certificate", StringComparison.OrdinalIgnoreCase) >= 0)
                return "Check that the endpoint speaks HTTPS and that its certificate is trusted (SSL_CERT_FILE); a longer -TimeoutSec will not help.";
            return "Check -ArmEndpoint/-Environment, the network, DNS and proxy settings (HTTPS_PROXY, NO_PROXY); a longer -TimeoutSec will not help.";
        }
    }
}
