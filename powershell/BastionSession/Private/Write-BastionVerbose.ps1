function Write-BastionVerbose {
    <#
    .SYNOPSIS
        Write-Verbose, called only when the verbose stream is shown.
    .DESCRIPTION
        A fresh session loads Microsoft.PowerShell.Utility, where Write-Verbose lives, on its
        first call (about 35 ms here), even a call that writes nothing: the cmdlets' code
        calls this instead. The caller's $VerbosePreference (set by its -Verbose) reaches
        here by scope. Not the cmdlet's own WriteVerbose: under -Debug that prompts, since
        -Debug sets the cmdlet's preferences to Inquire.
    #>
    param([string] $Message)
    if ($VerbosePreference -ne 'SilentlyContinue') { Write-Verbose $Message }
}
