<#
.SYNOPSIS
    Walks through Get-BastionSession and Disconnect-BastionSession against the bundled ARM
    emulator: no Azure account, no network beyond 127.0.0.1.

.DESCRIPTION
    1. Builds the native library, the emulator and the module if they are not built yet.
    2. Starts target/release/bastion-emulator on a free loopback port with the scenario in
       examples/demo-scenario.json (Bastion hosts in two resource groups, a dozen sessions).
    3. Imports the built module from out/BastionSession, lists the sessions, picks the ones
       open for more than two hours, disconnects them through the pipeline (first -WhatIf,
       then for real), and lists again.
    4. Stops the emulator, whatever happened.

    Run it through the build script, which builds first: pwsh ./build.ps1 Demo

.PARAMETER SkipBuild
    Do not build, even if something is missing (build.ps1 Demo builds before calling this).

.PARAMETER Rebuild
    Build even when the artefacts exist.

.PARAMETER EmulatorPath
    Another emulator binary (default: target/release/bastion-emulator).
#>
[CmdletBinding()]
param(
    [switch] $SkipBuild,
    [switch] $Rebuild,
    [string] $EmulatorPath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$RepoRoot = Split-Path -Parent $PSScriptRoot
$onWindows = [IO.Path]::DirectorySeparatorChar -eq '\'
if (-not $EmulatorPath) {
    $EmulatorPath = Join-Path $RepoRoot ('target/release/bastion-emulator' + $(if ($onWindows) { '.exe' } else { '' }))
}
$ModuleManifest = Join-Path $RepoRoot 'out/BastionSession/BastionSession.psd1'
$Scenario = Join-Path $PSScriptRoot 'demo-scenario.json'
$SubscriptionId = '00000000-0000-0000-0000-00000000d001'   # the scenario's subscription
$Token = 'emulator-token'                                  # the emulator's default bearer token
$LongRunning = [TimeSpan] '02:00:00'

function Say {
    param([string] $Text)
    Write-Host ''
    Write-Host "== $Text" -ForegroundColor Cyan
}

function Show {
    <# Formats objects into the console now, in order with the narration. #>
    param([Parameter(ValueFromPipeline = $true)] $InputObject, [object[]] $Property)
    begin { $items = New-Object System.Collections.Generic.List[object] }
    process { if ($null -ne $InputObject) { $items.Add($InputObject) } }
    end {
        if ($items.Count -eq 0) { Write-Host '   (nothing)'; return }
        $table = if ($Property) { $items | Format-Table -Property $Property -AutoSize } else { $items | Format-Table -AutoSize }
        Write-Host (($table | Out-String -Width 220).TrimEnd())
    }
}

function Invoke-Emulator {
    <# Reads the emulator's own view (its /_emulator endpoints need no token). #>
    param([string] $Path)
    $parameters = @{ Uri = "$script:BaseUrl$Path"; Method = 'Get' }
    if ($PSVersionTable.PSVersion.Major -ge 7) { $parameters['NoProxy'] = $true }
    Invoke-RestMethod @parameters
}

# --- 1. build if needed --------------------------------------------------------------
$missing = -not (Test-Path -LiteralPath $EmulatorPath) -or -not (Test-Path -LiteralPath $ModuleManifest)
if (-not $SkipBuild -and ($missing -or $Rebuild)) {
    Say 'Building the native library, the emulator and the module (cargo build --release; the first build takes a few minutes)'
    Push-Location $RepoRoot
    try {
        & cargo build --release -p bastion_session_ffi -p bastion-emulator
        if ($LASTEXITCODE -ne 0) { throw "cargo build failed with exit code $LASTEXITCODE" }
        & (Join-Path $RepoRoot 'powershell/build-module.ps1') -Configuration Release -OutputRoot (Join-Path $RepoRoot 'out')
    } finally {
        Pop-Location
    }
}
foreach ($path in $EmulatorPath, $ModuleManifest, $Scenario) {
    if (-not (Test-Path -LiteralPath $path)) { throw "Missing $path. Run: pwsh ./build.ps1 Build" }
}

$savedNoProxy = $env:NO_PROXY
$emulator = $null
$drainOut = $null
$drainErr = $null
try {
    # --- 2. start the emulator ---------------------------------------------------------
    Say 'Starting the bundled ARM emulator on a free port of 127.0.0.1 (it plays Azure Resource Manager; nothing leaves this machine)'
    $startInfo = New-Object System.Diagnostics.ProcessStartInfo
    $startInfo.FileName = $EmulatorPath
    # The scenario's settings make every listing answer 202 Accepted first, with a Location
    # to poll and Retry-After: 1, as real ARM does.
    $startInfo.Arguments = '--port 0 --scenario "{0}"' -f $Scenario
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardInput = $true     # the emulator exits when this closes
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    $startInfo.CreateNoWindow = $true
    $emulator = [System.Diagnostics.Process]::Start($startInfo)

    $firstLine = $emulator.StandardOutput.ReadLineAsync()
    if (-not $firstLine.Wait([TimeSpan]::FromSeconds(30)) -or $null -eq $firstLine.Result) {
        $why = if ($emulator.HasExited) { $emulator.StandardError.ReadToEnd() } else { 'no answer within 30 s' }
        throw "The emulator did not start: $why"
    }
    if ($firstLine.Result -notmatch '^listening on (http://127\.0\.0\.1:\d+)') {
        throw "Unexpected first line from the emulator: $($firstLine.Result)"
    }
    $script:BaseUrl = $Matches[1]
    # Keep reading its output in the background so that it never blocks on a full pipe.
    $drainOut = $emulator.StandardOutput.ReadToEndAsync()
    $drainErr = $emulator.StandardError.ReadToEndAsync()
    Write-Host "   emulator pid $($emulator.Id), $script:BaseUrl, scenario $(Split-Path -Leaf $Scenario)"

    # --- 3. the module -----------------------------------------------------------------
    Say 'Importing the built module out/BastionSession'
    Import-Module $ModuleManifest -Force
    $module = Get-Module BastionSession
    Write-Host "   BastionSession $($module.Version): $((Get-Command -Module BastionSession | Select-Object -ExpandProperty Name) -join ', ')"

    # Point both cmdlets at the emulator for the rest of this script. Against Azure you would
    # leave these out: the module finds your Az context, managed identity, service principal
    # or Azure CLI sign-in by itself and talks to https://management.azure.com.
    $env:NO_PROXY = if ($env:NO_PROXY) { "$env:NO_PROXY,127.0.0.1,localhost" } else { '127.0.0.1,localhost' }
    $PSDefaultParameterValues['Get-BastionSession:ArmEndpoint'] = $script:BaseUrl
    $PSDefaultParameterValues['Get-BastionSession:AccessToken'] = $Token
    $PSDefaultParameterValues['Get-BastionSession:SubscriptionId'] = $SubscriptionId
    $PSDefaultParameterValues['Disconnect-BastionSession:ArmEndpoint'] = $script:BaseUrl
    $PSDefaultParameterValues['Disconnect-BastionSession:AccessToken'] = $Token

    Say "Get-BastionSession: every active session on every Bastion host of subscription $SubscriptionId"
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $sessions = @(Get-BastionSession)
    $watch.Stop()
    $sessions | Sort-Object BastionName, StartTime | Show
    $hostCount = @($sessions | Select-Object -ExpandProperty BastionResourceId -Unique).Count
    Write-Host ("   {0} sessions on {1} Bastion hosts, read in {2:n1} s (each host answered 202 first and was polled)." -f $sessions.Count, $hostCount, $watch.Elapsed.TotalSeconds)

    Say 'Sessions per Bastion host and protocol'
    $sessions | Group-Object BastionResourceGroupName, BastionName, Protocol | Sort-Object Name |
        Select-Object @{ n = 'ResourceGroup/Bastion/Protocol'; e = { $_.Name -replace ', ', ' / ' } }, Count | Show

    Say "Sessions without a user name (an Entra ID sign-in through the native client): Get-BastionSession -UserName ''"
    Get-BastionSession -UserName '' | Show -Property BastionName, TargetHostName, Protocol,
        @{ n = 'Started (UTC)'; e = { $_.StartTime.ToUniversalTime().ToString('yyyy-MM-dd HH:mm') } }, SessionId

    Say "Long-running sessions: Get-BastionSession | Where-Object Duration -gt '02:00:00'"
    $long = @(Get-BastionSession | Where-Object Duration -gt $LongRunning | Sort-Object Duration -Descending)
    $long | Show -Property BastionName, @{ n = 'UserName'; e = { if ($_.UserName) { $_.UserName } else { '(none)' } } }, TargetHostName, ResourceType, Protocol,
        @{ n = 'Open for'; e = { '{0}h {1:00}m' -f [int][math]::Floor($_.Duration.TotalHours), $_.Duration.Minutes } }
    Write-Host "   $($long.Count) sessions have been open for more than two hours."

    Say 'Disconnecting them, first with -WhatIf: $long | Disconnect-BastionSession -WhatIf'
    $long | Disconnect-BastionSession -WhatIf
    $truth = Invoke-Emulator '/_emulator/sessions'
    Write-Host "   -WhatIf changed nothing: the emulator still holds $($truth.total) sessions (GET /_emulator/sessions)."

    Say 'Now for real: $long | Disconnect-BastionSession -Force   (one request per Bastion host, -Force skips the confirmation prompt)'
    $results = @($long | Disconnect-BastionSession -Force)
    $results | Show -Property BastionName, SessionId, State, Message
    $byState = ($results | Group-Object State | ForEach-Object { "$($_.Count) $($_.Name)" }) -join ', '
    Write-Host "   Results: $byState."

    Say 'Listing again'
    $after = @(Get-BastionSession)
    $after | Sort-Object BastionName, StartTime | Show
    $leftOver = @($after | Where-Object Duration -gt $LongRunning)
    Write-Host ("   {0} sessions remain; {1} of them open for more than two hours." -f $after.Count, $leftOver.Count)
    if ($leftOver.Count -ne 0) { throw 'Some long-running sessions are still listed after the disconnect.' }

    Say "What the emulator saw (GET $script:BaseUrl/_emulator/stats)"
    $stats = Invoke-Emulator '/_emulator/stats'
    foreach ($op in $stats.byOperation.PSObject.Properties | Where-Object Name -ne 'emulator' | Sort-Object Name) {
        $byStatus = @($op.Value.PSObject.Properties | Where-Object Name -ne 'total' | ForEach-Object { 'HTTP {0}: {1}' -f $_.Name, $_.Value }) -join ', '
        Write-Host ('   {0,-26} {1,3} requests ({2})' -f $op.Name, $op.Value.total, $byStatus)
    }
    Write-Host "   One disconnectActiveSessions request per Bastion host, not one per session; $($stats.sessionsRemaining) sessions remain in the emulator."
} finally {
    foreach ($name in 'ArmEndpoint', 'AccessToken', 'SubscriptionId') {
        $PSDefaultParameterValues.Remove("Get-BastionSession:$name")
        $PSDefaultParameterValues.Remove("Disconnect-BastionSession:$name")
    }
    $env:NO_PROXY = $savedNoProxy
    if ($null -ne $emulator) {
        Say 'Stopping the emulator'
        try { $emulator.StandardInput.Close() } catch { Write-Verbose "closing stdin: $_" }
        if (-not $emulator.WaitForExit(5000)) {
            Write-Host '   it did not exit within 5 s of closing its input; killing it'
            $emulator.Kill()
            $emulator.WaitForExit(5000) | Out-Null
        }
        Write-Host "   emulator exited (code $($emulator.ExitCode))."
        $emulator.Dispose()
    }
}

Say 'Done. Try it against Azure: Import-Module ./out/BastionSession; Connect-AzAccount; Get-BastionSession'
