<#
.SYNOPSIS
    What a user pays in a fresh PowerShell session: Import-Module, the first
    Get-BastionSession of one small host, and the second one, each timed inside the process.

.DESCRIPTION
    Starts the bundled emulator (one Bastion host, -Sessions sessions, no latency, no 202
    polls), then runs -Runs fresh `pwsh -NoProfile -NonInteractive -Command` processes. Each
    one's whole command is

        $sw = Stopwatch; Import-Module <manifest>; t1
        Get-BastionSession -ResourceId <host> -ArmEndpoint <emulator> -AccessToken <token>; t2
        the same call again; t3

    and prints the three times (ms). The pwsh start-up itself is not counted. Every session
    listed is counted, so a call that lists the wrong number fails the run rather than
    timing nothing.

    A one-function script module made on the fly is imported and called the same way in
    the same processes' interleaved runs, so the table shows what PowerShell itself costs
    on this machine at this moment. Prints a Markdown table (median and range); asserts no
    time.

.PARAMETER ModuleManifest
    The built module's manifest (default out/BastionSession/BastionSession.psd1).

.PARAMETER Emulator
    The emulator binary (default target/release/bastion-emulator, else target/debug).

.PARAMETER Runs
    Fresh processes (default 7).

.PARAMETER Sessions
    Sessions on the one host (default 10).

.EXAMPLE
    pwsh -NoProfile -File benches/fresh-session.ps1 -Runs 7
#>
[CmdletBinding()]
param(
    [string] $ModuleManifest,
    [string] $Emulator,
    [ValidateRange(1, 1000)] [int] $Runs = 7,
    [ValidateRange(1, 100000)] [int] $Sessions = 10,
    [string] $Label = 'this build'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$repoRoot = Split-Path -Parent $PSScriptRoot
if (-not $ModuleManifest) { $ModuleManifest = Join-Path $repoRoot 'out/BastionSession/BastionSession.psd1' }
if (-not (Test-Path -LiteralPath $ModuleManifest)) { throw "No built module at $ModuleManifest (run powershell/build-module.ps1)." }
$ModuleManifest = (Resolve-Path -LiteralPath $ModuleManifest).Path
if (-not $Emulator) {
    $exe = if ($env:OS -eq 'Windows_NT') { 'bastion-emulator.exe' } else { 'bastion-emulator' }
    $Emulator = @((Join-Path $repoRoot "target/release/$exe"), (Join-Path $repoRoot "target/debug/$exe")) |
        Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
    if (-not $Emulator) { throw 'No emulator binary in target/release or target/debug (cargo build -p bastion-emulator --release).' }
}
$pwsh = Join-Path $PSHOME $(if ($env:OS -eq 'Windows_NT') { 'pwsh.exe' } else { 'pwsh' })
if (-not (Test-Path -LiteralPath $pwsh)) { $pwsh = 'pwsh' }
$token = 'bench-token'
$subscription = '00000000-0000-0000-0000-000000000001'

$start = [Diagnostics.ProcessStartInfo]::new($Emulator)
foreach ($arg in '--port', '0', '--token', $token, '--hosts', '1', '--sessions-per-host', "$Sessions", '--polls', '0') { $start.ArgumentList.Add($arg) }
$start.RedirectStandardInput = $true
$start.RedirectStandardOutput = $true
$start.UseShellExecute = $false
$emulatorProcess = [Diagnostics.Process]::Start($start)
$referenceDir = Join-Path ([IO.Path]::GetTempPath()) "bastion-fresh-session-$PID"
try {
    $first = $emulatorProcess.StandardOutput.ReadLine()
    if ($first -notmatch '^listening on (http://\S+)') { throw "The emulator did not say where it listens: '$first'" }
    $endpoint = $Matches[1]
    $hostsJson = Invoke-RestMethod -Uri "$endpoint/subscriptions/$subscription/providers/Microsoft.Network/bastionHosts?api-version=2024-05-01" -Headers @{ Authorization = "Bearer $token" }
    $resourceId = @($hostsJson.value)[0].id

    New-Item -ItemType Directory -Force -Path $referenceDir | Out-Null
    Set-Content -LiteralPath (Join-Path $referenceDir 'FreshReference.psm1') -Value 'function Get-FreshReference { param([string] $ResourceId, [string] $ArmEndpoint, [string] $AccessToken) 1..10 }'
    Set-Content -LiteralPath (Join-Path $referenceDir 'FreshReference.psd1') -Value "@{ RootModule = 'FreshReference.psm1'; ModuleVersion = '1.0.0'; GUID = '0f5e1c2a-7b7e-4a0e-9a43-5d2f4b1d8e71'; FunctionsToExport = @('Get-FreshReference'); CmdletsToExport = @(); AliasesToExport = @(); VariablesToExport = @() }"

    function Measure-FreshSession {
        <# One fresh pwsh: import, first call, second call; returns the three times in ms. #>
        param([string] $Manifest, [string] $Command, [int] $Expected)
        $quoted = $Manifest -replace "'", "''"
        $call = "$Command -ResourceId '$resourceId' -ArmEndpoint '$endpoint' -AccessToken '$token'"
        $script = "`$sw = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$quoted'; `$t1 = `$sw.Elapsed.TotalMilliseconds; " +
            "`$sw.Restart(); `$n1 = @($call).Count; `$t2 = `$sw.Elapsed.TotalMilliseconds; " +
            "`$sw.Restart(); `$n2 = @($call).Count; `$t3 = `$sw.Elapsed.TotalMilliseconds; " +
            "[string]::Join(' ', [string[]]@(`$t1, `$t2, `$t3, `$n1, `$n2).ForEach({ ([double]`$_).ToString([Globalization.CultureInfo]::InvariantCulture) }))"
        $output = & $pwsh -NoProfile -NonInteractive -Command $script
        if ($LASTEXITCODE -ne 0) { throw "pwsh exited with $LASTEXITCODE running $Command`: $output" }
        $parts = (@($output)[-1]).Trim() -split ' '
        if ([int]$parts[3] -ne $Expected -or [int]$parts[4] -ne $Expected) { throw "$Command returned $($parts[3]) and $($parts[4]) objects, expected $Expected each: $output" }
        @([double]::Parse($parts[0], [Globalization.CultureInfo]::InvariantCulture), [double]::Parse($parts[1], [Globalization.CultureInfo]::InvariantCulture), [double]::Parse($parts[2], [Globalization.CultureInfo]::InvariantCulture))
    }

    $samples = @{ module = [Collections.Generic.List[double[]]]::new(); reference = [Collections.Generic.List[double[]]]::new() }
    foreach ($run in 1..$Runs) {
        $samples.module.Add((Measure-FreshSession $ModuleManifest 'Get-BastionSession' $Sessions))
        $samples.reference.Add((Measure-FreshSession (Join-Path $referenceDir 'FreshReference.psd1') 'Get-FreshReference' 10))
    }
} finally {
    $emulatorProcess.StandardInput.Close()
    if (-not $emulatorProcess.WaitForExit(5000)) { $emulatorProcess.Kill() }
    if (Test-Path -LiteralPath $referenceDir) { Remove-Item -LiteralPath $referenceDir -Recurse -Force }
}

function Get-Median {
    param([double[]] $Values)
    $sorted = @($Values | Sort-Object)
    if ($sorted.Count % 2) { $sorted[($sorted.Count - 1) / 2] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }
}

Write-Host ''
Write-Host ("A fresh pwsh -NoProfile -Command, {0} runs, one host of {1} sessions ({2}; {3})" -f $Runs, $Sessions, $Label, $ModuleManifest)
Write-Host ''
Write-Host '| step | module median (range), ms | one-function script module median (range), ms |'
Write-Host '|---|---:|---:|'
$steps = 'Import-Module', 'first call', 'second call'
$rows = foreach ($index in 0..2) {
    $module = @($samples.module | ForEach-Object { $_[$index] })
    $reference = @($samples.reference | ForEach-Object { $_[$index] })
    $row = [pscustomobject]@{
        Step            = $steps[$index]
        MedianMs        = [math]::Round((Get-Median $module), 0)
        MinMs           = [math]::Round(($module | Measure-Object -Minimum).Minimum, 0)
        MaxMs           = [math]::Round(($module | Measure-Object -Maximum).Maximum, 0)
        ReferenceMedian = [math]::Round((Get-Median $reference), 0)
        ReferenceMin    = [math]::Round(($reference | Measure-Object -Minimum).Minimum, 0)
        ReferenceMax    = [math]::Round(($reference | Measure-Object -Maximum).Maximum, 0)
    }
    Write-Host ('| {0} | {1:n0} ({2:n0}–{3:n0}) | {4:n0} ({5:n0}–{6:n0}) |' -f $row.Step, $row.MedianMs, $row.MinMs, $row.MaxMs, $row.ReferenceMedian, $row.ReferenceMin, $row.ReferenceMax)
    $row
}
$rows
