<#
    A token goes only where the user sent it (issue 23, point 1): Disconnect-BastionSession
    takes an ArmEndpoint from the pipeline only from a Session or DisconnectResult this
    module made in this process (still holding the endpoint it recorded), or when it is a
    known cloud; anything else (an edited Export-Csv, a hand-made object, a real session
    whose endpoint was changed) stops before any request with ErrorId
    BastionUntrustedEndpoint naming the endpoint, until -ArmEndpoint confirms it.
    Servers: the emulator (the cloud the sessions come from) and a second loopback server
    that only records the requests it receives, so a test sees whether a token reached it.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Saved = Set-TestCredentialEnvironment
    Import-Module (Get-BuiltModulePath) -Force
    $script:Sub = '00000000-0000-0000-0000-000000000001'
    $script:Token = 'tok-' + [guid]::NewGuid().ToString('N') + '-PROVENANCE-SECRET'
    $script:Emulator = Start-TestEmulator -Token $Token -ArgumentList @('--hosts', '2', '--sessions-per-host', '2', '--polls', '0')

    # The recorder: 127.0.0.1, any port; each request's head (request line and headers) is
    # kept, and answered 500 so a client that reached it fails at once.
    $script:Listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $Listener.Start()
    $script:RecorderUrl = 'http://127.0.0.1:{0}' -f $Listener.LocalEndpoint.Port
    $script:Recorded = [System.Collections.Concurrent.ConcurrentQueue[string]]::new()
    $script:Recorder = [powershell]::Create()
    $null = $Recorder.AddScript({
            param($listener, $recorded)
            while ($true) {
                try { $client = $listener.AcceptTcpClient() } catch { return }
                try {
                    $client.ReceiveTimeout = 5000
                    $stream = $client.GetStream()
                    $reader = [System.IO.StreamReader]::new($stream, [System.Text.Encoding]::ASCII, $false, 4096, $true)
                    $head = [System.Text.StringBuilder]::new()
                    while ($null -ne ($line = $reader.ReadLine()) -and $line.Length -gt 0) { [void]$head.AppendLine($line) }
                    $recorded.Enqueue($head.ToString())
                    $answer = [System.Text.Encoding]::ASCII.GetBytes("HTTP/1.1 500 Internal Server Error`r`nContent-Length: 0`r`nConnection: close`r`n`r`n")
                    $stream.Write($answer, 0, $answer.Length)
                } catch { } finally { $client.Dispose() }
            }
        }).AddArgument($Listener).AddArgument($Recorded)
    $script:RecorderHandle = $Recorder.BeginInvoke()

    function script:Get-RecordedRequest { @($Recorded.ToArray()) }
    function script:Get-EmulatorDisconnects { Get-StatCount (Get-EmulatorStats $Emulator) 'disconnectActiveSessions' }
    function script:Get-EmulatorTotal { [int](Get-EmulatorStats $Emulator).total }
    # An admin's export, edited by someone else to name the recorder.
    function script:New-EditedExport {
        $path = Join-Path $TestDrive ('sessions-{0}.csv' -f [guid]::NewGuid().ToString('N'))
        Get-BastionSession -SubscriptionId $Sub -ArmEndpoint $Emulator.BaseUrl -AccessToken $Token -ErrorAction Stop | Export-Csv -LiteralPath $path -NoTypeInformation
        $text = [IO.File]::ReadAllText($path).Replace($Emulator.BaseUrl, $RecorderUrl)
        [IO.File]::WriteAllText($path, $text)
        $path
    }
}

AfterAll {
    if ($script:Listener) { $Listener.Stop() }
    if ($script:Recorder) { $Recorder.Stop(); $Recorder.Dispose() }
    if ($script:Emulator) { Stop-TestEmulator $script:Emulator }
    Restore-TestEnvironment $script:Saved
}

Describe 'A piped ArmEndpoint is trusted only by provenance' {
    BeforeEach { Reset-TestEmulator $Emulator; $script:Recorded.Clear() }

    It 'an edited export piped in stops before any request, naming the endpoint; the recorder receives nothing' {
        $csv = New-EditedExport
        (Get-Content -Raw -LiteralPath $csv) | Should -Match ([regex]::Escape($RecorderUrl))
        $before = Get-EmulatorTotal
        $err = $null
        try { Import-Csv -LiteralPath $csv | Disconnect-BastionSession -Force -AccessToken $Token -ErrorAction Stop } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -Be 'BastionUntrustedEndpoint,BastionSession.Cmdlets.DisconnectBastionSessionCommand'
        $err.CategoryInfo.Category | Should -Be 'SecurityError'
        $err.TargetObject | Should -Be $RecorderUrl
        "$err" | Should -Match ([regex]::Escape("-ArmEndpoint $RecorderUrl"))
        "$err" | Should -Not -Match ([regex]::Escape($Token))
        Start-Sleep -Milliseconds 300
        @(Get-RecordedRequest) | Should -BeNullOrEmpty -Because 'no request, and so no Authorization header, reaches an endpoint nobody confirmed'
        (Get-EmulatorTotal) | Should -Be $before
    }

    It 'with -All, the listing is not sent either' {
        $csv = New-EditedExport
        $rows = @(Import-Csv -LiteralPath $csv | Select-Object BastionResourceId, ArmEndpoint -Unique)
        $err = $null
        try { $rows | Disconnect-BastionSession -All -Force -AccessToken $Token -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -Be 'BastionUntrustedEndpoint,BastionSession.Cmdlets.DisconnectBastionSessionCommand'
        Start-Sleep -Milliseconds 300
        @(Get-RecordedRequest) | Should -BeNullOrEmpty
    }

    It 'a real session whose ArmEndpoint was changed by hand is refused; unchanged ones go through' {
        $sessions = @(Get-BastionSession -SubscriptionId $Sub -ArmEndpoint $Emulator.BaseUrl -AccessToken $Token -ErrorAction Stop)
        $sessions.Count | Should -Be 4
        $tampered = $sessions[0]
        $tampered.ArmEndpoint = $RecorderUrl
        { $tampered | Disconnect-BastionSession -Force -AccessToken $Token -ErrorAction Stop } | Should -Throw -ErrorId 'BastionUntrustedEndpoint,BastionSession.Cmdlets.DisconnectBastionSessionCommand'
        @(Get-RecordedRequest) | Should -BeNullOrEmpty
        $results = @($sessions[1..3] | Disconnect-BastionSession -Force -AccessToken $Token -ErrorAction Stop)
        $results.Count | Should -Be 3
        @($results | Where-Object State -eq 'Disconnected').Count | Should -Be 3
    }

    It 'a DisconnectResult of this process pipes back in (same endpoint, one canonical form)' {
        $sessions = @(Get-BastionSession -SubscriptionId $Sub -ArmEndpoint ($Emulator.BaseUrl + '/') -AccessToken $Token -ErrorAction Stop)
        $results = @($sessions | Disconnect-BastionSession -Force -AccessToken $Token -ErrorAction Stop)
        $again = @($results | Disconnect-BastionSession -Force -AccessToken $Token -ErrorAction Stop)
        $again.Count | Should -Be $results.Count
        @($again | Where-Object State -eq 'NotFound').Count | Should -Be $results.Count
    }

    It 'the endpoint confirmed with -ArmEndpoint goes through' {
        $csv = New-EditedExport
        $text = [IO.File]::ReadAllText($csv).Replace($RecorderUrl, $Emulator.BaseUrl)
        [IO.File]::WriteAllText($csv, $text)
        { Import-Csv -LiteralPath $csv | Disconnect-BastionSession -Force -AccessToken $Token -ErrorAction Stop } | Should -Throw -ErrorId 'BastionUntrustedEndpoint,BastionSession.Cmdlets.DisconnectBastionSessionCommand' -Because 'a CSV is not this process''s session, and a loopback emulator is no known cloud'
        (Get-EmulatorDisconnects) | Should -Be 0
        $results = @(Import-Csv -LiteralPath $csv | Disconnect-BastionSession -Force -AccessToken $Token -ArmEndpoint $Emulator.BaseUrl -ErrorAction Stop)
        $results.Count | Should -Be 4
        (Get-EmulatorDisconnects) | Should -Be 2
    }

    It 'a known cloud named by a CSV is accepted (checked with -WhatIf: nothing is sent)' {
        $row = [pscustomobject]@{ SessionId = 'a-session'; BastionResourceId = "/subscriptions/$Sub/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-0"; ArmEndpoint = 'https://MANAGEMENT.azure.com:443/' }
        $out = @($row | Disconnect-BastionSession -AccessToken $Token -WhatIf -ErrorAction Stop 6>&1 5>&1 4>&1 3>&1)
        @($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
    }
}
