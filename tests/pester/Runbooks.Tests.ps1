<#
    The runbooks in examples/runbooks/, run against the ARM emulator the way Azure Automation
    runs them: no sign-in code, the module's credential chain finds a managed identity through
    IDENTITY_ENDPOINT/IDENTITY_HEADER (here the emulator's /_emulator/msi/token), and
    AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential keeps the chain away from everything
    else (IMDS is never reached). Assertions read the emulator's own view of the world
    (GET /_emulator/sessions, /_emulator/stats), not only what the runbooks print.
#>

BeforeDiscovery {
    $script:RunbookFiles = @(
        @{ Name = 'Disconnect-StaleBastionSessions.ps1' }
        @{ Name = 'Export-BastionSessionReport.ps1' }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:RunbookDir = Join-Path (Get-RepoRoot) 'examples/runbooks'
    $script:Subscription = '00000000-0000-0000-0000-0000000000aa'
    $script:ModulePath = Get-BuiltModulePath

    function script:New-RunbookScenario {
        <#
        An emulator scenario (format: tests/emulator/src/scenario.rs) with sessions of known
        ages on three hosts in two resource groups: alice and an empty user name (Entra ID
        native client) have old sessions, breakglass has one old session that the disconnect
        runbook is told to spare, and rg-ops/bas-ops has young ones only. -ForbiddenHost
        makes that host answer 403 AuthorizationFailed to everything.
        #>
        param([string] $SubscriptionId, [string] $ForbiddenHost)
        $counter = @{ n = 0 }
        $session = {
            param([string] $User, [string] $Target, [string] $Protocol, [string] $Kind, [int] $AgeMinutes)
            $counter.n++
            $rid = if ($Kind -eq 'VMSS') {
                "/subscriptions/$SubscriptionId/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachineScaleSets/$($Target -replace '_\d+$')/virtualMachines/0"
            } else {
                "/subscriptions/$SubscriptionId/resourceGroups/rg-vms/providers/Microsoft.Compute/virtualMachines/$Target"
            }
            [ordered]@{
                sessionId = '{0:x8}-0000-4000-8000-{0:x12}' -f (0xb00c + $counter.n); userName = $User
                targetHostName = $Target; targetIpAddress = '10.9.0.{0}' -f $counter.n; protocol = $Protocol
                resourceType = $Kind; targetResourceGroup = 'rg-vms'; targetResourceId = $rid; startedMinutesAgo = $AgeMinutes
            }
        }
        $bastion = {
            param([string] $Name, [string] $Sku, [object[]] $Sessions)
            [ordered]@{ name = $Name; sku = $Sku; behaviour = $(if ($Name -eq $ForbiddenHost) { 'forbidden' } else { 'normal' }); sessions = @($Sessions) }
        }
        [ordered]@{
            settings      = @{ polls = 1; retryAfter = 1 }
            subscriptions = @(
                [ordered]@{
                    subscriptionId = $SubscriptionId
                    resourceGroups = @(
                        [ordered]@{ name = 'rg-hub'; hosts = @(
                                (& $bastion 'bas-hub-weu' 'Standard' @(
                                    (& $session 'alice@contoso.com' 'vm-a1' 'SSH' 'VM' 700)
                                    (& $session 'alice@contoso.com' 'vm-a2' 'RDP' 'VM' 30)
                                    (& $session '' 'vm-jump' 'RDP' 'VM' 300)
                                    (& $session 'breakglass@contoso.com' 'vm-core' 'SSH' 'VM' 200)))
                                (& $bastion 'bas-hub-neu' 'Premium' @(
                                    (& $session 'bob@contoso.com' 'vmss-web_0' 'SSH' 'VMSS' 150)
                                    (& $session 'bob@contoso.com' 'vm-b2' 'SSH' 'VM' 20)
                                    (& $session '' 'vm-b3' 'RDP' 'VM' 10)
                                    (& $session 'erin@contoso.com' 'vm-e1' 'RDP' 'VM' 400)))
                            )
                        }
                        [ordered]@{ name = 'rg-ops'; hosts = @(
                                (& $bastion 'bas-ops' 'Basic' @(
                                    (& $session 'carol@contoso.com' 'vm-c1' 'SSH' 'VM' 60)
                                    (& $session 'dave@contoso.com' 'vm-d1' 'RDP' 'VM' 90)))
                            )
                        }
                    )
                }
            )
        }
    }

    function script:Start-RunbookEmulator {
        param([string] $ForbiddenHost)
        $path = Join-Path $TestDrive ('scenario-{0}.json' -f [guid]::NewGuid())
        New-RunbookScenario -SubscriptionId $Subscription -ForbiddenHost $ForbiddenHost | ConvertTo-Json -Depth 12 |
            Set-Content -LiteralPath $path -Encoding UTF8
        Start-TestEmulator -ArgumentList @('--scenario', $path)
    }

    function script:Invoke-Runbook {
        <#
        Runs a runbook in a fresh pwsh with the BUILT module imported (no Az.Accounts: the
        module's own chain must find the identity) and what an Azure Automation cloud job
        sees: a managed identity endpoint and its header. AZURE_TOKEN_CREDENTIALS pins the
        chain to the managed identity, so nothing else is tried and IMDS (169.254.169.254) is
        never reached. The child gets them as real process environment variables, as a job
        does. Returns @{ Output = <objects or CSV lines>; Errors = <messages> }.
        #>
        param([string] $Name, [hashtable] $Parameters = @{}, $Target = $script:Emulator)
        $environment = @{
            IDENTITY_ENDPOINT       = "$($Target.BaseUrl)/_emulator/msi/token"
            IDENTITY_HEADER         = 'emulator-identity-header'
            AZURE_TOKEN_CREDENTIALS = 'ManagedIdentityCredential'
            NO_PROXY                = '127.0.0.1,localhost'
        }
        foreach ($variable in 'MSI_ENDPOINT', 'MSI_SECRET', 'IMDS_ENDPOINT', 'IDENTITY_SERVER_THUMBPRINT', 'AZURE_CLIENT_ID',
            'AZURE_CLIENT_SECRET', 'AZURE_TENANT_ID', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_FEDERATED_TOKEN_FILE',
            'AZURE_SUBSCRIPTION_ID', 'HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'BASTION_SESSION_NATIVE_PATH') {
            $environment[$variable] = $null
        }
        $all = @{} + $Parameters
        $all['SubscriptionId'] = $Subscription
        $all['ArmEndpoint'] = $Target.BaseUrl
        $resultPath = Join-Path $TestDrive ('result-{0}.json' -f [guid]::NewGuid())
        $quote = { param($text) "'" + ($text -replace "'", "''") + "'" }
        $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module $(& $quote $ModulePath)
`$parameters = $(& $quote ($all | ConvertTo-Json -Compress)) | ConvertFrom-Json -AsHashtable
`$errors = `$null
`$output = @(& $(& $quote (Join-Path $RunbookDir $Name)) @parameters -ErrorVariable errors -ErrorAction SilentlyContinue)
@{ Output = `$output; Errors = @(`$errors | ForEach-Object { `$_.ToString() }) } | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $(& $quote $resultPath) -Encoding UTF8
"@
        $child = Invoke-ChildPwsh -Script $script -Environment $environment -TimeoutSec 120
        if ($child.ExitCode -ne 0 -or -not (Test-Path -LiteralPath $resultPath)) {
            throw "runbook $Name failed in the child pwsh (exit $($child.ExitCode)): $($child.StdErr) $($child.StdOut)"
        }
        $result = Get-Content -LiteralPath $resultPath -Raw | ConvertFrom-Json
        [pscustomobject]@{ Output = @($result.Output); Errors = @($result.Errors); StdErr = $child.StdErr }
    }

    $script:Saved = Set-TestCredentialEnvironment
    $script:Emulator = Start-RunbookEmulator
}

AfterAll {
    if ($script:Emulator) { Stop-TestEmulator $script:Emulator }
    Restore-TestEnvironment $script:Saved
}

Describe 'Runbook <Name> is Windows PowerShell 5.1 syntax' -ForEach $RunbookFiles {
    It 'parses and uses no PowerShell 7-only syntax (?:, ??, ?., &&, ||, -Parallel, clean{})' {
        $path = Join-Path (Join-Path $PSScriptRoot '../../examples/runbooks') $Name
        $tokens = $null; $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile($path, [ref] $tokens, [ref] $errors)
        $errors | Should -BeNullOrEmpty
        $ps7Only = $ast.FindAll({
                param($node)
                $type = $node.GetType().Name
                $type -in 'TernaryExpressionAst', 'PipelineChainAst' -or
                ($node -is [System.Management.Automation.Language.BinaryExpressionAst] -and $node.Operator -in 'QuestionQuestion') -or
                ($node -is [System.Management.Automation.Language.AssignmentStatementAst] -and $node.Operator -eq 'QuestionQuestionEquals') -or
                ($node -is [System.Management.Automation.Language.MemberExpressionAst] -and $node.NullConditional) -or
                ($node -is [System.Management.Automation.Language.CommandParameterAst] -and $node.ParameterName -eq 'Parallel')
            }, $true)
        @($ps7Only | ForEach-Object { "$($_.Extent.StartLineNumber): $($_.Extent.Text)" }) | Should -BeNullOrEmpty
        $ast.EndBlock | Should -Not -BeNullOrEmpty
        @($ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.NamedBlockAst] -and $n.BlockKind -eq 'Clean' }, $true)) | Should -BeNullOrEmpty
    }
}

Describe 'Export-BastionSessionReport.ps1 under a managed identity' {
    BeforeAll {
        Reset-TestEmulator $Emulator
        $script:Truth = @(Get-EmulatorSession $Emulator)
        $script:StatsBefore = Get-EmulatorStats $Emulator
        $script:CsvPath = Join-Path $TestDrive 'report.csv'
        $script:Run = Invoke-Runbook 'Export-BastionSessionReport.ps1' @{ Path = $CsvPath }
        $script:CsvLines = @($Run.Output)
        $script:StatsAfter = Get-EmulatorStats $Emulator
        $script:Rows = @($CsvLines | ConvertFrom-Csv)
    }

    It 'ran without errors' {
        $Run.Errors | Should -BeNullOrEmpty
    }

    It 'got its token from the managed identity endpoint' {
        (Get-StatCount $StatsAfter 'msiToken') | Should -BeGreaterThan (Get-StatCount $StatsBefore 'msiToken')
    }

    It 'asked every Bastion host once and changed nothing' {
        $hosts = @($Truth | ForEach-Object { $_.BastionResourceId } | Sort-Object -Unique)
        ((Get-StatCount $StatsAfter 'getActiveSessions') - (Get-StatCount $StatsBefore 'getActiveSessions')) | Should -Be $hosts.Count
        ((Get-StatCount $StatsAfter 'disconnectActiveSessions') - (Get-StatCount $StatsBefore 'disconnectActiveSessions')) | Should -Be 0
        @(Get-EmulatorSession $Emulator).Count | Should -Be $Truth.Count
    }

    It 'writes CSV text to the output stream with the expected columns' {
        $CsvLines[0] | Should -Be '"BastionSubscriptionId","BastionResourceGroupName","BastionName","UserName","Sessions","SSH","RDP","Targets","OldestStartUtc","LongestMinutes","TotalMinutes"'
    }

    It 'has one row per user and Bastion host, with the emulator''s counts' {
        $expected = @($Truth | Group-Object { '{0}|{1}|{2}' -f $_.BastionResourceGroupName, $_.BastionName, $_.UserName } | Sort-Object Name)
        $Rows.Count | Should -Be $expected.Count
        foreach ($group in $expected) {
            $first = $group.Group[0]
            $row = @($Rows | Where-Object { $_.BastionResourceGroupName -eq $first.BastionResourceGroupName -and $_.BastionName -eq $first.BastionName -and $_.UserName -eq $first.UserName })
            $row.Count | Should -Be 1 -Because "one row for $($group.Name)"
            [int] $row[0].Sessions | Should -Be $group.Count
            [int] $row[0].SSH | Should -Be @($group.Group | Where-Object Protocol -eq 'SSH').Count
            [int] $row[0].RDP | Should -Be @($group.Group | Where-Object Protocol -eq 'RDP').Count
            $row[0].Targets | Should -Be ((@($group.Group | ForEach-Object TargetHostName | Sort-Object -Unique)) -join ';')
            $row[0].BastionSubscriptionId | Should -Be $Subscription
        }
    }

    It 'reports the session without a user name (Entra ID native client) as an empty UserName' {
        @($Truth | Where-Object { -not $_.UserName }).Count | Should -BeGreaterThan 0
        $blank = @($Rows | Where-Object { $_.UserName -eq '' })
        $blank.Count | Should -BeGreaterThan 0
        ($blank | Measure-Object -Property Sessions -Sum).Sum | Should -Be @($Truth | Where-Object { -not $_.UserName }).Count
    }

    It 'reports the oldest start and the longest duration per row' {
        $alice = @($Truth | Where-Object { $_.UserName -eq 'alice@contoso.com' -and $_.BastionName -eq 'bas-hub-weu' })
        $row = $Rows | Where-Object { $_.UserName -eq 'alice@contoso.com' -and $_.BastionName -eq 'bas-hub-weu' }
        $oldest = ($alice | Sort-Object StartTime | Select-Object -First 1).StartTime.ToUniversalTime()
        ([datetime]::Parse($row.OldestStartUtc, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::AdjustToUniversal)) |
            Should -BeGreaterOrEqual $oldest.AddSeconds(-1)
        ([datetime]::Parse($row.OldestStartUtc, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::AdjustToUniversal)) |
            Should -BeLessOrEqual $oldest.AddSeconds(1)
        [double] $row.LongestMinutes | Should -BeGreaterThan 600
    }

    It 'writes the same CSV to -Path' {
        Test-Path -LiteralPath $CsvPath | Should -BeTrue
        $fromFile = @(Import-Csv -LiteralPath $CsvPath)
        $fromFile.Count | Should -Be $Rows.Count
        ($fromFile | ConvertTo-Csv -NoTypeInformation) -join "`n" | Should -Be (($Rows | ConvertTo-Csv -NoTypeInformation) -join "`n")
    }

    It '-Detail gives one row per session with the emulator''s session ids' {
        $detail = @((Invoke-Runbook 'Export-BastionSessionReport.ps1' @{ Detail = $true }).Output | ConvertFrom-Csv)
        @($detail.SessionId | Sort-Object) | Should -Be @($Truth.SessionId | Sort-Object)
        @($detail | Where-Object { $_.UserName -eq '' }).Count | Should -Be @($Truth | Where-Object { -not $_.UserName }).Count
    }

    It '-Quiet with -Path writes only the file; -MinAge keeps the old sessions only' {
        $path = Join-Path $TestDrive 'old.csv'
        (Invoke-Runbook 'Export-BastionSessionReport.ps1' @{ Path = $path; Quiet = $true; MinAge = '120'; Detail = $true }).Output | Should -BeNullOrEmpty
        $old = @(Import-Csv -LiteralPath $path)
        @($old.SessionId | Sort-Object) | Should -Be @($Truth | Where-Object { $_.AgeMinutes -gt 120 } | ForEach-Object SessionId | Sort-Object)
    }
}

Describe 'Disconnect-StaleBastionSessions.ps1 under a managed identity' {
    Context '-WhatIf' {
        BeforeAll {
            Reset-TestEmulator $Emulator
            $script:Before = @(Get-EmulatorSession $Emulator)
            $script:StatsBefore = Get-EmulatorStats $Emulator
            $script:Run = Invoke-Runbook 'Disconnect-StaleBastionSessions.ps1' @{ MaxAge = '02:00:00'; WhatIf = $true }
            $script:Output = @($Run.Output)
            $script:After = @(Get-EmulatorSession $Emulator)
            $script:StatsAfter = Get-EmulatorStats $Emulator
        }

        It 'disconnects nothing: the emulator holds the same sessions and saw no disconnect call' {
            @($After.SessionId | Sort-Object) | Should -Be @($Before.SessionId | Sort-Object)
            ((Get-StatCount $StatsAfter 'disconnectActiveSessions') - (Get-StatCount $StatsBefore 'disconnectActiveSessions')) | Should -Be 0
        }

        It 'ran without errors' {
            $Run.Errors | Should -BeNullOrEmpty
        }

        It 'writes one summary that says what would have been disconnected' {
            $Output.Count | Should -Be 1
            $summary = $Output[0]
            $stale = @($Before | Where-Object { $_.AgeMinutes -gt 120 })
            $summary.WhatIf | Should -BeTrue
            $summary.SessionsFound | Should -Be $Before.Count
            $summary.SessionsStale | Should -Be $stale.Count
            $summary.WouldDisconnect | Should -Be $stale.Count
            $summary.Disconnected | Should -Be 0
            @($summary.HostsFailed) | Should -BeNullOrEmpty
        }
    }

    Context '-ReportOnly (for the Automation portal, which cannot pass -WhatIf)' {
        It 'disconnects nothing and reports like -WhatIf' {
            Reset-TestEmulator $Emulator
            $before = @(Get-EmulatorSession $Emulator)
            $run = Invoke-Runbook 'Disconnect-StaleBastionSessions.ps1' @{ MaxAge = '02:00:00'; ReportOnly = $true }
            @((Get-EmulatorSession $Emulator).SessionId | Sort-Object) | Should -Be @($before.SessionId | Sort-Object)
            (Get-StatCount (Get-EmulatorStats $Emulator) 'disconnectActiveSessions') | Should -Be 0
            $summary = @($run.Output)[-1]
            $summary.WhatIf | Should -BeTrue
            $summary.WouldDisconnect | Should -Be @($before | Where-Object { $_.AgeMinutes -gt 120 }).Count
        }
    }

    Context 'for real, with an excluded user' {
        BeforeAll {
            Reset-TestEmulator $Emulator
            $script:Before = @(Get-EmulatorSession $Emulator)
            $script:StatsBefore = Get-EmulatorStats $Emulator
            $script:Run = Invoke-Runbook 'Disconnect-StaleBastionSessions.ps1' @{ MaxAge = '120'; ExcludeUserName = 'breakglass*' }
            $script:Output = @($Run.Output)
            $script:After = @(Get-EmulatorSession $Emulator)
            $script:StatsAfter = Get-EmulatorStats $Emulator
            $script:Expected = @($Before | Where-Object { $_.AgeMinutes -gt 120 -and $_.UserName -notlike 'breakglass*' })
        }

        It 'removes exactly the stale sessions of the users not excluded' {
            $Expected.Count | Should -Be 4
            @($After.SessionId | Sort-Object) | Should -Be @($Before | Where-Object { $Expected.SessionId -notcontains $_.SessionId } | ForEach-Object SessionId | Sort-Object)
            @($After | Where-Object { $_.AgeMinutes -gt 120 } | ForEach-Object UserName) | Should -Be @($Before | Where-Object { $_.AgeMinutes -gt 120 -and $_.UserName -like 'breakglass*' } | ForEach-Object UserName)
        }

        It 'sent one disconnect request per Bastion host that had stale sessions' {
            $hosts = @($Expected | ForEach-Object BastionResourceId | Sort-Object -Unique)
            ((Get-StatCount $StatsAfter 'disconnectActiveSessions') - (Get-StatCount $StatsBefore 'disconnectActiveSessions')) | Should -Be $hosts.Count
        }

        It 'ran without errors' {
            $Run.Errors | Should -BeNullOrEmpty
        }

        It 'summarises the outcome per state' {
            $Output.Count | Should -Be 1
            $summary = $Output[0]
            $summary.WhatIf | Should -BeFalse
            $summary.SessionsStale | Should -Be $Expected.Count
            $summary.SessionsExcluded | Should -Be 1
            $summary.Disconnected | Should -Be $Expected.Count
            $summary.States.Disconnected | Should -Be $Expected.Count
            $summary.StateSummary | Should -Be "Disconnected=$($Expected.Count)"
            @($summary.HostsFailed) | Should -BeNullOrEmpty
        }

        It 'finds nothing more to do on a second run' {
            $again = @((Invoke-Runbook 'Disconnect-StaleBastionSessions.ps1' @{ MaxAge = '02:00:00'; ExcludeUserName = 'breakglass*' }).Output)
            $again[-1].SessionsStale | Should -Be 0
            $again[-1].StateSummary | Should -Be 'none'
        }
    }

    Context 'a host that fails' {
        BeforeAll {
            # A second emulator whose bas-hub-neu answers 403 AuthorizationFailed.
            $script:Broken = Start-RunbookEmulator -ForbiddenHost 'bas-hub-neu'
            $script:Before = @(Get-EmulatorSession $Broken)
            $script:Run = Invoke-Runbook 'Disconnect-StaleBastionSessions.ps1' @{ MaxAge = '02:00:00' } -Target $Broken
            $script:After = @(Get-EmulatorSession $Broken)
        }

        AfterAll {
            if ($script:Broken) { Stop-TestEmulator $script:Broken }
        }

        It 'names the failed host in the summary and in the error stream' {
            $summary = @($Run.Output)[-1]
            @($summary.HostsFailed) -join ' ' | Should -Match 'bas-hub-neu'
            @($Run.Errors).Count | Should -BeGreaterThan 0
            ($Run.Errors -join ' ') | Should -Match 'bastionHosts/getactivesessions/action'
        }

        It 'still disconnects the stale sessions on the other hosts' {
            $expected = @($Before | Where-Object { $_.AgeMinutes -gt 120 -and $_.BastionName -ne 'bas-hub-neu' })
            $expected.Count | Should -BeGreaterThan 0
            @($Run.Output)[-1].Disconnected | Should -Be $expected.Count
            @($After | Where-Object { $expected.SessionId -contains $_.SessionId }) | Should -BeNullOrEmpty
            @($After | Where-Object BastionName -eq 'bas-hub-neu').Count | Should -Be @($Before | Where-Object BastionName -eq 'bas-hub-neu').Count
        }
    }
}

Describe 'The runbooks refuse an age under one second before anything is sent (issue 22 item 1)' {
    BeforeAll {
        # An emulator of its own: if a guard ever let a run through, the sessions it would
        # disconnect are not the ones the other blocks count on.
        $script:Guarded = Start-RunbookEmulator

        function script:Get-RequestCount {
            <#
            Every request the emulator has answered, managed identity tokens included; not
            the test's own /_emulator/ calls (counted under 'emulator', if at all).
            #>
            param($Target)
            $stats = Get-EmulatorStats $Target
            $sum = 0
            foreach ($operation in @($stats.byOperation.PSObject.Properties)) {
                if ($operation.Name -ne 'emulator') { $sum += [int] $operation.Value.total }
            }
            $sum
        }

        function script:Invoke-RunbookCommand {
            <#
            Runs one runbook in a fresh pwsh as Invoke-Runbook does (built module, managed
            identity), but with its arguments as PowerShell text ('-MaxAge ([TimeSpan]8)'), so
            they bind the way a person's typing binds, and with its terminating error caught.
            Returns @{ Output; ErrorId; Category; Message }.
            #>
            param([string] $Name, [string] $Arguments, $Target)
            $environment = @{
                IDENTITY_ENDPOINT       = "$($Target.BaseUrl)/_emulator/msi/token"
                IDENTITY_HEADER         = 'emulator-identity-header'
                AZURE_TOKEN_CREDENTIALS = 'ManagedIdentityCredential'
                NO_PROXY                = '127.0.0.1,localhost'
            }
            foreach ($variable in 'MSI_ENDPOINT', 'MSI_SECRET', 'IMDS_ENDPOINT', 'IDENTITY_SERVER_THUMBPRINT', 'AZURE_CLIENT_ID',
                'AZURE_CLIENT_SECRET', 'AZURE_TENANT_ID', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_FEDERATED_TOKEN_FILE',
                'AZURE_SUBSCRIPTION_ID', 'HTTPS_PROXY', 'HTTP_PROXY', 'https_proxy', 'http_proxy', 'BASTION_SESSION_NATIVE_PATH') {
                $environment[$variable] = $null
            }
            $resultPath = Join-Path $TestDrive ('guard-{0}.json' -f [guid]::NewGuid())
            $quote = { param($text) "'" + ($text -replace "'", "''") + "'" }
            $script = @"
Import-Module $(& $quote $ModulePath)
`$result = @{ Output = @(); ErrorId = `$null; Category = `$null; Message = `$null }
try {
    `$result.Output = @(& $(& $quote (Join-Path $RunbookDir $Name)) -SubscriptionId $(& $quote $Subscription) -ArmEndpoint $(& $quote $Target.BaseUrl) $Arguments)
} catch {
    `$result.ErrorId = `$_.FullyQualifiedErrorId
    `$result.Category = [string] `$_.CategoryInfo.Category
    `$result.Message = `$_.ToString()
}
`$result | ConvertTo-Json -Depth 6 | Set-Content -LiteralPath $(& $quote $resultPath) -Encoding UTF8
"@
            $child = Invoke-ChildPwsh -Script $script -Environment $environment -TimeoutSec 120
            if (-not (Test-Path -LiteralPath $resultPath)) { throw "runbook $Name did not finish in the child pwsh (exit $($child.ExitCode)): $($child.StdErr)" }
            Get-Content -LiteralPath $resultPath -Raw | ConvertFrom-Json
        }
    }

    AfterAll {
        if ($script:Guarded) { Stop-TestEmulator $script:Guarded }
    }

    It '<Name> <Arguments>: stops with <ErrorId>, showing the forms that work, and sends no request' -ForEach @(
        # [TimeSpan]8 is 8 ticks: the runbook receives '00:00:00.0000008'.
        @{ Name = 'Disconnect-StaleBastionSessions.ps1'; Arguments = '-MaxAge ([TimeSpan]8)'; ErrorId = 'MaxAgeNotUsable'; Forms = @("'8:00:00'", '(New-TimeSpan -Hours 8)') }
        # 0.001 minutes: 60 ms.
        @{ Name = 'Disconnect-StaleBastionSessions.ps1'; Arguments = "-MaxAge '0.001'"; ErrorId = 'MaxAgeNotUsable'; Forms = @("'8:00:00'", '(New-TimeSpan -Hours 8)') }
        @{ Name = 'Disconnect-StaleBastionSessions.ps1'; Arguments = "-MaxAge '-00:05:00'"; ErrorId = 'MaxAgeNotUsable'; Forms = @("'8:00:00'", '(New-TimeSpan -Hours 8)') }
        @{ Name = 'Disconnect-StaleBastionSessions.ps1'; Arguments = "-MaxAge 'eight hours'"; ErrorId = 'MaxAgeNotUsable'; Forms = @("'8:00:00'", '(New-TimeSpan -Hours 8)') }
        @{ Name = 'Export-BastionSessionReport.ps1'; Arguments = '-MinAge ([TimeSpan]2)'; ErrorId = 'MinAgeNotUsable'; Forms = @("'2:00:00'", '(New-TimeSpan -Hours 2)') }
    ) {
        $before = Get-RequestCount $Guarded
        $sessions = @(Get-EmulatorSession $Guarded).Count
        $run = Invoke-RunbookCommand -Name $Name -Arguments $Arguments -Target $Guarded
        $run.ErrorId | Should -BeLike "$ErrorId,*"
        $run.Category | Should -Be 'InvalidArgument'
        $run.Message | Should -Match 'one second'
        foreach ($form in $Forms) { $run.Message | Should -Match ([regex]::Escape($form)) }
        @($run.Output) | Should -BeNullOrEmpty
        (Get-RequestCount $Guarded) | Should -Be $before -Because 'nothing may be listed, disconnected or even authenticated'
        @(Get-EmulatorSession $Guarded).Count | Should -Be $sessions
    }

    It 'Disconnect-StaleBastionSessions.ps1 <Arguments>: a form the error names is accepted as 8 hours' -ForEach @(
        @{ Arguments = '-MaxAge 8:00:00 -WhatIf' }
        @{ Arguments = '-MaxAge (New-TimeSpan -Hours 8) -WhatIf' }
    ) {
        $run = Invoke-RunbookCommand -Name 'Disconnect-StaleBastionSessions.ps1' -Arguments $Arguments -Target $Guarded
        $run.Message | Should -BeNullOrEmpty
        $summary = @($run.Output)[-1]
        # The summary comes back through JSON: MaxAge is an object with the TimeSpan's fields.
        [long] $summary.MaxAge.Ticks | Should -Be ([TimeSpan]::FromHours(8).Ticks)
        $summary.WhatIf | Should -BeTrue
    }
}
