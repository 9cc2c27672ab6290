// The typed objects of the envelope (ffi/CONTRACT.md): sessions, disconnect results, hosts,
// per-host results and progress events, each read straight from the envelope's UTF-8 bytes
// by EnvelopeReader (no intermediate tree). Errors are in Errors.cs, the envelope itself in
// Envelope.cs.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace BastionSession
{
    /// <summary>
    /// Where the sessions of one page were listed: the host, the endpoint and how the call
    /// was authenticated. One object is shared by every session of the page, so a session
    /// carries one reference instead of six strings.
    /// </summary>
    internal sealed class SessionOrigin
    {
        public string BastionName, BastionResourceGroupName, BastionSubscriptionId, BastionResourceId, ArmEndpoint, CredentialSource;
        /// <summary>The endpoint the module itself recorded (SetOrigin); a piped ArmEndpoint is trusted only while it is still this one.</summary>
        public string ModuleArmEndpoint;

        public void SetHost(BastionHostInfo host)
        {
            if (host == null) return;
            BastionName = host.Name;
            BastionResourceGroupName = host.ResourceGroupName;
            BastionSubscriptionId = host.SubscriptionId;
            BastionResourceId = host.Id;
        }

        public SessionOrigin Copy() { return (SessionOrigin)MemberwiseClone(); }
    }

    /// <summary>An active Bastion session. Its full type name is the PSTypeName BastionSession.Session.</summary>
    /// <remarks>
    /// 100,000 of these are built per large listing, so a session stays small: the host's
    /// fields live in one object shared by its page (<see cref="SessionOrigin"/>), a
    /// canonical GUID session id is kept as a Guid, a dotted-quad IP address as a uint and a
    /// target resource id as its pooled parent path and its last segment (often the host
    /// name's own string), each turned into its string on first read (the same text ARM
    /// sent).
    /// </remarks>
    public sealed class Session
    {
        private string _sessionId;
        private Guid _sessionGuid;
        private bool _hasSessionGuid;
        // TargetResourceId is _targetResourceIdParent + _targetResourceIdName, its text through
        // the last '/' and after it, joined on each read and never stored joined: two threads
        // reading at once must not see one field updated and the other not.
        private string _targetResourceIdParent, _targetResourceIdName;
        private string _targetIpAddress;
        private uint _targetIpv4;
        private bool _hasTargetIpv4;
        private SessionOrigin _origin;
        private bool _ownOrigin;
        // Nullable<T> would take 16 bytes each: value and flag are kept apart and packed.
        private DateTime _startTime;
        private bool _hasStartTime;
        // Below TimeSpan.MaxValue.TotalMinutes (about 1.5e10) with room for rounding: 19,000 years.
        private const double MaxDurationInMins = 1e10;
        private double _sessionDurationInMins;
        private bool _hasSessionDurationInMins;
        private string _startTimeRaw;
        // True while StartTimeRaw is StartTime's canonical text (Timestamps.WriteCanonical),
        // as ARM sent it: the string is then made when first read, not for every session.
        private bool _startTimeRawIsCanonical;

        /// <summary>The session id, as disconnectActiveSessions expects it.</summary>
        public string SessionId
        {
            get
            {
                if (_sessionId == null && _hasSessionGuid) _sessionId = _sessionGuid.ToString("D");
                return _sessionId;
            }
            set { _sessionId = value; _hasSessionGuid = false; }
        }
        /// <summary>The signed-in user; empty for some Entra ID sign-ins through the native client.</summary>
        public string UserName { get; set; }
        /// <summary>The target VM's host name.</summary>
        public string TargetHostName { get; set; }
        /// <summary>The target VM's IP address.</summary>
        public string TargetIpAddress
        {
            get
            {
                if (_targetIpAddress == null && _hasTargetIpv4) _targetIpAddress = DottedQuad.Format(_targetIpv4);
                return _targetIpAddress;
            }
            set { _targetIpAddress = value; _hasTargetIpv4 = false; }
        }
        /// <summary>SSH or RDP.</summary>
        public string Protocol { get; set; }
        /// <summary>The target's resource type (e.g. VM).</summary>
        public string ResourceType { get; set; }
        /// <summary>
        /// When the session started, as a UTC DateTimeOffset (offset +00:00); null when ARM sent
        /// none. An offset, not a DateTime, so it compares correctly with Get-Date in any time
        /// zone (PowerShell converts the DateTime operand honouring its Kind) and prints and
        /// exports with its zone.
        /// </summary>
        public DateTimeOffset? StartTime
        {
            get { return _hasStartTime ? new DateTimeOffset(_startTime, TimeSpan.Zero) : (DateTimeOffset?)null; }
            set { SetStartUtc(value.HasValue ? value.Value.UtcDateTime : (DateTime?)null); }
        }

        /// <summary>Sets the start time (UTC), keeping StartTimeRaw as the text ARM sent.</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        private void SetStartUtc(DateTime? utc)
        {
            _startTimeRaw = StartTimeRaw;
            _startTimeRawIsCanonical = false;
            _hasStartTime = utc.HasValue;
            _startTime = utc.GetValueOrDefault();
        }
        /// <summary>How long the session has lasted (from sessionDurationInMins, else from StartTime).</summary>
        public TimeSpan Duration { get; set; }
        /// <summary>The duration as ARM reported it, in minutes.</summary>
        public double? SessionDurationInMins
        {
            get { return _hasSessionDurationInMins ? _sessionDurationInMins : (double?)null; }
            set { _hasSessionDurationInMins = value.HasValue; _sessionDurationInMins = value.GetValueOrDefault(); }
        }
        /// <summary>The target's resource id.</summary>
        public string TargetResourceId
        {
            get
            {
                string parent = _targetResourceIdParent;
                return parent == null ? _targetResourceIdName : parent + _targetResourceIdName;
            }
            set { _targetResourceIdParent = null; _targetResourceIdName = value; }
        }
        /// <summary>The target's resource group.</summary>
        public string TargetResourceGroup { get; set; }
        /// <summary>The target's subscription id.</summary>
        public string TargetSubscriptionId { get; set; }
        /// <summary>The Bastion host's name.</summary>
        public string BastionName { get { return _origin == null ? null : _origin.BastionName; } set { Own().BastionName = value; } }
        /// <summary>The Bastion host's resource group.</summary>
        public string BastionResourceGroupName { get { return _origin == null ? null : _origin.BastionResourceGroupName; } set { Own().BastionResourceGroupName = value; } }
        /// <summary>The Bastion host's subscription id.</summary>
        public string BastionSubscriptionId { get { return _origin == null ? null : _origin.BastionSubscriptionId; } set { Own().BastionSubscriptionId = value; } }
        /// <summary>The Bastion host's resource id (binds Disconnect-BastionSession -BastionResourceId).</summary>
        public string BastionResourceId { get { return _origin == null ? null : _origin.BastionResourceId; } set { Own().BastionResourceId = value; } }
        /// <summary>startTime exactly as ARM sent it.</summary>
        public string StartTimeRaw
        {
            get
            {
                if (_startTimeRawIsCanonical && _startTimeRaw == null) _startTimeRaw = Timestamps.FormatCanonical(_startTime);
                return _startTimeRaw;
            }
            set { _startTimeRaw = value; _startTimeRawIsCanonical = false; }
        }
        /// <summary>The Resource Manager endpoint the session was listed from (binds Disconnect-BastionSession -ArmEndpoint).</summary>
        public string ArmEndpoint { get { return _origin == null ? null : _origin.ArmEndpoint; } set { Own().ArmEndpoint = value; } }
        /// <summary>How the listing was authenticated: AccessToken, AzContext or CredentialChain. Never the token itself.</summary>
        public string CredentialSource { get { return _origin == null ? null : _origin.CredentialSource; } set { Own().CredentialSource = value; } }

        private Session() { }

        /// <summary>True while ArmEndpoint is the one the module recorded when it listed this session (not set by hand since).</summary>
        internal bool ArmEndpointIsModules
        {
            get { return _origin != null && _origin.ModuleArmEndpoint != null && string.Equals(_origin.ArmEndpoint, _origin.ModuleArmEndpoint, StringComparison.Ordinal); }
        }

        /// <summary>This session's own origin, copied from the shared one before the first change.</summary>
        private SessionOrigin Own()
        {
            if (!_ownOrigin)
            {
                _origin = _origin == null ? new SessionOrigin() : _origin.Copy();
                _ownOrigin = true;
            }
            return _origin;
        }

        /// <summary>Reads one session object; null for JSON null. Host fields come from <paramref name="origin"/>.</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        internal static unsafe Session Read(EnvelopeReader r, DateTime now, SessionOrigin origin)
        {
            if (!r.BeginObject()) return null;
            char* canonical = stackalloc char[Timestamps.CanonicalMaxLength];
            var s = new Session { _origin = origin };
            bool first = true;
            while (r.NextProperty(ref first))
            {
                // In the order the library writes them, so the usual key matches first.
                if (r.KeyIs("sessionId"))
                {
                    s._hasSessionGuid = r.TryReadLowercaseGuid(out s._sessionGuid);
                    if (!s._hasSessionGuid) s._sessionId = r.ReadString(false);
                }
                else if (r.KeyIs("startTime")) s.SetStartUtc(r.ReadUtc());
                else if (r.KeyIs("startTimeRaw"))
                {
                    // Most often the text startTime was read from: checked byte for byte
                    // against the canonical form of the time read, and then not kept.
                    s._startTimeRawIsCanonical = s._hasStartTime && r.TrySkipStringEqualTo(canonical, Timestamps.WriteCanonical(s._startTime, canonical));
                    s._startTimeRaw = s._startTimeRawIsCanonical ? null : r.ReadString(false);
                }
                else if (r.KeyIs("targetSubscriptionId")) s.TargetSubscriptionId = r.ReadString(true);
                else if (r.KeyIs("resourceType")) s.ResourceType = r.ReadString(true);
                else if (r.KeyIs("targetHostName")) s.TargetHostName = r.ReadString(true);
                else if (r.KeyIs("targetResourceGroup")) s.TargetResourceGroup = r.ReadString(true);
                else if (r.KeyIs("userName")) s.UserName = r.ReadString(true);
                else if (r.KeyIs("targetIpAddress"))
                {
                    s._hasTargetIpv4 = r.TryReadDottedQuad(out s._targetIpv4);
                    if (!s._hasTargetIpv4) s._targetIpAddress = r.ReadString(true);
                }
                else if (r.KeyIs("protocol")) s.Protocol = r.ReadString(true);
                else if (r.KeyIs("targetResourceId"))
                {
                    // Parts the library writes after targetHostName, so a VM named as its host shares that string.
                    if (!r.TryReadPathParts(s.TargetHostName, out s._targetResourceIdParent, out s._targetResourceIdName))
                        s._targetResourceIdName = r.ReadString(false);
                }
                else if (r.KeyIs("sessionDurationInMins")) s.SessionDurationInMins = r.ReadDouble();
                else r.Skip();
            }
            if (s.UserName == null) s.UserName = string.Empty;
            // A duration no TimeSpan can hold (ARM sent 1e300, or NaN) would throw in FromMinutes
            // and end the whole listing: such a session falls back to its start time instead.
            if (s._hasSessionDurationInMins && Math.Abs(s._sessionDurationInMins) <= MaxDurationInMins)
                s.Duration = TimeSpan.FromMinutes(s._sessionDurationInMins);
            else if (s._hasStartTime && now > s._startTime)
                s.Duration = now - s._startTime;
            return s;
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
        /// <summary>The session's user, when the session came from a listing (piped sessions, or -All); else null.</summary>
        public string UserName { get; set; }
        /// <summary>The session's target host name, when the session came from a listing; else null.</summary>
        public string TargetHostName { get; set; }
        /// <summary>The session's target IP address, when the session came from a listing; else null.</summary>
        public string TargetIpAddress { get; set; }
        /// <summary>When the session started (the listing's Session.StartTime), when it came from a listing; else null.</summary>
        public DateTimeOffset? StartTime { get; set; }

        /// <summary>Copies who and where from the listed session this id came from.</summary>
        internal void SetSession(Session session)
        {
            if (session == null) return;
            UserName = session.UserName; TargetHostName = session.TargetHostName; TargetIpAddress = session.TargetIpAddress;
            // Lifted implicit conversion: a UTC DateTime keeps its instant with offset zero.
            StartTime = session.StartTime;
        }

        /// <summary>The endpoint the module itself recorded (see <see cref="ArmEndpointIsModules"/>).</summary>
        private string _moduleArmEndpoint;

        /// <summary>True while ArmEndpoint is the one the module recorded when it sent the disconnect (not set by hand since).</summary>
        internal bool ArmEndpointIsModules
        {
            get { return _moduleArmEndpoint != null && string.Equals(ArmEndpoint, _moduleArmEndpoint, StringComparison.Ordinal); }
        }

        /// <summary>Records the endpoint the disconnect was sent to, as the module's own.</summary>
        internal void SetModuleArmEndpoint(string armEndpoint) { ArmEndpoint = armEndpoint; _moduleArmEndpoint = armEndpoint; }

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

        private BastionHostInfo() { }

        /// <summary>Reads a host object; null for JSON null.</summary>
        internal static BastionHostInfo Read(EnvelopeReader r)
        {
            if (!r.BeginObject()) return null;
            var h = new BastionHostInfo();
            bool first = true;
            while (r.NextProperty(ref first))
            {
                if (r.KeyIs("id")) h.Id = r.ReadString(false);
                else if (r.KeyIs("name")) h.Name = r.ReadString(false);
                else if (r.KeyIs("resourceGroupName")) h.ResourceGroupName = r.ReadString(true);
                else if (r.KeyIs("subscriptionId")) h.SubscriptionId = r.ReadString(true);
                else if (r.KeyIs("location")) h.Location = r.ReadString(true);
                else if (r.KeyIs("sku")) h.Sku = r.ReadString(true);
                else r.Skip();
            }
            return h;
        }

        /// <inheritdoc />
        public override string ToString() { return Id ?? Name ?? string.Empty; }
    }

    /// <summary>One host's answer to bastion_get_sessions: its sessions or its error.</summary>
    public sealed class HostSessionsOutcome
    {
        /// <summary>The host.</summary>
        public BastionHostInfo Host { get; private set; }
        /// <summary>False when this host failed (see Error).</summary>
        public bool Ok { get; private set; }
        /// <summary>The sessions (empty when streamed or failed).</summary>
        public Session[] Sessions { get; private set; }
        /// <summary>The host's error when Ok is false.</summary>
        public BastionError Error { get; private set; }

        private HostSessionsOutcome() { }

        /// <summary>Reads one host entry (data.hosts[i], or a hostResult or hostSessionsPage event's result); null for JSON null.</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        internal static HostSessionsOutcome Read(EnvelopeReader r, DateTime now)
        {
            if (!r.BeginObject()) return null;
            var h = new HostSessionsOutcome();
            var origin = new SessionOrigin();
            List<Session> sessions = null;
            bool first = true;
            while (r.NextProperty(ref first))
            {
                if (r.KeyIs("host")) h.Host = BastionHostInfo.Read(r);
                else if (r.KeyIs("ok")) h.Ok = r.ReadBool() ?? false;
                else if (r.KeyIs("error")) h.Error = BastionError.Read(r);
                else if (r.KeyIs("sessions"))
                {
                    if (!r.BeginArray()) continue;
                    sessions = r.EmptySessionBuffer();
                    bool firstSession = true;
                    while (r.NextElement(ref firstSession))
                    {
                        if (!r.AtObject) { r.Skip(); continue; }
                        sessions.Add(Session.Read(r, now, origin));
                    }
                }
                else r.Skip();
            }
            // The sessions already point at the shared origin; it learns the host now (the
            // library writes "host" first, but the order is not relied on).
            origin.SetHost(h.Host);
            h._origin = origin;
            h.Sessions = sessions == null ? new Session[0] : sessions.ToArray();
            return h;
        }

        /// <summary>Records on every session where it was listed from and how that call was authenticated.</summary>
        /// <param name="armEndpoint">The Resource Manager endpoint of the call.</param>
        /// <param name="credentialSource">AccessToken, AzContext or CredentialChain.</param>
        public void SetOrigin(string armEndpoint, string credentialSource)
        {
            // One object shared by the host's sessions (read from one envelope): set once.
            // A session given its own values since keeps them apart (see Session.Own).
            _origin.ArmEndpoint = armEndpoint;
            _origin.ModuleArmEndpoint = armEndpoint;
            _origin.CredentialSource = credentialSource;
        }

        private SessionOrigin _origin;
    }

    /// <summary>One host's answer to bastion_disconnect_sessions.</summary>
    public sealed class HostDisconnectOutcome
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

        private HostDisconnectOutcome() { }

        /// <summary>Reads one entry of data.results; null for JSON null.</summary>
        internal static HostDisconnectOutcome Read(EnvelopeReader r)
        {
            if (!r.BeginObject()) return null;
            var h = new HostDisconnectOutcome();
            var raw = new List<string[]>();
            bool first = true;
            while (r.NextProperty(ref first))
            {
                if (r.KeyIs("hostResourceId")) h.HostResourceId = r.ReadString(false);
                else if (r.KeyIs("hostName")) h.HostName = r.ReadString(false);
                else if (r.KeyIs("ok")) h.Ok = r.ReadBool() ?? false;
                else if (r.KeyIs("error")) h.Error = BastionError.Read(r);
                else if (r.KeyIs("sessions"))
                {
                    if (!r.BeginArray()) continue;
                    bool firstSession = true;
                    while (r.NextElement(ref firstSession))
                    {
                        if (!r.AtObject) { r.Skip(); continue; }
                        r.BeginObject();
                        var item = new string[3];
                        bool firstField = true;
                        while (r.NextProperty(ref firstField))
                        {
                            if (r.KeyIs("sessionId")) item[0] = r.ReadString(false);
                            else if (r.KeyIs("state")) item[1] = r.ReadString(true);
                            else if (r.KeyIs("message")) item[2] = r.ReadString(false);
                            else r.Skip();
                        }
                        raw.Add(item);
                    }
                }
                else r.Skip();
            }
            // The host's name and id may come after its sessions: attach them at the end.
            var results = new DisconnectResult[raw.Count];
            for (int i = 0; i < results.Length; i++)
                results[i] = new DisconnectResult(raw[i][0], raw[i][1], raw[i][2], h.HostName, h.HostResourceId);
            h.Results = results;
            return h;
        }

        /// <summary>Records on every result the Resource Manager endpoint the disconnect was sent to.</summary>
        /// <param name="armEndpoint">The Resource Manager endpoint of the call.</param>
        public void SetOrigin(string armEndpoint)
        {
            foreach (DisconnectResult r in Results) r.SetModuleArmEndpoint(armEndpoint);
        }
    }

    /// <summary>A progress event from bastion_poll_progress.</summary>
    public sealed class ProgressEvent
    {
        /// <summary>hostsDiscovered, hostStarted, polling, retrying, pageRead, hostDone, hostSessionsPage, hostResult, request ...</summary>
        public string Type { get; private set; }
        /// <summary>The host's resource id, when the event names one.</summary>
        public string Host { get; private set; }
        /// <summary>The event's fields, as parsed.</summary>
        public Dictionary<string, object> Data { get; private set; }
        /// <summary>For hostResult events: the host's status (and error); for hostSessionsPage events: one page of the host's sessions.</summary>
        public HostSessionsOutcome HostSessionsOutcome { get; private set; }

        private ProgressEvent() { }

        /// <summary>Reads one event; a hostResult's or hostSessionsPage's result becomes typed objects, every other field a scalar in Data.</summary>
        internal static ProgressEvent Read(EnvelopeReader r, DateTime now)
        {
            if (!r.BeginObject()) return null;
            var e = new ProgressEvent { Data = new Dictionary<string, object>(StringComparer.Ordinal) };
            bool first = true;
            while (r.NextProperty(ref first))
            {
                if (r.KeyIs("result") && r.AtObject) { e.HostSessionsOutcome = HostSessionsOutcome.Read(r, now); continue; }
                string key = r.Key;
                object value = r.ReadScalar();
                e.Data[key] = value;
                if (key == "type") e.Type = value as string;
                else if (key == "host") e.Host = value as string;
            }
            return e;
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
}
