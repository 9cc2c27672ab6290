@{
    RootModule           = 'BastionSession.dll'
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
    FunctionsToExport    = @()
    CmdletsToExport      = @('Get-BastionSession', 'Disconnect-BastionSession')
    AliasesToExport      = @()
    VariablesToExport    = @()
    FormatsToProcess     = @('BastionSession.format.ps1xml')
    # The native library for each platform is in bin/<rid>/ (loaded by the first cmdlet call, not at import).
    FileList             = @(
        'BastionSession.psd1', 'BastionSession.dll', 'BastionSession.format.ps1xml', 'en-US/about_BastionSession.help.txt'
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
