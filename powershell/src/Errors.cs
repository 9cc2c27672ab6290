// The errors the shim reports: an envelope's error object (BastionError), the exception
// that carries it into PowerShell, and a missing or mismatched native library. Kinds and
// codes come from ErrorKinds.cs, generated from the one table in ffi/src/envelope.rs.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace BastionSession
{
    /// <summary>The error object of an envelope (ffi/CONTRACT.md, "Error kinds and codes").</summary>
    public sealed class BastionError
    {
        /// <summary>auth, forbidden, notFound, throttled, timeout, cancelled, transport ...</summary>
        public string Kind { get; private set; }
        /// <summary>The banded numeric code of Kind (see ErrorKinds).</summary>
        public int Code { get; private set; }
        /// <summary>True for errors the service or caller produced; false for library faults.</summary>
        public bool Expected { get; private set; }
        /// <summary>The library's message.</summary>
        public string Message { get; private set; }
        /// <summary>ARM's error code, when known.</summary>
        public string ArmCode { get; private set; }
        /// <summary>The HTTP status, when known.</summary>
        public int? HttpStatus { get; private set; }
        /// <summary>ARM's request id, when known.</summary>
        public string RequestId { get; private set; }
        /// <summary>What the error is about (a host's resource id ...), when known.</summary>
        public string Target { get; private set; }

        /// <summary>Reads an error object; null for JSON null.</summary>
        internal static BastionError Read(EnvelopeReader r)
        {
            if (!r.BeginObject()) return null;
            string kind = null, message = null, armCode = null, requestId = null, target = null;
            double? code = null, status = null;
            bool? expected = null;
            bool first = true;
            while (r.NextProperty(ref first))
            {
                if (r.KeyIs("kind")) kind = r.ReadString(false);
                else if (r.KeyIs("code")) code = r.ReadDouble();
                else if (r.KeyIs("expected")) expected = r.ReadBool();
                else if (r.KeyIs("message")) message = r.ReadString(false);
                else if (r.KeyIs("armCode")) armCode = r.ReadString(false);
                else if (r.KeyIs("httpStatus")) status = r.ReadDouble();
                else if (r.KeyIs("requestId")) requestId = r.ReadString(false);
                else if (r.KeyIs("target")) target = r.ReadString(false);
                else r.Skip();
            }
            var e = new BastionError(kind ?? ErrorKinds.Internal, message ?? "The native library reported an error without a message.", target);
            if (code.HasValue) e.Code = (int)code.Value;
            e.Expected = expected ?? false;
            e.ArmCode = armCode;
            e.HttpStatus = status.HasValue ? (int?)(int)status.Value : null;
            e.RequestId = requestId;
            return e;
        }

        /// <summary>Creates an error by hand (used by the shim and the module for their own failures); the code and Expected follow from the kind.</summary>
        /// <param name="kind">One of <see cref="ErrorKinds"/>.</param>
        /// <param name="message">What went wrong.</param>
        /// <param name="target">What the error is about, or null.</param>
        public BastionError(string kind, string message, string target)
        {
            Kind = kind; Code = ErrorKinds.CodeOf(kind); Message = message; Target = target; Expected = ErrorKinds.IsExpected(kind);
        }

        /// <summary>The message followed by ARM code, HTTP status and request id when known.</summary>
        public string FullMessage
        {
            get
            {
                var sb = new StringBuilder(Message);
                var parts = new List<string>();
                // Only what the library's message does not already say.
                string text = Message ?? string.Empty;
                if (!string.IsNullOrEmpty(ArmCode) && text.IndexOf(ArmCode, StringComparison.Ordinal) < 0) parts.Add("ARM code: " + ArmCode);
                if (HttpStatus.HasValue && text.IndexOf("HTTP " + HttpStatus.Value.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal) < 0)
                    parts.Add("HTTP status: " + HttpStatus.Value.ToString(CultureInfo.InvariantCulture));
                if (!string.IsNullOrEmpty(RequestId) && text.IndexOf(RequestId, StringComparison.Ordinal) < 0) parts.Add("request id: " + RequestId);
                if (parts.Count > 0) sb.Append(" [").Append(string.Join("; ", parts.ToArray())).Append(']');
                return sb.ToString();
            }
        }

        /// <inheritdoc />
        public override string ToString() { return Kind + " (" + Code.ToString(CultureInfo.InvariantCulture) + "): " + FullMessage; }
    }

    /// <summary>An error envelope turned into an exception; Error holds every field.</summary>
    public sealed class BastionNativeException : Exception
    {
        /// <summary>The envelope's error.</summary>
        public BastionError Error { get; private set; }

        /// <summary>Wraps an envelope error.</summary>
        public BastionNativeException(BastionError error) : base(error.FullMessage)
        {
            Error = error;
            Data["Kind"] = error.Kind;
            Data["Code"] = error.Code;
            Data["ArmCode"] = error.ArmCode;
            Data["HttpStatus"] = error.HttpStatus;
            Data["RequestId"] = error.RequestId;
            Data["Target"] = error.Target;
        }
    }

    /// <summary>Why the native library could not be used.</summary>
    public enum NativeLibraryProblem
    {
        /// <summary>The file is absent or could not be loaded.</summary>
        Missing,
        /// <summary>The file loaded but lacks exports or speaks another schema.</summary>
        Mismatch,
        /// <summary>The module carries no native library for this OS and architecture (no bin/&lt;rid&gt;/).</summary>
        UnsupportedPlatform,
    }

    /// <summary>The native library is missing or does not match this module.</summary>
    public sealed class BastionNativeLibraryException : Exception
    {
        /// <summary>Missing or Mismatch.</summary>
        public NativeLibraryProblem Problem { get; private set; }
        /// <summary>The path that was tried.</summary>
        public string LibraryPath { get; private set; }

        /// <summary>Creates the exception.</summary>
        public BastionNativeLibraryException(NativeLibraryProblem problem, string path, string message, Exception inner)
            : base(message, inner)
        {
            Problem = problem;
            LibraryPath = path;
        }
    }
}
