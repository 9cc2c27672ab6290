<#
    Get-BastionSession end to end: the built module, the real native library and the ARM
    emulator. Every parameter set, the pipeline shapes users rely on, typed output, client
    side filters, a failing host among healthy ones, -Verbose/-Debug/progress.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Saved = Set-TestCredentialEnvironment
    Import-Module (Get-BuiltModulePath) -Force
    $script:Sub = '00000000-0000-0000-0000-000000000001'
    $script:Emulator = Start-TestEmulator -ArgumentList @('--hosts', '4', '--sessions-per-host', '3', '--hosts-per-group', '2', '--polls', '1', '--retry-after', '1')
    $script:Common = @{ AccessToken = $Emulator.Token; ArmEndpoint = $Emulator.BaseUrl }
    $script:Truth = @(Get-EmulatorSession $Emulator)
    $script:Hosts = @($Truth | Group-Object BastionResourceId | ForEach-Object { $_.Group[0] } | Sort-Object BastionResourceId)
}

AfterAll {
    if ($script:Emulator) { Stop-TestEmulator $script:Emulator }
    Restore-TestEnvironment $script:Saved
}

Describe 'Get-BastionSession parameter sets' {
    It 'the emulator scenario has several hosts with sessions (precondition)' {
        $Truth.Count | Should -BeGreaterOrEqual 8
        $Hosts.Count | Should -BeGreaterOrEqual 2
    }

    It 'BySubscription (default): every session of every host in the subscription' {
        $sessions = @(Get-BastionSession -SubscriptionId $Sub @Common -ErrorAction Stop)
        @($sessions.SessionId | Sort-Object) | Should -Be @($Truth.SessionId | Sort-Object)
    }

    It 'a bare Get-BastionSession takes the subscription from AZURE_SUBSCRIPTION_ID' {
        $env:AZURE_SUBSCRIPTION_ID = $Sub
        try {
            $sessions = @(Get-BastionSession @Common -ErrorAction Stop)
        } finally { $env:AZURE_SUBSCRIPTION_ID = $null }
        $sessions.Count | Should -Be $Truth.Count
    }

    It 'ByResourceGroup: only the hosts of that group' {
        $rg = $Hosts[0].BastionResourceGroupName
        $expected = @($Truth | Where-Object BastionResourceGroupName -eq $rg)
        $sessions = @(Get-BastionSession -ResourceGroupName $rg -SubscriptionId $Sub @Common -ErrorAction Stop)
        @($sessions.SessionId | Sort-Object) | Should -Be @($expected.SessionId | Sort-Object)
        $sessions.BastionResourceGroupName | Sort-Object -Unique | Should -Be $rg
    }

    It 'ByName: one host' {
        $h = $Hosts[0]
        $sessions = @(Get-BastionSession -ResourceGroupName $h.BastionResourceGroupName -Name $h.BastionName -SubscriptionId $Sub @Common -ErrorAction Stop)
        @($sessions.SessionId | Sort-Object) | Should -Be @($Truth | Where-Object BastionResourceId -eq $h.BastionResourceId | ForEach-Object SessionId | Sort-Object)
    }

    It 'ByName: the BastionName alias and several names' {
        $same = @($Hosts | Where-Object BastionResourceGroupName -eq $Hosts[0].BastionResourceGroupName)
        $sessions = @(Get-BastionSession -ResourceGroupName $same[0].BastionResourceGroupName -BastionName $same.BastionName -SubscriptionId $Sub @Common -ErrorAction Stop)
        $sessions.Count | Should -Be @($Truth | Where-Object { $same.BastionResourceId -contains $_.BastionResourceId }).Count
    }

    It 'ByResourceId: ids, and the Id alias' {
        $sessions = @(Get-BastionSession -ResourceId $Hosts[0].BastionResourceId, $Hosts[1].BastionResourceId @Common -ErrorAction Stop)
        $sessions.Count | Should -Be @($Truth | Where-Object { $_.BastionResourceId -in @($Hosts[0].BastionResourceId, $Hosts[1].BastionResourceId) }).Count
        @(Get-BastionSession -Id $Hosts[1].BastionResourceId @Common -ErrorAction Stop).Count | Should -Be @($Truth | Where-Object BastionResourceId -eq $Hosts[1].BastionResourceId).Count
    }
}

Describe 'Get-BastionSession pipeline input' {
    It 'Get-AzBastion-shaped objects (Id, Name, ResourceGroupName) pipe in' {
        $objects = $Hosts | ForEach-Object { [pscustomobject]@{ Id = $_.BastionResourceId; Name = $_.BastionName; ResourceGroupName = $_.BastionResourceGroupName; Location = 'westeurope' } }
        $sessions = @($objects | Get-BastionSession @Common -ErrorAction Stop)
        @($sessions.SessionId | Sort-Object) | Should -Be @($Truth.SessionId | Sort-Object)
    }

    It 'objects with ResourceGroupName and Name pipe in' {
        $objects = $Hosts | ForEach-Object { [pscustomobject]@{ ResourceGroupName = $_.BastionResourceGroupName; Name = $_.BastionName } }
        $sessions = @($objects | Get-BastionSession -SubscriptionId $Sub @Common -ErrorAction Stop)
        $sessions.Count | Should -Be $Truth.Count
    }

    It 'strings pipe in by property name as resource ids (Session objects feed back in)' {
        $first = @(Get-BastionSession -ResourceId $Hosts[0].BastionResourceId @Common -ErrorAction Stop)
        $again = @($first | Get-BastionSession @Common -ErrorAction Stop)
        @($again.SessionId | Sort-Object -Unique) | Should -Be @($first.SessionId | Sort-Object)
    }

    It 'gathers piped hosts and makes one native call for all of them' {
        $objects = $Hosts | ForEach-Object { [pscustomobject]@{ Id = $_.BastionResourceId } }
        # Operation ids are -Debug's (issue 22, point 9); -Verbose names the hosts.
        $records = @($objects | Get-BastionSession @Common -Verbose -Debug -ErrorAction Stop 4>&1 5>&1)
        $debug = @($records | Where-Object { $_ -is [System.Management.Automation.DebugRecord] })
        $verbose = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })
        @($debug | Where-Object { $_.Message -match 'bastion_get_sessions: started operation' }).Count | Should -Be 1
        ($verbose.Message -join "`n") | Should -Match ("for {0} Bastion host" -f $Hosts.Count)
    }

    It 'writes sessions as each host answers (the first arrives before the last host is done)' {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $first = $null
        $null = Get-BastionSession -SubscriptionId $Sub @Common -ThrottleLimit 1 | ForEach-Object { if ($null -eq $first) { $first = $sw.Elapsed } }
        $total = $sw.Elapsed
        $first | Should -Not -BeNullOrEmpty
        $first | Should -BeLessThan $total
    }
}

Describe 'Get-BastionSession output objects' {
    BeforeAll {
        $script:Sessions = @(Get-BastionSession -SubscriptionId $Sub @Common -ErrorAction Stop)
        $script:One = $Sessions[0]
    }

    It 'are BastionSession.Session objects' {
        $One | Should -BeOfType ([BastionSession.Session])
        $One.PSObject.TypeNames[0] | Should -Be 'BastionSession.Session'
    }

    It 'have every documented property' {
        $names = ($One | Get-Member -MemberType Property).Name
        foreach ($p in 'SessionId', 'UserName', 'TargetHostName', 'TargetIpAddress', 'Protocol', 'ResourceType', 'StartTime', 'Duration', 'SessionDurationInMins',
            'TargetResourceId', 'TargetResourceGroup', 'TargetSubscriptionId', 'BastionName', 'BastionResourceGroupName', 'BastionSubscriptionId', 'BastionResourceId') {
            $names | Should -Contain $p
        }
    }

    It 'have a [DateTimeOffset] StartTime in UTC (the emulator''s instant) and a [timespan] Duration' {
        foreach ($s in $Sessions | Where-Object { $null -ne $_.StartTime }) {
            $s.StartTime | Should -BeOfType [DateTimeOffset]
            $s.StartTime.Offset | Should -Be ([TimeSpan]::Zero)
            $t = $Truth | Where-Object SessionId -eq $s.SessionId
            $s.StartTime.UtcDateTime | Should -Be $t.StartTime
            $s.Duration | Should -BeOfType [timespan]
        }
        @($Sessions | Where-Object { $null -ne $_.StartTime }).Count | Should -BeGreaterThan 0
    }

    It 'match the emulator''s truth field by field' {
        foreach ($s in $Sessions) {
            $t = $Truth | Where-Object SessionId -eq $s.SessionId
            $s.UserName | Should -Be ([string]$t.UserName)
            $s.TargetHostName | Should -Be $t.TargetHostName
            $s.Protocol | Should -Be $t.Protocol
            $s.BastionResourceId | Should -Be $t.BastionResourceId
            $s.BastionName | Should -Be $t.BastionName
            $s.BastionSubscriptionId | Should -Be $Sub
        }
    }

    It 'render in the default table view without error' {
        { $Sessions | Format-Table | Out-String } | Should -Not -Throw
        ($Sessions | Format-Table | Out-String -Width 200) | Should -Match 'BastionName'
    }
}

Describe 'Get-BastionSession filters' {
    It '-UserName with wildcards' {
        $user = ($Truth | Where-Object { $_.UserName } | Select-Object -First 1).UserName
        $pattern = '*' + $user.Substring(1)
        $sessions = @(Get-BastionSession -SubscriptionId $Sub @Common -UserName $pattern -ErrorAction Stop)
        $sessions.Count | Should -Be @($Truth | Where-Object { $_.UserName -like $pattern }).Count
        $sessions.Count | Should -BeGreaterThan 0
    }

    It '-UserName '''' matches the sessions without a user name, and is not an error' {
        $sessions = @(Get-BastionSession -SubscriptionId $Sub @Common -UserName '' -ErrorAction Stop)
        $sessions.Count | Should -Be @($Truth | Where-Object { [string]::IsNullOrEmpty($_.UserName) }).Count
        $sessions | ForEach-Object { $_.UserName | Should -BeNullOrEmpty }
    }

    It '-TargetHostName and -Protocol' {
        $t = $Truth[0]
        $sessions = @(Get-BastionSession -SubscriptionId $Sub @Common -TargetHostName $t.TargetHostName -Protocol $t.Protocol -ErrorAction Stop)
        $sessions.Count | Should -Be @($Truth | Where-Object { $_.TargetHostName -eq $t.TargetHostName -and $_.Protocol -eq $t.Protocol }).Count
        $sessions | ForEach-Object { $_.Protocol | Should -Be $t.Protocol }
    }

    It '-OlderThan keeps the sessions that have lasted longer' {
        $all = @(Get-BastionSession -SubscriptionId $Sub @Common -ErrorAction Stop)
        $median = ($all.Duration | Sort-Object)[[int]($all.Count / 2)]
        $sessions = @(Get-BastionSession -SubscriptionId $Sub @Common -OlderThan $median -ErrorAction Stop)
        $sessions.Count | Should -Be @($all | Where-Object { $_.Duration -gt $median }).Count
        $sessions | ForEach-Object { $_.Duration | Should -BeGreaterThan $median }
    }

    It '-SubscriptionId $a,$b -UserName ''*@contoso.com'' -OlderThan 1:00:00 runs across subscriptions' {
        $second = '00000000-0000-0000-0000-0000000000ff'
        $errors = $null
        $sessions = @(Get-BastionSession -SubscriptionId $Sub, $second -UserName '*@contoso.com' -OlderThan 1:00:00 @Common -ErrorVariable errors -ErrorAction SilentlyContinue)
        $sessions | ForEach-Object { $_.UserName | Should -BeLike '*@contoso.com'; $_.Duration | Should -BeGreaterThan ([timespan]'01:00:00') }
        $expected = @($Truth | Where-Object { $_.UserName -like '*@contoso.com' -and $_.AgeMinutes -gt 61 })
        $sessions.Count | Should -BeGreaterOrEqual $expected.Count
        $sessions.Count | Should -BeGreaterThan 0
        # One native call for both; the subscription that does not exist is one
        # non-terminating error naming it, and the other's hosts were still queried.
        @($errors).Count | Should -Be 1
        $errors[0].ErrorDetails.Message | Should -BeLike "Get-BastionSession for subscription ${second}:*"
        $errors[0].FullyQualifiedErrorId | Should -BeLike 'Bastion*NotFound,BastionSession.Cmdlets.GetBastionSessionCommand'
    }

    It '-ResourceGroupName over two subscriptions: the one without the group is one error, the other still answers' {
        $second = '00000000-0000-0000-0000-0000000000ff'
        $rg = $Hosts[0].BastionResourceGroupName
        $errors = $null
        $sessions = @(Get-BastionSession -ResourceGroupName $rg -SubscriptionId $second, $Sub @Common -ErrorVariable errors -ErrorAction SilentlyContinue)
        $expected = @($Truth | Where-Object { $_.BastionResourceGroupName -eq $rg })
        $sessions.Count | Should -Be $expected.Count
        @($errors).Count | Should -Be 1
        $errors[0].ErrorDetails.Message | Should -BeLike "Get-BastionSession for resource group '$rg' of subscription ${second}:*"
    }
}

Describe 'Get-BastionSession with a failing host among healthy ones' {
    It 'writes a non-terminating BastionHostNotFound error and still answers for the others' {
        $h = $Hosts[0]
        $errors = $null
        $sessions = @(Get-BastionSession -ResourceGroupName $h.BastionResourceGroupName -Name $h.BastionName, 'no-such-bastion' -SubscriptionId $Sub @Common -ErrorVariable errors -ErrorAction SilentlyContinue)
        $sessions.Count | Should -Be @($Truth | Where-Object BastionResourceId -eq $h.BastionResourceId).Count
        @($errors).Count | Should -Be 1
        $errors[0].FullyQualifiedErrorId | Should -Be 'BastionHostNotFound,BastionSession.Cmdlets.GetBastionSessionCommand'
        $errors[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $errors[0].Exception | Should -BeOfType ([BastionSession.BastionNativeException])
        $errors[0].Exception.Error.HttpStatus | Should -Be 404
        $errors[0].ToString() | Should -Match 'no-such-bastion'
        $errors[0].ToString() | Should -Match 'HTTP (status: )?404'
        $errors[0].ToString() | Should -Match ([regex]::Escape($errors[0].Exception.Error.ArmCode))
        $errors[0].ToString() | Should -Match ([regex]::Escape($errors[0].Exception.Error.RequestId))
        # The host's resource id is the TargetObject (issue 22 point 7); the error's fields stay on the exception.
        $errors[0].TargetObject | Should -Match '/bastionHosts/no-such-bastion$'
        $errors[0].Exception.Error.Kind | Should -Be 'notFound'
    }
}

Describe 'Get-BastionSession over many pages of one host' {
    BeforeAll {
        # Seven sessions per host in pages of two: four pages each. bh-1's every nextLink
        # points to the page it is on, so it fails on its second page, after two pages read.
        $script:Paged = Start-TestEmulator -ArgumentList @('--hosts', '2', '--sessions-per-host', '7', '--page-size', '2', '--polls', '0', '--host-behaviour', 'bh-1=nextLinkLoop')
        $script:PagedCommon = @{ AccessToken = $Paged.Token; ArmEndpoint = $Paged.BaseUrl }
        $script:PagedTruth = @(Get-EmulatorSession $Paged)
        $script:PagedHost = @($PagedTruth | Where-Object BastionName -eq 'bh-0')[0]
        $script:LoopingHost = @($PagedTruth | Where-Object BastionName -eq 'bh-1')[0]
    }

    AfterAll {
        if ($script:Paged) { Stop-TestEmulator $script:Paged }
    }

    It 'yields every session of a multi-page host exactly once' {
        $expected = @($PagedTruth | Where-Object BastionResourceId -eq $PagedHost.BastionResourceId)
        $expected.Count | Should -Be 7
        $sessions = @(Get-BastionSession -ResourceId $PagedHost.BastionResourceId @PagedCommon -ErrorAction Stop -Debug 5>&1 | Where-Object { $_ -is [BastionSession.Session] -or ($_ -is [System.Management.Automation.DebugRecord] -and $_.Message -match 'read page') })
        $pages = @($sessions | Where-Object { $_ -is [System.Management.Automation.DebugRecord] })
        $sessions = @($sessions | Where-Object { $_ -is [BastionSession.Session] })
        $pages.Count | Should -Be 4
        $sessions.Count | Should -Be 7
        @($sessions.SessionId | Sort-Object -Unique).Count | Should -Be 7
        @($sessions.SessionId | Sort-Object) | Should -Be @($expected.SessionId | Sort-Object)
        $sessions | ForEach-Object { $_.BastionResourceId | Should -Be $PagedHost.BastionResourceId }
    }

    It 'reading ahead (the cmdlet''s way of polling) serves every page''s sessions exactly once, also with a limit below one page' {
        $request = @{ operationId = 'read-ahead-' + [guid]::NewGuid().ToString('N'); credential = @{ type = 'accessToken'; token = $Paged.Token }; armEndpoint = $Paged.BaseUrl; hosts = @(@{ resourceId = $PagedHost.BastionResourceId }); streamResults = $true }
        $op = [BastionSession.Native]::StartRequest('bastion_get_sessions', $request)
        # One session may wait: the thread stops after each page until it is taken.
        $op.ReadAhead(1)
        $sessions = [System.Collections.Generic.List[object]]::new()
        $hostResults = 0
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        do {
            $finished = $op.Wait(25)
            foreach ($e in $op.Poll()) {
                if ($e.Type -eq 'hostSessionsPage') { $sessions.AddRange([object[]]$e.HostSessionsOutcome.Sessions) }
                if ($e.Type -eq 'hostResult') { $hostResults++ }
            }
        } until ($finished -or [DateTime]::UtcNow -gt $deadline)
        $finished | Should -BeTrue
        @($op.Poll()).Count | Should -Be 0
        $op.StopReading()
        $hostResults | Should -Be 1
        $sessions.Count | Should -Be 7
        @($sessions.SessionId | Sort-Object) | Should -Be @($PagedTruth | Where-Object BastionResourceId -eq $PagedHost.BastionResourceId | ForEach-Object SessionId | Sort-Object)
        $op.GetHostSessionsOutcomes().Count | Should -Be 1
    }

    It 'a read-ahead stopped before its events were taken ends, and the call still returns' {
        $request = @{ operationId = 'read-ahead-stop-' + [guid]::NewGuid().ToString('N'); credential = @{ type = 'accessToken'; token = $Paged.Token }; armEndpoint = $Paged.BaseUrl; hosts = @(@{ resourceId = $PagedHost.BastionResourceId }); streamResults = $true }
        $op = [BastionSession.Native]::StartRequest('bastion_get_sessions', $request)
        $op.ReadAhead(1)
        Start-Sleep -Milliseconds 200
        $op.StopReading()
        $op.Wait(15000) | Should -BeTrue
        $op.IsCompleted | Should -BeTrue
        $op.GetHostSessionsOutcomes()[0].Ok | Should -BeTrue
    }

    It 'a host failing mid-pages yields its earlier pages'' sessions once, then one error' {
        $errors = $null
        $sessions = @(Get-BastionSession -ResourceId $LoopingHost.BastionResourceId @PagedCommon -ErrorVariable errors -ErrorAction SilentlyContinue)
        # Pages 1 and 2 (two sessions each) were read before the loop was detected on page 2's nextLink.
        $sessions.Count | Should -Be 4
        @($sessions.SessionId | Sort-Object -Unique).Count | Should -Be 4
        $truthIds = @($PagedTruth | Where-Object BastionResourceId -eq $LoopingHost.BastionResourceId | ForEach-Object SessionId)
        $sessions | ForEach-Object { $truthIds | Should -Contain $_.SessionId }
        @($errors).Count | Should -Be 1
        $errors[0].Exception | Should -BeOfType ([BastionSession.BastionNativeException])
        $errors[0].Exception.Error.Kind | Should -Be 'invalidResponse'
        $errors[0].ToString() | Should -Match 'nextLink loop'
        $errors[0].ToString() | Should -Match 'bh-1'
    }

    It 'both hosts in one call: every healthy session once, the failing host''s first pages, one error' {
        $errors = $null
        $sessions = @(Get-BastionSession -ResourceId $PagedHost.BastionResourceId, $LoopingHost.BastionResourceId @PagedCommon -ErrorVariable errors -ErrorAction SilentlyContinue)
        $sessions.Count | Should -Be 11
        @($sessions | ForEach-Object { '{0}|{1}' -f $_.BastionResourceId, $_.SessionId } | Sort-Object -Unique).Count | Should -Be 11
        @($sessions | Where-Object BastionName -eq 'bh-0').Count | Should -Be 7
        @($errors).Count | Should -Be 1
    }
}

Describe 'Get-BastionSession -Verbose, -Debug and progress' {
    It '-Verbose says what is called, and per host its sessions, time and the 202 polls it waited through' {
        $h = $Hosts[0]
        $verbose = @(Get-BastionSession -ResourceId $h.BastionResourceId @Common -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message -join "`n"
        $verbose | Should -Match 'calling bastion_get_sessions \(getActiveSessions\)'
        $verbose | Should -Match 'with credentials from the -AccessToken parameter'
        $verbose | Should -Match ("Bastion host '{0}' \({1}\): \d+ session\(s\) listed in [\d.]+ s, \d+ polls?\b" -f $h.BastionName, $h.BastionResourceGroupName)
    }

    It '-Debug shows the HTTP requests, never the Authorization value' {
        $h = $Hosts[0]
        $debug = @(Get-BastionSession -ResourceId $h.BastionResourceId @Common -Debug 5>&1 | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Message -join "`n"
        $debug | Should -Match 'HTTP POST .*getActiveSessions'
        $debug | Should -Not -Match ([regex]::Escape($Emulator.Token))
    }

    It 'reports Write-Progress over many hosts' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($m, $sub, $common)
                    Import-Module $m
                    $ProgressPreference = 'Continue'
                    Get-BastionSession -SubscriptionId $sub @common
                }).AddArgument((Get-BuiltModulePath)).AddArgument($Sub).AddArgument($Common)
            $out = $ps.Invoke()
            $out.Count | Should -Be $Truth.Count
            $progress = @($ps.Streams.Progress)
            $progress.Count | Should -BeGreaterThan 0
            ($progress | Where-Object { $_.StatusDescription -match "of $($Hosts.Count) Bastion hosts done" }).Count | Should -BeGreaterThan 0
            ($progress | Where-Object { $_.RecordType -eq 'Completed' }).Count | Should -BeGreaterThan 0
        } finally { $ps.Dispose() }
    }
}

Describe 'Get-BastionSession in a fresh session' {
    It 'lists, with progress, and pipes to Disconnect-BastionSession -WhatIf without loading another module' {
        # Microsoft.PowerShell.Utility (New-Object, Select-Object, Write-Verbose, Write-Progress
        # ...) costs a fresh session's first call about 35 ms to load: the module's code uses
        # [type]::new and the cmdlet's own Write* methods instead.
        # The child lists its modules with .NET's sort: Sort-Object would load Utility itself.
        $script = "`$ErrorActionPreference = 'Stop'; `$ProgressPreference = 'Continue'; function Get-ModuleNames { `$n = [string[]]@(Get-Module | Where-Object { `$_.Name -ne 'BastionSession' } | ForEach-Object { `$_.Name }); [Array]::Sort(`$n); `$n -join ',' }; " +
            "'BEFORE=' + (Get-ModuleNames); Import-Module '$(Get-BuiltModulePath)'; " +
            "`$sessions = @(Get-BastionSession -SubscriptionId $Sub -AccessToken '$($Emulator.Token)' -ArmEndpoint '$($Emulator.BaseUrl)'); 'COUNT=' + `$sessions.Count; " +
            "`$sessions | Disconnect-BastionSession -WhatIf -AccessToken '$($Emulator.Token)' -ArmEndpoint '$($Emulator.BaseUrl)'; " +
            "'AFTER=' + (Get-ModuleNames); 'HAS=' + [bool](Get-Module BastionSession)"
        $r = Invoke-ChildPwsh -Script $script
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $r.StdOut | Should -Match "COUNT=$($Truth.Count)\r?\n"
        @($r.StdOut -split "`n" | Where-Object { $_ -match 'What if:' }).Count | Should -Be $Hosts.Count
        # The modules loaded besides BastionSession are those loaded before it (none in pwsh).
        $before = [regex]::Match($r.StdOut, 'BEFORE=(.*?)\r?\n').Groups[1].Value
        $after = [regex]::Match($r.StdOut, 'AFTER=(.*?)\r?\n').Groups[1].Value
        $r.StdOut | Should -Match 'HAS=True'
        $r.StdOut | Should -Match 'BEFORE=.*\r?\n(.|\n)*AFTER='
        $after | Should -Be $before
    }
}

Describe 'Tab completion' {
    It 'completes -ResourceGroupName and -Name from the hosts of the subscription' {
        $prefix = "Get-BastionSession -SubscriptionId $Sub -AccessToken '$($Emulator.Token)' -ArmEndpoint '$($Emulator.BaseUrl)' "
        $line = $prefix + '-ResourceGroupName '
        $groups = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        @($groups | Sort-Object) | Should -Be @($Hosts.BastionResourceGroupName | Sort-Object -Unique)
        $rg = $Hosts[0].BastionResourceGroupName
        $line = $prefix + "-ResourceGroupName $rg -Name "
        $names = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        @($names | Sort-Object) | Should -Be @($Hosts | Where-Object BastionResourceGroupName -eq $rg | ForEach-Object BastionName | Sort-Object)
    }
}

Describe 'Issue 22, point 1: -OlderThan cannot mean ticks' {
    BeforeAll {
        $script:Forms = @('8:00:00', '(New-TimeSpan -Hours 8)', "'8h'", "'90m'", "'1d'")
        function script:Get-Refusal([hashtable] $Arguments) {
            # Before any request: the emulator sees no getActiveSessions for a refused call.
            $before = Get-StatCount (Get-EmulatorStats $Emulator) 'getActiveSessions'
            $record = $null
            try { $null = Get-BastionSession -SubscriptionId $Sub @Common @Arguments -ErrorAction Stop } catch { $record = $_ }
            (Get-StatCount (Get-EmulatorStats $Emulator) 'getActiveSessions') | Should -Be $before -Because 'a refused -OlderThan must list nothing'
            $record
        }
    }

    It '-OlderThan 8 (a bare number, which PowerShell reads as 8 ticks) is refused, showing the forms that work' {
        $record = Get-Refusal @{ OlderThan = 8 }
        $record | Should -Not -BeNullOrEmpty -Because '-OlderThan 8 must not select every session'
        $record.FullyQualifiedErrorId | Should -Be 'ParameterArgumentTransformationError,BastionSession.Cmdlets.GetBastionSessionCommand'
        $record.Exception.Message | Should -BeLike "*parameter 'OlderThan'*ticks*"
        foreach ($form in $Forms) { $record.Exception.Message | Should -BeLike "*$form*" }
    }

    It 'a number as text (''8'', which [TimeSpan] reads as 8 days) and 2.5 are refused too' {
        foreach ($value in '8', 2.5) {
            $record = Get-Refusal @{ OlderThan = $value }
            $record.FullyQualifiedErrorId | Should -Be 'ParameterArgumentTransformationError,BastionSession.Cmdlets.GetBastionSessionCommand' -Because "-OlderThan $value"
        }
    }

    It 'a TimeSpan under one second, however it was made, is refused as the parameter''s validation error' {
        foreach ($value in ([timespan]8), [timespan]::FromMilliseconds(999), [timespan]::Zero, '00:00:00.5') {
            $record = Get-Refusal @{ OlderThan = $value }
            $record.FullyQualifiedErrorId | Should -Be 'ParameterArgumentValidationError,BastionSession.Cmdlets.GetBastionSessionCommand' -Because "-OlderThan $value"
            $record.Exception.Message | Should -BeLike "*parameter 'OlderThan'*under one second*"
            foreach ($form in $Forms) { $record.Exception.Message | Should -BeLike "*$form*" }
        }
    }

    It 'duration strings with units (''1h'', ''90m'', ''1h30m'', ''1d'', ''3600s'') mean what they say' {
        $all = @(Get-BastionSession -SubscriptionId $Sub @Common -ErrorAction Stop)
        foreach ($case in @(@('1h', '01:00:00'), @('90m', '01:30:00'), @('1h30m', '01:30:00'), @('1d', '1.00:00:00'), @('3600s', '01:00:00'), @('1:00:00', '01:00:00'))) {
            $expected = @($all | Where-Object { $_.Duration -gt [timespan]$case[1] } | ForEach-Object SessionId | Sort-Object)
            $got = @(Get-BastionSession -SubscriptionId $Sub @Common -OlderThan $case[0] -ErrorAction Stop | ForEach-Object SessionId | Sort-Object)
            $got | Should -Be $expected -Because "-OlderThan '$($case[0])' is $($case[1])"
        }
    }
}

Describe 'Issue 22, point 2: StartTime compares correctly with Get-Date in any time zone' {
    BeforeAll {
        # Ages far from the two-hour line, so the run's own seconds cannot move a session across it.
        $subZ = '00000000-0000-0000-0000-0000000000a2'
        $ages = 20, 70, 150, 400, 1500
        $i = 0
        $sessions = foreach ($age in $ages) {
            $i++
            [ordered]@{ sessionId = ('0000a2a2-0000-4000-8000-{0:d12}' -f $i); userName = "user$i@contoso.com"; targetHostName = "vm-$i"; targetIpAddress = "10.2.0.$i"; protocol = 'SSH'; resourceType = 'VM'
                targetResourceId = "/subscriptions/$subZ/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachines/vm-$i"; startedMinutesAgo = $age }
        }
        $scenario = [ordered]@{ settings = @{ polls = 0 }; subscriptions = @([ordered]@{ subscriptionId = $subZ; resourceGroups = @([ordered]@{ name = 'rg-tz'; hosts = @([ordered]@{ name = 'bas-tz'; sessions = @($sessions) }) }) }) }
        $path = Join-Path $TestDrive 'tz-scenario.json'
        $scenario | ConvertTo-Json -Depth 10 | Set-Content -LiteralPath $path -Encoding UTF8
        $script:Zoned = Start-TestEmulator -ArgumentList @('--scenario', $path)
        $script:ZonedSub = $subZ
        $script:Older = @('0000a2a2-0000-4000-8000-000000000003', '0000a2a2-0000-4000-8000-000000000004', '0000a2a2-0000-4000-8000-000000000005')
    }

    AfterAll {
        if ($script:Zoned) { Stop-TestEmulator $script:Zoned }
    }

    # TZ sets the zone of .NET on Linux and macOS only; Windows (the wine lane) reads the
    # registry, so there the test would run in one zone and prove nothing: skipped, visibly.
    It 'under TZ=<Zone>: Where-Object StartTime -lt (Get-Date).AddHours(-2) selects exactly the sessions Duration -gt 02:00:00 and -OlderThan 2:00:00 select' -Skip:$IsWindows -ForEach @(
        @{ Zone = 'America/Los_Angeles'; West = $true }
        @{ Zone = 'Asia/Tokyo'; West = $false }
    ) {
        $script = "`$ErrorActionPreference = 'Stop'; Import-Module '$(Get-BuiltModulePath)'; " +
            "'OFFSET=' + [TimeZoneInfo]::Local.GetUtcOffset([DateTime]::UtcNow).TotalHours; " +
            "`$all = @(Get-BastionSession -SubscriptionId $ZonedSub -AccessToken '$($Zoned.Token)' -ArmEndpoint '$($Zoned.BaseUrl)'); " +
            "'COUNT=' + `$all.Count; " +
            "'BYSTART=' + ((`$all | Where-Object StartTime -lt (Get-Date).AddHours(-2) | ForEach-Object SessionId | Sort-Object) -join ','); " +
            "'BYDURATION=' + ((`$all | Where-Object Duration -gt '02:00:00' | ForEach-Object SessionId | Sort-Object) -join ','); " +
            "'BYFILTER=' + ((Get-BastionSession -SubscriptionId $ZonedSub -AccessToken '$($Zoned.Token)' -ArmEndpoint '$($Zoned.BaseUrl)' -OlderThan 2:00:00 | ForEach-Object SessionId | Sort-Object) -join ','); " +
            "'NEWER=' + ((`$all | Where-Object { `$_.StartTime -gt (Get-Date).AddMinutes(-30) } | ForEach-Object SessionId) -join ','); " +
            "'CSV=' + ((`$all | Select-Object -First 1 | ConvertTo-Csv -NoTypeInformation | Select-Object -Last 1)); " +
            "'TABLE=' + ((`$all | Select-Object -First 1 | Format-Table | Out-String -Width 200) -replace '\r?\n', ' ')"
        $r = Invoke-ChildPwsh -Script $script -Environment @{ TZ = $Zone }
        $r.ExitCode | Should -Be 0 -Because $r.StdErr
        $value = { param($key) [regex]::Match($r.StdOut, "(?m)^$key=(.*?)\r?$").Groups[1].Value }
        # The child really ran in that zone (west of UTC is negative).
        $offset = [double](& $value 'OFFSET')
        if ($West) { $offset | Should -BeLessThan 0 } else { $offset | Should -BeGreaterThan 0 }
        (& $value 'COUNT') | Should -Be '5'
        $expected = $Older -join ','
        (& $value 'BYDURATION') | Should -Be $expected
        (& $value 'BYSTART') | Should -Be $expected -Because "StartTime must compare as an instant under TZ=$Zone"
        (& $value 'BYFILTER') | Should -Be $expected
        (& $value 'NEWER') | Should -Be '0000a2a2-0000-4000-8000-000000000001'
        # Exported with its offset; the table's StartTime column with its zone.
        (& $value 'CSV') | Should -Match '\+00:00"'
        (& $value 'TABLE') | Should -Match '\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z'
    }
}

Describe 'Issue 22, point 6: every parameter is completable, and -Name alone does not prompt' {
    It 'Get-BastionSession -Resource<Tab> offers -ResourceGroupName and -ResourceId' {
        $line = 'Get-BastionSession -Resource'
        $offered = @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText)
        $offered | Should -Contain '-ResourceGroupName'
        $offered | Should -Contain '-ResourceId'
    }

    It 'Get-BastionSession -<Tab> lists every parameter, the common ones included' {
        $line = 'Get-BastionSession -'
        $offered = @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText)
        foreach ($name in (Get-Command Get-BastionSession).Parameters.Keys) { $offered | Should -Contain "-$name" }
        foreach ($name in 'ResourceGroupName', 'Name', 'Verbose', 'ErrorAction') { $offered | Should -Contain "-$name" }
    }

    It 'Get-AzBastion-shaped objects (Id, Name, ResourceGroupName) still resolve to ByResourceId' {
        $objects = @([pscustomobject]@{ Id = $Hosts[0].BastionResourceId; Name = 'not-used'; ResourceGroupName = 'not-used-either' })
        $sessions = @($objects | Get-BastionSession @Common -ErrorAction Stop)
        @($sessions.SessionId | Sort-Object) | Should -Be @($Truth | Where-Object BastionResourceId -eq $Hosts[0].BastionResourceId | ForEach-Object SessionId | Sort-Object)
    }

    It '-Name alone is one clear error naming -ResourceGroupName, not a prompt' {
        # A [powershell] without a host UI: a prompt for a mandatory parameter would fail as MissingMandatoryParameter.
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($m, $common)
                    Import-Module $m
                    Get-BastionSession -Name bh-0 @common
                }).AddArgument((Get-BuiltModulePath)).AddArgument($Common)
            $record = $null
            try { $null = $ps.Invoke() } catch { $record = $_.Exception.InnerException.ErrorRecord }
            if ($null -eq $record -and $ps.Streams.Error.Count) { $record = $ps.Streams.Error[0] }
            $record | Should -Not -BeNullOrEmpty
            $record.FullyQualifiedErrorId | Should -Be 'BastionResourceGroupNameRequired,BastionSession.Cmdlets.GetBastionSessionCommand'
            $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $record.Exception.Message | Should -BeLike '*-ResourceGroupName*-ResourceId*'
        } finally { $ps.Dispose() }
    }
}

Describe 'Issue 22, point 9: -Verbose for people' {
    BeforeAll {
        $script:Many = Start-TestEmulator -ArgumentList @('--hosts', '200', '--sessions-per-host', '1', '--hosts-per-group', '20', '--polls', '1', '--retry-after', '1')
        $script:ManyCommon = @{ AccessToken = $Many.Token; ArmEndpoint = $Many.BaseUrl }
    }

    AfterAll {
        if ($script:Many) { Stop-TestEmulator $script:Many }
    }

    It 'over 200 hosts: one line per host (name, sessions, time, polls), a summary, a bounded rest, no operation id' {
        $records = @(Get-BastionSession -SubscriptionId $Sub @ManyCommon -Verbose -ErrorAction Stop 4>&1)
        $sessions = @($records | Where-Object { $_ -is [BastionSession.Session] })
        $lines = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $sessions.Count | Should -Be 200
        $hostLines = @($lines | Where-Object { $_ -match "^Bastion host '(bh-\d+)' \((rg-\d+)\): 1 session\(s\) listed in \d+\.\d s, \d+ polls?$" })
        $hostLines.Count | Should -Be 200 -Because ($lines | Select-Object -First 12 | Out-String)
        @($hostLines | Sort-Object -Unique).Count | Should -Be 200
        $summary = @($lines | Where-Object { $_ -match '^Get-BastionSession: 200 Bastion host\(s\), 200 session\(s\), 0 error\(s\), in \d+\.\d s$' })
        $summary.Count | Should -Be 1
        ($lines.Count - $hostLines.Count) | Should -BeLessOrEqual 5 -Because ($lines | Where-Object { $hostLines -notcontains $_ } | Out-String)
        $lines | Should -Not -Match 'operation [0-9a-f-]{8,}|/subscriptions/'
    }

    It 'after a refused connection: no "0 Bastion host(s)" found, and the summary counts the error' {
        $records = @(Get-BastionSession -SubscriptionId $Sub -AccessToken $Many.Token -ArmEndpoint 'http://127.0.0.1:1' -TimeoutSec 20 -Verbose -ErrorAction SilentlyContinue 4>&1)
        $lines = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $lines | Should -Not -Match '(Discovered|Found) 0 Bastion host'
        @($lines | Where-Object { $_ -match '^Get-BastionSession: 0 Bastion host\(s\), 0 session\(s\), [1-9]\d* error\(s\)' }).Count | Should -Be 1
    }

    It 'Disconnect-BastionSession''s verbose speaks of disconnecting, not of listing' {
        $one = @(Get-BastionSession -ResourceGroupName rg-0 -Name bh-0 -SubscriptionId $Sub @ManyCommon -ErrorAction Stop)
        $one.Count | Should -Be 1
        $lines = @($one | Disconnect-BastionSession -Force @ManyCommon -Verbose -ErrorAction Stop 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $lines | Should -Not -Match '(?i)querying|listed|listing'
        @($lines | Where-Object { $_ -match "^Bastion host 'bh-0' \(rg-0\): 1 session\(s\) answered for by the disconnect in " }).Count | Should -Be 1
    }
}
