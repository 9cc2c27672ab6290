<#
    Cross-cutting behaviour against the emulator: error records (ErrorId, category, ARM code,
    HTTP status, request id), cancellation of a stopped pipeline while the emulator is still
    polling, the credential order (token, Az.Accounts context, native chain with the
    emulator's managed-identity endpoint), and that the token never reaches any stream.
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
    if ($script:SlowEmulator) { Stop-TestEmulator $script:SlowEmulator }
    Restore-TestEnvironment $script:Saved
    Remove-Module Az.Accounts -Force -ErrorAction SilentlyContinue
}

Describe 'Error records' {
    It 'a wrong token: BastionAuthenticationFailed / AuthenticationError with HTTP 401' {
        $errors = $null
        $null = Get-BastionSession -ResourceId $HostId -AccessToken 'wrong-token' -ArmEndpoint $Emulator.BaseUrl -ErrorVariable errors -ErrorAction SilentlyContinue
        @($errors).Count | Should -BeGreaterOrEqual 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionAuthenticationFailed,Get-BastionSession'
        $errors[0].CategoryInfo.Category | Should -Be 'AuthenticationError'
        $errors[0].ToString() | Should -Match 'HTTP (status: )?401'
        $errors[0].Exception.Error.Code | Should -Be 2001
        $errors[0].Exception.Data['HttpStatus'] | Should -Be 401
        $errors[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }

    It 'a missing resource group: ObjectNotFound with the ARM code' {
        $errors = $null
        $null = Get-BastionSession -ResourceGroupName 'rg-does-not-exist' -SubscriptionId $Sub @Common -ErrorVariable errors -ErrorAction SilentlyContinue
        @($errors).Count | Should -BeGreaterOrEqual 1
        $errors[0].FullyQualifiedErrorId | Should -Match '^Bastion(ResourceGroup|Host)NotFound,Get-BastionSession$'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].Exception.Error.ArmCode | Should -Not -BeNullOrEmpty
        $errors[0].ToString() | Should -Match ([regex]::Escape($errors[0].Exception.Error.ArmCode))
        $errors[0].Exception.Error.RequestId | Should -Not -BeNullOrEmpty
        $errors[0].ToString() | Should -Match ([regex]::Escape($errors[0].Exception.Error.RequestId))
    }

    It '-ErrorAction Stop turns a host error into a terminating one with the same ErrorId' {
        $ghost = '/subscriptions/{0}/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/ghost' -f $Sub
        { Get-BastionSession -ResourceId $ghost @Common -ErrorAction Stop } | Should -Throw -ErrorId 'BastionHostNotFound,Get-BastionSession'
    }

    It 'plain HTTP to a non-loopback host is refused without connecting: BastionInsecureEndpoint' {
        $errors = $null
        $null = Get-BastionSession -ResourceId $HostId -AccessToken $Token -ArmEndpoint 'http://arm.example.invalid' -TimeoutSec 5 -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionInsecureEndpoint,Get-BastionSession'
        $errors[0].CategoryInfo.Category | Should -Be 'SecurityError'
    }

    It 'a deadline that passes: BastionRequestTimeout / OperationTimeout' {
        $script:SlowEmulator = Start-TestEmulator -Token $Token -ArgumentList @('--hosts', '1', '--sessions-per-host', '1', '--latency-ms', '4000')
        $slowHost = (Get-EmulatorSession $SlowEmulator)[0].BastionResourceId
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $errors = $null
        $null = Get-BastionSession -ResourceId $slowHost -AccessToken $Token -ArmEndpoint $SlowEmulator.BaseUrl -TimeoutSec 1 -ErrorVariable errors -ErrorAction SilentlyContinue
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 4
        @($errors).Count | Should -BeGreaterOrEqual 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionRequestTimeout,Get-BastionSession'
        $errors[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
    }

    It 'nothing listening: BastionConnectionFailed / ConnectionError (or the deadline first)' {
        $errors = $null
        $null = Get-BastionSession -ResourceId $HostId -AccessToken $Token -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 6 -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Match '^Bastion(ConnectionFailed|RequestTimeout),Get-BastionSession$'
        $errors[0].CategoryInfo.Category | Should -BeIn @('ConnectionError', 'OperationTimeout')
    }
}

Describe 'Service errors from the emulator' {
    BeforeAll {
        $scenario = @{
            settings      = @{ polls = 0 }
            subscriptions = @(@{
                    subscriptionId = $Sub
                    resourceGroups = @(@{
                            name  = 'rg-mixed'
                            hosts = @(
                                @{ name = 'bh-ok'; sessions = @(@{ userName = 'alice@contoso.com'; targetHostName = 'vm-1'; protocol = 'SSH'; startedMinutesAgo = 30 }) }
                                @{ name = 'bh-locked'; behaviour = 'forbidden'; sessions = @(@{ userName = 'bob@contoso.com'; targetHostName = 'vm-2'; protocol = 'RDP'; startedMinutesAgo = 40 }) }
                            )
                        })
                })
        }
        $path = Join-Path $TestDrive 'mixed.json'
        $scenario | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $path -Encoding UTF8
        $script:Mixed = Start-TestEmulator -Token $Token -ArgumentList @('--scenario', $path)
    }
    AfterAll { if ($script:Mixed) { Stop-TestEmulator $script:Mixed } }

    It 'a forbidden host among healthy ones: BastionAuthorizationFailed / PermissionDenied naming the RBAC action, the other host still answers' {
        $errors = $null
        $sessions = @(Get-BastionSession -ResourceGroupName 'rg-mixed' -SubscriptionId $Sub -AccessToken $Token -ArmEndpoint $Mixed.BaseUrl -ErrorVariable errors -ErrorAction SilentlyContinue)
        @($sessions.BastionName | Sort-Object -Unique) | Should -Be 'bh-ok'
        @($errors).Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionAuthorizationFailed,Get-BastionSession'
        $errors[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $errors[0].ToString() | Should -Match 'bh-locked'
        $errors[0].ToString() | Should -Match '(?i)Microsoft\.Network/bastionHosts/.*action|bastionHosts/read'
        $errors[0].Exception.Error.HttpStatus | Should -Be 403
    }

    It 'a 429 that clears: -Verbose says it waits for Retry-After, and the call succeeds' {
        Add-TestEmulatorFault $Mixed -Operation 'getActiveSessions' -Fault '429' -Count 1
        $all = @(Get-BastionSession -ResourceGroupName 'rg-mixed' -Name 'bh-ok' -SubscriptionId $Sub -AccessToken $Token -ArmEndpoint $Mixed.BaseUrl -Verbose -ErrorAction Stop 4>&1)
        @($all | Where-Object { $_ -is [BastionSession.Session] }).Count | Should -Be 1
        (@($all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n") | Should -Match 'HTTP 429; retrying in \d+ ms'
    }

    It '429 until -TimeoutSec: throttling never gives up early, the call ends as BastionRequestTimeout' {
        # 429s do not use up the retry budget (a fan-out must not lose hosts to ARM's
        # bucket); persistent throttling is bounded by -TimeoutSec.
        Add-TestEmulatorFault $Mixed -Operation 'getActiveSessions' -Fault '429' -Count 100
        $errors = $null
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $null = Get-BastionSession -ResourceGroupName 'rg-mixed' -Name 'bh-ok' -SubscriptionId $Sub -AccessToken $Token -ArmEndpoint $Mixed.BaseUrl -TimeoutSec 5 -ErrorVariable errors -ErrorAction SilentlyContinue
        $watch.Stop()
        Reset-TestEmulator $Mixed
        @($errors).Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionRequestTimeout,Get-BastionSession'
        $errors[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 4.5
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
    }
}

Describe 'Cancellation' {
    It 'a stopped pipeline returns within a few seconds while the emulator is still polling, and cancels the native work' {
        $emu = Start-TestEmulator -Token $Token -ArgumentList @('--hosts', '3', '--sessions-per-host', '1', '--polls', '100', '--retry-after', '1')
        try {
            $ps = [powershell]::Create()
            $null = $ps.AddScript({
                    param($m, $sub, $token, $url)
                    Import-Module $m
                    Get-BastionSession -SubscriptionId $sub -AccessToken $token -ArmEndpoint $url -Verbose
                }).AddArgument((Get-BuiltModulePath)).AddArgument($Sub).AddArgument($Token).AddArgument($emu.BaseUrl)
            $handle = $ps.BeginInvoke()
            # Wait until it is really polling (the emulator answers 202 a hundred times).
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ([DateTime]::UtcNow -lt $deadline -and -not @($ps.Streams.Verbose | Where-Object { $_.Message -match 'polling again' }).Count) { Start-Sleep -Milliseconds 100 }
            @($ps.Streams.Verbose | Where-Object { $_.Message -match 'polling again' }).Count | Should -BeGreaterThan 0
            $handle.IsCompleted | Should -BeFalse
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 3
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            # The verbose stream records that the native operation was cancelled.
            @($ps.Streams.Verbose | Where-Object { $_.Message -match 'cancelled operation' }).Count | Should -Be 1
            # And the emulator stops seeing polls soon after.
            Start-Sleep -Milliseconds 1500
            $a = Get-EmulatorStats $emu | ConvertTo-Json -Depth 5
            Start-Sleep -Milliseconds 2500
            $b = Get-EmulatorStats $emu | ConvertTo-Json -Depth 5
            $b | Should -Be $a
            $ps.Dispose()
        } finally { Stop-TestEmulator $emu }
    }
}

Describe 'Cancelling at any moment of a native call' {
    BeforeAll {
        # Many hosts (a request that takes a while to parse) on an emulator that answers slowly.
        $script:CancelEmu = Start-TestEmulator -Token $Token -ArgumentList @('--hosts', '2', '--sessions-per-host', '1', '--latency-ms', '300')
        function script:New-BigRequest {
            param([string] $OperationId)
            $hosts = @(foreach ($i in 1..20000) { @{ subscriptionId = $Sub; resourceGroupName = 'rg-0'; name = "bh-$i" } })
            @{ operationId = $OperationId; credential = @{ type = 'accessToken'; token = $Token }; armEndpoint = $CancelEmu.BaseUrl; timeoutSec = 20; hosts = $hosts }
        }
    }
    AfterAll { if ($script:CancelEmu) { Stop-TestEmulator $script:CancelEmu } }

    It 'a cancel sent before the library registered the operation still cancels it' {
        $request = New-BigRequest -OperationId ('early-' + [guid]::NewGuid().ToString('N'))
        $op = [BastionSession.Native]::StartRequest('bastion_get_sessions', $request)
        # At once: the worker thread has not even finished parsing the request.
        $op.Cancel() | Should -Be 1
        $op.Wait(10000) | Should -BeTrue
        { $op.GetAnswer().ThrowIfError() } | Should -Throw -ExpectedMessage '*cancel*'
    }

    It 'a cancel sent while the call runs cancels it' {
        $request = @{ operationId = ('during-' + [guid]::NewGuid().ToString('N')); credential = @{ type = 'accessToken'; token = $Token }; armEndpoint = $CancelEmu.BaseUrl; timeoutSec = 20; hosts = @(foreach ($s in Get-EmulatorSession $CancelEmu) { @{ resourceId = $s.BastionResourceId } }) }
        $op = [BastionSession.Native]::StartRequest('bastion_get_sessions', $request)
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while ([DateTime]::UtcNow -lt $deadline -and @($op.Poll() | Where-Object Type -eq 'hostStarted').Count -eq 0) { Start-Sleep -Milliseconds 20 }
        $op.Cancel() | Should -Be 1
        $op.Wait(10000) | Should -BeTrue
        { $op.GetAnswer().ThrowIfError() } | Should -Throw -ExpectedMessage '*cancel*'
    }

    It 'a cancel sent after the call returned answers 0 and changes nothing' {
        $request = @{ credential = @{ type = 'accessToken'; token = $Token }; armEndpoint = $CancelEmu.BaseUrl; hosts = @(@{ resourceId = (Get-EmulatorSession $CancelEmu)[0].BastionResourceId }) }
        $op = [BastionSession.Native]::StartRequest('bastion_get_sessions', $request)
        $op.Wait(20000) | Should -BeTrue
        $op.Cancel() | Should -Be 0
        @($op.GetHostSessionsOutcomes()).Count | Should -Be 1
        $op.InterruptedError | Should -BeNullOrEmpty
    }
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
        $errors = $null
        $null = Get-BastionSession -ResourceId $HostId -ArmEndpoint $Emulator.BaseUrl -TimeoutSec 20 -ErrorVariable errors -ErrorAction SilentlyContinue
        $sw.Elapsed.TotalSeconds | Should -BeLessThan 10
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionAuthenticationFailed,Get-BastionSession'
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
