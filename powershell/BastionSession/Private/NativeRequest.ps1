<#
    The common request fields of ffi/CONTRACT.md, built once for every native call.
#>

# Variables the native library reads besides the AZURE_*, IDENTITY_*, MSI_* and IMDS_* ones.
$script:BastionEnvironmentNames = @(
    'AZURE_TOKEN_CREDENTIALS', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy',
    'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy', 'SSL_CERT_FILE', 'PATH'
)

function Get-BastionEnvironmentSetting {
    <#
    .SYNOPSIS
        The session's $env: values of the variables the native library reads (credential chain,
        managed identity, proxy, CA file), for the request's credential.environment.
    .DESCRIPTION
        On Linux and macOS, $env: changes live in .NET's copy of the environment and never reach
        the C runtime's. Rather than copying them over with setenv (which races with the
        library's own threads reading the environment, undefined behaviour in glibc), the
        module sends them with each request, and the library reads nothing else.
    #>
    $vars = [System.Collections.Generic.Dictionary[string, string]]::new([System.StringComparer]::Ordinal)
    # Windows names ignore case ('Path'): send them in the library's spelling.
    $onWindows = [System.IO.Path]::DirectorySeparatorChar -eq [char]'\'
    foreach ($item in [System.Environment]::GetEnvironmentVariables().GetEnumerator()) {
        $name = [string]$item.Key
        if ($onWindows) { $name = $name.ToUpperInvariant() }
        if ($name -cmatch '^(AZURE_|IDENTITY_|MSI_|IMDS_)' -or $script:BastionEnvironmentNames -ccontains $name) {
            $vars[$name] = [string]$item.Value
        }
    }
    $vars
}

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
    # The environment travels with the credential: the library reads no process environment then.
    $Credential['environment'] = Get-BastionEnvironmentSetting
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
