// GENERATED from ErrorKind in ffi/src/envelope.rs by ffi/tests/error_kinds_drift.rs: do not edit.
// Regenerate: BASTION_UPDATE_ERROR_KINDS=1 cargo test -p bastion_session_ffi --test error_kinds_drift
namespace BastionSession
{
    /// <summary>The envelope's error kinds and their stable codes (ffi/CONTRACT.md, "Error kinds and codes").</summary>
    public static class ErrorKinds
    {
        /// <summary>Kind "invalidArgument", code 1001.</summary>
        public const string InvalidArgument = "invalidArgument";
        /// <summary>Kind "invalidRequest", code 1002.</summary>
        public const string InvalidRequest = "invalidRequest";
        /// <summary>Kind "unsupportedSchema", code 1003.</summary>
        public const string UnsupportedSchema = "unsupportedSchema";
        /// <summary>Kind "auth", code 2001.</summary>
        public const string Auth = "auth";
        /// <summary>Kind "forbidden", code 2002.</summary>
        public const string Forbidden = "forbidden";
        /// <summary>Kind "notFound", code 2004.</summary>
        public const string NotFound = "notFound";
        /// <summary>Kind "conflict", code 2009.</summary>
        public const string Conflict = "conflict";
        /// <summary>Kind "throttled", code 2029.</summary>
        public const string Throttled = "throttled";
        /// <summary>Kind "server", code 2050.</summary>
        public const string Server = "server";
        /// <summary>Kind "http", code 2099.</summary>
        public const string Http = "http";
        /// <summary>Kind "timeout", code 3001.</summary>
        public const string Timeout = "timeout";
        /// <summary>Kind "cancelled", code 3002.</summary>
        public const string Cancelled = "cancelled";
        /// <summary>Kind "transport", code 3003.</summary>
        public const string Transport = "transport";
        /// <summary>Kind "invalidResponse", code 3004.</summary>
        public const string InvalidResponse = "invalidResponse";
        /// <summary>Kind "insecureEndpoint", code 3005.</summary>
        public const string InsecureEndpoint = "insecureEndpoint";
        /// <summary>Kind "internal", code 9001.</summary>
        public const string Internal = "internal";

        /// <summary>The stable code of a kind; an unknown kind is a library fault (internal's code).</summary>
        /// <param name="kind">A kind name such as "notFound".</param>
        public static int CodeOf(string kind)
        {
            switch (kind)
            {
                case InvalidArgument: return 1001;
                case InvalidRequest: return 1002;
                case UnsupportedSchema: return 1003;
                case Auth: return 2001;
                case Forbidden: return 2002;
                case NotFound: return 2004;
                case Conflict: return 2009;
                case Throttled: return 2029;
                case Server: return 2050;
                case Http: return 2099;
                case Timeout: return 3001;
                case Cancelled: return 3002;
                case Transport: return 3003;
                case InvalidResponse: return 3004;
                case InsecureEndpoint: return 3005;
                case Internal: return 9001;
                default: return 9001;
            }
        }

        /// <summary>False only for faults of the library itself (the envelope's "expected").</summary>
        /// <param name="kind">A kind name such as "notFound".</param>
        public static bool IsExpected(string kind)
        {
            return kind != Internal && CodeOf(kind) != CodeOf(Internal);
        }
    }
}
