<#
    The module's session filter on its own (powershell/src/SessionFilter.cs): what
    Get-BastionSession's -UserName, -TargetHostName, -Protocol and -OlderThan keep, with
    PowerShell's own WildcardPattern objects, as the cmdlet builds them. Sessions are read
    from an envelope by the module's reader (Session has no public constructor). Uses the
    built module's assembly. GetBastionSession.Tests.ps1 covers the same parameters
    end to end against the emulator.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $dll = Join-Path (Split-Path (Get-BuiltModulePath)) 'BastionSession.dll'
    if (-not ('BastionSession.SessionFilter' -as [type])) { $null = [Reflection.Assembly]::LoadFrom($dll) }

    $sessionsJson = @(
        '{"sessionId":"s1","userName":"alice@contoso.com","targetHostName":"vm-web-1","protocol":"SSH","sessionDurationInMins":90}'
        '{"sessionId":"s2","userName":"bob@fabrikam.com","targetHostName":"vm-db-1","protocol":"RDP","sessionDurationInMins":30}'
        '{"sessionId":"s3","userName":"","targetHostName":"vm-web-2","protocol":"RDP","sessionDurationInMins":600}'
        '{"sessionId":"s4","targetHostName":null,"protocol":"ssh","sessionDurationInMins":60}'
        '{"sessionId":"s5","userName":"Carol@Contoso.com","targetHostName":"VM-WEB-3","protocol":"SSH","sessionDurationInMins":60.5}'
    ) -join ','
    $json = '{"schemaVersion":1,"ok":true,"data":{"hosts":[{"host":{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/bastionHosts/bh","name":"bh"},"ok":true,"sessions":[' + $sessionsJson + ']}]}}'
    $script:Sessions = [BastionSession.Envelope]::Read([Text.Encoding]::UTF8.GetBytes($json), [BastionSession.EnvelopeShape]::Sessions).HostSessionsOutcomes[0].Sessions

    function New-Pattern([string[]] $Text) {
        if ($null -eq $Text) { return $null }
        , [object[]]@(foreach ($t in $Text) { [System.Management.Automation.WildcardPattern]::new($t, [System.Management.Automation.WildcardOptions]::IgnoreCase) })
    }
    function Select-Id([object[]] $UserName, [object[]] $TargetHostName, [string] $Protocol, $OlderThan) {
        $filter = [BastionSession.SessionFilter]::new($UserName, $TargetHostName, $Protocol, $OlderThan)
        @($filter.Select($script:Sessions) | ForEach-Object { $_.SessionId })
    }
}

Describe 'SessionFilter' {
    It 'passes every session, as the same array, when no condition is given' {
        $filter = [BastionSession.SessionFilter]::new($null, $null, $null, $null)
        $filter.PassesAll | Should -BeTrue
        [object]::ReferenceEquals($filter.Select($Sessions), $Sessions) | Should -BeTrue
    }

    It '-UserName: wildcards, case-insensitive, any of several patterns' {
        Select-Id -UserName (New-Pattern '*@contoso.com') | Should -Be @('s1', 's5')
        Select-Id -UserName (New-Pattern 'bob*', 'ALICE@contoso.com') | Should -Be @('s1', 's2')
        Select-Id -UserName (New-Pattern 'b?b@fabrikam.com') | Should -Be @('s2')
        Select-Id -UserName (New-Pattern '[ab]*') | Should -Be @('s1', 's2')
    }

    It '-UserName '''' keeps exactly the sessions without a user name (empty or absent)' {
        Select-Id -UserName (New-Pattern '') | Should -Be @('s3', 's4')
    }

    It '-UserName with no pattern at all keeps nothing' {
        $filter = [BastionSession.SessionFilter]::new([object[]]@(), $null, $null, $null)
        $filter.PassesAll | Should -BeFalse
        @($filter.Select($Sessions)).Count | Should -Be 0
    }

    It '-TargetHostName: wildcards, case-insensitive; a missing host name is matched as ''''' {
        Select-Id -TargetHostName (New-Pattern 'vm-web-*') | Should -Be @('s1', 's3', 's5')
        Select-Id -TargetHostName (New-Pattern '') | Should -Be @('s4')
        Select-Id -TargetHostName (New-Pattern '*db*', 'vm-web-2') | Should -Be @('s2', 's3')
    }

    It '-Protocol compares without regard to case; an empty protocol is no condition' {
        Select-Id -Protocol 'SSH' | Should -Be @('s1', 's4', 's5')
        Select-Id -Protocol 'rdp' | Should -Be @('s2', 's3')
        Select-Id -Protocol '' | Should -Be @('s1', 's2', 's3', 's4', 's5')
    }

    It '-OlderThan keeps the sessions that have lasted strictly longer' {
        Select-Id -OlderThan ([TimeSpan]::FromMinutes(60)) | Should -Be @('s1', 's3', 's5')
        Select-Id -OlderThan ([TimeSpan]::Zero) | Should -Be @('s1', 's2', 's3', 's4', 's5')
    }

    It 'combined conditions must all hold' {
        Select-Id -UserName (New-Pattern '*contoso*') -TargetHostName (New-Pattern 'vm-web-*') -Protocol 'SSH' -OlderThan ([TimeSpan]::FromMinutes(61)) | Should -Be @('s1')
        Select-Id -UserName (New-Pattern '*contoso*') -Protocol 'RDP' | Should -Be @()
    }

    It 'takes patterns wrapped in PSObject, as PowerShell may pass them' {
        $wrapped = [object[]]@([psobject]::AsPSObject([System.Management.Automation.WildcardPattern]::new('bob*')))
        Select-Id -UserName $wrapped | Should -Be @('s2')
    }

    It 'refuses a null pattern, naming the parameter' {
        { [BastionSession.SessionFilter]::new([System.Management.Automation.WildcardPattern[]]@($null), $null, $null, $null) } | Should -Throw '*userNamePatterns*'
    }

    It 'builds case-insensitive patterns from the parameter''s strings (Patterns), as the cmdlet does' {
        $filter = [BastionSession.SessionFilter]::new([BastionSession.SessionFilter]::Patterns([string[]]@('CAROL*', '')), $null, $null, $null)
        @($filter.Select($script:Sessions) | ForEach-Object { $_.SessionId }) | Should -Be @('s3', 's4', 's5')
    }

    It 'reads a null array as no sessions and never matches a null session' {
        $filter = [BastionSession.SessionFilter]::new($null, $null, 'SSH', $null)
        @($filter.Select($null)).Count | Should -Be 0
        $filter.IsMatch($null) | Should -BeFalse
    }
}
