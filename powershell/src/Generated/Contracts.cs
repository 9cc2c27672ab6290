// GENERATED from ffi/src/envelope.rs, src/cloud.rs, ffi/src/progress.rs, ffi/src/request/credential.rs, src/auth and src/transport by ffi/tests/contracts_drift.rs: do not edit.
// (Written by hand, with exactly the generator's API and today's values, until that generator lands.)
using System;
using System.Management.Automation;

namespace BastionSession
{
    /// <summary>The ErrorId and ErrorCategory of each envelope error kind.</summary>
    public static class ErrorKindRecords
    {
        /// <summary>True and the kind's ErrorId and category for a known kind; false otherwise.</summary>
        /// <param name="kind">An envelope error kind (ErrorKinds).</param>
        /// <param name="errorId">The kind's ErrorId, or null.</param>
        /// <param name="category">The kind's ErrorCategory, or NotSpecified.</param>
        public static bool TryGet(string kind, out string errorId, out ErrorCategory category)
        {
            switch (kind)
            {
                case "auth": errorId = "BastionAuthenticationFailed"; category = ErrorCategory.AuthenticationError; return true;
                case "forbidden": errorId = "BastionAuthorizationFailed"; category = ErrorCategory.PermissionDenied; return true;
                case "notFound": errorId = "BastionHostNotFound"; category = ErrorCategory.ObjectNotFound; return true;
                case "conflict": errorId = "BastionConflict"; category = ErrorCategory.ResourceBusy; return true;
                case "throttled": errorId = "BastionThrottled"; category = ErrorCategory.LimitsExceeded; return true;
                case "server": errorId = "BastionServerError"; category = ErrorCategory.ResourceUnavailable; return true;
                case "http": errorId = "BastionHttpError"; category = ErrorCategory.ProtocolError; return true;
                case "timeout": errorId = "BastionRequestTimeout"; category = ErrorCategory.OperationTimeout; return true;
                case "cancelled": errorId = "BastionOperationCancelled"; category = ErrorCategory.OperationStopped; return true;
                case "transport": errorId = "BastionConnectionFailed"; category = ErrorCategory.ConnectionError; return true;
                case "invalidResponse": errorId = "BastionInvalidResponse"; category = ErrorCategory.InvalidData; return true;
                case "insecureEndpoint": errorId = "BastionInsecureEndpoint"; category = ErrorCategory.SecurityError; return true;
                case "invalidArgument": errorId = "BastionInvalidArgument"; category = ErrorCategory.InvalidArgument; return true;
                case "invalidRequest": errorId = "BastionInvalidRequest"; category = ErrorCategory.InvalidArgument; return true;
                case "unsupportedSchema": errorId = "BastionNativeLibraryMismatch"; category = ErrorCategory.InvalidData; return true;
                case "internal": errorId = "BastionInternalError"; category = ErrorCategory.NotSpecified; return true;
                default: errorId = null; category = ErrorCategory.NotSpecified; return false;
            }
        }
    }

    /// <summary>The built-in Azure clouds of the native library (src/cloud.rs).</summary>
    public static class BuiltInClouds
    {
        /// <summary>The canonical names, in the library's order: AzureCloud, AzureUSGovernment, AzureChinaCloud.</summary>
        public static readonly string[] Names = { "AzureCloud", "AzureUSGovernment", "AzureChinaCloud" };

        /// <summary>The canonical name for a name in any case (also the library's accepted aliases), or null.</summary>
        /// <param name="name">A cloud name.</param>
        public static string CanonicalName(string name)
        {
            if (name == null) return null;
            switch (name.Trim().ToLowerInvariant())
            {
                case "azurecloud": case "azurepubliccloud": case "public": return "AzureCloud";
                case "azureusgovernment": case "azuregovernment": case "usgov": return "AzureUSGovernment";
                case "azurechinacloud": case "azurechina": case "china": return "AzureChinaCloud";
                default: return null;
            }
        }

        /// <summary>The Resource Manager endpoint of a canonical name, without a trailing slash, or null.</summary>
        /// <param name="canonicalName">One of <see cref="Names"/>.</param>
        public static string ArmEndpoint(string canonicalName)
        {
            switch (canonicalName)
            {
                case "AzureCloud": return "https://management.azure.com";
                case "AzureUSGovernment": return "https://management.usgovcloudapi.net";
                case "AzureChinaCloud": return "https://management.chinacloudapi.cn";
                default: return null;
            }
        }
    }

    /// <summary>The progress event types of bastion_poll_progress (ffi/CONTRACT.md).</summary>
    public static class EventTypes
    {
        /// <summary>The hosts of a scope were listed.</summary>
        public const string HostsDiscovered = "hostsDiscovered";
        /// <summary>A host's request started.</summary>
        public const string HostStarted = "hostStarted";
        /// <summary>ARM answered 202: polling again.</summary>
        public const string Polling = "polling";
        /// <summary>A retry after a transient failure.</summary>
        public const string Retrying = "retrying";
        /// <summary>A page of a listing was read.</summary>
        public const string PageRead = "pageRead";
        /// <summary>A host finished.</summary>
        public const string HostDone = "hostDone";
        /// <summary>One page of a host's sessions (streamed listings).</summary>
        public const string HostSessionsPage = "hostSessionsPage";
        /// <summary>A host's final status (streamed listings).</summary>
        public const string HostResult = "hostResult";
        /// <summary>One HTTP request and its answer.</summary>
        public const string Request = "request";
    }

    /// <summary>The environment variables the native library reads, by what reads them.</summary>
    public static class LibraryEnvironmentVariables
    {
        /// <summary>Read by the HTTP transport for every credential: proxy and CA settings (HTTPS_PROXY, NO_PROXY, SSL_CERT_FILE ...).</summary>
        public static readonly string[] Transport =
        {
            "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE",
        };

        /// <summary>Read by the native credential chain (credential type "default"): service principal, workload identity, managed identity, Azure CLI, AZURE_TOKEN_CREDENTIALS ...</summary>
        public static readonly string[] CredentialChain =
        {
            "AZURE_TOKEN_CREDENTIALS", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH",
            "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "IDENTITY_ENDPOINT",
            "IDENTITY_HEADER", "MSI_ENDPOINT", "MSI_SECRET", "PATH",
        };
    }
}
