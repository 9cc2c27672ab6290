<#
    BastionSession root module.

    Dot-sources Private/ then Public/, loads the interop shim (bin/BastionSession.Native.dll)
    and, through Private/Invoke-BastionNative.ps1, the native library for this OS and
    architecture (bin/<rid>/). A missing or mismatched native library fails the import with
    ErrorId BastionNativeLibraryMissing or BastionNativeLibraryMismatch.

    Written for Windows PowerShell 5.1 and PowerShell 7: no PowerShell-7-only syntax.
#>
Set-StrictMode -Version 3.0

foreach ($folder in 'Private', 'Public') {
    $path = Join-Path $PSScriptRoot $folder
    if (Test-Path -LiteralPath $path) {
        foreach ($file in Get-ChildItem -LiteralPath $path -Filter '*.ps1' | Sort-Object Name) {
            . $file.FullName
        }
    }
}

Initialize-BastionNative -ModuleBase $PSScriptRoot
Register-BastionArgumentCompleter

Export-ModuleMember -Function 'Get-BastionSession', 'Disconnect-BastionSession'
