<#
.SYNOPSIS
    Memory soak: calls the cmdlets many times from one pwsh session and prints how its memory
    grows (a table of samples), to show that nothing leaks across the native boundary.

.DESCRIPTION
    Imports the BUILT module (out/BastionSession) and makes -Calls calls in this one process,
    each going through the interop shim into the native library and back:

      Emulator  (default) against a bastion-emulator on 127.0.0.1 with no latency and no 202
                polling: odd calls list one host (3 sessions: a full request, envelope,
                session objects), even calls disconnect a session id that does not exist
                (a NotFound result).
      Refused   no server at all: plain HTTP to 203.0.113.1, which the native library refuses
                as insecureEndpoint before any connection (the cheapest call that still
                crosses the boundary both ways and builds an ErrorRecord).

    Every -SampleEvery calls it forces a full .NET garbage collection and records the
    process's working set, private bytes and managed heap. Native leaks (Rust strings never
    freed, runtimes or clients built per call) show as steady growth of the working set and
    private bytes; managed leaks as growth of the managed heap. The verdict compares the
    sample after warm-up (10 % of the calls) with the last one.

.PARAMETER Calls
    How many cmdlet calls (default 100000).

.PARAMETER SampleEvery
    Calls between samples (default 5000).

.PARAMETER Mode
    Emulator or Refused (see above).

.PARAMETER MaxGrowthMB
    When given, exit 1 if the working set grew more than this after warm-up.

.EXAMPLE
    pwsh -NoProfile -File tests/soak/memory-curve.ps1

.EXAMPLE
    pwsh -NoProfile -File tests/soak/memory-curve.ps1 -Calls 20000 -SampleEvery 1000 -Mode Refused -MaxGrowthMB 20
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 10000000)] [int] $Calls = 100000,
    [ValidateRange(1, 10000000)] [int] $SampleEvery = 5000,
    [ValidateSet('Emulator', 'Refused')] [string] $Mode = 'Emulator',
    [double] $MaxGrowthMB = -1
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
$saved = Set-TestCredentialEnvironment
Import-Module (Get-BuiltModulePath) -Force

$sub = '00000000-0000-0000-0000-000000000001'
$hostId = "/subscriptions/$sub/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-0"
$emulator = $null
if ($Mode -eq 'Emulator') {
    $emulator = Start-TestEmulator -ArgumentList @('--hosts', '1', '--sessions-per-host', '3', '--polls', '0', '--latency-ms', '0')
    $endpoint = $emulator.BaseUrl
    $token = $emulator.Token
} else {
    $endpoint = 'http://203.0.113.1'
    $token = 'memory-curve-token'
}

function Get-Sample {
    param([int] $Done, [System.Diagnostics.Stopwatch] $Watch)
    [GC]::Collect()
    [GC]::WaitForPendingFinalizers()
    [GC]::Collect()
    $p = [System.Diagnostics.Process]::GetCurrentProcess()
    $p.Refresh()
    [pscustomobject]@{
        Calls        = $Done
        WorkingSetMB = [math]::Round($p.WorkingSet64 / 1MB, 1)
        PrivateMB    = [math]::Round($p.PrivateMemorySize64 / 1MB, 1)
        ManagedMB    = [math]::Round([GC]::GetTotalMemory($false) / 1MB, 1)
        Seconds      = [math]::Round($Watch.Elapsed.TotalSeconds, 1)
    }
}

$samples = New-Object System.Collections.Generic.List[object]
$watch = [System.Diagnostics.Stopwatch]::StartNew()
$failures = 0
try {
    $samples.Add((Get-Sample -Done 0 -Watch $watch))
    for ($i = 1; $i -le $Calls; $i++) {
        if ($Mode -eq 'Refused') {
            try {
                $null = Get-BastionSession -ResourceId $hostId -ArmEndpoint $endpoint -AccessToken $token -ErrorAction Stop
                $failures++
            } catch {
                if ($_.FullyQualifiedErrorId -notmatch 'Insecure') { $failures++ }
            }
        } elseif ($i % 2 -eq 1) {
            $got = @(Get-BastionSession -ResourceId $hostId -ArmEndpoint $endpoint -AccessToken $token)
            if ($got.Count -ne 3) { $failures++ }
        } else {
            $r = @(Disconnect-BastionSession -BastionResourceId $hostId -SessionId "no-such-session-$i" -Force -ArmEndpoint $endpoint -AccessToken $token)
            if ($r.Count -ne 1 -or $r[0].State -ne 'NotFound') { $failures++ }
        }
        if ($i % $SampleEvery -eq 0 -or $i -eq $Calls) {
            $s = Get-Sample -Done $i -Watch $watch
            $samples.Add($s)
            Write-Verbose ("{0} calls: working set {1} MB" -f $i, $s.WorkingSetMB)
        }
    }
} finally {
    if ($null -ne $emulator) { Stop-TestEmulator $emulator }
    Restore-TestEnvironment $saved
}

$samples | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
$warm = $samples | Where-Object { $_.Calls -ge [int]($Calls * 0.1) } | Select-Object -First 1
$last = $samples[$samples.Count - 1]
$growth = [math]::Round($last.WorkingSetMB - $warm.WorkingSetMB, 1)
$privateGrowth = [math]::Round($last.PrivateMB - $warm.PrivateMB, 1)
$managedGrowth = [math]::Round($last.ManagedMB - $warm.ManagedMB, 1)
$perCallMs = [math]::Round($last.Seconds * 1000 / [math]::Max(1, $Calls), 2)
Write-Host ("mode {0}: {1} calls in {2} s ({3} ms/call), {4} wrong answers" -f $Mode, $Calls, $last.Seconds, $perCallMs, $failures)
Write-Host ("after warm-up ({0} calls -> {1}): working set {2:+0.0;-0.0;0} MB, private {3:+0.0;-0.0;0} MB, managed heap {4:+0.0;-0.0;0} MB" -f $warm.Calls, $last.Calls, $growth, $privateGrowth, $managedGrowth)
if ($failures -gt 0) { Write-Host 'memory-curve: FAILED (wrong answers)'; exit 1 }
if ($MaxGrowthMB -ge 0 -and $growth -gt $MaxGrowthMB) { Write-Host "memory-curve: FAILED (working set grew $growth MB > $MaxGrowthMB MB)"; exit 1 }
Write-Host 'memory-curve: done'
