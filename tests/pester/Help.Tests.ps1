<#
    The cmdlets' help. powershell/build-help.ps1 turns powershell/help/<Cmdlet>.md into MAML
    (BastionSession.dll-Help.xml, which a binary module carries in en-US/). Checked here:
    - the MAML it writes, parsed, against the built module's own cmdlets (Get-Command): every
      parameter documented, with the cmdlet's types, pipeline binding, aliases and parameter
      sets, the library's real defaults and the wildcard flags;
    - a malformed source fails the generator naming the file and the line;
    - Get-Help -Full reading that MAML, in a child pwsh, through functions made from the built
      cmdlets' own metadata (ProxyCommand) whose help is the generated file (.EXTERNALHELP);
    - tagged BinaryModule: Get-Help -Full against the built module itself. It passes once the
      cmdlets are compiled (issue 24) and the build lays the MAML out beside the assembly; a
      script module's functions carry comment-based help and never read the MAML.
#>

BeforeDiscovery {
    $script:Commands = @(@{ Command = 'Get-BastionSession' }, @{ Command = 'Disconnect-BastionSession' })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Manifest = Get-BuiltModulePath
    $script:RepoRoot = Get-RepoRoot
    $script:Generator = Join-Path $RepoRoot 'powershell/build-help.ps1'
    $script:HelpSource = Join-Path $RepoRoot 'powershell/help'
    $script:CommonNames = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    Import-Module $Manifest -Force

    $script:MamlFolder = Join-Path $TestDrive 'en-US'
    & $Generator -OutputFolder $MamlFolder
    $script:MamlPath = Join-Path $MamlFolder 'BastionSession.dll-Help.xml'
    $script:Maml = New-Object System.Xml.XmlDocument
    $Maml.Load($MamlPath)
    $script:Ns = New-Object System.Xml.XmlNamespaceManager $Maml.NameTable
    $Ns.AddNamespace('msh', 'http://msh')
    $Ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
    $Ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
    $Ns.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')

    function Get-MamlCommand([string] $Name) {
        $Maml.SelectSingleNode("/msh:helpItems/command:command[command:details/command:name='$Name']", $Ns)
    }
    function Get-MamlText($Node, [string] $XPath) {
        (@($Node.SelectNodes($XPath, $Ns) | ForEach-Object { $_.InnerText }) -join "`n").Trim()
    }
    # The cmdlet's parameters but PowerShell's common ones; -WhatIf and -Confirm stay, since
    # what they do here (ConfirmImpact High, one prompt per host) is the cmdlet's to tell.
    function Get-OwnParameter([string] $Name) {
        $cmd = Get-Command $Name -Module BastionSession
        @($cmd.Parameters.Values | Where-Object { [System.Management.Automation.PSCmdlet]::CommonParameters -notcontains $_.Name })
    }

    # What the cmdlets' help shows, read in a child pwsh: -Setup makes the commands (and
    # their help) available there, the rest reads Get-Command and Get-Help -Full as JSON.
    function Get-HelpView([string] $Setup) {
        $read = @'
$common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
$views = foreach ($c in 'Get-BastionSession', 'Disconnect-BastionSession') {
    $cmd = Get-Command $c
    $h = Get-Help $c -Full
    [pscustomobject]@{
        Command        = $c
        CommandType    = [string]$cmd.CommandType
        HelpUri        = $cmd.HelpUri
        Parameters     = @($cmd.Parameters.Keys | Where-Object { $common -notcontains $_ })
        Synopsis       = ([string]$h.Synopsis).Trim()
        Description    = ($h.description | Out-String).Trim()
        HelpParameters = @($h.parameters.parameter | ForEach-Object { [pscustomobject]@{ Name = $_.name; Description = ($_.description | Out-String).Trim() } })
        Examples       = @($h.examples.example | ForEach-Object { [pscustomobject]@{ Code = [string]$_.code; Remarks = ($_.remarks | Out-String).Trim() } })
        Full           = ($h | Out-String -Width 250)
    }
}
ConvertTo-Json -InputObject @($views) -Depth 5
'@
        $result = Invoke-ChildPwsh -Script ($Setup + "`n" + $read)
        $result.ExitCode | Should -Be 0 -Because $result.StdErr
        @($result.StdOut | ConvertFrom-Json)
    }

    # Get-Help -Full as a user reads it, for one command, against the MAML written above.
    function Assert-FullHelp($View) {
        $command = Get-MamlCommand $View.Command
        $View.Synopsis | Should -Be (Get-MamlText $command 'command:details/maml:description/maml:para')
        $View.Full | Should -Match ([regex]::Escape($View.Synopsis))
        $firstParagraph = $command.SelectSingleNode('maml:description/maml:para', $Ns).InnerText
        $View.Description | Should -Match ([regex]::Escape($firstParagraph.Substring(0, 60)))
        $View.Parameters.Count | Should -BeGreaterThan 5
        foreach ($name in $View.Parameters) {
            $p = @($View.HelpParameters | Where-Object Name -eq $name)
            $p.Count | Should -Be 1 -Because "Get-Help $($View.Command) -Full shows parameter -$name"
            $p[0].Description | Should -Not -BeNullOrEmpty -Because "parameter -$name of $($View.Command) needs help"
            $View.Full | Should -Match "(?m)^\s+-$name\b" -Because "-$name is listed in the full help"
        }
        $View.Full | Should -Match '(?s)-ThrottleLimit <Int32>.*?Default value\s+64\s'
        $View.Full | Should -Match '(?s)-TimeoutSec <Int32>.*?Default value\s+300\s'
        $titles = @($command.SelectNodes('command:examples/command:example/maml:title', $Ns) | ForEach-Object { $_.InnerText })
        @($View.Examples).Count | Should -Be $titles.Count
        foreach ($e in $View.Examples) {
            $e.Code | Should -Not -BeNullOrEmpty
            $e.Remarks | Should -Not -BeNullOrEmpty
        }
        foreach ($t in $titles) { $View.Full | Should -Match ([regex]::Escape($t)) }
    }
}

Describe 'The MAML build-help.ps1 writes' {
    It 'is UTF-8 without a byte order mark, declares its encoding, and is one helpItems of schema maml with a command per source' {
        $bytes = [IO.File]::ReadAllBytes($MamlPath)
        [Text.Encoding]::ASCII.GetString($bytes, 0, 38) | Should -Be '<?xml version="1.0" encoding="utf-8"?>'
        $Maml.DocumentElement.LocalName | Should -Be 'helpItems'
        $Maml.DocumentElement.NamespaceURI | Should -Be 'http://msh'
        $Maml.DocumentElement.GetAttribute('schema') | Should -Be 'maml'
        $names = @($Maml.SelectNodes('/msh:helpItems/command:command/command:details/command:name', $Ns) | ForEach-Object { $_.InnerText })
        $sources = @(Get-ChildItem -LiteralPath $HelpSource -Filter '*.md' | ForEach-Object { $_.BaseName })
        ($names | Sort-Object) | Should -Be ($sources | Sort-Object)
        ($names | Sort-Object) | Should -Be @('Disconnect-BastionSession', 'Get-BastionSession')
    }
}

Describe 'The MAML of <Command>' -ForEach $Commands {
    BeforeAll {
        $script:Cmd = Get-MamlCommand $Command
        $script:Own = Get-OwnParameter $Command
        $script:HelpParameters = @($Cmd.SelectNodes('command:parameters/command:parameter', $Ns))
        function Get-HelpParameter([string] $Name) {
            $found = @($HelpParameters | Where-Object { $_.SelectSingleNode('maml:name', $Ns).InnerText -eq $Name })
            $found.Count | Should -Be 1 -Because "-$Name is documented once"
            $found[0]
        }
    }

    It 'names the command, its verb and noun, with a synopsis and a description' {
        $Cmd | Should -Not -BeNullOrEmpty
        $verb, $noun = $Command -split '-', 2
        $Cmd.SelectSingleNode('command:details/command:verb', $Ns).InnerText | Should -Be $verb
        $Cmd.SelectSingleNode('command:details/command:noun', $Ns).InnerText | Should -Be $noun
        Get-MamlText $Cmd 'command:details/maml:description/maml:para' | Should -Match '^\w.{20,}'
        @($Cmd.SelectNodes('maml:description/maml:para', $Ns)).Count | Should -BeGreaterOrEqual 2
    }

    It 'documents exactly the cmdlet''s own parameters, each with a description' {
        $documented = @($HelpParameters | ForEach-Object { $_.SelectSingleNode('maml:name', $Ns).InnerText })
        $missing = @($Own.Name | Where-Object { $documented -notcontains $_ })
        $missing | Should -BeNullOrEmpty -Because 'every parameter of the cmdlet needs help'
        $extra = @($documented | Where-Object { $Own.Name -notcontains $_ })
        $extra | Should -BeNullOrEmpty -Because 'help describes no parameter the cmdlet lacks'
        foreach ($p in $HelpParameters) {
            Get-MamlText $p 'maml:description/maml:para' | Should -Not -BeNullOrEmpty
        }
    }

    It 'gives each parameter the type, pipeline binding and aliases the cmdlet declares' {
        foreach ($own in $Own) {
            $p = Get-HelpParameter $own.Name
            $p.SelectSingleNode('dev:type/maml:name', $Ns).InnerText | Should -Be $own.ParameterType.Name -Because "the type of -$($own.Name)"
            $byName = @($own.ParameterSets.Values | Where-Object { $_.ValueFromPipelineByPropertyName }).Count -gt 0
            $byValue = @($own.ParameterSets.Values | Where-Object { $_.ValueFromPipeline }).Count -gt 0
            $expected = if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' } elseif ($byValue) { 'True (ByValue)' } elseif ($byName) { 'True (ByPropertyName)' } else { 'False' }
            $p.GetAttribute('pipelineInput') | Should -Be $expected -Because "the pipeline binding of -$($own.Name)"
            $aliases = if ($own.Aliases.Count) { $own.Aliases -join ', ' } else { 'none' }
            $p.GetAttribute('aliases') | Should -Be $aliases -Because "the aliases of -$($own.Name)"
            $p.GetAttribute('position') | Should -Be 'named'
            $p.SelectSingleNode('dev:defaultValue', $Ns).InnerText | Should -Not -BeNullOrEmpty
        }
    }

    It 'has one syntax line per parameter set, each with that set''s mandatory parameters' {
        $items = @($Cmd.SelectNodes('command:syntax/command:syntaxItem', $Ns) | ForEach-Object {
                $required = @($_.SelectNodes('command:parameter[@required="true"]/maml:name', $Ns) | ForEach-Object { $_.InnerText } | Sort-Object)
                $required -join ','
            })
        $sets = @((Get-Command $Command -Module BastionSession).ParameterSets | ForEach-Object {
                @($_.Parameters | Where-Object { $_.IsMandatory } | ForEach-Object { $_.Name } | Sort-Object) -join ','
            })
        ($items | Sort-Object) | Should -Be ($sets | Sort-Object)
        # The default set's line comes first, as Get-Command shows it.
        $default = (Get-Command $Command -Module BastionSession).ParameterSets | Where-Object IsDefault
        $items[0] | Should -Be (@($default.Parameters | Where-Object { $_.IsMandatory } | ForEach-Object { $_.Name } | Sort-Object) -join ',')
    }

    It 'shows the library''s real defaults for -ThrottleLimit and -TimeoutSec' {
        # The module leaves both to the native library when they are not given: its constants are the truth.
        $rust = Get-ChildItem -Recurse -Filter '*.rs' -Path (Join-Path $RepoRoot 'src'), (Join-Path $RepoRoot 'ffi/src') | Get-Content -Raw
        $concurrency = [regex]::Match(($rust -join "`n"), 'const DEFAULT_CONCURRENCY: usize = (\d+);')
        $timeout = [regex]::Match(($rust -join "`n"), 'const DEFAULT_TIMEOUT_SEC: u64 = (\d+);')
        $concurrency.Success | Should -BeTrue -Because 'the core names its default concurrency DEFAULT_CONCURRENCY'
        $timeout.Success | Should -BeTrue -Because 'the library names its default deadline DEFAULT_TIMEOUT_SEC'
        (Get-HelpParameter 'ThrottleLimit').SelectSingleNode('dev:defaultValue', $Ns).InnerText | Should -Be $concurrency.Groups[1].Value
        (Get-HelpParameter 'TimeoutSec').SelectSingleNode('dev:defaultValue', $Ns).InnerText | Should -Be $timeout.Groups[1].Value
        $concurrency.Groups[1].Value | Should -Be '64'
        $timeout.Groups[1].Value | Should -Be '300'
    }

    It 'flags wildcards exactly on the session filters' {
        $wildcards = @($HelpParameters | Where-Object { $_.GetAttribute('globbing') -eq 'true' } | ForEach-Object { $_.SelectSingleNode('maml:name', $Ns).InnerText })
        $expected = if ($Command -eq 'Get-BastionSession') { @('UserName', 'TargetHostName') } else { @() }
        $wildcards | Should -Be $expected
        @($HelpParameters | Where-Object { $_.GetAttribute('globbing') -notin 'true', 'false' }) | Should -BeNullOrEmpty
    }

    It 'names the aliases of the host parameters' {
        (Get-HelpParameter 'Name').GetAttribute('aliases') | Should -Be 'BastionName, BastionHostName'
        if ($Command -eq 'Get-BastionSession') {
            (Get-HelpParameter 'ResourceId').GetAttribute('aliases') | Should -Be 'Id, BastionResourceId'
        }
    }

    It 'links first to its own page in the project''s repository' {
        $projectUri = (Import-PowerShellDataFile $Manifest).PrivateData.PSData.ProjectUri.TrimEnd('/')
        $first = $Cmd.SelectSingleNode('maml:relatedLinks/maml:navigationLink', $Ns)
        $first.SelectSingleNode('maml:uri', $Ns).InnerText | Should -Be "$projectUri/blob/main/powershell/help/$Command.md"
        Join-Path $HelpSource "$Command.md" | Should -Exist
    }

    It 'has examples with code and remarks, and names its input and output types' {
        $examples = @($Cmd.SelectNodes('command:examples/command:example', $Ns))
        $examples.Count | Should -BeGreaterOrEqual 4
        foreach ($e in $examples) {
            $e.SelectSingleNode('maml:title', $Ns).InnerText | Should -Match 'Example \d+: \w'
            $e.SelectSingleNode('dev:code', $Ns).InnerText | Should -Match $Command
            Get-MamlText $e 'dev:remarks/maml:para' | Should -Not -BeNullOrEmpty
        }
        $output = if ($Command -eq 'Get-BastionSession') { 'BastionSession.Session' } else { 'BastionSession.DisconnectResult' }
        Get-MamlText $Cmd 'command:returnValues/command:returnValue/dev:type/maml:name' | Should -Be $output
        Get-MamlText $Cmd 'command:inputTypes/command:inputType/dev:type/maml:name' | Should -Not -BeNullOrEmpty
    }
}

Describe 'build-help.ps1 refuses a malformed source, naming the file and line' {
    BeforeDiscovery {
        # Each case breaks a copy of the real Get-BastionSession.md; Line is the line the error must name.
        $script:Cases = @(
            @{ Case = 'a parameter without a description'; Find = "### -Protocol`n`nOnly SSH or only RDP sessions.`n"; Replace = "### -Protocol`n"; Line = '### -Protocol'; Says = 'parameter -Protocol has no description' }
            @{ Case = 'an unknown section'; Find = '## Notes'; Replace = '## Remarks'; Line = '## Remarks'; Says = "unknown section 'Remarks'" }
            @{ Case = 'an unknown field'; Find = "- Default value: 64`n"; Replace = "- Default value: 64`n- Minimum: 1`n"; Line = '- Minimum: 1'; Says = "unknown field 'Minimum' of -ThrottleLimit" }
            @{ Case = 'a missing field'; Find = "- Default value: 300`n"; Replace = ''; Line = '### -TimeoutSec'; Says = "parameter -TimeoutSec has no '- Default value:' field" }
            @{ Case = 'a parameter set the file does not list'; Find = '- Parameter sets: ByResourceId (required)'; Replace = '- Parameter sets: ByHostId (required)'; Line = '- Parameter sets: ByHostId (required)'; Says = "parameter set 'ByHostId'" }
            @{ Case = 'an example without remarks'; Find = "`nLists the sessions of one Bastion host in the current subscription.`n"; Replace = ''; Line = '### Example 1: The sessions of one host'; Says = 'example 1 has no remarks' }
            @{ Case = 'a code block never closed'; Find = "Get-AzBastion | Get-BastionSession | Format-Table UserName, TargetHostName, Duration, BastionName`n``````"; Replace = 'Get-AzBastion | Get-BastionSession'; Line = '```powershell'; Says = 'this code block is not closed before the heading at line' }
        )
    }

    It 'fails on <Case>' -ForEach $Cases {
        $source = [IO.File]::ReadAllText((Join-Path $HelpSource 'Get-BastionSession.md')) -replace "`r`n", "`n"
        $source.Contains($Find) | Should -BeTrue -Because 'the case breaks text the real source holds'
        $broken = $source.Replace($Find, $Replace)
        $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('n'))
        New-Item -ItemType Directory -Path $folder | Out-Null
        [IO.File]::WriteAllText((Join-Path $folder 'Get-BastionSession.md'), $broken)
        # The line the error must name: the last line equal to Line up to where the break
        # starts, or its next line (for a code block never closed: the broken example's fence).
        $lines = $broken.Split("`n")
        $lineOfBreak = $source.Substring(0, $source.IndexOf($Find)).Split("`n").Count
        $candidates = @(for ($i = 0; $i -lt $lines.Count; $i++) { if ($lines[$i] -eq $Line) { $i + 1 } })
        $expectedLine = @($candidates | Where-Object { $_ -le $lineOfBreak + 1 })[-1]
        $out = Join-Path $folder 'out'
        { & $Generator -SourceFolder $folder -OutputFolder $out } | Should -Throw -ExpectedMessage "Get-BastionSession.md:${expectedLine}: *$Says*"
        $out | Should -Not -Exist
    }
}

Describe 'Get-Help -Full reads the generated MAML: <Command>' -ForEach $Commands {
    BeforeAll {
        # Functions with the built cmdlets' own parameters (ProxyCommand from their metadata),
        # whose help is the generated MAML: Get-Help reads it as it reads a binary module's.
        if (-not $script:ProxyViews) {
            $proxy = Join-Path $TestDrive 'proxy'
            New-Item -ItemType Directory -Force -Path $proxy | Out-Null
            Copy-Item -Recurse -LiteralPath $MamlFolder -Destination $proxy
            $setup = @"
Import-Module '$($Manifest.Replace("'", "''"))'
`$text = foreach (`$c in 'Get-BastionSession', 'Disconnect-BastionSession') {
    `$meta = [System.Management.Automation.CommandMetadata]::new((Get-Command `$c -Module BastionSession))
    "function `$c {``n" + [System.Management.Automation.ProxyCommand]::Create(`$meta, '.EXTERNALHELP BastionSession.dll-Help.xml') + "``n}``n"
}
Set-Content -LiteralPath '$((Join-Path $proxy 'Proxy.psm1').Replace("'", "''"))' -Value (`$text -join "``n")
Remove-Module BastionSession
Import-Module '$((Join-Path $proxy 'Proxy.psm1').Replace("'", "''"))'
"@
            $script:ProxyViews = Get-HelpView $setup
        }
        $script:View = $ProxyViews | Where-Object Command -eq $Command
    }

    It 'shows the synopsis, the description, every parameter with its help, the defaults and the examples' {
        $View.CommandType | Should -Be 'Function' -Because 'the stand-in is a function made from the cmdlet'
        Assert-FullHelp $View
    }
}

Describe 'Get-Help -Full against the built binary module: <Command>' -Tag 'BinaryModule' -ForEach $Commands {
    BeforeAll {
        if (-not $script:ModuleViews) {
            $script:ModuleViews = Get-HelpView "Import-Module '$($Manifest.Replace("'", "''"))'"
        }
        $script:View = $ModuleViews | Where-Object Command -eq $Command
    }

    It 'is a compiled cmdlet whose HelpUri is its page in the repository' {
        $View.CommandType | Should -Be 'Cmdlet' -Because 'help from MAML needs the compiled cmdlets of issue 24'
        $projectUri = (Import-PowerShellDataFile $Manifest).PrivateData.PSData.ProjectUri.TrimEnd('/')
        $View.HelpUri | Should -Be "$projectUri/blob/main/powershell/help/$Command.md"
    }

    It 'shows the synopsis, the description, every parameter with its help, the defaults and the examples' {
        Join-Path (Split-Path $Manifest) 'en-US/BastionSession.dll-Help.xml' | Should -Exist
        Assert-FullHelp $View
    }
}
