<#
.SYNOPSIS
    Builds the BastionSession module layout in <OutputRoot>/BastionSession.

.DESCRIPTION
    The Build task's module part (the top-level build.ps1 calls it):
      1. cargo build -p bastion_session_ffi (debug or --release);
      2. dotnet build -c Release of the interop shim (powershell/shim, netstandard2.0), or,
         on a machine without the .NET SDK, Add-Type -OutputAssembly with PowerShell's own
         compiler (the shim then targets the running .NET: fine for PowerShell 7 on this
         machine, but build with the SDK for a package that Windows PowerShell 5.1 loads);
      3. assembles <OutputRoot>/BastionSession/: the manifest, .psm1, format file, Public/,
         Private/, en-US/ (if any), bin/BastionSession.Native.dll and
         bin/<rid>/<native library> for the running platform.
    The version has one source, [workspace.package] version in Cargo.toml: the native
    library compiles it in, the shim's csproj reads it, and this script stamps it into the
    built manifest's ModuleVersion (the source manifest holds the placeholder 0.0.0).
    Tests import the built module from there, never the source folder.

.PARAMETER Configuration
    Debug or Release: which cargo profile the native library comes from.

.PARAMETER OutputRoot
    Where BastionSession/ is laid out (default: <repo>/out).

.PARAMETER SkipCargo
    Do not run cargo (use the library already in target/<profile>/).

.EXAMPLE
    pwsh ./powershell/build-module.ps1 -Configuration Debug
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')] [string] $Configuration = 'Debug',
    [string] $OutputRoot,
    [switch] $SkipCargo
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$repoRoot = Split-Path -Parent $PSScriptRoot
if (-not $OutputRoot) { $OutputRoot = Join-Path $repoRoot 'out' }

function Invoke-BuildCommand {
    param([string] $FilePath, [string[]] $ArgumentList)
    Write-Host "> $FilePath $($ArgumentList -join ' ')" -ForegroundColor DarkGray
    & $FilePath @ArgumentList
    if ($LASTEXITCODE -ne 0) { throw "'$FilePath $($ArgumentList -join ' ')' exited with $LASTEXITCODE" }
}

function Get-CargoWorkspaceVersion {
    <# [workspace.package] version of the repository's Cargo.toml: the one version of the library, the shim and the module. #>
    param([string] $CargoToml)
    $text = [IO.File]::ReadAllText($CargoToml)
    $match = [regex]::Match($text, '\[workspace\.package\][^\[]*?\bversion\s*=\s*"(?<v>[0-9][^"]*)"')
    if (-not $match.Success) { throw "No [workspace.package] version in $CargoToml" }
    $match.Groups['v'].Value
}
$version = Get-CargoWorkspaceVersion (Join-Path $repoRoot 'Cargo.toml')

# 1. native library
$profileDir = if ($Configuration -eq 'Release') { 'release' } else { 'debug' }
if (-not $SkipCargo) {
    $cargoArgs = @('build', '-p', 'bastion_session_ffi')
    if ($Configuration -eq 'Release') { $cargoArgs += '--release' }
    Push-Location $repoRoot
    try { Invoke-BuildCommand cargo $cargoArgs } finally { Pop-Location }
}
$onMac = (Test-Path variable:IsMacOS) -and (Get-Variable IsMacOS -ValueOnly)
if ($env:OS -eq 'Windows_NT') { $libName = 'bastion_session_ffi.dll'; $os = 'win' }
elseif ($onMac) { $libName = 'libbastion_session_ffi.dylib'; $os = 'osx' }
else { $libName = 'libbastion_session_ffi.so'; $os = 'linux' }
$arch = switch ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture) {
    'X64' { 'x64' } 'Arm64' { 'arm64' } default { "$_".ToLowerInvariant() }
}
$rid = "$os-$arch"
$targetDir = if ($env:CARGO_TARGET_DIR) { $env:CARGO_TARGET_DIR } else { Join-Path $repoRoot 'target' }
$nativeLib = Join-Path (Join-Path $targetDir $profileDir) $libName
if (-not (Test-Path $nativeLib)) { throw "native library not found at $nativeLib (cargo build -p bastion_session_ffi)" }

# 2. shim
$shimProject = Join-Path $PSScriptRoot 'shim/BastionSession.Native.csproj'
if (Get-Command dotnet -CommandType Application -ErrorAction SilentlyContinue) {
    Invoke-BuildCommand dotnet @('build', $shimProject, '-c', 'Release', '--nologo', '-v', 'quiet')
    $shimDll = Join-Path $PSScriptRoot 'shim/bin/Release/netstandard2.0/BastionSession.Native.dll'
} else {
    Write-Warning 'The .NET SDK (dotnet) is not installed: compiling the interop shim with Add-Type. The module then runs on this PowerShell only; install the SDK to build the portable netstandard2.0 shim.'
    $shimDir = Join-Path ([IO.Path]::GetTempPath()) "bastionsession-shim-$PID"
    New-Item -ItemType Directory -Force -Path $shimDir | Out-Null
    $shimDll = Join-Path $shimDir 'BastionSession.Native.dll'
    if (Test-Path $shimDll) { Remove-Item -Force $shimDll }
    $sources = @(Get-ChildItem -Path (Join-Path $PSScriptRoot 'shim') -Filter '*.cs' | ForEach-Object { $_.FullName })
    # What the csproj does through MSBuild: the assembly carries Cargo.toml's version.
    $versionSource = Join-Path $shimDir 'AssemblyVersion.cs'
    Set-Content -LiteralPath $versionSource -Encoding UTF8 -Value ('[assembly: System.Reflection.AssemblyVersion("{0}")]' -f $version)
    $sources += $versionSource
    Add-Type -Path $sources -OutputAssembly $shimDll -OutputType Library -CompilerOptions '/unsafe'
}
if (-not (Test-Path $shimDll)) { throw "shim not found at $shimDll" }

# 3. layout
$source = Join-Path $PSScriptRoot 'BastionSession'
$dest = Join-Path $OutputRoot 'BastionSession'
if (Test-Path $dest) { Remove-Item -Recurse -Force $dest }
New-Item -ItemType Directory -Force -Path (Join-Path $dest "bin/$rid") | Out-Null
foreach ($item in 'BastionSession.psd1', 'BastionSession.psm1', 'BastionSession.format.ps1xml', 'Public', 'Private', 'en-US') {
    $path = Join-Path $source $item
    if (Test-Path $path) { Copy-Item -Recurse -Path $path -Destination $dest }
}
$manifestPath = Join-Path $dest 'BastionSession.psd1'
$manifestText = [IO.File]::ReadAllText($manifestPath)
$stamped = [regex]::Replace($manifestText, "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'", "`${1}'$version'")
if ($stamped -eq $manifestText -and $manifestText -notmatch "ModuleVersion\s*=\s*'$([regex]::Escape($version))'") { throw "Could not stamp ModuleVersion into $manifestPath" }
[IO.File]::WriteAllText($manifestPath, $stamped, (New-Object System.Text.UTF8Encoding $false))
Copy-Item $shimDll (Join-Path $dest 'bin')
$shimXml = [IO.Path]::ChangeExtension($shimDll, '.xml')
if (Test-Path $shimXml) { Copy-Item $shimXml (Join-Path $dest 'bin') }
Copy-Item $nativeLib (Join-Path $dest "bin/$rid")
Write-Host "BastionSession $version module laid out in $dest ($rid, $Configuration native library)"
