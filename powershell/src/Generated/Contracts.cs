// GENERATED from ErrorKind (ffi/src/envelope.rs), AzureEnvironment (src/cloud.rs), EventType
// (ffi/src/events.rs) and the variable lists of src/options.rs by ffi/tests/contracts_drift.rs: do not edit.
// Regenerate: BASTION_UPDATE_CONTRACTS=1 cargo test -p bastion_session_ffi --test contracts_drift
using System.Management.Automation;

namespace BastionSession
{
    /// <summary>The ErrorId and ErrorCategory of each envelope error kind.</summary>
    public static class ErrorKindRecords
    {
        /// <summary>True and the kind's ErrorId and category for a known kind; false otherwise.</summary>
        /// <param name="kind">An envelope error kind such as "notFound" (ErrorKinds).</param>
        /// <param name="errorId">The kind's ErrorId, or null for an unknown kind.</param>
        /// <param name="category">The kind's category, or NotSpecified for an unknown kind.</param>
        /// <returns>Whether the kind is known.</returns>
        public static bool TryGet(string kind, out string errorId, out ErrorCategory category)
        {
            switch (kind)
            {
                case ErrorKinds.InvalidArgument:
                    errorId = "BastionInvalidArgument";
                    category = ErrorCategory.InvalidArgument;
                    return true;
                case ErrorKinds.InvalidRequest:
                    errorId = "BastionInvalidRequest";
                    category = ErrorCategory.InvalidArgument;
                    return true;
                case ErrorKinds.UnsupportedSchema:
                    errorId = "BastionNativeLibraryMismatch";
                    category = ErrorCategory.InvalidData;
                    return true;
                case ErrorKinds.Auth:
                    errorId = "BastionAuthenticationFailed";
                    category = ErrorCategory.AuthenticationError;
                    return true;
                case ErrorKinds.Forbidden:
                    errorId = "BastionAuthorizationFailed";
                    category = ErrorCategory.PermissionDenied;
                    return true;
                case ErrorKinds.NotFound:
                    errorId = "BastionHostNotFound";
                    category = ErrorCategory.ObjectNotFound;
                    return true;
                case ErrorKinds.Conflict:
                    errorId = "BastionConflict";
                    category = ErrorCategory.ResourceBusy;
                    return true;
                case ErrorKinds.Throttled:
                    errorId = "BastionThrottled";
                    category = ErrorCategory.LimitsExceeded;
                    return true;
                case ErrorKinds.Server:
                    errorId = "BastionServerError";
                    category = ErrorCategory.ResourceUnavailable;
                    return true;
                case ErrorKinds.Http:
                    errorId = "BastionHttpError";
                    category = ErrorCategory.ProtocolError;
                    return true;
                case ErrorKinds.Timeout:
                    errorId = "BastionRequestTimeout";
                    category = ErrorCategory.OperationTimeout;
                    return true;
                case ErrorKinds.Cancelled:
                    errorId = "BastionOperationCancelled";
                    category = ErrorCategory.OperationStopped;
                    return true;
                case ErrorKinds.Transport:
                    errorId = "BastionConnectionFailed";
                    category = ErrorCategory.ConnectionError;
                    return true;
                case ErrorKinds.InvalidResponse:
                    errorId = "BastionInvalidResponse";
                    category = ErrorCategory.InvalidData;
                    return true;
                case ErrorKinds.InsecureEndpoint:
                    errorId = "BastionInsecureEndpoint";
                    category = ErrorCategory.SecurityError;
                    return true;
                case ErrorKinds.Internal:
                    errorId = "BastionInternalError";
                    category = ErrorCategory.NotSpecified;
                    return true;
                default:
                    errorId = null;
                    category = ErrorCategory.NotSpecified;
                    return false;
            }
        }
    }

    /// <summary>The built-in Azure clouds of the native library (src/cloud.rs).</summary>
    public static class BuiltInClouds
    {
        /// <summary>The canonical names, in the library's order: AzureCloud, AzureUSGovernment, AzureChinaCloud.</summary>
        public static readonly string[] Names = { "AzureCloud", "AzureUSGovernment", "AzureChinaCloud" };

        /// <summary>The canonical name for a name in any case (also the library's accepted aliases), or null.</summary>
        /// <param name="name">A cloud name or alias, in any case, blanks around it allowed.</param>
        /// <returns>The canonical name, or null when the library knows no such cloud.</returns>
        public static string CanonicalName(string name)
        {
            if (name == null)
            {
                return null;
            }
            switch (AsciiLower(name.Trim()))
            {
                case "azurecloud":
                case "azurepubliccloud":
                case "public":
                    return "AzureCloud";
                case "azureusgovernment":
                case "azuregovernment":
                case "usgov":
                    return "AzureUSGovernment";
                case "azurechinacloud":
                case "azurechina":
                case "china":
                    return "AzureChinaCloud";
                default:
                    return null;
            }
        }

        /// <summary>The Resource Manager endpoint of a canonical name, without a trailing slash, or null.</summary>
        /// <param name="canonicalName">A canonical name from Names (exact case).</param>
        /// <returns>The endpoint, or null for any other name.</returns>
        public static string ArmEndpoint(string canonicalName)
        {
            switch (canonicalName)
            {
                case "AzureCloud":
                    return "https://management.azure.com";
                case "AzureUSGovernment":
                    return "https://management.usgovcloudapi.net";
                case "AzureChinaCloud":
                    return "https://management.chinacloudapi.cn";
                default:
                    return null;
            }
        }

        // The library compares names ASCII-case-insensitively; culture rules (a Turkish
        // dotless i) must not make a name match here that the library would refuse.
        private static string AsciiLower(string s)
        {
            char[] chars = s.ToCharArray();
            for (int i = 0; i < chars.Length; i++)
            {
                if (chars[i] >= 'A' && chars[i] <= 'Z')
                {
                    chars[i] = (char)(chars[i] + ('a' - 'A'));
                }
            }
            return new string(chars);
        }
    }

    /// <summary>The progress event types of bastion_poll_progress (ffi/CONTRACT.md).</summary>
    public static class EventTypes
    {
        /// <summary>The "hostsDiscovered" event.</summary>
        public const string HostsDiscovered = "hostsDiscovered";

        /// <summary>The "hostStarted" event.</summary>
        public const string HostStarted = "hostStarted";

        /// <summary>The "polling" event.</summary>
        public const string Polling = "polling";

        /// <summary>The "retrying" event.</summary>
        public const string Retrying = "retrying";

        /// <summary>The "pageRead" event.</summary>
        public const string PageRead = "pageRead";

        /// <summary>The "hostDone" event.</summary>
        public const string HostDone = "hostDone";

        /// <summary>The "hostSessionsPage" event.</summary>
        public const string HostSessionsPage = "hostSessionsPage";

        /// <summary>The "hostResult" event.</summary>
        public const string HostResult = "hostResult";

        /// <summary>The "request" event.</summary>
        public const string Request = "request";
    }

    /// <summary>The environment variables the native library reads, by what reads them.</summary>
    public static class LibraryEnvironmentVariables
    {
        /// <summary>Read by the HTTP transport for every credential: proxy and CA settings (HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE ...).</summary>
        public static readonly string[] Transport = { "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE" };

        /// <summary>Read by the native credential chain (credential type "default"): service principal, workload identity, managed identity, Azure CLI, AZURE_TOKEN_CREDENTIALS ...</summary>
        public static readonly string[] CredentialChain = { "AZURE_TOKEN_CREDENTIALS", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "AZURE_CONFIG_DIR", "PATH" };
    }
}
