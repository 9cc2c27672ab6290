<#
.SYNOPSIS
    The BastionSession benchmark suite: builds what it needs, starts bastion-emulator on
    127.0.0.1 and prints one Markdown table per benchmark (see BENCHMARKS.md).

.DESCRIPTION
    One command:

        pwsh ./benches/run-benchmarks.ps1          # or: pwsh ./build.ps1 Bench

    It builds the release native library and emulator
    (cargo build --release -p bastion_session_ffi -p bastion-emulator) and the module
    (powershell/build-module.ps1 -Configuration Release -OutputRoot out), then runs, each in
    one go, against bastion-emulator on loopback only:

      1  listing across 1, 10, 100, 1,000 hosts (10 sessions each, --latency-ms 50,
         --polls 1 --retry-after 1): Get-BastionSession, the hand-rolled Invoke-WebRequest
         loop (benches/baselines/Invoke-HandRolledList.ps1), the Azure SDK for Python
         (benches/baselines/python_sdk_list.py) and the floor the emulator allows;
      2  1,000 hosts under ARM-like throttling (--throttle);
      3  10,000 sessions on 100 hosts piped into Disconnect-BastionSession -Force, against a
         per-session Invoke-RestMethod loop (benches/baselines/Invoke-HandRolledDisconnect.ps1);
      4  the boundary: a trivial call through the C ABI (Rust libloading, ffi/benches) and
         through the module's P/Invoke shim; 100,000 sessions from the native library to
         PowerShell objects (native work, transfer, object creation); peak memory;
      5  footprint: Import-Module time (first, later), library size, memory after import.

    Benchmarks print numbers; they assert nothing about timings. Each measured column runs
    in its own fresh pwsh (or python) process started by this script, timed inside that
    process around the work itself (interpreter start-up and Import-Module are reported
    separately, in table 5). Request counts come from the emulator's GET /_emulator/stats,
    reset with POST /_emulator/reset before each column.

    The baselines that are sequential by design (hand-rolled loop, Python SDK) take about
    1.1 s per host: by default they are measured in full up to -BaselineMaxHosts hosts and
    extrapolated linearly beyond (the table says so on every such row).

    Needs: cargo, dotnet (the module's assembly), python3 (a venv with azure-mgmt-network is made
    from ../shared/wheels when $env:BASTION_PYTHON and ~/.cache/bastionsession/venv are
    missing). Takes about 12 minutes on 2 cores, plus the build.

.PARAMETER Table
    Which tables to run (1-5; default all).

.PARAMETER SkipBuild
    Use the binaries and module already built (target/release, out/bench/BastionSession).

.PARAMETER BaselineMaxHosts
    The hand-rolled and Python baselines are measured in full up to this many hosts and
    extrapolated linearly from the largest measured row above it (default 100; 1000 measures
    everything, which adds about 55 minutes).

.PARAMETER DisconnectBaselineSessions
    How many of the 10,000 sessions the per-session Invoke-RestMethod loop disconnects for
    real; the time and requests for 10,000 are extrapolated linearly (default 1000; 10000
    measures it in full, about 8 minutes more).

.PARAMETER OutFile
    Also write the Markdown to this file (default out/bench/results.md).

.PARAMETER Worker
    Internal: runs one measured column in this (child) process and prints one JSON line.

.EXAMPLE
    pwsh ./benches/run-benchmarks.ps1

.EXAMPLE
    pwsh ./benches/run-benchmarks.ps1 -Table 4,5 -SkipBuild
#>
[CmdletBinding()]
param(
    [string[]] $Table = @('1', '2', '3', '4', '5'),
    [switch] $SkipBuild,
    [ValidateRange(1, 1000)] [int] $BaselineMaxHosts = 100,
    [ValidateRange(100, 10000)] [int] $DisconnectBaselineSessions = 1000,
    [string] $OutFile,
    [string] $Worker,
    [string] $WorkerArgs
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$RepoRoot = Split-Path -Parent $PSScriptRoot
# The module is laid out in out/bench/BastionSession, not out/BastionSession: other tasks (the
# Pester suite builds a Debug layout into out/) must not swap the library under a running benchmark.
$ModuleRoot = Join-Path $RepoRoot 'out/bench'
$ModuleManifest = Join-Path $ModuleRoot 'BastionSession/BastionSession.psd1'
$Subscription = '00000000-0000-0000-0000-000000000001'
$Token = 'emulator-token'
$ApiVersion = '2025-07-01'

# ---------------------------------------------------------------------------------------------
# Helpers shared by the harness and the workers
# ---------------------------------------------------------------------------------------------

function Get-ProcessMemoryKb {
    <# VmRSS and VmHWM (peak) of this process in KiB, from /proc (Linux); working set elsewhere. #>
    $status = '/proc/self/status'
    if (Test-Path $status) {
        $text = Get-Content -Raw $status
        $rss = [long]([regex]::Match($text, 'VmRSS:\s+(\d+)').Groups[1].Value)
        $hwm = [long]([regex]::Match($text, 'VmHWM:\s+(\d+)').Groups[1].Value)
        return @{ rssKb = $rss; peakKb = $hwm }
    }
    $p = [Diagnostics.Process]::GetCurrentProcess()
    return @{ rssKb = [long]($p.WorkingSet64 / 1KB); peakKb = [long]($p.PeakWorkingSet64 / 1KB) }
}

function Get-CpuSeconds { [Diagnostics.Process]::GetCurrentProcess().TotalProcessorTime.TotalSeconds }

function Measure-Work {
    <# Runs $Script once; returns wall and CPU seconds (CPU: the whole process, every thread). #>
    param([scriptblock] $Script)
    [GC]::Collect()
    $cpu0 = Get-CpuSeconds
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $value = & $Script
    $sw.Stop()
    return @{ seconds = $sw.Elapsed.TotalSeconds; cpuSeconds = (Get-CpuSeconds) - $cpu0; value = $value }
}

function Invoke-Emulator {
    param([string] $Endpoint, [string] $Path, [string] $Method = 'GET')
    Invoke-RestMethod -Method $Method -Uri ($Endpoint.TrimEnd('/') + $Path) -TimeoutSec 30
}

function Reset-EmulatorStats([string] $Endpoint) { $null = Invoke-Emulator $Endpoint '/_emulator/reset' 'POST' }

function Get-StatValue {
    <# Finds a counter in the stats object: top level or under operations/byOperation/byStatus/... #>
    param($Stats, [string[]] $Names)
    $containers = @($Stats)
    foreach ($p in 'operations', 'byOperation', 'requests', 'byStatus', 'statuses', 'status', 'responses', 'throttle', 'throttling') {
        if ($Stats -and $Stats.PSObject.Properties[$p] -and $Stats.$p -is [psobject]) { $containers += $Stats.$p }
    }
    foreach ($c in $containers) {
        foreach ($n in $Names) {
            if ($c.PSObject.Properties[$n] -and ($c.$n -is [ValueType])) { return [long]$c.$n }
        }
    }
    return $null
}

function Get-EmulatorCounts {
    <# Total requests sent by clients (the emulator's own endpoints excluded) and 429s answered. #>
    param([string] $Endpoint)
    $stats = Invoke-Emulator $Endpoint '/_emulator/stats'
    $total = Get-StatValue $stats @('totalRequests', 'total', 'requests')
    if ($null -eq $total) {
        $total = 0L
        foreach ($p in $stats.operations.PSObject.Properties) { if ($p.Value -is [ValueType]) { $total += [long]$p.Value } }
    }
    $throttled = Get-StatValue $stats @('throttled', '429', 'status429', 'tooManyRequests')
    return @{ requests = $total; throttled = $(if ($null -eq $throttled) { 0 } else { $throttled }); raw = $stats }
}

# ---------------------------------------------------------------------------------------------
# Worker mode: one measured column in a fresh process, one JSON line out
# ---------------------------------------------------------------------------------------------

if ($Worker) {
    $a = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($WorkerArgs)) | ConvertFrom-Json
    $PSStyle.OutputRendering = 'PlainText'
    $out = [ordered]@{ worker = $Worker }
    trap {
        # one JSON line with the error, so the harness can print it in the table's notes
        [ordered]@{ worker = $Worker; error = ("$_" + ' @ ' + $_.InvocationInfo.PositionMessage -replace '\s+', ' ') } | ConvertTo-Json -Compress
        exit 1
    }
    $importWatch = [Diagnostics.Stopwatch]::StartNew()
    if ($Worker -notin 'HandRolledList', 'HandRolledDisconnect') { Import-Module $ModuleManifest }
    $out.importSeconds = $importWatch.Elapsed.TotalSeconds
    switch ($Worker) {
        'ModuleList' {
            $extra = @{}
            if ($a.PSObject.Properties['throttleLimit'] -and $a.throttleLimit -gt 0) { $extra.ThrottleLimit = [int]$a.throttleLimit }
            $errs = [System.Collections.Generic.List[object]]::new()
            $m = Measure-Work {
                Get-BastionSession -SubscriptionId $a.subscription -AccessToken $a.token -ArmEndpoint $a.endpoint -ErrorVariable e -ErrorAction SilentlyContinue @extra
                foreach ($x in $e) { $errs.Add($x) }
            }
            $all = @($m.value)
            $out.seconds = $m.seconds; $out.cpuSeconds = $m.cpuSeconds
            $out.sessions = $all.Count
            $out.hosts = @($all | Select-Object -ExpandProperty BastionResourceId -Unique).Count
            $out.errors = $errs.Count
            $out.firstError = if ($errs.Count) { "$($errs[0])" } else { $null }
        }
        'HandRolledList' {
            $baselinePath = Join-Path $PSScriptRoot 'baselines/Invoke-HandRolledList.ps1'
            $m = Measure-Work { & $baselinePath -ArmEndpoint $a.endpoint -SubscriptionId $a.subscription -AccessToken $a.token -MaxHosts $a.maxHosts }
            $all = @($m.value)
            $out.seconds = $m.seconds; $out.cpuSeconds = $m.cpuSeconds
            $out.sessions = $all.Count
            $out.hosts = @($all | Select-Object -ExpandProperty BastionResourceId -Unique).Count
        }
        'ModuleDisconnect' {
            $sessions = @(Get-BastionSession -SubscriptionId $a.subscription -AccessToken $a.token -ArmEndpoint $a.endpoint)
            $out.listed = $sessions.Count
            Reset-EmulatorStats $a.endpoint
            $m = Measure-Work { $sessions | Disconnect-BastionSession -Force -AccessToken $a.token -ArmEndpoint $a.endpoint }
            $results = @($m.value)
            $out.seconds = $m.seconds; $out.cpuSeconds = $m.cpuSeconds
            $out.disconnected = $sessions.Count
            $out.results = $results.Count
            $out.states = (($results | Group-Object State | ForEach-Object { '{0}={1}' -f $_.Name, $_.Count }) -join ', ')
        }
        'HandRolledDisconnect' {
            # listed with the hand-rolled lister (not timed), so this baseline needs no module
            $sessions = @(& (Join-Path $PSScriptRoot 'baselines/Invoke-HandRolledList.ps1') -ArmEndpoint $a.endpoint -SubscriptionId $a.subscription -AccessToken $a.token)
            $out.listed = $sessions.Count
            $subset = @($sessions | Select-Object -First ([int]$a.count))
            $baselinePath = Join-Path $PSScriptRoot 'baselines/Invoke-HandRolledDisconnect.ps1'
            Reset-EmulatorStats $a.endpoint
            $m = Measure-Work { $subset | & $baselinePath -ArmEndpoint $a.endpoint -AccessToken $a.token }
            $results = @($m.value)
            $out.seconds = $m.seconds; $out.cpuSeconds = $m.cpuSeconds
            $out.disconnected = $subset.Count
            $out.results = $results.Count
            $out.states = (($results | Group-Object State | ForEach-Object { '{0}={1}' -f $_.Name, $_.Count }) -join ', ')
        }
        'Boundary' {
            # (a) a trivial call through the shim: bastion_poll_progress on an unknown id (UTF-8
            #     in, envelope out, copied, freed) and bastion_cancel (int out), N times each.
            $n = [int]$a.trivialCalls
            [void][BastionSession.Native]::PollProgress('bench-warmup')
            $sw = [Diagnostics.Stopwatch]::StartNew()
            for ($i = 0; $i -lt $n; $i++) { [void][BastionSession.Native]::PollProgress('bench-op') }
            $out.pollNs = $sw.Elapsed.TotalMilliseconds * 1e6 / $n
            $sw.Restart()
            for ($i = 0; $i -lt $n; $i++) { [void][BastionSession.Native]::Cancel('bench-op') }
            $out.cancelNs = $sw.Elapsed.TotalMilliseconds * 1e6 / $n
            # the same calls from a compiled C# loop: the shim's cost without PowerShell's per-statement cost
            Add-Type -ReferencedAssemblies ([BastionSession.Native].Assembly.Location), ([Reflection.Assembly]::Load('netstandard').Location) -TypeDefinition @'
public static class BastionBenchLoop {
    public static double PollNs(int n) {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < n; i++) BastionSession.Native.PollProgress("bench-op");
        return sw.Elapsed.TotalMilliseconds * 1e6 / n;
    }
    public static double CancelNs(int n) {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < n; i++) BastionSession.Native.Cancel("bench-op");
        return sw.Elapsed.TotalMilliseconds * 1e6 / n;
    }
}
'@
            $out.csPollNs = [BastionBenchLoop]::PollNs($n)
            $out.csCancelNs = [BastionBenchLoop]::CancelNs($n)
            # the PowerShell loop itself, to subtract
            $sw.Restart()
            for ($i = 0; $i -lt $n; $i++) { [void][Math]::Abs($i) }
            $out.loopNs = $sw.Elapsed.TotalMilliseconds * 1e6 / $n

            # (b) 100,000 sessions: one non-streamed bastion_get_sessions, step by step; run
            #     twice, the first (cold: JIT, first allocations) reported beside the second.
            $memBefore = Get-ProcessMemoryKb
            foreach ($round in 'cold', 'warm') {
                $opId = [BastionSession.Native]::NewOperationId()
                $json = @{
                    operationId = $opId
                    credential  = @{ type = 'accessToken'; token = $a.token }
                    armEndpoint = $a.endpoint
                    scope       = @{ subscriptionIds = @($a.subscription) }
                } | ConvertTo-Json -Depth 5 -Compress
                $answer = $null; $hostResults = $null; $objects = $null
                [GC]::Collect()
                $cpu0 = Get-CpuSeconds
                $sw.Restart()
                $op = [BastionSession.Native]::Start('bastion_get_sessions', $json, $opId)
                while (-not $op.Wait(10)) { }
                # The worker thread reads the envelope in place into objects before the call
                # returns (Native.CallAndParse): the call time includes object creation.
                $answer = $op.GetAnswer()
                $callMs = $sw.Elapsed.TotalMilliseconds
                $sw.Restart()
                $hostResults = $op.GetHostSessionsOutcomes()
                $parseMs = $sw.Elapsed.TotalMilliseconds
                $sw.Restart()
                $objects = @(foreach ($h in $hostResults) { $h.Sessions })
                $pipelineMs = $sw.Elapsed.TotalMilliseconds
                $stats = $op.GetStats()
                $r = [ordered]@{ nativeMs = [double]$stats['elapsedMs']; callMs = $callMs; transferMs = $callMs - [double]$stats['elapsedMs']; parseMs = $parseMs; pipelineMs = $pipelineMs; cpuSeconds = (Get-CpuSeconds) - $cpu0 }
                $out[$round] = $r
                $out.envelopeBytes = $answer.EnvelopeBytes
                $out.objects = $objects.Count
                $out.typeName = if ($objects.Count) { $objects[0].PSObject.TypeNames[0] } else { $null }
            }
            foreach ($k in 'nativeMs', 'callMs', 'transferMs', 'parseMs', 'pipelineMs') { $out[$k] = $out.warm[$k] }
            $memAfter = Get-ProcessMemoryKb
            $out.rssBeforeKb = $memBefore.rssKb; $out.rssAfterKb = $memAfter.rssKb; $out.peakKb = $memAfter.peakKb
            $answer = $null; $hostResults = $null; $objects = $null; $op = $null
            [GC]::Collect()

            # (c) the same through the cmdlet, end to end (HTTP included).
            $m = Measure-Work { Get-BastionSession -SubscriptionId $a.subscription -AccessToken $a.token -ArmEndpoint $a.endpoint }
            $out.cmdletSeconds = $m.seconds
            $out.cmdletCpuSeconds = $m.cpuSeconds
            $out.cmdletObjects = @($m.value).Count
            $out.peakAfterCmdletKb = (Get-ProcessMemoryKb).peakKb
        }
        'Import' {
            # $out.importSeconds above is the first import in this fresh process.
            $out.afterFirstImportKb = (Get-ProcessMemoryKb).rssKb
            $later = @()
            for ($i = 0; $i -lt [int]$a.repeats; $i++) {
                Remove-Module BastionSession
                $sw = [Diagnostics.Stopwatch]::StartNew()
                Import-Module $ModuleManifest
                $later += $sw.Elapsed.TotalSeconds
            }
            $out.laterImportSeconds = $later
            [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
            $out.afterImportKb = (Get-ProcessMemoryKb).rssKb
        }
        'Bare' {
            [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect()
            $out.bareKb = (Get-ProcessMemoryKb).rssKb
        }
        default { throw "unknown worker $Worker" }
    }
    $out | ConvertTo-Json -Compress -Depth 4
    return
}

# ---------------------------------------------------------------------------------------------
# Harness
# ---------------------------------------------------------------------------------------------

# The pwsh running this script, for the worker processes. A dotnet global-tool pwsh runs as
# "dotnet pwsh.dll": then the host is dotnet and pwsh.dll comes first.
# -Table 1,2 arrives as one string under pwsh -File: split it.
$Table = @($Table | ForEach-Object { $_ -split '[,\s]+' } | Where-Object { $_ })
foreach ($t in $Table) { if ($t -notin '1', '2', '3', '4', '5') { throw "-Table takes 1 to 5, not '$t'" } }

$Pwsh = [Environment]::ProcessPath
$PwshPrefix = @()
if ([IO.Path]::GetFileNameWithoutExtension($Pwsh) -eq 'dotnet') { $PwshPrefix = @([Environment]::GetCommandLineArgs()[0]) }
$CacheDir = if ($env:BASTION_CACHE_DIR) { $env:BASTION_CACHE_DIR } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.cache/bastionsession' }
$ExeSuffix = if ($IsWindows) { '.exe' } else { '' }
$EmulatorExe = if ($env:BASTION_BENCH_EMULATOR) { $env:BASTION_BENCH_EMULATOR } else { Join-Path $RepoRoot "target/release/bastion-emulator$ExeSuffix" }
$LogDir = Join-Path $RepoRoot 'out/bench'
if (-not $OutFile) { $OutFile = Join-Path $LogDir 'results.md' }
New-Item -ItemType Directory -Force -Path $LogDir | Out-Null
$script:Markdown = [System.Collections.Generic.List[string]]::new()
$script:Emulators = [System.Collections.Generic.List[object]]::new()
$script:Failures = [System.Collections.Generic.List[string]]::new()
$script:Table1 = $null; $script:Table2 = $null; $script:Table3 = $null; $script:Table4 = $null; $script:Table5 = $null

function Write-Note([string] $Text) { Write-Host "  $Text" -ForegroundColor DarkGray }

function Write-Md {
    <# Prints Markdown lines and keeps them for -OutFile. #>
    param([string[]] $Lines)
    foreach ($l in $Lines) { Write-Host $l; $script:Markdown.Add($l) }
}

function Invoke-Native {
    param([string] $FilePath, [string[]] $ArgumentList)
    Write-Note "> $FilePath $($ArgumentList -join ' ')"
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($ArgumentList -join ' ')' exited with $LASTEXITCODE" }
}

function Get-Python {
    foreach ($p in @($env:BASTION_PYTHON, (Join-Path $CacheDir 'venv/bin/python')) | Where-Object { $_ }) {
        if (Test-Path $p) { return $p }
    }
    $venv = Join-Path $CacheDir 'venv'
    $wheels = Join-Path $RepoRoot '../shared/wheels'
    Invoke-Native python3 @('-m', 'venv', $venv)
    Invoke-Native (Join-Path $venv 'bin/pip') @('install', '--quiet', '--no-index', '--find-links', $wheels, 'azure-mgmt-network')
    return (Join-Path $venv 'bin/python')
}

function Start-Emulator {
    <#
        Starts target/release/bastion-emulator --port 0 <args> with its stdin redirected (it
        exits when stdin closes), reads "listening on http://127.0.0.1:PORT" from its first line,
        and drains the rest of its stdout/stderr into out/bench/emulator-*.log.
    #>
    param([string[]] $ArgumentList)
    $psi = [Diagnostics.ProcessStartInfo]::new($EmulatorExe)
    foreach ($x in @('--port', '0') + $ArgumentList) { $psi.ArgumentList.Add([string]$x) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $proc = [Diagnostics.Process]::Start($psi)
    $script:Emulators.Add($proc)
    $readLine = $proc.StandardOutput.ReadLineAsync()
    if (-not $readLine.Wait(30000) -or $null -eq $readLine.Result) {
        $err = if ($proc.HasExited) { $proc.StandardError.ReadToEnd() } else { '' }
        throw "bastion-emulator $($ArgumentList -join ' ') did not print its address: $err"
    }
    $m = [regex]::Match($readLine.Result, 'listening on (https?://\S+)')
    if (-not $m.Success) { throw "unexpected first line from bastion-emulator: $($readLine.Result)" }
    $log = [IO.File]::Open((Join-Path $LogDir ("emulator-{0}.log" -f $proc.Id)), 'Create', 'Write', 'ReadWrite')
    $null = $proc.StandardOutput.BaseStream.CopyToAsync($log)
    $null = $proc.StandardError.BaseStream.CopyToAsync([IO.Stream]::Null)
    Write-Note ("emulator {0} on {1}: {2}" -f $proc.Id, $m.Groups[1].Value, ($ArgumentList -join ' '))
    return [pscustomobject]@{ Process = $proc; Endpoint = $m.Groups[1].Value.TrimEnd('/'); Log = $log }
}

function Stop-Emulator($Emulator) {
    if ($null -eq $Emulator) { return }
    try { $Emulator.Process.StandardInput.Close() } catch { }
    if (-not $Emulator.Process.WaitForExit(3000)) { try { $Emulator.Process.Kill() } catch { } }
    $script:Emulators.Remove($Emulator.Process) | Out-Null
}

function Invoke-Worker {
    <# Runs this script with -Worker in a fresh pwsh and returns the JSON it prints. #>
    param([string] $Name, [hashtable] $Arguments)
    $encoded = [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes(($Arguments | ConvertTo-Json -Compress)))
    $lines = & $Pwsh @PwshPrefix -NoProfile -NonInteractive -File $PSCommandPath -Worker $Name -WorkerArgs $encoded 2>&1
    $exit = $LASTEXITCODE
    $lines = @($lines | ForEach-Object { "$_" -replace "`e\[[\d;]*m", '' })
    $json = @($lines | Where-Object { $_.StartsWith('{') }) | Select-Object -Last 1
    $result = if ($json) { $json | ConvertFrom-Json } else { $null }
    if ($result -and $result.PSObject.Properties['error']) { throw "worker $Name failed: $($result.error)" }
    if ($exit -ne 0 -or -not $result) { throw "worker $Name failed (exit $exit): $($lines -join "`n")" }
    return $result
}

function Invoke-WorkerOrNote {
    <# Invoke-Worker, but a failure becomes a note in the table instead of ending the suite. #>
    param([string] $Name, [hashtable] $Arguments)
    try { return Invoke-Worker $Name $Arguments }
    catch {
        $first = ("$($_.Exception.Message)" -split "`n" | Where-Object { $_ -match '\S' } | Select-Object -First 3) -join ' / '
        Write-Warning "$Name not measured: $first"
        $script:Failures.Add("$Name`: $first")
        return $null
    }
}

function Invoke-PythonBaseline {
    param([string] $Endpoint, [int] $MaxHosts = 0)
    $python = Get-Python
    $env:NO_PROXY = '127.0.0.1,localhost'
    $lines = & $python (Join-Path $PSScriptRoot 'baselines/python_sdk_list.py') --endpoint $Endpoint --subscription $Subscription --token $Token --max-hosts $MaxHosts 2>&1
    $json = @($lines | ForEach-Object { "$_" } | Where-Object { $_.StartsWith('{') }) | Select-Object -Last 1
    if ($LASTEXITCODE -ne 0 -or -not $json) { throw "python baseline failed: $($lines -join "`n")" }
    return ($json | ConvertFrom-Json)
}

function Format-Seconds([double] $s) {
    if ($s -ge 100) { return '{0:n0} s' -f $s }
    if ($s -ge 10) { return '{0:n1} s' -f $s }
    if ($s -ge 1) { return '{0:n2} s' -f $s }
    return '{0:n0} ms' -f ($s * 1000)
}

function Format-Ratio([double] $r) { if ($r -ge 10) { '{0:n0}×' -f $r } else { '{0:n2}×' -f $r } }

# The emulator's knobs as the benchmarks use them, and what the floor needs to know.
$LatencySec = 0.050
$RetryAfterSec = 1
$SessionsPerHost = 10
# Get-BastionSession's default -ThrottleLimit is the C ABI's `concurrency` default: read it from
# ffi/CONTRACT.md (or the core crate's DEFAULT_CONCURRENCY) so the floors follow the code.
$ModuleDefaultConcurrency = 16
$contractText = Get-Content -Raw (Join-Path $RepoRoot 'ffi/CONTRACT.md') -ErrorAction SilentlyContinue
$optionsText = Get-Content -Raw (Join-Path $RepoRoot 'src/options.rs') -ErrorAction SilentlyContinue
if ($optionsText -and $optionsText -match 'DEFAULT_CONCURRENCY\s*:\s*usize\s*=\s*(\d+)') { $ModuleDefaultConcurrency = [int]$Matches[1] }
elseif ($contractText -and $contractText -match '\|\s*`concurrency`\s*\|\s*int\s*\|\s*(\d+)') { $ModuleDefaultConcurrency = [int]$Matches[1] }
$WideConcurrency = 256              # the most -ThrottleLimit allows: an extra column where it differs from the default
$ListPageSize = 0                   # hosts per page of the ARM list API in the emulator; read from --help below
$SessionPageSize = 0                # sessions per page by default; read from --help below
$Answers202 = 1                     # 202 answers per getActiveSessions at --polls 1; probed below

function Get-Floor {
    <#
        The least time the emulator's latency and polling allow a client that honours Retry-After:
          per host  = POST (latency) + for each 202 answer: Retry-After + poll GET (latency)
                      + (pages-1) page GETs (latency)
          hosts     = ceil(hosts / concurrency) waves of per-host time
          discovery = ceil(hosts / list page size) list GETs (latency), sequential (nextLink)
    #>
    param([int] $Hosts, [int] $Concurrency)
    $pages = if ($SessionPageSize -gt 0) { [math]::Max(1, [math]::Ceiling($SessionsPerHost / $SessionPageSize)) } else { 1 }
    $perHost = $LatencySec + $Answers202 * ($RetryAfterSec + $LatencySec) + ($pages - 1) * $LatencySec
    $discoveryPages = if ($ListPageSize -gt 0) { [math]::Max(1, [math]::Ceiling($Hosts / $ListPageSize)) } else { 1 }
    $waves = [math]::Ceiling($Hosts / $Concurrency)
    return @{ seconds = $waves * $perHost + $discoveryPages * $LatencySec; perHost = $perHost; waves = $waves; discoveryPages = $discoveryPages
        requests = $discoveryPages + $Hosts * (1 + $Answers202 + $pages - 1) }
}

function Read-EmulatorDefaults {
    <# Page size and token-bucket parameters as the emulator states them in --help. #>
    $help = (& $EmulatorExe --help 2>&1) -join "`n"
    $m = [regex]::Match($help, '--page-size[^\n]*\n\s*[^\n]*\[default:\s*(\d+)\]')
    if ($m.Success) { $script:SessionPageSize = [int]$m.Groups[1].Value; $script:ListPageSize = [int]$m.Groups[1].Value }
    $m = [regex]::Match($help, 'reads\s+(\d+)\s*\+\s*(\d+)/s,\s*writes\s+(\d+)\s*\+\s*(\d+)/s')
    if ($m.Success) {
        $script:BucketReadCapacity = [int]$m.Groups[1].Value; $script:BucketReadRefill = [int]$m.Groups[2].Value
        $script:BucketWriteCapacity = [int]$m.Groups[3].Value; $script:BucketWriteRefill = [int]$m.Groups[4].Value
        $script:BucketSource = 'as bastion-emulator --help states them'
    }
}

function Measure-PollSemantics {
    <#
        How many 202 answers one getActiveSessions takes on this emulator (the POST's 202
        included), found by asking: POST, then GET the Location at once until it answers 200.
        A client that honours every Retry-After waits once per 202.
    #>
    param([string] $Endpoint)
    $h = @{ Authorization = "Bearer $Token" }
    $list = Invoke-RestMethod -Uri "$Endpoint/subscriptions/$Subscription/providers/Microsoft.Network/bastionHosts?api-version=$ApiVersion" -Headers $h
    $id = @($list.value)[0].id
    $r = Invoke-WebRequest -Method POST -Uri "$Endpoint$id/getActiveSessions?api-version=$ApiVersion" -Headers $h -SkipHttpErrorCheck
    $answers = 0
    while ([int]$r.StatusCode -eq 202 -and $answers -lt 20) {
        $answers++
        $location = @($r.Headers['Location'])[0]
        if (-not $location) { break }
        $r = Invoke-WebRequest -Uri $location -Headers $h -SkipHttpErrorCheck
    }
    return $answers
}

function Get-BucketLimit {
    <#
        The time the emulator's per-subscription token buckets alone impose on one listing of
        $Hosts hosts: each bucket starts full (capacity) and refills at a steady rate, so n
        requests of a kind need at least max(0, n - capacity) / refill seconds; reads and writes
        drain separate buckets at the same time, so the bound is the larger of the two.
          writes: $Hosts POST getActiveSessions
          reads : $Hosts poll GETs + discovery pages
    #>
    param([int] $Hosts)
    $floor = Get-Floor $Hosts 1
    $writes = $Hosts
    $reads = $Hosts + $floor.discoveryPages
    $w = [math]::Max(0, ($writes - $BucketWriteCapacity) / $BucketWriteRefill)
    $r = [math]::Max(0, ($reads - $BucketReadCapacity) / $BucketReadRefill)
    return @{ seconds = [math]::Max($w, $r); writes = $writes; reads = $reads
        explain = ("Bucket parameters ({0}): writes capacity {1}, refill {2}/s; reads capacity {3}, refill {4}/s. Bucket alone = max(({5} POSTs − {1}) / {2}, ({6} GETs − {3}) / {4}) = max({7:n1} s, {8:n1} s) = {9:n1} s." -f $BucketSource, $BucketWriteCapacity, $BucketWriteRefill, $BucketReadCapacity, $BucketReadRefill, $writes, $reads, $w, $r, [math]::Max($w, $r)) }
}

function Invoke-RustBoundaryBench {
    <# The C ABI engineer's libloading benchmark (ffi/benches/marshal.rs), if it reports a trivial call. #>
    $rows = [System.Collections.Generic.List[string]]::new()
    $bench = Join-Path $RepoRoot 'ffi/benches/marshal.rs'
    if (-not (Test-Path $bench) -or (Get-Item $bench).Length -lt 200) {
        $rows.Add('| Rust → C ABI (libloading) | not measured: ffi/benches/marshal.rs is not written yet | — |')
        return @{ rows = $rows }
    }
    $lines = & cargo bench --quiet -p bastion_session_ffi --bench marshal 2>&1 | ForEach-Object { "$_" }
    if ($LASTEXITCODE -ne 0) {
        $rows.Add("| Rust → C ABI (libloading) | cargo bench -p bastion_session_ffi --bench marshal failed (exit $LASTEXITCODE) | — |")
        return @{ rows = $rows; output = $lines }
    }
    foreach ($l in $lines) { Write-Note $l }
    foreach ($l in $lines) {
        # e.g. "boundary: poll_progress, unknown operation      1.60 us/call (100000 calls, 159.63ms)"
        #      "marshal 100,000 sessions into the envelope (+ C string)   124.54 ms (52.8 MB, best of 5)"
        $m = [regex]::Match($l, '^\s*(?<name>\S.*?)\s{2,}(?<v>[\d.,]+)\s*(?<u>ns|us|µs|ms|s)(?<per>/call)?\s*(\((?<rest>[^)]*)\))?\s*$')
        if ($m.Success) {
            $what = if ($m.Groups['per'].Success) { 'per call' } else { 'total' }
            $rows.Add(('| Rust → C ABI (libloading, in-process) | {0} | {1} {2} {3}{4} |' -f $m.Groups['name'].Value, $m.Groups['v'].Value, ($m.Groups['u'].Value -replace '^us$', 'µs'), $what, $(if ($m.Groups['rest'].Success) { " ($($m.Groups['rest'].Value))" } else { '' })))
        }
    }
    if ($rows.Count -eq 0) { $rows.Add('| Rust → C ABI (libloading) | see `cargo bench -p bastion_session_ffi --bench marshal` output | — |') }
    return @{ rows = $rows; output = $lines }
}

# Token-bucket parameters of the emulator's --throttle (read from its --help when it states them).
$BucketWriteCapacity = 200; $BucketWriteRefill = 10; $BucketReadCapacity = 250; $BucketReadRefill = 25
$BucketSource = 'ARM''s documented per-subscription defaults, assumed'

# --------------------------------------------------------------------------------------------- build

$suiteWatch = [Diagnostics.Stopwatch]::StartNew()
Push-Location $RepoRoot
try {
    if (-not $SkipBuild) {
        Invoke-Native cargo @('build', '--release', '-p', 'bastion_session_ffi', '-p', 'bastion-emulator')
        & (Join-Path $RepoRoot 'powershell/build-module.ps1') -Configuration Release -OutputRoot $ModuleRoot -SkipCargo
    }
    if (-not (Test-Path $EmulatorExe)) { throw "emulator not built: $EmulatorExe" }
    if (-not (Test-Path $ModuleManifest)) { throw "module not built: $ModuleManifest (run without -SkipBuild)" }
    Read-EmulatorDefaults
    $probe = Start-Emulator @('--hosts', 1, '--sessions-per-host', 1, '--polls', 1, '--retry-after', 1)
    try { $script:Answers202 = Measure-PollSemantics $probe.Endpoint } finally { Stop-Emulator $probe }
    Write-Note "the emulator answers getActiveSessions with $Answers202 × 202 before the 200 at --polls 1"

    $cpuModel = if (Test-Path /proc/cpuinfo) { ([regex]::Match((Get-Content -Raw /proc/cpuinfo), 'model name\s*:\s*([^\n]+)')).Groups[1].Value.Trim() } else { $env:PROCESSOR_IDENTIFIER }
    $memTotal = if (Test-Path /proc/meminfo) { '{0:n1} GiB' -f ([long]([regex]::Match((Get-Content -Raw /proc/meminfo), 'MemTotal:\s+(\d+)').Groups[1].Value) / 1MB) } else { '?' }
    $commit = (git -C $RepoRoot rev-parse --short HEAD 2>$null)
    $script:LoadStart = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { '?' }
    Write-Md @(
        '# BastionSession benchmark run', '',
        ("- date: {0:u}; commit {1}" -f [DateTime]::UtcNow, $commit),
        ("- machine: {0} logical cores ({1}), {2} RAM, {3}; load average at the start: {4} (the machine is shared)" -f [Environment]::ProcessorCount, $cpuModel, $memTotal, [Runtime.InteropServices.RuntimeInformation]::OSDescription, $script:LoadStart),
        ("- pwsh {0}; {1}; python {2}" -f $PSVersionTable.PSVersion, ((rustc --version) 2>$null), ((& (Get-Python) --version) 2>&1)),
        ('- emulator: {2} × 202 per getActiveSessions at `--polls 1` (probed); defaults read from --help: session page size {0}, host list page size {1}' -f $(if ($SessionPageSize) { $SessionPageSize } else { 'unknown (1 page assumed)' }), $(if ($ListPageSize) { $ListPageSize } else { 'unknown (1 page assumed)' }), $Answers202),
        '')

    # ----------------------------------------------------------------------------------------- 1
    if ($Table -contains '1') {
        Write-Host "`n== 1. listing across many hosts ==" -ForegroundColor Cyan
        $rows = [System.Collections.Generic.List[object]]::new()
        $measured = @{}
        $moduleColumns = @(
            @{ Name = "Get-BastionSession (default -ThrottleLimit $ModuleDefaultConcurrency)"; Concurrency = $ModuleDefaultConcurrency; Args = @{}; MinHosts = 1 }
            @{ Name = "Get-BastionSession -ThrottleLimit $WideConcurrency"; Concurrency = $WideConcurrency; Args = @{ throttleLimit = $WideConcurrency }; MinHosts = 100 }
        )
        foreach ($hosts in 1, 10, 100, 1000) {
            $emu = Start-Emulator @('--hosts', $hosts, '--sessions-per-host', $SessionsPerHost, '--latency-ms', 50, '--polls', 1, '--retry-after', 1)
            try {
                $common = @{ endpoint = $emu.Endpoint; subscription = $Subscription; token = $Token }
                foreach ($col in $moduleColumns) {
                    if ($hosts -lt $col.MinHosts) { continue }
                    Reset-EmulatorStats $emu.Endpoint
                    $r = Invoke-WorkerOrNote ModuleList ($common + $col.Args)
                    $row = [pscustomobject]@{ Hosts = $hosts; Approach = $col.Name; Seconds = $null; Cpu = $null; Requests = $null; Sessions = $null; Floor = (Get-Floor $hosts $col.Concurrency); Note = 'not measured (see the notes below)' }
                    if ($r) {
                        $c = Get-EmulatorCounts $emu.Endpoint
                        $row.Seconds = $r.seconds; $row.Cpu = $r.cpuSeconds; $row.Requests = $c.requests; $row.Sessions = $r.sessions
                        $row.Note = $(if ($r.errors) { "$($r.errors) errors: $($r.firstError)" } else { '' })
                        Write-Note ("{0}: {1:n2} s, {2} sessions, {3} requests" -f $col.Name, $r.seconds, $r.sessions, $c.requests)
                    }
                    $rows.Add($row)
                }
                foreach ($baseline in 'hand-rolled Invoke-WebRequest loop', 'Azure SDK for Python') {
                    $floorSeq = Get-Floor $hosts 1
                    if ($hosts -le $BaselineMaxHosts) {
                        Reset-EmulatorStats $emu.Endpoint
                        if ($baseline -like 'hand*') { $r = Invoke-Worker HandRolledList ($common + @{ maxHosts = 0 }) }
                        else { $r = Invoke-PythonBaseline $emu.Endpoint }
                        $c = Get-EmulatorCounts $emu.Endpoint
                        $row = [pscustomobject]@{ Hosts = $hosts; Approach = $baseline; Seconds = $r.seconds; Cpu = $r.cpuSeconds; Requests = $c.requests; Sessions = $r.sessions; Floor = $floorSeq; Note = 'measured' }
                        $measured[$baseline] = $row
                        Write-Note ("{0}: {1:n2} s, {2} sessions, {3} requests" -f $baseline, $r.seconds, $r.sessions, $c.requests)
                    } else {
                        $src = $measured[$baseline]
                        $k = $hosts / $src.Hosts
                        $row = [pscustomobject]@{ Hosts = $hosts; Approach = $baseline; Seconds = $src.Seconds * $k; Cpu = $src.Cpu * $k; Requests = [long]($src.Requests * $k); Sessions = [long]($src.Sessions * $k); Floor = $floorSeq
                            Note = ('**extrapolated** linearly (×{0}) from the {1}-host row measured in this run' -f $k, $src.Hosts) }
                    }
                    $rows.Add($row)
                }
            } finally { Stop-Emulator $emu }
        }
        Write-Md @('', '## 1. Listing across many hosts', '',
            (("10 sessions per host; emulator ``--latency-ms 50 --polls 1 --retry-after 1``, which answers each getActiveSessions with {0} × 202 (Retry-After: 1) before the 200 (probed at the start of the run). **Floor** = ceil(hosts / 100) discovery pages × 50 ms + ceil(hosts / concurrency) × per-host time, per host = POST 50 ms + {0} × (Retry-After 1 s + poll GET 50 ms) = {1:n2} s, at" -f $Answers202, (Get-Floor 1 1).perHost) + " the approach's own concurrency ($ModuleDefaultConcurrency for the cmdlet's default, $WideConcurrency with -ThrottleLimit $WideConcurrency, 1 for the sequential baselines). **Faster by** = that row's time / Get-BastionSession's default time for the same hosts. **CPU** = CPU time of the measuring process (all threads) during the work; the emulator's own CPU is not counted. The Azure SDK for Python GETs the Location immediately after the POST's 202, without waiting for its Retry-After (azure-core's LRO poller waits only before later polls), so against this emulator, which counts 202 answers rather than time, it saves one Retry-After per host and can come in under the floor."), '',
            '| hosts | approach | wall time | × its floor (floor) | Get-BastionSession faster by | requests (floor) | CPU | sessions | note |',
            '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
        foreach ($row in $rows) {
            $moduleRow = $rows | Where-Object { $_.Hosts -eq $row.Hosts -and $_.Approach -like 'Get-BastionSession (default*' } | Select-Object -First 1
            $speed = if ($row -eq $moduleRow -or $null -eq $moduleRow.Seconds -or $null -eq $row.Seconds) { '—' } else { Format-Ratio ($row.Seconds / $moduleRow.Seconds) }
            if ($null -eq $row.Seconds) {
                Write-Md ('| {0:n0} | {1} | — | — ({2}) | — | — ({3:n0}) | — | — | {4} |' -f $row.Hosts, $row.Approach, (Format-Seconds $row.Floor.seconds), $row.Floor.requests, $row.Note)
                continue
            }
            Write-Md ('| {0:n0} | {1} | {2} | {3} ({4}) | {5} | {6:n0} ({7:n0}) | {8} | {9:n0} | {10} |' -f $row.Hosts, $row.Approach, (Format-Seconds $row.Seconds),
                (Format-Ratio ($row.Seconds / $row.Floor.seconds)), (Format-Seconds $row.Floor.seconds), $speed, $row.Requests, $row.Floor.requests,
                (Format-Seconds $row.Cpu), $row.Sessions, $row.Note)
        }
        $script:Table1 = $rows
    }
    # ----------------------------------------------------------------------------------------- 2
    if ($Table -contains '2') {
        Write-Host "`n== 2. under ARM throttling ==" -ForegroundColor Cyan
        $bucket = Get-BucketLimit -Hosts 1000
        $t2rows = [System.Collections.Generic.List[object]]::new()
        foreach ($col in @(@{ Name = "default (-ThrottleLimit $ModuleDefaultConcurrency)"; Concurrency = $ModuleDefaultConcurrency; Args = @{} }, @{ Name = "-ThrottleLimit $WideConcurrency"; Concurrency = $WideConcurrency; Args = @{ throttleLimit = $WideConcurrency } })) {
            # a fresh emulator per row: the buckets start full
            $emu = Start-Emulator @('--hosts', 1000, '--sessions-per-host', $SessionsPerHost, '--latency-ms', 50, '--polls', 1, '--retry-after', 1, '--throttle')
            try {
                $r = Invoke-WorkerOrNote ModuleList (@{ endpoint = $emu.Endpoint; subscription = $Subscription; token = $Token } + $col.Args)
                $c = Get-EmulatorCounts $emu.Endpoint
                if ($r) { Write-Note ("throttled, {0}: {1:n1} s, {2} sessions on {3} hosts, {4} errors, {5} requests, {6} 429s" -f $col.Name, $r.seconds, $r.sessions, $r.hosts, $r.errors, $c.requests, $c.throttled) }
            } finally { Stop-Emulator $emu }
            $t2rows.Add([pscustomobject]@{ Name = $col.Name; Result = $r; Counts = $c; Floor = (Get-Floor 1000 $col.Concurrency) })
        }
        $script:Table2 = $t2rows
        Write-Md @('', '## 2. Under ARM throttling', '',
            "1,000 hosts × 10 sessions, emulator ``--throttle --latency-ms 50 --polls 1 --retry-after 1`` (a fresh emulator per row, so the buckets start full), ``Get-BastionSession -SubscriptionId ...``. $($bucket.explain) The latency floor is computed as in table 1 at the row's concurrency; no run can beat the larger of the two. Requests include the 429s.", '',
            '| Get-BastionSession | wall time | 429s received | hosts answered | hosts failed | errors written | requests | bucket alone | latency floor | × bucket alone | × max(bucket, floor) |',
            '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
        foreach ($row in $t2rows) {
            $r = $row.Result
            if ($r) {
                Write-Md ('| {0} | {1} | {2:n0} | {3:n0} | {4} | {5} | {6:n0} | {7} | {8} | {9} | {10} |' -f $row.Name, (Format-Seconds $r.seconds), $row.Counts.throttled, $r.hosts, (1000 - $r.hosts), $r.errors, $row.Counts.requests,
                    (Format-Seconds $bucket.seconds), (Format-Seconds $row.Floor.seconds), (Format-Ratio ($r.seconds / $bucket.seconds)), (Format-Ratio ($r.seconds / [math]::Max($bucket.seconds, $row.Floor.seconds))))
            } else {
                Write-Md ('| {0} | not measured (see the notes below) | | | | | | {1} | {2} | | |' -f $row.Name, (Format-Seconds $bucket.seconds), (Format-Seconds $row.Floor.seconds))
            }
        }
    }

    # ----------------------------------------------------------------------------------------- 3
    if ($Table -contains '3') {
        Write-Host "`n== 3. disconnect through the pipeline ==" -ForegroundColor Cyan
        $emu = Start-Emulator @('--hosts', 100, '--sessions-per-host', 100, '--latency-ms', 50, '--polls', 0)
        try {
            $common = @{ endpoint = $emu.Endpoint; subscription = $Subscription; token = $Token }
            $m = Invoke-WorkerOrNote ModuleDisconnect $common
            $mc = Get-EmulatorCounts $emu.Endpoint
            if ($m) { Write-Note ("module: {0:n2} s, {1} results ({2}), {3} requests" -f $m.seconds, $m.results, $m.states, $mc.requests) }
            Reset-EmulatorStats $emu.Endpoint   # stats to zero and the scenario's sessions back
            $h = Invoke-WorkerOrNote HandRolledDisconnect ($common + @{ count = $DisconnectBaselineSessions })
            $hc = Get-EmulatorCounts $emu.Endpoint
            if ($h) { Write-Note ("hand-rolled: {0:n2} s for {1}, {2} results ({3}), {4} requests" -f $h.seconds, $h.disconnected, $h.results, $h.states, $hc.requests) }
        } finally { Stop-Emulator $emu }
        $total = 100 * 100
        $script:Table3 = @{ module = $m; moduleCounts = $mc; hand = $h; handCounts = $hc }
        Write-Md @('', '## 3. Disconnect through the pipeline', '',
            "10,000 sessions on 100 hosts (100 each), emulator ``--latency-ms 50 --polls 0``. Each column lists the sessions first (not timed: the cmdlet column with Get-BastionSession, the loop with Invoke-HandRolledList.ps1), resets the emulator's stats, then disconnects. Requests are every request the emulator received during the timed part.", '',
            '| approach | sessions | wall time | requests | requests per host | CPU | results | note |',
            '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |')
        if ($m) {
            Write-Md ('| `$sessions \| Disconnect-BastionSession -Force` | {0:n0} | {1} | {2:n0} | {3:n2} | {4} | {5} | measured |' -f $m.disconnected, (Format-Seconds $m.seconds), $mc.requests, ($mc.requests / 100), (Format-Seconds $m.cpuSeconds), $m.states)
        } else { Write-Md '| `$sessions \| Disconnect-BastionSession -Force` | 10,000 | — | — | — | — | — | not measured (see the notes below) |' }
        if ($h) {
            $k = $total / [math]::Max(1, $h.disconnected)
            Write-Md @(
                ('| per-session `Invoke-RestMethod` loop | {0:n0} | {1} | {2:n0} | {3:n2} | {4} | {5} | measured |' -f $h.disconnected, (Format-Seconds $h.seconds), $hc.requests, ($hc.requests / [math]::Max(1, [math]::Ceiling($h.disconnected / 100))), (Format-Seconds $h.cpuSeconds), $h.states))
            if ($k -ne 1) {
                Write-Md ('| per-session `Invoke-RestMethod` loop | {0:n0} | {1} | {2:n0} | {3:n0} | {4} | | **extrapolated** linearly (×{5:n0}) from the row above |' -f $total, (Format-Seconds ($h.seconds * $k)), ($hc.requests * $k), ($hc.requests * $k / 100), (Format-Seconds ($h.cpuSeconds * $k)), $k)
            }
            if ($m) { Write-Md @('', ('Disconnect-BastionSession is {0} faster than the loop for the same 10,000 sessions, with {1:n0}× fewer requests.' -f (Format-Ratio ($h.seconds * $k / $m.seconds)), ($hc.requests * $k / [math]::Max(1, $mc.requests)))) }
        }
    }

    # ----------------------------------------------------------------------------------------- 4
    if ($Table -contains '4') {
        Write-Host "`n== 4. the boundary ==" -ForegroundColor Cyan
        $rust = Invoke-RustBoundaryBench
        $emu = Start-Emulator @('--hosts', 100, '--sessions-per-host', 1000, '--latency-ms', 0, '--polls', 0, '--page-size', 1000)
        try {
            $b = Invoke-WorkerOrNote Boundary @{ endpoint = $emu.Endpoint; subscription = $Subscription; token = $Token; trivialCalls = 100000 }
        } finally { Stop-Emulator $emu }
        $script:Table4 = @{ boundary = $b; rust = $rust }
        Write-Md @('', '## 4. The boundary', '', '### A trivial call through the C ABI', '', '| caller | call | time per call |', '| --- | --- | ---: |')
        foreach ($line in $rust.rows) { Write-Md $line }
        if ($b) {
            Write-Md @(
                ('| PowerShell → shim (P/Invoke) | `[BastionSession.Native]::PollProgress(id)`: UTF-8 request in, envelope out, copied, freed | {0:n0} ns ({1:n0} ns net of the PowerShell loop) |' -f $b.pollNs, ($b.pollNs - $b.loopNs)),
                ('| PowerShell → shim (P/Invoke) | `[BastionSession.Native]::Cancel(id)`: UTF-8 request in, int out | {0:n0} ns ({1:n0} ns net of the PowerShell loop) |' -f $b.cancelNs, ($b.cancelNs - $b.loopNs)),
                ('| PowerShell loop alone, for reference | `[Math]::Abs($i)` | {0:n0} ns |' -f $b.loopNs),
                ('| C# loop → shim (P/Invoke), no PowerShell | `Native.PollProgress(id)` | {0:n0} ns |' -f $b.csPollNs),
                ('| C# loop → shim (P/Invoke), no PowerShell | `Native.Cancel(id)` | {0:n0} ns |' -f $b.csCancelNs),
                '', '### 100,000 sessions from the native library to PowerShell objects', '',
                "Emulator ``--hosts 100 --sessions-per-host 1000 --latency-ms 0 --polls 0 --page-size 1000``; one non-streamed ``bastion_get_sessions`` call (``scope``: the subscription) through the shim, timed step by step in a fresh pwsh, twice: the rows show the second (warm) call, the cold one is on its own row; then the same sessions through ``Get-BastionSession``.", '',
                '| step | time |', '| --- | ---: |',
                ('| native work (Rust: discovery, 100 × getActiveSessions over loopback, parsing): the envelope''s `stats.elapsedMs` | {0:n0} ms |' -f $b.nativeMs),
                ('| envelope serialised in Rust and read in place by the shim into {0:n0} typed `{1}` objects ({2:n1} MB; call wall time {3:n0} ms − native work) | {4:n0} ms |' -f $b.objects, $b.typeName, ($b.envelopeBytes / 1MB), $b.callMs, $b.transferMs),
                ('| handing the objects over (already built on the worker thread) | {0:n0} ms |' -f $b.parseMs),
                ('| gathering them into one PowerShell array | {0:n0} ms |' -f $b.pipelineMs),
                ('| **native library → PowerShell objects (envelope + objects + hand-over + array)** | **{0:n0} ms** |' -f ($b.transferMs + $b.parseMs + $b.pipelineMs)),
                ('| the same steps on the first (cold) call in the process: native / envelope + objects / hand-over / array | {0:n0} / {1:n0} / {2:n0} / {3:n0} ms |' -f $b.cold.nativeMs, $b.cold.transferMs, $b.cold.parseMs, $b.cold.pipelineMs),
                ('| `Get-BastionSession` end to end, {0:n0} objects collected (HTTP included) | {1} (CPU {2}) |' -f $b.cmdletObjects, (Format-Seconds $b.cmdletSeconds), (Format-Seconds $b.cmdletCpuSeconds)),
                '', ('Peak memory (VmHWM) of that pwsh process: {0:n0} MiB after the two step-by-step calls (resident {1:n0} MiB before them, {2:n0} MiB after, the last objects still referenced); {3:n0} MiB peak after the cmdlet run.' -f ($b.peakKb / 1KB), ($b.rssBeforeKb / 1KB), ($b.rssAfterKb / 1KB), ($b.peakAfterCmdletKb / 1KB)))
        } else {
            Write-Md '| PowerShell → shim (P/Invoke) | not measured (see the notes below) | — |'
        }
    }

    # ----------------------------------------------------------------------------------------- 5
    if ($Table -contains '5') {
        Write-Host "`n== 5. footprint ==" -ForegroundColor Cyan
        $firsts = @(); $laters = @(); $afterImport = @(); $bare = @()
        for ($i = 0; $i -lt 5; $i++) {
            $r = Invoke-Worker Import @{ repeats = 5 }
            $firsts += $r.importSeconds; $laters += $r.laterImportSeconds; $afterImport += $r.afterImportKb
            $bare += (Invoke-Worker Bare @{}).bareKb
        }
        $median = { param($xs) $s = @($xs | Sort-Object); $s[[int][math]::Floor(($s.Count - 1) / 2)] }
        $lib = Get-Item (Join-Path $ModuleRoot 'BastionSession/bin/*/*bastion_session_ffi*')
        $shim = Get-Item (Join-Path $ModuleRoot 'BastionSession/BastionSession.dll')
        $strippedBytes = $null
        if (Get-Command strip -ErrorAction SilentlyContinue) {
            $tmp = Join-Path $LogDir 'stripped-lib'
            & strip -o $tmp $lib.FullName 2>$null
            if ($LASTEXITCODE -eq 0 -and (Test-Path $tmp)) { $strippedBytes = (Get-Item $tmp).Length; Remove-Item $tmp }
        }
        $moduleBytes = (Get-ChildItem -Recurse -File (Join-Path $ModuleRoot 'BastionSession') | Measure-Object Length -Sum).Sum
        $script:Table5 = @{ firsts = $firsts; laters = $laters }
        Write-Md @('', '## 5. Footprint', '',
            'Five fresh `pwsh -NoProfile` processes; in each, the first `Import-Module` of the release module (out/bench/BastionSession), then five `Remove-Module` + `Import-Module` (later imports in the same session). Memory: resident set (VmRSS) after a full GC.', '',
            '| measure | value |', '| --- | ---: |',
            ('| first `Import-Module` in a session (median of 5; min–max) | {0:n0} ms ({1:n0}–{2:n0}) |' -f ((& $median $firsts) * 1000), (($firsts | Measure-Object -Minimum).Minimum * 1000), (($firsts | Measure-Object -Maximum).Maximum * 1000)),
            ('| later `Import-Module` in the same session (median of 25; min–max) | {0:n0} ms ({1:n0}–{2:n0}) |' -f ((& $median $laters) * 1000), (($laters | Measure-Object -Minimum).Minimum * 1000), (($laters | Measure-Object -Maximum).Maximum * 1000)),
            ('| release native library `{0}`, as built | {1:n0} KiB |' -f $lib.Name, ($lib.Length / 1KB)),
            $(if ($strippedBytes) { '| the same, stripped (`strip`), for comparison | {0:n0} KiB |' -f ($strippedBytes / 1KB) } else { '| the same, stripped | `strip` not available |' }),
            ('| module assembly `{0}` | {1:n0} KiB |' -f $shim.Name, ($shim.Length / 1KB)),
            ('| whole module folder (out/bench/BastionSession) | {0:n0} KiB |' -f ($moduleBytes / 1KB)),
            ('| pwsh session, bare (median) | {0:n0} MiB |' -f ((& $median $bare) / 1KB)),
            ('| pwsh session after import (median) | {0:n0} MiB (+{1:n0} MiB) |' -f ((& $median $afterImport) / 1KB), (((& $median $afterImport) - (& $median $bare)) / 1KB)))
    }

    # ----------------------------------------------------------------------------------------- targets
    $targets = [System.Collections.Generic.List[string]]::new()
    function Add-Target([string] $What, $Met, [string] $Evidence) {
        $verdict = if ($null -eq $Met) { 'not measured' } elseif ($Met) { '**met**' } else { '**missed**' }
        $targets.Add(('| {0} | {1} | {2} |' -f $What, $verdict, $Evidence))
    }
    if ($script:Table1) {
        $m1000 = $script:Table1 | Where-Object { $_.Hosts -eq 1000 -and $_.Approach -like 'Get-BastionSession (default*' } | Select-Object -First 1
        $h1000 = $script:Table1 | Where-Object { $_.Hosts -eq 1000 -and $_.Approach -like 'hand-rolled*' } | Select-Object -First 1
        $w1000 = $script:Table1 | Where-Object { $_.Hosts -eq 1000 -and $_.Approach -like "*-ThrottleLimit $WideConcurrency" } | Select-Object -First 1
        if ($m1000 -and $null -ne $m1000.Seconds -and $m1000.Sessions -ne 10000) {
            Add-Target '1,000 hosts within 1.5× of the floor / ≥ 50× the loop' $false ('Get-BastionSession returned {0} of 10,000 sessions: {1}' -f $m1000.Sessions, $m1000.Note)
        } elseif ($m1000 -and $null -ne $m1000.Seconds) {
            $x = $m1000.Seconds / $m1000.Floor.seconds
            Add-Target '1,000 hosts within 1.5× of the floor' ($x -le 1.5) ('{0} vs floor {1} at the default concurrency {3}: {2}' -f (Format-Seconds $m1000.Seconds), (Format-Seconds $m1000.Floor.seconds), (Format-Ratio $x), $ModuleDefaultConcurrency)
            $y = $h1000.Seconds / $m1000.Seconds
            $wide = if ($w1000 -and $null -ne $w1000.Seconds) { '; with -ThrottleLimit {1}: {0}' -f (Format-Ratio ($h1000.Seconds / $w1000.Seconds)), $WideConcurrency } else { '' }
            Add-Target '1,000 hosts ≥ 50× faster than the hand-rolled loop' ($y -ge 50) ('{0} (default -ThrottleLimit {3}){1}; loop time {2}' -f (Format-Ratio $y), $wide, $h1000.Note, $ModuleDefaultConcurrency)
        } else { Add-Target '1,000 hosts within 1.5× of the floor / ≥ 50× the loop' $null 'module not measured' }
    }
    if ($Table -contains '2' -and $script:Table2) {
        $bucket = Get-BucketLimit -Hosts 1000
        foreach ($row in $script:Table2) {
            $r = $row.Result
            if (-not $r) { Add-Target "throttled ($($row.Name)): no host lost / within 1.2× of the bucket" $null 'module not measured'; continue }
            Add-Target "throttled ($($row.Name)): no host lost" ($r.hosts -eq 1000 -and $r.errors -eq 0) ('{0} of 1,000 hosts answered, {1} errors, {2} 429s received' -f $r.hosts, $r.errors, $row.Counts.throttled)
            Add-Target "throttled ($($row.Name)): within 1.2× of the bucket's own limit" ($r.hosts -eq 1000 -and ($r.seconds / $bucket.seconds) -le 1.2) ('{5}{0} vs bucket alone {1}: {2}; latency floor at this concurrency {3}, so {4} of max(bucket, floor)' -f (Format-Seconds $r.seconds), (Format-Seconds $bucket.seconds), (Format-Ratio ($r.seconds / $bucket.seconds)), (Format-Seconds $row.Floor.seconds), (Format-Ratio ($r.seconds / [math]::Max($bucket.seconds, $row.Floor.seconds))), $(if ($r.hosts -ne 1000) { "not comparable: $(1000 - $r.hosts) hosts gave up, so fewer requests were sent; " } else { '' }))
        }
    }
    if ($Table -contains '3') {
        $t3 = $script:Table3
        if ($t3.module) {
            $expected = 100 * [math]::Ceiling(100 / 1000)
            Add-Target 'disconnect: one request per host per 1,000 ids' ($t3.moduleCounts.requests -le $expected) ('{0} requests for 10,000 ids on 100 hosts (expected {1})' -f $t3.moduleCounts.requests, $expected)
        } else { Add-Target 'disconnect: one request per host per 1,000 ids' $null 'module not measured' }
    }
    if ($Table -contains '4') {
        $b = $script:Table4.boundary
        if ($b) {
            $ms = $b.transferMs + $b.parseMs + $b.pipelineMs
            Add-Target '100,000 sessions to objects < 1 s' ($ms -lt 1000) ('{0:n0} ms from the native library to PowerShell objects (transfer {1:n0} + objects {2:n0} + array {3:n0}); native work {4:n0} ms on top' -f $ms, $b.transferMs, $b.parseMs, $b.pipelineMs, $b.nativeMs)
        } else { Add-Target '100,000 sessions to objects < 1 s' $null 'not measured' }
    }
    if ($Table -contains '5' -and $script:Table5) {
        $later = @($script:Table5.laters | Sort-Object)
        $med = $later[[int][math]::Floor(($later.Count - 1) / 2)]
        Add-Target 'Import-Module < 500 ms after the first' ($med -lt 0.5) ('median {0:n0} ms (first import: median {1:n0} ms)' -f ($med * 1000), ((@($script:Table5.firsts | Sort-Object))[2] * 1000))
    }
    Write-Md @('', '## Targets (reported, never asserted)', '', '| target | verdict | evidence |', '| --- | --- | --- |')
    foreach ($t in $targets) { Write-Md $t }

    if ($script:Failures.Count) {
        Write-Md @('', '## Not measured in this run', '')
        foreach ($f in $script:Failures) { Write-Md ('- ' + ($f -replace '\|', '/')) }
    }
    $loadEnd = if (Test-Path /proc/loadavg) { (Get-Content /proc/loadavg).Split(' ')[0..2] -join ' ' } else { '?' }
    Write-Md @('', ('Suite wall time: {0:n0} s; load average at the end: {1}.' -f $suiteWatch.Elapsed.TotalSeconds, $loadEnd))
    Set-Content -Path $OutFile -Value $script:Markdown -Encoding utf8
    Write-Host "`nMarkdown written to $OutFile" -ForegroundColor Green
} finally {
    foreach ($p in @($script:Emulators)) { try { if (-not $p.HasExited) { $p.Kill() } } catch { } }
    Pop-Location
}
