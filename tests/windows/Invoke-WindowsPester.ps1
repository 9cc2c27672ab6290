<#
.SYNOPSIS
    Entry point of the Windows lane's Pester run, inside the Windows pwsh.exe under wine.

.DESCRIPTION
    run-lane.sh starts it with the Windows test host (tests/windows/host) and these variables
    (Windows paths):
      BASTION_MODULE_PATH   the built module's manifest, in a folder with spaces and non-ASCII letters
      BASTION_EMULATOR      bastion-emulator.exe
      BASTION_PESTER_PSD1   Pester 5.7.1's manifest
      BASTION_PESTER_PATHS  comma-separated test files/folders (tests/pester and Windows.Tests.ps1)
      BASTION_WINDOWS_DLL   the DLL as built (target/...), for the version-resource check
    It refuses to run anywhere but Windows x64, prints what it runs on, then runs
    tests/pester/Invoke-PesterSuite.ps1 and exits with its code.
#>
$ErrorActionPreference = 'Stop'
# Non-ASCII paths print as themselves in the log (the console's code page is not UTF-8 under wine).
[Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false
$arch = [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture
if (-not $IsWindows -or $arch -ne 'X64') {
    Write-Host "Invoke-WindowsPester.ps1 runs the Windows lane on Windows x64 only (this is $([Environment]::OSVersion), $arch)" -ForegroundColor Red
    exit 2
}
foreach ($name in 'BASTION_MODULE_PATH', 'BASTION_EMULATOR', 'BASTION_PESTER_PSD1', 'BASTION_PESTER_PATHS') {
    if (-not [Environment]::GetEnvironmentVariable($name)) {
        Write-Host "Invoke-WindowsPester.ps1: $name is not set (run tests/windows/run-lane.sh)" -ForegroundColor Red
        exit 2
    }
}
Write-Host ("Windows lane: PowerShell {0} ({1}) on {2}, {3}, .NET {4}, PSHOME {5}" -f $PSVersionTable.PSVersion, $PSVersionTable.PSEdition,
    [System.Runtime.InteropServices.RuntimeInformation]::OSDescription, $arch, [Environment]::Version, $PSHOME)
Write-Host "module: $env:BASTION_MODULE_PATH"
& (Join-Path $PSScriptRoot '../pester/Invoke-PesterSuite.ps1') -Path ($env:BASTION_PESTER_PATHS -split ',')
exit $LASTEXITCODE
