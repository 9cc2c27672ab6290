// Typed views of the JSON envelope (ffi/CONTRACT.md): sessions, disconnect results, hosts,
// progress events and errors. Building these in C# rather than in script is what makes
// 100,000 sessions turn into objects in well under a second.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace BastionSession
{
    /// <summary>An active Bastion session. Its full type name is the PSTypeName BastionSession.Session.</summary>
    public sealed class Session
    {
        /// <summary>The session id, as disconnectActiveSessions expects it.</summary>
        public string SessionId { get; set; }
        /// <summary>The signed-in user; empty for some Entra ID sign-ins through the native client.</summary>
        public string UserName { get; set; }
        /// <summary>The target VM's host name.</summary>
        public string TargetHostName { get; set; }
        /// <summary>The target VM's IP address.</summary>
        public string TargetIpAddress { get; set; }
        /// <summary>SSH or RDP.</summary>
        public string Protocol { get; set; }
        /// <summary>The target's resource type (e.g. VM).</summary>
        public string ResourceType { get; set; }
        /// <summary>When the session started, in UTC; null when ARM sent none.</summary>
        public DateTime? StartTime { get; set; }
        /// <summary>How long the session has lasted (from sessionDurationInMins, else from StartTime).</summary>
        public TimeSpan Duration { get; set; }
        /// <summary>The duration as ARM reported it, in minutes.</summary>
        public double? SessionDurationInMins { get; set; }
        /// <summary>The target's resource id.</summary>
        public string TargetResourceId { get; set; }
        /// <summary>The target's resource group.</summary>
        public string TargetResourceGroup { get; set; }
        /// <summary>The target's subscription id.</summary>
        public string TargetSubscriptionId { get; set; }
        /// <summary>The Bastion host's name.</summary>
        public string BastionName { get; set; }
        /// <summary>The Bastion host's resource group.</summary>
        public string BastionResourceGroupName { get; set; }
        /// <summary>The Bastion host's subscription id.</summary>
        public string BastionSubscriptionId { get; set; }
        /// <summary>The Bastion host's resource id (binds Disconnect-BastionSession -BastionResourceId).</summary>
        public string BastionResourceId { get; set; }
        /// <summary>startTime exactly as ARM sent it.</summary>
        public string StartTimeRaw { get; set; }
        /// <summary>The Resource Manager endpoint the session was listed from (binds Disconnect-BastionSession -ArmEndpoint).</summary>
        public string ArmEndpoint { get; set; }
        /// <summary>How the listing was authenticated: AccessToken, AzContext or CredentialChain. Never the token itself.</summary>
        public string CredentialSource { get; set; }

        internal Session(Dictionary<string, object> d, BastionHostInfo host, DateTime now)
        {
            SessionId = Envelope.GetString(d, "sessionId");
            UserName = Envelope.GetString(d, "userName") ?? string.Empty;
            TargetHostName = Envelope.GetString(d, "targetHostName");
            TargetIpAddress = Envelope.GetString(d, "targetIpAddress");
            Protocol = Envelope.GetString(d, "protocol");
            ResourceType = Envelope.GetString(d, "resourceType");
            TargetResourceId = Envelope.GetString(d, "targetResourceId");
            TargetResourceGroup = Envelope.GetString(d, "targetResourceGroup");
            TargetSubscriptionId = Envelope.GetString(d, "targetSubscriptionId");
            StartTimeRaw = Envelope.GetString(d, "startTimeRaw");
            SessionDurationInMins = Envelope.GetDouble(d, "sessionDurationInMins");
            StartTime = ParseUtc(Envelope.GetString(d, "startTime"));
            if (SessionDurationInMins.HasValue && !double.IsNaN(SessionDurationInMins.Value))
                Duration = TimeSpan.FromMinutes(SessionDurationInMins.Value);
            else if (StartTime.HasValue && now > StartTime.Value)
                Duration = now - StartTime.Value;
            if (host != null)
            {
                BastionName = host.Name;
                BastionResourceGroupName = host.ResourceGroupName;
                BastionSubscriptionId = host.SubscriptionId;
                BastionResourceId = host.Id;
            }
        }

        /// <summary>RFC 3339 to a UTC DateTime: a fast path for the library's "yyyy-MM-ddTHH:mm:ss[.fffffff]Z", else DateTime.TryParse.</summary>
        internal static DateTime? ParseUtc(string s)
        {
            if (string.IsNullOrEmpty(s)) return null;
            int n = s.Length;
            if (n >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') && s[13] == ':' && s[16] == ':' && (s[n - 1] == 'Z' || s[n - 1] == 'z'))
            {
                int year, month, day, hour, minute, second;
                if (Digits(s, 0, 4, out year) && Digits(s, 5, 2, out month) && Digits(s, 8, 2, out day) &&
                    Digits(s, 11, 2, out hour) && Digits(s, 14, 2, out minute) && Digits(s, 17, 2, out second) &&
                    month >= 1 && month <= 12 && day >= 1 && day <= DateTime.DaysInMonth(Math.Max(1, Math.Min(9999, year)), month) &&
                    hour < 24 && minute < 60 && second < 60 && year >= 1)
                {
                    long ticks = 0;
                    if (n > 20)
                    {
                        if (s[19] != '.') goto slow;
                        long scale = TimeSpan.TicksPerSecond;
                        for (int i = 20; i < n - 1; i++)
                        {
                            char c = s[i];
                            if (c < '0' || c > '9') goto slow;
                            scale /= 10;
                            ticks += (c - '0') * scale;
                        }
                    }
                    else if (s[19] != 'Z' && s[19] != 'z') goto slow;
                    return new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(ticks);
                }
            }
        slow:
            DateTime parsed;
            if (DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out parsed))
                return DateTime.SpecifyKind(parsed, DateTimeKind.Utc);
            return null;
        }

        private static bool Digits(string s, int start, int count, out int value)
        {
            value = 0;
            for (int i = start; i < start + count; i++)
            {
                char c = s[i];
                if (c < '0' || c > '9') return false;
                value = value * 10 + (c - '0');
            }
            return true;
        }

        /// <inheritdoc />
        public override string ToString() { return SessionId ?? string.Empty; }
    }

    /// <summary>The outcome of disconnecting one session. NotFound is an outcome, not an error.</summary>
    public sealed class DisconnectResult
    {
        /// <summary>The session id that was asked for.</summary>
        public string SessionId { get; set; }
        /// <summary>ARM's state (Disconnected, Failed, NotFound ...) or NotReported when ARM did not mention the id.</summary>
        public string State { get; set; }
        /// <summary>ARM's message for this session.</summary>
        public string Message { get; set; }
        /// <summary>The Bastion host's name.</summary>
        public string BastionName { get; set; }
        /// <summary>The Bastion host's resource id.</summary>
        public string BastionResourceId { get; set; }
        /// <summary>The Resource Manager endpoint the disconnect was sent to.</summary>
        public string ArmEndpoint { get; set; }

        /// <summary>Creates a result (used when a whole host failed).</summary>
        public DisconnectResult(string sessionId, string state, string message, string bastionName, string bastionResourceId)
        {
            SessionId = sessionId; State = state; Message = message; BastionName = bastionName; BastionResourceId = bastionResourceId;
        }

        /// <inheritdoc />
        public override string ToString() { return SessionId + ": " + State; }
    }

    /// <summary>A Bastion host as the library describes it.</summary>
    public sealed class BastionHostInfo
    {
        /// <summary>Resource id.</summary>
        public string Id { get; set; }
        /// <summary>Name.</summary>
        public string Name { get; set; }
        /// <summary>Resource group.</summary>
        public string ResourceGroupName { get; set; }
        /// <summary>Subscription id.</summary>
        public string SubscriptionId { get; set; }
        /// <summary>Azure region.</summary>
        public string Location { get; set; }
        /// <summary>SKU name.</summary>
        public string Sku { get; set; }

        internal BastionHostInfo(Dictionary<string, object> d)
        {
            Id = Envelope.GetString(d, "id");
            Name = Envelope.GetString(d, "name");
            ResourceGroupName = Envelope.GetString(d, "resourceGroupName");
            SubscriptionId = Envelope.GetString(d, "subscriptionId");
            Location = Envelope.GetString(d, "location");
            Sku = Envelope.GetString(d, "sku");
        }

        /// <inheritdoc />
        public override string ToString() { return Id ?? Name ?? string.Empty; }
    }

    /// <summary>One host's answer to bastion_get_sessions: its sessions or its error.</summary>
    public sealed class HostSessionResult
    {
        /// <summary>The host.</summary>
        public BastionHostInfo Host { get; private set; }
        /// <summary>False when this host failed (see Error).</summary>
        public bool Ok { get; private set; }
        /// <summary>The sessions (empty when streamed or failed).</summary>
        public Session[] Sessions { get; private set; }
        /// <summary>The host's error when Ok is false.</summary>
        public BastionError Error { get; private set; }

        internal HostSessionResult(Dictionary<string, object> d)
        {
            var host = Envelope.GetDict(d, "host");
            Host = host == null ? null : new BastionHostInfo(host);
            Ok = Envelope.GetBool(d, "ok") ?? false;
            var err = Envelope.GetDict(d, "error");
            Error = err == null ? null : new BastionError(err);
            List<object> sessions = Envelope.GetList(d, "sessions");
            if (sessions == null) { Sessions = new Session[0]; return; }
            var now = DateTime.UtcNow;
            var list = new Session[sessions.Count];
            int n = 0;
            foreach (object s in sessions)
            {
                var sd = s as Dictionary<string, object>;
                if (sd != null) list[n++] = new Session(sd, Host, now);
            }
            if (n != list.Length) Array.Resize(ref list, n);
            Sessions = list;
        }

        /// <summary>Records on every session where it was listed from and how that call was authenticated.</summary>
        /// <param name="armEndpoint">The Resource Manager endpoint of the call.</param>
        /// <param name="credentialSource">AccessToken, AzContext or CredentialChain.</param>
        public void SetOrigin(string armEndpoint, string credentialSource)
        {
            foreach (Session s in Sessions) { s.ArmEndpoint = armEndpoint; s.CredentialSource = credentialSource; }
        }
    }

    /// <summary>One host's answer to bastion_disconnect_sessions.</summary>
    public sealed class DisconnectHostResult
    {
        /// <summary>The host's resource id.</summary>
        public string HostResourceId { get; private set; }
        /// <summary>The host's name.</summary>
        public string HostName { get; private set; }
        /// <summary>False when the request for this host failed (see Error).</summary>
        public bool Ok { get; private set; }
        /// <summary>One result per requested session id.</summary>
        public DisconnectResult[] Results { get; private set; }
        /// <summary>The host's error when Ok is false.</summary>
        public BastionError Error { get; private set; }

        internal DisconnectHostResult(Dictionary<string, object> d)
        {
            HostResourceId = Envelope.GetString(d, "hostResourceId");
            HostName = Envelope.GetString(d, "hostName");
            Ok = Envelope.GetBool(d, "ok") ?? false;
            var err = Envelope.GetDict(d, "error");
            Error = err == null ? null : new BastionError(err);
            var list = new List<DisconnectResult>();
            List<object> sessions = Envelope.GetList(d, "sessions");
            if (sessions != null)
                foreach (object s in sessions)
                {
                    var sd = s as Dictionary<string, object>;
                    if (sd == null) continue;
                    list.Add(new DisconnectResult(Envelope.GetString(sd, "sessionId"), Envelope.GetString(sd, "state"),
                        Envelope.GetString(sd, "message"), HostName, HostResourceId));
                }
            Results = list.ToArray();
        }

        /// <summary>Records on every result the Resource Manager endpoint the disconnect was sent to.</summary>
        /// <param name="armEndpoint">The Resource Manager endpoint of the call.</param>
        public void SetOrigin(string armEndpoint)
        {
            foreach (DisconnectResult r in Results) r.ArmEndpoint = armEndpoint;
        }
    }

    /// <summary>A progress event from bastion_poll_progress.</summary>
    public sealed class ProgressEvent
    {
        /// <summary>hostsDiscovered, hostStarted, polling, retrying, pageRead, hostDone, hostResult, request ...</summary>
        public string Type { get; private set; }
        /// <summary>The host's resource id, when the event names one.</summary>
        public string Host { get; private set; }
        /// <summary>The event's fields, as parsed.</summary>
        public Dictionary<string, object> Data { get; private set; }
        /// <summary>For hostResult events: the host's sessions or error.</summary>
        public HostSessionResult HostResult { get; private set; }

        internal ProgressEvent(Dictionary<string, object> d)
        {
            Data = d;
            Type = Envelope.GetString(d, "type");
            Host = Envelope.GetString(d, "host");
            if (Type == "hostResult")
            {
                var r = Envelope.GetDict(d, "result");
                if (r != null) { HostResult = new HostSessionResult(r); Data.Remove("result"); }
            }
        }

        /// <summary>A field as a string (invariant culture), or null.</summary>
        public string Get(string name)
        {
            object v;
            if (!Data.TryGetValue(name, out v) || v == null) return null;
            return Convert.ToString(v, CultureInfo.InvariantCulture);
        }

        /// <inheritdoc />
        public override string ToString() { return Type + " " + Json.Serialize(Data); }
    }

    /// <summary>The error object of an envelope (ffi/CONTRACT.md, "Error kinds and codes").</summary>
    public sealed class BastionError
    {
        /// <summary>auth, forbidden, notFound, throttled, timeout, cancelled, transport ...</summary>
        public string Kind { get; private set; }
        /// <summary>The banded numeric code (2004 ...).</summary>
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

        internal BastionError(Dictionary<string, object> d)
        {
            Kind = Envelope.GetString(d, "kind") ?? "internal";
            Code = (int)(Envelope.GetDouble(d, "code") ?? 9001);
            Expected = Envelope.GetBool(d, "expected") ?? false;
            Message = Envelope.GetString(d, "message") ?? "The native library reported an error without a message.";
            ArmCode = Envelope.GetString(d, "armCode");
            double? status = Envelope.GetDouble(d, "httpStatus");
            HttpStatus = status.HasValue ? (int?)(int)status.Value : null;
            RequestId = Envelope.GetString(d, "requestId");
            Target = Envelope.GetString(d, "target");
        }

        /// <summary>Creates an error by hand (used by the module for its own failures).</summary>
        public BastionError(string kind, int code, string message, string target)
        {
            Kind = kind; Code = code; Message = message; Target = target; Expected = true;
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

    /// <summary>Helpers over parsed envelopes.</summary>
    public static class Envelope
    {
        /// <summary>Parses an envelope; returns data, or throws BastionNativeException when ok is false.</summary>
        public static Dictionary<string, object> Data(string envelopeText)
        {
            Dictionary<string, object> envelope;
            try { envelope = Json.Parse(envelopeText) as Dictionary<string, object>; }
            catch (FormatException e) { throw new BastionNativeException(new BastionError("invalidResponse", 9001, "The native library answered with malformed JSON: " + e.Message, null)); }
            if (envelope == null) throw new BastionNativeException(new BastionError("internal", 9001, "The native library's answer is not a JSON object.", null));
            double? schema = GetDouble(envelope, "schemaVersion");
            if (schema.HasValue && schema.Value != Native.SupportedSchemaVersion)
                throw new BastionNativeException(new BastionError("unsupportedSchema", 1003, "The native library answered with schemaVersion " + schema.Value.ToString(CultureInfo.InvariantCulture) + "; this module needs 1.", null));
            if (GetBool(envelope, "ok") == true) return GetDict(envelope, "data") ?? new Dictionary<string, object>();
            var err = GetDict(envelope, "error");
            throw new BastionNativeException(err != null ? new BastionError(err) : new BastionError("internal", 9001, "The native library failed without an error object.", null));
        }

        /// <summary>
        /// The per-host results of a bastion_get_sessions envelope (sessions included when the
        /// call was not streamed). Throws BastionNativeException for an error envelope.
        /// </summary>
        /// <param name="envelopeText">The envelope as returned by the library.</param>
        public static HostSessionResult[] ParseHostResults(string envelopeText)
        {
            List<object> hosts = GetList(Data(envelopeText), "hosts");
            var result = new List<HostSessionResult>();
            if (hosts != null)
                foreach (object h in hosts)
                {
                    var d = h as Dictionary<string, object>;
                    if (d != null) result.Add(new HostSessionResult(d));
                }
            return result.ToArray();
        }

        /// <summary>The events of a bastion_poll_progress envelope, oldest first (hostResult sessions become Session objects).</summary>
        /// <param name="envelopeText">The envelope as returned by bastion_poll_progress.</param>
        /// <param name="running">Whether the operation is still running.</param>
        public static ProgressEvent[] ParseEvents(string envelopeText, out bool running)
        {
            Dictionary<string, object> data = Data(envelopeText);
            running = GetBool(data, "running") ?? false;
            var events = new List<ProgressEvent>();
            List<object> raw = GetList(data, "events");
            if (raw != null)
                foreach (object item in raw)
                {
                    var ev = item as Dictionary<string, object>;
                    if (ev != null) events.Add(new ProgressEvent(ev));
                }
            return events.ToArray();
        }

        /// <summary>A string field, or null (numbers and booleans are rendered invariantly).</summary>
        public static string GetString(Dictionary<string, object> d, string key)
        {
            object v;
            if (d == null || !d.TryGetValue(key, out v) || v == null) return null;
            var s = v as string;
            if (s != null) return s;
            if (v is bool) return (bool)v ? "true" : "false";
            if (v is IDictionary || (v is IEnumerable)) return Json.Serialize(v);
            return Convert.ToString(v, CultureInfo.InvariantCulture);
        }

        /// <summary>A numeric field, or null.</summary>
        public static double? GetDouble(Dictionary<string, object> d, string key)
        {
            object v;
            if (d == null || !d.TryGetValue(key, out v) || v == null) return null;
            if (v is double) return (double)v;
            if (v is long) return (long)v;
            var s = v as string;
            double parsed;
            if (s != null && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out parsed)) return parsed;
            return null;
        }

        /// <summary>A boolean field, or null.</summary>
        public static bool? GetBool(Dictionary<string, object> d, string key)
        {
            object v;
            if (d == null || !d.TryGetValue(key, out v) || !(v is bool)) return null;
            return (bool)v;
        }

        /// <summary>An object field, or null.</summary>
        public static Dictionary<string, object> GetDict(Dictionary<string, object> d, string key)
        {
            object v;
            if (d == null || !d.TryGetValue(key, out v)) return null;
            return v as Dictionary<string, object>;
        }

        /// <summary>An array field, or null.</summary>
        public static List<object> GetList(Dictionary<string, object> d, string key)
        {
            object v;
            if (d == null || !d.TryGetValue(key, out v)) return null;
            return v as List<object>;
        }
    }
}
