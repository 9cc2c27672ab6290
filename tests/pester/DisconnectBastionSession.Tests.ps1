<#
    Disconnect-BastionSession end to end against the emulator: pipelines from
    Get-BastionSession, one disconnect request per host (counted by the emulator), -WhatIf
    sending nothing, -Force/-Confirm:$false, prompting in a host that cannot prompt, -All,
    NotFound as a result, a failing host among healthy ones.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Saved = Set-TestCredentialEnvironment
    Import-Module (Get-BuiltModulePath) -Force
    $script:Sub = '00000000-0000-0000-0000-000000000001'
    $script:Emulator = Start-TestEmulator -ArgumentList @('--hosts', '3', '--sessions-per-host', '4', '--hosts-per-group', '2')
    $script:Common = @{ AccessToken = $Emulator.Token; ArmEndpoint = $Emulator.BaseUrl }

    function script:Get-Hosts {
        @(Get-EmulatorSession $Emulator | Group-Object BastionResourceId | ForEach-Object { $_.Group[0] } | Sort-Object BastionResourceId)
    }
    function script:Get-DisconnectCount { Get-StatCount (Get-EmulatorStats $Emulator) 'disconnectActiveSessions' }

    # The six results of an interrupted disconnect: every id once, some Disconnected and some
    # NotAttempted, and each state true to what the emulator still holds.
    function script:Assert-InterruptedOutcomesTruthful {
        param([object[]] $Outcomes, $Emu)
        $Outcomes.Count | Should -Be 6
        @($Outcomes.SessionId | Sort-Object -Unique).Count | Should -Be 6
        @($Outcomes | Where-Object State -eq 'Disconnected').Count | Should -BeGreaterThan 0
        @($Outcomes | Where-Object State -eq 'NotAttempted').Count | Should -BeGreaterThan 0
        $left = @(Get-EmulatorSession $Emu | ForEach-Object { $_.SessionId })
        foreach ($r in $Outcomes) {
            if ($r.State -eq 'Disconnected') { $left | Should -Not -Contain $r.SessionId }
            if ($r.State -eq 'NotAttempted') { $left | Should -Contain $r.SessionId }
        }
    }

    # Runs a script in a fresh runspace with no interactive host; returns output, errors and whether it threw.
    function script:Invoke-InRunspace {
        param([scriptblock] $Script, [object[]] $Arguments)
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript($Script)
            foreach ($a in $Arguments) { $null = $ps.AddArgument($a) }
            $threw = $null
            $out = $null
            try { $out = $ps.Invoke() } catch { $threw = $_ }
            [pscustomobject]@{ Output = $out; Errors = @($ps.Streams.Error); Threw = $threw }
        } finally { $ps.Dispose() }
    }
}

AfterAll {
    if ($script:Emulator) { Stop-TestEmulator $script:Emulator }
    Restore-TestEnvironment $script:Saved
}

Describe 'Get-BastionSession | Disconnect-BastionSession' {
    BeforeEach { Reset-TestEmulator $Emulator }

    It 'one host: -Force disconnects every session with one request' {
        $h = (Get-Hosts)[0]
        $before = Get-DisconnectCount
        $expected = @(Get-EmulatorSession $Emulator | Where-Object BastionResourceId -eq $h.BastionResourceId)
        $results = @(Get-BastionSession -ResourceGroupName $h.BastionResourceGroupName -Name $h.BastionName -SubscriptionId $Sub @Common |
                Disconnect-BastionSession -Force @Common -ErrorAction Stop)
        (Get-DisconnectCount) - $before | Should -Be 1
        $results.Count | Should -Be $expected.Count
        @($results.SessionId | Sort-Object) | Should -Be @($expected.SessionId | Sort-Object)
        $results | ForEach-Object { $_.State | Should -Be 'Disconnected' }
        @(Get-EmulatorSession $Emulator | Where-Object BastionResourceId -eq $h.BastionResourceId) | Should -BeNullOrEmpty
    }

    It 'a whole subscription: one disconnect request per host, not per session' {
        $hosts = Get-Hosts
        $all = @(Get-EmulatorSession $Emulator)
        $before = Get-DisconnectCount
        $results = @(Get-BastionSession -SubscriptionId $Sub @Common | Disconnect-BastionSession -Confirm:$false @Common -ErrorAction Stop)
        (Get-DisconnectCount) - $before | Should -Be $hosts.Count
        $results.Count | Should -Be $all.Count
        @(Get-EmulatorSession $Emulator) | Should -BeNullOrEmpty
    }

    It 'writes BastionSession.DisconnectResult objects with the documented properties' {
        $h = (Get-Hosts)[0]
        $r = @(Get-BastionSession -ResourceId $h.BastionResourceId @Common | Select-Object -First 1 | Disconnect-BastionSession -Force @Common)[0]
        $r | Should -BeOfType ([BastionSession.DisconnectResult])
        $r.PSObject.TypeNames[0] | Should -Be 'BastionSession.DisconnectResult'
        foreach ($p in 'SessionId', 'State', 'Message', 'BastionName', 'BastionResourceId') { ($r | Get-Member -MemberType Property).Name | Should -Contain $p }
        $r.BastionResourceId | Should -Be $h.BastionResourceId
        $r.BastionName | Should -Be $h.BastionName
        { $r | Format-Table | Out-String } | Should -Not -Throw
    }

    It '-WhatIf sends nothing and changes nothing' {
        $before = Get-DisconnectCount
        $truth = @(Get-EmulatorSession $Emulator)
        $out = @(Get-BastionSession -SubscriptionId $Sub @Common | Disconnect-BastionSession -WhatIf @Common)
        $out | Should -BeNullOrEmpty
        (Get-DisconnectCount) - $before | Should -Be 0
        @(Get-EmulatorSession $Emulator).Count | Should -Be $truth.Count
    }

    It '... | Where-Object { $_.Duration -gt ''02:00:00'' } | Disconnect-BastionSession -WhatIf sends nothing' {
        $before = Get-DisconnectCount
        $truth = @(Get-EmulatorSession $Emulator)
        $selected = @(Get-BastionSession -SubscriptionId $Sub @Common | Where-Object { $_.Duration -gt '02:00:00' })
        $selected.Count | Should -BeGreaterThan 0 -Because 'the scenario has sessions older than two hours'
        $out = @(Get-BastionSession -SubscriptionId $Sub @Common | Where-Object { $_.Duration -gt '02:00:00' } | Disconnect-BastionSession -WhatIf @Common)
        $out | Should -BeNullOrEmpty
        (Get-DisconnectCount) - $before | Should -Be 0
        @(Get-EmulatorSession $Emulator).Count | Should -Be $truth.Count
    }

    It 'in a host that cannot prompt, the confirmation fails before anything is sent' {
        $hosts = Get-Hosts
        $asked = Invoke-InRunspace -Script {
            param($m, $sub, $common)
            Import-Module $m
            Get-BastionSession -SubscriptionId $sub @common | Disconnect-BastionSession @common
        } -Arguments @((Get-BuiltModulePath), $Sub, $Common)
        # A runspace without a host UI cannot prompt: the prompt fails before anything is sent.
        $problems = @($asked.Errors) + @($asked.Threw | Where-Object { $_ })
        $problems.Count | Should -BeGreaterThan 0
        ($problems | ForEach-Object { $_.ToString(); if ($_.Exception) { $_.Exception.ToString() } }) -join "`n" | Should -Match '(?i)prompt|interact|host'
        (Get-DisconnectCount) | Should -Be 0
        @(Get-EmulatorSession $Emulator).Count | Should -Be ($hosts.Count * 4)
    }

    It 'confirms once per host, naming the host and the number of sessions (-WhatIf lines in a child pwsh)' {
        $hosts = Get-Hosts
        $script = "Import-Module '$(Get-BuiltModulePath)'; Get-BastionSession -SubscriptionId $Sub -AccessToken '$($Emulator.Token)' -ArmEndpoint '$($Emulator.BaseUrl)' | Disconnect-BastionSession -WhatIf -AccessToken '$($Emulator.Token)' -ArmEndpoint '$($Emulator.BaseUrl)'"
        $r = Invoke-ChildPwsh -Script $script
        $lines = @($r.StdOut -split "`n" | Where-Object { $_ -match 'What if:' })
        $lines.Count | Should -Be $hosts.Count
        foreach ($h in $hosts) {
            @($lines | Where-Object { $_ -match [regex]::Escape("'$($h.BastionName)'") -and $_ -match 'Disconnect 4 session' }).Count | Should -Be 1
        }
        (Get-DisconnectCount) | Should -Be 0
    }

    It 'proceeds without a prompt when $ConfirmPreference is None or -Force/-Confirm:$false is given' {
        $r = Invoke-InRunspace -Script {
            param($m, $id, $common)
            Import-Module $m
            $ConfirmPreference = 'None'
            Get-BastionSession -ResourceId $id @common | Disconnect-BastionSession @common
        } -Arguments @((Get-BuiltModulePath), (Get-Hosts)[0].BastionResourceId, $Common)
        $r.Threw | Should -BeNullOrEmpty
        @($r.Output).Count | Should -Be 4
        (Get-DisconnectCount) | Should -Be 1
        $r2 = Invoke-InRunspace -Script {
            param($m, $id, $common)
            Import-Module $m
            Get-BastionSession -ResourceId $id @common | Disconnect-BastionSession -Force @common
        } -Arguments @((Get-BuiltModulePath), (Get-Hosts)[0].BastionResourceId, $Common)
        $r2.Threw | Should -BeNullOrEmpty
        @($r2.Output).Count | Should -Be 4
    }

    It 'a non-interactive pwsh errors instead of disconnecting' {
        $h = (Get-Hosts)[0]
        $script = "Import-Module '$(Get-BuiltModulePath)'; Disconnect-BastionSession -BastionResourceId '$($h.BastionResourceId)' -All -AccessToken '$($Emulator.Token)' -ArmEndpoint '$($Emulator.BaseUrl)'"
        $r = Invoke-ChildPwsh -Script $script
        ($r.StdErr + $r.StdOut) | Should -Match '(?i)NonInteractive|prompt'
        (Get-DisconnectCount) | Should -Be 0
    }
}

Describe 'Disconnect-BastionSession by name and id' {
    BeforeEach { Reset-TestEmulator $Emulator }

    It '-ResourceGroupName -Name -SubscriptionId -SessionId disconnects that session; a second time it is NotFound, not an error' {
        $s = (Get-EmulatorSession $Emulator)[0]
        $r = @(Disconnect-BastionSession -ResourceGroupName $s.BastionResourceGroupName -Name $s.BastionName -SubscriptionId $Sub -SessionId $s.SessionId -Force @Common -ErrorAction Stop)
        $r.Count | Should -Be 1
        $r[0].State | Should -Be 'Disconnected'
        $errors = $null
        $again = @(Disconnect-BastionSession -ResourceGroupName $s.BastionResourceGroupName -Name $s.BastionName -SubscriptionId $Sub -SessionId $s.SessionId -Force @Common -ErrorVariable errors)
        @($errors) | Should -BeNullOrEmpty
        $again.Count | Should -Be 1
        $again[0].State | Should -Be 'NotFound'
    }

    It '-BastionResourceId -All lists the host''s sessions and disconnects them all with one request' {
        $h = (Get-Hosts)[1]
        $before = Get-DisconnectCount
        $r = @(Disconnect-BastionSession -BastionResourceId $h.BastionResourceId -All -Force @Common -ErrorAction Stop)
        $r.Count | Should -Be 4
        (Get-DisconnectCount) - $before | Should -Be 1
        @(Get-EmulatorSession $Emulator | Where-Object BastionResourceId -eq $h.BastionResourceId) | Should -BeNullOrEmpty
    }

    It '-All -WhatIf lists but does not disconnect' {
        $h = (Get-Hosts)[1]
        $null = Disconnect-BastionSession -BastionResourceId $h.BastionResourceId -All -WhatIf @Common
        (Get-DisconnectCount) | Should -Be 0
    }

    It 'the subscription comes from AZURE_SUBSCRIPTION_ID when not given' {
        $s = (Get-EmulatorSession $Emulator)[0]
        $env:AZURE_SUBSCRIPTION_ID = $Sub
        try {
            $r = @(Disconnect-BastionSession -ResourceGroupName $s.BastionResourceGroupName -Name $s.BastionName -SessionId $s.SessionId -Force @Common -ErrorAction Stop)
        } finally { $env:AZURE_SUBSCRIPTION_ID = $null }
        $r[0].State | Should -Be 'Disconnected'
    }

    It 'a missing host is a non-terminating BastionHostNotFound error; the other host is still disconnected' {
        $s = (Get-EmulatorSession $Emulator)[0]
        $ghost = '/subscriptions/{0}/resourceGroups/{1}/providers/Microsoft.Network/bastionHosts/no-such-bastion' -f $Sub, $s.BastionResourceGroupName
        $items = @(
            [pscustomobject]@{ SessionId = $s.SessionId; BastionResourceId = $s.BastionResourceId }
            [pscustomobject]@{ SessionId = 'aaaaaaaa-0000-0000-0000-000000000000'; BastionResourceId = $ghost }
        )
        $errors = $null
        $r = @($items | Disconnect-BastionSession -Force @Common -ErrorVariable errors -ErrorAction SilentlyContinue)
        # Every id's result is written, the missing host's too (issue 23 point 5).
        $r.Count | Should -Be 2
        ($r | Where-Object SessionId -eq $s.SessionId).State | Should -Be 'Disconnected'
        ($r | Where-Object BastionResourceId -eq $ghost).State | Should -Be 'Failed'
        @($errors).Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionHostNotFound,BastionSession.Cmdlets.DisconnectBastionSessionCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].ToString() | Should -Match 'no-such-bastion'
    }

    It 'duplicate ids in the pipeline are sent once' {
        $s = (Get-EmulatorSession $Emulator)[0]
        $r = @($s, $s | ForEach-Object { [pscustomobject]@{ SessionId = $_.SessionId; BastionResourceId = $_.BastionResourceId } } | Disconnect-BastionSession -Force @Common)
        $r.Count | Should -Be 1
    }
}

Describe 'A large pipeline' {
    BeforeAll {
        $script:Big = Start-TestEmulator -ArgumentList @('--hosts', '1', '--sessions-per-host', '2500', '--polls', '0', '--page-size', '1000')
    }
    AfterAll { if ($script:Big) { Stop-TestEmulator $script:Big } }

    It '2500 sessions of one host go out as 3 disconnect requests (chunks of 1000), one result each' {
        $c = @{ AccessToken = $Big.Token; ArmEndpoint = $Big.BaseUrl }
        $results = @(Get-BastionSession -SubscriptionId $Sub @c | Disconnect-BastionSession -Force @c -ErrorAction Stop)
        $results.Count | Should -Be 2500
        @($results | Where-Object State -ne 'Disconnected') | Should -BeNullOrEmpty
        Get-StatCount (Get-EmulatorStats $Big) 'disconnectActiveSessions' | Should -Be 3
        @(Get-EmulatorSession $Big) | Should -BeNullOrEmpty
    }
}

Describe 'A deadline mid-disconnect' {
    BeforeAll {
        # Every answer takes 700 ms; one host at a time; a 1 s deadline: the first host is
        # answered, the second is in flight, the third is never sent.
        $script:Slow = Start-TestEmulator -ArgumentList @('--hosts', '3', '--sessions-per-host', '2', '--hosts-per-group', '3', '--polls', '0', '--latency-ms', '700')
    }
    AfterAll { if ($script:Slow) { Stop-TestEmulator $script:Slow } }

    It 'writes every id once in a truthful state (answered, Unknown, NotAttempted), then the timeout error' {
        $c = @{ AccessToken = $Slow.Token; ArmEndpoint = $Slow.BaseUrl }
        $all = @(Get-EmulatorSession $Slow | ForEach-Object { [pscustomobject]@{ SessionId = $_.SessionId; BastionResourceId = $_.BastionResourceId } })
        $all.Count | Should -Be 6
        $mixed = @($all | Disconnect-BastionSession -Force -ThrottleLimit 1 -TimeoutSec 1 @c -ErrorAction Continue 2>&1)
        $errors = @($mixed | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $results = @($mixed | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
        $errors.Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionRequestTimeout,BastionSession.Cmdlets.DisconnectBastionSessionCommand'
        $mixed[-1] | Should -BeOfType ([System.Management.Automation.ErrorRecord])
        Assert-InterruptedOutcomesTruthful $results $Slow
    }
}

Describe 'Ctrl+C mid-disconnect keeps what is known (issue 23 point 6)' {
    BeforeAll {
        # As above: every answer takes 700 ms, one host at a time, so a stop after about
        # 1 s finds the first host answered, the second in flight and the third not sent.
        $script:Slower = Start-TestEmulator -ArgumentList @('--hosts', '3', '--sessions-per-host', '2', '--hosts-per-group', '3', '--polls', '0', '--latency-ms', '700')
    }
    AfterAll { if ($script:Slower) { Stop-TestEmulator $script:Slower } }

    It 'the outcomes known when the pipeline stopped are in $Error as a BastionDisconnectStopped record''s TargetObject, every id once and truthful' {
        $all = @(Get-EmulatorSession $Slower | ForEach-Object { [pscustomobject]@{ SessionId = $_.SessionId; BastionResourceId = $_.BastionResourceId } })
        $rs = [runspacefactory]::CreateRunspace()
        $rs.Open()
        try {
            $ps = [powershell]::Create()
            $ps.Runspace = $rs
            $null = $ps.AddScript({
                    param($m, $items, $token, $url)
                    Import-Module $m
                    $items | Disconnect-BastionSession -Force -ThrottleLimit 1 -AccessToken $token -ArmEndpoint $url -Debug
                }).AddArgument((Get-BuiltModulePath)).AddArgument($all).AddArgument($Slower.Token).AddArgument($Slower.BaseUrl)
            $handle = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            # The operation's start is a -Debug line (operation ids are -Debug's).
            while ([DateTime]::UtcNow -lt $deadline -and -not @($ps.Streams.Debug | Where-Object { $_.Message -match 'started operation' -and $_.Message -match 'disconnect' }).Count) { Start-Sleep -Milliseconds 20 }
            $handle.IsCompleted | Should -BeFalse
            Start-Sleep -Milliseconds 1000
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $ps.Stop()
            $sw.Elapsed.TotalSeconds | Should -BeLessThan 4
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Dispose()
            $ask = [powershell]::Create()
            $ask.Runspace = $rs
            $kept = @($ask.AddScript({ ($Error | Where-Object FullyQualifiedErrorId -like 'BastionDisconnectStopped*')[0].TargetObject }).Invoke())
            $ask.Dispose()
        } finally { $rs.Dispose() }
        Assert-InterruptedOutcomesTruthful $kept $Slower
    }
}

Describe '-All with a listed session that has no sessionId' {
    BeforeAll {
        $script:ScenarioFile = Join-Path ([System.IO.Path]::GetTempPath()) ('bastion-noid-{0}.json' -f [guid]::NewGuid().ToString('N'))
        @{
            settings      = @{ polls = 0 }
            subscriptions = @(@{
                    subscriptionId = $Sub
                    resourceGroups = @(@{
                            name  = 'rg-0'
                            hosts = @(
                                @{ name = 'bh-a'; location = 'westeurope'; sku = 'Standard'; sessions = @(@{ sessionId = $null; userName = 'ghost@contoso.com'; targetHostName = 'vm-ghost' }, @{ userName = 'alice@contoso.com' }) }
                                @{ name = 'bh-b'; location = 'westeurope'; sku = 'Standard'; sessions = @(@{ userName = 'bob@contoso.com' }) }
                            )
                        })
                })
        } | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $ScenarioFile -Encoding utf8
        $script:NoId = Start-TestEmulator -ArgumentList @('--scenario', $ScenarioFile)
    }
    AfterAll {
        if ($script:NoId) { Stop-TestEmulator $script:NoId }
        Remove-Item -LiteralPath $script:ScenarioFile -ErrorAction SilentlyContinue
    }

    It 'skips that session with a warning and disconnects every other session of every host' {
        $c = @{ AccessToken = $NoId.Token; ArmEndpoint = $NoId.BaseUrl }
        $ids = @('bh-a', 'bh-b' | ForEach-Object { '/subscriptions/{0}/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/{1}' -f $Sub, $_ })
        $warnings = $null; $errors = $null
        $r = @($ids | ForEach-Object { [pscustomobject]@{ BastionResourceId = $_ } } |
                Disconnect-BastionSession -All -Force @c -WarningVariable warnings -WarningAction SilentlyContinue -ErrorVariable errors -ErrorAction SilentlyContinue)
        @($errors).Count | Should -Be 0
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -Match 'without a sessionId'
        "$($warnings[0])" | Should -Match 'bh-a'
        $r.Count | Should -Be 2
        $r | ForEach-Object { $_.State | Should -Be 'Disconnected' }
    }
}

Describe 'A refused credential: one error, naming it (issue 22 point 4)' {
    BeforeEach { Reset-TestEmulator $Emulator }

    It 'a piped disconnect over several hosts with a wrong -AccessToken stops with exactly one error that names -AccessToken' {
        $sessions = @(Get-BastionSession -SubscriptionId $Sub @Common)
        @($sessions.BastionResourceId | Sort-Object -Unique).Count | Should -BeGreaterThan 1
        $errors = $null
        $threw = $null
        try { $null = $sessions | Disconnect-BastionSession -Force -AccessToken 'wrong-token' -ArmEndpoint $Emulator.BaseUrl -ErrorVariable errors -ErrorAction SilentlyContinue }
        catch { $threw = $_ }
        # One error in all: the terminating one (the error variable holds it, and nothing else).
        $threw | Should -Not -BeNullOrEmpty -Because 'a refused credential ends the call'
        @($errors).Count | Should -Be 1
        $threw.FullyQualifiedErrorId | Should -Be 'BastionAuthenticationFailed,BastionSession.Cmdlets.DisconnectBastionSessionCommand'
        $threw.TargetObject | Should -Be 'AccessToken'
        $threw.ToString() | Should -Match '-AccessToken'
        $threw.ToString() | Should -Match 'get a new one'
        $threw.ToString() | Should -Not -Match "'subscription '"
        @(Get-EmulatorSession $Emulator).Count | Should -Be $sessions.Count
    }

    It 'Get-BastionSession over several hosts with a wrong token: one error' {
        $ids = @(Get-Hosts | ForEach-Object BastionResourceId)
        $errors = $null
        $threw = $null
        try { $null = Get-BastionSession -ResourceId $ids -AccessToken 'wrong-token' -ArmEndpoint $Emulator.BaseUrl -ErrorVariable errors -ErrorAction SilentlyContinue } catch { $threw = $_ }
        @($errors).Count | Should -Be 1
        $threw.FullyQualifiedErrorId | Should -Be 'BastionAuthenticationFailed,BastionSession.Cmdlets.GetBastionSessionCommand'
        $threw.ToString() | Should -Match '-AccessToken'
    }
}

Describe 'Results and prompts say who (issue 22 point 5)' {
    BeforeEach { Reset-TestEmulator $Emulator }

    It 'piped sessions: each result carries the session''s UserName, TargetHostName, TargetIpAddress and StartTime' {
        $h = (Get-Hosts)[0]
        $sessions = @(Get-BastionSession -ResourceId $h.BastionResourceId @Common)
        $results = @($sessions | Disconnect-BastionSession -Force @Common -ErrorAction Stop)
        $results.Count | Should -Be $sessions.Count
        foreach ($r in $results) {
            $s = $sessions | Where-Object SessionId -eq $r.SessionId
            $r.UserName | Should -Be $s.UserName
            $r.TargetHostName | Should -Be $s.TargetHostName
            $r.TargetIpAddress | Should -Be $s.TargetIpAddress
            $r.StartTime | Should -BeOfType ([DateTimeOffset])
            $r.StartTime.UtcDateTime | Should -Be ([DateTimeOffset]$s.StartTime).UtcDateTime
        }
    }

    It '-All: results carry who, from the listing' {
        $h = (Get-Hosts)[1]
        $truth = @(Get-EmulatorSession $Emulator | Where-Object BastionResourceId -eq $h.BastionResourceId)
        $results = @(Disconnect-BastionSession -BastionResourceId $h.BastionResourceId -All -Force @Common -ErrorAction Stop)
        $results.Count | Should -Be $truth.Count
        @($results | Where-Object { -not $_.UserName -or -not $_.TargetHostName -or $null -eq $_.StartTime }) | Should -BeNullOrEmpty
    }

    It '-WhatIf lists the users and targets (the first few and a count), in the same words piped or by id' {
        $h = (Get-Hosts)[0]
        $sessions = @(Get-BastionSession -ResourceId $h.BastionResourceId @Common)
        $c = "-AccessToken '$($Emulator.Token)' -ArmEndpoint '$($Emulator.BaseUrl)'"
        $script = "Import-Module '$(Get-BuiltModulePath)'; Get-BastionSession -ResourceId '$($h.BastionResourceId)' $c | Disconnect-BastionSession -WhatIf $c; " +
            "Disconnect-BastionSession -ResourceGroupName '$($h.BastionResourceGroupName)' -Name '$($h.BastionName)' -SubscriptionId '$Sub' -All -WhatIf $c"
        $r = Invoke-ChildPwsh -Script $script
        $lines = @($r.StdOut -split "`n" | Where-Object { $_ -match 'What if:' })
        $lines.Count | Should -Be 2
        foreach ($line in $lines) {
            $line | Should -Match ([regex]::Escape("$($sessions[0].UserName) on $($sessions[0].TargetHostName)"))
            $line | Should -Match 'and 1 more'
            $line | Should -Match ([regex]::Escape("Bastion host '$($h.BastionName)' in resource group '$($h.BastionResourceGroupName)'"))
        }
        (Get-DisconnectCount) | Should -Be 0
    }

    It '-All on a host without sessions writes a warning' {
        $h = (Get-Hosts)[2]
        $null = Disconnect-BastionSession -BastionResourceId $h.BastionResourceId -All -Force @Common -ErrorAction Stop
        $warnings = $null
        $r = @(Disconnect-BastionSession -BastionResourceId $h.BastionResourceId -All -Force @Common -ErrorAction Stop -WarningVariable warnings -WarningAction SilentlyContinue)
        $r | Should -BeNullOrEmpty
        @($warnings).Count | Should -Be 1
        "$($warnings[0])" | Should -Match ([regex]::Escape("'$($h.BastionName)'"))
        "$($warnings[0])" | Should -Match 'no current sessions'
    }
}

Describe 'Piping into Disconnect as into Get (issue 22 points 6 and 11)' {
    BeforeEach { Reset-TestEmulator $Emulator }

    It 'Get-AzBastion-shaped objects (Id, Name, ResourceGroupName) | Disconnect-BastionSession -All' {
        if (-not ('BastionSessionTests.PSBastionForDisconnect' -as [type])) {
            Add-Type -TypeDefinition 'namespace BastionSessionTests { public class PSBastionForDisconnect { public string Id { get; set; } public string Name { get; set; } public string ResourceGroupName { get; set; } public string Location { get; set; } } }'
        }
        $hosts = @(Get-Hosts)[0, 1]
        $bastions = @($hosts | ForEach-Object {
                $b = New-Object BastionSessionTests.PSBastionForDisconnect
                $b.Id = $_.BastionResourceId; $b.Name = $_.BastionName; $b.ResourceGroupName = $_.BastionResourceGroupName; $b.Location = 'westeurope'; $b
            })
        $r = @($bastions | Disconnect-BastionSession -All -Force @Common -ErrorAction Stop)
        $r.Count | Should -Be 8
        (Get-DisconnectCount) | Should -Be 2
        foreach ($h in $hosts) { @(Get-EmulatorSession $Emulator | Where-Object BastionResourceId -eq $h.BastionResourceId) | Should -BeNullOrEmpty }
        # A PSCustomObject with only ResourceGroupName and Name binds by name.
        $h = (Get-Hosts)[0]
        $r2 = @([pscustomobject]@{ ResourceGroupName = $h.BastionResourceGroupName; Name = $h.BastionName } | Disconnect-BastionSession -All -SubscriptionId $Sub -Force @Common -ErrorAction Stop)
        $r2.Count | Should -Be 4
    }

    It '$ids | Disconnect-BastionSession -BastionResourceId $rid' {
        $h = (Get-Hosts)[0]
        $ids = @(Get-EmulatorSession $Emulator | Where-Object BastionResourceId -eq $h.BastionResourceId | ForEach-Object SessionId)
        $r = @($ids | Disconnect-BastionSession -BastionResourceId $h.BastionResourceId -Force @Common -ErrorAction Stop)
        @($r.SessionId | Sort-Object) | Should -Be @($ids | Sort-Object)
        $r | ForEach-Object { $_.State | Should -Be 'Disconnected' }
        (Get-DisconnectCount) | Should -Be 1
    }

    It 'a malformed -SessionId is a parameter-validation error, and nothing is sent' {
        $h = (Get-Hosts)[0]
        foreach ($bad in @('not a session id', $h.BastionResourceId, 'alice@contoso.com', ('x' * 129))) {
            { Disconnect-BastionSession -BastionResourceId $h.BastionResourceId -SessionId $bad -Force @Common } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,BastionSession.Cmdlets.DisconnectBastionSessionCommand'
        }
        (Get-DisconnectCount) | Should -Be 0
        $errors = $null
        $r = @('not a session id', 'also/bad' | Disconnect-BastionSession -BastionResourceId $h.BastionResourceId -Force @Common -ErrorVariable errors -ErrorAction SilentlyContinue)
        $r | Should -BeNullOrEmpty
        @($errors).Count | Should -Be 2
        $errors | ForEach-Object { $_.FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationError,BastionSession.Cmdlets.DisconnectBastionSessionCommand' }
        (Get-DisconnectCount) | Should -Be 0
    }
}

Describe 'Per-id results are always written (issue 23 point 5)' {
    BeforeAll {
        $scenario = @{
            settings      = @{ polls = 0 }
            subscriptions = @(@{
                    subscriptionId = $Sub
                    resourceGroups = @(@{
                            name  = 'rg-x'
                            hosts = @(
                                @{ name = 'bh-ok'; sessions = @(@{ userName = 'alice@contoso.com' }) }
                                @{ name = 'bh-locked'; behaviour = 'forbidden'; sessions = @(@{ userName = 'bob@contoso.com' }, @{ userName = 'carol@contoso.com' }) }
                            )
                        })
                })
        }
        $path = Join-Path $TestDrive 'locked.json'
        $scenario | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $path -Encoding UTF8
        $script:Locked = Start-TestEmulator -ArgumentList @('--scenario', $path)
    }
    AfterAll { if ($script:Locked) { Stop-TestEmulator $script:Locked } }

    It 'a host whose every id Failed (403 on that host) still writes each id''s result, plus one error for that host' {
        $c = @{ AccessToken = $Locked.Token; ArmEndpoint = $Locked.BaseUrl }
        $items = @(Get-EmulatorSession $Locked | ForEach-Object { [pscustomobject]@{ SessionId = $_.SessionId; BastionResourceId = $_.BastionResourceId } })
        $errors = $null
        $r = @($items | Disconnect-BastionSession -Force @c -ErrorVariable errors -ErrorAction SilentlyContinue)
        $r.Count | Should -Be 3
        @($r | Where-Object BastionName -eq 'bh-locked' | ForEach-Object State) | Should -Be @('Failed', 'Failed')
        @($errors).Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionAuthorizationFailed,BastionSession.Cmdlets.DisconnectBastionSessionCommand'
        $errors[0].TargetObject | Should -Match '/bastionHosts/bh-locked$'
    }
}
