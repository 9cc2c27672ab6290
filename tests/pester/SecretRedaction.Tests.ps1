#Requires -Version 7.0
<#
    Secrets stay secret at the cmdlet level. A distinctive bearer token (as a string and as a
    SecureString), a wrong token, a managed-identity header secret and a client secret are used
    in real calls with -Verbose -Debug; every one of the six streams is redirected, every error
    record is serialised in depth (PSSerializer, Exception.ToString(), ScriptStackTrace,
    TargetObject), $Error is serialised, the native library logs at trace level to a file
    (BASTION_SESSION_LOG=trace, RUST_LOG=trace), and the child's own stdout/stderr are kept.
    None of it may contain any secret.

    Everything runs in a child pwsh (the native library reads its log settings once per
    process). Every proxy variable points at a local listener that never answers, with
    NO_PROXY for 127.0.0.1 only: the client-secret call, whose token request would go to
    Entra ID, ends at that listener and never leaves the machine; the plain-HTTP endpoint
    203.0.113.1 must be refused before any connection, so that listener must see nothing then.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Secrets = [ordered]@{
        Token          = 'eyJ0eXAiOiJKV1Qi.SECRET-token-canary-91c4e7b2d8'
        WrongToken     = 'eyJ0eXAiOiJKV1Qi.WRONG-token-canary-5b2f0a6c'
        IdentityHeader = 'IDH-secret-canary-3e8a1f77c0'
        ClientSecret   = 'CS~client-secret-canary-77d1e9a4b3'
    }
    $script:Emulator = Start-TestEmulator -Token $script:Secrets.Token -ArgumentList @(
        '--hosts', '3', '--sessions-per-host', '2', '--retry-after', '0',
        '--identity-header', $script:Secrets.IdentityHeader,
        '--host-behaviour', 'bh-1=forbidden')
    $script:Capture = Join-Path $TestDrive 'capture'
    $null = New-Item -ItemType Directory -Path $script:Capture
    $script:NativeLog = Join-Path $TestDrive 'native-trace.log'

    $child = @'
$ErrorActionPreference = 'Continue'
$ProgressPreference = 'SilentlyContinue'
$cfg = Get-Content -Raw -LiteralPath $env:SECRETS_TEST_CONFIG | ConvertFrom-Json
# A proxy that accepts and never answers: whatever is not loopback ends here.
$trap = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
$trap.Start()
$proxy = 'http://127.0.0.1:{0}' -f $trap.LocalEndpoint.Port
foreach ($n in 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy') { [Environment]::SetEnvironmentVariable($n, $proxy) }
foreach ($n in 'NO_PROXY', 'no_proxy') { [Environment]::SetEnvironmentVariable($n, '127.0.0.1') }
Import-Module $cfg.Module -Force

function Save-Capture {
    param([string] $Name, [object[]] $Records, [hashtable] $Facts = @{})
    $text = New-Object System.Text.StringBuilder
    $streams = @{}
    foreach ($r in $Records) {
        $kind = if ($null -eq $r) { 'null' } else { $r.GetType().Name }
        $streams[$kind] = 1 + [int]$streams[$kind]
        [void]$text.AppendLine("---- $kind")
        [void]$text.AppendLine(($r | Out-String -Width 4096))
        [void]$text.AppendLine([System.Management.Automation.PSSerializer]::Serialize($r, 6))
        if ($r -is [System.Management.Automation.ErrorRecord]) {
            [void]$text.AppendLine($r.Exception.ToString())
            [void]$text.AppendLine([string]$r.ErrorDetails)
            [void]$text.AppendLine($r.ScriptStackTrace)
            [void]$text.AppendLine($r.FullyQualifiedErrorId)
            [void]$text.AppendLine(($r.TargetObject | ConvertTo-Json -Depth 6 -WarningAction SilentlyContinue))
            [void]$text.AppendLine(($r | Format-List * -Force | Out-String -Width 4096))
            [void]$text.AppendLine(($r.Exception | Format-List * -Force | Out-String -Width 4096))
        }
    }
    $Facts.Streams = $streams
    $Facts.TrapPending = $trap.Pending()
    Set-Content -LiteralPath (Join-Path $cfg.Capture "$Name.txt") -Value $text.ToString()
    $Facts | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath (Join-Path $cfg.Capture "$Name.json")
}

function Invoke-Captured {
    param([string] $Name, [scriptblock] $Script)
    $Error.Clear()
    $records = @(try { & $Script *>&1 } catch { $_ })
    $records += @($Error)
    Save-Capture -Name $Name -Records $records -Facts @{
        Sessions = @($records | Where-Object { $_.PSObject.TypeNames -contains 'BastionSession.Session' }).Count
        Results  = @($records | Where-Object { $_.PSObject.TypeNames -contains 'BastionSession.DisconnectResult' }).Count
        Errors   = @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count
    }
}

$sub = '00000000-0000-0000-0000-000000000001'
$url = $cfg.Url
$VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; $InformationPreference = 'Continue'; $WarningPreference = 'Continue'

# Plain HTTP to a non-loopback host: refused before any connection (the trap stays empty).
Invoke-Captured 'insecure' {
    Get-BastionSession -ResourceGroupName rg-0 -Name bh-0 -SubscriptionId $sub -ArmEndpoint 'http://203.0.113.1' -AccessToken $cfg.Token -Verbose -Debug
}
# The token as a string: sessions, a 403 host, a 404 host, then a disconnect through the pipeline.
Invoke-Captured 'token-string' {
    Get-BastionSession -ResourceGroupName rg-0 -Name bh-0, bh-1, bh-nope -SubscriptionId $sub -ArmEndpoint $url -AccessToken $cfg.Token -Verbose -Debug
    Get-BastionSession -ResourceId "/subscriptions/$sub/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-2" -ArmEndpoint $url -AccessToken $cfg.Token |
        Disconnect-BastionSession -Force -ArmEndpoint $url -AccessToken $cfg.Token -Verbose -Debug
    Disconnect-BastionSession -BastionResourceId "/subscriptions/$sub/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-1" -SessionId 'x' -Force -ArmEndpoint $url -AccessToken $cfg.Token -Verbose -Debug
}
# The token as a SecureString.
Invoke-Captured 'token-securestring' {
    $secure = ConvertTo-SecureString $cfg.Token -AsPlainText -Force
    Get-BastionSession -ResourceGroupName rg-0 -SubscriptionId $sub -ArmEndpoint $url -AccessToken $secure -Verbose -Debug
}
# A token the service rejects (401).
Invoke-Captured 'token-wrong' {
    Get-BastionSession -ResourceGroupName rg-0 -Name bh-0 -SubscriptionId $sub -ArmEndpoint $url -AccessToken $cfg.WrongToken -Verbose -Debug
    Get-BastionSession -ResourceGroupName rg-0 -Name bh-0 -SubscriptionId $sub -ArmEndpoint $url -AccessToken "Bearer $($cfg.WrongToken)" -Verbose -Debug
}
# Managed identity (as in Azure Automation): IDENTITY_HEADER is the secret.
Invoke-Captured 'managed-identity' {
    $env:AZURE_TOKEN_CREDENTIALS = 'ManagedIdentityCredential'
    $env:IDENTITY_ENDPOINT = "$url/_emulator/msi/token"
    $env:IDENTITY_HEADER = $cfg.IdentityHeader
    Get-BastionSession -ResourceGroupName rg-0 -Name bh-0 -SubscriptionId $sub -ArmEndpoint $url -Verbose -Debug
    $env:IDENTITY_HEADER = 'not-' + $cfg.IdentityHeader.Substring(4)
    Get-BastionSession -ResourceGroupName rg-0 -Name bh-0 -SubscriptionId $sub -ArmEndpoint $url -TimeoutSec 10 -Verbose -Debug
    Remove-Item Env:IDENTITY_ENDPOINT, Env:IDENTITY_HEADER
}
# A client secret from the environment: the token request goes to Entra ID through the proxy
# variables, that is to the trap, and times out there.
Invoke-Captured 'client-secret' {
    $env:AZURE_TOKEN_CREDENTIALS = 'EnvironmentCredential'
    $env:AZURE_TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47'
    $env:AZURE_CLIENT_ID = '11111111-2222-3333-4444-555555555555'
    $env:AZURE_CLIENT_SECRET = $cfg.ClientSecret
    Get-BastionSession -ResourceGroupName rg-0 -Name bh-0 -SubscriptionId $sub -ArmEndpoint $url -TimeoutSec 4 -Verbose -Debug
    Remove-Item Env:AZURE_CLIENT_SECRET
}
$trap.Stop()
'child done'
'@
    $script:ChildScript = Join-Path $TestDrive 'secrets-child.ps1'
    Set-Content -LiteralPath $script:ChildScript -Value $child
    $config = Join-Path $TestDrive 'config.json'
    @{
        Module = (Get-BuiltModulePath); Url = $script:Emulator.BaseUrl; Capture = $script:Capture
        Token = $script:Secrets.Token; WrongToken = $script:Secrets.WrongToken
        IdentityHeader = $script:Secrets.IdentityHeader; ClientSecret = $script:Secrets.ClientSecret
    } | ConvertTo-Json | Set-Content -LiteralPath $config

    $environment = @{
        SECRETS_TEST_CONFIG = $config
        BASTION_SESSION_LOG = 'trace'
        BASTION_SESSION_LOG_FILE = $script:NativeLog
        RUST_LOG = 'trace'
        RUST_BACKTRACE = '1'
        AZURE_TOKEN_CREDENTIALS = 'EnvironmentCredential'
        AZURE_CLIENT_ID = $null; AZURE_CLIENT_SECRET = $null; AZURE_TENANT_ID = $null
        IDENTITY_ENDPOINT = $null; IDENTITY_HEADER = $null; MSI_ENDPOINT = $null; MSI_SECRET = $null
        AZURE_SUBSCRIPTION_ID = $null; AZURE_FEDERATED_TOKEN_FILE = $null; AZURE_CLIENT_CERTIFICATE_PATH = $null
    }
    $script:Child = Invoke-ChildPwsh -Script ". '$($script:ChildScript)'" -Environment $environment -TimeoutSec 120

    function Get-Capture([string] $Name) {
        [pscustomobject]@{
            Text  = Get-Content -Raw -LiteralPath (Join-Path $script:Capture "$Name.txt")
            Facts = Get-Content -Raw -LiteralPath (Join-Path $script:Capture "$Name.json") | ConvertFrom-Json
        }
    }

    function Assert-NoSecret([string] $Text, [string] $Where) {
        foreach ($name in $script:Secrets.Keys) {
            $secret = $script:Secrets[$name]
            # The whole secret, and its distinctive middle (a partial echo is a leak too).
            $middle = $secret.Substring([int]($secret.Length / 3), 12)
            $Text.Contains($secret) | Should -BeFalse -Because "$Where must not contain the $name"
            $Text.Contains($middle) | Should -BeFalse -Because "$Where must not contain part of the $name"
        }
    }
}

AfterAll {
    Stop-TestEmulator $script:Emulator
}

Describe 'secrets never appear in any output' {
    It 'the child session ran every scenario' {
        $script:Child.StdOut | Should -Match 'child done' -Because "stderr: $($script:Child.StdErr)"
    }

    It 'the child''s own stdout and stderr carry no secret' {
        Assert-NoSecret -Text ($script:Child.StdOut + $script:Child.StdErr) -Where 'the child''s stdout/stderr'
    }

    It 'the native trace log is written and carries no secret' {
        Test-Path -LiteralPath $script:NativeLog | Should -BeTrue
        $log = Get-Content -Raw -LiteralPath $script:NativeLog
        $log.Length | Should -BeGreaterThan 0
        Assert-NoSecret -Text $log -Where 'the native trace log'
    }

    It 'token as a string: sessions, errors, verbose and debug streams carry no secret' {
        $c = Get-Capture 'token-string'
        $c.Facts.Sessions | Should -BeGreaterThan 0
        $c.Facts.Results | Should -BeGreaterThan 0
        $c.Facts.Errors | Should -BeGreaterOrEqual 2 -Because 'a 403 host and a 404 host'
        $c.Facts.Streams.VerboseRecord | Should -BeGreaterThan 0
        $c.Facts.Streams.DebugRecord | Should -BeGreaterThan 0
        Assert-NoSecret -Text $c.Text -Where 'the token-string capture'
    }

    It 'token as a SecureString: no secret anywhere' {
        $c = Get-Capture 'token-securestring'
        $c.Facts.Sessions | Should -BeGreaterThan 0
        Assert-NoSecret -Text $c.Text -Where 'the SecureString capture'
    }

    It 'a rejected token is not echoed in the 401 error' {
        $c = Get-Capture 'token-wrong'
        $c.Facts.Errors | Should -BeGreaterThan 0
        $c.Facts.Sessions | Should -Be 0
        Assert-NoSecret -Text $c.Text -Where 'the 401 capture'
    }

    It 'the managed-identity header secret never appears' {
        $c = Get-Capture 'managed-identity'
        $c.Facts.Sessions | Should -BeGreaterThan 0 -Because 'the emulator''s managed-identity endpoint mints a working token'
        $c.Facts.Errors | Should -BeGreaterThan 0 -Because 'a wrong IDENTITY_HEADER is refused'
        Assert-NoSecret -Text $c.Text -Where 'the managed-identity capture'
    }

    It 'the client secret never appears, and its token request stayed on this machine' {
        $c = Get-Capture 'client-secret'
        $c.Facts.Errors | Should -BeGreaterThan 0
        $c.Facts.TrapPending | Should -BeTrue -Because 'the token request must have gone to the local proxy'
        Assert-NoSecret -Text $c.Text -Where 'the client-secret capture'
    }

    It 'plain HTTP to 203.0.113.1 is refused as insecure before any connection' {
        $c = Get-Capture 'insecure'
        $c.Facts.Errors | Should -BeGreaterThan 0
        $c.Text | Should -Match 'Insecure|HTTPS|https'
        $c.Facts.TrapPending | Should -BeFalse -Because 'no connection may be attempted'
        Assert-NoSecret -Text $c.Text -Where 'the insecure-endpoint capture'
    }
}
