#Requires -Version 7.0
<#
    Bad input is refused clearly: every malformed, empty, oversized or hostile value given to
    Get-BastionSession / Disconnect-BastionSession is refused before any request, with an
    error that names the parameter and a message of reasonable size; nothing crashes or hangs.
    Names and ids (subscription ids, resource group and host names, resource ids) are refused
    by the core's rules alone, through the native library: the module binds them as given and
    shows the core's message as the parameter's ParameterArgumentValidationError.

    The endpoint is a loopback port where nothing listens, so a value that slipped through
    validation would fail on the network (and the test would see a network error instead of
    the refusal). 100,000 session ids and a loopback emulator check the large-input path
    end to end.
#>

BeforeDiscovery {
    $sub = '00000000-0000-0000-0000-000000000001'
    $hostId = "/subscriptions/$sub/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-0"
    $long = 'a' * 100000

    $script:GetCases = @(
        # -SubscriptionId
        @{ Case = 'subscription id not a GUID'; Parameter = 'SubscriptionId'; Arguments = @{ SubscriptionId = 'not-a-guid' } }
        @{ Case = 'subscription id one digit short'; Parameter = 'SubscriptionId'; Arguments = @{ SubscriptionId = '00000000-0000-0000-0000-00000000001' } }
        @{ Case = 'subscription id with a path'; Parameter = 'SubscriptionId'; Arguments = @{ SubscriptionId = "$sub/resourceGroups/x" } }
        @{ Case = 'subscription id empty'; Parameter = 'SubscriptionId'; Arguments = @{ SubscriptionId = '' } }
        @{ Case = 'subscription id 100,000 chars'; Parameter = 'SubscriptionId'; Arguments = @{ SubscriptionId = $long } }
        @{ Case = 'subscription id with a newline'; Parameter = 'SubscriptionId'; Arguments = @{ SubscriptionId = "$sub`n" } }
        # -ResourceId
        @{ Case = 'resource id truncated'; Parameter = 'ResourceId'; Arguments = @{ ResourceId = "/subscriptions/$sub/resourceGroups/rg-0" } }
        @{ Case = 'resource id of a VM'; Parameter = 'ResourceId'; Arguments = @{ ResourceId = "/subscriptions/$sub/resourceGroups/rg-0/providers/Microsoft.Compute/virtualMachines/vm-1" } }
        @{ Case = 'resource id with a bad subscription'; Parameter = 'ResourceId'; Arguments = @{ ResourceId = '/subscriptions/xyz/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-0' } }
        @{ Case = 'resource id with extra segments'; Parameter = 'ResourceId'; Arguments = @{ ResourceId = "$hostId/getActiveSessions" } }
        @{ Case = 'resource id empty'; Parameter = 'ResourceId'; Arguments = @{ ResourceId = '' } }
        @{ Case = 'resource id with .. as the name'; Parameter = 'ResourceId'; Arguments = @{ ResourceId = "/subscriptions/$sub/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/.." } }
        @{ Case = 'resource id with %2e%2e as the group'; Parameter = 'ResourceId'; Arguments = @{ ResourceId = "/subscriptions/$sub/resourceGroups/%2e%2e/providers/Microsoft.Network/bastionHosts/bh-0" } }
        @{ Case = 'resource id with a backslash name'; Parameter = 'ResourceId'; Arguments = @{ ResourceId = "/subscriptions/$sub/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh\..\x" } }
        @{ Case = 'resource id 100,000 chars'; Parameter = 'ResourceId'; Arguments = @{ ResourceId = "/subscriptions/$sub/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/$long" } }
        # -Name
        @{ Case = 'name empty'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = ''; SubscriptionId = $sub } }
        @{ Case = 'name 81 chars'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = ('b' * 81); SubscriptionId = $sub } }
        @{ Case = 'name 100,000 chars'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = $long; SubscriptionId = $sub } }
        @{ Case = 'name ..'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = '..'; SubscriptionId = $sub } }
        @{ Case = 'name with a slash'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = 'bh/../x'; SubscriptionId = $sub } }
        @{ Case = 'name with backslashes'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = 'bh\..\..\x'; SubscriptionId = $sub } }
        @{ Case = 'name with a query'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = 'bh?api-version=1'; SubscriptionId = $sub } }
        @{ Case = 'name with a tab'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = "bh`t0"; SubscriptionId = $sub } }
        @{ Case = 'name non-ASCII'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = 'bästion-主机'; SubscriptionId = $sub } }
        @{ Case = 'name one of many bad'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = @('bh-0', '%2e%2e'); SubscriptionId = $sub } }
        # -ResourceGroupName
        @{ Case = 'group empty'; Parameter = 'ResourceGroupName'; Arguments = @{ ResourceGroupName = ''; Name = 'bh-0'; SubscriptionId = $sub } }
        @{ Case = 'group 91 chars'; Parameter = 'ResourceGroupName'; Arguments = @{ ResourceGroupName = ('g' * 91); Name = 'bh-0'; SubscriptionId = $sub } }
        @{ Case = 'group 100,000 chars'; Parameter = 'ResourceGroupName'; Arguments = @{ ResourceGroupName = $long; SubscriptionId = $sub } }
        @{ Case = 'group ..'; Parameter = 'ResourceGroupName'; Arguments = @{ ResourceGroupName = '..'; SubscriptionId = $sub } }
        @{ Case = 'group with a slash'; Parameter = 'ResourceGroupName'; Arguments = @{ ResourceGroupName = 'rg/x'; Name = 'bh-0'; SubscriptionId = $sub } }
        @{ Case = 'group ending in a period'; Parameter = 'ResourceGroupName'; Arguments = @{ ResourceGroupName = 'rg.'; Name = 'bh-0'; SubscriptionId = $sub } }
        @{ Case = 'group with a newline'; Parameter = 'ResourceGroupName'; Arguments = @{ ResourceGroupName = "rg`n0"; Name = 'bh-0'; SubscriptionId = $sub } }
        # -TimeoutSec and the other numbers
        @{ Case = 'timeout 0'; Parameter = 'TimeoutSec'; Arguments = @{ ResourceId = $hostId; TimeoutSec = 0 } }
        @{ Case = 'timeout negative'; Parameter = 'TimeoutSec'; Arguments = @{ ResourceId = $hostId; TimeoutSec = -5 } }
        @{ Case = 'timeout Int32.MinValue'; Parameter = 'TimeoutSec'; Arguments = @{ ResourceId = $hostId; TimeoutSec = [int]::MinValue } }
        @{ Case = 'timeout over a day'; Parameter = 'TimeoutSec'; Arguments = @{ ResourceId = $hostId; TimeoutSec = 86401 } }
        @{ Case = 'throttle limit 0'; Parameter = 'ThrottleLimit'; Arguments = @{ ResourceId = $hostId; ThrottleLimit = 0 } }
        @{ Case = 'throttle limit negative'; Parameter = 'ThrottleLimit'; Arguments = @{ ResourceId = $hostId; ThrottleLimit = -1 } }
        @{ Case = 'throttle limit 257'; Parameter = 'ThrottleLimit'; Arguments = @{ ResourceId = $hostId; ThrottleLimit = 257 } }
        # the rest
        @{ Case = 'protocol Telnet'; Parameter = 'Protocol'; Arguments = @{ ResourceId = $hostId; Protocol = 'Telnet' } }
        @{ Case = 'OlderThan negative'; Parameter = 'OlderThan'; Arguments = @{ ResourceId = $hostId; OlderThan = [timespan]::FromHours(-1) } }
        @{ Case = 'environment unknown'; Parameter = 'Environment'; Arguments = @{ ResourceId = $hostId; Environment = 'AzureMars' } }
        @{ Case = 'endpoint ftp'; Parameter = 'ArmEndpoint'; Arguments = @{ ResourceId = $hostId; ArmEndpoint = 'ftp://127.0.0.1/' } }
        @{ Case = 'endpoint relative'; Parameter = 'ArmEndpoint'; Arguments = @{ ResourceId = $hostId; ArmEndpoint = 'management.azure.com' } }
        @{ Case = 'access token empty'; Parameter = 'AccessToken'; Arguments = @{ ResourceId = $hostId; AccessToken = '' } }
        @{ Case = 'access token a number'; Parameter = 'AccessToken'; Arguments = @{ ResourceId = $hostId; AccessToken = 42 } }
    )

    $script:DisconnectCases = @(
        @{ Case = 'host id malformed'; Parameter = 'BastionResourceId'; Arguments = @{ BastionResourceId = '/subscriptions/x'; SessionId = 's-1' } }
        @{ Case = 'host id with .. as the name'; Parameter = 'BastionResourceId'; Arguments = @{ BastionResourceId = "/subscriptions/$sub/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/.."; SessionId = 's-1' } }
        @{ Case = 'host id 100,000 chars'; Parameter = 'BastionResourceId'; Arguments = @{ BastionResourceId = "/subscriptions/$sub/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/$long"; SessionId = 's-1' } }
        @{ Case = 'session id empty'; Parameter = 'SessionId'; Arguments = @{ BastionResourceId = $hostId; SessionId = '' } }
        @{ Case = 'session ids with an empty one'; Parameter = 'SessionId'; Arguments = @{ BastionResourceId = $hostId; SessionId = @('s-1', '') } }
        @{ Case = 'no session id and no -All'; Parameter = 'SessionId'; Arguments = @{ BastionResourceId = $hostId } }
        @{ Case = 'name 100,000 chars'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = $long; SubscriptionId = $sub; SessionId = 's-1' } }
        @{ Case = 'name non-ASCII'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = 'bästion'; SubscriptionId = $sub; SessionId = 's-1' } }
        @{ Case = 'name with backslashes'; Parameter = 'Name'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = 'x\..\bh-0'; SubscriptionId = $sub; SessionId = 's-1' } }
        @{ Case = 'group 100,000 chars'; Parameter = 'ResourceGroupName'; Arguments = @{ ResourceGroupName = $long; Name = 'bh-0'; SubscriptionId = $sub; SessionId = 's-1' } }
        @{ Case = 'subscription malformed'; Parameter = 'SubscriptionId'; Arguments = @{ ResourceGroupName = 'rg-0'; Name = 'bh-0'; SubscriptionId = 'x'; SessionId = 's-1' } }
        @{ Case = 'timeout 0'; Parameter = 'TimeoutSec'; Arguments = @{ BastionResourceId = $hostId; SessionId = 's-1'; TimeoutSec = 0 } }
        @{ Case = 'timeout negative'; Parameter = 'TimeoutSec'; Arguments = @{ BastionResourceId = $hostId; SessionId = 's-1'; TimeoutSec = -1 } }
        @{ Case = 'throttle limit 0'; Parameter = 'ThrottleLimit'; Arguments = @{ BastionResourceId = $hostId; SessionId = 's-1'; ThrottleLimit = 0 } }
        @{ Case = 'group with a slash'; Parameter = 'ResourceGroupName'; Arguments = @{ ResourceGroupName = 'rg/x'; Name = 'bh-0'; SubscriptionId = $sub; SessionId = 's-1' } }
        @{ Case = 'host id with a bad group, -All'; Parameter = 'BastionResourceId'; Arguments = @{ BastionResourceId = "/subscriptions/$sub/resourceGroups/rg./providers/Microsoft.Network/bastionHosts/bh-0"; All = $true } }
    )

    # Names and ids have one authority: the core's rules (src/names.rs, through the native
    # library). A non-empty bad value of these parameters must be refused by them, with the
    # core's words, not by a check of the module's own (which would not say them).
    $coreWords = @{
        SubscriptionId    = 'subscription id'
        ResourceGroupName = 'resource group name'
        Name              = 'Bastion host name'
        ResourceId        = 'Bastion host resource id'
        BastionResourceId = 'Bastion host resource id'
    }
    foreach ($case in @($script:GetCases) + @($script:DisconnectCases)) {
        $value = @($case.Arguments[$case.Parameter])
        $empty = @($value | Where-Object { [string]::IsNullOrEmpty($_) }).Count -gt 0
        $case.CoreWords = if ($coreWords.ContainsKey($case.Parameter) -and -not $empty) { $coreWords[$case.Parameter] } else { '' }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-BuiltModulePath) -Force
    $script:SavedEnvironment = Set-TestCredentialEnvironment

    # A loopback port where nothing listens: whatever slips through validation fails there.
    $probe = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $probe.Start()
    $script:DeadEndpoint = 'http://127.0.0.1:{0}' -f $probe.LocalEndpoint.Port
    $probe.Stop()

    function Invoke-Refusal {
        <# Runs the cmdlet with the arguments; returns the ErrorRecord it was refused with and how long it took. #>
        param([string] $Command, [hashtable] $Arguments)
        $all = @{ ArmEndpoint = $script:DeadEndpoint; AccessToken = 'bad-input-test-token'; TimeoutSec = 3; ErrorAction = 'Stop' }
        if ($Command -eq 'Disconnect-BastionSession') { $all.Force = $true }
        foreach ($k in $Arguments.Keys) { $all[$k] = $Arguments[$k] }
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $record = $null
        $output = $null
        try { $output = & $Command @all } catch { $record = $_ }
        [pscustomobject]@{ Record = $record; Output = $output; Seconds = $watch.Elapsed.TotalSeconds }
    }

    function Assert-RefusedNaming {
        <# -CoreWords: for a name or id, words of the core's message the refusal must carry. #>
        param($Result, [string] $Parameter, [string] $CoreWords)
        $Result.Record | Should -Not -BeNullOrEmpty -Because 'the value must be refused, not run'
        $text = $Result.Record.Exception.Message
        # Named in the message, or the record's target is the parameter (module's own checks).
        ($text -cmatch "'$([regex]::Escape($Parameter))'|-$([regex]::Escape($Parameter))\b") -or ([string]$Result.Record.TargetObject -eq $Parameter) |
            Should -BeTrue -Because "the error must name -$Parameter, got: $text"
        # Refused before any network call: validation, not a timeout or a transport error.
        $Result.Record.FullyQualifiedErrorId | Should -Not -Match 'Timeout|Transport|Server|Throttled'
        $Result.Seconds | Should -BeLessThan 5
        # Clear means readable: the message does not echo a 100,000-character value.
        $text.Length | Should -BeLessThan 2000
        if ($CoreWords) {
            # Refused by the core's rule and shown as the parameter's validation error.
            $Result.Record.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
            $Result.Record.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $Result.Record.TargetObject | Should -Be $Parameter
            $text | Should -BeLike "Cannot validate argument on parameter '$Parameter'. *$CoreWords*"
        }
    }
}

AfterAll {
    Restore-TestEnvironment $script:SavedEnvironment
    Remove-Module BastionSession -Force -ErrorAction SilentlyContinue
}

Describe 'Get-BastionSession refuses bad input naming the parameter' {
    It '<Case> is refused naming -<Parameter>' -ForEach $script:GetCases {
        $result = Invoke-Refusal -Command 'Get-BastionSession' -Arguments $Arguments
        Assert-RefusedNaming -Result $result -Parameter $Parameter -CoreWords $CoreWords
    }
}

Describe 'Disconnect-BastionSession refuses bad input naming the parameter' {
    It '<Case> is refused naming -<Parameter>' -ForEach $script:DisconnectCases {
        $result = Invoke-Refusal -Command 'Disconnect-BastionSession' -Arguments $Arguments
        Assert-RefusedNaming -Result $result -Parameter $Parameter -CoreWords $CoreWords
    }
}

Describe 'Names and ids have one authority, the core' {
    It 'the module carries no pattern or check of its own for names and ids' {
        # The module is C# (powershell/src): no GUID or resource id pattern, no Guid parsing, no validator of a name.
        $sources = @(Get-ChildItem -Path (Join-Path (Get-RepoRoot) 'powershell/src') -Recurse -Filter '*.cs')
        $sources.Count | Should -BeGreaterThan 10
        $offenders = $sources |
            Select-String -Pattern '\[0-9a-fA-F\]\{8\}', 'bastionHosts/\(\?<', 'Guid\.(Try)?Parse', 'class Validate(HostName|ResourceGroupName|SubscriptionId|ResourceId)', '(Test|Assert|Check)(Guid|HostName|ResourceGroupName|SubscriptionId|ResourceId)\('
        @($offenders | ForEach-Object { '{0}:{1}: {2}' -f $_.Filename, $_.LineNumber, $_.Line.Trim() }) | Should -BeNullOrEmpty
    }

    It 'a value only the core refuses (a host name ending with a hyphen) is refused with its words' {
        $result = Invoke-Refusal -Command 'Get-BastionSession' -Arguments @{ ResourceGroupName = 'rg-0'; Name = 'bh-'; SubscriptionId = '00000000-0000-0000-0000-000000000001' }
        Assert-RefusedNaming -Result $result -Parameter 'Name' -CoreWords 'Bastion host name'
        $result.Record.Exception.Message | Should -BeLike "*The Bastion host name 'bh-' must end with a letter, digit or underscore*"
    }
}

Describe 'Disconnect-BastionSession refuses a bad host before asking' {
    It '-WhatIf with a bad -Name is refused, not shown as what would happen' {
        $result = Invoke-Refusal -Command 'Disconnect-BastionSession' -Arguments @{ ResourceGroupName = 'rg-0'; Name = 'bh/../x'; SubscriptionId = '00000000-0000-0000-0000-000000000001'; SessionId = 's-1'; WhatIf = $true; Force = $false }
        Assert-RefusedNaming -Result $result -Parameter 'Name' -CoreWords 'Bastion host name'
    }

    It '-WhatIf with a bad -BastionResourceId is refused too' {
        $result = Invoke-Refusal -Command 'Disconnect-BastionSession' -Arguments @{ BastionResourceId = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/%2e%2e'; SessionId = 's-1'; WhatIf = $true; Force = $false }
        Assert-RefusedNaming -Result $result -Parameter 'BastionResourceId' -CoreWords 'Bastion host resource id'
    }
}

Describe 'Valid but unusual input is not refused' {
    It 'a non-ASCII resource group name (Azure allows Unicode letters there) reaches the service' {
        # The endpoint is dead, so the call fails on the network, not on validation.
        $result = Invoke-Refusal -Command 'Get-BastionSession' -Arguments @{
            ResourceGroupName = 'rg-ünïcødé-组'; Name = 'bh-0'; SubscriptionId = '00000000-0000-0000-0000-000000000001'; TimeoutSec = 2
        }
        $result.Record | Should -Not -BeNullOrEmpty
        $result.Record.FullyQualifiedErrorId | Should -Not -Match 'ParameterArgumentValidationError'
        $result.Seconds | Should -BeLessThan 10
    }

    It 'an 80-character host name and a 90-character group name are accepted' {
        $result = Invoke-Refusal -Command 'Get-BastionSession' -Arguments @{
            ResourceGroupName = ('g' * 90); Name = ('b' * 80); SubscriptionId = '00000000-0000-0000-0000-000000000001'; TimeoutSec = 2
        }
        $result.Record.FullyQualifiedErrorId | Should -Not -Match 'ParameterArgumentValidationError'
    }
}

Describe '100,000 session ids' {
    BeforeAll {
        $script:Emulator = Start-TestEmulator -ArgumentList @('--hosts', '1', '--sessions-per-host', '3')
        $script:HostId = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-0'
        $script:ManyIds = [string[]](1..100000 | ForEach-Object { 'no-such-session-{0:d6}' -f $_ })
    }
    AfterAll { Stop-TestEmulator $script:Emulator }

    It 'are sent in chunks and each gets exactly one result, without a crash or a hang' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $results = @(Disconnect-BastionSession -BastionResourceId $script:HostId -SessionId $script:ManyIds -Force `
                -ArmEndpoint $script:Emulator.BaseUrl -AccessToken $script:Emulator.Token -TimeoutSec 120 -ErrorAction Stop)
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 120
        $results.Count | Should -Be 100000
        @($results.SessionId | Sort-Object -Unique).Count | Should -Be 100000
        @($results | Where-Object State -ne 'NotFound').Count | Should -Be 0
        # Chunked (1,000 per request by default), not one request per id or one giant request.
        $requests = Get-StatCount -Stats (Get-EmulatorStats $script:Emulator) -Operation 'disconnectActiveSessions'
        $requests | Should -BeGreaterOrEqual 10
        $requests | Should -BeLessOrEqual 1000
        # The real sessions are untouched.
        @(Get-EmulatorSession $script:Emulator).Count | Should -Be 3
    }

    It 'against a dead endpoint end with one clear error within -TimeoutSec' {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $record = $null
        try {
            $null = Disconnect-BastionSession -BastionResourceId $script:HostId -SessionId $script:ManyIds -Force `
                -ArmEndpoint $script:DeadEndpoint -AccessToken 'x' -TimeoutSec 3 -ErrorAction Stop
        } catch { $record = $_ }
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
        $record | Should -Not -BeNullOrEmpty
        $record.Exception.Message.Length | Should -BeLessThan 2000
        $record.Exception.Message | Should -Not -Match 'no-such-session-0[0-9]{5}.*no-such-session-0[0-9]{5}.*no-such-session'
    }
}
