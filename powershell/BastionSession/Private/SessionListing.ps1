<#
    Get-BastionSession's end block, as a function of its own: the built module's .psm1 holds
    the cmdlet's help, parameters and first blocks, and this file is read on first need with
    the rest of Private/ (Import-BastionPrivate), so Import-Module parses less.
#>

function Invoke-BastionSessionListing {
    <#
    .SYNOPSIS
        Lists the sessions Get-BastionSession was asked for and writes them through -Cmdlet.
    .DESCRIPTION
        Resolves the cloud, the credential and the subscriptions; makes one native call per
        way of naming hosts (the hosts named, each resource group, the whole subscriptions);
        writes each page of matching sessions as it arrives, and each host's, subscription's
        or call's error as a non-terminating error (an argument the library refuses is
        terminating, as the parameter's own). Output and errors go through the cmdlet;
        -Verbose reaches here through its preference variables.
    #>
    param(
        # Get-BastionSession's $PSCmdlet.
        [Parameter(Mandatory = $true)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        # Its $PSBoundParameters: the cloud, credential, subscription, filter and limit parameters.
        [Parameter(Mandatory = $true)] [System.Collections.Generic.IDictionary[string, object]] $BoundParameters,
        # Hosts named by resource id: @{ resourceId } each.
        [System.Collections.Generic.List[object]] $HostRefs,
        # Hosts named by resource group and name: one object per pipeline input.
        [System.Collections.Generic.List[object]] $PendingNames,
        # Resource groups whose every host is listed.
        [System.Collections.Generic.List[string]] $GroupScopes,
        # Every host of the subscriptions.
        [bool] $SubscriptionScope,
        # Request field -> parameter name, for the library's refusal of an argument.
        [hashtable] $ArgumentFields
    )
    # The cmdlet's parameters as bound (one not given is $null, as it was in the cmdlet).
    $ArmEndpoint = $BoundParameters['ArmEndpoint']
    $Environment = $BoundParameters['Environment']
    $AccessToken = $BoundParameters['AccessToken']
    $SubscriptionId = $BoundParameters['SubscriptionId']
    $UserName = $BoundParameters['UserName']
    $TargetHostName = $BoundParameters['TargetHostName']
    $Protocol = $BoundParameters['Protocol']
    $OlderThan = $BoundParameters['OlderThan']
    $TimeoutSec = $BoundParameters['TimeoutSec']
    $ThrottleLimit = $BoundParameters['ThrottleLimit']
    try {
        $cloud = Resolve-BastionCloud -ArmEndpoint $ArmEndpoint -Environment $Environment -AccessToken $AccessToken
        $endpoint = $cloud.Url
        Write-BastionVerbose ("Get-BastionSession: Resource Manager endpoint {0}, from {1}" -f $endpoint, $cloud.Source)
        $auth = Resolve-BastionCredential -AccessToken $AccessToken -ArmEndpoint $endpoint
        $subscriptions = @()
        if ($pendingNames.Count -gt 0 -or $groupScopes.Count -gt 0 -or $subscriptionScope) {
            $subscriptions = Resolve-BastionSubscriptionId -SubscriptionId $SubscriptionId -ContextSubscriptionId $auth.SubscriptionId
        }
    } catch {
        $Cmdlet.ThrowTerminatingError($_)
    }
    $secrets = @($auth.Secret)
    foreach ($pending in $pendingNames) {
        $subs = if ($pending.SubscriptionId) { $pending.SubscriptionId } else { $subscriptions }
        foreach ($sub in $subs) {
            foreach ($hostName in $pending.Name) {
                $hostRefs.Add(@{ subscriptionId = $sub; resourceGroupName = $pending.ResourceGroupName; name = $hostName })
            }
        }
    }

    # One native call per way of naming hosts (the contract takes hosts or one scope).
    $calls = [System.Collections.Generic.List[object]]::new()
    if ($hostRefs.Count -gt 0) {
        $calls.Add(@{ Key = 'hosts'; Value = $hostRefs.ToArray(); Text = ('{0} Bastion host(s)' -f $hostRefs.Count) })
    }
    foreach ($group in $groupScopes) {
        $calls.Add(@{ Key = 'scope'; Value = @{ subscriptionIds = @($subscriptions); resourceGroupName = $group }; Text = ("every Bastion host in resource group '{0}' of subscription(s) {1}" -f $group, ($subscriptions -join ', ')) })
    }
    if ($subscriptionScope) {
        $calls.Add(@{ Key = 'scope'; Value = @{ subscriptionIds = @($subscriptions) }; Text = ('every Bastion host in subscription(s) {0}' -f ($subscriptions -join ', ')) })
    }

    # Client-side filters, built once and applied to each host's sessions by the shim
    # (compiled code, once per host: no script statement runs per session).
    # The patterns are PowerShell's own WildcardPattern, so the wildcards mean what they
    # mean everywhere in PowerShell.
    $wildcardOptions = [System.Management.Automation.WildcardOptions]::IgnoreCase
    $userPatterns = $null
    if ($BoundParameters.ContainsKey('UserName')) { $userPatterns = [object[]]@(foreach ($u in $UserName) { [System.Management.Automation.WildcardPattern]::new([string]$u, $wildcardOptions) }) }
    $targetPatterns = $null
    if ($BoundParameters.ContainsKey('TargetHostName')) { $targetPatterns = [object[]]@(foreach ($t in $TargetHostName) { [System.Management.Automation.WildcardPattern]::new([string]$t, $wildcardOptions) }) }
    $protocolFilter = if ($BoundParameters.ContainsKey('Protocol')) { $Protocol } else { $null }
    $ageFilter = if ($BoundParameters.ContainsKey('OlderThan')) { [System.Nullable[TimeSpan]]$OlderThan } else { $null }
    $filter = [BastionSession.SessionFilter]::new($userPatterns, $targetPatterns, $protocolFilter, $ageFilter)

    foreach ($call in $calls) {
        $request = [BastionSession.CommonRequest]::Create($auth.Credential, $cloud.ArmEndpoint, $cloud.Environment, $TimeoutSec, $ThrottleLimit)
        $request[$call.Key] = $call.Value
        $request['streamResults'] = $true
        Write-BastionVerbose ("Get-BastionSession: calling bastion_get_sessions (getActiveSessions) for {0} at {1}, with credentials from {2}" -f $call.Text, $endpoint, $auth.Source)
        $reported = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
        $completion = $null
        Invoke-BastionNative -Function 'bastion_get_sessions' -Request $request -Activity 'Get-BastionSession: listing Bastion sessions' -Secret $secrets | ForEach-Object {
            if ($_ -isnot [BastionSession.HostSessionsOutcome]) { $completion = $_; return }
            $hostOutcome = $_
            $hostOutcome.SetOrigin($endpoint, $auth.Kind)
            if ($null -ne $hostOutcome.Host -and $hostOutcome.Host.Id) { [void]$reported.Add($hostOutcome.Host.Id) }
            if (-not $hostOutcome.Ok) {
                $hostLabel = if ($null -ne $hostOutcome.Host) { "Bastion host '{0}' ({1})" -f $hostOutcome.Host.Name, $hostOutcome.Host.ResourceGroupName } else { 'Bastion host' }
                $Cmdlet.WriteError((New-BastionErrorRecord -BastionError $hostOutcome.Error -Context $hostLabel -Secret $secrets))
                return
            }
            # A page of a host's sessions (hostSessionsPage) as soon as the library read it,
            # or the host's final status (hostResult, no sessions). One call writes the
            # page's matching sessions, enumerated by the cmdlet machinery rather than by a
            # script loop; they are out before the host's next page is read.
            $Cmdlet.WriteObject($filter.Select($hostOutcome.Sessions), $true)
        }
        if ($null -eq $completion) { continue }
        foreach ($hostOutcome in $completion.HostSessionsOutcomes) {
            if ($null -ne $hostOutcome.Host -and $hostOutcome.Host.Id -and $reported.Contains($hostOutcome.Host.Id)) { continue }
            # Hosts the timeout or Ctrl+C cut short are covered by the call's own error below.
            if ($null -ne $completion.Error -and $null -ne $hostOutcome.Error -and $hostOutcome.Error.Kind -eq $completion.Error.Kind) { continue }
            if (-not $hostOutcome.Ok -and $null -ne $hostOutcome.Error) {
                $hostLabel = if ($null -ne $hostOutcome.Host) { "Bastion host '{0}' ({1})" -f $hostOutcome.Host.Name, $hostOutcome.Host.ResourceGroupName } else { 'Bastion host' }
                $Cmdlet.WriteError((New-BastionErrorRecord -BastionError $hostOutcome.Error -Context $hostLabel -Secret $secrets))
            }
        }
        if ($null -ne $completion.Error) {
            $argumentError = ConvertTo-BastionArgumentError -BastionError $completion.Error -Parameter $argumentFields -Secret $secrets
            if ($null -ne $argumentError) { $Cmdlet.ThrowTerminatingError($argumentError) }
        }
        # A scope: one non-terminating error per subscription (or its resource group) that
        # could not be listed; the hosts of the others were queried all the same.
        $subscriptionMessages = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::Ordinal)
        foreach ($subscription in @($completion.Subscriptions)) {
            if ($null -eq $subscription -or $subscription.Ok -or $null -eq $subscription.Error) { continue }
            [void]$subscriptionMessages.Add([string]$subscription.Error.Message)
            $Cmdlet.WriteError((New-BastionErrorRecord -BastionError $subscription.Error -Context ('Get-BastionSession for {0}' -f $subscription.Label) -Secret $secrets))
        }
        # When no subscription answered, the call's error is the first of theirs: said once.
        if ($null -ne $completion.Error -and -not $subscriptionMessages.Contains([string]$completion.Error.Message)) {
            $Cmdlet.WriteError((New-BastionErrorRecord -BastionError $completion.Error -Context ('Get-BastionSession for {0}' -f $call.Text) -Secret $secrets))
        }
    }
}
