<#
.SYNOPSIS
    Builds the native library (and the ARM emulator) for each platform this machine can build.

.DESCRIPTION
    The native part of ./build.ps1 Build. For each runtime asked for (default: linux-x64 and
    win-x64) it builds bastion_session_ffi and bastion-emulator, or says why it cannot:

      linux-x64  cargo build on Linux x64.
      win-x64    on Windows: cargo build (MSVC or GNU, whichever toolchain is the default);
                 on Linux, cross-compiled for x86_64-pc-windows-gnu with mingw-w64's linker:
                   1. rustup's x86_64-pc-windows-gnu target when it is installed;
                   2. otherwise Debian's toolchain (rustc-web, cargo-web, rust-web-src), which
                      has no prebuilt Windows standard library: /usr/bin/cargo builds it from
                      source with -Zbuild-std (RUSTC_BOOTSTRAP=1), into target/windows-gnu/.
                      Offline, run ../shared/bin/use-local-crates --with-std-sources first.

    Windows builds are stripped of symbols (CARGO_PROFILE_RELEASE_STRIP=symbols); ffi/build.rs
    gives the DLL its version resource. A runtime named with -Runtime that cannot be built is
    an error; one that is only skipped by default is reported with the reason.

    Returns one object per runtime: Runtime, Built, Library, Emulator, Toolchain, Reason.

.PARAMETER Runtime
    linux-x64, win-x64 or both (default: every one this machine can build).

.PARAMETER Configuration
    Release (default) or Debug.

.EXAMPLE
    pwsh ./powershell/build-native.ps1 -Runtime win-x64
#>
[CmdletBinding()]
param(
    [ValidateSet('linux-x64', 'win-x64')] [string[]] $Runtime = @(),
    [ValidateSet('Debug', 'Release')] [string] $Configuration = 'Release'
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$repoRoot = Split-Path -Parent $PSScriptRoot
$windowsTriple = 'x86_64-pc-windows-gnu'
$mingwGcc = 'x86_64-w64-mingw32-gcc'
$targetRoot = if ($env:CARGO_TARGET_DIR) { $env:CARGO_TARGET_DIR } else { Join-Path $repoRoot 'target' }
$profileDir = if ($Configuration -eq 'Release') { 'release' } else { 'debug' }
$onWindows = $env:OS -eq 'Windows_NT'
$onLinux = -not $onWindows -and (Test-Path variable:IsLinux) -and (Get-Variable IsLinux -ValueOnly)
$hostArch = [System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture

function Invoke-Cargo {
    <# Runs cargo with extra environment variables for this call only; throws when it fails. #>
    param([string] $Cargo = 'cargo', [string[]] $ArgumentList, [hashtable] $Environment = @{})
    $saved = @{}
    foreach ($name in $Environment.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $Environment[$name])
    }
    try {
        $shown = ($Environment.Keys | Sort-Object | ForEach-Object { "$_=$($Environment[$_])" }) -join ' '
        Write-Host "> $shown $Cargo $($ArgumentList -join ' ')" -ForegroundColor DarkGray
        & $Cargo @ArgumentList | Out-Host
        if ($LASTEXITCODE -ne 0) { throw "'$Cargo $($ArgumentList -join ' ')' exited with $LASTEXITCODE" }
    } finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
}

function Test-Command([string] $Name) {
    [bool](Get-Command $Name -CommandType Application -ErrorAction SilentlyContinue)
}

function Get-WindowsCrossPlan {
    <#
    How this Linux machine can build win-x64: an object with Toolchain, Cargo, arguments,
    environment and output folder, or one with a Reason when it cannot.
    #>
    $gnuArgs = @('build', '--release', '--target', $windowsTriple, '-p', 'bastion_session_ffi', '-p', 'bastion-emulator')
    $linkerVariable = 'CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER'
    if (-not (Test-Command $mingwGcc)) {
        return [pscustomobject]@{ Reason = "no mingw-w64 C compiler ($mingwGcc): install gcc-mingw-w64-x86-64 (Debian) or mingw-w64" }
    }
    $rustupTargets = @()
    if (Test-Command rustup) { $rustupTargets = @(& rustup target list --installed 2>$null) }
    if ($rustupTargets -contains $windowsTriple) {
        return [pscustomobject]@{
            Toolchain   = "rustup target $windowsTriple + $mingwGcc"
            Cargo       = 'cargo'
            Arguments   = $gnuArgs
            Environment = @{ $linkerVariable = $mingwGcc; CARGO_PROFILE_RELEASE_STRIP = 'symbols' }
            OutputDir   = Join-Path $targetRoot "$windowsTriple/release"
            Reason      = $null
        }
    }
    $missing = @()
    if (-not (Test-Path /usr/bin/rustc)) { $missing += 'rustc-web (/usr/bin/rustc)' }
    if (-not (Test-Path /usr/bin/cargo)) { $missing += 'cargo-web (/usr/bin/cargo)' }
    if (-not (Test-Path /usr/lib/rustlib/src/rust/library/std)) { $missing += 'rust-web-src (/usr/lib/rustlib/src/rust/library)' }
    if ($missing) {
        return [pscustomobject]@{ Reason = ("no Rust for $windowsTriple`: rustup has not that target (rustup target add $windowsTriple) " +
                "and Debian's toolchain is incomplete (missing $($missing -join ', '))") }
    }
    $crossDir = Join-Path $targetRoot 'windows-gnu'
    [pscustomobject]@{
        Toolchain   = "Debian rustc $((& /usr/bin/rustc --version) -replace '^rustc ', '') with -Zbuild-std + $mingwGcc"
        Cargo       = '/usr/bin/cargo'
        Arguments   = @($gnuArgs[0..3]) + @('-Zbuild-std=std,panic_unwind', '--target-dir', $crossDir) + @($gnuArgs[4..($gnuArgs.Count - 1)])
        Environment = @{ RUSTC = '/usr/bin/rustc'; RUSTC_BOOTSTRAP = '1'; $linkerVariable = $mingwGcc; CARGO_PROFILE_RELEASE_STRIP = 'symbols' }
        OutputDir   = Join-Path $crossDir "$windowsTriple/release"
        Reason      = $null
    }
}

$explicit = $Runtime.Count -gt 0
$wanted = if ($explicit) { $Runtime } else { @('linux-x64', 'win-x64') }
$results = @()
foreach ($rid in $wanted) {
    $result = [pscustomobject]@{ Runtime = $rid; Built = $false; Library = $null; Emulator = $null; Toolchain = $null; Reason = $null }
    switch ($rid) {
        'linux-x64' {
            if (-not $onLinux -or $hostArch -ne 'X64') {
                $result.Reason = "building linux-x64 needs Linux x64 (this is $([System.Runtime.InteropServices.RuntimeInformation]::OSDescription), $hostArch); cross-building Linux is not set up"
                break
            }
            $cargoArgs = @('build', '-p', 'bastion_session_ffi', '-p', 'bastion-emulator')
            if ($Configuration -eq 'Release') { $cargoArgs += '--release' }
            Invoke-Cargo -ArgumentList $cargoArgs
            $result.Built = $true
            $result.Toolchain = 'cargo (host)'
            $result.Library = Join-Path $targetRoot "$profileDir/libbastion_session_ffi.so"
            $result.Emulator = Join-Path $targetRoot "$profileDir/bastion-emulator"
        }
        'win-x64' {
            if ($onWindows) {
                if ($hostArch -ne 'X64') { $result.Reason = "this Windows is $hostArch; build win-x64 on Windows x64"; break }
                $cargoArgs = @('build', '-p', 'bastion_session_ffi', '-p', 'bastion-emulator')
                if ($Configuration -eq 'Release') { $cargoArgs += '--release' }
                Invoke-Cargo -ArgumentList $cargoArgs -Environment @{ CARGO_PROFILE_RELEASE_STRIP = 'symbols' }
                $result.Built = $true
                $result.Toolchain = 'cargo (native Windows)'
                $result.Library = Join-Path $targetRoot "$profileDir/bastion_session_ffi.dll"
                $result.Emulator = Join-Path $targetRoot "$profileDir/bastion-emulator.exe"
                break
            }
            if (-not $onLinux) { $result.Reason = 'cross-building win-x64 is set up on Linux only'; break }
            $plan = Get-WindowsCrossPlan
            if ($plan.Reason) { $result.Reason = $plan.Reason; break }
            Invoke-Cargo -Cargo $plan.Cargo -ArgumentList $plan.Arguments -Environment $plan.Environment
            $result.Built = $true
            $result.Toolchain = $plan.Toolchain
            $result.Library = Join-Path $plan.OutputDir 'bastion_session_ffi.dll'
            $result.Emulator = Join-Path $plan.OutputDir 'bastion-emulator.exe'
        }
    }
    if ($result.Built -and -not (Test-Path -LiteralPath $result.Library)) {
        throw "cargo built $rid but $($result.Library) is missing"
    }
    $results += $result
}

foreach ($r in $results) {
    if ($r.Built) {
        $size = (Get-Item -LiteralPath $r.Library).Length
        Write-Host ("built   {0,-10} {1} ({2:n0} bytes; {3})" -f $r.Runtime, $r.Library, $size, $r.Toolchain) -ForegroundColor Green
    } else {
        Write-Host ("skipped {0,-10} {1}" -f $r.Runtime, $r.Reason) -ForegroundColor Yellow
    }
}
$notBuilt = @($results | Where-Object { -not $_.Built })
if ($explicit -and $notBuilt.Count -gt 0) {
    throw "Cannot build $(($notBuilt | ForEach-Object { $_.Runtime }) -join ', '): $(($notBuilt | ForEach-Object { $_.Reason }) -join '; ')"
}
if (@($results | Where-Object { $_.Built }).Count -eq 0) { throw 'No platform could be built (see the reasons above).' }
$results
