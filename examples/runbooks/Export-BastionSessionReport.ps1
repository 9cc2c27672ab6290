<#
.SYNOPSIS
    Reports the active Azure Bastion sessions per user and Bastion host, as CSV.

.DESCRIPTION
    Meant for an Azure Automation runbook (PowerShell 5.1 or 7.x runtime) with the
    BastionSession module imported, under the Automation account's managed identity, or
    for any shell where the module can find a credential (Az context, service principal in
    the environment, Azure CLI). It only reads: the identity needs
    Microsoft.Network/bastionHosts/read and .../getactivesessions/action.

    One row per (user, Bastion host) with: how many sessions, how many SSH and RDP, the
    distinct targets, the oldest start time and the longest and total duration. With
    -Detail, one row per session instead. Sessions opened through the native client with
    an Entra ID sign-in have no user name; they are reported with an empty UserName.

    The CSV text goes to the output stream (the job output in Automation) and, with -Path,
    to a file as well. -AsObject writes the row objects instead of CSV text, for further
    processing in a pipeline.

.PARAMETER SubscriptionId
    Subscriptions to report on. Without it, the module's default applies (the Az context,
    then AZURE_SUBSCRIPTION_ID).

.PARAMETER ResourceGroupName
    Only the Bastion hosts in this resource group.

.PARAMETER MinAge
    Only sessions older than this (TimeSpan string such as '02:00:00', a TimeSpan, or a
    number of minutes). Default: all. An age under one second is refused before anything
    is listed: it is what a number cast to [TimeSpan] gives ([TimeSpan]2 is 2 ticks).

.PARAMETER Path
    Also write the CSV to this file (UTF-8). The folder must exist.

.PARAMETER Detail
    One row per session instead of one per user and host.

.PARAMETER AsObject
    Write row objects instead of CSV text to the output stream.

.PARAMETER Quiet
    Write nothing to the output stream (use with -Path).

.PARAMETER Environment
    AzureCloud (default), AzureUSGovernment or AzureChinaCloud.

.PARAMETER ArmEndpoint
    An explicit Resource Manager endpoint; overrides Environment.

.PARAMETER ThrottleLimit
    Bastion hosts queried at once.

.PARAMETER TimeoutSec
    Deadline for the module call.

.EXAMPLE
    .\Export-BastionSessionReport.ps1 -SubscriptionId 11111111-2222-3333-4444-555555555555 -Path ./sessions.csv -Quiet

.EXAMPLE
    .\Export-BastionSessionReport.ps1 -AsObject | Sort-Object Sessions -Descending | Format-Table
#>
[CmdletBinding()]
param(
    [string[]] $SubscriptionId,
    [string] $ResourceGroupName,
    [string] $MinAge,
    [string] $Path,
    [switch] $Detail,
    [switch] $AsObject,
    [switch] $Quiet,
    [ValidateSet('AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud')]
    [string] $Environment,
    [string] $ArmEndpoint,
    [ValidateRange(1, 256)]
    [int] $ThrottleLimit,
    [ValidateRange(1, 86400)]
    [int] $TimeoutSec
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

function ConvertTo-Age {
    <#
    Accepts '02:00:00', '1.00:00:00' or a plain number of minutes; returns $null for text
    that is none of them (NaN and out-of-range numbers included).
    #>
    param([string] $Text)
    $minutes = 0.0
    if ([double]::TryParse($Text, [Globalization.NumberStyles]::Float, [Globalization.CultureInfo]::InvariantCulture, [ref] $minutes)) {
        try { return [TimeSpan]::FromMinutes($minutes) } catch { return $null }
    }
    $span = [TimeSpan]::Zero
    if ([TimeSpan]::TryParse($Text, [Globalization.CultureInfo]::InvariantCulture, [ref] $span)) { return $span }
    return $null
}

function Get-UnderOneSecondProblem {
    <# Why an age under one second was refused, naming the likely slip: a number cast to [TimeSpan]. #>
    param([string] $Text, [TimeSpan] $Age)
    $shown = if ($Age.ToString() -eq $Text) { '' } else { " ($Age)" }
    "is under one second$shown; a number cast to [TimeSpan] counts ticks, not hours"
}

function New-MinAgeError {
    <# The terminating error for a MinAge that cannot be meant, showing the forms that work. #>
    param([string] $Text, [string] $Problem)
    $message = "MinAge '$Text' $Problem. Give an age of one second or more: '2:00:00' (2 hours), " +
        "'1.00:00:00' (1 day), (New-TimeSpan -Hours 2), or a number of minutes such as '120'. Nothing was listed."
    New-Object System.Management.Automation.ErrorRecord (
        (New-Object System.ArgumentException $message),
        'MinAgeNotUsable',
        [System.Management.Automation.ErrorCategory]::InvalidArgument,
        $Text)
}

function Format-Utc {
    param($Value)
    if ($null -eq $Value) { return '' }
    # StartTime is a DateTimeOffset; [DateTimeOffset] also takes a DateTime, honouring its Kind.
    return ([DateTimeOffset] $Value).UtcDateTime.ToString('yyyy-MM-ddTHH:mm:ssZ', [Globalization.CultureInfo]::InvariantCulture)
}

function Format-Minutes {
    param($Span)
    if ($null -eq $Span) { return '' }
    return [math]::Round(([TimeSpan] $Span).TotalMinutes, 1)
}

$parameters = @{}
foreach ($name in 'SubscriptionId', 'ResourceGroupName', 'Environment', 'ArmEndpoint', 'ThrottleLimit', 'TimeoutSec') {
    if ($PSBoundParameters.ContainsKey($name)) { $parameters[$name] = $PSBoundParameters[$name] }
}
if ($MinAge) {
    # Checked before anything is listed, like the disconnect runbook's MaxAge: an age under
    # one second is a mistyped one (it would report every session as old).
    $age = ConvertTo-Age $MinAge
    if ($null -eq $age) {
        $PSCmdlet.ThrowTerminatingError((New-MinAgeError $MinAge 'is neither a TimeSpan nor a number of minutes'))
    }
    if ($age -lt [TimeSpan]::FromSeconds(1)) {
        $PSCmdlet.ThrowTerminatingError((New-MinAgeError $MinAge (Get-UnderOneSecondProblem $MinAge $age)))
    }
    $parameters['OlderThan'] = $age
}

# Host failures are non-terminating in the module: they reach the error stream and the
# report covers the hosts that answered.
$sessions = @(Get-BastionSession @parameters -ErrorAction Continue)
Write-Verbose "$($sessions.Count) sessions read."

if ($Detail) {
    $rows = @($sessions | Sort-Object BastionName, UserName, StartTime | ForEach-Object {
            [pscustomobject]@{
                BastionSubscriptionId    = $_.BastionSubscriptionId
                BastionResourceGroupName = $_.BastionResourceGroupName
                BastionName              = $_.BastionName
                UserName                 = [string] $_.UserName
                TargetHostName           = $_.TargetHostName
                TargetIpAddress          = $_.TargetIpAddress
                ResourceType             = $_.ResourceType
                Protocol                 = $_.Protocol
                StartTimeUtc             = Format-Utc $_.StartTime
                DurationMinutes          = Format-Minutes $_.Duration
                SessionId                = $_.SessionId
                TargetResourceId         = $_.TargetResourceId
            }
        })
} else {
    # Group on the Bastion resource id so that equal host names in different resource
    # groups stay apart; an empty user name is a group of its own.
    $groups = $sessions | Group-Object -Property { '{0}|{1}' -f $_.BastionResourceId, [string] $_.UserName }
    $rows = @($groups | ForEach-Object {
            $items = @($_.Group)
            $first = $items[0]
            $durations = @($items | Where-Object { $null -ne $_.Duration } | ForEach-Object { [TimeSpan] $_.Duration })
            $longest = $null
            $total = [TimeSpan]::Zero
            foreach ($d in $durations) {
                $total += $d
                if ($null -eq $longest -or $d -gt $longest) { $longest = $d }
            }
            $starts = @($items | Where-Object { $null -ne $_.StartTime } | ForEach-Object { [DateTimeOffset] $_.StartTime } | Sort-Object)
            [pscustomobject]@{
                BastionSubscriptionId    = $first.BastionSubscriptionId
                BastionResourceGroupName = $first.BastionResourceGroupName
                BastionName              = $first.BastionName
                UserName                 = [string] $first.UserName
                Sessions                 = $items.Count
                SSH                      = @($items | Where-Object { $_.Protocol -eq 'SSH' }).Count
                RDP                      = @($items | Where-Object { $_.Protocol -eq 'RDP' }).Count
                Targets                  = (@($items | ForEach-Object { [string] $_.TargetHostName } | Sort-Object -Unique) -join ';')
                OldestStartUtc           = $(if ($starts.Count) { Format-Utc $starts[0] } else { '' })
                LongestMinutes           = Format-Minutes $longest
                TotalMinutes             = $(if ($durations.Count) { Format-Minutes $total } else { '' })
            }
        } | Sort-Object BastionSubscriptionId, BastionResourceGroupName, BastionName, UserName)
}

if ($Path) {
    # Export-Csv writes nothing at all for zero rows; a header-only file is more useful.
    if ($rows.Count -gt 0) {
        $rows | Export-Csv -LiteralPath $Path -NoTypeInformation -Encoding UTF8
    } else {
        $header = if ($Detail) {
            'BastionSubscriptionId,BastionResourceGroupName,BastionName,UserName,TargetHostName,TargetIpAddress,ResourceType,Protocol,StartTimeUtc,DurationMinutes,SessionId,TargetResourceId'
        } else {
            'BastionSubscriptionId,BastionResourceGroupName,BastionName,UserName,Sessions,SSH,RDP,Targets,OldestStartUtc,LongestMinutes,TotalMinutes'
        }
        Set-Content -LiteralPath $Path -Value $header -Encoding UTF8
    }
    Write-Verbose "Wrote $($rows.Count) rows to $Path."
}

if (-not $Quiet) {
    if ($AsObject) { $rows } else { $rows | ConvertTo-Csv -NoTypeInformation }
}
