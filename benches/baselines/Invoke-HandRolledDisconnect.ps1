<#
.SYNOPSIS
    Baseline: disconnects Bastion sessions one at a time with Invoke-RestMethod, the way an
    admin writes it today.

.DESCRIPTION
    This is the script Disconnect-BastionSession is measured against. It is written plainly
    and fairly, as a competent admin would write it from the REST API documentation: for
    every session piped in (anything with SessionId and BastionResourceId, e.g. the output of
    Invoke-HandRolledList.ps1 or Get-BastionSession), one
    POST {BastionResourceId}/disconnectActiveSessions with {"sessionIds":[id]}. A 429 or 5xx
    is retried after its Retry-After (or 2 s), a few times. No parallelism, no batching:
    the REST API accepts a list, but the examples people copy send the one session they have
    in hand, inside their foreach.

    The benchmark harness (benches/run-benchmarks.ps1) runs it against bastion-emulator on
    127.0.0.1 only.

.PARAMETER InputObject
    Sessions: objects with SessionId and BastionResourceId.

.PARAMETER ArmEndpoint
    e.g. http://127.0.0.1:41234 (the emulator) or https://management.azure.com.

.PARAMETER AccessToken
    A bearer token for ARM.

.PARAMETER ApiVersion
    Microsoft.Network api-version.

.OUTPUTS
    One PSCustomObject per session: SessionId, State, Message.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory, ValueFromPipeline)] [object[]] $InputObject,
    [Parameter(Mandatory)] [string] $ArmEndpoint,
    [Parameter(Mandatory)] [string] $AccessToken,
    [string] $ApiVersion = '2025-07-01'
)

begin {
    $ErrorActionPreference = 'Stop'
    $ProgressPreference = 'SilentlyContinue'
    $base = $ArmEndpoint.TrimEnd('/')
    $headers = @{ Authorization = "Bearer $AccessToken" }
}

process {
    foreach ($session in $InputObject) {
        $uri = "$base$($session.BastionResourceId)/disconnectActiveSessions?api-version=$ApiVersion"
        $body = @{ sessionIds = @($session.SessionId) } | ConvertTo-Json -Compress
        for ($attempt = 0; ; $attempt++) {
            try {
                $result = Invoke-RestMethod -Method Post -Uri $uri -Headers $headers -Body $body -ContentType 'application/json'
                break
            } catch {
                $status = [int] $_.Exception.Response.StatusCode
                if (($status -eq 429 -or $status -ge 500) -and $attempt -lt 5) {
                    $wait = 2
                    $retryAfter = $_.Exception.Response.Headers.RetryAfter
                    if ($retryAfter -and $retryAfter.Delta) { $wait = [int] $retryAfter.Delta.TotalSeconds }
                    Start-Sleep -Seconds $wait
                    continue
                }
                throw
            }
        }
        foreach ($state in $result.value) {
            [pscustomobject]@{ SessionId = $state.sessionId; State = $state.state; Message = $state.message }
        }
    }
}
