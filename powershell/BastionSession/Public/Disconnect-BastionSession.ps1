function Disconnect-BastionSession {
    <#
    .SYNOPSIS
        Disconnects Azure Bastion sessions, one request per Bastion host.

    .DESCRIPTION
        Disconnect-BastionSession ends active Bastion sessions by id. The ids and the host come
        from the pipeline (BastionSession.Session objects from Get-BastionSession bind by their
        SessionId and BastionResourceId properties) or from -SessionId with -BastionResourceId,
        or with -ResourceGroupName, -Name and -SubscriptionId.

        Everything piped in is gathered per Bastion host and sent when the pipeline ends: one
        disconnectActiveSessions request per host (chunked at 1000 ids), not one per session.
        Each request goes to the Resource Manager endpoint the sessions were listed from (their
        ArmEndpoint property), so sessions from Azure Government or Azure Stack Hub are
        disconnected there; hosts are grouped by endpoint as well as by host.
        Confirmation is asked once per host, naming the host and the number of sessions
        (ConfirmImpact is High, so PowerShell asks by default); -Force or -Confirm:$false skips
        the prompt, -WhatIf sends nothing.

        Without -SessionId the command refuses, unless -All is given: then it lists the host's
        current sessions and disconnects every one of them. "All sessions" is never a default.

        One BastionSession.DisconnectResult is written per session id, with ARM's state
        (Disconnected, Failed, NotFound ...). A session that is already gone is a NotFound
        result, not an error. A host that fails as a whole (not found, forbidden ...) is a
        non-terminating error with ARM's error code, the HTTP status and the request id.

    .PARAMETER SessionId
        The session id(s) to disconnect. Bound by property name from BastionSession.Session.

    .PARAMETER BastionResourceId
        The Bastion host's resource id. Bound by property name from BastionSession.Session.

    .PARAMETER ResourceGroupName
        The Bastion host's resource group (with -Name).

    .PARAMETER Name
        The Bastion host's name (with -ResourceGroupName). Aliases: BastionName, BastionHostName.

    .PARAMETER SubscriptionId
        The Bastion host's subscription (with -ResourceGroupName and -Name). Default: the
        Az.Accounts context's subscription, else AZURE_SUBSCRIPTION_ID.

    .PARAMETER All
        Disconnect every current session of the named host(s). Required when no -SessionId is given.

    .PARAMETER Force
        Do not ask for confirmation.

    .PARAMETER ThrottleLimit
        How many Bastion hosts are worked on at once (1-256; default 64).

    .PARAMETER AccessToken
        A bearer token for Azure Resource Manager, as a SecureString or a string. Never written to any stream.
        Sessions that Get-BastionSession listed with -AccessToken need it here too: without it the
        command stops before sending anything and says so (the sessions record how they were
        listed, in CredentialSource, never the token).

    .PARAMETER ArmEndpoint
        The Azure Resource Manager endpoint. Beats -Environment. Plain HTTP only for loopback addresses.
        Bound by property name from the pipeline: BastionSession.Session objects carry the endpoint
        they were listed from, and hosts are grouped by endpoint as well as by host, so the
        disconnect goes to the same cloud. Given on the command line, it wins over the piped
        objects' endpoint, with a warning when the two differ.

    .PARAMETER Environment
        AzureCloud, AzureUSGovernment or AzureChinaCloud; with Az.Accounts loaded, also any
        environment Get-AzEnvironment knows. Given on the command line, it wins over the piped
        objects' endpoint, with a warning when the two differ. With neither this nor -ArmEndpoint
        nor a piped endpoint, the cloud is the Az.Accounts context's when that context is the
        credential, else AzureCloud.

    .PARAMETER TimeoutSec
        Overall deadline for the whole call, in seconds (1-86400; default 300).

    .PARAMETER WhatIf
        Shows which hosts and how many sessions would be disconnected; sends nothing.

    .PARAMETER Confirm
        Asks before each host (the default, since ConfirmImpact is High).

    .EXAMPLE
        Get-BastionSession -ResourceGroupName rg-network -Name bastion-hub | Disconnect-BastionSession -Force

        Disconnects every session of one host: one disconnect request, no prompt.

    .EXAMPLE
        Get-BastionSession -ResourceGroupName rg-network -Name bastion-hub |
            Where-Object { $_.Duration -gt '02:00:00' } |
            Disconnect-BastionSession -WhatIf

        Shows what would be disconnected (sessions longer than two hours) and sends nothing.

    .EXAMPLE
        Disconnect-BastionSession -ResourceGroupName rg-network -Name bastion-hub -SessionId 1f0c2a7e-9d7b-4a55-8f3a-0d6a3c1f2b9e

        Disconnects one session by id, after asking for confirmation.

    .EXAMPLE
        $token = (Get-AzAccessToken -ResourceUrl https://management.usgovcloudapi.net).Token
        Get-BastionSession -Environment AzureUSGovernment -AccessToken $token -OlderThan 08:00:00 |
            Disconnect-BastionSession -AccessToken $token -Force

        Lists and disconnects in Azure Government: the sessions carry their endpoint, so the
        disconnect needs no -Environment; it does need the token again (the sessions never hold it).

    .EXAMPLE
        Disconnect-BastionSession -BastionResourceId $bastion.Id -All -Confirm:$false

        Disconnects every current session of the host, without a prompt.

    .EXAMPLE
        Get-BastionSession -SubscriptionId $sub -UserName 'mallory@contoso.com' |
            Disconnect-BastionSession -Force |
            Where-Object State -ne 'Disconnected'

        Ends one user's sessions on every host of the subscription and shows any that did not end.

    .EXAMPLE
        # Azure Automation runbook: nightly clean-up with the account's managed identity
        Connect-AzAccount -Identity | Out-Null
        Get-BastionSession -SubscriptionId $env:AZURE_SUBSCRIPTION_ID -OlderThan 12:00:00 |
            Disconnect-BastionSession -Force |
            Group-Object State | Select-Object Name, Count

        Ends sessions open longer than twelve hours on every host and reports a count per state.

    .INPUTS
        BastionSession.Session, or any object with SessionId and BastionResourceId properties (and
        optionally ArmEndpoint).

    .OUTPUTS
        BastionSession.DisconnectResult

    .LINK
        Get-BastionSession

    .LINK
        https://learn.microsoft.com/rest/api/virtualnetwork/disconnect-active-sessions
    #>
    [CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'High', DefaultParameterSetName = 'ByResourceId')]
    [OutputType('BastionSession.DisconnectResult')]
    param(
        [Parameter(ParameterSetName = 'ByResourceId', ValueFromPipelineByPropertyName = $true)]
        [Parameter(ParameterSetName = 'ByName', ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string[]] $SessionId,

        # Names and ids are bound as they are and checked by the native library's one set of
        # rules (ffi/CONTRACT.md, "Names and ids"), once per distinct host, before any
        # confirmation; its refusal is shown as this parameter's error.
        [Parameter(Mandatory = $true, ParameterSetName = 'ByResourceId', ValueFromPipelineByPropertyName = $true)]
        [ValidateNotNullOrEmpty()]
        [string] $BastionResourceId,

        [Parameter(Mandatory = $true, ParameterSetName = 'ByName')]
        [ValidateNotNullOrEmpty()]
        [string] $ResourceGroupName,

        [Parameter(Mandatory = $true, ParameterSetName = 'ByName')]
        [Alias('BastionName', 'BastionHostName')]
        [ValidateNotNullOrEmpty()]
        [string] $Name,

        [Parameter(ParameterSetName = 'ByName')]
        [ValidateNotNullOrEmpty()]
        [string] $SubscriptionId,

        [switch] $All,

        [switch] $Force,

        [ValidateRange(1, 256)]
        [int] $ThrottleLimit,

        [ValidateScript({ if (-not ($_ -is [System.Security.SecureString] -or $_ -is [string])) { throw 'AccessToken must be a SecureString or a string.' }; $true })]
        [object] $AccessToken,

        # Bound by property name from BastionSession.Session, so a piped disconnect goes to the
        # cloud the sessions were listed from; given on the command line it wins (with a warning).
        [Parameter(ValueFromPipelineByPropertyName = $true)]
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
        if ($Force -and -not $PSBoundParameters.ContainsKey('Confirm')) { $ConfirmPreference = 'None' }
        # -ArmEndpoint/-Environment on the command line (bound before the pipeline starts) win
        # over the endpoint the piped sessions carry.
        $explicitCloud = $null
        if ($PSBoundParameters.ContainsKey('ArmEndpoint') -or $PSBoundParameters.ContainsKey('Environment')) {
            try {
                $explicitCloud = Resolve-BastionCloud -ArmEndpoint $ArmEndpoint -Environment $Environment
            } catch {
                $PSCmdlet.ThrowTerminatingError($_)
            }
        }
        $hasAccessToken = $PSBoundParameters.ContainsKey('AccessToken')
        $warnedEndpoints = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::OrdinalIgnoreCase)
        # endpoint + host key -> @{ Endpoint ('' = the default cloud); Ref; Ids (ordered, unique); All }
        $targets = [System.Collections.Specialized.OrderedDictionary]::new([System.StringComparer]::OrdinalIgnoreCase)
        # Request field -> parameter, to show the native library's refusal of a value as the
        # refusal of the parameter it came from.
        $argumentFields = @{ hostResourceId = 'BastionResourceId'; resourceId = 'BastionResourceId'; resourceGroupName = 'ResourceGroupName'; name = 'Name'; sessionIds = 'SessionId' }
        if ($PSBoundParameters.ContainsKey('SubscriptionId')) { $argumentFields['subscriptionId'] = 'SubscriptionId' }
    }

    process {
        # Where and how the piped object was listed (its ArmEndpoint and CredentialSource; never a token).
        # Read only when it can matter (no -AccessToken, or an explicit cloud to compare with),
        # so the usual `... | Disconnect-BastionSession -AccessToken $t` pays nothing per object.
        $pipedEndpoint = $null; $pipedCredentialSource = $null
        if ($PSCmdlet.MyInvocation.ExpectingInput -and $null -ne $_ -and (-not $hasAccessToken -or $null -ne $explicitCloud)) {
            $item = $_
            if ($item -is [BastionSession.Session]) {
                $pipedEndpoint = $item.ArmEndpoint; $pipedCredentialSource = $item.CredentialSource
            } else {
                $property = $item.PSObject.Properties['ArmEndpoint']
                if ($null -ne $property) { $pipedEndpoint = [string]$property.Value }
                $property = $item.PSObject.Properties['CredentialSource']
                if ($null -ne $property) { $pipedCredentialSource = [string]$property.Value }
            }
            if ([string]::IsNullOrEmpty($pipedEndpoint)) { $pipedEndpoint = $null } else { $pipedEndpoint = $pipedEndpoint.TrimEnd('/') }
        }
        if ($pipedCredentialSource -eq 'AccessToken' -and -not $hasAccessToken) {
            $message = 'These sessions were listed with -AccessToken, and Disconnect-BastionSession was given none: pass -AccessToken to Disconnect-BastionSession as well (... | Disconnect-BastionSession -AccessToken $token). Nothing was sent.'
            $PSCmdlet.ThrowTerminatingError((New-BastionErrorRecord -Message $message -ErrorId 'BastionAccessTokenRequired' -Category AuthenticationError -TargetObject 'AccessToken'))
        }
        $hasIds = $null -ne $SessionId -and @($SessionId).Count -gt 0
        if (-not $hasIds -and -not $All) {
            $PSCmdlet.ThrowTerminatingError((New-BastionErrorRecord -Message 'No -SessionId given: pass the session ids to disconnect (or pipe Get-BastionSession), or -All to disconnect every session of the host.' -ErrorId 'BastionSessionIdRequired' -Category InvalidArgument -TargetObject 'SessionId'))
        }
        if ($hasIds -and $All) {
            $PSCmdlet.ThrowTerminatingError((New-BastionErrorRecord -Message '-All disconnects every session of the host; do not combine it with -SessionId.' -ErrorId 'BastionAllWithSessionId' -Category InvalidArgument -TargetObject 'All'))
        }
        if ($null -ne $explicitCloud) {
            $endpointKey = $explicitCloud.Url
            if ($null -ne $pipedEndpoint -and -not [string]::Equals($pipedEndpoint, $explicitCloud.Url, [System.StringComparison]::OrdinalIgnoreCase) -and $warnedEndpoints.Add($pipedEndpoint)) {
                $PSCmdlet.WriteWarning(("Sessions piped in were listed from {0}, but -ArmEndpoint/-Environment says {1}: disconnecting them at {1}." -f $pipedEndpoint, $explicitCloud.Url))
            }
        } elseif ($null -ne $ArmEndpoint) {
            # Bound from the pipeline by property name (BastionSession.Session.ArmEndpoint).
            $endpointKey = $ArmEndpoint.OriginalString.TrimEnd('/')
        } else {
            $endpointKey = ''
        }
        if ($PSCmdlet.ParameterSetName -eq 'ByResourceId') {
            $hostKey = $BastionResourceId.Trim().TrimEnd('/')
        } else {
            $hostKey = 'byname|{0}|{1}|{2}' -f $SubscriptionId, $ResourceGroupName, $Name
        }
        $key = $endpointKey + '|' + $hostKey
        $entry = $targets[$key]
        if ($null -eq $entry) {
            if ($PSCmdlet.ParameterSetName -eq 'ByResourceId') {
                $ref = @{ ResourceId = $hostKey; SubscriptionId = $null; ResourceGroupName = $null; Name = $null }
            } else {
                $ref = @{ ResourceId = $null; SubscriptionId = $SubscriptionId; ResourceGroupName = $ResourceGroupName; Name = $Name }
            }
            $entry = @{ Endpoint = $endpointKey; Ref = $ref; Ids = [System.Collections.Generic.List[string]]::new(); Seen = [System.Collections.Generic.HashSet[string]]::new(); All = $false }
            $targets[$key] = $entry
        }
        if ($All) { $entry.All = $true }
        if ($hasIds) {
            foreach ($id in $SessionId) { if ($entry.Seen.Add($id)) { $entry.Ids.Add($id) } }
        }
    }

    end {
        # The rest of the work, in Private/ (read on first need, not at import).
        Invoke-BastionSessionDisconnect -Cmdlet $PSCmdlet -BoundParameters $PSBoundParameters -Targets $targets -ExplicitCloud $explicitCloud -ArgumentFields $argumentFields
    }
}
