<#
    Windows-only checks of the Windows lane (tests/windows/run-lane.sh), run in Windows
    PowerShell 7.6.9 under wine with the rest of the Pester suite: the module as installed
    in a folder whose path has spaces and non-ASCII letters, the win-x64 DLL's version
    resource read through Windows' own API, '\' and '/' in paths, CRLF files, the Windows
    environment block, and a loaded DLL being locked by Windows.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../pester/TestHelpers.psm1') -Force
    $script:Saved = Set-TestCredentialEnvironment
    $script:Manifest = Get-BuiltModulePath
    Import-Module $Manifest -Force
    $script:ModuleDir = Split-Path -Parent $Manifest
    $script:Sub = '00000000-0000-0000-0000-000000000001'
    $script:Emulator = Start-TestEmulator -ArgumentList @('--hosts', '2', '--sessions-per-host', '3')
    $script:Common = @{ AccessToken = $Emulator.Token; ArmEndpoint = $Emulator.BaseUrl }
    $script:Truth = @(Get-EmulatorSession $Emulator)
}

AfterAll {
    if ($script:Emulator) { Stop-TestEmulator $script:Emulator }
    Restore-TestEnvironment $script:Saved
}

Describe 'The Windows lane runs on Windows x64' {
    It 'is Windows x64 PowerShell 7.6.9, with the win-x64 library loaded' {
        $IsWindows | Should -BeTrue
        [System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture | Should -Be 'X64'
        $PSVersionTable.PSVersion.ToString() | Should -Be '7.6.9'
        [BastionSession.Native]::RuntimeIdentifier | Should -Be 'win-x64'
        [BastionSession.Native]::LibraryPath | Should -Be ([IO.Path]::Combine($ModuleDir, 'bin', 'win-x64', 'bastion_session_ffi.dll'))
    }
}

Describe 'Paths' {
    It 'the module is imported from a folder with spaces and non-ASCII letters' {
        $ModuleDir | Should -Match ' '
        $ModuleDir | Should -Match '[^\x00-\x7F]'
        (Get-Module BastionSession).ModuleBase | Should -Be $ModuleDir
    }

    It 'lists the sessions through that path (the DLL loaded from it talks to the emulator)' {
        $got = @(Get-BastionSession -SubscriptionId $Sub @Common)
        $got.Count | Should -Be $Truth.Count
        $got.Count | Should -BeGreaterThan 0
    }

    It 'imports by a path with \ separators and with / separators alike (fresh process each)' {
        $backslash = $Manifest.Replace('/', '\')
        $forward = $Manifest.Replace('\', '/')
        foreach ($form in $backslash, $forward) {
            $script = "`$ErrorActionPreference='Stop'; Import-Module -Name '$form'; [BastionSession.Native]::LibraryPath"
            $r = Invoke-ChildPwsh -Script $script
            $r.ExitCode | Should -Be 0 -Because $r.StdErr
            $r.StdOut.Trim() | Should -Be ([IO.Path]::Combine($ModuleDir, 'bin', 'win-x64', 'bastion_session_ffi.dll'))
        }
    }
}

Describe 'The DLL as Windows sees it' {
    It 'carries a version resource whose file version is the module (crate) version' {
        $info = [System.Diagnostics.FileVersionInfo]::GetVersionInfo([BastionSession.Native]::LibraryPath)
        $version = [string](Import-PowerShellDataFile $Manifest).ModuleVersion
        $info.FileVersion | Should -Be "$version.0"
        $info.ProductVersion | Should -Be "$version.0"
        $info.ProductName | Should -Be 'BastionSession'
        $info.OriginalFilename | Should -Be 'bastion_session_ffi.dll'
        '{0}.{1}.{2}' -f $info.FileMajorPart, $info.FileMinorPart, $info.FileBuildPart | Should -Be $version
        [BastionSession.Native]::Version | Should -Match ([regex]::Escape("bastion_session_ffi $version "))
    }

    It 'is locked while loaded: Windows refuses to delete or overwrite it' {
        $lib = [BastionSession.Native]::LibraryPath
        { [IO.File]::Delete($lib) } | Should -Throw
        { [IO.File]::OpenWrite($lib).Dispose() } | Should -Throw
        $lib | Should -Exist
    }

    It 'build-module.ps1 refuses to rebuild over a loaded module, names the file, and changes nothing' {
        # Before the fix it deleted the folder part-way (the DLL survives, the rest is gone).
        $outputRoot = Split-Path -Parent $ModuleDir
        $lib = [BastionSession.Native]::LibraryPath
        $before = @(Get-ChildItem -LiteralPath $ModuleDir -Recurse -File).Count
        $buildModule = Join-Path $PSScriptRoot '../../powershell/build-module.ps1'
        { & $buildModule -Configuration Release -OutputRoot $outputRoot -NativeLibrary @{ 'win-x64' = $lib } } |
            Should -Throw -ExpectedMessage '*is in use*loaded by a PowerShell session*Nothing was changed*'
        @(Get-ChildItem -LiteralPath $ModuleDir -Recurse -File).Count | Should -Be $before
        $Manifest | Should -Exist
    }
}

Describe 'Line endings and the environment' {
    It 'works from a copy whose every text file has CRLF endings (a git checkout with core.autocrlf=true)' {
        $copy = Join-Path $TestDrive 'crlf copy/BastionSession'
        New-Item -ItemType Directory -Force -Path (Split-Path $copy) | Out-Null
        Copy-Item -Recurse -LiteralPath $ModuleDir -Destination $copy
        $converted = @()
        foreach ($file in Get-ChildItem -LiteralPath $copy -Recurse -File -Include '*.ps1', '*.psm1', '*.psd1', '*.ps1xml', '*.txt') {
            $text = [IO.File]::ReadAllText($file.FullName)
            $crlf = ($text -replace "`r`n", "`n") -replace "`n", "`r`n"
            [IO.File]::WriteAllText($file.FullName, $crlf, (New-Object System.Text.UTF8Encoding $true))
            $converted += $file.Name
        }
        # A binary module: the manifest, the formats and the help are every text file it has.
        foreach ($name in 'BastionSession.psd1', 'BastionSession.format.ps1xml', 'about_BastionSession.help.txt') {
            $converted | Should -Contain $name
        }
        $psd1 = Join-Path $copy 'BastionSession.psd1'
        $script = "`$ErrorActionPreference='Stop'; Import-Module '$psd1'; " +
            "@(Get-BastionSession -SubscriptionId '$Sub' -AccessToken '$($Emulator.Token)' -ArmEndpoint '$($Emulator.BaseUrl)').Count; " +
            "(Get-Help Get-BastionSession).Synopsis"
        $r = Invoke-ChildPwsh -Script $script
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $lines = @($r.StdOut -split "`r?`n" | Where-Object { $_ })
        $lines[0] | Should -Be "$($Truth.Count)"
        $lines[1] | Should -Match '\w'
    }

    It 'a report written with Windows line endings reads back (the runbooks write CSV)' {
        $csv = Join-Path $TestDrive 'report.csv'
        Get-BastionSession -SubscriptionId $Sub @Common | Select-Object SessionId, UserName | Export-Csv -LiteralPath $csv -NoTypeInformation
        [IO.File]::ReadAllText($csv) | Should -Match "`r`n"
        @(Import-Csv -LiteralPath $csv).Count | Should -Be $Truth.Count
    }

    It 'sees a variable set in the session by any letter case (Windows names are case-insensitive)' {
        $saved = [Environment]::GetEnvironmentVariable('AZURE_SUBSCRIPTION_ID')
        try {
            [Environment]::SetEnvironmentVariable('azure_subscription_id', $Sub)
            $got = @(Get-BastionSession @Common)
            $got.Count | Should -Be $Truth.Count
        } finally {
            [Environment]::SetEnvironmentVariable('AZURE_SUBSCRIPTION_ID', $saved)
        }
    }
}
