<#
    The built module as a package: manifest, exports, help, format views, an assembly that
    Windows PowerShell 5.1 can load (read from its metadata), parameter validation, and what
    Import-Module and the first call do when the native library is missing or speaks another
    schema (each in a fresh pwsh, since a process loads the native library once).
#>

BeforeDiscovery {
    $script:Commands = @(@{ Command = 'Get-BastionSession' }, @{ Command = 'Disconnect-BastionSession' })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Manifest = Get-BuiltModulePath
    $script:ModuleDir = Split-Path $Manifest
    $script:SourceDir = Join-Path (Get-RepoRoot) 'powershell/BastionSession'
    $script:Saved = Set-TestCredentialEnvironment
    Import-Module $Manifest -Force
}

AfterAll {
    Restore-TestEnvironment $script:Saved
}

Describe 'Manifest' {
    It 'passes Test-ModuleManifest' {
        { Test-ModuleManifest -Path $Manifest -ErrorAction Stop } | Should -Not -Throw
    }

    It 'is Gallery-ready: version, editions, explicit exports, tags, URIs' {
        $m = Import-PowerShellDataFile $Manifest
        $m.ModuleVersion | Should -Match '^\d+\.\d+\.\d+$'
        $m.GUID | Should -Match '^[0-9a-f]{8}-'
        $m.Author | Should -Not -BeNullOrEmpty
        $m.CompanyName | Should -Not -BeNullOrEmpty
        $m.Copyright | Should -Not -BeNullOrEmpty
        $m.Description | Should -Not -BeNullOrEmpty
        $m.CompatiblePSEditions | Should -Be @('Core', 'Desktop')
        $m.PowerShellVersion | Should -Be '5.1'
        $m.RootModule | Should -Be 'BastionSession.dll'
        $m.CmdletsToExport | Should -Be @('Get-BastionSession', 'Disconnect-BastionSession')
        , $m.FunctionsToExport | Should -BeOfType [array]
        @($m.FunctionsToExport).Count | Should -Be 0
        @($m.AliasesToExport).Count | Should -Be 0
        @($m.VariablesToExport).Count | Should -Be 0
        $m.FormatsToProcess | Should -Be 'BastionSession.format.ps1xml'
        $m.PrivateData.PSData.Tags | Should -Contain 'PSEdition_Core'
        $m.PrivateData.PSData.Tags | Should -Contain 'PSEdition_Desktop'
        $m.PrivateData.PSData.Tags | Should -Contain 'Azure'
        $m.PrivateData.PSData.Tags | Should -Contain 'Bastion'
        $m.PrivateData.PSData.ProjectUri | Should -Match '^https://'
        $m.PrivateData.PSData.LicenseUri | Should -Match '^https://'
    }

    It 'exports exactly the two cmdlets, compiled' {
        @((Get-Module BastionSession).ExportedCommands.Keys | Sort-Object) | Should -Be @('Disconnect-BastionSession', 'Get-BastionSession')
        @((Get-Module BastionSession).ExportedCmdlets.Keys | Sort-Object) | Should -Be @('Disconnect-BastionSession', 'Get-BastionSession')
        (Get-Command Get-BastionSession).ImplementingType.FullName | Should -Be 'BastionSession.Cmdlets.GetBastionSessionCommand'
        (Get-Command Disconnect-BastionSession).ImplementingType.FullName | Should -Be 'BastionSession.Cmdlets.DisconnectBastionSessionCommand'
    }

    It 'ships BastionSession.dll at the module root and the native library for this platform in bin/<rid>/' {
        Join-Path $ModuleDir 'BastionSession.dll' | Should -Exist
        [BastionSession.Native].Assembly.Location | Should -Be (Join-Path $ModuleDir 'BastionSession.dll')
        $rid = [BastionSession.Native]::RuntimeIdentifier
        $lib = if ($IsWindows) { 'bastion_session_ffi.dll' } elseif ($IsMacOS) { 'libbastion_session_ffi.dylib' } else { 'libbastion_session_ffi.so' }
        Join-Path $ModuleDir "bin/$rid/$lib" | Should -Exist
        [BastionSession.Native]::LibraryPath | Should -Be (Join-Path $ModuleDir "bin/$rid/$lib")
        [BastionSession.Native]::Version | Should -Match '\(schema 1\)'
    }

    It 'carries one version: Cargo.toml''s, in the built manifest, the module''s assembly and the native library' {
        # The one source: [workspace.package] version. A disagreement anywhere fails here.
        $cargo = Get-Content -Raw (Join-Path (Get-RepoRoot) 'Cargo.toml')
        $match = [regex]::Match($cargo, '\[workspace\.package\][^\[]*?\bversion\s*=\s*"(?<v>[0-9][^"]*)"')
        $match.Success | Should -BeTrue -Because 'Cargo.toml names the workspace version'
        $version = $match.Groups['v'].Value
        (Import-PowerShellDataFile $Manifest).ModuleVersion | Should -Be $version
        (Get-Module BastionSession).Version.ToString() | Should -Be $version
        $assembly = [BastionSession.Native].Assembly
        $assemblyVersion = $assembly.GetName().Version
        ('{0}.{1}.{2}' -f $assemblyVersion.Major, $assemblyVersion.Minor, $assemblyVersion.Build) | Should -Be $version
        [BastionSession.Native]::EnsureLoaded()
        [BastionSession.Native]::Version | Should -BeLike "bastion_session_ffi $version (schema *)"
    }

    It 'does no work of its own at import: the first cmdlet call loads the native library' {
        # In a fresh process: Import-Module loads the assembly and the format file, and runs
        # nothing of the module's (no background thread, no other module's cmdlets); the first
        # call loads the library from the module's bin/<rid>/.
        $script = "`$ErrorActionPreference='Stop'; Import-Module '$Manifest'; " +
            "'UTILITY=' + [bool](Get-Module Microsoft.PowerShell.Utility); " +
            "[System.Threading.Thread]::Sleep(500); 'BEFORE-CALL=' + [BastionSession.Native]::IsLoaded; " +
            "`$null = Get-BastionSession -ResourceId '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/bastionHosts/b' -AccessToken t -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 2 -ErrorAction SilentlyContinue; " +
            "'AFTER-CALL=' + [BastionSession.Native]::IsLoaded; 'PATH=' + [BastionSession.Native]::LibraryPath"
        $r = Invoke-ChildPwsh -Script $script -Environment @{ BASTION_SESSION_NATIVE_PATH = $null }
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $r.StdOut | Should -Match 'UTILITY=False'
        $r.StdOut | Should -Match 'BEFORE-CALL=False'
        $r.StdOut | Should -Match 'AFTER-CALL=True'
        $r.StdOut | Should -Match ('PATH=' + [regex]::Escape($ModuleDir))
    }

    It 'keeps every path under 140 characters relative to the module folder (Azure Automation)' {
        Get-ChildItem -Recurse -File $ModuleDir | ForEach-Object { $_.FullName.Substring($ModuleDir.Length).Length } | Should -Not -BeGreaterThan 140
    }
}

Describe 'A binary module' {
    It 'holds no script: no .ps1 or .psm1 file in the built module or its sources' {
        @(Get-ChildItem -Recurse -File -LiteralPath $ModuleDir -Include '*.ps1', '*.psm1') | Should -BeNullOrEmpty
        @(Get-ChildItem -Recurse -File -LiteralPath $SourceDir -Include '*.ps1', '*.psm1') | Should -BeNullOrEmpty
    }

    It 'completes in a fresh session, and the cmdlets stay the only commands' {
        $script = "`$ErrorActionPreference='Stop'; Import-Module '$Manifest'; `$module = Get-Module BastionSession; " +
            "`$line = 'Get-BastionSession -Environment AzureUSG'; 'COMPLETION=' + ((TabExpansion2 -inputScript `$line -cursorColumn `$line.Length).CompletionMatches.CompletionText -join ','); " +
            "try { Get-BastionSession -ResourceId 'not-an-id' -AccessToken 't' -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 1 } catch { 'CALL_ERROR=' + `$_.FullyQualifiedErrorId }; " +
            "try { Disconnect-BastionSession -BastionResourceId 'not-an-id' -SessionId 's' -Force -AccessToken 't' -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 1 } catch { 'DISCONNECT_ERROR=' + `$_.FullyQualifiedErrorId }; " +
            "'EXPORTED=' + ((`$module.ExportedCommands.Keys | Sort-Object) -join ','); 'FUNCTIONS=' + `$module.ExportedFunctions.Count"
        $r = Invoke-ChildPwsh -Script $script
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $r.StdOut | Should -Match 'COMPLETION=AzureUSGovernment'
        $r.StdOut | Should -Match 'CALL_ERROR=ParameterArgumentValidationError,BastionSession.Cmdlets.GetBastionSessionCommand'
        $r.StdOut | Should -Match 'DISCONNECT_ERROR=ParameterArgumentValidationError,BastionSession.Cmdlets.DisconnectBastionSessionCommand'
        $r.StdOut | Should -Match 'EXPORTED=Disconnect-BastionSession,Get-BastionSession\r?\n'
        $r.StdOut | Should -Match 'FUNCTIONS=0'
    }

    It 'loads in Windows PowerShell 5.1: netstandard2.0, referencing only netstandard and System.Management.Automation 3.0 (5.1''s)' {
        # Windows PowerShell 5.1 cannot run here: read what the built assembly asks of its
        # runtime. netstandard2.0 alone is what .NET Framework 4.7.2 implements; any other
        # reference (a package, a newer framework facade) would fail to load there.
        $stream = [IO.File]::OpenRead((Join-Path $ModuleDir 'BastionSession.dll'))
        try {
            $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
            $md = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            $references = @(foreach ($handle in $md.AssemblyReferences) {
                    $reference = $md.GetAssemblyReference($handle)
                    '{0} {1}' -f $md.GetString($reference.Name), $reference.Version
                }) | Sort-Object
            $targetFramework = $null
            foreach ($handle in $md.GetAssemblyDefinition().GetCustomAttributes()) {
                $attribute = $md.GetCustomAttribute($handle)
                if ($attribute.Constructor.Kind -ne [System.Reflection.Metadata.HandleKind]::MemberReference) { continue }
                $ctor = $md.GetMemberReference([System.Reflection.Metadata.MemberReferenceHandle]$attribute.Constructor)
                $type = $md.GetTypeReference([System.Reflection.Metadata.TypeReferenceHandle]$ctor.Parent)
                if ($md.GetString($type.Name) -ne 'TargetFrameworkAttribute') { continue }
                # The blob: prolog 0x0001, then the framework name as a length-prefixed UTF-8 string.
                $blob = $md.GetBlobReader($attribute.Value)
                [void]$blob.ReadUInt16()
                $targetFramework = $blob.ReadSerializedString()
            }
            $pe.Dispose()
        } finally { $stream.Dispose() }
        $targetFramework | Should -Be '.NETStandard,Version=v2.0'
        $references | Should -Be @('netstandard 2.0.0.0', 'System.Management.Automation 3.0.0.0')
    }

    It 'build-module.ps1 without the .NET SDK stops before laying anything out and says what to install' {
        # The same PATH without any folder that holds dotnet; the native library step is given
        # a stand-in file (-NativeLibrary skips cargo), so the SDK check is what stops the build.
        $separator = [IO.Path]::PathSeparator
        $path = @($env:PATH -split [regex]::Escape($separator) | Where-Object { $_ -and -not (Test-Path -LiteralPath (Join-Path $_ 'dotnet')) -and -not (Test-Path -LiteralPath (Join-Path $_ 'dotnet.exe')) }) -join $separator
        $rid = [BastionSession.Native]::RuntimeIdentifier
        $stand = Join-Path $TestDrive 'stand-in-native-library'
        Set-Content -LiteralPath $stand -Value 'not built'
        $out = Join-Path $TestDrive 'no-sdk'
        $buildModule = Join-Path (Get-RepoRoot) 'powershell/build-module.ps1'
        $script = "try { & '$buildModule' -OutputRoot '$out' -NativeLibrary @{ '$rid' = '$stand' } 6>`$null; 'BUILT' } catch { 'MSG=' + `$_.Exception.Message; exit 3 }"
        $r = Invoke-ChildPwsh -Script $script -Environment @{ PATH = $path; DOTNET_ROOT = $null }
        $r.ExitCode | Should -Be 3 -Because $r.StdOut
        $r.StdOut | Should -Match 'MSG=The \.NET SDK \(dotnet\) is not installed: install the \.NET SDK 8 or later'
        Join-Path $out 'BastionSession' | Should -Not -Exist
    }

    It 'only the native layer (Native.cs, NativeOperation.cs) and NativeCall.cs make native calls' {
        $offenders = Get-ChildItem -Recurse -Filter '*.cs' (Join-Path (Get-RepoRoot) 'powershell/src') |
            Where-Object { $_.Name -notin 'Native.cs', 'NativeOperation.cs', 'NativeCall.cs' } |
            Select-String -Pattern 'Native\.(StartRequest|Start|Invoke|PollEvents|Cancel)\('
        @($offenders) | Should -BeNullOrEmpty
    }
}

Describe 'Help for <Command>' -ForEach $Commands {
    BeforeAll {
        $script:Help = Get-Help $Command -Full
        $script:Cmd = Get-Command $Command
    }

    It 'has a synopsis and a description' {
        $Help.Synopsis | Should -Not -BeNullOrEmpty
        $Help.Synopsis | Should -Not -Match '^\s*Get-BastionSession \[|^\s*Disconnect-BastionSession \['
        ($Help.description | Out-String) | Should -Match '\w{20,}|(\w+\s+){10,}'
    }

    It 'has at least 4 examples, one of them a runbook' {
        $examples = @((Get-Help $Command -Examples).examples.example)
        $examples.Count | Should -BeGreaterOrEqual 4
        ($examples | ForEach-Object { $_.code + ($_.remarks | Out-String) } | Out-String) | Should -Match '(?i)runbook'
    }

    It 'documents every parameter' {
        $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
        foreach ($name in $Cmd.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $p = $Help.parameters.parameter | Where-Object name -eq $name
            ($p.description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "parameter -$name needs a description"
        }
    }

    It 'names its output type and links' {
        ($Help.returnValues | Out-String) | Should -Match 'BastionSession\.(Session|DisconnectResult)'
        @($Help.relatedLinks.navigationLink).Count | Should -BeGreaterOrEqual 1
        $Cmd.OutputType.Name | Should -Match 'BastionSession\.(Session|DisconnectResult)'
    }
}

Describe 'Format views' {
    It 'has a table view for <_>' -ForEach 'BastionSession.Session', 'BastionSession.DisconnectResult' {
        $view = Get-FormatData -TypeName $_
        $view | Should -Not -BeNullOrEmpty
        $view.FormatViewDefinition[0].Control | Should -BeOfType [System.Management.Automation.TableControl]
    }

    It 'shows the columns an admin scans first for sessions' {
        $headers = (Get-FormatData -TypeName 'BastionSession.Session').FormatViewDefinition[0].Control.Headers.Label
        foreach ($h in 'UserName', 'TargetHostName', 'Protocol', 'Duration', 'BastionName') { $headers | Should -Contain $h }
        ($headers -join ' ') | Should -Match 'StartTime'
    }
}

Describe 'Parameter validation' {
    It 'rejects a malformed subscription id, naming the parameter' {
        { Get-BastionSession -SubscriptionId 'not-a-guid' -AccessToken 't' -ArmEndpoint 'http://127.0.0.1:9' } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,BastionSession.Cmdlets.GetBastionSessionCommand' -ExpectedMessage "*parameter 'SubscriptionId'*"
    }

    It 'rejects a malformed resource id, naming the parameter' {
        { Get-BastionSession -ResourceId '/subscriptions/x/resourceGroups/rg' -AccessToken 't' } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,BastionSession.Cmdlets.GetBastionSessionCommand' -ExpectedMessage "*parameter 'ResourceId'*"
        { Disconnect-BastionSession -BastionResourceId 'nope' -SessionId a -Force } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,BastionSession.Cmdlets.DisconnectBastionSessionCommand' -ExpectedMessage "*parameter 'BastionResourceId'*"
    }

    It 'rejects empty names' {
        { Get-BastionSession -ResourceGroupName '' -Name 'b' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,BastionSession.Cmdlets.GetBastionSessionCommand' -ExpectedMessage "*parameter 'ResourceGroupName'*"
        { Get-BastionSession -ResourceGroupName 'rg' -Name '' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,BastionSession.Cmdlets.GetBastionSessionCommand' -ExpectedMessage "*parameter 'Name'*"
    }

    It 'rejects -TimeoutSec outside 1..86400 and an unknown -Protocol or -Environment' {
        { Get-BastionSession -TimeoutSec 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,BastionSession.Cmdlets.GetBastionSessionCommand'
        { Get-BastionSession -TimeoutSec 86401 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,BastionSession.Cmdlets.GetBastionSessionCommand'
        { Get-BastionSession -Protocol Telnet } | Should -Throw -ErrorId 'ParameterArgumentValidationError,BastionSession.Cmdlets.GetBastionSessionCommand'
        { Get-BastionSession -Environment Mars } | Should -Throw -ErrorId 'ParameterArgumentValidationError,BastionSession.Cmdlets.GetBastionSessionCommand'
    }

    It 'accepts an empty -UserName as a value' {
        { Get-BastionSession -UserName '' -SubscriptionId 00000000-0000-0000-0000-000000000001 -AccessToken 't' -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 2 -ErrorAction SilentlyContinue } |
            Should -Not -Throw
    }

    It 'says clearly when no subscription can be found' {
        { Get-BastionSession -AccessToken 't' -ArmEndpoint 'http://127.0.0.1:9' } |
            Should -Throw -ErrorId 'BastionSubscriptionIdRequired,BastionSession.Cmdlets.GetBastionSessionCommand' -ExpectedMessage '*SubscriptionId*'
    }

    It 'refuses Disconnect-BastionSession without -SessionId unless -All' {
        { Disconnect-BastionSession -ResourceGroupName rg -Name b -SubscriptionId 00000000-0000-0000-0000-000000000001 -Force -AccessToken t } |
            Should -Throw -ErrorId 'BastionSessionIdRequired,BastionSession.Cmdlets.DisconnectBastionSessionCommand'
    }

    It 'resolves the parameter sets of Get-BastionSession' {
        $cmd = Get-Command Get-BastionSession
        $cmd.DefaultParameterSet | Should -Be 'BySubscription'
        @($cmd.ParameterSets.Name | Sort-Object) | Should -Be @('ByName', 'ByResourceGroup', 'ByResourceId', 'BySubscription')
        $cmd.Parameters['ResourceId'].Aliases | Should -Contain 'Id'
        $cmd.Parameters['ResourceId'].Aliases | Should -Contain 'BastionResourceId'
        $cmd.Parameters['Name'].Aliases | Should -Contain 'BastionName'
        $cmd.Parameters['Name'].Aliases | Should -Contain 'BastionHostName'
    }

    It 'declares ShouldProcess with ConfirmImpact High on Disconnect-BastionSession' {
        $meta = New-Object System.Management.Automation.CommandMetadata (Get-Command Disconnect-BastionSession)
        $meta.SupportsShouldProcess | Should -BeTrue
        $meta.ConfirmImpact | Should -Be 'High'
    }
}

Describe 'A missing or mismatched native library' {
    BeforeAll {
        # The library is loaded by the first cmdlet call, not at import: the import succeeds,
        # then the first call stops at once (BeginProcessing, before any request) with the error.
        $script:FirstCall = "Get-BastionSession -ResourceId '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/bastionHosts/b' -AccessToken t -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 2 -ErrorAction SilentlyContinue"
        $script:ImportScript = "`$ErrorActionPreference='Stop'; try { Import-Module '$Manifest' -ErrorAction Stop; 'IMPORTED'; $FirstCall; 'CALLED' } catch { 'FQID=' + `$_.FullyQualifiedErrorId; 'MSG=' + `$_.Exception.Message; exit 3 }"
    }

    It 'does not stop Import-Module: the first cmdlet call fails, before any request' {
        $missing = Join-Path $TestDrive 'nowhere/libbastion_session_ffi.so'
        $r = Invoke-ChildPwsh -Script $ImportScript -Environment @{ BASTION_SESSION_NATIVE_PATH = $missing }
        $r.ExitCode | Should -Be 3
        $r.StdOut | Should -Match 'IMPORTED'
        $r.StdOut | Should -Not -Match 'CALLED'
        $r.StdOut | Should -Match 'FQID=BastionNativeLibraryMissing,BastionSession.Cmdlets.GetBastionSessionCommand'
    }

    It 'fails with BastionNativeLibraryMissing and names the path when the file is absent' {
        $missing = Join-Path $TestDrive 'nowhere/libbastion_session_ffi.so'
        $r = Invoke-ChildPwsh -Script $ImportScript -Environment @{ BASTION_SESSION_NATIVE_PATH = $missing }
        $r.ExitCode | Should -Be 3
        $r.StdOut | Should -Match 'FQID=BastionNativeLibraryMissing'
        $r.StdOut | Should -Match ([regex]::Escape($missing))
    }

    It 'fails with BastionNativeLibraryMismatch for a file that is not a library' {
        $bogus = Join-Path $TestDrive $(if ($IsWindows) { 'bogus.dll' } else { 'bogus.so' })
        Set-Content -LiteralPath $bogus -Value 'not a shared object'
        $r = Invoke-ChildPwsh -Script $ImportScript -Environment @{ BASTION_SESSION_NATIVE_PATH = $bogus }
        $r.ExitCode | Should -Be 3
        $r.StdOut | Should -Match 'FQID=BastionNativeLibrary(Missing|Mismatch)'
    }

    It 'fails with BastionNativeLibraryMismatch for a library without the exports' {
        # A real library of the platform that lacks the exports (on Windows, where '/lib/...'
        # would resolve on the current drive, a system DLL).
        $candidates = if ($IsWindows) { @(Join-Path ([Environment]::SystemDirectory) 'version.dll') } else { @('/lib/x86_64-linux-gnu/libm.so.6', '/usr/lib/x86_64-linux-gnu/libm.so.6', '/lib64/libm.so.6', '/usr/lib/libSystem.B.dylib') }
        $libm = $candidates | Where-Object { Test-Path $_ } | Select-Object -First 1
        if (-not $libm) { Set-ItResult -Skipped -Because 'no libm found'; return }
        $r = Invoke-ChildPwsh -Script $ImportScript -Environment @{ BASTION_SESSION_NATIVE_PATH = $libm }
        $r.ExitCode | Should -Be 3
        $r.StdOut | Should -Match 'FQID=BastionNativeLibraryMismatch'
        $r.StdOut | Should -Match 'bastion_version'
    }

    It 'fails with BastionNativeLibraryMismatch for a library that speaks schema 2' {
        if ($env:BASTION_TEST_SCHEMA2_STUB) {
            # The Windows lane builds fixtures/stub_ffi.c with mingw-w64 (no C compiler under wine).
            $stub = $env:BASTION_TEST_SCHEMA2_STUB
        } else {
            $cc = Get-Command cc, gcc, clang -ErrorAction SilentlyContinue | Select-Object -First 1
            if (-not $cc -or $IsWindows) { Set-ItResult -Skipped -Because 'no C compiler to build the schema-2 stub'; return }
            $stub = Join-Path $TestDrive 'libstub_schema2.so'
            & $cc.Source -shared -fPIC -DSCHEMA=2 -o $stub (Join-Path $PSScriptRoot 'fixtures/stub_ffi.c')
            $LASTEXITCODE | Should -Be 0
        }
        $r = Invoke-ChildPwsh -Script $ImportScript -Environment @{ BASTION_SESSION_NATIVE_PATH = $stub }
        $r.ExitCode | Should -Be 3
        $r.StdOut | Should -Match 'FQID=BastionNativeLibraryMismatch'
        $r.StdOut | Should -Match 'schema 2'
    }

    It 'fails with BastionPlatformNotSupported naming this platform and the ones shipped when the package lacks this rid' {
        # A package built for other platforms only (as win-arm64 or osx-* see the usual
        # linux-x64 + win-x64 package): this platform's bin/<rid>/ renamed to another rid.
        $rid = [BastionSession.Native]::RuntimeIdentifier
        $other = if ($rid -eq 'osx-arm64') { 'win-arm64' } else { 'osx-arm64' }
        $copy = Join-Path $TestDrive 'other-platform/BastionSession'
        New-Item -ItemType Directory -Force -Path (Split-Path $copy) | Out-Null
        Copy-Item -Recurse -LiteralPath $ModuleDir -Destination $copy
        $libName = if ($other -like 'osx-*') { 'libbastion_session_ffi.dylib' } else { 'bastion_session_ffi.dll' }
        $ridDir = Join-Path $copy "bin/$rid"
        $ownLib = Get-ChildItem -LiteralPath $ridDir -File | Select-Object -First 1
        New-Item -ItemType Directory -Force -Path (Join-Path $copy "bin/$other") | Out-Null
        Move-Item -LiteralPath $ownLib.FullName -Destination (Join-Path $copy "bin/$other/$libName")
        Remove-Item -LiteralPath $ridDir -Recurse -Force
        $script = "`$ErrorActionPreference='Stop'; try { Import-Module '$(Join-Path $copy 'BastionSession.psd1')' -ErrorAction Stop; 'IMPORTED'; $FirstCall; 'CALLED' } catch { 'FQID=' + `$_.FullyQualifiedErrorId; 'MSG=' + `$_.Exception.Message; exit 3 }"
        $r = Invoke-ChildPwsh -Script $script -Environment @{ BASTION_SESSION_NATIVE_PATH = $null }
        $r.ExitCode | Should -Be 3
        $r.StdOut | Should -Match 'FQID=BastionPlatformNotSupported'
        $r.StdOut | Should -Match "does not support this platform, $([regex]::Escape($rid))"
        $r.StdOut | Should -Match "carries the native library for $([regex]::Escape($other)) only"
    }

    It 'stops Import-Module, naming the assembly, when BastionSession.dll is missing' {
        # The manifest's RootModule is the assembly: without it nothing of the module runs.
        $copy = Join-Path $TestDrive 'no-assembly/BastionSession'
        New-Item -ItemType Directory -Force -Path (Split-Path $copy) | Out-Null
        Copy-Item -Recurse -LiteralPath $ModuleDir -Destination $copy
        Remove-Item -LiteralPath (Join-Path $copy 'BastionSession.dll')
        $script = "`$ErrorActionPreference='Stop'; try { Import-Module '$(Join-Path $copy 'BastionSession.psd1')' -ErrorAction Stop; 'IMPORTED' } catch { 'MSG=' + `$_.Exception.Message; 'COMMAND=' + [bool](Get-Command Get-BastionSession -ErrorAction SilentlyContinue); exit 3 }"
        $r = Invoke-ChildPwsh -Script $script -Environment @{ BASTION_SESSION_NATIVE_PATH = $null }
        $r.ExitCode | Should -Be 3
        $r.StdOut | Should -Not -Match 'IMPORTED'
        $r.StdOut | Should -Match "MSG=.*'BastionSession\.dll'"
        $r.StdOut | Should -Match 'COMMAND=False'
    }

    It 'names the problem when bin/win-x64/ holds a library for another OS or architecture' -Skip:(-not $IsWindows) {
        # On Windows, LoadLibrary says only "Bad format (0x8007000B)" for these.
        $elf = Join-Path $TestDrive 'elf.dll'
        [IO.File]::WriteAllBytes($elf, [byte[]](0x7F, 0x45, 0x4C, 0x46) + (New-Object byte[] 60))
        $r = Invoke-ChildPwsh -Script $ImportScript -Environment @{ BASTION_SESSION_NATIVE_PATH = $elf }
        $r.ExitCode | Should -Be 3
        $r.StdOut | Should -Match 'FQID=BastionNativeLibraryMissing'
        $r.StdOut | Should -Match 'Linux \(ELF\) library, not a Windows DLL'
        # An Arm64 DLL: the system DLL's PE header with the machine field set to 0xAA64.
        $arm = Join-Path $TestDrive 'arm64.dll'
        $bytes = [IO.File]::ReadAllBytes((Join-Path ([Environment]::SystemDirectory) 'version.dll'))
        $pe = [BitConverter]::ToInt32($bytes, 0x3C)
        $bytes[$pe + 4] = 0x64; $bytes[$pe + 5] = 0xAA
        [IO.File]::WriteAllBytes($arm, $bytes)
        $r = Invoke-ChildPwsh -Script $ImportScript -Environment @{ BASTION_SESSION_NATIVE_PATH = $arm }
        $r.ExitCode | Should -Be 3
        $r.StdOut | Should -Match 'machine type 0xAA64 \(Arm64\), and this X64 process needs 0x8664 \(x64\)'
    }

    It 'imports with the real library (control)' {
        $r = Invoke-ChildPwsh -Script $ImportScript -Environment @{ BASTION_SESSION_NATIVE_PATH = $null }
        $r.StdOut | Should -Match 'IMPORTED'
        $r.StdOut | Should -Match 'CALLED'
        $r.ExitCode | Should -Be 0
    }
}
