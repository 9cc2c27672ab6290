<#
.SYNOPSIS
    The boundary benchmark of issue 13: 100,000 sessions through the module, against a plain
    Python page walk, with pwsh's peak working set and Import-Module time.

.DESCRIPTION
    Prints one Markdown table (and returns its rows). Every pwsh measure runs in a fresh
    `pwsh -NoProfile` child and is timed inside it, around the work itself:

      import     Import-Module of the built module (Stopwatch around the call in the child;
                 not the pwsh start-up)
      one host   Get-BastionSession -BastionResourceId for one host holding 100,000 sessions
                 in 100 pages of 1,000 (emulator: --hosts 1 --sessions-per-host 100000
                 --page-size 1000 --polls 0, no latency), collected into an array: the first
                 call in the process, then a second (warm) call
      peak WS    Process.PeakWorkingSet64 of that child after both calls
      one-host steps  the same host through the shim without the cmdlet (streamResults,
                 polled every 100 ms): total, the library's stats.elapsedMs, and the poll
                 that carries the 100,000 sessions (envelope written by the library + read
                 into Session objects by the shim); first and second call
      page walk  the same pages read by a short Python loop (urllib + json, no SDK): POST
                 getActiveSessions, then GET each nextLink, json.loads each page; best of 3
                 in one python process
      rounds     the one-host measure runs -Rounds times, each right after its own page walk,
                 and each row gives the median of the rounds (with their range): the ratios
                 are taken round by round, so a machine slowed by other work slows both sides
                 of one ratio
      to objects 100 hosts x 1,000 sessions, one non-streamed bastion_get_sessions through the
                 shim (as table 4 of BENCHMARKS.md): call wall time minus the library's own
                 stats.elapsedMs, plus objects, plus gathering them into one array; first
                 and second call in the process

    Nothing leaves 127.0.0.1. Works against the module of any commit that has
    [BastionSession.NativeOperation] (it uses GetAnswer when present, else GetEnvelope).

.PARAMETER ModuleManifest
    The built module's manifest (default out/bench/BastionSession/BastionSession.psd1).

.PARAMETER Emulator
    The emulator binary (default target/release/bastion-emulator).

.PARAMETER Rounds
    How many paired rounds (page walk, then a fresh worker) the one-host row takes (default 5).

.PARAMETER Python
    A python3 (default $env:BASTION_PYTHON, else python3); only the standard library is used.

.EXAMPLE
    pwsh ./benches/boundary.ps1 -ModuleManifest out/bench/BastionSession/BastionSession.psd1
#>
[CmdletBinding()]
param(
    [string] $ModuleManifest,
    [string] $Emulator,
    [string] $Python,
    [string] $Worker,
    [string] $Endpoint,
    [string] $Label = 'this build',
    [ValidateRange(1, 50)] [int] $Rounds = 5
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$RepoRoot = Split-Path -Parent $PSScriptRoot
$Subscription = '00000000-0000-0000-0000-000000000001'
$Token = 'emulator-token'
$HostId = "/subscriptions/$Subscription/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-0"

if ($Worker) {
    $out = [ordered]@{}
    $sw = [Diagnostics.Stopwatch]::StartNew()
    Import-Module $ModuleManifest
    $out.importMs = $sw.Elapsed.TotalMilliseconds
    switch ($Worker) {
        'OneHost' {
            foreach ($round in 'first', 'warm') {
                [GC]::Collect()
                $sw.Restart()
                $sessions = @(Get-BastionSession -BastionResourceId $HostId -AccessToken $Token -ArmEndpoint $Endpoint)
                $out["${round}Ms"] = $sw.Elapsed.TotalMilliseconds
                $out.count = $sessions.Count
                $sessions = $null
            }
            $out.peakWorkingSetMB = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 / 1MB
        }
        'ToObjects' {
            $hasAnswer = $null -ne [BastionSession.NativeOperation].GetMethod('GetAnswer')
            $hasOutcomes = $null -ne [BastionSession.NativeOperation].GetMethod('GetHostSessionsOutcomes')
            foreach ($round in 'first', 'warm') {
                $opId = [BastionSession.Native]::NewOperationId()
                $json = @{ operationId = $opId; credential = @{ type = 'accessToken'; token = $Token }; armEndpoint = $Endpoint; scope = @{ subscriptionIds = @($Subscription) } } | ConvertTo-Json -Depth 5 -Compress
                [GC]::Collect()
                $sw.Restart()
                $op = [BastionSession.Native]::Start('bastion_get_sessions', $json, $opId)
                while (-not $op.Wait(10)) { }
                if ($hasAnswer) { $null = $op.GetAnswer() } else { $null = $op.GetEnvelope() }
                $callMs = $sw.Elapsed.TotalMilliseconds
                $sw.Restart()
                # The per-host outcomes; GetHostResults is the name before issue 13's renames.
                $hostResults = if ($hasOutcomes) { $op.GetHostSessionsOutcomes() } else { $op.GetHostResults() }
                $parseMs = $sw.Elapsed.TotalMilliseconds
                $sw.Restart()
                $objects = @(foreach ($h in $hostResults) { $h.Sessions })
                $arrayMs = $sw.Elapsed.TotalMilliseconds
                $nativeMs = [double]$op.GetStats()['elapsedMs']
                $out["${round}Ms"] = ($callMs - $nativeMs) + $parseMs + $arrayMs
                $out["${round}NativeMs"] = $nativeMs
                $out.count = $objects.Count
                $objects = $null; $hostResults = $null; $op = $null
            }
        }
        'OneHostSteps' {
            # Where the one-host time goes, without the cmdlet: the native call streaming
            # (streamResults, as Get-BastionSession asks), this thread polling as
            # NativeCall.Run does (at once while events come, else every 25 ms);
            # the polls that carry the host's 100,000 sessions (one poll before the sessions
            # were streamed per page, several after) are timed on their own (the library
            # writes the envelope, the shim reads it into Session objects).
            $outcomeProperty = if ($null -ne [BastionSession.ProgressEvent].GetProperty('HostSessionsOutcome')) { 'HostSessionsOutcome' } else { 'HostResult' }
            foreach ($round in 'first', 'warm') {
                [GC]::Collect()
                $sw.Restart()
                $request = @{ credential = @{ type = 'accessToken'; token = $Token }; armEndpoint = $Endpoint; hosts = @(@{ resourceId = $HostId }); streamResults = $true }
                $op = [BastionSession.Native]::StartRequest('bastion_get_sessions', $request)
                $pollWatch = New-Object Diagnostics.Stopwatch
                $bigPollMs = 0; $count = 0; $busy = $false
                while ($true) {
                    $finished = $op.Wait($(if ($busy) { 0 } else { 25 }))
                    do {
                        $pollWatch.Restart()
                        $events = $op.Poll()
                        $pollMs = $pollWatch.Elapsed.TotalMilliseconds
                        $busy = $events.Count -gt 0
                        # Streamed per page, several polls carry sessions: each counts once.
                        $carried = $false
                        foreach ($ev in $events) {
                            $outcome = $ev.$outcomeProperty
                            if ($null -ne $outcome -and $outcome.Sessions.Length -gt 0) { $count += $outcome.Sessions.Length; $carried = $true }
                        }
                        if ($carried) { $bigPollMs += $pollMs }
                    } while ($finished -and $events.Count -gt 0)
                    if ($finished) { break }
                }
                $out["${round}Ms"] = $sw.Elapsed.TotalMilliseconds
                $out["${round}NativeMs"] = [double]$op.GetStats()['elapsedMs']
                $out["${round}SessionsPollMs"] = $bigPollMs
                $out.count = $count
                $op = $null; $events = $null; $outcome = $null
            }
        }
        'Import' { }
    }
    $out | ConvertTo-Json -Compress
    return
}

if (-not $ModuleManifest) { $ModuleManifest = Join-Path $RepoRoot 'out/bench/BastionSession/BastionSession.psd1' }
if (-not $Emulator) { $Emulator = Join-Path $RepoRoot 'target/release/bastion-emulator' }
if (-not $Python) { $Python = if ($env:BASTION_PYTHON) { $env:BASTION_PYTHON } else { 'python3' } }
$ModuleManifest = (Resolve-Path $ModuleManifest).Path
$Pwsh = [Environment]::ProcessPath
$PwshPrefix = @()
if ([IO.Path]::GetFileNameWithoutExtension($Pwsh) -eq 'dotnet') { $PwshPrefix = @([Environment]::GetCommandLineArgs()[0]) }

function Start-BenchEmulator([string[]] $Arguments) {
    $psi = New-Object Diagnostics.ProcessStartInfo $Emulator
    foreach ($a in @('--port', '0', '--token', $Token) + $Arguments) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.UseShellExecute = $false
    $p = [Diagnostics.Process]::Start($psi)
    $line = $p.StandardOutput.ReadLine()
    if ($line -notmatch '(http://127\.0\.0\.1:\d+)') { $p.Kill(); throw "emulator did not start: $line" }
    [pscustomobject]@{ Process = $p; Endpoint = $Matches[1] }
}

function Stop-BenchEmulator($e) { try { $e.Process.StandardInput.Close(); if (-not $e.Process.WaitForExit(5000)) { $e.Process.Kill() } } catch { } }

function Invoke-BenchWorker([string] $Name, [string] $At) {
    $env:AZURE_TOKEN_CREDENTIALS = 'EnvironmentCredential'
    $text = & $Pwsh @PwshPrefix -NoProfile -File $PSCommandPath -Worker $Name -ModuleManifest $ModuleManifest -Endpoint $At
    if ($LASTEXITCODE -ne 0) { throw "worker $Name failed: $text" }
    ($text | Select-Object -Last 1) | ConvertFrom-Json
}

$pageWalk = @'
import json, sys, time, urllib.request
base, host, token = sys.argv[1], sys.argv[2], sys.argv[3]
headers = {"Authorization": "Bearer " + token}
def call(method, url):
    req = urllib.request.Request(url, method=method, headers=headers, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req) as r:
        return r.status, r.headers, r.read()
best = None
for _ in range(3):
    t = time.perf_counter()
    status, h, body = call("POST", base + host + "/getActiveSessions?api-version=2025-07-01")
    while status == 202:
        status, h, body = call("GET", h["Location"])
    n = 0
    while True:
        page = json.loads(body)
        n += len(page["value"])
        link = page.get("nextLink")
        if not link:
            break
        status, h, body = call("GET", link)
    elapsed = time.perf_counter() - t
    best = elapsed if best is None else min(best, elapsed)
print(json.dumps({"seconds": best, "count": n}))
'@

$rows = [ordered]@{}
$one = Start-BenchEmulator @('--hosts', '1', '--sessions-per-host', '100000', '--page-size', '1000', '--polls', '0')
try {
    $walkFile = Join-Path ([IO.Path]::GetTempPath()) "bastion-page-walk-$PID.py"
    Set-Content -LiteralPath $walkFile -Value $pageWalk
    # Each round pairs a page walk with a fresh pwsh worker run right after it, so both see
    # the machine in the same state; the ratios are taken per round, then their median.
    $pairs = try {
        foreach ($round in 1..$Rounds) {
            $w = (& $Python $walkFile $one.Endpoint $HostId $Token) | ConvertFrom-Json
            $m = Invoke-BenchWorker 'OneHost' $one.Endpoint
            [pscustomobject]@{ WalkMs = $w.seconds * 1000; WalkCount = $w.count; Run = $m; First = $m.firstMs / ($w.seconds * 1000); Warm = $m.warmMs / ($w.seconds * 1000) }
        }
    } finally { Remove-Item -LiteralPath $walkFile }
    $oneHostSteps = Invoke-BenchWorker 'OneHostSteps' $one.Endpoint
} finally { Stop-BenchEmulator $one }
$many = Start-BenchEmulator @('--hosts', '100', '--sessions-per-host', '1000', '--page-size', '1000', '--polls', '0')
try { $toObjects = Invoke-BenchWorker 'ToObjects' $many.Endpoint } finally { Stop-BenchEmulator $many }
$imports = foreach ($i in 1..5) { (Invoke-BenchWorker 'Import' '').importMs }
$importMedian = ($imports | Sort-Object)[2]

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if ($sorted.Count % 2) { $sorted[($sorted.Count - 1) / 2] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }
}
function Format-Spread([double[]] $Values, [string] $Format) {
    $f = "{0:$Format} ({1:$Format}–{2:$Format})"
    $f -f (Get-Median $Values), ($Values | Measure-Object -Minimum).Minimum, ($Values | Measure-Object -Maximum).Maximum
}

$result = [pscustomobject]@{
    Label              = $Label
    ImportMedianMs     = $importMedian
    ImportRange        = '{0:n0}–{1:n0}' -f ($imports | Measure-Object -Minimum).Minimum, ($imports | Measure-Object -Maximum).Maximum
    OneHostRounds      = $Rounds
    OneHostFirstMs     = Format-Spread @($pairs | ForEach-Object { $_.Run.firstMs }) 'n0'
    OneHostWarmMs      = Format-Spread @($pairs | ForEach-Object { $_.Run.warmMs }) 'n0'
    OneHostCount       = @($pairs | ForEach-Object { $_.Run.count } | Sort-Object -Unique) -join ', '
    PageWalkMs         = Format-Spread @($pairs | ForEach-Object { $_.WalkMs }) 'n0'
    PageWalkCount      = @($pairs | ForEach-Object { $_.WalkCount } | Sort-Object -Unique) -join ', '
    FirstVsWalk        = Format-Spread @($pairs | ForEach-Object { $_.First }) 'n2'
    WarmVsWalk         = Format-Spread @($pairs | ForEach-Object { $_.Warm }) 'n2'
    PeakWorkingSetMB   = Format-Spread @($pairs | ForEach-Object { $_.Run.peakWorkingSetMB }) 'n0'
    StepsFirstWarmMs   = '{0:n0} / {1:n0}' -f $oneHostSteps.firstMs, $oneHostSteps.warmMs
    StepsNativeMs      = '{0:n0} / {1:n0}' -f $oneHostSteps.firstNativeMs, $oneHostSteps.warmNativeMs
    StepsSessionsPollMs = '{0:n0} / {1:n0}' -f $oneHostSteps.firstSessionsPollMs, $oneHostSteps.warmSessionsPollMs
    ToObjectsFirstMs   = $toObjects.firstMs
    ToObjectsWarmMs    = $toObjects.warmMs
    ToObjectsCount     = $toObjects.count
    NativeFirstWarmMs  = '{0:n0} / {1:n0}' -f $toObjects.firstNativeMs, $toObjects.warmNativeMs
}
$result | Format-List | Out-String | Write-Host
$result
