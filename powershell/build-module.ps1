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
      3. assembles <OutputRoot>/BastionSession/: the manifest, the .psm1 with the files of
         Public/ written into it, BastionSession.Private.ps1 with those of Private/ (one file
         parses faster than ten dot-sourced ones, and Import-Module parses only the .psm1:
         the private file is read on first need; the sources keep one file per concern), the format file,
         en-US/ (if any), bin/BastionSession.Native.dll and
         bin/<rid>/<native library> for the running platform, or for each platform of
         -NativeLibrary (build.ps1 Build passes what powershell/build-native.ps1 built).
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
    $bin = Join-Path $Folder 'bin'
    if (-not (Test-Path -LiteralPath $bin)) { return }
    foreach ($file in Get-ChildItem -LiteralPath $bin -Recurse -File -Include '*.dll', '*.so', '*.dylib') {
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
New-Item -ItemType Directory -Force -Path (Join-Path $dest 'bin') | Out-Null
foreach ($item in 'BastionSession.psd1', 'BastionSession.format.ps1xml', 'en-US') {
    $path = Join-Path $source $item
    if (Test-Path $path) { Copy-Item -Recurse -Path $path -Destination $dest }
}
# The cmdlets' MAML help, from powershell/help/*.md.
& (Join-Path $PSScriptRoot 'build-help.ps1') -OutputFolder (Join-Path $dest 'en-US')

function Get-FolderScript {
    <#
    The .ps1 files of one source folder as one script, sorted by ordinal name as the source
    .psm1's loop takes them, each preceded by a comment naming it. With -ScriptScope, each
    top-level function is defined as script:<name>: the file is dot-sourced from inside a
    function (Import-BastionPrivate), and its functions must land in the module's scope.
    #>
    param([string] $Folder, [switch] $ScriptScope)
    $script = New-Object System.Text.StringBuilder
    $folderName = [IO.Path]::GetFileName($Folder)
    $files = [IO.Directory]::GetFiles($Folder, '*.ps1')
    [Array]::Sort($files, [StringComparer]::Ordinal)
    foreach ($file in $files) {
        $text = ([IO.File]::ReadAllText($file) -replace "`r`n", "`n").TrimEnd("`n")
        if ($ScriptScope) {
            $errors = $null
            $ast = [System.Management.Automation.Language.Parser]::ParseInput($text, [ref]$null, [ref]$errors)
            if ($errors) { throw "$file does not parse: $($errors[0].Message)" }
            $functions = @($ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $false) |
                    Where-Object { $_.Parent -eq $ast.EndBlock } | Sort-Object { $_.Extent.StartOffset } -Descending)
            foreach ($function in $functions) {
                $head = [regex]::Match($text.Substring($function.Extent.StartOffset), '^(function|filter)\s+')
                if (-not $head.Success) { throw "Cannot find the keyword of function $($function.Name) in $file" }
                $text = $text.Insert($function.Extent.StartOffset + $head.Length, 'script:')
            }
        }
        [void]$script.Append("#region $folderName/$([IO.Path]::GetFileName($file))`n").Append($text).Append("`n#endregion`n`n")
    }
    $script.ToString()
}

function Get-BuiltRootModule {
    <#
    The source .psm1 with its "#region Private/ and Public/" (the loop that dot-sources those
    folders) replaced by Public/'s files themselves. Private/'s go to
    BastionSession.Private.ps1 (Get-FolderScript -ScriptScope), which Import-BastionPrivate
    dot-sources on first need.
    #>
    param([string] $SourceFolder)
    $psm1 = [IO.File]::ReadAllText((Join-Path $SourceFolder 'BastionSession.psm1')) -replace "`r`n", "`n"
    $region = [regex]::Match($psm1, '(?ms)^#region Private/ and Public/\n.*?^#endregion\n')
    if (-not $region.Success) { throw "BastionSession.psm1 has no '#region Private/ and Public/' ... '#endregion' to replace with the files." }
    $psm1.Substring(0, $region.Index) + (Get-FolderScript (Join-Path $SourceFolder 'Public')) + $psm1.Substring($region.Index + $region.Length)
}
# UTF-8 with a byte order mark: Windows PowerShell 5.1 reads a file without one as ANSI.
$utf8WithBom = New-Object System.Text.UTF8Encoding $true
[IO.File]::WriteAllText((Join-Path $dest 'BastionSession.psm1'), (Get-BuiltRootModule $source), $utf8WithBom)
$privateHeader = "<#`n    BastionSession's private functions, from powershell/BastionSession/Private/ (built by`n    powershell/build-module.ps1). Import-BastionPrivate, in BastionSession.psm1, dot-sources this`n    file on first need; each function is defined in the module's script scope.`n#>`n`n"
[IO.File]::WriteAllText((Join-Path $dest 'BastionSession.Private.ps1'), $privateHeader + (Get-FolderScript (Join-Path $source 'Private') -ScriptScope), $utf8WithBom)
$manifestPath = Join-Path $dest 'BastionSession.psd1'
$manifestText = [IO.File]::ReadAllText($manifestPath)
$stamped = [regex]::Replace($manifestText, "(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'", "`${1}'$version'")
if ($stamped -eq $manifestText -and $manifestText -notmatch "ModuleVersion\s*=\s*'$([regex]::Escape($version))'") { throw "Could not stamp ModuleVersion into $manifestPath" }
[IO.File]::WriteAllText($manifestPath, $stamped, (New-Object System.Text.UTF8Encoding $false))
Copy-Item $shimDll (Join-Path $dest 'bin')
$shimXml = [IO.Path]::ChangeExtension($shimDll, '.xml')
if (Test-Path $shimXml) { Copy-Item $shimXml (Join-Path $dest 'bin') }
foreach ($key in $libraries.Keys | Sort-Object) {
    $binDir = Join-Path $dest "bin/$key"
    New-Item -ItemType Directory -Force -Path $binDir | Out-Null
    Copy-Item -LiteralPath $libraries[$key].Path -Destination (Join-Path $binDir $libraries[$key].FileName)
}
Write-Host "BastionSession $version module laid out in $dest ($((@($libraries.Keys) | Sort-Object) -join ', '), $Configuration native library)"
