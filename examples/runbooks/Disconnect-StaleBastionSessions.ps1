<#
.SYNOPSIS
    Disconnects Azure Bastion sessions that have been open longer than a limit.

.DESCRIPTION
    Meant for a scheduled Azure Automation runbook (PowerShell 5.1 or 7.x runtime) with the
    BastionSession module imported, running under the Automation account's managed identity.
    It needs no sign-in code: Get-BastionSession and Disconnect-BastionSession find the
    identity themselves through the module's credential chain (IDENTITY_ENDPOINT and
    IDENTITY_HEADER, which Automation sets for every cloud job). On a Hybrid Worker or a
    workstation the same chain uses a service principal from the environment, the Az
    context, or the Azure CLI instead.

    The runbook lists the sessions of every Bastion host in the subscriptions (or in one
    resource group), keeps those older than MaxAge, drops any excluded users or targets, and
    disconnects the rest with one request per Bastion host. It ends with one summary object
    on the output stream: how many sessions were found, how many were stale, the count per
    result state (Disconnected, Failed, NotFound, ...) and the hosts that could not be read
    or disconnected. Errors for single hosts are written to the error stream and do not stop
    the other hosts.

    Run it with -WhatIf first: nothing is disconnected, and the summary shows what would be.

    The identity needs Microsoft.Network/bastionHosts/read,
    .../getactivesessions/action and .../disconnectactivesessions/action on the scope (see
    SECURITY.md for a custom role).

.PARAMETER SubscriptionId
    Subscriptions to sweep. Without it, the module's default applies (the Az context, then
    the AZURE_SUBSCRIPTION_ID environment variable).

.PARAMETER ResourceGroupName
    Only the Bastion hosts in this resource group.

.PARAMETER MaxAge
    Sessions that started longer ago than this are disconnected. A TimeSpan string
    ('08:00:00', '1.00:00:00'), a TimeSpan ((New-TimeSpan -Hours 8)) or a number of minutes
    ('480'). Default: 8 hours. An age under one second is refused before anything is listed:
    it would select every session, and it is what a number cast to [TimeSpan] gives
    ([TimeSpan]8 is 8 ticks, not 8 hours).

.PARAMETER ExcludeUserName
    User names (wildcards allowed) whose sessions are never disconnected, for instance a
    break-glass account.

.PARAMETER ExcludeTargetHostName
    Target machine names (wildcards allowed) whose sessions are never disconnected.

.PARAMETER Environment
    AzureCloud (default), AzureUSGovernment or AzureChinaCloud.

.PARAMETER ArmEndpoint
    An explicit Resource Manager endpoint; overrides Environment.

.PARAMETER ThrottleLimit
    Bastion hosts queried at once.

.PARAMETER TimeoutSec
    Deadline for each module call.

.PARAMETER ReportOnly
    Same as -WhatIf, for places that cannot pass common parameters (the Azure Automation
    portal's Start dialog and schedules show only the runbook's own parameters).

.PARAMETER PassThru
    Also write one result object per disconnected session (before the summary).

.EXAMPLE
    .\Disconnect-StaleBastionSessions.ps1 -SubscriptionId 11111111-2222-3333-4444-555555555555 -MaxAge 12:00:00 -WhatIf

    Shows which sessions older than 12 hours would be disconnected; changes nothing.

.EXAMPLE
    Start-AzAutomationRunbook -AutomationAccountName aa-ops -ResourceGroupName rg-ops `
        -Name Disconnect-StaleBastionSessions -Parameters @{ SubscriptionId = '1111...'; MaxAge = '480' }

    Starts the runbook in Azure Automation, disconnecting sessions older than 8 hours.
#>
[CmdletBinding(SupportsShouldProcess = $true)]
param(
    [string[]] $SubscriptionId,
    [string] $ResourceGroupName,
    [string] $MaxAge = '08:00:00',
    [string[]] $ExcludeUserName,
    [string[]] $ExcludeTargetHostName,
    [ValidateSet('AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud')]
    [string] $Environment,
    [string] $ArmEndpoint,
    [ValidateRange(1, 256)]
    [int] $ThrottleLimit,
    [ValidateRange(1, 86400)]
    [int] $TimeoutSec,
    [switch] $ReportOnly,
    [switch] $PassThru
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

function ConvertTo-MaxAge {
    <#
    Accepts '08:00:00', '1.00:00:00' or a plain number of minutes; returns $null for text
    that is none of them (NaN and out-of-range numbers included).
    #>
    param([string] $Text)
    $minutes = 0.0
    if ([double]::TryParse($Text, [Globalization.NumberStyles]::Float, [Globalization.CultureInfo]::InvariantCulture, [ref] $minutes)) {
        try { return [TimeSpan]::FromMinutes($minutes) } catch { return $null }
    }
    $span = [TimeSpan]::Zero
    if ([TimeSpan]::TryParse($Text, [Globalization.CultureInfo]::InvariantCulture, [ref] $span)) {
        return $span
    }
    return $null
}

function Get-UnderOneSecondProblem {
    <# Why an age under one second was refused, naming the likely slip: a number cast to [TimeSpan]. #>
    param([string] $Text, [TimeSpan] $Age)
    $shown = if ($Age.ToString() -eq $Text) { '' } else { " ($Age)" }
    "is under one second${shown}: it would select every session; a number cast to [TimeSpan] counts ticks, not hours"
}

function New-MaxAgeError {
    <#
    The terminating error for a MaxAge that cannot be meant. It shows the forms that work,
    since the likely cause is a form that did not (a bare number cast to [TimeSpan]).
    #>
    param([string] $Text, [string] $Problem)
    $message = "MaxAge '$Text' $Problem. Give an age of one second or more: '8:00:00' (8 hours), " +
        "'1.00:00:00' (1 day), (New-TimeSpan -Hours 8), or a number of minutes such as '480'. Nothing was listed or disconnected."
    New-Object System.Management.Automation.ErrorRecord (
        (New-Object System.ArgumentException $message),
        'MaxAgeNotUsable',
        [System.Management.Automation.ErrorCategory]::InvalidArgument,
        $Text)
}

function Test-AnyLike {
    <# True when Value matches one of the wildcard Patterns; an empty value matches only ''. #>
    param([AllowEmptyString()] [AllowNull()] [string] $Value, [string[]] $Patterns)
    if (-not $Patterns) { return $false }
    if ($null -eq $Value) { $Value = '' }
    foreach ($pattern in $Patterns) {
        if ($Value -like $pattern) { return $true }
    }
    return $false
}

function Get-ErrorHost {
    <# The Bastion host an ErrorRecord is about, as well as the record tells. #>
    param([System.Management.Automation.ErrorRecord] $Record)
    if ($Record.TargetObject -is [string] -and $Record.TargetObject) { return $Record.TargetObject }
    if ($null -ne $Record.TargetObject) {
        foreach ($name in 'Target', 'BastionResourceId', 'HostResourceId', 'ResourceId', 'Id') {
            $property = $Record.TargetObject.PSObject.Properties[$name]
            if ($property -and $property.Value) { return [string] $property.Value }
        }
    }
    if ($Record.CategoryInfo.TargetName) { return $Record.CategoryInfo.TargetName }
    return '(unknown host)'
}

if ($ReportOnly) { $WhatIfPreference = $true }
# Checked before anything is listed: an age under one second selects every session, so a
# mistyped MaxAge must stop the runbook, not disconnect everyone.
$age = ConvertTo-MaxAge $MaxAge
if ($null -eq $age) {
    $PSCmdlet.ThrowTerminatingError((New-MaxAgeError $MaxAge 'is neither a TimeSpan nor a number of minutes'))
}
if ($age -lt [TimeSpan]::FromSeconds(1)) {
    $PSCmdlet.ThrowTerminatingError((New-MaxAgeError $MaxAge (Get-UnderOneSecondProblem $MaxAge $age)))
}
$started = [DateTime]::UtcNow

# Parameters shared by both cmdlets; only the ones the caller gave are passed on, so the
# module's own defaults (credential chain, endpoint, subscription) stay in charge.
$common = @{}
foreach ($name in 'SubscriptionId', 'Environment', 'ArmEndpoint', 'TimeoutSec') {
    if ($PSBoundParameters.ContainsKey($name)) { $common[$name] = $PSBoundParameters[$name] }
}
$getParameters = @{} + $common
if ($ResourceGroupName) { $getParameters['ResourceGroupName'] = $ResourceGroupName }
if ($PSBoundParameters.ContainsKey('ThrottleLimit')) { $getParameters['ThrottleLimit'] = $ThrottleLimit }

Write-Verbose ("Listing Bastion sessions older than {0} ({1})." -f $age, $(if ($ResourceGroupName) { "resource group $ResourceGroupName" } else { 'whole subscription' }))
$getErrors = $null
$all = @(Get-BastionSession @getParameters -ErrorAction SilentlyContinue -ErrorVariable getErrors)
$hostsFailed = New-Object System.Collections.Generic.List[string]
foreach ($record in @($getErrors)) {
    $hostsFailed.Add((Get-ErrorHost $record))
    # Re-emit as non-terminating so the job log shows why a host was skipped.
    Write-Error -ErrorRecord $record -ErrorAction Continue
}

$stale = @($all | Where-Object {
        $_.Duration -gt $age -and
        -not (Test-AnyLike $_.UserName $ExcludeUserName) -and
        -not (Test-AnyLike $_.TargetHostName $ExcludeTargetHostName)
    })
$excluded = @($all | Where-Object { $_.Duration -gt $age }).Count - $stale.Count
Write-Verbose ("{0} sessions found, {1} older than {2}, {3} of those excluded." -f $all.Count, ($stale.Count + $excluded), $age, $excluded)

$states = [ordered]@{}
$results = @()
if ($stale.Count -gt 0) {
    $disconnectParameters = @{}
    foreach ($name in 'Environment', 'ArmEndpoint', 'TimeoutSec') {
        if ($common.ContainsKey($name)) { $disconnectParameters[$name] = $common[$name] }
    }
    $disconnectErrors = $null
    # -Force skips the module's own prompt (a runbook has nobody to answer it); -WhatIf is
    # passed through explicitly because preference variables do not reach module functions.
    $results = @($stale | Disconnect-BastionSession @disconnectParameters -Force -Confirm:$false `
            -WhatIf:$WhatIfPreference -ErrorAction SilentlyContinue -ErrorVariable disconnectErrors)
    foreach ($record in @($disconnectErrors)) {
        $hostsFailed.Add((Get-ErrorHost $record))
        Write-Error -ErrorRecord $record -ErrorAction Continue
    }
    foreach ($result in $results) {
        $state = [string] $result.State
        if (-not $state) { $state = 'Unknown' }
        if ($states.Contains($state)) { $states[$state]++ } else { $states[$state] = 1 }
    }
}

if ($PassThru) { $results }

$whatIf = [bool] $WhatIfPreference
if ($whatIf -and $stale.Count -gt 0) {
    Write-Verbose "WhatIf: $($stale.Count) sessions would have been disconnected; nothing was changed."
}

# One summary object: Automation shows it in the job output, a caller can read its fields.
$stateText = @($states.Keys | ForEach-Object { '{0}={1}' -f $_, $states[$_] }) -join ', '
[pscustomobject]@{
    PSTypeName       = 'BastionSession.StaleSessionSummary'
    WhatIf           = $whatIf
    MaxAge           = $age
    SessionsFound    = $all.Count
    SessionsStale    = $stale.Count
    SessionsExcluded = $excluded
    WouldDisconnect  = $(if ($whatIf) { $stale.Count } else { 0 })
    States           = $states
    StateSummary     = $(if ($stateText) { $stateText } elseif ($whatIf) { 'none (WhatIf)' } else { 'none' })
    Disconnected     = $(if ($states.Contains('Disconnected')) { $states['Disconnected'] } else { 0 })
    HostsFailed      = @($hostsFailed | Sort-Object -Unique)
    StartedUtc       = $started
    ElapsedSeconds   = [math]::Round(([DateTime]::UtcNow - $started).TotalSeconds, 1)
}
