<#
.SYNOPSIS
    Checks the win-x64 bastion_session_ffi.dll as shipped: import table, exports, version
    resource and symbols. Runs on Linux (mingw-w64's objdump); exits non-zero on any failure.

.DESCRIPTION
    - Imports: Windows system DLLs only (an explicit list), and never a MinGW runtime DLL
      (libgcc_s_seh-1.dll, libwinpthread-1.dll, libstdc++-6.dll): a user's machine has none.
    - Exports: every function the header include/bastion_session.h declares.
    - Version resource: VS_FIXEDFILEINFO's file and product version, and the FileVersion /
      ProductVersion strings, equal the crate version (Cargo.toml [workspace.package]) + ".0".
    - Stripped: the COFF symbols-stripped flag, no symbol for nm, no .debug_* sections.
    Prints the import list and the size, which BENCHMARKS.md and the README quote.

.PARAMETER Path
    The DLL.
#>
[CmdletBinding()]
param([Parameter(Mandatory = $true)] [string] $Path)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$repoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
$objdump = 'x86_64-w64-mingw32-objdump'
$failures = [System.Collections.Generic.List[string]]::new()

# Windows' own DLLs (and API sets) the Rust standard library, tokio, ring and rustls use.
$systemDlls = @(
    'kernel32.dll', 'ntdll.dll', 'advapi32.dll', 'ws2_32.dll', 'bcrypt.dll', 'bcryptprimitives.dll',
    'userenv.dll', 'msvcrt.dll', 'api-ms-win-core-synch-l1-2-0.dll', 'secur32.dll', 'crypt32.dll',
    'ncrypt.dll', 'ole32.dll', 'oleaut32.dll', 'shell32.dll', 'user32.dll', 'iphlpapi.dll', 'dbghelp.dll'
)
$mingwRuntime = @('libgcc_s_seh-1.dll', 'libwinpthread-1.dll', 'libstdc++-6.dll', 'libgcc_s_dw2-1.dll')

if (-not (Test-Path -LiteralPath $Path)) { throw "no DLL at $Path" }
$dump = & $objdump -p $Path
if ($LASTEXITCODE -ne 0) { throw "$objdump -p $Path failed" }

# Imports.
$imports = @($dump | Select-String -Pattern '^\s*DLL Name:\s*(\S+)' | ForEach-Object { $_.Matches[0].Groups[1].Value.ToLowerInvariant() } | Sort-Object -Unique)
Write-Host "imports: $($imports -join ', ')"
if ($imports.Count -eq 0) { $failures.Add('the import table is empty or unreadable') }
foreach ($dll in $imports) {
    if ($mingwRuntime -contains $dll.ToLowerInvariant()) { $failures.Add("imports the MinGW runtime DLL $dll (link it statically)") }
    elseif ($systemDlls -notcontains $dll.ToLowerInvariant()) { $failures.Add("imports $dll, which is not a Windows system DLL") }
}

# Exports: what the header declares.
$header = Get-Content -Raw (Join-Path $repoRoot 'include/bastion_session.h')
$declared = @([regex]::Matches($header, '\b(bastion_[a-z_]+)\s*\(') | ForEach-Object { $_.Groups[1].Value } | Sort-Object -Unique)
$exportText = ($dump -join "`n")
foreach ($name in $declared) {
    if ($exportText -notmatch "\[\s*\d+\]\s+$name\b") { $failures.Add("does not export $name") }
}
Write-Host "exports: $($declared.Count) functions from include/bastion_session.h checked"

# Stripped: the COFF header says so, nm finds no symbol, and no DWARF section is left.
if (-not ($dump -match '^\s*symbols stripped\s*$')) { $failures.Add('not stripped: the COFF header lacks the symbols-stripped flag') }
$nm = & 'x86_64-w64-mingw32-nm' $Path 2>&1
if (-not ("$nm" -match 'no symbols')) { $failures.Add("not stripped: nm lists symbols ($(@($nm).Count) lines)") }
$sections = & $objdump -h $Path
if ($sections -match '\.debug_') { $failures.Add('not stripped: .debug_* sections present') }

# Version resource.
$cargo = Get-Content -Raw (Join-Path $repoRoot 'Cargo.toml')
if ($cargo -notmatch '(?ms)^\[workspace\.package\].*?^version\s*=\s*"(\d+)\.(\d+)\.(\d+)"') { throw 'no [workspace.package] version in Cargo.toml' }
$expected = '{0}.{1}.{2}.0' -f $Matches[1], $Matches[2], $Matches[3]
$bytes = [IO.File]::ReadAllBytes((Resolve-Path -LiteralPath $Path).Path)
$signature = [byte[]](0xBD, 0x04, 0xEF, 0xFE)
$at = -1
for ($i = 0; $i -le $bytes.Length - 52; $i += 4) {
    if ($bytes[$i] -eq 0xBD -and $bytes[$i + 1] -eq 0x04 -and $bytes[$i + 2] -eq 0xEF -and $bytes[$i + 3] -eq 0xFE) { $at = $i; break }
}
if ($at -lt 0) {
    $failures.Add('no VERSIONINFO resource (VS_FIXEDFILEINFO signature not found)')
} else {
    $u32 = { param($o) [BitConverter]::ToUInt32($bytes, $at + $o) }
    $fixed = { param($ms, $ls) '{0}.{1}.{2}.{3}' -f ((& $u32 $ms) -shr 16), ((& $u32 $ms) -band 0xffff), ((& $u32 $ls) -shr 16), ((& $u32 $ls) -band 0xffff) }
    $fileVersion = & $fixed 8 12
    $productVersion = & $fixed 16 20
    Write-Host "version resource: file $fileVersion, product $productVersion (crate: $expected)"
    if ($fileVersion -ne $expected) { $failures.Add("file version $fileVersion, expected $expected") }
    if ($productVersion -ne $expected) { $failures.Add("product version $productVersion, expected $expected") }
    $text = [Text.Encoding]::Unicode.GetString($bytes, $at, [Math]::Min(4096, $bytes.Length - $at))
    foreach ($key in 'FileVersion', 'ProductVersion') {
        if ($text -notmatch "$key\x00+([0-9.]+)\x00") { $failures.Add("no $key string in the version resource") }
        elseif ($Matches[1] -ne $expected) { $failures.Add("$key string is $($Matches[1]), expected $expected") }
    }
}

$size = (Get-Item -LiteralPath $Path).Length
Write-Host ("size: {0:n0} bytes ({1:n2} MiB)" -f $size, ($size / 1MB))
if ($failures.Count -gt 0) {
    foreach ($f in $failures) { Write-Host "FAIL: $f" -ForegroundColor Red }
    exit 1
}
Write-Host 'Test-WindowsDll: passed'
exit 0
