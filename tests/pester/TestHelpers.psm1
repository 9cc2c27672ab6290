<#
    Shared helpers for the Pester suite: the ARM emulator as a child process, its stats and
    truth endpoints, the built module's path, and a child-pwsh runner for tests that need a
    fresh process (the native library loads once per process).

    The emulator is started with redirected stdin: closing stdin stops it; Stop-TestEmulator
    also kills it if it is still alive after a few seconds.
#>

Set-StrictMode -Version 3.0

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Get-RepoRoot { $script:RepoRoot }

function Get-BuiltModulePath {
    <#
    The built module manifest: $env:BASTION_MODULE_PATH (the Windows lane lays the module out
    in a folder with spaces and non-ASCII letters), else out/BastionSession/BastionSession.psd1.
    Throws when it is missing.
    #>
    $path = if ($env:BASTION_MODULE_PATH) { $env:BASTION_MODULE_PATH } else { Join-Path $script:RepoRoot 'out/BastionSession/BastionSession.psd1' }
    if (-not (Test-Path -LiteralPath $path)) { throw "The built module is missing at '$path': run powershell/build-module.ps1" }
    $path
}

function Get-EmulatorPath {
    $path = if ($env:BASTION_EMULATOR) { $env:BASTION_EMULATOR } else { Join-Path $script:RepoRoot 'target/debug/bastion-emulator' }
    if ($IsWindows -and -not $path.EndsWith('.exe')) { $path += '.exe' }
    if (-not (Test-Path -LiteralPath $path)) { throw "The ARM emulator is missing at '$path': cargo build -p bastion-emulator" }
    $path
}

function Start-TestEmulator {
    <#
    .SYNOPSIS
        Starts bastion-emulator --port 0 <ArgumentList>; returns @{ Process; BaseUrl; Port; Token }.
    #>
    param(
        [string[]] $ArgumentList = @(),
        [string] $Token = 'emulator-token',
        [int] $StartTimeoutSec = 30
    )
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = Get-EmulatorPath
    $all = @('--port', '0')
    if ($ArgumentList -notcontains '--token') { $all += @('--token', $Token) }
    $all += $ArgumentList
    foreach ($a in $all) { $psi.ArgumentList.Add([string]$a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($psi)
    $lineTask = $process.StandardOutput.ReadLineAsync()
    if (-not $lineTask.Wait($StartTimeoutSec * 1000)) {
        try { $process.Kill() } catch { }
        throw "bastion-emulator did not print its address within $StartTimeoutSec s"
    }
    $line = $lineTask.Result
    if ($line -notmatch 'listening on (?<url>https?://[^\s]+)') {
        $stderr = ''
        try { if ($process.WaitForExit(2000)) { $stderr = $process.StandardError.ReadToEnd() } } catch { }
        try { $process.Kill() } catch { }
        throw "bastion-emulator printed '$line' instead of its address. $stderr"
    }
    $url = $Matches['url'].TrimEnd('/')
    # Keep draining both streams so a chatty emulator never blocks on a full pipe.
    $drainOut = $process.StandardOutput.BaseStream.CopyToAsync([System.IO.Stream]::Null)
    $drainErr = $process.StandardError.BaseStream.CopyToAsync([System.IO.Stream]::Null)
    $tokenValue = $Token
    $i = [array]::IndexOf([string[]]$all, '--token')
    if ($i -ge 0 -and $i + 1 -lt $all.Count) { $tokenValue = $all[$i + 1] }
    [pscustomobject]@{
        PSTypeName = 'BastionSession.TestEmulator'
        Process    = $process
        BaseUrl    = $url
        Port       = ([uri]$url).Port
        Token      = $tokenValue
        Drains     = @($drainOut, $drainErr)
    }
}

function Stop-TestEmulator {
    <# Closes the emulator's stdin (it exits), then kills it if it is still running. #>
    param([Parameter(Mandatory = $true)] $Emulator)
    if ($null -eq $Emulator -or $null -eq $Emulator.Process) { return }
    try { $Emulator.Process.StandardInput.Close() } catch { }
    try {
        if (-not $Emulator.Process.WaitForExit(5000)) { $Emulator.Process.Kill() }
    } catch { }
}

function Invoke-EmulatorApi {
    param([Parameter(Mandatory = $true)] $Emulator, [string] $Path, [string] $Method = 'GET', $Body)
    $params = @{ Uri = $Emulator.BaseUrl + $Path; Method = $Method; NoProxy = $true; TimeoutSec = 30 }
    if ($null -ne $Body) { $params.Body = ($Body | ConvertTo-Json -Depth 10 -Compress); $params.ContentType = 'application/json' }
    Invoke-RestMethod @params
}

function Get-EmulatorStats {
    <# GET /_emulator/stats: request counts by operation. #>
    param([Parameter(Mandatory = $true)] $Emulator)
    Invoke-EmulatorApi $Emulator '/_emulator/stats'
}

function Get-StatCount {
    <#
    The number of requests of one operation (getActiveSessions, pollOperation, nextPage,
    disconnectActiveSessions, listHostsBySubscription, msiToken ...) in a stats object
    (byOperation.<op>.total); 0 when absent. -Status counts one HTTP status only.
    #>
    param($Stats, [Parameter(Mandatory = $true)] [string] $Operation, [string] $Status = 'total')
    if ($null -eq $Stats -or -not $Stats.PSObject.Properties['byOperation']) { return 0 }
    $op = $Stats.byOperation.PSObject.Properties[$Operation]
    if ($null -eq $op) { return 0 }
    $value = $op.Value.PSObject.Properties[$Status]
    if ($null -eq $value) { return 0 }
    [int]$value.Value
}

function Add-TestEmulatorFault {
    <# POST /_emulator/faults: the next -Count requests of -Operation get -Fault (429, 500, 503, drop). #>
    param([Parameter(Mandatory = $true)] $Emulator, [string] $Operation = '*', [ValidateSet('429', '500', '503', 'drop')] [string] $Fault, [int] $Count = 1)
    $null = Invoke-EmulatorApi $Emulator '/_emulator/faults' -Method POST -Body @{ operation = $Operation; fault = $Fault; count = $Count }
}

function Reset-TestEmulator {
    <# POST /_emulator/reset: the scenario's sessions back, stats to zero. #>
    param([Parameter(Mandatory = $true)] $Emulator)
    $null = Invoke-EmulatorApi $Emulator '/_emulator/reset' -Method POST
}

function Get-EmulatorSession {
    <#
    GET /_emulator/sessions: the emulator's truth, one object per session with the module's
    property names: the session's own fields (SessionId, UserName, TargetHostName, Protocol,
    StartTime as UTC [datetime] ...) plus AgeMinutes, BastionName, BastionResourceGroupName,
    BastionSubscriptionId and BastionResourceId.
    #>
    param([Parameter(Mandatory = $true)] $Emulator)
    $truth = Invoke-EmulatorApi $Emulator '/_emulator/sessions'
    $now = [datetime]::UtcNow
    foreach ($h in @($truth.hosts)) {
        foreach ($session in @($h.sessions)) {
            if ($null -eq $session) { continue }
            $out = [ordered]@{}
            foreach ($p in $session.PSObject.Properties) {
                $out[$p.Name.Substring(0, 1).ToUpperInvariant() + $p.Name.Substring(1)] = $p.Value
            }
            if ($out.Contains('UserName') -and $null -eq $out['UserName']) { $out['UserName'] = '' }
            if ($out.Contains('StartTime') -and $out['StartTime'] -is [string]) {
                $parsed = [datetime]::MinValue
                if ([datetime]::TryParse($out['StartTime'], [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]'AdjustToUniversal,AssumeUniversal', [ref]$parsed)) { $out['StartTime'] = $parsed }
            } elseif ($out.Contains('StartTime') -and $out['StartTime'] -is [datetime]) {
                $out['StartTime'] = $out['StartTime'].ToUniversalTime()
            }
            if ($out.Contains('StartTime') -and $out['StartTime'] -is [datetime]) {
                $out['AgeMinutes'] = ($now - $out['StartTime']).TotalMinutes
            } elseif ($out.Contains('SessionDurationInMins') -and $null -ne $out['SessionDurationInMins']) {
                $out['AgeMinutes'] = [double]$out['SessionDurationInMins']
            }
            $out['BastionName'] = $h.name
            $out['BastionResourceGroupName'] = $h.resourceGroupName
            $out['BastionSubscriptionId'] = $h.subscriptionId
            $out['BastionResourceId'] = $h.id
            [pscustomobject]$out
        }
    }
}

function Get-PwshPath {
    <# The pwsh executable running this suite (Get-Process can report dotnet for framework-dependent installs). #>
    $exe = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    if (Test-Path -LiteralPath $exe) { return $exe }
    (Get-Process -Id $PID).Path
}

function Invoke-ChildPwsh {
    <#
    .SYNOPSIS
        Runs a script in a fresh pwsh (the native library loads once per process), with extra
        environment variables; returns @{ ExitCode; StdOut; StdErr }.
    #>
    param(
        [Parameter(Mandatory = $true)] [string] $Script,
        [hashtable] $Environment = @{},
        [int] $TimeoutSec = 120
    )
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = Get-PwshPath
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $Script) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    foreach ($k in $Environment.Keys) {
        if ($null -eq $Environment[$k]) { [void]$psi.Environment.Remove($k) } else { $psi.Environment[$k] = [string]$Environment[$k] }
    }
    $p = [System.Diagnostics.Process]::Start($psi)
    $out = $p.StandardOutput.ReadToEndAsync()
    $err = $p.StandardError.ReadToEndAsync()
    if (-not $p.WaitForExit($TimeoutSec * 1000)) { try { $p.Kill() } catch { }; throw "child pwsh did not finish within $TimeoutSec s" }
    $p.WaitForExit()
    [pscustomobject]@{ ExitCode = $p.ExitCode; StdOut = $out.Result; StdErr = $err.Result }
}

function Set-TestCredentialEnvironment {
    <#
    Clears every variable the native credential chain reads and narrows it, so no test can
    reach IMDS, the Azure CLI or a real service principal. Returns the saved values.
    #>
    param([hashtable] $Set = @{})
    $names = 'AZURE_TOKEN_CREDENTIALS', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'MSI_ENDPOINT', 'MSI_SECRET', 'IMDS_ENDPOINT',
        'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_TENANT_ID', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_FEDERATED_TOKEN_FILE',
        'AZURE_SUBSCRIPTION_ID', 'IDENTITY_SERVER_THUMBPRINT', 'NO_PROXY', 'BASTION_SESSION_NATIVE_PATH'
    $saved = @{}
    foreach ($n in @($names) + @($Set.Keys)) { $saved[$n] = [Environment]::GetEnvironmentVariable($n) }
    foreach ($n in $names) { [Environment]::SetEnvironmentVariable($n, $null) }
    [Environment]::SetEnvironmentVariable('AZURE_TOKEN_CREDENTIALS', 'EnvironmentCredential')
    [Environment]::SetEnvironmentVariable('NO_PROXY', '127.0.0.1,localhost')
    foreach ($n in $Set.Keys) { [Environment]::SetEnvironmentVariable($n, $Set[$n]) }
    $saved
}

function Restore-TestEnvironment {
    param([hashtable] $Saved)
    if ($null -eq $Saved) { return }
    foreach ($n in $Saved.Keys) { [Environment]::SetEnvironmentVariable($n, $Saved[$n]) }
}

Export-ModuleMember -Function *
