<#
.SYNOPSIS
    Builds, tests, demonstrates and packages BastionSession.

.DESCRIPTION
    One entry point for every task, in the tradition of PowerShell build scripts:

      Build    release native library + emulator for linux-x64 and win-x64 (each one this
               machine can build: win-x64 cross-compiled with mingw-w64 on Linux; it says
               which it built and why it skipped one), module laid out in out/BastionSession/
      Test     every suite: cargo fmt/clippy, Rust tests (core, C ABI, emulator),
               the official Azure SDK conformance test, the C header smoke test under
               valgrind, the Pester suite against the built module, and the Windows lane
               (tests/windows/run-lane.sh: the win-x64 DLL, the C smoke test and the Pester
               suite in Windows PowerShell 7.6.9 under wine, in a private network namespace)
      Demo     starts the bundled ARM emulator and walks through the cmdlets
      Package  zip for Azure Automation and a Publish-Module-ready folder in out/ (both
               platforms; it fails without win-x64, which Automation's cloud jobs run on)
      Bench    the benchmark suite (prints tables; see BENCHMARKS.md)

    Test runs every suite even when one fails, then prints one summary line and exits
    non-zero if anything failed. Before the suites, tests/Install-TestPrerequisites.ps1
    installs Pester 5.7.1 and the Python venv into the cache ($env:BASTION_CACHE_DIR, default
    ~/.cache/bastionsession) when they are missing, and says what it installed. A suite whose
    prerequisites are still missing fails; none is skipped.

.PARAMETER Task
    One or more of Build, Test, Demo, Package, Bench.

.PARAMETER Runtime
    Build only these platforms: linux-x64, win-x64 (default: every one this machine can build).

.EXAMPLE
    ./build.ps1 Test

.EXAMPLE
    ./build.ps1 Build -Runtime win-x64

.EXAMPLE
    ./build.ps1 Build, Package
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'Bench')]
    [string[]] $Task = @('Build'),

    [ValidateSet('linux-x64', 'win-x64')]
    [string[]] $Runtime = @()
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$RepoRoot = $PSScriptRoot
$CacheDir = if ($env:BASTION_CACHE_DIR) { $env:BASTION_CACHE_DIR } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.cache/bastionsession' }

function Invoke-Native {
    <# Runs a native command and throws when it exits non-zero. #>
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @())
    Write-Host "> $FilePath $($ArgumentList -join ' ')" -ForegroundColor DarkGray
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($ArgumentList -join ' ')' exited with $LASTEXITCODE" }
}

function Get-PwshPath {
    <# The pwsh executable for child processes (a dotnet-tool pwsh runs as 'dotnet pwsh.dll', so our process path would be dotnet). #>
    $beside = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    if (Test-Path -LiteralPath $beside) { return $beside }
    $pwsh = Get-Command pwsh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $pwsh) { throw 'pwsh is not on PATH: the Pester suite needs it (.ci/run installs PowerShell 7.6.9)' }
    $pwsh.Source
}

function Get-PythonForConformance {
    <# The venv python with azure-mgmt-network that tests/Install-TestPrerequisites.ps1 found or created. #>
    if ($env:BASTION_PYTHON -and (Test-Path $env:BASTION_PYTHON)) { return $env:BASTION_PYTHON }
    throw 'no Python venv with azure-mgmt-network (BASTION_PYTHON): tests/Install-TestPrerequisites.ps1 could not create one, see its message above'
}

function Invoke-BuildTask {
    <# Release library and emulator, then the module layout in out/BastionSession. #>
    param([ValidateSet('Debug', 'Release')] [string] $Configuration = 'Release', [string[]] $Runtime = @())
    $built = @(& (Join-Path $RepoRoot 'powershell/build-native.ps1') -Runtime $Runtime -Configuration $Configuration | Where-Object { $_.Built })
    $libraries = @{}
    foreach ($b in $built) { $libraries[$b.Runtime] = $b.Library }
    & (Join-Path $RepoRoot 'powershell/build-module.ps1') -Configuration $Configuration -OutputRoot (Join-Path $RepoRoot 'out') -NativeLibrary $libraries
}

function Invoke-TestTask {
    <# Runs every suite, records each outcome, prints the summary line. #>
    $results = [ordered]@{}
    $suites = [ordered]@{
        'cargo fmt'                = { Invoke-Native cargo @('fmt', '--all', '--', '--check') }
        'cargo clippy'             = { Invoke-Native cargo @('clippy', '--workspace', '--all-targets', '--', '-D', 'warnings') }
        'rust tests'               = {
            Invoke-Native cargo @('build', '--workspace', '--all-targets')
            Invoke-Native cargo @('test', '--workspace')
        }
        'azure sdk conformance'    = {
            $env:BASTION_EMULATOR = Join-Path $RepoRoot 'target/debug/bastion-emulator'
            Invoke-Native (Get-PythonForConformance) @((Join-Path $RepoRoot 'tests/conformance/test_python_sdk.py'))
        }
        'c header smoke + valgrind' = { Invoke-Native bash @((Join-Path $RepoRoot 'tests/c/run.sh')) }
        'pester'                   = {
            # 'rust tests' already built target/debug; building the one crate again would only
            # recompile it with other feature unification.
            & (Join-Path $RepoRoot 'powershell/build-module.ps1') -Configuration Debug -OutputRoot (Join-Path $RepoRoot 'out') -SkipCargo
            Invoke-Native (Get-PwshPath) @('-NoProfile', '-File', (Join-Path $RepoRoot 'tests/pester/Invoke-PesterSuite.ps1'))
        }
        'windows lane (wine)'      = {
            # The shipped win-x64 DLL (release, stripped) and the Windows emulator, then every
            # Windows test under wine; see tests/windows/README.md.
            # The Windows PowerShell test host (PowerShell 7.6.9 for win-x64, from NuGet), built
            # into the cache when it is missing or stale.
            $env:BASTION_CACHE_DIR = $CacheDir
            Invoke-Native bash @((Join-Path $RepoRoot 'tests/windows/build-host.sh'))
            $win = & (Join-Path $RepoRoot 'powershell/build-native.ps1') -Runtime win-x64
            # The module goes where Windows users' paths often are: spaces and non-ASCII letters.
            $laneRoot = Join-Path $RepoRoot ("out/windows lane/M{0}dulos de prueba {1}" -f [char]0xF3, [char]0xF1)
            & (Join-Path $RepoRoot 'powershell/build-module.ps1') -Configuration Release -OutputRoot $laneRoot -NativeLibrary @{ 'win-x64' = $win.Library }
            Invoke-Native bash @((Join-Path $RepoRoot 'tests/windows/run-lane.sh'), $win.Library, $win.Emulator, (Join-Path $laneRoot 'BastionSession'))
        }
    }
    foreach ($name in $suites.Keys) {
        Write-Host "`n=== suite: $name ===" -ForegroundColor Cyan
        $watch = [Diagnostics.Stopwatch]::StartNew()
        try {
            & $suites[$name]
            $results[$name] = 'passed'
        } catch {
            Write-Host "suite '$name' FAILED: $($_.Exception.Message)" -ForegroundColor Red
            $results[$name] = 'failed'
        }
        Write-Host ("=== suite: {0}: {1} in {2:n1} s ===" -f $name, $results[$name], $watch.Elapsed.TotalSeconds)
    }
    $passed = @($results.Values | Where-Object { $_ -eq 'passed' }).Count
    $failed = @($results.Values | Where-Object { $_ -eq 'failed' }).Count
    Write-Host ''
    foreach ($name in $results.Keys) { Write-Host ("  {0,-28} {1}" -f $name, $results[$name]) }
    Write-Host "suites: $passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
}

Push-Location $RepoRoot
try {
    foreach ($t in $Task) {
        switch ($t) {
            'Build' { Invoke-BuildTask -Configuration Release -Runtime $Runtime }
            'Test' {
                # As .ci/run does: no suite may fall through a default credential chain to IMDS.
                if (-not $env:AZURE_TOKEN_CREDENTIALS) { $env:AZURE_TOKEN_CREDENTIALS = 'EnvironmentCredential' }
                # Pester and the Python venv, installed into the cache when missing (sets BASTION_PESTER_PSD1, BASTION_PYTHON).
                try {
                    $null = & (Join-Path $RepoRoot 'tests/Install-TestPrerequisites.ps1') -CacheDir $CacheDir
                } catch {
                    Write-Host "prerequisites: FAILED: $($_.Exception.Message)" -ForegroundColor Red
                }
                Invoke-TestTask
            }
            'Demo' {
                # The demo runs here: build this platform only unless told otherwise.
                $demoRuntime = if ($Runtime) { $Runtime } elseif ($IsWindows) { @('win-x64') } else { @('linux-x64') }
                if ($Task -notcontains 'Build') { Invoke-BuildTask -Configuration Release -Runtime $demoRuntime }
                & (Join-Path $RepoRoot 'examples/demo.ps1') -SkipBuild
            }
            'Package' {
                if ($Task -notcontains 'Build') { Invoke-BuildTask -Configuration Release -Runtime $Runtime }
                # Automation's cloud jobs run on Windows x64: the zip is for them, so it needs win-x64.
                & (Join-Path $RepoRoot 'powershell/package-module.ps1') -OutputRoot (Join-Path $RepoRoot 'out') -RequireRid win-x64
            }
            'Bench' { & (Join-Path $RepoRoot 'benches/run-benchmarks.ps1') }
        }
    }
} finally {
    Pop-Location
}
