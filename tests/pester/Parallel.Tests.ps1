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
