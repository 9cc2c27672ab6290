<#
    Cancellation against the emulator: a stopped pipeline while the emulator is still
    polling, and bastion_cancel at any moment of a native call (before the library
    registered the operation, while it runs, after it returned).
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

Describe 'Cancellation' {
    It 'a stopped pipeline returns within a few seconds while the emulator is still polling, and cancels the native work' {
        $emu = Start-TestEmulator -Token $Token -ArgumentList @('--hosts', '3', '--sessions-per-host', '1', '--polls', '100', '--retry-after', '1')
        try {
            $ps = [powershell]::Create()
            $null = $ps.AddScript({
                    param($m, $sub, $token, $url)
                    Import-Module $m
                    Get-BastionSession -SubscriptionId $sub -AccessToken $token -ArmEndpoint $url -Debug
                }).AddArgument((Get-BuiltModulePath)).AddArgument($Sub).AddArgument($Token).AddArgument($emu.BaseUrl)
            $handle = $ps.BeginInvoke()
            # Wait until it is really polling (the emulator answers 202 a hundred times); each
            # wait for a poll is a -Debug line (-Verbose has one line per host when it answers).
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while ([DateTime]::UtcNow -lt $deadline -and -not @($ps.Streams.Debug | Where-Object { $_.Message -match 'polling again' }).Count) { Start-Sleep -Milliseconds 100 }
            @($ps.Streams.Debug | Where-Object { $_.Message -match 'polling again' }).Count | Should -BeGreaterThan 0
            $handle.IsCompleted | Should -BeFalse
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 3
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            # The native operation was cancelled (a compiled cmdlet can write nothing once its
            # pipeline stops): the emulator stops seeing polls.
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
