<#
    The common request fields of ffi/CONTRACT.md, built once for every native call.
#>

function New-BastionRequest {
    <#
    .SYNOPSIS
        An ordered request dictionary: schemaVersion, credential, armEndpoint or environment, timeoutSec, concurrency.
    #>
    param(
        [Parameter(Mandatory = $true)] [hashtable] $Credential,
        [uri] $ArmEndpoint,
        [string] $Environment,
        [int] $TimeoutSec,
        [int] $ThrottleLimit
    )
    $request = [ordered]@{ schemaVersion = 1; credential = $Credential }
    if ($null -ne $ArmEndpoint) {
        $request['armEndpoint'] = $ArmEndpoint.OriginalString.TrimEnd('/')
    } elseif ($Environment) {
        $request['environment'] = $Environment
    }
    if ($TimeoutSec -gt 0) { $request['timeoutSec'] = $TimeoutSec }
    if ($ThrottleLimit -gt 0) { $request['concurrency'] = $ThrottleLimit }
    $request
}
