<#
    The module's envelope reader on its own (powershell/src/EnvelopeReader.cs, Envelope.cs,
    Models.cs): envelopes given as UTF-8 bytes, exactly as the native library hands them
    over, read into typed objects. Escapes and non-ASCII text, nulls, numbers where strings
    are expected and the reverse, unknown fields, field order, error envelopes, malformed
    and truncated input. Uses the built module's assembly.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $dll = Join-Path (Split-Path (Get-BuiltModulePath)) 'BastionSession.dll'
    if (-not ('BastionSession.Envelope' -as [type])) { $null = [Reflection.Assembly]::LoadFrom($dll) }

    function Read-Envelope([string] $Json, [string] $Shape = 'Sessions') {
        [BastionSession.Envelope]::Read([Text.Encoding]::UTF8.GetBytes($Json), [BastionSession.EnvelopeShape]$Shape)
    }
    function New-SessionsEnvelope([string] $SessionsJson, [string] $HostJson = '{"id":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/bastionHosts/bh","name":"bh","resourceGroupName":"rg","subscriptionId":"s"}') {
        '{"schemaVersion":1,"ok":true,"data":{"hosts":[{"host":' + $HostJson + ',"ok":true,"sessions":[' + $SessionsJson + ']}],"stats":{"hostsTotal":1,"elapsedMs":12}}}'
    }
}

Describe 'Envelope reader: sessions' {
    It 'decodes UTF-8 text and every JSON escape' {
        $json = New-SessionsEnvelope '{"sessionId":"s1","userName":"Zo\u00eb \"q\" \\ \/ \n\t ü 日本 \ud83d\ude00"}'
        $answer = Read-Envelope $json
        $answer.Error | Should -BeNullOrEmpty
        $answer.HostSessionsOutcomes[0].Sessions[0].UserName | Should -BeExactly ("Zo$([char]0xEB) `"q`" \ / `n`t $([char]0xFC) $([char]0x65E5)$([char]0x672C) " + [char]::ConvertFromUtf32(0x1F600))
    }

    It 'reads every field, normalises startTime to UTC and keeps the raw text' {
        $json = New-SessionsEnvelope '{"sessionId":"s1","startTime":"2026-11-28T09:15:00.1234567Z","startTimeRaw":"2026-11-28T09:15:00.1234567Z","targetSubscriptionId":"sub","resourceType":"VM","targetHostName":"vm1","targetResourceGroup":"rg-app","userName":"alice","targetIpAddress":"10.0.0.4","protocol":"SSH","targetResourceId":"/x/vm1","sessionDurationInMins":42.5}'
        $s = (Read-Envelope $json).HostSessionsOutcomes[0].Sessions[0]
        $s.SessionId | Should -Be 's1'
        # A DateTimeOffset in UTC (issue 22, point 2): the instant, offset +00:00.
        $s.StartTime | Should -BeOfType [DateTimeOffset]
        $s.StartTime.UtcDateTime | Should -Be ([DateTime]::new(2026, 11, 28, 9, 15, 0, [DateTimeKind]::Utc).AddTicks(1234567))
        $s.StartTime.Offset | Should -Be ([TimeSpan]::Zero)
        $s.StartTimeRaw | Should -Be '2026-11-28T09:15:00.1234567Z'
        $s.TargetSubscriptionId | Should -Be 'sub'
        $s.ResourceType | Should -Be 'VM'
        $s.TargetHostName | Should -Be 'vm1'
        $s.TargetResourceGroup | Should -Be 'rg-app'
        $s.TargetIpAddress | Should -Be '10.0.0.4'
        $s.Protocol | Should -Be 'SSH'
        $s.TargetResourceId | Should -Be '/x/vm1'
        $s.SessionDurationInMins | Should -Be 42.5
        $s.Duration | Should -Be ([TimeSpan]::FromMinutes(42.5))
        $s.BastionName | Should -Be 'bh'
        $s.BastionResourceGroupName | Should -Be 'rg'
        $s.BastionSubscriptionId | Should -Be 's'
        $s.BastionResourceId | Should -Match '/bastionHosts/bh$'
    }

    It 'gives startTimeRaw byte for byte as sent, kept as a string only when it is not startTime''s canonical text (<Raw>)' -ForEach @(
        @{ Raw = '2026-11-28T09:15:00Z'; Canonical = $true }
        @{ Raw = '2026-11-28T09:15:00.1234567Z'; Canonical = $true }
        @{ Raw = '2026-11-28T09:15:00.5Z'; Canonical = $true }
        @{ Raw = '2026-11-28T09:15:00.0000001Z'; Canonical = $true }
        @{ Raw = '2026-11-28T09:15:00.1230000Z'; Canonical = $false }
        @{ Raw = '2026-11-28T09:15:00.123456789Z'; Canonical = $false }
        @{ Raw = '2026-11-28T09:15:00z'; Canonical = $false }
        @{ Raw = '2026-11-28t09:15:00Z'; Canonical = $false }
        @{ Raw = '2026-11-28T11:15:00+02:00'; Canonical = $false }
        @{ Raw = '0001-01-01T00:00:00Z'; Canonical = $true }
        @{ Raw = '9999-12-31T23:59:59.9999999Z'; Canonical = $true }
    ) {
        # The library writes startTime in canonical form and startTimeRaw as ARM sent it; the
        # reader keeps no string for a raw text equal to the canonical form of the time read.
        $timestamps = [BastionSession.Envelope].Assembly.GetType('BastionSession.Timestamps')
        $time = $timestamps.GetMethod('ParseUtc').Invoke($null, @($Raw))
        $time | Should -BeOfType [DateTime]
        $canonicalText = $timestamps.GetMethod('FormatCanonical').Invoke($null, @($time))
        $s = (Read-Envelope (New-SessionsEnvelope ('{"sessionId":"s1","startTime":"' + $canonicalText + '","startTimeRaw":"' + $Raw + '"}'))).HostSessionsOutcomes[0].Sessions[0]
        $kept = [BastionSession.Session].GetField('_startTimeRaw', [Reflection.BindingFlags]'NonPublic,Instance').GetValue($s)
        if ($Canonical) { $kept | Should -BeNullOrEmpty -Because 'a canonical raw text is made when read' } else { $kept | Should -BeExactly $Raw }
        $s.StartTimeRaw | Should -BeExactly $Raw
        $s.StartTime.UtcDateTime | Should -Be $time
    }

    It 'keeps startTimeRaw when startTime is absent, null, after it, repeated or changed later' {
        $sessions = (Read-Envelope (New-SessionsEnvelope ('{"sessionId":"a","startTimeRaw":"2026-11-28T09:15:00Z"},' +
                    '{"sessionId":"b","startTime":null,"startTimeRaw":"2026-11-28T09:15:00Z"},' +
                    '{"sessionId":"c","startTimeRaw":"2026-11-28T09:15:00Z","startTime":"2026-11-28T09:15:00Z"},' +
                    '{"sessionId":"d","startTime":"2026-11-28T09:15:00Z","startTimeRaw":"2026-11-28T09:15:00Z"},' +
                    '{"sessionId":"e","startTime":"2026-11-28T09:15:00Z","startTimeRaw":null},' +
                    '{"sessionId":"f","startTime":"2026-11-28T09:15:00Z","startTimeRaw":"2026-11-28T09:15:00Z","startTime":"2020-01-01T00:00:00Z"}'))).HostSessionsOutcomes[0].Sessions
        foreach ($s in $sessions[0..3] + $sessions[5]) { $s.StartTimeRaw | Should -BeExactly '2026-11-28T09:15:00Z' -Because "session $($s.SessionId)" }
        $sessions[4].StartTimeRaw | Should -BeNullOrEmpty
        $sessions[5].StartTime.UtcDateTime | Should -Be ([DateTime]::new(2020, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)) -Because 'a repeated key wins, as elsewhere in the reader'
        $sessions[3].StartTime = [DateTime]::new(2020, 1, 1, 0, 0, 0, [DateTimeKind]::Utc)
        $sessions[3].StartTimeRaw | Should -BeExactly '2026-11-28T09:15:00Z' -Because 'the raw text is what ARM sent, not the time set later'
        $sessions[3].StartTimeRaw = 'x'
        $sessions[3].StartTimeRaw | Should -BeExactly 'x'
    }

    It 'reads a timestamp with an offset through the slow path' {
        $s = (Read-Envelope (New-SessionsEnvelope '{"sessionId":"s1","startTime":"2026-11-28T11:15:00+02:00"}')).HostSessionsOutcomes[0].Sessions[0]
        $s.StartTime.UtcDateTime | Should -Be ([DateTime]::new(2026, 11, 28, 9, 15, 0, [DateTimeKind]::Utc))
    }

    It 'treats null as absent and gives an empty user name' {
        $s = (Read-Envelope (New-SessionsEnvelope '{"sessionId":null,"startTime":null,"userName":null,"sessionDurationInMins":null,"protocol":null}')).HostSessionsOutcomes[0].Sessions[0]
        $s.SessionId | Should -BeNullOrEmpty
        $s.StartTime | Should -BeNullOrEmpty
        $s.UserName | Should -BeExactly ''
        $s.SessionDurationInMins | Should -BeNullOrEmpty
        $s.Duration | Should -Be ([TimeSpan]::Zero)
    }

    It 'reads a duration no TimeSpan can hold (<Minutes>) without throwing, falling back to the start time' -ForEach @(
        @{ Minutes = '1e300' }
        @{ Minutes = '-1e300' }
        @{ Minutes = '"1e300"' }
        @{ Minutes = '15372286729' }
    ) {
        # Issue 23: TimeSpan.FromMinutes(1e300) threw OverflowException, which ended the listing.
        $json = New-SessionsEnvelope ('{"sessionId":"s1","startTime":"2026-11-28T09:15:00Z","sessionDurationInMins":' + $Minutes + '},{"sessionId":"s2","sessionDurationInMins":5}')
        $answer = Read-Envelope $json
        $answer.Error | Should -BeNullOrEmpty
        $sessions = $answer.HostSessionsOutcomes[0].Sessions
        @($sessions.SessionId) | Should -Be @('s1', 's2')
        [math]::Abs($sessions[0].SessionDurationInMins) | Should -BeGreaterThan 1e10
        $sessions[0].Duration | Should -BeGreaterThan ([TimeSpan]::Zero)
        $sessions[0].Duration | Should -BeLessThan ([TimeSpan]::MaxValue)
        $sessions[1].Duration | Should -Be ([TimeSpan]::FromMinutes(5))
    }

    It 'keeps numbers, booleans and objects where strings belong as their text, and reads numeric strings as numbers' {
        $s = (Read-Envelope (New-SessionsEnvelope '{"sessionId":12345678901234567890,"targetHostName":true,"targetResourceId":{"a":[1,2]},"sessionDurationInMins":"7.25","protocol":-1.5e3}')).HostSessionsOutcomes[0].Sessions[0]
        $s.SessionId | Should -Be '12345678901234567890'
        $s.TargetHostName | Should -Be 'true'
        $s.TargetResourceId | Should -Be '{"a":[1,2]}'
        $s.SessionDurationInMins | Should -Be 7.25
        $s.Protocol | Should -Be '-1.5e3'
    }

    It 'skips unknown fields of any shape and non-object array elements' {
        $json = New-SessionsEnvelope '{"future":{"deep":[{"x":"\u0041"},null,true]},"sessionId":"s1","other":[]},null,7,{"sessionId":"s2"}'
        $sessions = (Read-Envelope $json).HostSessionsOutcomes[0].Sessions
        @($sessions.SessionId) | Should -Be @('s1', 's2')
    }

    It 'gives session ids and target resource ids back exactly as sent, whatever their form' {
        # Lowercase GUIDs are kept as Guids and long ids as UTF-8 bytes until read: the text
        # read back must be what ARM sent, byte for byte, in every form.
        $ids = @(
            '00000000-0001-4000-8001-000000019919', '00000000-0000-0000-0000-000000000000',
            'ABCDEF01-2345-6789-ABCD-EF0123456789', 'abcdef01-2345-6789-abcd-ef012345678', 'not a guid', 'abcdef01-2345-6789-abcd-ef012345678g', ''
        )
        $json = New-SessionsEnvelope (($ids | ForEach-Object { '{"sessionId":"' + $_ + '","targetResourceId":"/subscriptions/s/x\/y\u00e9/' + $_ + '"}' }) -join ',')
        $sessions = (Read-Envelope $json).HostSessionsOutcomes[0].Sessions
        $sessions.Count | Should -Be $ids.Count
        for ($i = 0; $i -lt $ids.Count; $i++) {
            $sessions[$i].SessionId | Should -BeExactly $ids[$i]
            $sessions[$i].TargetResourceId | Should -BeExactly ('/subscriptions/s/x/y' + [char]0xE9 + '/' + $ids[$i])
        }
        $plain = (Read-Envelope (New-SessionsEnvelope '{"sessionId":null,"targetResourceId":"/plain/ü"}')).HostSessionsOutcomes[0].Sessions[0]
        $plain.SessionId | Should -BeNullOrEmpty
        $plain.TargetResourceId | Should -BeExactly ('/plain/' + [char]0xFC)
        $plain.TargetResourceId | Should -BeExactly ('/plain/' + [char]0xFC)
    }

    It 'keeps targetIpAddress as sent, packed into four bytes only in canonical dotted-quad form (<Raw>)' -ForEach @(
        @{ Raw = '10.0.0.4'; Packed = $true }
        @{ Raw = '255.255.255.255'; Packed = $true }
        @{ Raw = '0.0.0.0'; Packed = $true }
        @{ Raw = '192.168.100.20'; Packed = $true }
        @{ Raw = '010.0.0.4'; Packed = $false }
        @{ Raw = '10.0.0'; Packed = $false }
        @{ Raw = '10.0.0.4.5'; Packed = $false }
        @{ Raw = '256.0.0.1'; Packed = $false }
        @{ Raw = '1.2.3.1000'; Packed = $false }
        @{ Raw = '10.0.0.4 '; Packed = $false }
        @{ Raw = '10.0.0.-4'; Packed = $false }
        @{ Raw = 'fe80::1'; Packed = $false }
        @{ Raw = '100.100.100.1000'; Packed = $false }
        @{ Raw = ''; Packed = $false }
    ) {
        $s = (Read-Envelope (New-SessionsEnvelope ('{"sessionId":"s1","targetIpAddress":"' + $Raw + '","protocol":"SSH"}'))).HostSessionsOutcomes[0].Sessions[0]
        $flags = [Reflection.BindingFlags]'NonPublic,Instance'
        [BastionSession.Session].GetField('_hasTargetIpv4', $flags).GetValue($s) | Should -Be $Packed
        if ($Packed) { [BastionSession.Session].GetField('_targetIpAddress', $flags).GetValue($s) | Should -BeNullOrEmpty -Because 'a packed address is made into text when read' }
        $s.TargetIpAddress | Should -BeExactly $Raw
        $s.Protocol | Should -Be 'SSH' -Because 'the reader goes on after the address'
        $s.TargetIpAddress = '10.9.9.9x'
        $s.TargetIpAddress | Should -BeExactly '10.9.9.9x'
    }

    It 'splits a target resource id after its last slash, sharing the parent path and the host name''s string' {
        $parent = '/subscriptions/s/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/'
        $json = New-SessionsEnvelope ('{"targetHostName":"vm1","targetResourceId":"' + $parent + 'vm1"},' +
            '{"targetHostName":"vm2","targetResourceId":"' + $parent + 'vm2"},' +
            '{"targetHostName":"vm3.contoso.com","targetResourceId":"' + $parent + 'vm3"},' +
            '{"targetResourceId":"' + $parent + 'vm4","targetHostName":"vm4"},' +
            '{"targetResourceId":"no-slash"},{"targetResourceId":"/ends/with/"},{"targetResourceId":""},' +
            '{"targetHostName":"' + [char]0xFC + '","targetResourceId":"/a/' + [char]0xFC + '"}')
        $sessions = (Read-Envelope $json).HostSessionsOutcomes[0].Sessions
        $flags = [Reflection.BindingFlags]'NonPublic,Instance'
        $parentField = [BastionSession.Session].GetField('_targetResourceIdParent', $flags)
        $nameField = [BastionSession.Session].GetField('_targetResourceIdName', $flags)
        [object]::ReferenceEquals($parentField.GetValue($sessions[0]), $parentField.GetValue($sessions[1])) | Should -BeTrue -Because 'one resource group''s ids share one parent string'
        [object]::ReferenceEquals($nameField.GetValue($sessions[0]), $sessions[0].TargetHostName) | Should -BeTrue -Because 'a VM named as its host shares that string'
        $expected = @("${parent}vm1", "${parent}vm2", "${parent}vm3", "${parent}vm4", 'no-slash', '/ends/with/', '', ('/a/' + [char]0xFC))
        for ($i = 0; $i -lt $expected.Count; $i++) {
            $sessions[$i].TargetResourceId | Should -BeExactly $expected[$i] -Because "session $i"
            $sessions[$i].TargetResourceId | Should -BeExactly $expected[$i] -Because "session $i, read again"
        }
        $sessions[3].TargetResourceId = '/set/later'
        $sessions[3].TargetResourceId | Should -BeExactly '/set/later'
    }

    It 'keeps the sessions of each host apart' {
        $json = '{"schemaVersion":1,"ok":true,"data":{"hosts":[' +
            '{"host":{"name":"a","id":"/a"},"ok":true,"sessions":[{"sessionId":"a1"},{"sessionId":"a2"},{"sessionId":"a3"}]},' +
            '{"host":{"name":"b","id":"/b"},"ok":true,"sessions":[{"sessionId":"b1"}]},' +
            '{"host":{"name":"c","id":"/c"},"ok":true,"sessions":[]}]}}'
        $outcomes = (Read-Envelope $json).HostSessionsOutcomes
        @($outcomes[0].Sessions.SessionId) | Should -Be @('a1', 'a2', 'a3')
        @($outcomes[1].Sessions.SessionId) | Should -Be @('b1')
        $outcomes[1].Sessions[0].BastionName | Should -Be 'b'
        $outcomes[2].Sessions.Count | Should -Be 0
    }

    It 'shares the host among the sessions of a host, yet lets one session change its own' {
        $json = New-SessionsEnvelope '{"sessionId":"s1"},{"sessionId":"s2"}'
        $outcome = (Read-Envelope $json).HostSessionsOutcomes[0]
        $outcome.SetOrigin('https://arm.example', 'AccessToken')
        $a, $b = $outcome.Sessions
        $a.ArmEndpoint | Should -Be 'https://arm.example'
        $b.CredentialSource | Should -Be 'AccessToken'
        $a.BastionName = 'renamed'
        $a.ArmEndpoint = 'https://other.example'
        $a.BastionName | Should -Be 'renamed'
        $a.ArmEndpoint | Should -Be 'https://other.example'
        $a.BastionResourceGroupName | Should -Be 'rg'
        $b.BastionName | Should -Be 'bh'
        $b.ArmEndpoint | Should -Be 'https://arm.example'
    }

    It 'attaches the host to every session even when the host comes after the sessions' {
        $json = '{"schemaVersion":1,"ok":true,"data":{"hosts":[{"sessions":[{"sessionId":"a"},{"sessionId":"b"}],"ok":true,"host":{"name":"late","id":"/late"}}]}}'
        $sessions = (Read-Envelope $json).HostSessionsOutcomes[0].Sessions
        @($sessions.BastionName) | Should -Be @('late', 'late')
        @($sessions.BastionResourceId) | Should -Be @('/late', '/late')
    }

    It 'reads a failed host with its error and no sessions' {
        $json = '{"schemaVersion":1,"ok":true,"data":{"hosts":[{"host":{"name":"bh"},"ok":false,"error":{"kind":"forbidden","code":2002,"expected":true,"message":"no","armCode":"AuthorizationFailed","httpStatus":403,"requestId":"r-1","target":"/bh"}}]}}'
        $h = (Read-Envelope $json).HostSessionsOutcomes[0]
        $h.Ok | Should -BeFalse
        $h.Sessions.Count | Should -Be 0
        $h.Error.Kind | Should -Be 'forbidden'
        $h.Error.Code | Should -Be 2002
        $h.Error.HttpStatus | Should -Be 403
        $h.Error.ArmCode | Should -Be 'AuthorizationFailed'
        $h.Error.RequestId | Should -Be 'r-1'
        $h.Error.Target | Should -Be '/bh'
    }

    It 'reads stats as scalars' {
        $stats = (Read-Envelope (New-SessionsEnvelope '')).Stats
        $stats['hostsTotal'] | Should -Be 1
        $stats['hostsTotal'] | Should -BeOfType [long]
        $stats['elapsedMs'] | Should -Be 12
    }
}

Describe 'Envelope reader: errors and bad input' {
    It 'turns an error envelope into the answer''s error' {
        $a = Read-Envelope '{"schemaVersion":1,"ok":false,"error":{"kind":"notFound","code":2004,"expected":true,"message":"gone"}}'
        $a.Error.Kind | Should -Be 'notFound'
        $a.Error.Code | Should -Be 2004
        $a.Error.Expected | Should -BeTrue
        $thrown = $null
        try { $null = $a.ThrowIfError() } catch { $thrown = $_.Exception.InnerException }
        $thrown | Should -BeOfType ([BastionSession.BastionNativeException])
        $thrown.Error.Kind | Should -Be 'notFound'
    }

    It 'reports <Name> as invalidResponse with the contract''s code' -ForEach @(
        @{ Name = 'truncated input'; Json = '{"schemaVersion":1,"ok":true,"data":{"hosts":[{"host":' }
        @{ Name = 'trailing characters'; Json = '{"schemaVersion":1,"ok":true,"data":{}} x' }
        @{ Name = 'an unterminated string'; Json = '{"schemaVersion":1,"ok":true,"data":{"hosts":[{"sessions":[{"sessionId":"abc' }
        @{ Name = 'a bad escape'; Json = '{"schemaVersion":1,"ok":true,"data":{"hosts":[{"sessions":[{"sessionId":"\q"}]}]}}' }
        @{ Name = 'a bad number'; Json = '{"schemaVersion":1,"ok":true,"data":{"stats":{"x":01}}}' }
        @{ Name = 'a raw control character'; Json = "{`"schemaVersion`":1,`"ok`":true,`"data`":{`"hosts`":[{`"sessions`":[{`"sessionId`":`"a`tb`"}]}]}}" }
        @{ Name = 'empty input'; Json = '' }
    ) {
        $a = Read-Envelope $Json
        $a.Error.Kind | Should -Be 'invalidResponse'
        $a.Error.Code | Should -Be 3004
        $a.Error.Message | Should -Match 'malformed JSON'
    }

    It 'refuses another schema version' {
        $a = Read-Envelope '{"schemaVersion":2,"ok":true,"data":{}}'
        $a.Error.Kind | Should -Be 'unsupportedSchema'
        $a.Error.Code | Should -Be 1003
    }

    It 'reports a failure without an error object as internal' {
        $a = Read-Envelope '{"schemaVersion":1,"ok":false}'
        $a.Error.Kind | Should -Be 'internal'
        $a.Error.Expected | Should -BeFalse
    }

    It 'refuses nesting deeper than 128 levels without a stack overflow' {
        $deep = ('[' * 5000) + (']' * 5000)
        $a = Read-Envelope ('{"schemaVersion":1,"ok":true,"data":{"x":' + $deep + '}}')
        $a.Error.Kind | Should -Be 'invalidResponse'
        $a.Error.Message | Should -Match 'too deep'
    }
}

Describe 'Envelope reader: the other shapes' {
    It 'reads progress events: hostResult into typed objects, other fields as scalars' {
        $json = '{"schemaVersion":1,"ok":true,"data":{"running":true,"events":[' +
            '{"type":"hostDone","host":"/bh","ok":true,"sessions":3,"done":1,"total":2},' +
            '{"type":"hostResult","result":{"host":{"name":"bh","id":"/bh"},"ok":true,"sessions":[{"sessionId":"s1"}]}},' +
            '{"type":"retrying","host":"/bh","status":null,"delayMs":1000,"attempt":1}]}}'
        $a = Read-Envelope $json 'Events'
        $a.Running | Should -BeTrue
        $a.Events.Count | Should -Be 3
        $a.Events[0].Type | Should -Be 'hostDone'
        $a.Events[0].Host | Should -Be '/bh'
        $a.Events[0].Get('total') | Should -Be '2'
        $a.Events[0].Get('ok') | Should -Be 'True'
        $a.Events[1].HostSessionsOutcome.Sessions[0].SessionId | Should -Be 's1'
        $a.Events[1].HostSessionsOutcome.Sessions[0].BastionName | Should -Be 'bh'
        $a.Events[1].Data.ContainsKey('result') | Should -BeFalse
        $a.Events[2].Get('status') | Should -BeNullOrEmpty
    }

    It 'reads disconnect results with the host on each' {
        $json = '{"schemaVersion":1,"ok":true,"data":{"results":[{"hostResourceId":"/bh","hostName":"bh","ok":true,"sessions":[{"sessionId":"a","state":"Disconnected","message":"ok"},{"sessionId":"b","state":"NotReported","message":"n"}]}],"stats":{"requests":1}}}'
        $r = (Read-Envelope $json 'Disconnect').HostDisconnectOutcomes[0]
        $r.HostName | Should -Be 'bh'
        @($r.Results.State) | Should -Be @('Disconnected', 'NotReported')
        @($r.Results.BastionResourceId) | Should -Be @('/bh', '/bh')
    }

    It 'reads the hosts of bastion_list_hosts' {
        $json = '{"schemaVersion":1,"ok":true,"data":{"hosts":[{"id":"/a","name":"a","resourceGroupName":"rg","subscriptionId":"s","location":"westeurope","sku":"Standard"}]}}'
        $h = (Read-Envelope $json 'Hosts').Hosts[0]
        $h.Name | Should -Be 'a'
        $h.Location | Should -Be 'westeurope'
        $h.Sku | Should -Be 'Standard'
    }

    It 'reads data.subscriptions: each subscription searched, ok with its host count or failed with its error' {
        $json = '{"schemaVersion":1,"ok":true,"data":{"hosts":[{"id":"/a","name":"a"}],"subscriptions":[' +
            '{"subscriptionId":"s1","resourceGroupName":"rg","ok":true,"hostsFound":1},' +
            '{"subscriptionId":"s2","resourceGroupName":"rg","ok":false,"error":{"kind":"notFound","code":2004,"expected":true,"message":"gone","httpStatus":404,"armCode":"ResourceGroupNotFound"}},' +
            '{"subscriptionId":"s3","ok":true,"hostsFound":0,"future":[1]}]}}'
        foreach ($shape in 'Hosts', 'Sessions') {
            $subs = (Read-Envelope $json $shape).Subscriptions
            @($subs).Count | Should -Be 3
            $subs[0].Ok | Should -BeTrue
            $subs[0].HostsFound | Should -Be 1
            $subs[0].Label | Should -Be "resource group 'rg' of subscription s1"
            $subs[1].Ok | Should -BeFalse
            $subs[1].Error.Kind | Should -Be 'notFound'
            $subs[1].Error.Message | Should -Be 'gone'
            $subs[2].ResourceGroupName | Should -BeNullOrEmpty
            $subs[2].Label | Should -Be 'subscription s3'
        }
        @((Read-Envelope (New-SessionsEnvelope '{"sessionId":"s1"}')).Subscriptions).Count | Should -Be 0
    }

    It 'gives the same objects through the text entry points' {
        $json = New-SessionsEnvelope '{"sessionId":"s1","userName":"Zo\u00eb"}'
        $viaText = [BastionSession.Envelope]::ParseHostSessionsOutcomes($json)
        $viaText[0].Sessions[0].UserName | Should -Be "Zo$([char]0xEB)"
    }
}
