<#
.SYNOPSIS
    Installs what the test suites need when it is missing (Pester 5.7.1, the Python venv with
    the official Azure SDK), cached outside the clone, and says what it found or installed.

.DESCRIPTION
    Called by `./build.ps1 Test` before the suites run, so that the README's test command works
    on a fresh machine that has Rust, pwsh, python3, gcc and valgrind. Everything goes to the
    cache folder: $env:BASTION_CACHE_DIR, default ~/.cache/bastionsession.

      Pester 5.7.1
        1. $env:BASTION_PESTER_PSD1 when it points at Pester 5.7.1;
        2. already in the cache (<cache>/modules/Pester/5.7.1, or <cache>/nuget/pester/5.7.1/tools
           as NuGet lays it out);
        3. from the PowerShell Gallery, with Save-PSResource (or Save-Module) and the registered
           repository's name (-GalleryRepository, default PSGallery). It runs in a child pwsh
           that is stopped after -GalleryTimeoutSec, so an unreachable Gallery costs seconds,
           not a hang;
        4. else from NuGet: `dotnet restore` of a throw-away project with a PackageDownload of
           Pester (the configured NuGet feeds, or -NuGetSource).
      Python venv (<cache>/venv) with azure-mgmt-network, for the conformance suite
        1. $env:BASTION_PYTHON when it imports azure.mgmt.network;
        2. the cached venv when it does;
        3. else `python3 -m venv` + pip install --no-index from the project's wheels
           (-WheelsDir, $env:BASTION_WHEELS_DIR, default ../shared/wheels beside the clone).

    It sets $env:BASTION_PESTER_PSD1 and $env:BASTION_PYTHON for this process and its children
    (the suites), and returns one object per prerequisite (Name, Status, Source, Path, Message).
    A prerequisite that cannot be installed is reported in red and left unset; it never stops the
    other one, and the suite that needs it then fails with its own message (no suite is skipped).

.PARAMETER CacheDir
    Where tools are cached (default: $env:BASTION_CACHE_DIR, else ~/.cache/bastionsession).

.PARAMETER GalleryRepository
    The registered name of the PowerShell Gallery repository (Get-PSResourceRepository / Get-PSRepository).

.PARAMETER GalleryTimeoutSec
    How long the Gallery may take before NuGet is tried (default 60 s).

.PARAMETER NuGetSource
    A NuGet feed (URL or folder) for the fallback; default: the feeds dotnet is configured with.

.PARAMETER WheelsDir
    The folder of Python wheels for the venv.

.EXAMPLE
    pwsh ./tests/Install-TestPrerequisites.ps1
#>
[CmdletBinding()]
param(
    [string] $CacheDir,
    [string] $GalleryRepository = 'PSGallery',
    [ValidateRange(1, 3600)] [int] $GalleryTimeoutSec = 60,
    [string] $NuGetSource,
    [string] $WheelsDir
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$PesterVersion = '5.7.1'
$RepoRoot = Split-Path -Parent $PSScriptRoot
if (-not $CacheDir) {
    $CacheDir = if ($env:BASTION_CACHE_DIR) { $env:BASTION_CACHE_DIR } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.cache/bastionsession' }
}
if (-not $WheelsDir) {
    $WheelsDir = if ($env:BASTION_WHEELS_DIR) { $env:BASTION_WHEELS_DIR } else { Join-Path (Split-Path -Parent $RepoRoot) 'shared/wheels' }
}
$onWindows = [System.Runtime.InteropServices.RuntimeInformation]::IsOSPlatform([System.Runtime.InteropServices.OSPlatform]::Windows)

function Write-Step {
    param([string] $Text, [ValidateSet('Found', 'Installed', 'Failed', 'Info')] [string] $Kind = 'Info')
    $color = switch ($Kind) { 'Found' { 'DarkGray' } 'Installed' { 'Green' } 'Failed' { 'Red' } default { 'Gray' } }
    Write-Host "prerequisites: $Text" -ForegroundColor $color
}

function Get-PwshExecutable {
    <# The pwsh for the child that runs Save-PSResource (a dotnet-tool pwsh runs as 'dotnet pwsh.dll'). #>
    $beside = Join-Path $PSHOME $(if ($onWindows) { 'pwsh.exe' } else { 'pwsh' })
    if (Test-Path -LiteralPath $beside) { return $beside }
    $found = Get-Command pwsh -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($found) { return $found.Source }
    (Get-Process -Id $PID).Path
}

function Invoke-BoundedProcess {
    <# Runs a process with a deadline; kills it (and its children) when the deadline passes. Returns @{ TimedOut; ExitCode; Output }. #>
    param([string] $FilePath, [string[]] $ArgumentList, [int] $TimeoutSec, [hashtable] $Environment = @{})
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $FilePath
    # Never the clone: a tool that drops files into its working directory drops them in the cache.
    $psi.WorkingDirectory = $CacheDir
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = [string]$Environment[$k] }
    $process = [System.Diagnostics.Process]::Start($psi)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit($TimeoutSec * 1000)) {
        try { $process.Kill($true) } catch { }
        $null = $process.WaitForExit(5000)
        return @{ TimedOut = $true; ExitCode = -1; Output = '' }
    }
    $process.WaitForExit()
    @{ TimedOut = $false; ExitCode = $process.ExitCode; Output = ($stdout.Result + $stderr.Result).Trim() }
}

function Test-PesterManifest {
    <# True when the path is a Pester 5.7.1 manifest. #>
    param([string] $Path)
    if (-not $Path -or -not (Test-Path -LiteralPath $Path -PathType Leaf)) { return $false }
    try {
        $data = Import-PowerShellDataFile -LiteralPath $Path
        return ([string]$data.ModuleVersion -eq $PesterVersion)
    } catch { return $false }
}

function Install-PesterFromGallery {
    <# Save-PSResource (or Save-Module) in a child pwsh bounded by -GalleryTimeoutSec. Returns the manifest path, or throws why not. #>
    param([string] $Destination)
    New-Item -ItemType Directory -Force -Path $Destination | Out-Null
    # PSResourceGet keeps its repository list under LocalApplicationData, which .NET reports only
    # when the folder exists (on a fresh Linux account ~/.local/share may not).
    $appData = [Environment]::GetFolderPath([Environment+SpecialFolder]::LocalApplicationData, [Environment+SpecialFolderOption]::DoNotVerify)
    if ($appData) { New-Item -ItemType Directory -Force -Path $appData | Out-Null }
    # The child gets the values through the environment: nothing to quote.
    $script = @'
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$repository = $env:BASTION_PREREQ_REPOSITORY
try {
    if (Get-Command Save-PSResource -ErrorAction SilentlyContinue) {
        if (-not (Get-PSResourceRepository -Name $repository -ErrorAction SilentlyContinue)) { throw "no repository named '$repository' is registered (Get-PSResourceRepository)" }
        Save-PSResource -Name Pester -Version $env:BASTION_PREREQ_VERSION -Repository $repository -Path $env:BASTION_PREREQ_DEST -TrustRepository -SkipDependencyCheck -Quiet
    } else {
        if (-not (Get-PSRepository -Name $repository -ErrorAction SilentlyContinue)) { throw "no repository named '$repository' is registered (Get-PSRepository)" }
        Save-Module -Name Pester -RequiredVersion $env:BASTION_PREREQ_VERSION -Repository $repository -Path $env:BASTION_PREREQ_DEST -Force
    }
} catch {
    # The plain message, one line: the parent quotes it.
    [Console]::Error.WriteLine(($_.Exception.Message -replace '\s+', ' '))
    exit 1
}
'@
    $result = Invoke-BoundedProcess -FilePath (Get-PwshExecutable) -ArgumentList @('-NoProfile', '-NonInteractive', '-Command', $script) -TimeoutSec $GalleryTimeoutSec -Environment @{
        BASTION_PREREQ_REPOSITORY = $GalleryRepository; BASTION_PREREQ_VERSION = $PesterVersion; BASTION_PREREQ_DEST = $Destination
    }
    if ($result.TimedOut) { throw "the PowerShell Gallery (repository '$GalleryRepository') did not answer within $GalleryTimeoutSec s" }
    if ($result.ExitCode -ne 0) {
        $why = ($result.Output -split "`n" | Where-Object { $_.Trim() } | Select-Object -First 3) -join ' '
        # PowerShellGet's messages carry the request's address; the repository's name says enough.
        $why = ($why -replace "\s*Request sent: '[^']*'", '') -replace '\s*\([^()\s]+:\d+\)', ''
        throw "the PowerShell Gallery (repository '$GalleryRepository') failed: $why"
    }
    # The Gallery's package has the manifest at its root; a NuGet-style package under tools/.
    $psd1 = @((Join-Path $Destination "Pester/$PesterVersion/Pester.psd1"), (Join-Path $Destination "Pester/$PesterVersion/tools/Pester.psd1")) |
        Where-Object { Test-PesterManifest $_ } | Select-Object -First 1
    if (-not $psd1) { throw "the PowerShell Gallery download left no Pester $PesterVersion manifest under $(Join-Path $Destination "Pester/$PesterVersion")" }
    $psd1
}

function Install-PesterFromNuGet {
    <# dotnet restore of a PackageDownload project into <cache>/nuget. Returns the manifest path, or throws why not. #>
    param([string] $Packages)
    if (-not (Get-Command dotnet -CommandType Application -ErrorAction SilentlyContinue)) { throw 'the .NET SDK (dotnet) is not installed, so NuGet cannot be used either' }
    $project = Join-Path ([System.IO.Path]::GetTempPath()) ('bastion-fetch-pester-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Force -Path $project | Out-Null
    try {
        Set-Content -LiteralPath (Join-Path $project 'fetch-pester.csproj') -Encoding utf8 -Value @"
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>netstandard2.0</TargetFramework><DisableImplicitFrameworkReferences>true</DisableImplicitFrameworkReferences></PropertyGroup>
  <ItemGroup><PackageDownload Include="Pester" Version="[$PesterVersion]" /></ItemGroup>
</Project>
"@
        $arguments = @('restore', (Join-Path $project 'fetch-pester.csproj'), '--packages', $Packages, '--nologo', '-v', 'quiet')
        if ($NuGetSource) { $arguments += @('--source', $NuGetSource) }
        $result = Invoke-BoundedProcess -FilePath 'dotnet' -ArgumentList $arguments -TimeoutSec 600 -Environment @{ DOTNET_CLI_TELEMETRY_OPTOUT = '1'; DOTNET_NOLOGO = '1' }
        if ($result.TimedOut) { throw 'dotnet restore from NuGet did not finish within 600 s' }
        if ($result.ExitCode -ne 0) {
            $why = ($result.Output -split "`n" | Where-Object { $_ -match 'error' } | Select-Object -First 3) -join ' '
            throw "dotnet restore from NuGet failed (exit $($result.ExitCode)): $why"
        }
    } finally {
        Remove-Item -LiteralPath $project -Recurse -Force -ErrorAction SilentlyContinue
    }
    $psd1 = Join-Path $Packages "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-PesterManifest $psd1)) { throw "NuGet left no Pester $PesterVersion manifest at $psd1" }
    $psd1
}

function Resolve-Pester {
    $cached = @((Join-Path $CacheDir "modules/Pester/$PesterVersion/Pester.psd1"), (Join-Path $CacheDir "modules/Pester/$PesterVersion/tools/Pester.psd1"),
        (Join-Path $CacheDir "nuget/pester/$PesterVersion/tools/Pester.psd1"))
    if ($env:BASTION_PESTER_PSD1 -and (Test-PesterManifest $env:BASTION_PESTER_PSD1)) {
        return [pscustomobject]@{ Name = "Pester $PesterVersion"; Status = 'Found'; Source = 'BASTION_PESTER_PSD1'; Path = $env:BASTION_PESTER_PSD1; Message = "Pester $PesterVersion found at $($env:BASTION_PESTER_PSD1) (BASTION_PESTER_PSD1)" }
    }
    foreach ($psd1 in $cached) {
        if (Test-PesterManifest $psd1) {
            return [pscustomobject]@{ Name = "Pester $PesterVersion"; Status = 'Found'; Source = 'cache'; Path = $psd1; Message = "Pester $PesterVersion found in the cache: $psd1" }
        }
    }
    $galleryProblem = $null
    try {
        Write-Step ("Pester {0} is missing: saving it from the PowerShell Gallery (repository '{1}', at most {2} s)" -f $PesterVersion, $GalleryRepository, $GalleryTimeoutSec)
        $psd1 = Install-PesterFromGallery -Destination (Join-Path $CacheDir 'modules')
        return [pscustomobject]@{ Name = "Pester $PesterVersion"; Status = 'Installed'; Source = "the PowerShell Gallery (repository '$GalleryRepository')"; Path = $psd1; Message = "installed Pester $PesterVersion from the PowerShell Gallery (repository '$GalleryRepository') into $psd1" }
    } catch {
        $galleryProblem = $_.Exception.Message
        Write-Step ("{0}; trying NuGet" -f $galleryProblem)
    }
    try {
        $psd1 = Install-PesterFromNuGet -Packages (Join-Path $CacheDir 'nuget')
        $from = if ($NuGetSource) { "NuGet ($NuGetSource)" } else { 'NuGet' }
        return [pscustomobject]@{ Name = "Pester $PesterVersion"; Status = 'Installed'; Source = $from; Path = $psd1; Message = "installed Pester $PesterVersion from $from into $psd1 ($galleryProblem)" }
    } catch {
        return [pscustomobject]@{ Name = "Pester $PesterVersion"; Status = 'Failed'; Source = $null; Path = $null; Message = "Pester $PesterVersion could not be installed: $galleryProblem; $($_.Exception.Message). Install it yourself and set BASTION_PESTER_PSD1 to its Pester.psd1" }
    }
}

function Test-PythonVenv {
    <# True when this python imports azure.mgmt.network. #>
    param([string] $Python)
    if (-not $Python -or -not (Test-Path -LiteralPath $Python -PathType Leaf)) { return $false }
    & $Python -c 'import azure.mgmt.network' 2>$null
    $LASTEXITCODE -eq 0
}

function Resolve-PythonVenv {
    $venv = Join-Path $CacheDir 'venv'
    $venvPython = if ($onWindows) { Join-Path $venv 'Scripts/python.exe' } else { Join-Path $venv 'bin/python' }
    $name = 'Python venv with azure-mgmt-network'
    if ($env:BASTION_PYTHON -and (Test-PythonVenv $env:BASTION_PYTHON)) {
        return [pscustomobject]@{ Name = $name; Status = 'Found'; Source = 'BASTION_PYTHON'; Path = $env:BASTION_PYTHON; Message = "$name found at $($env:BASTION_PYTHON) (BASTION_PYTHON)" }
    }
    if (Test-PythonVenv $venvPython) {
        return [pscustomobject]@{ Name = $name; Status = 'Found'; Source = 'cache'; Path = $venvPython; Message = "$name found in the cache: $venvPython" }
    }
    try {
        $python3 = Get-Command python3, python -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        if (-not $python3) { throw 'python3 is not installed' }
        if (-not (Test-Path -LiteralPath $WheelsDir -PathType Container)) { throw "the wheels folder $WheelsDir does not exist (set BASTION_WHEELS_DIR)" }
        Write-Step ("the {0} is missing: creating {1} from the wheels in {2}" -f $name, $venv, $WheelsDir)
        if (Test-Path -LiteralPath $venv) { Remove-Item -LiteralPath $venv -Recurse -Force }
        & $python3.Source -m venv $venv
        if ($LASTEXITCODE -ne 0) { throw "'$($python3.Source) -m venv $venv' exited with $LASTEXITCODE" }
        & $venvPython -m pip install --quiet --disable-pip-version-check --no-index --find-links $WheelsDir azure-mgmt-network
        if ($LASTEXITCODE -ne 0) { throw "pip install azure-mgmt-network from $WheelsDir exited with $LASTEXITCODE" }
        if (-not (Test-PythonVenv $venvPython)) { throw "the new venv at $venv cannot import azure.mgmt.network" }
        [pscustomobject]@{ Name = $name; Status = 'Installed'; Source = $WheelsDir; Path = $venvPython; Message = "installed the $name at $venv, from the wheels in $WheelsDir" }
    } catch {
        [pscustomobject]@{ Name = $name; Status = 'Failed'; Source = $null; Path = $null; Message = "the $name could not be created: $($_.Exception.Message)" }
    }
}

New-Item -ItemType Directory -Force -Path $CacheDir | Out-Null
Write-Step "cache: $CacheDir"
$pester = Resolve-Pester
Write-Step $pester.Message $pester.Status
if ($pester.Path) { $env:BASTION_PESTER_PSD1 = $pester.Path }
$python = Resolve-PythonVenv
Write-Step $python.Message $python.Status
if ($python.Path) { $env:BASTION_PYTHON = $python.Path }
$pester
$python
