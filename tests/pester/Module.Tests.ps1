<#
    The built module as a package: manifest, exports, help, format views, Windows PowerShell
    5.1-compatible syntax, parameter validation, and what Import-Module does when the native
    library is missing or speaks another schema (each in a fresh pwsh, since a process loads
    the native library once).
#>

BeforeDiscovery {
    $script:Commands = @(@{ Command = 'Get-BastionSession' }, @{ Command = 'Disconnect-BastionSession' })
    $moduleDir = if ($env:BASTION_MODULE_PATH) { Split-Path -Parent $env:BASTION_MODULE_PATH } else { Join-Path $PSScriptRoot '../../out/BastionSession' }
    # The built module holds Public/ in its .psm1 and Private/ in BastionSession.Private.ps1;
    # the sources are checked as well.
    $sourceDir = Join-Path $PSScriptRoot '../../powershell/BastionSession'
    $script:ScriptFiles = @(
        Get-ChildItem -Path $moduleDir -Recurse -Include '*.ps1', '*.psm1' -ErrorAction SilentlyContinue | ForEach-Object { @{ File = $_.FullName; Name = "built $($_.Name)" } }
        Get-ChildItem -Path $sourceDir -Recurse -Include '*.ps1', '*.psm1' -ErrorAction SilentlyContinue | ForEach-Object { @{ File = $_.FullName; Name = "source $($_.Directory.Name)/$($_.Name)" } }
    )
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
        $m.FunctionsToExport | Should -Be @('Get-BastionSession', 'Disconnect-BastionSession')
        , $m.CmdletsToExport | Should -BeOfType [array]
        @($m.CmdletsToExport).Count | Should -Be 0
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

    It 'exports exactly the two functions' {
        @((Get-Module BastionSession).ExportedCommands.Keys | Sort-Object) | Should -Be @('Disconnect-BastionSession', 'Get-BastionSession')
    }

    It 'ships the shim and the native library for this platform in bin/' {
        Join-Path $ModuleDir 'bin/BastionSession.Native.dll' | Should -Exist
        $rid = [BastionSession.Native]::RuntimeIdentifier
        $lib = if ($IsWindows) { 'bastion_session_ffi.dll' } elseif ($IsMacOS) { 'libbastion_session_ffi.dylib' } else { 'libbastion_session_ffi.so' }
        Join-Path $ModuleDir "bin/$rid/$lib" | Should -Exist
        [BastionSession.Native]::LibraryPath | Should -Be (Join-Path $ModuleDir "bin/$rid/$lib")
        [BastionSession.Native]::Version | Should -Match '\(schema 1\)'
    }

    It 'carries one version: Cargo.toml''s, in the built manifest, the shim assembly and the native library' {
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
        & (Get-Module BastionSession) { Import-BastionPrivate; Initialize-BastionNative }
        [BastionSession.Native]::Version | Should -BeLike "bastion_session_ffi $version (schema *)"
    }

    It 'loads the native library and parses the private script in the background after import, without a cmdlet call' {
        # In a fresh process: Import-Module starts the warm-up and returns (loading no other
        # module's cmdlets); the library is then loaded from the module's bin/<rid>/ and
        # BastionSession.Private.ps1 parsed (through PowerShell's parser, found by
        # reflection) with no cmdlet called, and the first call finds the library loaded.
        $script = "`$ErrorActionPreference='Stop'; Import-Module '$Manifest'; 'PREFETCH=' + [BastionSession.Prefetch]::Started; " +
            "'UTILITY=' + [bool](Get-Module Microsoft.PowerShell.Utility); " +
            "`$deadline = [DateTime]::UtcNow.AddSeconds(30); while (-not [BastionSession.Native]::IsLoaded -and [DateTime]::UtcNow -lt `$deadline) { [System.Threading.Thread]::Sleep(20) }; " +
            "'BEFORE-CALL=' + [BastionSession.Native]::IsLoaded; 'PARSED=' + [BastionSession.Prefetch]::ParsedPrivateScript; " +
            "`$null = Get-BastionSession -ResourceId '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/bastionHosts/b' -AccessToken t -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 2 -ErrorAction SilentlyContinue; " +
            "'AFTER-CALL=' + [BastionSession.Native]::IsLoaded; 'PATH=' + [BastionSession.Native]::LibraryPath"
        $r = Invoke-ChildPwsh -Script $script -Environment @{ BASTION_SESSION_NATIVE_PATH = $null }
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $r.StdOut | Should -Match 'PREFETCH=True'
        $r.StdOut | Should -Match 'UTILITY=False'
        $r.StdOut | Should -Match 'BEFORE-CALL=True'
        $r.StdOut | Should -Match 'PARSED=True'
        $r.StdOut | Should -Match 'AFTER-CALL=True'
        $r.StdOut | Should -Match ('PATH=' + [regex]::Escape($ModuleDir))
    }

    It 'keeps every path under 140 characters relative to the module folder (Azure Automation)' {
        Get-ChildItem -Recurse -File $ModuleDir | ForEach-Object { $_.FullName.Substring($ModuleDir.Length).Length } | Should -Not -BeGreaterThan 140
    }
}

Describe 'Windows PowerShell 5.1 syntax: <Name>' -ForEach $ScriptFiles {
    It 'parses and uses no PowerShell 7-only syntax' {
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($File, [ref] $tokens, [ref] $errors)
        $errors | Should -BeNullOrEmpty
        $ps7Only = $ast.FindAll({
                param($node)
                $node.GetType().Name -in 'TernaryExpressionAst', 'PipelineChainAst' -or
                ($node -is [System.Management.Automation.Language.BinaryExpressionAst] -and $node.Operator -eq 'QuestionQuestion') -or
                ($node -is [System.Management.Automation.Language.AssignmentStatementAst] -and $node.Operator -eq 'QuestionQuestionEquals') -or
                ($node -is [System.Management.Automation.Language.MemberExpressionAst] -and $node.NullConditional) -or
                ($node -is [System.Management.Automation.Language.CommandParameterAst] -and $node.ParameterName -eq 'Parallel')
                # [type]::new(...) is allowed: PowerShell 5.0 introduced it.
            }, $true)
        @($ps7Only | ForEach-Object { "$($_.Extent.StartLineNumber): $($_.Extent.Text)" }) | Should -BeNullOrEmpty
    }
}

Describe 'The built module: Public/ in the .psm1, Private/ read on first need' {
    BeforeAll {
        function Get-TopLevelFunctionName {
            param([string] $Path)
            $fileAst = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$null)
            $fileAst.FindAll({ param($node) $node -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $false) | ForEach-Object { $_.Name }
        }
        function Get-DotSource {
            param([string] $Path)
            $fileAst = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$null, [ref]$null)
            $fileAst.FindAll({ param($node) $node -is [System.Management.Automation.Language.CommandAst] -and $node.InvocationOperator -eq 'Dot' }, $true)
        }
    }

    It 'the .psm1 defines the source .psm1''s and Public/''s functions; BastionSession.Private.ps1 every function of Private/, in script scope' {
        $builtPublic = @(Get-TopLevelFunctionName (Join-Path $ModuleDir 'BastionSession.psm1') | Sort-Object)
        $sourcePublic = @(@(Get-TopLevelFunctionName (Join-Path $SourceDir 'BastionSession.psm1')) + @(foreach ($file in Get-ChildItem -Path (Join-Path $SourceDir 'Public') -Filter '*.ps1') { Get-TopLevelFunctionName $file.FullName }) | Sort-Object)
        $sourcePublic | Should -Contain 'Get-BastionSession'
        $sourcePublic | Should -Contain 'Import-BastionPrivate'
        $builtPublic | Should -Be $sourcePublic
        $builtPrivate = @(Get-TopLevelFunctionName (Join-Path $ModuleDir 'BastionSession.Private.ps1') | Sort-Object)
        $sourcePrivate = @(foreach ($file in Get-ChildItem -Path (Join-Path $SourceDir 'Private') -Filter '*.ps1') { Get-TopLevelFunctionName $file.FullName | ForEach-Object { "script:$_" } }) | Sort-Object
        $sourcePrivate.Count | Should -BeGreaterThan 10
        $builtPrivate | Should -Be $sourcePrivate
        Join-Path $ModuleDir 'Private' | Should -Not -Exist
        Join-Path $ModuleDir 'Public' | Should -Not -Exist
        # The one dot-source: Import-BastionPrivate's, of BastionSession.Private.ps1.
        @(Get-DotSource (Join-Path $ModuleDir 'BastionSession.psm1')).Count | Should -Be 1
        @(Get-DotSource (Join-Path $ModuleDir 'BastionSession.Private.ps1')) | Should -BeNullOrEmpty
    }

    It 'Import-Module defines no private function; tab completion and the first call read them, and they stay private' {
        # In a fresh process: this one's module may have read them already.
        $script = "`$ErrorActionPreference='Stop'; Import-Module '$Manifest'; `$module = Get-Module BastionSession; " +
            "'AFTER_IMPORT=' + [bool](& `$module { Get-Command Initialize-BastionNative -ErrorAction Ignore }); " +
            "`$line = 'Get-BastionSession -Environment AzureUSG'; 'COMPLETION=' + ((TabExpansion2 -inputScript `$line -cursorColumn `$line.Length).CompletionMatches.CompletionText -join ','); " +
            "'AFTER_COMPLETION=' + [bool](& `$module { Get-Command Initialize-BastionNative -ErrorAction Ignore }); " +
            "try { Get-BastionSession -ResourceId 'not-an-id' -AccessToken 't' -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 1 } catch { 'CALL_ERROR=' + `$_.FullyQualifiedErrorId }; " +
            "'AFTER_CALL=' + [bool](& `$module { Get-Command Initialize-BastionNative -ErrorAction Ignore }); " +
            "'EXPORTED=' + ((`$module.ExportedFunctions.Keys | Sort-Object) -join ','); " +
            "'GLOBAL=' + [bool](Get-Command Initialize-BastionNative -ErrorAction Ignore)"
        $r = Invoke-ChildPwsh -Script $script
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $r.StdOut | Should -Match 'AFTER_IMPORT=False'
        $r.StdOut | Should -Match 'COMPLETION=AzureUSGovernment'
        $r.StdOut | Should -Match 'AFTER_COMPLETION=True'
        $r.StdOut | Should -Match 'CALL_ERROR=ParameterArgumentValidationError,Get-BastionSession'
        $r.StdOut | Should -Match 'EXPORTED=Disconnect-BastionSession,Get-BastionSession\r?\n'
        $r.StdOut | Should -Match 'GLOBAL=False'
    }

    It 'the first call reads them when nothing else has' {
        $script = "`$ErrorActionPreference='Stop'; Import-Module '$Manifest'; `$module = Get-Module BastionSession; " +
            "try { Disconnect-BastionSession -BastionResourceId 'not-an-id' -SessionId 's' -Force -AccessToken 't' -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 1 } catch { 'CALL_ERROR=' + `$_.FullyQualifiedErrorId }; " +
            "'AFTER_CALL=' + [bool](& `$module { Get-Command Invoke-BastionSessionDisconnect -ErrorAction Ignore })"
        $r = Invoke-ChildPwsh -Script $script
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $r.StdOut | Should -Match 'CALL_ERROR=ParameterArgumentValidationError,Disconnect-BastionSession'
        $r.StdOut | Should -Match 'AFTER_CALL=True'
    }
}

Describe 'Private/ files are named after what they hold' {
    It 'a file named like a function (Verb-Noun.ps1) holds that function alone' {
        $mismatches = foreach ($file in Get-ChildItem -Path (Join-Path $SourceDir 'Private') -Filter '*-*.ps1') {
            $ast = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$null, [ref]$null)
            $functions = @($ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $false) | ForEach-Object { $_.Name })
            if ($functions.Count -ne 1 -or $functions[0] -ne $file.BaseName) { '{0}: {1}' -f $file.Name, ($functions -join ', ') }
        }
        @($mismatches) | Should -BeNullOrEmpty
        @(Get-ChildItem -Path (Join-Path $SourceDir 'Private') -Filter '*-*.ps1').Count | Should -BeGreaterThan 0
    }
}

Describe 'Only Private/NativeLibrary.ps1 touches the native shim' {
    It 'no other script calls [BastionSession.Native]' {
        $offenders = Get-ChildItem -Recurse -Include '*.ps1', '*.psm1' $SourceDir |
            Where-Object { $_.Name -ne 'NativeLibrary.ps1' } |
            Select-String -Pattern '\[BastionSession\.Native\]' -SimpleMatch:$false
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
            Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-BastionSession' -ExpectedMessage "*parameter 'SubscriptionId'*"
    }

    It 'rejects a malformed resource id, naming the parameter' {
        { Get-BastionSession -ResourceId '/subscriptions/x/resourceGroups/rg' -AccessToken 't' } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-BastionSession' -ExpectedMessage "*parameter 'ResourceId'*"
        { Disconnect-BastionSession -BastionResourceId 'nope' -SessionId a -Force } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,Disconnect-BastionSession' -ExpectedMessage "*parameter 'BastionResourceId'*"
    }

    It 'rejects empty names' {
        { Get-BastionSession -ResourceGroupName '' -Name 'b' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-BastionSession' -ExpectedMessage "*parameter 'ResourceGroupName'*"
        { Get-BastionSession -ResourceGroupName 'rg' -Name '' } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-BastionSession' -ExpectedMessage "*parameter 'Name'*"
    }

    It 'rejects -TimeoutSec outside 1..86400 and an unknown -Protocol or -Environment' {
        { Get-BastionSession -TimeoutSec 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-BastionSession'
        { Get-BastionSession -TimeoutSec 86401 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-BastionSession'
        { Get-BastionSession -Protocol Telnet } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-BastionSession'
        { Get-BastionSession -Environment Mars } | Should -Throw -ErrorId 'ParameterArgumentValidationError,Get-BastionSession'
    }

    It 'accepts an empty -UserName as a value' {
        { Get-BastionSession -UserName '' -SubscriptionId 00000000-0000-0000-0000-000000000001 -AccessToken 't' -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 2 -ErrorAction SilentlyContinue } |
            Should -Not -Throw
    }

    It 'says clearly when no subscription can be found' {
        { Get-BastionSession -AccessToken 't' -ArmEndpoint 'http://127.0.0.1:9' } |
            Should -Throw -ErrorId 'BastionSubscriptionIdRequired,Get-BastionSession' -ExpectedMessage '*SubscriptionId*'
    }

    It 'refuses Disconnect-BastionSession without -SessionId unless -All' {
        { Disconnect-BastionSession -ResourceGroupName rg -Name b -SubscriptionId 00000000-0000-0000-0000-000000000001 -Force -AccessToken t } |
            Should -Throw -ErrorId 'BastionSessionIdRequired,Disconnect-BastionSession'
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
        # The library is loaded in the background after import, whose failure nobody sees:
        # the import succeeds, then the first call loads it again and stops at once (begin
        # block, before any request) with the error.
        $script:FirstCall = "Get-BastionSession -ResourceId '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Network/bastionHosts/b' -AccessToken t -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 2 -ErrorAction SilentlyContinue"
        $script:ImportScript = "`$ErrorActionPreference='Stop'; try { Import-Module '$Manifest' -ErrorAction Stop; 'IMPORTED'; $FirstCall; 'CALLED' } catch { 'FQID=' + `$_.FullyQualifiedErrorId; 'MSG=' + `$_.Exception.Message; exit 3 }"
    }

    It 'does not stop Import-Module: the first cmdlet call fails, before any request' {
        $missing = Join-Path $TestDrive 'nowhere/libbastion_session_ffi.so'
        $r = Invoke-ChildPwsh -Script $ImportScript -Environment @{ BASTION_SESSION_NATIVE_PATH = $missing }
        $r.ExitCode | Should -Be 3
        $r.StdOut | Should -Match 'IMPORTED'
        $r.StdOut | Should -Not -Match 'CALLED'
        $r.StdOut | Should -Match 'FQID=BastionNativeLibraryMissing,Get-BastionSession'
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

    It 'stops Import-Module, naming the interop assembly, when bin/BastionSession.Native.dll is missing' {
        # The manifest loads the shim (RequiredAssemblies): without it nothing of the module runs.
        $copy = Join-Path $TestDrive 'no-shim/BastionSession'
        New-Item -ItemType Directory -Force -Path (Split-Path $copy) | Out-Null
        Copy-Item -Recurse -LiteralPath $ModuleDir -Destination $copy
        Remove-Item -LiteralPath (Join-Path $copy 'bin/BastionSession.Native.dll')
        $script = "`$ErrorActionPreference='Stop'; try { Import-Module '$(Join-Path $copy 'BastionSession.psd1')' -ErrorAction Stop; 'IMPORTED' } catch { 'MSG=' + `$_.Exception.Message; 'COMMAND=' + [bool](Get-Command Get-BastionSession -ErrorAction SilentlyContinue); exit 3 }"
        $r = Invoke-ChildPwsh -Script $script -Environment @{ BASTION_SESSION_NATIVE_PATH = $null }
        $r.ExitCode | Should -Be 3
        $r.StdOut | Should -Not -Match 'IMPORTED'
        $r.StdOut | Should -Match "MSG=.*'BastionSession\.Native"
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
