<#
    Disconnect-BastionSession's end block, as a function of its own: the built module's .psm1
    holds the cmdlet's help, parameters and first blocks, and this file is read on first need
    with the rest of Private/ (Import-BastionPrivate), so Import-Module parses less.
#>

function Invoke-BastionSessionDisconnect {
    <#
    .SYNOPSIS
        Disconnects the sessions Disconnect-BastionSession gathered, writing each result
        through -Cmdlet.
    .DESCRIPTION
        Groups the targets by Resource Manager endpoint (each with its own credential); for
        -All, lists the hosts' current sessions first; has the library check every host
        before any confirmation; asks ShouldProcess once per host; then makes one native call
        per endpoint for the approved hosts and writes a DisconnectResult per session id.
        Output, errors and ShouldProcess go through the cmdlet; -Verbose, -WhatIf and -Force's
        ConfirmPreference reach here through its preference variables.
    #>
    param(
        # Disconnect-BastionSession's $PSCmdlet.
        [Parameter(Mandatory = $true)] [System.Management.Automation.PSCmdlet] $Cmdlet,
        # Its $PSBoundParameters: the credential and limit parameters.
        [Parameter(Mandatory = $true)] [System.Collections.Generic.IDictionary[string, object]] $BoundParameters,
        # endpoint + host key -> @{ Endpoint; Ref; Ids; Seen; All }, as the process block gathered them.
        [System.Collections.Specialized.OrderedDictionary] $Targets,
        # The cloud of -ArmEndpoint/-Environment, if either was given.
        [object] $ExplicitCloud,
        # Request field -> parameter name, for the library's refusal of an argument.
        [hashtable] $ArgumentFields
    )
    # The cmdlet's parameters as bound (one not given is $null, as it was in the cmdlet).
    $AccessToken = $BoundParameters['AccessToken']
    $TimeoutSec = $BoundParameters['TimeoutSec']
    $ThrottleLimit = $BoundParameters['ThrottleLimit']
    if ($targets.Count -eq 0) { return }
    # One group per Resource Manager endpoint: each has its own credential (the token audience
    # follows the endpoint) and its own native calls.
    $groups = [System.Collections.Specialized.OrderedDictionary]::new([System.StringComparer]::OrdinalIgnoreCase)
    try {
        $defaultCloud = $null
        foreach ($entry in $targets.Values) {
            if ($null -ne $explicitCloud) {
                $cloud = $explicitCloud
            } elseif ($entry.Endpoint) {
                $cloud = @{ Url = $entry.Endpoint; ArmEndpoint = [uri]$entry.Endpoint; Environment = $null; Source = 'the sessions piped in (their ArmEndpoint)' }
            } else {
                if ($null -eq $defaultCloud) { $defaultCloud = Resolve-BastionCloud -AccessToken $AccessToken }
                $cloud = $defaultCloud
            }
            $group = $groups[$cloud.Url]
            if ($null -eq $group) {
                $group = @{ Cloud = $cloud; Entries = [System.Collections.Generic.List[object]]::new(); Auth = $null }
                $groups[$cloud.Url] = $group
            }
            $group.Entries.Add($entry)
        }
        $defaultSubscription = $null
        foreach ($group in $groups.Values) {
            $group.Auth = Resolve-BastionCredential -AccessToken $AccessToken -ArmEndpoint $group.Cloud.Url
            foreach ($entry in $group.Entries) {
                if ($null -eq $entry.Ref.ResourceId) {
                    if (-not $entry.Ref.SubscriptionId) {
                        if ($null -eq $defaultSubscription) { $defaultSubscription = [string]@(Resolve-BastionSubscriptionId -ContextSubscriptionId $group.Auth.SubscriptionId)[0] }
                        $entry.Ref.SubscriptionId = $defaultSubscription
                    }
                }
                # The host's name for people: a resource id's last segment (display only; the
                # native library checks the id).
                # LastIndexOf([char]): the string overload compares by culture, which took
                # minutes under wine for a 100,000-character id (refused later by the core).
                $entry.Label = if ($null -ne $entry.Ref.ResourceId) { "Bastion host '{0}' ({1})" -f $entry.Ref.ResourceId.Substring($entry.Ref.ResourceId.LastIndexOf([char]'/') + 1), $entry.Ref.ResourceId } else { "Bastion host '{0}' in resource group '{1}' (subscription {2})" -f $entry.Ref.Name, $entry.Ref.ResourceGroupName, $entry.Ref.SubscriptionId }
                $entry.Host = if ($null -ne $entry.Ref.ResourceId) { @{ resourceId = $entry.Ref.ResourceId } } else { @{ subscriptionId = $entry.Ref.SubscriptionId; resourceGroupName = $entry.Ref.ResourceGroupName; name = $entry.Ref.Name } }
            }
        }
    } catch {
        $Cmdlet.ThrowTerminatingError($_)
    }

    foreach ($group in $groups.Values) {
        $auth = $group.Auth
        $endpoint = $group.Cloud.Url
        $secrets = @($auth.Secret)
        $where = if ($groups.Count -gt 1) { ' at {0}' -f $endpoint } else { '' }

        # -All: list the current sessions of those hosts first (one call for all of them).
        $allEntries = @($group.Entries | Where-Object { $_.All })
        if ($allEntries.Count -gt 0) {
            $request = [BastionSession.CommonRequest]::Create($auth.Credential, $group.Cloud.ArmEndpoint, $group.Cloud.Environment, $TimeoutSec, $ThrottleLimit)
            $request['hosts'] = @(foreach ($entry in $allEntries) { $entry.Host })
            # Each answer back to its entry: by the resource id given, else by the three parts
            # given (compared case-insensitively, as ARM does).
            $byKey = @{}
            foreach ($entry in $allEntries) {
                $key = if ($null -ne $entry.Ref.ResourceId) { $entry.Ref.ResourceId } else { '{0}|{1}|{2}' -f $entry.Ref.SubscriptionId, $entry.Ref.ResourceGroupName, $entry.Ref.Name }
                $byKey[$key.ToLowerInvariant()] = $entry
            }
            Write-BastionVerbose ("Disconnect-BastionSession -All: listing the current sessions of {0} Bastion host(s) at {1} (from {2}), with credentials from {3}" -f $allEntries.Count, $endpoint, $group.Cloud.Source, $auth.Source)
            # The last object is the completion (ForEach-Object rather than Select-Object -Last 1:
            # no cmdlet of Microsoft.PowerShell.Utility, which a fresh session would load first).
            $completion = $null
            Invoke-BastionNative -Function 'bastion_get_sessions' -Request $request -Activity 'Disconnect-BastionSession: listing sessions' -Secret $secrets |
                ForEach-Object { if ($_ -isnot [BastionSession.HostSessionsOutcome]) { $completion = $_ } }
            if ($null -ne $completion.Error) {
                $argumentError = ConvertTo-BastionArgumentError -BastionError $completion.Error -Parameter $argumentFields -Secret $secrets
                if ($null -ne $argumentError) { $Cmdlet.ThrowTerminatingError($argumentError) }
                $Cmdlet.WriteError((New-BastionErrorRecord -BastionError $completion.Error -Context 'Disconnect-BastionSession -All: listing sessions' -Secret $secrets))
                foreach ($entry in $allEntries) { $entry.Failed = $true }
            }
            foreach ($hostResult in $completion.HostSessionsOutcomes) {
                $entry = $null
                if ($null -ne $hostResult.Host) {
                    if ($hostResult.Host.Id) { $entry = $byKey[$hostResult.Host.Id.ToLowerInvariant()] }
                    if ($null -eq $entry) { $entry = $byKey[('{0}|{1}|{2}' -f $hostResult.Host.SubscriptionId, $hostResult.Host.ResourceGroupName, $hostResult.Host.Name).ToLowerInvariant()] }
                }
                if ($null -eq $entry -and $allEntries.Count -eq 1) { $entry = $allEntries[0] }
                if ($null -eq $entry) { continue }
                if (-not $hostResult.Ok) {
                    $Cmdlet.WriteError((New-BastionErrorRecord -BastionError $hostResult.Error -Context $entry.Label -Secret $secrets))
                    $entry.Failed = $true
                    continue
                }
                foreach ($s in $hostResult.Sessions) {
                    # A listed session without an id cannot be disconnected by id: skip it
                    # (and say so) rather than fail the request of every host.
                    if ([string]::IsNullOrWhiteSpace($s.SessionId)) {
                        Write-Warning ("{0} listed a session without a sessionId (user '{1}', target '{2}'); it cannot be disconnected by id and is skipped." -f $entry.Label, $s.UserName, $s.TargetHostName)
                        continue
                    }
                    if ($entry.Seen.Add($s.SessionId)) { $entry.Ids.Add($s.SessionId) }
                }
            }
        }

        # A bad name or id is refused before any confirmation, as a parameter's would be: the
        # native library checks the targets (validateOnly: nothing is sent). One id per host
        # is enough for that; the ids themselves are only checked to be non-empty.
        $toCheck = @(foreach ($entry in $group.Entries) { if (-not ($entry.ContainsKey('Failed') -and $entry.Failed) -and $entry.Ids.Count -gt 0) { $entry } })
        if ($toCheck.Count -gt 0) {
            $check = [BastionSession.CommonRequest]::Create($auth.Credential, $group.Cloud.ArmEndpoint, $group.Cloud.Environment, $TimeoutSec, $ThrottleLimit)
            $check['validateOnly'] = $true
            $check['targets'] = @(foreach ($entry in $toCheck) {
                    $target = if ($null -ne $entry.Ref.ResourceId) { @{ hostResourceId = $entry.Ref.ResourceId } } else { $entry.Host.Clone() }
                    $target['sessionIds'] = @($entry.Ids[0])
                    $target
                })
            $checked = $null
            Invoke-BastionNative -Function 'bastion_disconnect_sessions' -Request $check -Secret $secrets | ForEach-Object { $checked = $_ }
            if ($null -ne $checked.Error) {
                $argumentError = ConvertTo-BastionArgumentError -BastionError $checked.Error -Parameter $argumentFields -Secret $secrets
                if ($null -ne $argumentError) { $Cmdlet.ThrowTerminatingError($argumentError) }
                $Cmdlet.WriteError((New-BastionErrorRecord -BastionError $checked.Error -Context ('Disconnect-BastionSession{0}' -f $where) -Secret $secrets))
                continue
            }
        }

        # One confirmation per host, then one native call for every approved host of this endpoint.
        $approved = [System.Collections.Generic.List[object]]::new()
        foreach ($entry in $group.Entries) {
            if ($entry.ContainsKey('Failed') -and $entry.Failed) { continue }
            $hostLabel = $entry.Label + $where
            if ($entry.Ids.Count -eq 0) {
                Write-BastionVerbose ("{0} has no sessions to disconnect" -f $hostLabel)
                continue
            }
            $what = if ($entry.All) { 'all {0} current session(s)' -f $entry.Ids.Count } else { '{0} session(s)' -f $entry.Ids.Count }
            if ($Cmdlet.ShouldProcess($hostLabel, ('Disconnect {0}' -f $what))) {
                $approved.Add($entry)
            }
        }
        if ($approved.Count -eq 0) { continue }

        $request = [BastionSession.CommonRequest]::Create($auth.Credential, $group.Cloud.ArmEndpoint, $group.Cloud.Environment, $TimeoutSec, $ThrottleLimit)
        $request['targets'] = @(foreach ($entry in $approved) {
                $target = if ($null -ne $entry.Ref.ResourceId) { @{ hostResourceId = $entry.Ref.ResourceId } } else { $entry.Host.Clone() }
                $target['sessionIds'] = $entry.Ids.ToArray()
                $target
            })
        $sessionCount = 0; foreach ($entry in $approved) { $sessionCount += $entry.Ids.Count }
        Write-BastionVerbose ("Disconnect-BastionSession: calling bastion_disconnect_sessions (disconnectActiveSessions) for {0} session(s) on {1} Bastion host(s) at {2} (from {3}), with credentials from {4}" -f $sessionCount, $approved.Count, $endpoint, $group.Cloud.Source, $auth.Source)
        $completion = $null
        Invoke-BastionNative -Function 'bastion_disconnect_sessions' -Request $request -Activity 'Disconnect-BastionSession' -Secret $secrets |
            ForEach-Object { $completion = $_ }
        $interruptedKind = if ($null -ne $completion.Error) { $completion.Error.Kind } else { $null }
        foreach ($hostResult in $completion.HostDisconnectOutcomes) {
            $hostResult.SetOrigin($endpoint)
            if ($hostResult.Ok) {
                $hostResult.Results
                continue
            }
            # A host cut short, or failing after some of its chunks were applied, still
            # accounts for every id (Disconnected ..., Failed, Unknown, NotAttempted).
            $cutShort = $null -ne $interruptedKind -and $null -ne $hostResult.Error -and $hostResult.Error.Kind -eq $interruptedKind
            $applied = @($hostResult.Results | Where-Object { $_.State -ne 'Failed' -and $_.State -ne 'NotAttempted' }).Count -gt 0
            if ($cutShort -or $applied) { $hostResult.Results }
            if (-not $cutShort) {
                $Cmdlet.WriteError((New-BastionErrorRecord -BastionError $hostResult.Error -Context ("Bastion host '{0}'" -f $hostResult.HostName) -Secret $secrets))
            }
        }
        if ($null -ne $completion.Error) {
            $argumentError = ConvertTo-BastionArgumentError -BastionError $completion.Error -Parameter $argumentFields -Secret $secrets
            if ($null -ne $argumentError) { $Cmdlet.ThrowTerminatingError($argumentError) }
            $Cmdlet.WriteError((New-BastionErrorRecord -BastionError $completion.Error -Context ('Disconnect-BastionSession{0}' -f $where) -Secret $secrets))
        }
    }
}
