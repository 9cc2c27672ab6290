<#
.SYNOPSIS
    Measures the PowerShell module's footprint: Import-Module time (first in a fresh process and
    again in the same session) and the time to turn 100,000 sessions into objects, split into
    the native call (JSON produced by the library), the shim (JSON -> typed .NET objects) and
    the cmdlet (end to end, objects written to the pipeline).

.DESCRIPTION
    Needs the built module (out/BastionSession) and target/debug/bastion-emulator (or
    BASTION_EMULATOR). Prints a table; asserts nothing.

.PARAMETER Hosts
    Emulator hosts (default 100).

.PARAMETER SessionsPerHost
    Sessions per host (default 1000).

.PARAMETER ModulePath
    The module manifest to measure (default: out/BastionSession/BastionSession.psd1).

.EXAMPLE
    pwsh -NoProfile -File benches/module-footprint.ps1
#>
[CmdletBinding()]
param([int] $Hosts = 100, [int] $SessionsPerHost = 1000, [int] $Repeat = 3, [string] $ModulePath)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../tests/pester/TestHelpers.psm1') -Force
$manifest = if ($ModulePath) { (Resolve-Path $ModulePath).Path } else { Get-BuiltModulePath }
$rows = New-Object System.Collections.Generic.List[object]
function Add-Row([string] $What, [double] $Ms, [string] $Note = '') { $rows.Add([pscustomobject]@{ Measure = $What; Milliseconds = [math]::Round($Ms, 1); Note = $Note }) }

# 1. Import-Module: first import in a fresh process, then re-imports in the same one.
$pwsh = Get-PwshPath
$firsts = foreach ($i in 1..$Repeat) {
    $out = & $pwsh -NoProfile -NonInteractive -Command "`$sw=[Diagnostics.Stopwatch]::StartNew(); Import-Module '$manifest'; `$a=`$sw.Elapsed.TotalMilliseconds; `$sw.Restart(); Import-Module '$manifest' -Force; `$b=`$sw.Elapsed.TotalMilliseconds; '{0}|{1}' -f `$a,`$b"
    , ($out -split '\|')
}
Add-Row 'Import-Module, first in a fresh pwsh (median)' (($firsts | ForEach-Object { [double]$_[0] } | Sort-Object)[[int]($Repeat / 2)]) ("of $Repeat runs, best {0:n0} ms; includes loading the shim and the native library" -f (($firsts | ForEach-Object { [double]$_[0] } | Measure-Object -Minimum).Minimum))
Add-Row 'Import-Module -Force, again in the same session (median)' (($firsts | ForEach-Object { [double]$_[1] } | Sort-Object)[[int]($Repeat / 2)])

# 2. 100,000 sessions.
$saved = Set-TestCredentialEnvironment
Import-Module $manifest -Force
$emu = Start-TestEmulator -ArgumentList @('--hosts', $Hosts, '--sessions-per-host', $SessionsPerHost, '--polls', '0', '--page-size', '1000')
try {
    $sub = '00000000-0000-0000-0000-000000000001'
    $common = @{ AccessToken = $emu.Token; ArmEndpoint = $emu.BaseUrl }
    $null = Get-BastionSession -SubscriptionId $sub @common -ResourceGroupName 'rg-0' -ErrorAction SilentlyContinue   # warm up
    "native library: $([BastionSession.Native]::LibraryPath)"
    $module = Get-Module BastionSession

    # a) native call alone: raw envelope, sessions in the final envelope (no streaming)
    $requestJson = '{{"schemaVersion":1,"credential":{{"type":"accessToken","token":"{0}"}},"armEndpoint":"{1}","scope":{{"subscriptionIds":["{2}"]}},"concurrency":16}}' -f $emu.Token, $emu.BaseUrl, $sub
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $envelope = [BastionSession.Native]::Invoke('bastion_get_sessions', $requestJson)
    $nativeMs = $sw.Elapsed.TotalMilliseconds
    Add-Row ('native bastion_get_sessions, {0} hosts x {1} sessions' -f $Hosts, $SessionsPerHost) $nativeMs ('{0:n1} MB of JSON' -f ($envelope.Length / 1MB))

    # b) shim on the path the cmdlet uses: streamed hostResult events, each host's 1000
    #    sessions parsed and turned into BastionSession.Session objects inside Poll().
    $stream = & {
        param($token, $url, $sub)
        $request = [ordered]@{ schemaVersion = 1; credential = @{ type = 'accessToken'; token = $token }; armEndpoint = $url; scope = @{ subscriptionIds = @($sub) }; streamResults = $true }
        $wall = [Diagnostics.Stopwatch]::StartNew()
        $inNative = New-Object Diagnostics.Stopwatch
        $inShim = New-Object Diagnostics.Stopwatch
        $op = [BastionSession.Native]::StartRequest('bastion_get_sessions', $request)
        $n = 0; $bytes = 0
        $texts = New-Object 'System.Collections.Generic.List[string]'
        while ($true) {
            $done = $op.Wait(100)
            do {
                $inNative.Start(); $text = [BastionSession.Native]::PollProgress($op.OperationId); $inNative.Stop()
                $bytes += $text.Length
                $texts.Add($text)
                $running = $false
                $inShim.Start(); $events = [BastionSession.Envelope]::ParseEvents($text, [ref] $running); $inShim.Stop()
                foreach ($e in $events) { if ($null -ne $e.HostSessionsOutcome) { $n += $e.HostSessionsOutcome.Sessions.Length } }
            } while ($done -and $events.Length -gt 0)
            if ($done) { break }
        }
        $null = $op.GetStats()
        $wallMs = $wall.Elapsed.TotalMilliseconds
        # Replay the same event texts through the shim alone: the best of several runs is the
        # cost of JSON -> objects without the emulator and the library competing for the CPU.
        $replays = foreach ($i in 1..5) {
            [GC]::Collect()
            $sw = [Diagnostics.Stopwatch]::StartNew()
            foreach ($t in $texts) { $r = $false; $null = [BastionSession.Envelope]::ParseEvents($t, [ref] $r) }
            $sw.Elapsed.TotalMilliseconds
        }
        [pscustomobject]@{ WallMs = $wallMs; NativePollMs = $inNative.Elapsed.TotalMilliseconds; ShimMs = $inShim.Elapsed.TotalMilliseconds; Sessions = $n; MB = $bytes / 1MB
            ReplayBestMs = ($replays | Measure-Object -Minimum).Minimum; ReplayMedianMs = ($replays | Sort-Object)[2] }
    } $emu.Token $emu.BaseUrl $sub
    Add-Row ('streamed call, wall time to the last of {0} sessions' -f $stream.Sessions) $stream.WallMs 'native work and object creation overlap'
    Add-Row '  on the pipeline thread: bastion_poll_progress (native, events as JSON)' $stream.NativePollMs ('{0:n1} MB of events' -f $stream.MB)
    Add-Row '  on the pipeline thread: shim JSON -> Session objects' $stream.ShimMs
    Add-Row ('shim alone, replaying those events: JSON -> {0} Session objects (best of 5)' -f $stream.Sessions) $stream.ReplayBestMs ('median {0:n0} ms' -f $stream.ReplayMedianMs)

    # c) the same for one non-streamed envelope: JSON text -> objects in one go
    $sw.Restart()
    $hostResults = [BastionSession.Envelope]::ParseHostSessionsOutcomes($envelope)
    $count = 0; foreach ($h in $hostResults) { $count += $h.Sessions.Count }
    Add-Row ('shim: one {0:n0} MB envelope -> {1} Session objects' -f ($envelope.Length / 1MB), $count) $sw.Elapsed.TotalMilliseconds 'one large allocation burst (GC)'
    $envelope = $null; $hostResults = $null; [GC]::Collect()

    # d) the cmdlet end to end
    $ends = foreach ($i in 1..$Repeat) {
        $sw.Restart()
        $n = @(Get-BastionSession -SubscriptionId $sub @common).Count
        [pscustomobject]@{ Ms = $sw.Elapsed.TotalMilliseconds; N = $n }
    }
    $median = ($ends | Sort-Object Ms)[[int]($Repeat / 2)]
    Add-Row ('Get-BastionSession, {0} sessions into an array (median)' -f $median.N) $median.Ms "of $Repeat runs"
    $sw.Restart()
    $filtered = @(Get-BastionSession -SubscriptionId $sub @common -UserName '*@contoso.com' -OlderThan 0:01:00)
    Add-Row ('... with -UserName/-OlderThan filters ({0} kept)' -f $filtered.Count) $sw.Elapsed.TotalMilliseconds
} finally {
    Stop-TestEmulator $emu
    Restore-TestEnvironment $saved
}

"PowerShell $($PSVersionTable.PSVersion) on $([System.Runtime.InteropServices.RuntimeInformation]::OSDescription), $([Environment]::ProcessorCount) cores"
$rows | Format-Table -AutoSize | Out-String -Width 200
