<#
.SYNOPSIS
    Import-Module time measured the strict way of issue 13: the first statement of a fresh
    `pwsh -NoProfile -Command`, timed inside that process around the call.

.DESCRIPTION
    Each run starts a new pwsh whose whole command is

        $sw = [Diagnostics.Stopwatch]::StartNew(); Import-Module <manifest>; $sw.Elapsed.TotalMilliseconds

    so nothing ran in the session before the import (no warm engine, no module already loaded):
    what a user pays when a script's first line imports the module. The pwsh start-up itself
    is not counted.

    Every run also imports a reference module made on the fly (a manifest and a .psm1 holding
    one function), interleaved with the module's runs so both see the same machine load: the
    difference is BastionSession's own cost. Prints a Markdown table (median and range) and
    returns its rows; asserts nothing. On a shared machine, use more runs.

.PARAMETER ModuleManifest
    The built module's manifest (default out/BastionSession/BastionSession.psd1).

.PARAMETER Runs
    Fresh processes per module (default 9).

.PARAMETER Pwsh
    The pwsh to start (default: the one in $PSHOME, the running PowerShell's).

.EXAMPLE
    pwsh -NoProfile -File benches/import-time.ps1 -Runs 11
#>
[CmdletBinding()]
param(
    [string] $ModuleManifest,
    [ValidateRange(1, 1000)] [int] $Runs = 9,
    [string] $Pwsh
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$repoRoot = Split-Path -Parent $PSScriptRoot
if (-not $ModuleManifest) { $ModuleManifest = Join-Path $repoRoot 'out/BastionSession/BastionSession.psd1' }
if (-not (Test-Path -LiteralPath $ModuleManifest)) { throw "No built module at $ModuleManifest (run powershell/build-module.ps1)." }
$ModuleManifest = (Resolve-Path -LiteralPath $ModuleManifest).Path
if (-not $Pwsh) {
    $Pwsh = Join-Path $PSHOME $(if ($env:OS -eq 'Windows_NT') { 'pwsh.exe' } else { 'pwsh' })
    if (-not (Test-Path -LiteralPath $Pwsh)) { $Pwsh = 'pwsh' }
}

$referenceDir = Join-Path ([IO.Path]::GetTempPath()) "bastion-import-reference-$PID"
New-Item -ItemType Directory -Force -Path $referenceDir | Out-Null
Set-Content -LiteralPath (Join-Path $referenceDir 'ImportReference.psm1') -Value 'function Get-ImportReference { param([string] $Name) $Name }'
Set-Content -LiteralPath (Join-Path $referenceDir 'ImportReference.psd1') -Value @"
@{
    RootModule        = 'ImportReference.psm1'
    ModuleVersion     = '1.0.0'
    GUID              = '4b0c7a52-1f1e-4d55-9d4c-0c1e7a2f3b61'
    FunctionsToExport = @('Get-ImportReference')
    CmdletsToExport   = @()
    AliasesToExport   = @()
    VariablesToExport = @()
}
"@

function Measure-StrictImport {
    <# One fresh pwsh: Import-Module as its first statement; returns the milliseconds it printed. #>
    param([string] $Manifest)
    $command = "`$sw = [Diagnostics.Stopwatch]::StartNew(); Import-Module '$($Manifest -replace "'", "''")'; `$sw.Elapsed.TotalMilliseconds.ToString([Globalization.CultureInfo]::InvariantCulture)"
    $output = & $Pwsh -NoProfile -NonInteractive -Command $command
    if ($LASTEXITCODE -ne 0) { throw "pwsh exited with $LASTEXITCODE importing $Manifest`: $output" }
    [double]::Parse((@($output)[-1]).Trim(), [Globalization.CultureInfo]::InvariantCulture)
}

try {
    $times = @{ module = New-Object System.Collections.Generic.List[double]; reference = New-Object System.Collections.Generic.List[double] }
    foreach ($run in 1..$Runs) {
        $times.module.Add((Measure-StrictImport $ModuleManifest))
        $times.reference.Add((Measure-StrictImport (Join-Path $referenceDir 'ImportReference.psd1')))
    }
} finally {
    Remove-Item -LiteralPath $referenceDir -Recurse -Force
}

function Get-Median {
    param([double[]] $Values)
    $sorted = @($Values | Sort-Object)
    if ($sorted.Count % 2) { $sorted[($sorted.Count - 1) / 2] } else { ($sorted[$sorted.Count / 2 - 1] + $sorted[$sorted.Count / 2]) / 2 }
}

$rows = foreach ($name in 'module', 'reference') {
    $values = $times[$name].ToArray()
    [pscustomobject]@{
        Module   = if ($name -eq 'module') { $ModuleManifest } else { 'one-function reference module' }
        Runs     = $values.Count
        MedianMs = [math]::Round((Get-Median $values), 0)
        MinMs    = [math]::Round(($values | Measure-Object -Minimum).Minimum, 0)
        MaxMs    = [math]::Round(($values | Measure-Object -Maximum).Maximum, 0)
    }
}
$ownCost = $rows[0].MedianMs - $rows[1].MedianMs
Write-Host ''
Write-Host 'Import-Module as the first statement of a fresh pwsh -NoProfile -Command (ms)'
Write-Host ''
Write-Host '| module | runs | median | range |'
Write-Host '|---|---:|---:|---|'
foreach ($row in $rows) { Write-Host ('| {0} | {1} | {2:n0} | {3:n0}–{4:n0} |' -f $row.Module, $row.Runs, $row.MedianMs, $row.MinMs, $row.MaxMs) }
Write-Host ''
Write-Host ('Own cost (median difference): {0:n0} ms' -f $ownCost)
$rows
