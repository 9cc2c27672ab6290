// Disconnect-BastionSession: gathers the piped or given session ids per endpoint and host,
// then, per endpoint: lists the hosts' sessions for -All, has the library check every host
// before any confirmation, asks once per host, and sends one disconnect call for the
// approved hosts, writing one DisconnectResult per session id.
using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.Management.Automation;
using BastionSession.Completion;
using BastionSession.Validation;

namespace BastionSession.Cmdlets
{
    /// <summary>Disconnects Azure Bastion sessions, one request per Bastion host.</summary>
    [Cmdlet(VerbsCommunications.Disconnect, "BastionSession", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = ByResourceId)]
    [OutputType(typeof(DisconnectResult))]
    public sealed class DisconnectBastionSessionCommand : BastionCmdlet
    {
        private const string ByResourceId = "ByResourceId", ByName = "ByName";

        /// <summary>The session id(s) to disconnect; bound by property name from BastionSession.Session (plain id strings piped in are read from InputObject).</summary>
        [Parameter(ParameterSetName = ByResourceId, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ValidateSessionId]
        public string[] SessionId { get; set; }

        /// <summary>The Bastion host's resource id; bound by property name from BastionSession.Session, or from an Az PSBastion's Id (with -All).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByResourceId, ValueFromPipelineByPropertyName = true)]
        [Alias("Id")]
        [ValidateNotNullOrEmpty]
        public string BastionResourceId { get; set; }

        /// <summary>The Bastion host's resource group (with -Name); bound by property name, so an object with ResourceGroupName and Name pipes in.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ResourceNameCompleter))]
        public string ResourceGroupName { get; set; }

        /// <summary>The Bastion host's name (with -ResourceGroupName); bound by property name.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        [Alias("BastionName", "BastionHostName")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ResourceNameCompleter))]
        public string Name { get; set; }

        /// <summary>The Bastion host's subscription (with -ResourceGroupName and -Name).</summary>
        [Parameter(ParameterSetName = ByName)]
        [ValidateNotNullOrEmpty]
        public string SubscriptionId { get; set; }

        /// <summary>Disconnect every current session of the named host(s); required when no -SessionId is given.</summary>
        [Parameter]
        public SwitchParameter All { get; set; }

        /// <summary>Do not ask for confirmation.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>The Azure Resource Manager endpoint; bound by property name, so a piped disconnect goes to the cloud the sessions were listed from.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [ValidateArmEndpoint]
        public Uri ArmEndpoint { get; set; }

        /// <summary>
        /// The piped object itself (hidden): where and how it was listed (its ArmEndpoint and
        /// CredentialSource, never a token) is read from it.
        /// </summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)]
        public PSObject InputObject { get; set; }

        private Cloud _explicitCloud;
        private readonly HashSet<string> _warnedEndpoints = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private readonly OrderedDictionary _targets = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, string> _fields = new Dictionary<string, string>
        {
            { "hostResourceId", "BastionResourceId" }, { "resourceId", "BastionResourceId" }, { "resourceGroupName", "ResourceGroupName" }, { "name", "Name" }, { "sessionIds", "SessionId" },
        };
        private bool _commandLineEndpoint;
        private EndpointTrust _trust;

        /// <summary>Loads the library; resolves a cloud given on the command line (it wins over piped endpoints).</summary>
        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            if (IsBound("SubscriptionId")) _fields["subscriptionId"] = "SubscriptionId";
            // -ArmEndpoint/-Environment on the command line are bound before the pipeline starts.
            _commandLineEndpoint = IsBound("ArmEndpoint");
            if (_commandLineEndpoint || IsBound("Environment"))
            {
                try { _explicitCloud = Clouds.Resolve(_commandLineEndpoint ? ArmEndpoint : null, IsBound("Environment") ? Environment : null, true, Az); }
                catch (CmdletErrorException e) { Terminate(e); }
            }
        }

        /// <summary>Gathers this input's ids under its endpoint and host.</summary>
        protected override void ProcessRecord()
        {
            bool hasAccessToken = IsBound("AccessToken");
            // An endpoint bound from the piped object (not given on the command line), where
            // nothing on the command line overrides it: the token would go there.
            bool pipedBinding = !_commandLineEndpoint && ArmEndpoint != null;
            if (pipedBinding && _explicitCloud == null)
            {
                if (_trust == null) _trust = new EndpointTrust(Az);
                if (!_trust.IsTrusted(InputObject, ArmEndpoint.OriginalString))
                {
                    string endpoint = Clouds.Canonical(ArmEndpoint.OriginalString);
                    ThrowTerminatingError(ErrorRecords.Module(string.Format(CultureInfo.InvariantCulture,
                        "The sessions piped in name the endpoint {0}, which this module did not list them from and which is not a known cloud: " +
                        "the token is not sent there. If that endpoint is right, confirm it: ... | Disconnect-BastionSession -ArmEndpoint {0}. Nothing was sent.", endpoint),
                        "BastionUntrustedEndpoint", ErrorCategory.SecurityError, endpoint));
                }
            }
            string pipedEndpoint = null, pipedCredentialSource = null;
            // Read only when it can matter (no -AccessToken, or an explicit cloud to compare with).
            if (MyInvocation.ExpectingInput && InputObject != null && (!hasAccessToken || _explicitCloud != null))
            {
                var session = InputObject.BaseObject as Session;
                if (session != null) { pipedEndpoint = session.ArmEndpoint; pipedCredentialSource = session.CredentialSource; }
                else
                {
                    pipedEndpoint = AzAccounts.PropertyText(InputObject, "ArmEndpoint");
                    pipedCredentialSource = AzAccounts.PropertyText(InputObject, "CredentialSource");
                }
                pipedEndpoint = string.IsNullOrEmpty(pipedEndpoint) ? null : Clouds.Canonical(pipedEndpoint);
            }
            if (pipedCredentialSource == "AccessToken" && !hasAccessToken)
                ThrowTerminatingError(ErrorRecords.Module(
                    "These sessions were listed with -AccessToken, and Disconnect-BastionSession was given none: pass -AccessToken to Disconnect-BastionSession as well (... | Disconnect-BastionSession -AccessToken $token). Nothing was sent.",
                    "BastionAccessTokenRequired", ErrorCategory.AuthenticationError, "AccessToken"));
            // Plain session-id strings piped in ($ids | Disconnect-BastionSession -BastionResourceId $rid).
            // Not ValueFromPipeline on -SessionId: any piped object would then be turned into a
            // string and bound as an id (an Az PSBastion piped with -All among them).
            string pipedId = MyInvocation.ExpectingInput && InputObject != null && !IsBound("SessionId") ? InputObject.BaseObject as string : null;
            if (pipedId != null)
            {
                string problem = ValidateSessionIdAttribute.Problem(pipedId);
                if (problem != null)
                {
                    WriteError(ErrorRecords.Module("Cannot validate argument on parameter 'SessionId'. " + problem, "ParameterArgumentValidationError", ErrorCategory.InvalidArgument, "SessionId"));
                    return;
                }
                SessionId = new[] { pipedId };
            }
            bool hasIds = SessionId != null && SessionId.Length > 0;
            if (!hasIds && !All)
                ThrowTerminatingError(ErrorRecords.Module("No -SessionId given: pass the session ids to disconnect (or pipe Get-BastionSession), or -All to disconnect every session of the host.",
                    "BastionSessionIdRequired", ErrorCategory.InvalidArgument, "SessionId"));
            if (hasIds && All)
                ThrowTerminatingError(ErrorRecords.Module("-All disconnects every session of the host; do not combine it with -SessionId.",
                    "BastionAllWithSessionId", ErrorCategory.InvalidArgument, "All"));

            string endpointKey;
            if (_explicitCloud != null)
            {
                endpointKey = Clouds.Canonical(_explicitCloud.Url);
                if (pipedEndpoint != null && !string.Equals(pipedEndpoint, endpointKey, StringComparison.Ordinal) && _warnedEndpoints.Add(pipedEndpoint))
                    WriteWarning(string.Format(CultureInfo.InvariantCulture, "Sessions piped in were listed from {0}, but -ArmEndpoint/-Environment says {1}: disconnecting them at {1}.", pipedEndpoint, _explicitCloud.Url));
            }
            else if (ArmEndpoint != null)
            {
                // Bound from the pipeline by property name (BastionSession.Session.ArmEndpoint),
                // trusted above; endpoints are grouped in one canonical form.
                endpointKey = Clouds.Canonical(ArmEndpoint.OriginalString);
            }
            else endpointKey = string.Empty;

            string hostKey = ParameterSetName == ByResourceId
                ? BastionResourceId.Trim().TrimEnd('/')
                : string.Format(CultureInfo.InvariantCulture, "byname|{0}|{1}|{2}", SubscriptionId, ResourceGroupName, Name);
            string key = endpointKey + "|" + hostKey;
            var target = _targets[key] as DisconnectTarget;
            if (target == null)
            {
                target = ParameterSetName == ByResourceId
                    ? new DisconnectTarget { Endpoint = endpointKey, ResourceId = hostKey }
                    : new DisconnectTarget { Endpoint = endpointKey, SubscriptionId = SubscriptionId, ResourceGroupName = ResourceGroupName, Name = Name };
                _targets[key] = target;
            }
            if (All) target.All = true;
            // A piped session says who and where: kept for the prompt and the results.
            Session listed = InputObject == null ? null : InputObject.BaseObject as Session;
            if (hasIds) foreach (string id in SessionId) target.Add(id, listed != null && string.Equals(listed.SessionId, id, StringComparison.OrdinalIgnoreCase) ? listed : null);
            // A pipeline-bound endpoint must not carry over to the next input that has none.
            if (!_commandLineEndpoint) ArmEndpoint = null;
            if (pipedId != null) SessionId = null;
        }

        private sealed class EndpointGroup
        {
            public Cloud Cloud;
            public ResolvedCredential Credential;
            public readonly List<DisconnectTarget> Targets = new List<DisconnectTarget>();
        }

        /// <summary>Lists (-All), checks, confirms and disconnects, one endpoint at a time.</summary>
        protected override void EndProcessing()
        {
            if (_targets.Count == 0) return;
            bool confirmAnyway = Force && !IsBound("Confirm");
            // One group per Resource Manager endpoint: each has its own credential (the token
            // audience follows the endpoint) and its own native calls.
            var groups = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
            try
            {
                Cloud defaultCloud = null;
                foreach (DisconnectTarget target in _targets.Values)
                {
                    Cloud cloud;
                    if (_explicitCloud != null) cloud = _explicitCloud;
                    else if (target.Endpoint.Length > 0) cloud = Clouds.FromEndpoint(target.Endpoint, "the sessions piped in (their ArmEndpoint)");
                    else cloud = defaultCloud ?? (defaultCloud = Clouds.Resolve(null, null, IsBound("AccessToken"), Az));
                    var group = groups[cloud.Url] as EndpointGroup;
                    if (group == null) { group = new EndpointGroup { Cloud = cloud }; groups[cloud.Url] = group; }
                    group.Targets.Add(target);
                }
                string defaultSubscription = null;
                foreach (EndpointGroup group in groups.Values)
                {
                    group.Credential = Credentials.Resolve(AccessTokenOrNull, group.Cloud.Url, Az);
                    foreach (DisconnectTarget target in group.Targets)
                    {
                        if (target.ResourceId == null && string.IsNullOrEmpty(target.SubscriptionId))
                            target.SubscriptionId = defaultSubscription ?? (defaultSubscription = Subscriptions.Resolve(null, group.Credential.SubscriptionId)[0]);
                    }
                }
            }
            catch (CmdletErrorException e) { Terminate(e); return; }

            foreach (EndpointGroup group in groups.Values)
                Disconnect(group, groups.Count > 1, confirmAnyway);
        }

        private void Disconnect(EndpointGroup group, bool severalEndpoints, bool force)
        {
            ResolvedCredential credential = group.Credential;
            // A refused credential stops a listing (-All) at once, naming it (NativeCall).
            Calls.Credential = credential;
            string endpoint = group.Cloud.Url;
            string[] secrets = credential.Secrets;
            string where = severalEndpoints ? " at " + endpoint : string.Empty;

            // -All: list the current sessions of those hosts first (one call for all of them).
            var allTargets = group.Targets.FindAll(t => t.All);
            if (allTargets.Count > 0) ListAll(group, allTargets, secrets);

            // A bad name or id is refused before any confirmation, as a parameter's would be:
            // the library checks the targets (validateOnly: nothing is sent). One id per host
            // is enough for that.
            var toCheck = group.Targets.FindAll(t => !t.Failed && t.Ids.Count > 0);
            if (toCheck.Count > 0)
            {
                var check = CommonRequest.Create(credential, group.Cloud, TimeoutSec, ThrottleLimit);
                check["validateOnly"] = true;
                check["targets"] = toCheck.ConvertAll(t => t.DisconnectRef(new[] { t.Ids[0] }));
                NativeCompletion checkedCall = Calls.Run("bastion_disconnect_sessions", check, "Disconnect-BastionSession", secrets, null);
                if (checkedCall.Error != null)
                {
                    ErrorRecord argumentError = ErrorRecords.ArgumentError(checkedCall.Error, _fields, secrets);
                    if (argumentError != null) ThrowTerminatingError(argumentError);
                    WriteError(ErrorRecords.FromNative(checkedCall.Error, "Disconnect-BastionSession" + where, secrets));
                    return;
                }
            }

            // One confirmation per host, then one native call for every approved host of this endpoint.
            var approved = new List<DisconnectTarget>();
            foreach (DisconnectTarget target in group.Targets)
            {
                if (target.Failed) continue;
                string hostLabel = target.Label + where;
                if (target.Ids.Count == 0)
                {
                    // -All found nothing: said, so an empty answer is not mistaken for a silent failure.
                    WriteWarning(hostLabel + " has no current sessions: nothing to disconnect.");
                    continue;
                }
                string what = string.Format(CultureInfo.InvariantCulture, target.All ? "all {0} current session(s): {1}" : "{0} session(s): {1}", target.Ids.Count, target.Describe());
                if (force ? ShouldProcessWithoutPrompt(hostLabel, "Disconnect " + what) : ShouldProcess(hostLabel, "Disconnect " + what)) approved.Add(target);
            }
            if (approved.Count == 0) return;

            var request = CommonRequest.Create(credential, group.Cloud, TimeoutSec, ThrottleLimit);
            request["targets"] = approved.ConvertAll(t => t.DisconnectRef(t.Ids.ToArray()));
            int sessionCount = 0;
            foreach (DisconnectTarget target in approved) sessionCount += target.Ids.Count;
            Verbose(() => string.Format(CultureInfo.InvariantCulture,
                "Disconnect-BastionSession: calling bastion_disconnect_sessions (disconnectActiveSessions) for {0} session(s) on {1} Bastion host(s) at {2} (from {3}), with credentials from {4}",
                sessionCount, approved.Count, endpoint, group.Cloud.Source, credential.Source));
            NativeCompletion completion;
            try
            {
                completion = Calls.Run("bastion_disconnect_sessions", request, "Disconnect-BastionSession", secrets, null);
            }
            catch (NativeCallStoppedException stopped)
            {
                KeepWhatIsKnown(stopped.Outcomes, approved, endpoint);
                throw;
            }
            string interruptedKind = completion.Error != null ? completion.Error.Kind : null;
            BastionError refusedCredential = null;
            foreach (HostDisconnectOutcome outcome in completion.HostDisconnectOutcomes)
            {
                outcome.SetOrigin(endpoint);
                AttachSessions(outcome, approved);
                // Every id's result, always (Disconnected, NotFound, Failed, Unknown,
                // NotAttempted): a host whose ids all failed still says which ids those were.
                WriteObject(outcome.Results, true);
                if (outcome.Ok) continue;
                // A host cut short is covered by the call's own error below; a refused
                // credential by one terminating error after every result is out.
                bool cutShort = interruptedKind != null && outcome.Error != null && outcome.Error.Kind == interruptedKind;
                if (ErrorRecords.AppliesToCredential(outcome.Error)) { if (refusedCredential == null) refusedCredential = outcome.Error; continue; }
                if (!cutShort) WriteError(ErrorRecords.FromNative(outcome.Error, string.Format(CultureInfo.InvariantCulture, "Bastion host '{0}'", outcome.HostName), secrets));
            }
            if (refusedCredential == null && ErrorRecords.AppliesToCredential(completion.Error)) refusedCredential = completion.Error;
            if (refusedCredential != null) ThrowTerminatingError(ErrorRecords.CredentialRejected(refusedCredential, credential, secrets));
            if (completion.Error != null)
            {
                ErrorRecord argumentError = ErrorRecords.ArgumentError(completion.Error, _fields, secrets);
                if (argumentError != null) ThrowTerminatingError(argumentError);
                WriteError(ErrorRecords.FromNative(completion.Error, "Disconnect-BastionSession" + where, secrets));
            }
        }

        /// <summary>Copies who and where from the listed sessions onto a host's results.</summary>
        private static void AttachSessions(HostDisconnectOutcome outcome, List<DisconnectTarget> approved)
        {
            foreach (DisconnectTarget target in approved)
            {
                bool same = outcome.HostResourceId != null && target.ResourceId != null
                    ? string.Equals(outcome.HostResourceId, target.ResourceId, StringComparison.OrdinalIgnoreCase)
                    : target.ResourceId == null && string.Equals(outcome.HostName, target.Name, StringComparison.OrdinalIgnoreCase);
                if (!same) continue;
                foreach (DisconnectResult result in outcome.Results)
                {
                    Session listed;
                    if (result.SessionId != null && target.Sessions.TryGetValue(result.SessionId, out listed)) result.SetSession(listed);
                }
                return;
            }
        }

        /// <summary>
        /// Ctrl+C during the disconnect: the outcomes known at that moment are written while
        /// the pipeline still takes them; once it no longer does (PowerShell refuses every
        /// write of a stopping pipeline), they go into $Error as the TargetObject of a
        /// BastionDisconnectStopped record, and a warning straight to the host says so.
        /// </summary>
        private void KeepWhatIsKnown(HostDisconnectOutcome[] outcomes, List<DisconnectTarget> approved, string endpoint)
        {
            var results = new List<DisconnectResult>();
            foreach (HostDisconnectOutcome outcome in outcomes)
            {
                outcome.SetOrigin(endpoint);
                AttachSessions(outcome, approved);
                results.AddRange(outcome.Results);
            }
            if (results.Count == 0) return;
            int written = 0;
            try
            {
                foreach (DisconnectResult result in results) { WriteObject(result); written++; }
                return;
            }
            catch (PipelineStoppedException) { }
            catch (InvalidOperationException) { }
            var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (DisconnectResult result in results) { string state = result.State ?? "NotReported"; int n; counts.TryGetValue(state, out n); counts[state] = n + 1; }
            var parts = new List<string>();
            foreach (KeyValuePair<string, int> pair in counts) parts.Add(pair.Value.ToString(CultureInfo.InvariantCulture) + " " + pair.Key);
            string message = string.Format(CultureInfo.InvariantCulture,
                "Disconnect-BastionSession was stopped: the outcomes of {0} session id(s) were known ({1}) and could not be written to the stopped pipeline. " +
                "They are in $Error: ($Error | Where-Object FullyQualifiedErrorId -like 'BastionDisconnectStopped*')[0].TargetObject",
                results.Count, string.Join(", ", parts.ToArray()));
            var record = new ErrorRecord(new OperationCanceledException(message), "BastionDisconnectStopped", ErrorCategory.OperationStopped, results.ToArray());
            record.CategoryInfo.TargetName = results.Count.ToString(CultureInfo.InvariantCulture) + " results";
            try
            {
                var errors = SessionState.PSVariable.GetValue("Error") as System.Collections.ArrayList;
                if (errors != null) errors.Insert(0, record);
            }
            catch (Exception) { }
            try { if (Host != null && Host.UI != null) Host.UI.WriteWarningLine(message); }
            catch (Exception) { }
        }

        /// <summary>-Force: ShouldProcess still honours -WhatIf, but never prompts.</summary>
        private bool ShouldProcessWithoutPrompt(string target, string action)
        {
            bool whatIf = IsBound("WhatIf") ? ((SwitchParameter)MyInvocation.BoundParameters["WhatIf"]).IsPresent : false;
            if (!IsBound("WhatIf"))
            {
                object preference = GetVariableValue("WhatIfPreference");
                if (preference is PSObject) preference = ((PSObject)preference).BaseObject;
                whatIf = preference is SwitchParameter ? ((SwitchParameter)preference).IsPresent : preference is bool && (bool)preference;
            }
            if (whatIf) return ShouldProcess(target, action);
            return true;
        }

        private void ListAll(EndpointGroup group, List<DisconnectTarget> allTargets, string[] secrets)
        {
            var request = CommonRequest.Create(group.Credential, group.Cloud, TimeoutSec, ThrottleLimit);
            request["hosts"] = allTargets.ConvertAll(t => t.HostRef());
            var byKey = new Dictionary<string, DisconnectTarget>(StringComparer.Ordinal);
            foreach (DisconnectTarget target in allTargets) byKey[target.MatchKey] = target;
            Verbose(() => string.Format(CultureInfo.InvariantCulture,
                "Disconnect-BastionSession -All: listing the current sessions of {0} Bastion host(s) at {1} (from {2}), with credentials from {3}",
                allTargets.Count, group.Cloud.Url, group.Cloud.Source, group.Credential.Source));
            NativeCompletion completion = Calls.Run("bastion_get_sessions", request, "Disconnect-BastionSession: listing sessions", secrets, null);
            if (completion.Error != null)
            {
                ErrorRecord argumentError = ErrorRecords.ArgumentError(completion.Error, _fields, secrets);
                if (argumentError != null) ThrowTerminatingError(argumentError);
                WriteError(ErrorRecords.FromNative(completion.Error, "Disconnect-BastionSession -All: listing sessions", secrets));
                foreach (DisconnectTarget target in allTargets) target.Failed = true;
            }
            foreach (HostSessionsOutcome outcome in completion.HostSessionsOutcomes)
            {
                DisconnectTarget target = null;
                if (outcome.Host != null)
                {
                    if (!string.IsNullOrEmpty(outcome.Host.Id)) byKey.TryGetValue(outcome.Host.Id.ToLowerInvariant(), out target);
                    if (target == null)
                        byKey.TryGetValue(string.Format(CultureInfo.InvariantCulture, "{0}|{1}|{2}", outcome.Host.SubscriptionId, outcome.Host.ResourceGroupName, outcome.Host.Name).ToLowerInvariant(), out target);
                }
                if (target == null && allTargets.Count == 1) target = allTargets[0];
                if (target == null) continue;
                if (!outcome.Ok)
                {
                    WriteError(ErrorRecords.FromNative(outcome.Error, target.Label, secrets));
                    target.Failed = true;
                    continue;
                }
                foreach (Session s in outcome.Sessions)
                {
                    // A listed session without an id cannot be disconnected by id: skip it (and say so).
                    if (string.IsNullOrWhiteSpace(s.SessionId))
                    {
                        WriteWarning(string.Format(CultureInfo.InvariantCulture,
                            "{0} listed a session without a sessionId (user '{1}', target '{2}'); it cannot be disconnected by id and is skipped.", target.Label, s.UserName, s.TargetHostName));
                        continue;
                    }
                    target.Add(s.SessionId, s);
                }
            }
        }
    }
}
