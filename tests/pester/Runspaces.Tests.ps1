#Requires -Version 7.0
<#
    No races: eight runspaces of one pwsh process (ForEach-Object -Parallel -ThrottleLimit 8)
    call the cmdlets at the same time, through the one native library and its one runtime.
    Every runspace must get exactly its own answer (compared with the emulator's truth), a
    failing host in one runspace must not leak into the others, and parallel disconnects must
    account for every session exactly once.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:ModulePath = Get-BuiltModulePath
    $script:Saved = Set-TestCredentialEnvironment
    # 16 hosts (bh-0 .. bh-15 in rg-0 and rg-1), 6 sessions each; a little latency so the
    # calls really overlap.
    $script:Emulator = Start-TestEmulator -ArgumentList @(
        '--hosts', '16', '--sessions-per-host', '6', '--hosts-per-group', '8',
        '--latency-ms', '5', '--retry-after', '0', '--page-size', '4',
        '--host-behaviour', 'bh-13=forbidden')
    $script:Sub = '00000000-0000-0000-0000-000000000001'

    function Get-TruthByHost {
        $byHost = @{}
        foreach ($s in Get-EmulatorSession $script:Emulator) {
            $key = $s.BastionName
            if (-not $byHost.ContainsKey($key)) { $byHost[$key] = New-Object System.Collections.Generic.List[string] }
            $byHost[$key].Add($s.SessionId)
        }
        $byHost
    }
}

AfterAll {
    Stop-TestEmulator $script:Emulator
    Restore-TestEnvironment $script:Saved
}

Describe 'eight runspaces calling at once' {
    It 'each runspace gets exactly its own hosts'' sessions, every time' {
        $truth = Get-TruthByHost
        $url = $script:Emulator.BaseUrl
        $token = $script:Emulator.Token
        $module = $script:ModulePath
        $sub = $script:Sub
        $answers = 0..7 | ForEach-Object -ThrottleLimit 8 -Parallel {
            Import-Module $using:module
            $i = $_
            # Two hosts per runspace, in different groups; one runspace also asks for the
            # forbidden host bh-13.
            $names = @("bh-$i", "bh-$($i + 8)")
            $rounds = foreach ($round in 1..4) {
                $errors = $null
                $sessions = @(Get-BastionSession -SubscriptionId $using:sub -ResourceGroupName ("rg-{0}" -f [int]($i -ge 8)) -Name "bh-$i" `
                        -ArmEndpoint $using:url -AccessToken $using:token -ErrorVariable errors -ErrorAction SilentlyContinue)
                $id = "/subscriptions/$($using:sub)/resourceGroups/rg-1/providers/Microsoft.Network/bastionHosts/bh-$($i + 8)"
                $more = @(Get-BastionSession -ResourceId $id -ArmEndpoint $using:url -AccessToken $using:token -ErrorVariable +errors -ErrorAction SilentlyContinue)
                [pscustomobject]@{
                    Round  = $round
                    ByHost = @($sessions + $more | Group-Object BastionName | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Ids = @($_.Group.SessionId | Sort-Object) } })
                    Errors = @($errors | ForEach-Object { $_.FullyQualifiedErrorId + ' | ' + $_.Exception.Message })
                }
            }
            [pscustomobject]@{ Index = $i; Names = $names; Rounds = @($rounds); Thread = [Environment]::CurrentManagedThreadId }
        }
        $answers.Count | Should -Be 8
        foreach ($a in $answers) {
            $a.Rounds.Count | Should -Be 4
            foreach ($r in $a.Rounds) {
                foreach ($name in $a.Names) {
                    if ($name -eq 'bh-13') {
                        @($r.ByHost | Where-Object Name -eq $name).Count | Should -Be 0
                        @($r.Errors | Where-Object { $_ -match 'bh-13|Forbidden|403|AuthorizationFailed' }).Count | Should -BeGreaterThan 0 -Because "runspace $($a.Index) asked for the forbidden host"
                        continue
                    }
                    $got = @($r.ByHost | Where-Object Name -eq $name)
                    $got.Count | Should -Be 1 -Because "runspace $($a.Index) round $($r.Round) must get $name"
                    $got[0].Ids | Should -Be @($truth[$name] | Sort-Object) -Because "runspace $($a.Index) round $($r.Round): $name"
                }
                # Nothing from another runspace's hosts.
                @($r.ByHost | Where-Object { $a.Names -notcontains $_.Name }).Count | Should -Be 0
                if ($a.Names -notcontains 'bh-13') { $r.Errors.Count | Should -Be 0 -Because ($r.Errors -join '; ') }
            }
        }
        # They really ran on several threads at once.
        @($answers.Thread | Sort-Object -Unique).Count | Should -BeGreaterThan 1
    }

    It 'parallel disconnects account for every session exactly once' {
        Reset-TestEmulator $script:Emulator
        $truth = Get-TruthByHost
        $url = $script:Emulator.BaseUrl
        $token = $script:Emulator.Token
        $module = $script:ModulePath
        $sub = $script:Sub
        $hosts = 0..15 | Where-Object { $_ -ne 13 }
        $results = $hosts | ForEach-Object -ThrottleLimit 8 -Parallel {
            Import-Module $using:module
            $group = 'rg-{0}' -f [int]($_ -ge 8)
            Get-BastionSession -SubscriptionId $using:sub -ResourceGroupName $group -Name "bh-$_" -ArmEndpoint $using:url -AccessToken $using:token |
                Disconnect-BastionSession -Force -ArmEndpoint $using:url -AccessToken $using:token
        }
        $expected = foreach ($h in $hosts) { $truth["bh-$h"] }
        $results.Count | Should -Be @($expected).Count
        @($results.SessionId | Sort-Object -Unique).Count | Should -Be @($expected).Count
        @($results | Where-Object State -ne 'Disconnected').Count | Should -Be 0
        # Only the forbidden host keeps its sessions.
        $left = Get-TruthByHost
        @($left.Keys) | Should -Be @('bh-13')
    }
}

Describe 'eight runspaces changing $env: while calls run' {
    It 'makes every call with the managed identity the environment names, and never crashes' {
        # The credential comes from the environment: the default chain narrowed to managed
        # identity, through the emulator's endpoint. Meanwhile every runspace keeps changing
        # variables under the prefixes the library reads (AZURE_, IDENTITY_, MSI_). With the
        # module copying $env: into the C environment (setenv) while the library's threads
        # read it, this was undefined behaviour in glibc; now the module sends the values with
        # each request and the library reads no process environment.
        $calls = if ($env:BASTION_ENV_RACE_CALLS) { [int]$env:BASTION_ENV_RACE_CALLS } else { 10000 }
        $perRunspace = [int][math]::Ceiling($calls / 8)
        # One answer per call (no LRO poll, one page), so 10,000 calls take minutes, not hours.
        $fast = Start-TestEmulator -ArgumentList @('--hosts', '8', '--sessions-per-host', '3', '--polls', '0')
        $url = $fast.BaseUrl
        $module = $script:ModulePath
        $sub = $script:Sub
        $truth = @{}
        foreach ($s in Get-EmulatorSession $fast) {
            if (-not $truth.ContainsKey($s.BastionName)) { $truth[$s.BastionName] = New-Object System.Collections.Generic.List[string] }
            $truth[$s.BastionName].Add($s.SessionId)
        }
        $saved = @{}
        foreach ($n in 'AZURE_TOKEN_CREDENTIALS', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER') { $saved[$n] = [Environment]::GetEnvironmentVariable($n) }
        $msiBefore = Get-StatCount (Get-EmulatorStats $fast) 'msiToken'
        try {
            $env:AZURE_TOKEN_CREDENTIALS = 'ManagedIdentityCredential'
            $env:IDENTITY_ENDPOINT = "$url/_emulator/msi/token"
            $env:IDENTITY_HEADER = 'emulator-identity-header'
            $results = 0..7 | ForEach-Object -ThrottleLimit 8 -Parallel {
                Import-Module $using:module
                $k = $_
                $byHost = $using:truth
                $want = @($byHost["bh-$k"] | Sort-Object) -join ','
                $bad = 0; $errors = 0; $count = $using:perRunspace; $endpoint = $using:url
                $id = @(Get-BastionSession -SubscriptionId $using:sub -ArmEndpoint $endpoint -AccessToken 'emulator-token' | Where-Object BastionName -eq "bh-$k")[0].BastionResourceId
                for ($i = 0; $i -lt $count; $i++) {
                    Set-Item -Path "env:AZURE_CHURN_$k" -Value "$i"
                    Set-Item -Path "env:IDENTITY_CHURN_$k" -Value ('x' * ($i % 50))
                    if ($i % 2) { Remove-Item -Path "env:MSI_CHURN_$k" -ErrorAction SilentlyContinue } else { Set-Item -Path "env:MSI_CHURN_$k" -Value "$i" }
                    $e = $null
                    $got = @(Get-BastionSession -ResourceId $id -ArmEndpoint $endpoint -ErrorVariable e -ErrorAction SilentlyContinue)
                    if ($e) { $errors++ }
                    if ((@($got.SessionId | Sort-Object) -join ',') -ne $want) { $bad++ }
                }
                foreach ($n in "AZURE_CHURN_$k", "IDENTITY_CHURN_$k", "MSI_CHURN_$k") { Remove-Item -Path "env:$n" -ErrorAction SilentlyContinue }
                [pscustomobject]@{ Runspace = $k; Calls = $count; Wrong = $bad; Errors = $errors }
            }
            $msiUsed = (Get-StatCount (Get-EmulatorStats $fast) 'msiToken') - $msiBefore
        } finally {
            foreach ($n in $saved.Keys) { [Environment]::SetEnvironmentVariable($n, $saved[$n]) }
            Stop-TestEmulator $fast
        }
        @($results).Count | Should -Be 8
        ($results | Measure-Object Calls -Sum).Sum | Should -BeGreaterOrEqual $calls
        ($results | Measure-Object Errors -Sum).Sum | Should -Be 0
        ($results | Measure-Object Wrong -Sum).Sum | Should -Be 0
        # The managed identity was really used (its token cached, so far fewer than the calls).
        $msiUsed | Should -BeGreaterThan 0
    }
}
