<#
    BastionSession root module.

    Dot-sources Private/ then Public/ (the built module holds them inline) and registers the
    argument completers. The interop shim (bin/BastionSession.Native.dll) is loaded by the
    manifest (RequiredAssemblies) and finds the module from its own location.
    The native library for this OS and architecture (bin/<rid>/) is loaded in the background
    after import, or by the first cmdlet call (Initialize-BastionNative in
    Private/NativeLibrary.ps1): a missing or mismatched library fails that call with ErrorId
    BastionNativeLibraryMissing, BastionNativeLibraryMismatch or BastionPlatformNotSupported.
    Import-Module itself calls no cmdlet of another module (the first one in a fresh session
    loads that module) and no function of this one (the first function call costs ~15 ms).

    Written for Windows PowerShell 5.1 and PowerShell 7: no PowerShell-7-only syntax.
#>
Set-StrictMode -Version 3.0

#region Private/ and Public/
# powershell/build-module.ps1 replaces this region, in the built module, with the files
# themselves (one file to parse and run: ~50 ms less at import than ten dot-sourced ones).
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
#endregion

# Tab completion (the completers are in Private/ArgumentCompleters.ps1). Registered here as
# statements rather than through a function: the first function call of a fresh session
# costs ~15 ms of Import-Module. The script blocks are created in the module's scope, so
# they reach its private functions.
Register-ArgumentCompleter -CommandName 'Get-BastionSession', 'Disconnect-BastionSession' -ParameterName 'ResourceGroupName' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-BastionCompletion -ParameterName $parameterName -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters
}
Register-ArgumentCompleter -CommandName 'Get-BastionSession', 'Disconnect-BastionSession' -ParameterName 'Name' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-BastionCompletion -ParameterName $parameterName -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters
}
# -Environment: the built-in names and, with Az.Accounts loaded, Get-AzEnvironment's (no ARM call).
Register-ArgumentCompleter -CommandName 'Get-BastionSession', 'Disconnect-BastionSession' -ParameterName 'Environment' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Get-BastionEnvironmentCompletion -WordToComplete $wordToComplete
}

Export-ModuleMember -Function 'Get-BastionSession', 'Disconnect-BastionSession'
