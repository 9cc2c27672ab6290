<#
    Which credential a call uses, against the emulator: -AccessToken (string or
    SecureString), an Az.Accounts context (a stand-in module), the native chain with the
    emulator's managed-identity endpoint, a chain narrowed to nothing usable; and the token
    given never reaching any stream.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Saved = Set-TestCredentialEnvironment
    Import-Module (Get-BuiltModulePath) -Force
    $script:Sub = '00000000-0000-0000-0000-000000000001'
    # A distinctive token: any stream that contains it has leaked it.
    $script:Token = 'tok-' + [guid]::NewGuid().ToString('N') + '-SECRET-VALUE'
    $script:Emulator = Start-TestEmulator -Token $Token -ArgumentList @('--hosts', '2', '--sessions-per-host', '2')
    $script:Common = @{ AccessToken = $Token; ArmEndpoint = $Emulator.BaseUrl }
    $script:Truth = @(Get-EmulatorSession $Emulator)
    $script:HostId = $Truth[0].BastionResourceId
}

AfterAll {
    if ($script:Emulator) { Stop-TestEmulator $script:Emulator }
    Restore-TestEnvironment $script:Saved
    Remove-Module Az.Accounts -Force -ErrorAction SilentlyContinue
}

Describe 'Credential order' {
    BeforeAll {
        $script:MsiEnv = @{
            IDENTITY_ENDPOINT       = "$($Emulator.BaseUrl)/_emulator/msi/token"
            IDENTITY_HEADER         = 'emulator-identity-header'
            AZURE_TOKEN_CREDENTIALS = 'ManagedIdentityCredential'
        }
        function script:Get-MsiCount { Get-StatCount (Get-EmulatorStats $Emulator) 'msiToken' }
        function script:Use-Env([hashtable] $Set) { foreach ($k in $Set.Keys) { [Environment]::SetEnvironmentVariable($k, $Set[$k]) } }
    }
    AfterEach {
        foreach ($k in 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER') { [Environment]::SetEnvironmentVariable($k, $null) }
        $env:AZURE_TOKEN_CREDENTIALS = 'EnvironmentCredential'
        Remove-Module Az.Accounts -Force -ErrorAction SilentlyContinue
    }

    It '-AccessToken wins over a configured managed identity' {
        Use-Env $MsiEnv
        $before = Get-MsiCount
        $s = @(Get-BastionSession -ResourceId $HostId @Common -ErrorAction Stop)
        $s.Count | Should -BeGreaterThan 0
        (Get-MsiCount) - $before | Should -Be 0
    }

    It 'without a token, the native chain uses the managed identity (IDENTITY_ENDPOINT/IDENTITY_HEADER, as in Azure Automation)' {
        Use-Env $MsiEnv
        $before = Get-MsiCount
        $verbose = @(Get-BastionSession -ResourceId $HostId -ArmEndpoint $Emulator.BaseUrl -Verbose -ErrorAction Stop 4>&1)
        @($verbose | Where-Object { $_ -is [BastionSession.Session] }).Count | Should -BeGreaterThan 0
        (Get-MsiCount) - $before | Should -BeGreaterOrEqual 1
        (@($verbose | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n") | Should -Match 'native credential chain'
    }

    It 'with the chain narrowed to nothing usable, fails with BastionAuthenticationFailed (no IMDS)' {
        $env:AZURE_TOKEN_CREDENTIALS = 'EnvironmentCredential'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        # No usable credential is one terminating error (issue 22 point 4): caught, not read from -ErrorVariable.
        $errors = @(try { $null = Get-BastionSession -ResourceId $HostId -ArmEndpoint $Emulator.BaseUrl -TimeoutSec 20 -ErrorAction SilentlyContinue } catch { $_ })
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 10
        @($errors).Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionAuthenticationFailed,BastionSession.Cmdlets.GetBastionSessionCommand'
    }

    Context 'an Az.Accounts context' {
        BeforeAll {
            # A stand-in Az.Accounts: a signed-in context and Get-AzAccessToken, recording calls.
            $script:FakeAz = Join-Path $TestDrive 'Az.Accounts'
            New-Item -ItemType Directory -Force $FakeAz | Out-Null
            Set-Content -LiteralPath (Join-Path $FakeAz 'Az.Accounts.psm1') -Value @'
$script:Calls = New-Object System.Collections.Generic.List[string]
function Get-AzContext { [pscustomobject]@{ Account = [pscustomobject]@{ Id = 'runbook@contoso.com' }; Subscription = [pscustomobject]@{ Id = $env:FAKE_AZ_SUBSCRIPTION } } }
function Get-AzAccessToken {
    param([string] $ResourceUrl, [switch] $AsSecureString)
    $script:Calls.Add($ResourceUrl)
    $t = $env:FAKE_AZ_TOKEN
    if ($env:FAKE_AZ_SECURE -eq '1') { $t = ConvertTo-SecureString $t -AsPlainText -Force }
    [pscustomobject]@{ Token = $t; ExpiresOn = [DateTimeOffset]::UtcNow.AddHours(1); Type = 'Bearer' }
}
function Get-FakeAzCalls { $script:Calls.ToArray() }
Export-ModuleMember -Function Get-AzContext, Get-AzAccessToken, Get-FakeAzCalls
'@
        }
        AfterAll { foreach ($k in 'FAKE_AZ_TOKEN', 'FAKE_AZ_SECURE', 'FAKE_AZ_SUBSCRIPTION') { [Environment]::SetEnvironmentVariable($k, $null) } }

        It 'uses Get-AzAccessToken (SecureString token, Az.Accounts 5+) and the context''s subscription, before the native chain' {
            Use-Env $MsiEnv
            $env:FAKE_AZ_TOKEN = $Token; $env:FAKE_AZ_SECURE = '1'; $env:FAKE_AZ_SUBSCRIPTION = $Sub
            Import-Module (Join-Path $FakeAz 'Az.Accounts.psm1') -Force -Global
            $before = Get-MsiCount
            $s = @(Get-BastionSession -ArmEndpoint $Emulator.BaseUrl -ErrorAction Stop)
            $s.Count | Should -Be $Truth.Count
            (Get-MsiCount) - $before | Should -Be 0
            @(Get-FakeAzCalls) | Should -Contain ($Emulator.BaseUrl + '/')
        }

        It 'accepts a plain string token (older Az.Accounts)' {
            $env:FAKE_AZ_TOKEN = $Token; $env:FAKE_AZ_SECURE = '0'; $env:FAKE_AZ_SUBSCRIPTION = $Sub
            Import-Module (Join-Path $FakeAz 'Az.Accounts.psm1') -Force -Global
            @(Get-BastionSession -ResourceId $HostId -ArmEndpoint $Emulator.BaseUrl -ErrorAction Stop).Count | Should -BeGreaterThan 0
        }

        It '-AccessToken still wins over the context' {
            $env:FAKE_AZ_TOKEN = 'not-the-right-token'; $env:FAKE_AZ_SECURE = '0'; $env:FAKE_AZ_SUBSCRIPTION = $Sub
            Import-Module (Join-Path $FakeAz 'Az.Accounts.psm1') -Force -Global
            @(Get-BastionSession -ResourceId $HostId @Common -ErrorAction Stop).Count | Should -BeGreaterThan 0
            @(Get-FakeAzCalls) | Should -BeNullOrEmpty
        }
    }

    It '-AccessToken as a SecureString' {
        $secure = ConvertTo-SecureString $Token -AsPlainText -Force
        @(Get-BastionSession -ResourceId $HostId -AccessToken $secure -ArmEndpoint $Emulator.BaseUrl -ErrorAction Stop).Count | Should -BeGreaterThan 0
    }
}

Describe 'The token never reaches a stream' {
    It 'is absent from every stream of a successful Get and Disconnect with -Verbose -Debug' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($m, $sub, $token, $url)
                    Import-Module $m
                    $DebugPreference = 'Continue'; $VerbosePreference = 'Continue'; $InformationPreference = 'Continue'
                    $s = Get-BastionSession -SubscriptionId $sub -AccessToken $token -ArmEndpoint $url -Verbose -Debug
                    $s
                    $s | Select-Object -First 1 | Disconnect-BastionSession -Force -AccessToken $token -ArmEndpoint $url -Verbose -Debug
                    Get-BastionSession -SubscriptionId $sub -AccessToken $token -ArmEndpoint 'http://arm.example.invalid' -Verbose -Debug
                    Get-BastionSession -ResourceId "/subscriptions/$sub/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/ghost" -AccessToken $token -ArmEndpoint $url -Verbose -Debug
                }).AddArgument((Get-BuiltModulePath)).AddArgument($Sub).AddArgument($Token).AddArgument($Emulator.BaseUrl)
            $out = $ps.Invoke()
            $text = New-Object System.Text.StringBuilder
            foreach ($o in $out) { [void]$text.AppendLine(($o | Format-List * -Force | Out-String)) }
            foreach ($stream in 'Error', 'Warning', 'Verbose', 'Debug', 'Information', 'Progress') {
                foreach ($r in $ps.Streams.$stream) {
                    [void]$text.AppendLine(($r | Format-List * -Force | Out-String))
                    if ($r -is [System.Management.Automation.ErrorRecord]) {
                        [void]$text.AppendLine($r.Exception.ToString())
                        [void]$text.AppendLine(($r.TargetObject | Format-List * -Force | Out-String))
                        [void]$text.AppendLine(($r.Exception.Data | Out-String))
                    }
                }
            }
            $all = $text.ToString()
            @($ps.Streams.Debug).Count | Should -BeGreaterThan 0
            @($ps.Streams.Verbose).Count | Should -BeGreaterThan 0
            @($ps.Streams.Error).Count | Should -BeGreaterOrEqual 2
            $all | Should -Match 'Authorization: \[redacted\]'
            $all | Should -Not -Match ([regex]::Escape($Token))
            $all | Should -Not -Match 'SECRET-VALUE'
        } finally { $ps.Dispose() }
    }
}

Describe 'The request fields every call shares' {
    It 'gives the library the session''s variables it reads and no others, the endpoint without a trailing slash, and limits only when set' {
        # Set through .NET, as $env: does: on Linux the C runtime never sees these.
        [Environment]::SetEnvironmentVariable('AZURE_CLIENT_ID', 'client-from-this-session')
        [Environment]::SetEnvironmentVariable('BASTION_TEST_UNRELATED', 'not for the library')
        try {
            $credential = @{ type = 'accessToken' }
            $request = [BastionSession.CommonRequest]::Create($credential, [uri]'http://127.0.0.1:9/', 'AzureChinaCloud', 0, 0)
            @($request.Keys) | Should -Be @('schemaVersion', 'credential', 'armEndpoint') -Because 'the endpoint wins over the environment name; no limits were given'
            $request['armEndpoint'] | Should -BeExactly 'http://127.0.0.1:9'
            $request['credential'] | Should -Be $credential
            # A token credential reads no credential variable: none is sent (issue 23, "send only what is read").
            $credential['environment'].ContainsKey('AZURE_CLIENT_ID') | Should -BeFalse
            $credential['environment'].ContainsKey('AZURE_TOKEN_CREDENTIALS') | Should -BeFalse
            $credential['environment'].ContainsKey('BASTION_TEST_UNRELATED') | Should -BeFalse
            $chain = @{ type = 'default' }
            $named = [BastionSession.CommonRequest]::Create($chain, $null, 'AzureChinaCloud', 30, 4)
            $chain['environment']['AZURE_CLIENT_ID'] | Should -BeExactly 'client-from-this-session'
            $chain['environment']['AZURE_TOKEN_CREDENTIALS'] | Should -BeExactly $env:AZURE_TOKEN_CREDENTIALS
            $chain['environment'].ContainsKey('BASTION_TEST_UNRELATED') | Should -BeFalse
            foreach ($name in $chain['environment'].Keys) {
                $name | Should -BeIn @([BastionSession.LibraryEnvironmentVariables]::Transport + [BastionSession.LibraryEnvironmentVariables]::CredentialChain)
            }
            @($named.Keys) | Should -Be @('schemaVersion', 'credential', 'environment', 'timeoutSec', 'concurrency')
            $named['environment'] | Should -BeExactly 'AzureChinaCloud'
            { [BastionSession.CommonRequest]::Create($null, $null, $null, 0, 0) } | Should -Throw -ExpectedMessage '*credential*'
        } finally {
            [Environment]::SetEnvironmentVariable('AZURE_CLIENT_ID', $null)
            [Environment]::SetEnvironmentVariable('BASTION_TEST_UNRELATED', $null)
        }
    }
}
