<#
    BastionSession root module.

    Dot-sources Private/ then Public/, loads the interop shim (bin/BastionSession.Native.dll)
    and, through Private/NativeLibrary.ps1, the native library for this OS and
    architecture (bin/<rid>/). A missing or mismatched native library fails the import with
    ErrorId BastionNativeLibraryMissing or BastionNativeLibraryMismatch.

    Written for Windows PowerShell 5.1 and PowerShell 7: no PowerShell-7-only syntax.
#>
Set-StrictMode -Version 3.0

# [IO.Directory] rather than Get-ChildItem/Test-Path: the first provider call in a fresh
# session costs a few hundred milliseconds of Import-Module time.
foreach ($folder in 'Private', 'Public') {
    $path = [System.IO.Path]::Combine($PSScriptRoot, $folder)
    if ([System.IO.Directory]::Exists($path)) {
        $files = [System.IO.Directory]::GetFiles($path, '*.ps1')
        [System.Array]::Sort($files, [System.StringComparer]::Ordinal)
        foreach ($file in $files) {
            . $file
        }
    }
}

Initialize-BastionNative -ModuleBase $PSScriptRoot
Register-BastionArgumentCompleter

Export-ModuleMember -Function 'Get-BastionSession', 'Disconnect-BastionSession'
