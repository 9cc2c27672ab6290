@{
    RootModule           = 'BastionSession.psm1'
    # Placeholder: powershell/build-module.ps1 stamps [workspace.package] version of Cargo.toml here.
    ModuleVersion        = '0.0.0'
    GUID                 = 'cc952e00-2086-4c63-bb8e-327dd98e5bfa'
    Author               = 'BastionSession contributors'
    CompanyName          = 'BastionSession contributors'
    Copyright            = '(c) 2026 BastionSession contributors. MIT License.'
    Description          = 'Lists and disconnects Azure Bastion active sessions across hosts, resource groups and subscriptions. Backed by a native library (bundled for each platform in bin/<rid>/); works in Windows PowerShell 5.1 and PowerShell 7, including Azure Automation runbooks with a managed identity.'
    CompatiblePSEditions = @('Core', 'Desktop')
    PowerShellVersion    = '5.1'
    DotNetFrameworkVersion = '4.7.2'
    FunctionsToExport    = @('Get-BastionSession', 'Disconnect-BastionSession')
    CmdletsToExport      = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    # The interop shim is loaded by Import-Module itself, before the .psm1 is read: compiling
    # the module's scripts while their [BastionSession.*] types do not resolve yet cost ~55 ms
    # more. The shim finds the module from its own location (<module>/bin/). A missing shim
    # fails the import here.
    RequiredAssemblies   = @('bin/BastionSession.Native.dll')
    FormatsToProcess     = @('BastionSession.format.ps1xml')
    FileList             = @(
        'BastionSession.psd1', 'BastionSession.psm1', 'BastionSession.Private.ps1', 'BastionSession.format.ps1xml',
        'bin/BastionSession.Native.dll'
    )
    PrivateData          = @{
        PSData = @{
            Tags         = @('Azure', 'Bastion', 'AzureBastion', 'Sessions', 'Automation', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/bastionsession/bastionsession'
            LicenseUri   = 'https://github.com/bastionsession/bastionsession/blob/main/LICENSE'
            ReleaseNotes = 'Get-BastionSession and Disconnect-BastionSession.'
        }
    }
}
