<#
.SYNOPSIS
    Baseline: lists the active sessions of every Bastion host in a subscription the way an
    admin writes it today, with Invoke-WebRequest and a foreach loop.

.DESCRIPTION
    This is the script the BastionSession module is measured against. It is written plainly
    and fairly, as a competent admin would write it from the REST API documentation, not as
    a strawman:

      1. list the Bastion hosts of the subscription with the ARM list API
         (GET /subscriptions/{s}/providers/Microsoft.Network/bastionHosts), following nextLink;
      2. foreach host, one after the other:
           POST .../getActiveSessions; while the answer is 202, wait for the Retry-After it
           sends (Start-Sleep), then GET the Location header it returned (POST again only
           when no Location came back, as users of this API describe doing);
         then read the sessions (a {value,nextLink} page, or a bare array, which ARM is known
         to return) and follow nextLink;
      3. 429 and 5xx answers are retried after their Retry-After (or 2 s), a few times.

    No parallelism (ForEach-Object -Parallel, jobs, runspaces): that is what people write.
    $ProgressPreference is silenced because Invoke-WebRequest's progress bar costs time and
    every experienced PowerShell user turns it off in scripts like this one.

    The benchmark harness (benches/run-benchmarks.ps1) runs it against bastion-emulator on
    127.0.0.1 only.

.PARAMETER ArmEndpoint
    e.g. http://127.0.0.1:41234 (the emulator) or https://management.azure.com.

.PARAMETER SubscriptionId
    The subscription whose Bastion hosts are listed.

.PARAMETER AccessToken
    A bearer token for ARM.

.PARAMETER MaxHosts
    Stop after this many hosts (0: all). The harness uses it for runs it extrapolates.

.PARAMETER ApiVersion
    Microsoft.Network api-version.

.OUTPUTS
    One PSCustomObject per session: SessionId, UserName, TargetHostName, Protocol,
    StartTime, BastionName, BastionResourceId.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ArmEndpoint,
    [Parameter(Mandatory)] [string] $SubscriptionId,
    [Parameter(Mandatory)] [string] $AccessToken,
    [int] $MaxHosts = 0,
    [string] $ApiVersion = '2025-07-01'
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$base = $ArmEndpoint.TrimEnd('/')
$headers = @{ Authorization = "Bearer $AccessToken" }

function Invoke-Arm {
    # One ARM call; retries 429/5xx after Retry-After (or 2 s), up to 5 times.
    param([string] $Method, [string] $Uri)
    for ($attempt = 0; ; $attempt++) {
        $response = Invoke-WebRequest -Method $Method -Uri $Uri -Headers $headers -SkipHttpErrorCheck
        $status = [int] $response.StatusCode
        if (($status -eq 429 -or $status -ge 500) -and $attempt -lt 5) {
            $wait = 2
            if ($response.Headers['Retry-After']) { $wait = [int] ($response.Headers['Retry-After'] | Select-Object -First 1) }
            Start-Sleep -Seconds $wait
            continue
        }
        if ($status -ge 400) { throw "$Method $Uri failed: HTTP $status $($response.Content)" }
        return $response
    }
}

function Resolve-Uri([string] $uri) {
    if ($uri -match '^https?://') { return $uri }
    return $base + $uri
}

# 1. the hosts
$bastions = [System.Collections.Generic.List[object]]::new()
$uri = "$base/subscriptions/$SubscriptionId/providers/Microsoft.Network/bastionHosts?api-version=$ApiVersion"
while ($uri) {
    $page = (Invoke-Arm GET $uri).Content | ConvertFrom-Json
    foreach ($b in $page.value) { $bastions.Add($b) }
    $uri = if ($page.PSObject.Properties['nextLink'] -and $page.nextLink) { Resolve-Uri $page.nextLink } else { $null }
}
if ($MaxHosts -gt 0 -and $bastions.Count -gt $MaxHosts) { $bastions = $bastions.GetRange(0, $MaxHosts) }

# 2. the sessions, host after host
foreach ($bastion in $bastions) {
    $postUri = "$base$($bastion.id)/getActiveSessions?api-version=$ApiVersion"
    $response = Invoke-Arm POST $postUri
    while ([int] $response.StatusCode -eq 202) {
        $wait = 1
        if ($response.Headers['Retry-After']) { $wait = [int] ($response.Headers['Retry-After'] | Select-Object -First 1) }
        Start-Sleep -Seconds $wait
        if ($response.Headers['Location']) {
            $response = Invoke-Arm GET (Resolve-Uri ($response.Headers['Location'] | Select-Object -First 1))
        } else {
            $response = Invoke-Arm POST $postUri
        }
    }
    $body = $response.Content | ConvertFrom-Json -NoEnumerate
    while ($true) {
        if ($body -is [array]) { $sessions = $body; $next = $null }
        else {
            $sessions = $body.value
            $next = if ($body.PSObject.Properties['nextLink'] -and $body.nextLink) { Resolve-Uri $body.nextLink } else { $null }
        }
        foreach ($s in $sessions) {
            [pscustomobject]@{
                SessionId         = $s.sessionId
                UserName          = $s.userName
                TargetHostName    = $s.targetHostName
                Protocol          = $s.protocol
                StartTime         = $s.startTime
                BastionName       = $bastion.name
                BastionResourceId = $bastion.id
            }
        }
        if (-not $next) { break }
        $body = (Invoke-Arm GET $next).Content | ConvertFrom-Json -NoEnumerate
    }
}
