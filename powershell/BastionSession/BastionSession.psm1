<#
    BastionSession root module.

    Dot-sources Private/ then Public/ and registers the argument completers. The built module
    (powershell/build-module.ps1) holds Public/ inline and Private/ in a file of its own,
    BastionSession.Private.ps1, that Import-BastionPrivate dot-sources on first need (a
    cmdlet's begin block, a completer, the -Environment check): import parses only what
    Get-Command and Get-Help need, the two cmdlets.
    The interop shim (bin/BastionSession.Native.dll) is loaded by the manifest
    (RequiredAssemblies) and finds the module from its own location.
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
# powershell/build-module.ps1 replaces this region, in the built module, with Public/'s files
# themselves and writes Private/'s into BastionSession.Private.ps1 (one file to parse is ~50
# ms faster than ten dot-sourced ones, and Private/ is parsed on first need, not at import).
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

function Import-BastionPrivate {
    <#
    .SYNOPSIS
        Makes the private functions available: in the built module, dot-sources
        BastionSession.Private.ps1 the first time it is called in this session (it defines
        them in the module's script scope); in the source layout, Private/ was dot-sourced at
        import and this does nothing. Called where module code first needs them: each
        cmdlet's begin block, the completers and the -Environment check.
    #>
    if ($script:BastionPrivateLoaded) { return }
    $privateScript = [System.IO.Path]::Combine($PSScriptRoot, 'BastionSession.Private.ps1')
    if ([System.IO.File]::Exists($privateScript)) { . $privateScript }
    $script:BastionPrivateLoaded = $true
}
$script:BastionPrivateLoaded = $false

# At import, as a statement rather than a function call (a fresh session's first function
# call costs ~15 ms of Import-Module): the shim loads the library and compiles its envelope
# reader on a background thread ([BastionSession.Prefetch]), which import does not wait for.
# The first cmdlet call finds them ready (about 100-200 ms sooner) or does the work itself,
# and reports a missing or mismatched library either way.
[BastionSession.Prefetch]::Start()

# Tab completion (the completers are in Private/ArgumentCompleters.ps1). Registered here as
# statements rather than through a function: the first function call of a fresh session
# costs ~15 ms of Import-Module. The script blocks are created in the module's scope, so
# they reach its private functions.
Register-ArgumentCompleter -CommandName 'Get-BastionSession', 'Disconnect-BastionSession' -ParameterName 'ResourceGroupName' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Import-BastionPrivate
    Get-BastionCompletion -ParameterName $parameterName -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters
}
Register-ArgumentCompleter -CommandName 'Get-BastionSession', 'Disconnect-BastionSession' -ParameterName 'Name' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Import-BastionPrivate
    Get-BastionCompletion -ParameterName $parameterName -WordToComplete $wordToComplete -FakeBoundParameters $fakeBoundParameters
}
# -Environment: the built-in names and, with Az.Accounts loaded, Get-AzEnvironment's (no ARM call).
Register-ArgumentCompleter -CommandName 'Get-BastionSession', 'Disconnect-BastionSession' -ParameterName 'Environment' -ScriptBlock {
    param($commandName, $parameterName, $wordToComplete, $commandAst, $fakeBoundParameters)
    Import-BastionPrivate
    Get-BastionEnvironmentCompletion -WordToComplete $wordToComplete
}

Export-ModuleMember -Function 'Get-BastionSession', 'Disconnect-BastionSession'
