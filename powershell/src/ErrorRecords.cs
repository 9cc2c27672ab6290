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
        /// error's fields), the kind's ErrorId and category, the error itself as TargetObject,
        /// and ErrorDetails with the context, the message (ARM code, HTTP status, request id)
        /// and, for some kinds, what to do.
        /// </summary>
        /// <param name="error">The envelope's error.</param>
        /// <param name="context">What failed, for people ("Bastion host 'bh-0' (rg-0)"), or null.</param>
        /// <param name="secrets">Strings never to write (the call's token).</param>
        public static ErrorRecord FromNative(BastionError error, string context, string[] secrets)
        {
            ErrorCategory category;
            string errorId = ErrorIdOf(error, out category);
            var record = new ErrorRecord(new BastionNativeException(error), errorId, category, error);
            string text = error.FullMessage;
            if (!string.IsNullOrEmpty(context)) text = context + ": " + text;
            record.ErrorDetails = new ErrorDetails(Redaction.Protect(text, secrets));
            string action = RecommendedAction(error.Kind);
            if (action != null) record.ErrorDetails.RecommendedAction = action;
            return record;
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

        private static string RecommendedAction(string kind)
        {
            switch (kind)
            {
                case ErrorKinds.Auth: return "Pass -AccessToken, sign in with Connect-AzAccount, or configure a managed identity / service principal (see AZURE_TOKEN_CREDENTIALS).";
                case ErrorKinds.Forbidden: return "Grant the identity the RBAC action named in the message (Microsoft.Network/bastionHosts/read, .../getactivesessions/action or .../disconnectactivesessions/action).";
                case ErrorKinds.Throttled: return "ARM is throttling this subscription: lower -ThrottleLimit or try again later.";
                case ErrorKinds.Timeout: return "Raise -TimeoutSec or narrow the scope.";
                default: return null;
            }
        }
    }
}
