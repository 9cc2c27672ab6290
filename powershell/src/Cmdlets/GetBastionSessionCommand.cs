// Get-BastionSession: gathers the hosts named by the pipeline (resource ids, names, groups,
// whole subscriptions), then lists their sessions in one native call per way of naming
// hosts, writing each page of matching sessions as soon as the library read it.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using BastionSession.Completion;
using BastionSession.Validation;

namespace BastionSession.Cmdlets
{
    /// <summary>Lists the active sessions of Azure Bastion hosts: one host, a resource group, or whole subscriptions.</summary>
    [Cmdlet(VerbsCommon.Get, "BastionSession", DefaultParameterSetName = BySubscription)]
    [OutputType(typeof(Session))]
    public sealed class GetBastionSessionCommand : BastionCmdlet
    {
        private const string ByName = "ByName", ByResourceGroup = "ByResourceGroup", BySubscription = "BySubscription", ByResourceId = "ByResourceId";

        /// <summary>
        /// The resource group of the Bastion host(s). Also in ByResourceId (optional, ignored
        /// there): objects such as Get-AzBastion's carry Id, Name and ResourceGroupName at
        /// once, and bind more parameters there than in ByName, so they resolve to
        /// ByResourceId. Not DontShow: that would hide it from tab completion in every set.
        /// Not mandatory in ByName, so -Name alone resolves to ByName and gets a clear error
        /// (ProcessRecord) instead of a prompt.
        /// </summary>
        [Parameter(ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = ByResourceGroup, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = ByResourceId, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ResourceNameCompleter))]
        public string ResourceGroupName { get; set; }

        /// <summary>The Bastion host name(s) in -ResourceGroupName (also in ByResourceId, ignored there: see ResourceGroupName).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByName, ValueFromPipelineByPropertyName = true)]
        [Parameter(ParameterSetName = ByResourceId, ValueFromPipelineByPropertyName = true)]
        [Alias("BastionName", "BastionHostName")]
        [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(ResourceNameCompleter))]
        public string[] Name { get; set; }

        /// <summary>The subscription id(s). Default: the Az.Accounts context's, else AZURE_SUBSCRIPTION_ID.</summary>
        [Parameter(ParameterSetName = ByName)]
        [Parameter(ParameterSetName = ByResourceGroup)]
        [Parameter(ParameterSetName = BySubscription)]
        [ValidateNotNullOrEmpty]
        public string[] SubscriptionId { get; set; }

        /// <summary>Bastion host resource id(s); bound by property name, so Get-AzBastion output pipes in.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ByResourceId, ValueFromPipelineByPropertyName = true)]
        [Alias("Id", "BastionResourceId")]
        [ValidateNotNullOrEmpty]
        public string[] ResourceId { get; set; }

        /// <summary>Only sessions whose user name matches one of these patterns (wildcards; '' matches sessions without a user name).</summary>
        [Parameter]
        [AllowEmptyString]
        public string[] UserName { get; set; }

        /// <summary>Only sessions whose target host name matches one of these patterns (wildcards).</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string[] TargetHostName { get; set; }

        /// <summary>Only SSH or only RDP sessions.</summary>
        [Parameter]
        [ValidateSet("SSH", "RDP")]
        public string Protocol { get; set; }

        /// <summary>Only sessions that have lasted longer than this: 8:00:00, (New-TimeSpan -Hours 8) or '8h'; a bare number or anything under one second is refused.</summary>
        [Parameter]
        [DurationTransformation]
        [ValidateDuration]
        public TimeSpan OlderThan { get; set; }

        /// <summary>The Azure Resource Manager endpoint; beats -Environment. Plain HTTP only for loopback addresses.</summary>
        [Parameter]
        [ValidateArmEndpoint]
        public Uri ArmEndpoint { get; set; }

        private readonly List<Dictionary<string, object>> _hostRefs = new List<Dictionary<string, object>>();
        private readonly HashSet<string> _seenHosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private readonly List<PendingNames> _pendingNames = new List<PendingNames>();
        private readonly List<string> _groupScopes = new List<string>();
        private bool _subscriptionScope;
        // For the closing verbose line.
        private int _hostCount, _sessionCount, _errorCount;

        private void WriteCountedError(ErrorRecord record) { _errorCount++; WriteError(record); }

        private sealed class PendingNames
        {
            public string ResourceGroupName;
            public string[] Names;
            public string[] SubscriptionIds;
        }

        /// <summary>Gathers the hosts named by this pipeline input.</summary>
        protected override void ProcessRecord()
        {
            switch (ParameterSetName)
            {
                case ByResourceId:
                    // As given: the native library checks each id and queries a host named twice once.
                    foreach (string id in ResourceId)
                        if (_seenHosts.Add(id)) _hostRefs.Add(new Dictionary<string, object> { { "resourceId", id } });
                    break;
                case ByName:
                    // A host name is unique only within its group: a clear error, not a guess.
                    if (string.IsNullOrEmpty(ResourceGroupName))
                        ThrowTerminatingError(new ErrorRecord(
                            new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                                "-Name {0} needs -ResourceGroupName: a Bastion host's name is unique only within its resource group. " +
                                "Add -ResourceGroupName (Tab completes it), pass -ResourceId, or list every host's sessions with Get-BastionSession alone.",
                                string.Join(", ", Name))),
                            "BastionResourceGroupNameRequired", ErrorCategory.InvalidArgument, "ResourceGroupName"));
                    _pendingNames.Add(new PendingNames { ResourceGroupName = ResourceGroupName, Names = Name, SubscriptionIds = SubscriptionId });
                    break;
                case ByResourceGroup:
                    if (!_groupScopes.Contains(ResourceGroupName)) _groupScopes.Add(ResourceGroupName);
                    break;
                default:
                    _subscriptionScope = true;
                    break;
            }
        }

        /// <summary>Resolves cloud, credential and subscriptions, and lists the sessions.</summary>
        protected override void EndProcessing()
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Cloud cloud;
            ResolvedCredential credential;
            string[] subscriptions = new string[0];
            try
            {
                cloud = Clouds.Resolve(IsBound("ArmEndpoint") ? ArmEndpoint : null, IsBound("Environment") ? Environment : null, IsBound("AccessToken"), Az);
                Verbose(() => string.Format(CultureInfo.InvariantCulture, "Get-BastionSession: Resource Manager endpoint {0}, from {1}", cloud.Url, cloud.Source));
                credential = ResolveCredential(cloud.Url);
                if (_pendingNames.Count > 0 || _groupScopes.Count > 0 || _subscriptionScope)
                    subscriptions = Subscriptions.Resolve(IsBound("SubscriptionId") ? SubscriptionId : null, credential.SubscriptionId);
            }
            catch (CmdletErrorException e) { Terminate(e); return; }
            string[] secrets = credential.Secrets;

            foreach (PendingNames pending in _pendingNames)
                foreach (string sub in pending.SubscriptionIds ?? subscriptions)
                    foreach (string hostName in pending.Names)
                        _hostRefs.Add(new Dictionary<string, object> { { "subscriptionId", sub }, { "resourceGroupName", pending.ResourceGroupName }, { "name", hostName } });

            // One native call per way of naming hosts (the contract takes hosts or one scope).
            var calls = new List<KeyValuePair<string, object>>();
            var texts = new List<string>();
            string subscriptionList = string.Join(", ", subscriptions);
            if (_hostRefs.Count > 0)
            {
                calls.Add(new KeyValuePair<string, object>("hosts", _hostRefs.ToArray()));
                texts.Add(string.Format(CultureInfo.InvariantCulture, "{0} Bastion host(s)", _hostRefs.Count));
            }
            foreach (string group in _groupScopes)
            {
                calls.Add(new KeyValuePair<string, object>("scope", new Dictionary<string, object> { { "subscriptionIds", subscriptions }, { "resourceGroupName", group } }));
                texts.Add(string.Format(CultureInfo.InvariantCulture, "every Bastion host in resource group '{0}' of subscription(s) {1}", group, subscriptionList));
            }
            if (_subscriptionScope)
            {
                calls.Add(new KeyValuePair<string, object>("scope", new Dictionary<string, object> { { "subscriptionIds", subscriptions } }));
                texts.Add(string.Format(CultureInfo.InvariantCulture, "every Bastion host in subscription(s) {0}", subscriptionList));
            }

            // The client-side filters, built once, applied per page in compiled code.
            var filter = new SessionFilter(
                IsBound("UserName") ? SessionFilter.Patterns(UserName) : null,
                IsBound("TargetHostName") ? SessionFilter.Patterns(TargetHostName) : null,
                IsBound("Protocol") ? Protocol : null,
                IsBound("OlderThan") ? (TimeSpan?)OlderThan : null);

            // Request field -> parameter, to show the library's refusal of a value as the parameter's.
            var fields = new Dictionary<string, string> { { "resourceId", "ResourceId" }, { "resourceGroupName", "ResourceGroupName" }, { "name", "Name" } };
            if (IsBound("SubscriptionId")) { fields["subscriptionId"] = "SubscriptionId"; fields["subscriptionIds"] = "SubscriptionId"; }

            for (int i = 0; i < calls.Count; i++)
                List(calls[i], texts[i], cloud, credential, secrets, filter, fields);
            Verbose(() => string.Format(CultureInfo.InvariantCulture, "Get-BastionSession: {0} Bastion host(s), {1} session(s), {2} error(s), in {3:0.0} s",
                _hostCount, _sessionCount, _errorCount, clock.Elapsed.TotalSeconds));
        }

        private void List(KeyValuePair<string, object> call, string text, Cloud cloud, ResolvedCredential credential, string[] secrets, SessionFilter filter, Dictionary<string, string> fields)
        {
            var request = CommonRequest.Create(credential, cloud, TimeoutSec, ThrottleLimit);
            request[call.Key] = call.Value;
            request["streamResults"] = true;
            Verbose(() => string.Format(CultureInfo.InvariantCulture, "Get-BastionSession: calling bastion_get_sessions (getActiveSessions) for {0} at {1}, with credentials from {2}", text, cloud.Url, credential.Source));
            var reported = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            NativeCompletion completion = Calls.Run("bastion_get_sessions", request, "Get-BastionSession: listing Bastion sessions", secrets, outcome =>
            {
                outcome.SetOrigin(cloud.Url, credential.Kind);
                if (outcome.Host != null && !string.IsNullOrEmpty(outcome.Host.Id)) reported.Add(outcome.Host.Id);
                if (!outcome.Ok)
                {
                    WriteCountedError(ErrorRecords.FromNative(outcome.Error, HostLabel(outcome.Host), secrets));
                    return;
                }
                // A page of a host's sessions as soon as the library read it, or the host's
                // final status (no sessions): out before the host's next page is read.
                Session[] selected = filter.Select(outcome.Sessions);
                _sessionCount += selected.Length;
                WriteObject(selected, true);
            });
            _hostCount += completion.HostSessionsOutcomes.Length;
            foreach (HostSessionsOutcome outcome in completion.HostSessionsOutcomes)
            {
                if (outcome.Host != null && !string.IsNullOrEmpty(outcome.Host.Id) && reported.Contains(outcome.Host.Id)) continue;
                // Hosts the timeout or Ctrl+C cut short are covered by the call's own error below.
                if (completion.Error != null && outcome.Error != null && outcome.Error.Kind == completion.Error.Kind) continue;
                if (!outcome.Ok && outcome.Error != null) WriteCountedError(ErrorRecords.FromNative(outcome.Error, HostLabel(outcome.Host), secrets));
            }
            if (completion.Error != null)
            {
                ErrorRecord argumentError = ErrorRecords.ArgumentError(completion.Error, fields, secrets);
                if (argumentError != null) ThrowTerminatingError(argumentError);
            }
            // A scope: one non-terminating error per subscription (or its resource group) that
            // could not be listed; the hosts of the others were queried all the same.
            var messages = new HashSet<string>(StringComparer.Ordinal);
            foreach (SubscriptionHostsOutcome subscription in completion.Subscriptions)
            {
                if (subscription == null || subscription.Ok || subscription.Error == null) continue;
                messages.Add(subscription.Error.Message ?? string.Empty);
                WriteCountedError(ErrorRecords.FromNative(subscription.Error, "Get-BastionSession for " + subscription.Label, secrets));
            }
            // When no subscription answered, the call's error is the first of theirs: said once.
            if (completion.Error != null && !messages.Contains(completion.Error.Message ?? string.Empty))
                WriteCountedError(ErrorRecords.FromNative(completion.Error, "Get-BastionSession for " + text, secrets));
        }

        private static string HostLabel(BastionHostInfo host)
        {
            return host == null ? "Bastion host" : string.Format(CultureInfo.InvariantCulture, "Bastion host '{0}' ({1})", host.Name, host.ResourceGroupName);
        }
    }
}
