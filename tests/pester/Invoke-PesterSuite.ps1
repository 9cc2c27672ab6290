<#
.SYNOPSIS
    Runs the Pester 5 suite (tests/pester/*.Tests.ps1) against the BUILT module in out/BastionSession.

.DESCRIPTION
    Imports Pester 5.7.1 from $env:BASTION_PESTER_PSD1, else from the project cache
    (~/.cache/bastionsession, or $env:BASTION_CACHE_DIR: modules/Pester/5.7.1 or
    nuget/pester/5.7.1/tools, where tests/Install-TestPrerequisites.ps1 installs it);
    fails loudly when neither exists or when the built module is missing. Runs with detailed
    output, prints one "N passed, N failed" line and exits non-zero when anything failed
    (Run.Exit's behaviour, done by hand so the summary line still prints).

.PARAMETER Path
    Test files or folders (default: this folder).

.PARAMETER TagFilter
    Only tests with these tags.

.EXAMPLE
    pwsh -NoProfile -File tests/pester/Invoke-PesterSuite.ps1
#>
[CmdletBinding()]
param(
    [string[]] $Path = @($PSScriptRoot),
    [string[]] $TagFilter = @(),
    [string[]] $FullNameFilter = @()
)

$ErrorActionPreference = 'Stop'
$cache = if ($env:BASTION_CACHE_DIR) { $env:BASTION_CACHE_DIR } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.cache/bastionsession' }
# Where tests/Install-TestPrerequisites.ps1 puts it: saved from the PowerShell Gallery, or restored from NuGet.
$pester = if ($env:BASTION_PESTER_PSD1) { $env:BASTION_PESTER_PSD1 } else {
    @((Join-Path $cache 'modules/Pester/5.7.1/Pester.psd1'), (Join-Path $cache 'modules/Pester/5.7.1/tools/Pester.psd1'), (Join-Path $cache 'nuget/pester/5.7.1/tools/Pester.psd1')) |
        Where-Object { Test-Path -LiteralPath $_ } | Select-Object -First 1
}
if (-not $pester -or -not (Test-Path -LiteralPath $pester)) {
    Write-Host "Pester 5.7.1 not found (BASTION_PESTER_PSD1, or the cache $cache): run tests/Install-TestPrerequisites.ps1 (./build.ps1 Test does), or set BASTION_PESTER_PSD1. The Pester suite cannot run" -ForegroundColor Red
    exit 2
}
$module = if ($env:BASTION_MODULE_PATH) { $env:BASTION_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/BastionSession/BastionSession.psd1' }
if (-not (Test-Path -LiteralPath $module)) {
    Write-Host "The built module is missing at '$module': run powershell/build-module.ps1 first" -ForegroundColor Red
    exit 2
}

Remove-Module Pester -ErrorAction SilentlyContinue
Import-Module $pester -Force
$loaded = Get-Module Pester
if ($loaded.Version -lt [version]'5.7.1' -or $loaded.Version.Major -ne 5) {
    Write-Host "Pester 5.7.1 is required, got $($loaded.Version)" -ForegroundColor Red
    exit 2
}

# pwsh -File passes 'a,b' as one string: split it.
$Path = @($Path | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$config = New-PesterConfiguration
$config.Run.Path = $Path
$config.Run.PassThru = $true
$config.Run.Exit = $false
$config.Output.Verbosity = 'Detailed'
$config.Output.StackTraceVerbosity = 'Filtered'
if ($TagFilter) { $config.Filter.Tag = $TagFilter }
if ($FullNameFilter) { $config.Filter.FullName = $FullNameFilter }

$result = Invoke-Pester -Configuration $config
if ($null -eq $result) {
    Write-Host 'pester: the run produced no result (see the errors above)' -ForegroundColor Red
    exit 1
}
$failed = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
Write-Host ("pester: {0} passed, {1} failed, {2} skipped ({3} tests in {4:n1} s)" -f $result.PassedCount, $failed, $result.SkippedCount, $result.TotalCount, $result.Duration.TotalSeconds)
if ($failed -gt 0 -or $result.Result -ne 'Passed') { exit 1 }
exit 0
