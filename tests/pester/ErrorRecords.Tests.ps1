<#
    Error records against the emulator: ErrorId, category, ARM code, HTTP status and request
    id for a wrong token, a missing resource group, plain HTTP off loopback, a deadline,
    nothing listening; a forbidden host among healthy ones; 429s that clear and 429s until
    the deadline.
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
        # A refused credential is one terminating error (issue 22 point 4).
        $errors = @(try { $null = Get-BastionSession -ResourceId $HostId -AccessToken 'wrong-token' -ArmEndpoint $Emulator.BaseUrl -ErrorAction SilentlyContinue } catch { $_ })
        @($errors).Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionAuthenticationFailed,BastionSession.Cmdlets.GetBastionSessionCommand'
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
        $errors[0].FullyQualifiedErrorId | Should -Match '^Bastion(ResourceGroup|Host)NotFound,BastionSession.Cmdlets.GetBastionSessionCommand$'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].Exception.Error.ArmCode | Should -Not -BeNullOrEmpty
        $errors[0].ToString() | Should -Match ([regex]::Escape($errors[0].Exception.Error.ArmCode))
        $errors[0].Exception.Error.RequestId | Should -Not -BeNullOrEmpty
        $errors[0].ToString() | Should -Match ([regex]::Escape($errors[0].Exception.Error.RequestId))
    }

    It '-ErrorAction Stop turns a host error into a terminating one with the same ErrorId' {
        $ghost = '/subscriptions/{0}/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/ghost' -f $Sub
        { Get-BastionSession -ResourceId $ghost @Common -ErrorAction Stop } | Should -Throw -ErrorId 'BastionHostNotFound,BastionSession.Cmdlets.GetBastionSessionCommand'
    }

    It 'plain HTTP to a non-loopback host is refused without connecting: BastionInsecureEndpoint' {
        $errors = $null
        $null = Get-BastionSession -ResourceId $HostId -AccessToken $Token -ArmEndpoint 'http://arm.example.invalid' -TimeoutSec 5 -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionInsecureEndpoint,BastionSession.Cmdlets.GetBastionSessionCommand'
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
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionRequestTimeout,BastionSession.Cmdlets.GetBastionSessionCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
    }

    It 'nothing listening: BastionConnectionFailed / ConnectionError (or the deadline first)' {
        $errors = $null
        $null = Get-BastionSession -ResourceId $HostId -AccessToken $Token -ArmEndpoint 'http://127.0.0.1:9' -TimeoutSec 6 -ErrorVariable errors -ErrorAction SilentlyContinue
        $errors[0].FullyQualifiedErrorId | Should -Match '^Bastion(ConnectionFailed|RequestTimeout),BastionSession.Cmdlets.GetBastionSessionCommand$'
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
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionAuthorizationFailed,BastionSession.Cmdlets.GetBastionSessionCommand'
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
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionRequestTimeout,BastionSession.Cmdlets.GetBastionSessionCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'OperationTimeout'
        $watch.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 4.5
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
    }
}

Describe 'Named causes and readable records (issue 22 points 3 and 7)' {
    It 'a refused connection: one error within seconds naming the refusal; the advice is about the endpoint, never -TimeoutSec' {
        foreach ($call in @(
                { Get-BastionSession -ResourceId $HostId -AccessToken $Token -ArmEndpoint 'http://127.0.0.1:1' -TimeoutSec 30 -ErrorVariable script:errs -ErrorAction SilentlyContinue },
                { Disconnect-BastionSession -BastionResourceId $HostId -SessionId 's-1' -Force -AccessToken $Token -ArmEndpoint 'http://127.0.0.1:1' -TimeoutSec 30 -ErrorVariable script:errs -ErrorAction SilentlyContinue })) {
            $script:errs = $null
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $null = & $call
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 20 -Because 'a refusal is not retried until the deadline'
            @($script:errs).Count | Should -Be 1
            $e = $script:errs[0]
            $e.FullyQualifiedErrorId | Should -Match '^BastionConnectionFailed,'
            $e.ToString() | Should -Match 'refused'
            $e.ToString() | Should -Match 'after 1 attempt\b'
            $e.ErrorDetails.RecommendedAction | Should -Match 'ArmEndpoint'
            $e.ErrorDetails.RecommendedAction | Should -Not -Match 'Raise -TimeoutSec'
        }
    }

    It 'a missing host: TargetObject is its resource id, CategoryInfo reads "ObjectNotFound: (name:String) [cmdlet], ErrorId", the message names it once' {
        $ghost = '/subscriptions/{0}/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/ghost-weu' -f $Sub
        $errors = $null
        $null = Get-BastionSession -ResourceId $ghost @Common -ErrorVariable errors -ErrorAction SilentlyContinue
        @($errors).Count | Should -Be 1
        $errors[0].TargetObject | Should -Be $ghost
        $errors[0].CategoryInfo.ToString() | Should -Be 'ObjectNotFound: (ghost-weu:String) [Get-BastionSession], BastionHostNotFound'
        ([regex]::Matches($errors[0].ToString(), [regex]::Escape($ghost))).Count | Should -Be 0 -Because 'the id is the TargetObject; the message uses the name'
        $errors[0].ToString() | Should -Match "Bastion host 'ghost-weu'"
        $dErrors = $null
        $null = Disconnect-BastionSession -BastionResourceId $ghost -SessionId 's-1' -Force @Common -ErrorVariable dErrors -ErrorAction SilentlyContinue
        $dErrors[0].TargetObject | Should -Be $ghost
        $dErrors[0].CategoryInfo.ToString() | Should -Be 'ObjectNotFound: (ghost-weu:String) [Disconnect-BastionSession], BastionHostNotFound'
    }
}
