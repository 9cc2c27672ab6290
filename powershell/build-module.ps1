<#
.SYNOPSIS
    Builds the BastionSession module layout in <OutputRoot>/BastionSession.

.DESCRIPTION
    The Build task's module part (the top-level build.ps1 calls it):
      1. cargo build -p bastion_session_ffi (debug or --release);
      2. dotnet build -c Release of the module's assembly (powershell/src/BastionSession.csproj:
         the compiled cmdlets, netstandard2.0 against PowerShellStandard.Library 5.1.1, restored
         from NuGet). Without the .NET SDK (8 or later) the build stops and says to install it;
      3. assembles <OutputRoot>/BastionSession/: the manifest, BastionSession.dll (the
         RootModule), the format file, en-US/ (about_BastionSession and, when
         powershell/build-help.ps1 exists, the MAML help it writes), and
         bin/<rid>/<native library> for the running platform, or for each platform of
         -NativeLibrary (build.ps1 Build passes what powershell/build-native.ps1 built).
    The built module holds no script: no .ps1 or .psm1.
    The version has one source, [workspace.package] version in Cargo.toml: the native
    library compiles it in, the csproj reads it, and this script stamps it into the
    built manifest's ModuleVersion (the source manifest holds the placeholder 0.0.0).
    Tests import the built module from there, never the source folder.

.PARAMETER Configuration
    Debug or Release: which cargo profile the native library comes from.

.PARAMETER OutputRoot
    Where BastionSession/ is laid out (default: <repo>/out).

.PARAMETER SkipCargo
    Do not run cargo (use the library already in target/<profile>/).

.PARAMETER NativeLibrary
    The native libraries to lay out, as a hashtable of rid = path, e.g.
    @{ 'linux-x64' = 'target/release/libbastion_session_ffi.so'; 'win-x64' = '...dll' }.
    Given, it replaces the running platform's library from target/<profile>/ (and cargo
    is not run).

.EXAMPLE
    pwsh ./powershell/build-module.ps1 -Configuration Debug
#>
[CmdletBinding()]
param(
    [ValidateSet('Debug', 'Release')] [string] $Configuration = 'Debug',
    [string] $OutputRoot,
    [switch] $SkipCargo,
    [hashtable] $NativeLibrary = @{}
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

function Assert-LayoutNotLoaded {
    <#
    Windows keeps a loaded DLL locked: if a PowerShell session imported the module from
    <OutputRoot>/BastionSession, deleting that folder fails part-way and leaves a broken
    layout. Check first, before anything is deleted, and say what to do. (Linux and macOS
    do not lock a loaded library; the check passes there.)
    #>
    param([string] $Folder)
    if (-not (Test-Path -LiteralPath $Folder)) { return }
    foreach ($file in Get-ChildItem -LiteralPath $Folder -Recurse -File -Include '*.dll', '*.so', '*.dylib') {
        $locked = $false
        try {
            $stream = [IO.File]::Open($file.FullName, [IO.FileMode]::Open, [IO.FileAccess]::ReadWrite, [IO.FileShare]::None)
            $stream.Dispose()
        } catch [System.IO.IOException] { $locked = $true } catch [System.UnauthorizedAccessException] { $locked = $true }
        if ($locked) {
            throw ("$($file.FullName) is in use, most likely loaded by a PowerShell session that imported the module from $Folder " +
                '(Windows locks a loaded DLL). Close those sessions (Remove-Module is not enough: the library stays loaded until the process exits), ' +
                'or build into another -OutputRoot. Nothing was changed.')
        }
    }
}
Assert-LayoutNotLoaded (Join-Path $OutputRoot 'BastionSession')

function Get-CargoWorkspaceVersion {
    <# [workspace.package] version of the repository's Cargo.toml: the one version of the library, the assembly and the module. #>
    param([string] $CargoToml)
    $text = [IO.File]::ReadAllText($CargoToml)
    $match = [regex]::Match($text, '\[workspace\.package\][^\[]*?\bversion\s*=\s*"(?<v>[0-9][^"]*)"')
    if (-not $match.Success) { throw "No [workspace.package] version in $CargoToml" }
    $match.Groups['v'].Value
}
$version = Get-CargoWorkspaceVersion (Join-Path $repoRoot 'Cargo.toml')

# 1. native library
$profileDir = if ($Configuration -eq 'Release') { 'release' } else { 'debug' }
if ($NativeLibrary.Count -gt 0) { $SkipCargo = $true }
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
$libraries = @{}
if ($NativeLibrary.Count -gt 0) {
    $fileNames = @{ win = 'bastion_session_ffi.dll'; linux = 'libbastion_session_ffi.so'; osx = 'libbastion_session_ffi.dylib' }
    foreach ($key in $NativeLibrary.Keys) {
        $ridOs = ($key -split '-')[0]
        if (-not $fileNames.ContainsKey($ridOs)) { throw "Unknown rid '$key': expected win-*, linux-* or osx-*." }
        $path = [string] $NativeLibrary[$key]
        if (-not (Test-Path -LiteralPath $path)) { throw "native library for $key not found at $path" }
        $libraries[$key] = @{ Path = $path; FileName = $fileNames[$ridOs] }
    }
} else {
    $nativeLib = Join-Path (Join-Path $targetDir $profileDir) $libName
    if (-not (Test-Path $nativeLib)) { throw "native library not found at $nativeLib (cargo build -p bastion_session_ffi)" }
    $libraries[$rid] = @{ Path = $nativeLib; FileName = $libName }
}

# 2. the module's assembly
$project = Join-Path $PSScriptRoot 'src/BastionSession.csproj'
if (-not (Get-Command dotnet -CommandType Application -ErrorAction SilentlyContinue)) {
    throw 'The .NET SDK (dotnet) is not installed: install the .NET SDK 8 or later (https://dot.net) to build the module''s assembly (powershell/src/BastionSession.csproj), then run the build again.'
}
Invoke-BuildCommand dotnet @('build', $project, '-c', 'Release', '--nologo', '-v', 'quiet')
$assembly = Join-Path $PSScriptRoot 'src/bin/Release/netstandard2.0/BastionSession.dll'
if (-not (Test-Path $assembly)) { throw "The module's assembly was not found at $assembly" }

# 3. layout
$source = Join-Path $PSScriptRoot 'BastionSession'
$dest = Join-Path $OutputRoot 'BastionSession'
if (Test-Path $dest) { Remove-Item -Recurse -Force $dest }
New-Item -ItemType Directory -Force -Path (Join-Path $dest 'bin') | Out-Null
foreach ($item in 'BastionSession.psd1', 'BastionSession.format.ps1xml', 'en-US') {
    $path = Join-Path $source $item
    if (Test-Path $path) { Copy-Item -Recurse -Path $path -Destination $dest }
}
# The cmdlets' MAML help, from powershell/help/*.md.
& (Join-Path $PSScriptRoot 'build-help.ps1') -OutputFolder (Join-Path $dest 'en-US')

$manifestPath = Join-Path $dest 'BastionSession.psd1'
$manifestText = [IO.File]::ReadAllText($manifestPath)
$stamped = [regex]::Replace($manifestText, "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'", "`${1}'$version'")
if ($stamped -eq $manifestText -and $manifestText -notmatch "ModuleVersion\s*=\s*'$([regex]::Escape($version))'") { throw "Could not stamp ModuleVersion into $manifestPath" }
[IO.File]::WriteAllText($manifestPath, $stamped, (New-Object System.Text.UTF8Encoding $false))
# The assembly alone: its XML doc comments are for the source, PowerShell reads MAML help.
Copy-Item $assembly $dest
# MAML help (en-US/BastionSession.dll-Help.xml), written from the repository's help sources.
$helpScript = Join-Path $PSScriptRoot 'build-help.ps1'
if (Test-Path $helpScript) { & $helpScript -OutputFolder (Join-Path $dest 'en-US') }
foreach ($key in $libraries.Keys | Sort-Object) {
    $binDir = Join-Path $dest "bin/$key"
    New-Item -ItemType Directory -Force -Path $binDir | Out-Null
    Copy-Item -LiteralPath $libraries[$key].Path -Destination (Join-Path $binDir $libraries[$key].FileName)
}
Write-Host "BastionSession $version module laid out in $dest ($((@($libraries.Keys) | Sort-Object) -join ', '), $Configuration native library)"
