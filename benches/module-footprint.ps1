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

.EXAMPLE
    pwsh -NoProfile -File benches/module-footprint.ps1
#>
[CmdletBinding()]
param([int] $Hosts = 100, [int] $SessionsPerHost = 1000, [int] $Repeat = 3)

$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../tests/pester/TestHelpers.psm1') -Force
$manifest = Get-BuiltModulePath
$rows = New-Object System.Collections.Generic.List[object]
function Add-Row([string] $What, [double] $Ms, [string] $Note = '') { $rows.Add([pscustomobject]@{ Measure = $What; Milliseconds = [math]::Round($Ms, 1); Note = $Note }) }

# 1. Import-Module: first import in a fresh process, then re-imports in the same one.
$pwsh = Get-PwshPath
$firsts = foreach ($i in 1..$Repeat) {
    $out = & $pwsh -NoProfile -NonInteractive -Command "`$sw=[Diagnostics.Stopwatch]::StartNew(); Import-Module '$manifest'; `$a=`$sw.Elapsed.TotalMilliseconds; `$sw.Restart(); Import-Module '$manifest' -Force; `$b=`$sw.Elapsed.TotalMilliseconds; '{0}|{1}' -f `$a,`$b"
    , ($out -split '\|')
}
Add-Row 'Import-Module, first in a fresh pwsh (median)' (($firsts | ForEach-Object { [double]$_[0] } | Sort-Object)[[int]($Repeat / 2)]) "of $Repeat runs; includes loading the shim and the native library"
Add-Row 'Import-Module -Force, again in the same session (median)' (($firsts | ForEach-Object { [double]$_[1] } | Sort-Object)[[int]($Repeat / 2)])

# 2. 100,000 sessions.
$saved = Set-TestCredentialEnvironment
Import-Module $manifest -Force
$emu = Start-TestEmulator -ArgumentList @('--hosts', $Hosts, '--sessions-per-host', $SessionsPerHost, '--polls', '0', '--page-size', '1000')
try {
    $sub = '00000000-0000-0000-0000-000000000001'
    $common = @{ AccessToken = $emu.Token; ArmEndpoint = $emu.BaseUrl }
    $null = Get-BastionSession -SubscriptionId $sub @common -ResourceGroupName 'rg-0' -ErrorAction SilentlyContinue   # warm up
    $module = Get-Module BastionSession

    # a) native call alone: raw envelope, sessions in the final envelope (no streaming)
    $requestJson = '{{"schemaVersion":1,"credential":{{"type":"accessToken","token":"{0}"}},"armEndpoint":"{1}","scope":{{"subscriptionIds":["{2}"]}},"concurrency":16}}' -f $emu.Token, $emu.BaseUrl, $sub
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $envelope = & $module { param($j) [BastionSession.Native]::Invoke('bastion_get_sessions', $j) } $requestJson
    $nativeMs = $sw.Elapsed.TotalMilliseconds
    Add-Row ('native bastion_get_sessions, {0} hosts x {1} sessions' -f $Hosts, $SessionsPerHost) $nativeMs ('{0:n1} MB of JSON' -f ($envelope.Length / 1MB))

    # b) shim: JSON text -> typed BastionSession.Session objects (parse + construction)
    $sw.Restart()
    $hostResults = [BastionSession.Envelope]::ParseHostResults($envelope)
    $shimMs = $sw.Elapsed.TotalMilliseconds
    $count = 0; foreach ($h in $hostResults) { $count += $h.Sessions.Count }
    Add-Row ('shim: envelope JSON -> {0} BastionSession.Session objects' -f $count) $shimMs
    $sw.Restart()
    $n = 0; foreach ($h in $hostResults) { foreach ($s in $h.Sessions) { $n++ } }
    Add-Row ('PowerShell: enumerate {0} objects in script' -f $n) $sw.Elapsed.TotalMilliseconds

    # c) the cmdlet end to end (streamed per host, objects collected)
    $ends = foreach ($i in 1..$Repeat) {
        $sw.Restart()
        $n = (Get-BastionSession -SubscriptionId $sub @common -ThrottleLimit 16 | Measure-Object).Count
        [pscustomobject]@{ Ms = $sw.Elapsed.TotalMilliseconds; N = $n }
    }
    $median = ($ends | Sort-Object Ms)[[int]($Repeat / 2)]
    Add-Row ('Get-BastionSession end to end, {0} sessions | Measure-Object (median)' -f $median.N) $median.Ms "of $Repeat runs"
    $sw.Restart()
    $all = @(Get-BastionSession -SubscriptionId $sub @common)
    Add-Row ('Get-BastionSession into an array, {0} sessions' -f $all.Count) $sw.Elapsed.TotalMilliseconds
    $sw.Restart()
    $filtered = @(Get-BastionSession -SubscriptionId $sub @common -UserName '*@contoso.com' -OlderThan 0:01:00)
    Add-Row ('... with -UserName/-OlderThan filters ({0} kept)' -f $filtered.Count) $sw.Elapsed.TotalMilliseconds
} finally {
    Stop-TestEmulator $emu
    Restore-TestEnvironment $saved
}

"PowerShell $($PSVersionTable.PSVersion) on $([System.Runtime.InteropServices.RuntimeInformation]::OSDescription), $([Environment]::ProcessorCount) cores"
$rows | Format-Table -AutoSize | Out-String -Width 200
