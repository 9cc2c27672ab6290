function Get-BastionSession {
    <#
    .SYNOPSIS
        Lists the active sessions of Azure Bastion hosts: one host, a resource group, or whole subscriptions.

    .DESCRIPTION
        Get-BastionSession asks each Bastion host for its active sessions (the getActiveSessions
        long-running operation, polled and paged to the end) and writes one
        BastionSession.Session object per session, as soon as that host has answered.

        Hosts are named by resource group and name (ByName), by resource id (ByResourceId, also
        from the pipeline, so Get-AzBastion | Get-BastionSession works), by resource group
        (every host in the group) or by subscription (every host in each subscription: the
        default, so a bare Get-BastionSession lists everything in the current subscription).
        Objects piped in are gathered and queried together in one fan-out, -ThrottleLimit
        hosts at a time.

        -UserName, -TargetHostName, -Protocol and -OlderThan filter the sessions on the client.
        Some sessions have an empty UserName (Entra ID sign-in through the native client):
        -UserName '' selects exactly those.

        Credentials, first match wins: -AccessToken; the Az.Accounts context when that module
        is loaded and signed in (Get-AzAccessToken); the native chain: environment service
        principal, workload identity, managed identity (IDENTITY_ENDPOINT/IDENTITY_HEADER as in
        Azure Automation), Azure CLI, narrowed by AZURE_TOKEN_CREDENTIALS. The subscription,
        when not given: from -ResourceId, the Az context, then AZURE_SUBSCRIPTION_ID.

        A host that fails (not found, forbidden, throttled ...) is a non-terminating error
        carrying ARM's error code, the HTTP status and the request id; the other hosts still
        answer. So is a subscription (or its resource group) whose hosts cannot be listed:
        the hosts of the other subscriptions are still queried. -Verbose tells what is called and why it waits (202 polling, Retry-After);
        -Debug shows each HTTP request (never its Authorization header); many hosts show
        Write-Progress. Ctrl+C stops at once and cancels the requests in flight.

    .PARAMETER ResourceGroupName
        The resource group of the Bastion host(s). With -Name: those hosts; alone: every host in
        the group. Bound by property name, so objects with ResourceGroupName and Name pipe in.

    .PARAMETER Name
        The Bastion host name(s) in -ResourceGroupName. Aliases: BastionName, BastionHostName.
        Bound by property name.

    .PARAMETER SubscriptionId
        The subscription id(s) (GUIDs). Default: the Az.Accounts context's subscription, else
        the AZURE_SUBSCRIPTION_ID environment variable.

    .PARAMETER ResourceId
        Bastion host resource id(s):
        /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Network/bastionHosts/<name>.
        Aliases: Id, BastionResourceId. Bound by property name, so Get-AzBastion output and
        BastionSession.Session objects pipe in.

    .PARAMETER UserName
        Only sessions whose user name matches one of these patterns (wildcards allowed,
        case-insensitive). An empty string matches sessions without a user name.

    .PARAMETER TargetHostName
        Only sessions whose target host name matches one of these patterns (wildcards allowed).

    .PARAMETER Protocol
        Only SSH or only RDP sessions.

    .PARAMETER OlderThan
        Only sessions that have lasted longer than this, e.g. 02:00:00 or (New-TimeSpan -Hours 8).

    .PARAMETER ThrottleLimit
        How many Bastion hosts are queried at once (1-256; default 64).

    .PARAMETER AccessToken
        A bearer token for Azure Resource Manager, as a SecureString or a string (for example
        (Get-AzAccessToken).Token). Never written to any stream.

    .PARAMETER ArmEndpoint
        The Azure Resource Manager endpoint, e.g. https://management.azure.com. Beats
        -Environment. Plain HTTP is accepted only for loopback addresses (the emulator).

    .PARAMETER Environment
        AzureCloud, AzureUSGovernment or AzureChinaCloud; with Az.Accounts loaded, also any
        environment Get-AzEnvironment knows (Azure Stack Hub, one added by Add-AzEnvironment).
        Without -ArmEndpoint and -Environment the cloud is the Az.Accounts context's (its
        ResourceManagerUrl) when that context is the credential, else AzureCloud. Each session
        records its endpoint (ArmEndpoint), so a piped Disconnect-BastionSession goes to the same cloud.

    .PARAMETER TimeoutSec
        Overall deadline for the whole call, in seconds (1-86400; default 300).

    .EXAMPLE
        Get-BastionSession -ResourceGroupName rg-network -Name bastion-hub

        Lists the sessions of one Bastion host in the current subscription.

    .EXAMPLE
        Get-BastionSession -SubscriptionId $prod, $dev -UserName '*@contoso.com' -OlderThan 1:00:00

        Every Bastion host in two subscriptions: sessions of contoso.com users open for more than an hour.

    .EXAMPLE
        Get-AzBastion | Get-BastionSession | Format-Table UserName, TargetHostName, Duration, BastionName

        Pipes Az.Network's Bastion objects in (bound by their Id) and queries them all in one fan-out.

    .EXAMPLE
        Get-BastionSession -ResourceGroupName rg-network -Name bastion-hub |
            Where-Object { $_.Duration -gt '02:00:00' } |
            Disconnect-BastionSession -WhatIf

        Shows which sessions longer than two hours would be disconnected, without disconnecting anything.

    .EXAMPLE
        Get-BastionSession -ResourceGroupName rg-network -UserName '' -Protocol RDP

        RDP sessions without a user name (Entra ID sign-in through the native client) on every host in the group.

    .EXAMPLE
        # Azure Automation runbook (PowerShell 5.1 or 7.x) with the account's managed identity
        Disable-AzContextAutosave -Scope Process | Out-Null
        Connect-AzAccount -Identity | Out-Null
        $token = (Get-AzAccessToken -ResourceUrl 'https://management.azure.com/').Token
        Get-BastionSession -SubscriptionId $env:AZURE_SUBSCRIPTION_ID -AccessToken $token -OlderThan 8:00:00 |
            Disconnect-BastionSession -Force -AccessToken $token

        A nightly runbook that ends every session older than eight hours. Without Az.Accounts,
        the native chain uses the runbook's managed identity (IDENTITY_ENDPOINT/IDENTITY_HEADER) by itself.

    .INPUTS
        System.String (ResourceId, ResourceGroupName, Name by property name); objects such as
        Get-AzBastion output (Id, Name, ResourceGroupName) and BastionSession.Session (BastionResourceId).

    .OUTPUTS
        BastionSession.Session

    .NOTES
        Tab completion of -ResourceGroupName and -Name lists the hosts of the subscription named
        by -SubscriptionId (or the default subscription) with the same credentials, with a
        10-second deadline; it needs a credential that works without prompting.

    .LINK
        Disconnect-BastionSession

    .LINK
        https://learn.microsoft.com/rest/api/virtualnetwork/bastion-hosts/get-active-sessions
    #>
    [CmdletBinding(DefaultParameterSetName = 'BySubscription')]
    [OutputType('BastionSession.Session')]
    # Names and ids are bound as they are and checked by the native library's one set of rules
    # (ffi/CONTRACT.md, "Names and ids"); its refusal is shown as this parameter's error.
    param(
        # Also in ByResourceId (not mandatory, ignored there): objects such as Get-AzBastion's
        # carry Id, Name and ResourceGroupName at once, and must resolve to ByResourceId.
        [Parameter(Mandatory = $true, ParameterSetName = 'ByName', ValueFromPipelineByPropertyName = $true)]
        [Parameter(Mandatory = $true, ParameterSetName = 'ByResourceGroup', ValueFromPipelineByPropertyName = $true)]
        [Parameter(ParameterSetName = 'ByResourceId', ValueFromPipelineByPropertyName = $true, DontShow = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $ResourceGroupName,

        [Parameter(Mandatory = $true, ParameterSetName = 'ByName', ValueFromPipelineByPropertyName = $true)]
        [Parameter(ParameterSetName = 'ByResourceId', ValueFromPipelineByPropertyName = $true, DontShow = $true)]
        [Alias('BastionName', 'BastionHostName')]
        [ValidateNotNullOrEmpty()]
        [string[]] $Name,

        [Parameter(ParameterSetName = 'ByName')]
        [Parameter(ParameterSetName = 'ByResourceGroup')]
        [Parameter(ParameterSetName = 'BySubscription')]
        [ValidateNotNullOrEmpty()]
        [string[]] $SubscriptionId,

        [Parameter(Mandatory = $true, ParameterSetName = 'ByResourceId', ValueFromPipelineByPropertyName = $true)]
        [Alias('Id', 'BastionResourceId')]
        [ValidateNotNullOrEmpty()]
        [string[]] $ResourceId,

        [AllowEmptyString()]
        [string[]] $UserName,

        [ValidateNotNullOrEmpty()]
        [string[]] $TargetHostName,

        [ValidateSet('SSH', 'RDP')]
        [string] $Protocol,

        [ValidateScript({ if ($_ -lt [TimeSpan]::Zero) { throw 'OlderThan must not be negative.' }; $true })]
        [TimeSpan] $OlderThan,

        [ValidateRange(1, 256)]
        [int] $ThrottleLimit,

        [ValidateScript({ if (-not ($_ -is [System.Security.SecureString] -or $_ -is [string])) { throw 'AccessToken must be a SecureString or a string.' }; $true })]
        [object] $AccessToken,

        [ValidateScript({ if (-not $_.IsAbsoluteUri -or ($_.Scheme -ne 'https' -and $_.Scheme -ne 'http')) { throw 'ArmEndpoint must be an absolute http(s) URI.' }; $true })]
        [uri] $ArmEndpoint,

        [ValidateNotNullOrEmpty()]
        [ValidateScript({ Import-BastionPrivate; Assert-BastionEnvironmentName $_ })]
        [string] $Environment,

        [ValidateRange(1, 86400)]
        [int] $TimeoutSec
    )

    begin {
        if ($PSBoundParameters.ContainsKey('Debug') -and $DebugPreference -eq 'Inquire') { $DebugPreference = 'Continue' }
        # The private functions and the native library load on first use, not at import: a
        # missing or mismatched library stops here.
        try { Import-BastionPrivate; Initialize-BastionNative } catch { $PSCmdlet.ThrowTerminatingError($_) }
        $hostRefs = [System.Collections.Generic.List[object]]::new()
        $pendingNames = [System.Collections.Generic.List[object]]::new()
        $groupScopes = [System.Collections.Generic.List[string]]::new()
        $seenHosts = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
        $subscriptionScope = $false
        # Request field -> parameter, to show the native library's refusal of a value as the
        # refusal of the parameter it came from.
        $argumentFields = @{ resourceId = 'ResourceId'; resourceGroupName = 'ResourceGroupName'; name = 'Name' }
        if ($PSBoundParameters.ContainsKey('SubscriptionId')) { $argumentFields['subscriptionId'] = 'SubscriptionId'; $argumentFields['subscriptionIds'] = 'SubscriptionId' }
    }

    process {
        switch ($PSCmdlet.ParameterSetName) {
            'ByResourceId' {
                # As given: the native library checks each id and queries a host named twice once.
                foreach ($id in $ResourceId) {
                    if ($seenHosts.Add($id)) { $hostRefs.Add(@{ resourceId = $id }) }
                }
            }
            'ByName' {
                $pendingNames.Add([pscustomobject]@{ ResourceGroupName = $ResourceGroupName; Name = @($Name); SubscriptionId = $SubscriptionId })
            }
            'ByResourceGroup' {
                if (-not $groupScopes.Contains($ResourceGroupName)) { $groupScopes.Add($ResourceGroupName) }
            }
            'BySubscription' { $subscriptionScope = $true }
        }
    }

    end {
        # The rest of the work, in Private/ (read on first need, not at import).
        Invoke-BastionSessionListing -Cmdlet $PSCmdlet -BoundParameters $PSBoundParameters -HostRefs $hostRefs -PendingNames $pendingNames -GroupScopes $groupScopes -SubscriptionScope $subscriptionScope -ArgumentFields $argumentFields
    }
}
