<#
.SYNOPSIS
    Packages the built BastionSession module for Azure Automation and for Publish-Module.

.DESCRIPTION
    Takes the module that powershell/build-module.ps1 laid out in <OutputRoot>/BastionSession/
    and produces, under <OutputRoot>/package/:

      BastionSession.zip          for Azure Automation's module import (portal "Add a module",
                                  or New-AzAutomationModule -ContentLinkUri): the module folder
                                  BastionSession/ at the root of the zip, with the manifest, the
                                  BastionSession.dll (the compiled cmdlets) and one native library per platform
                                  under bin/<rid>/. Entry names use '/' and every path is kept
                                  under Automation's 140-character limit.
      BastionSession.zip.sha256   its SHA-256, for whoever uploads it to a storage account.
      publish/BastionSession/     the same files as a folder, ready for
                                  Publish-Module -Path out/package/publish/BastionSession.

    ./build.ps1 Build lays out bin/linux-x64/ and bin/win-x64/ (cross-built with mingw-w64 on
    Linux); every bin/<rid>/ folder found in the built module is packaged. A Windows library
    built elsewhere in this clone (target/x86_64-pc-windows-msvc/release/, the -gnu target,
    or target/windows-gnu/x86_64-pc-windows-gnu/release/ from Debian's toolchain) is added as
    bin/win-x64/ when the built module has none. -NativeLibrary adds more.

    The script never builds: run ./build.ps1 Build first (./build.ps1 Package does).

.PARAMETER OutputRoot
    The folder that holds the built module (BastionSession/) and receives package/.

.PARAMETER NativeLibrary
    Extra native libraries: a hashtable of rid = path, e.g.
    @{ 'win-x64' = 'C:\build\bastion_session_ffi.dll' }.

.PARAMETER RequireRid
    Fail unless the package carries a native library for each of these rids. Default:
    win-x64, since the zip is meant for Azure Automation, whose cloud jobs run on Windows x64.
    -RequireRid @() packages whatever was built (a Linux-only package for a Linux worker).

.PARAMETER PassThru
    Also return an object describing the package (paths, hash, platforms, files).

.EXAMPLE
    pwsh ./powershell/package-module.ps1 -OutputRoot out

.EXAMPLE
    pwsh ./powershell/package-module.ps1 -OutputRoot out -NativeLibrary @{ 'win-x64' = './bastion_session_ffi.dll' } -RequireRid linux-x64, win-x64
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)]
    [string] $OutputRoot,
    [hashtable] $NativeLibrary = @{},
    [string[]] $RequireRid = @('win-x64'),
    [switch] $PassThru
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'

$ModuleName = 'BastionSession'
# Azure Automation refuses module files whose path is 140 characters or longer. The
# limit is on the path inside the zip; keep a margin for the version folder Automation
# may add on extraction.
$MaxEntryPath = 120
$LibraryNames = @{
    win   = 'bastion_session_ffi.dll'
    linux = 'libbastion_session_ffi.so'
    osx   = 'libbastion_session_ffi.dylib'
}

function Get-FullPath([string] $Path) {
    return [IO.Path]::GetFullPath($(if ([IO.Path]::IsPathRooted($Path)) { $Path } else { Join-Path (Get-Location).Path $Path }))
}

function Get-RelativeEntry([string] $Root, [string] $File) {
    # Entry names inside a zip always use '/', whatever the OS (Windows PowerShell 5.1's
    # Compress-Archive wrote '\', which breaks extraction on Linux: hence ZipFile here).
    return $File.Substring($Root.Length).TrimStart('\', '/').Replace('\', '/')
}

$repoRoot = Split-Path -Parent $PSScriptRoot
$outputRoot = Get-FullPath $OutputRoot
$moduleSource = Join-Path $outputRoot $ModuleName
$manifestPath = Join-Path $moduleSource "$ModuleName.psd1"
if (-not (Test-Path -LiteralPath $manifestPath)) {
    throw "No built module at $moduleSource. Build it first: pwsh ./build.ps1 Build (or powershell/build-module.ps1 -OutputRoot $OutputRoot)."
}

$manifest = Import-PowerShellDataFile -LiteralPath $manifestPath
$version = [string] $manifest.ModuleVersion
foreach ($key in 'RootModule', 'ModuleVersion', 'Description', 'Author') {
    if (-not $manifest.ContainsKey($key) -or -not $manifest[$key]) {
        throw "The manifest $manifestPath has no $key; Publish-Module and Automation need it."
    }
}
if (-not (Test-Path -LiteralPath (Join-Path $moduleSource $manifest.RootModule))) {
    throw "The manifest names RootModule '$($manifest.RootModule)', which is not in $moduleSource."
}

$packageRoot = Join-Path $outputRoot 'package'
$staging = Join-Path $packageRoot "staging/$ModuleName"
$publishRoot = Join-Path $packageRoot 'publish'
$publishFolder = Join-Path $publishRoot $ModuleName
$zipPath = Join-Path $packageRoot "$ModuleName.zip"

foreach ($path in (Join-Path $packageRoot 'staging'), $publishRoot, $zipPath, "$zipPath.sha256") {
    if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -Recurse -Force }
}
New-Item -ItemType Directory -Path $staging -Force | Out-Null

Write-Host "Packaging $ModuleName $version from $moduleSource"
# Copy the built module, leaving out debug symbols and editor/OS litter.
$skip = @('*.pdb', '*.dbg', '.DS_Store', 'Thumbs.db', '*.swp')
Get-ChildItem -LiteralPath $moduleSource -Recurse -File | ForEach-Object {
    $file = $_
    foreach ($pattern in $skip) { if ($file.Name -like $pattern) { return } }
    $relative = Get-RelativeEntry $moduleSource $file.FullName
    $target = Join-Path $staging $relative
    New-Item -ItemType Directory -Path (Split-Path -Parent $target) -Force | Out-Null
    Copy-Item -LiteralPath $file.FullName -Destination $target
}

# Native libraries built outside the module build: a Windows cross-build in this clone,
# then whatever the caller names.
$extra = @{}
foreach ($triple in 'x86_64-pc-windows-msvc', 'x86_64-pc-windows-gnu', 'windows-gnu/x86_64-pc-windows-gnu') {
    $candidate = Join-Path $repoRoot "target/$triple/release/$($LibraryNames.win)"
    if ((Test-Path -LiteralPath $candidate) -and -not $extra.ContainsKey('win-x64')) { $extra['win-x64'] = $candidate }
}
foreach ($rid in $NativeLibrary.Keys) { $extra[$rid] = [string] $NativeLibrary[$rid] }
foreach ($rid in $extra.Keys) {
    $os = ($rid -split '-')[0]
    if (-not $LibraryNames.ContainsKey($os)) { throw "Unknown rid '$rid': expected win-*, linux-* or osx-*." }
    $binDir = Join-Path $staging "bin/$rid"
    $present = Test-Path -LiteralPath (Join-Path $binDir $LibraryNames[$os])
    if ($present -and -not $NativeLibrary.ContainsKey($rid)) { continue }   # the built module wins over a stray cross-build
    $source = Get-FullPath $extra[$rid]
    if (-not (Test-Path -LiteralPath $source)) { throw "Native library for $rid not found: $source" }
    New-Item -ItemType Directory -Path $binDir -Force | Out-Null
    Copy-Item -LiteralPath $source -Destination (Join-Path $binDir $LibraryNames[$os]) -Force
    Write-Host "  added $rid native library from $source"
}

# Which platforms does the package carry?
$rids = @()
$binRoot = Join-Path $staging 'bin'
if (Test-Path -LiteralPath $binRoot) {
    foreach ($dir in Get-ChildItem -LiteralPath $binRoot -Directory) {
        $os = ($dir.Name -split '-')[0]
        if ($LibraryNames.ContainsKey($os) -and (Test-Path -LiteralPath (Join-Path $dir.FullName $LibraryNames[$os]))) {
            $rids += $dir.Name
        }
    }
}
if ($rids.Count -eq 0) { throw "The built module has no native library under bin/<rid>/; run ./build.ps1 Build." }
foreach ($rid in $RequireRid) {
    if ($rids -notcontains $rid) {
        throw "The package has no native library for $rid (it carries: $($rids -join ', ')). Build it with: pwsh ./build.ps1 Build -Runtime $rid (README, 'Building for Linux and Windows'); -RequireRid @() packages without it."
    }
}
if ($rids -notcontains 'win-x64') {
    Write-Warning (("The package carries {0} only. Azure Automation cloud jobs run on Windows x64: build " +
        "bastion_session_ffi.dll (pwsh ./build.ps1 Build -Runtime win-x64; README, 'Building for Linux and Windows'), put it in bin/win-x64/ or pass " +
        "-NativeLibrary @{{'win-x64'='<path>'}}, and package again.") -f ($rids -join ', '))
}

# Path lengths, as Automation checks them (module folder included).
$entries = @(Get-ChildItem -LiteralPath $staging -Recurse -File | ForEach-Object {
        "$ModuleName/" + (Get-RelativeEntry $staging $_.FullName)
    })
$tooLong = @($entries | Where-Object { $_.Length -ge $MaxEntryPath })
if ($tooLong.Count -gt 0) {
    throw "These paths are $MaxEntryPath characters or longer, too long for Azure Automation: $($tooLong -join ', ')"
}

# The zip: entries named BastionSession/..., forward slashes, no directory entries needed.
Add-Type -AssemblyName System.IO.Compression
Add-Type -AssemblyName System.IO.Compression.FileSystem
$zip = [IO.Compression.ZipFile]::Open($zipPath, [IO.Compression.ZipArchiveMode]::Create)
try {
    foreach ($file in Get-ChildItem -LiteralPath $staging -Recurse -File | Sort-Object FullName) {
        $entryName = "$ModuleName/" + (Get-RelativeEntry $staging $file.FullName)
        [void] [IO.Compression.ZipFileExtensions]::CreateEntryFromFile($zip, $file.FullName, $entryName, [IO.Compression.CompressionLevel]::Optimal)
    }
} finally {
    $zip.Dispose()
}
$hash = (Get-FileHash -LiteralPath $zipPath -Algorithm SHA256).Hash.ToLowerInvariant()
Set-Content -LiteralPath "$zipPath.sha256" -Value "$hash  $ModuleName.zip" -Encoding Ascii

# The Publish-Module folder: the same files, under a folder named like the module.
New-Item -ItemType Directory -Path $publishRoot -Force | Out-Null
Move-Item -LiteralPath $staging -Destination $publishFolder
Remove-Item -LiteralPath (Join-Path $packageRoot 'staging') -Recurse -Force

# Check what we made: the zip opens, its manifest is where Automation looks, and the
# publish folder's manifest is valid.
$check = [IO.Compression.ZipFile]::OpenRead($zipPath)
try {
    $names = @($check.Entries | ForEach-Object { $_.FullName })
} finally {
    $check.Dispose()
}
if ($names -notcontains "$ModuleName/$ModuleName.psd1") { throw "The zip has no $ModuleName/$ModuleName.psd1 at its root." }
$tested = Test-ModuleManifest -Path (Join-Path $publishFolder "$ModuleName.psd1") -ErrorAction Stop
if ([string] $tested.Version -ne $version) { throw "Test-ModuleManifest read version $($tested.Version), expected $version." }

$zipSize = (Get-Item -LiteralPath $zipPath).Length
Write-Host ("  {0} ({1:n0} bytes, {2} files, sha256 {3})" -f $zipPath, $zipSize, $names.Count, $hash)
$check = [IO.Compression.ZipFile]::OpenRead($zipPath)
try {
    foreach ($entry in $check.Entries | Sort-Object FullName) {
        Write-Host ("    {0,10:n0}  {1}" -f $entry.Length, $entry.FullName)
    }
} finally {
    $check.Dispose()
}
Write-Host "  platforms: $($rids -join ', ')"
Write-Host "  longest path: $(($entries | Measure-Object -Property Length -Maximum).Maximum) characters (Automation's limit is 140; this script allows at most $($MaxEntryPath - 1))"
Write-Host "  Publish-Module folder: $publishFolder"

if ($PassThru) {
    [pscustomobject]@{
        Zip           = $zipPath
        Sha256        = $hash
        PublishFolder = $publishFolder
        Version       = $version
        Platforms     = $rids
        Files         = $names
    }
}
