<#
.SYNOPSIS
    Writes the module's MAML help (BastionSession.dll-Help.xml) from powershell/help/*.md.

.DESCRIPTION
    A binary module's cmdlets carry their help as MAML (<assembly>-Help.xml in a culture
    folder). MAML is unreadable to edit, so the help is written once per cmdlet as Markdown
    in powershell/help/, which is also the cmdlets' online documentation (their HelpUri),
    and this script turns it into MAML at build time. It runs on Windows PowerShell 5.1 and
    PowerShell 7 and needs nothing but the .NET XML writer.

    The Markdown shape, one file per cmdlet named <Cmdlet>.md (anything else in a file is an
    error naming the file and line, so a typo cannot silently drop help):

        # <Cmdlet>                       the first line; must match the file name
        ## Synopsis                      one paragraph
        ## Description                   paragraphs (a blank line between); "- " starts a
                                         list item, which becomes a paragraph of its own
        ## Parameter sets                "- <Set>" lines, exactly one "- <Set> (default)"
        ## Parameters                    one "### -<Name>" per parameter: description
                                         paragraphs (required), then exactly these fields,
                                         in any order, as "- Key: Value" lines:
            - Type: String[]
            - Parameter sets: All | <Set> [(required|hidden)], <Set> ...
                (hidden: the parameter binds in that set but the syntax does not show it)
            - Position: Named | <n>
            - Default value: <text>      the real default, or None (and why)
            - Pipeline input: False | ByValue | ByPropertyName | ByValue, ByPropertyName
            - Aliases: None | <Alias>, <Alias>
            - Accepts wildcards: True | False
        ## Examples                      "### Example <n>: <Title>", one ```powershell
                                         block, then remarks paragraphs (required); no
                                         line in a code block starts with "## " or
                                         "### " (taken for an unclosed block)
        ## Inputs                        "### <Type name>", then paragraphs (optional)
        ## Outputs                       as Inputs
        ## Notes                         paragraphs (optional section)
        ## Related links                 "- [Text](target)" lines; an absolute URL is kept,
                                         a relative one (another file here) becomes the
                                         text alone, as Get-Help shows a command name.
                                         "[Online version](URL)" first: Get-Help -Online
                                         opens the first link's URL.

    In text, `code` loses its backticks and **bold** its stars; [text](http...) becomes
    "text (http...)". Every section but Notes is required.

.PARAMETER OutputFolder
    Where BastionSession.dll-Help.xml is written (created when missing), e.g. <module>/en-US.

.PARAMETER SourceFolder
    The Markdown files (default: powershell/help next to this script).

.EXAMPLE
    pwsh ./powershell/build-help.ps1 -OutputFolder out/BastionSession/en-US
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory = $true)] [string] $OutputFolder,
    [string] $SourceFolder = (Join-Path $PSScriptRoot 'help')
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$sections = @('Synopsis', 'Description', 'Parameter sets', 'Parameters', 'Examples', 'Inputs', 'Outputs', 'Notes', 'Related links')
$requiredSections = @('Synopsis', 'Description', 'Parameter sets', 'Parameters', 'Examples', 'Inputs', 'Outputs', 'Related links')
$fieldNames = @('Type', 'Parameter sets', 'Position', 'Default value', 'Pipeline input', 'Aliases', 'Accepts wildcards')

function New-SourceError {
    <# The one error shape: file:line: what is wrong. #>
    param([string] $File, [int] $Line, [string] $Message)
    "${File}:${Line}: $Message"
}

function ConvertTo-PlainText {
    <# Markdown inline marks to what Get-Help shows as text. #>
    param([string] $Text)
    $Text = [regex]::Replace($Text, '\[([^\]]+)\]\((https?://[^)\s]+)\)', '$1 ($2)')
    $Text = [regex]::Replace($Text, '\[([^\]]+)\]\([^)\s]+\)', '$1')
    $Text = $Text -replace '\*\*', ''
    $Text -replace '`', ''
}

function Get-Paragraph {
    <#
    Lines (objects with Line and Text) into paragraphs: a blank line ends one, and a line
    starting with "- " starts one (a list item reads best as its own paragraph in Get-Help).
    #>
    param([object[]] $Lines)
    $paragraphs = New-Object System.Collections.Generic.List[string]
    $current = New-Object System.Collections.Generic.List[string]
    foreach ($l in $Lines) {
        $t = $l.Text.Trim()
        if ($t -eq '' -or $t.StartsWith('- ')) {
            if ($current.Count -gt 0) { $paragraphs.Add((ConvertTo-PlainText ($current -join ' '))); $current.Clear() }
        }
        if ($t -ne '') { $current.Add($t) }
    }
    if ($current.Count -gt 0) { $paragraphs.Add((ConvertTo-PlainText ($current -join ' '))) }
    $paragraphs.ToArray()
}

function Split-Subsection {
    <# A section's lines split at "### " headings: @{ Title; Line; Lines }, in order; text before the first heading is an error. #>
    param([string] $File, [object] $Section)
    $subs = New-Object System.Collections.Generic.List[object]
    $current = $null
    foreach ($l in $Section.Lines) {
        if (-not $l.InCode -and $l.Text -match '^###\s+(?<title>.+?)\s*$') {
            $current = @{ Title = $Matches['title']; Line = $l.Line; Lines = (New-Object System.Collections.Generic.List[object]) }
            $subs.Add($current)
        } elseif ($null -eq $current) {
            if ($l.Text.Trim() -ne '') { throw (New-SourceError $File $l.Line "text before the first '###' heading in section '$($Section.Name)'") }
        } else {
            $current.Lines.Add($l)
        }
    }
    $subs.ToArray()
}

function Read-HelpSource {
    <# One <Cmdlet>.md into a hashtable describing the cmdlet; throws file:line on anything malformed. #>
    param([string] $Path)
    $file = [IO.Path]::GetFileName($Path)
    $expectedName = [IO.Path]::GetFileNameWithoutExtension($Path)
    $raw = [IO.File]::ReadAllText($Path, [Text.Encoding]::UTF8) -replace "`r`n", "`n"
    $lines = $raw.TrimEnd("`n").Split("`n")

    # Pass 1: the title, "## " sections, and which lines sit inside a code fence.
    $name = $null
    $bySection = [ordered]@{}
    $current = $null
    $inCode = $false
    $fenceLine = 0
    for ($i = 0; $i -lt $lines.Count; $i++) {
        $lineNo = $i + 1
        $text = $lines[$i].TrimEnd()
        $isFence = $text.TrimStart().StartsWith('```')
        if ($isFence) { $inCode = -not $inCode; if ($inCode) { $fenceLine = $lineNo } }
        $entry = @{ Line = $lineNo; Text = $text; InCode = ($inCode -or $isFence); IsFence = $isFence }
        # Code blocks live in examples, which never hold a heading: a heading inside one means
        # the block was not closed, and the opening line is the one to name.
        if ($inCode -and -not $isFence -and $text -match '^#{2,3}\s') { throw (New-SourceError $file $fenceLine "this code block is not closed before the heading at line $lineNo") }
        if ($null -eq $name) {
            if ($text -eq '') { continue }
            if ($text -notmatch '^#\s+(?<n>\S+)$') { throw (New-SourceError $file $lineNo "the file must start with '# $expectedName'") }
            $name = $Matches['n']
            if ($name -ne $expectedName) { throw (New-SourceError $file $lineNo "the title '$name' is not the file's name '$expectedName'") }
            continue
        }
        if (-not $entry.InCode -and $text -match '^##\s+(?<s>.+?)\s*$') {
            $sectionName = $Matches['s']
            if ($sections -notcontains $sectionName) { throw (New-SourceError $file $lineNo "unknown section '$sectionName' (known: $($sections -join ', '))") }
            if ($bySection.Contains($sectionName)) { throw (New-SourceError $file $lineNo "section '$sectionName' appears twice") }
            $current = @{ Name = $sectionName; Line = $lineNo; Lines = (New-Object System.Collections.Generic.List[object]) }
            $bySection[$sectionName] = $current
            continue
        }
        if (-not $entry.InCode -and $text -match '^#\s') { throw (New-SourceError $file $lineNo "a second '# ' title") }
        if ($null -eq $current) {
            if ($text -ne '') { throw (New-SourceError $file $lineNo "text before the first '## ' section") }
            continue
        }
        $current.Lines.Add($entry)
    }
    if ($null -eq $name) { throw (New-SourceError $file 1 "the file is empty: it must start with '# $expectedName'") }
    if ($inCode) { throw (New-SourceError $file $fenceLine 'this code block is never closed') }
    foreach ($s in $requiredSections) {
        if (-not $bySection.Contains($s)) { throw (New-SourceError $file $lines.Count "section '## $s' is missing") }
    }
    foreach ($s in $bySection.Values) {
        if ($s.Name -ne 'Examples') {
            foreach ($l in $s.Lines) { if ($l.IsFence) { throw (New-SourceError $file $l.Line "a code block outside '## Examples'") } }
        }
        if ($s.Name -in 'Synopsis', 'Description', 'Parameter sets', 'Notes', 'Related links') {
            foreach ($l in $s.Lines) { if ($l.Text -match '^###') { throw (New-SourceError $file $l.Line "no '###' headings in section '$($s.Name)'") } }
        }
    }

    $help = @{ Name = $name; File = $file }
    $synopsis = @(Get-Paragraph $bySection['Synopsis'].Lines)
    if ($synopsis.Count -ne 1) { throw (New-SourceError $file $bySection['Synopsis'].Line 'the synopsis must be exactly one paragraph') }
    $help.Synopsis = $synopsis[0]
    $help.Description = @(Get-Paragraph $bySection['Description'].Lines)
    if ($help.Description.Count -eq 0) { throw (New-SourceError $file $bySection['Description'].Line 'the description is empty') }
    $help.Notes = @()
    if ($bySection.Contains('Notes')) { $help.Notes = @(Get-Paragraph $bySection['Notes'].Lines) }

    # Parameter sets.
    $sets = New-Object System.Collections.Generic.List[string]
    $help.DefaultSet = $null
    foreach ($l in $bySection['Parameter sets'].Lines) {
        if ($l.Text -eq '') { continue }
        if ($l.Text -notmatch '^- (?<set>[A-Za-z][A-Za-z0-9]*)(?<default> \(default\))?$') { throw (New-SourceError $file $l.Line "expected '- <SetName>' or '- <SetName> (default)', got '$($l.Text)'") }
        if ($sets.Contains($Matches['set'])) { throw (New-SourceError $file $l.Line "parameter set '$($Matches['set'])' is listed twice") }
        $sets.Add($Matches['set'])
        if ($Matches['default']) {
            if ($help.DefaultSet) { throw (New-SourceError $file $l.Line 'a second default parameter set') }
            $help.DefaultSet = $Matches['set']
        }
    }
    if ($sets.Count -eq 0) { throw (New-SourceError $file $bySection['Parameter sets'].Line 'no parameter sets listed') }
    if (-not $help.DefaultSet) { throw (New-SourceError $file $bySection['Parameter sets'].Line "no parameter set is marked '(default)'") }
    # The default set first: Get-Help shows the syntax in this order.
    $help.Sets = @($help.DefaultSet) + @($sets | Where-Object { $_ -ne $help.DefaultSet })

    # Parameters.
    $parameters = New-Object System.Collections.Generic.List[object]
    foreach ($sub in Split-Subsection $file $bySection['Parameters']) {
        if ($sub.Title -notmatch '^-(?<p>[A-Za-z][A-Za-z0-9]*)$') { throw (New-SourceError $file $sub.Line "a parameter heading is '### -Name', got '### $($sub.Title)'") }
        $pName = $Matches['p']
        if (@($parameters | Where-Object { $_.Name -eq $pName }).Count) { throw (New-SourceError $file $sub.Line "parameter -$pName is documented twice") }
        $descriptionLines = New-Object System.Collections.Generic.List[object]
        $fields = @{}
        foreach ($l in $sub.Lines) {
            if ($l.Text.StartsWith('- ')) {
                if ($l.Text -notmatch '^- (?<k>[^:]+):\s*(?<v>.*)$') { throw (New-SourceError $file $l.Line "expected a '- Key: Value' field of -$pName, got '$($l.Text)'") }
                $key = $Matches['k']; $value = $Matches['v'].Trim()
                if ($fieldNames -notcontains $key) { throw (New-SourceError $file $l.Line "unknown field '$key' of -$pName (known: $($fieldNames -join ', '))") }
                if ($fields.ContainsKey($key)) { throw (New-SourceError $file $l.Line "field '$key' of -$pName appears twice") }
                if ($value -eq '') { throw (New-SourceError $file $l.Line "field '$key' of -$pName is empty") }
                $fields[$key] = @{ Value = $value; Line = $l.Line }
            } elseif ($fields.Count -gt 0) {
                if ($l.Text -ne '') { throw (New-SourceError $file $l.Line "text after the field list of -${pName}: the description goes before the fields") }
            } else {
                $descriptionLines.Add($l)
            }
        }
        $description = @(Get-Paragraph $descriptionLines.ToArray())
        if ($description.Count -eq 0) { throw (New-SourceError $file $sub.Line "parameter -$pName has no description") }
        foreach ($f in $fieldNames) {
            if (-not $fields.ContainsKey($f)) { throw (New-SourceError $file $sub.Line "parameter -$pName has no '- ${f}:' field") }
        }

        $membership = [ordered]@{}   # set -> @{ Required; Hidden }
        $setsValue = $fields['Parameter sets']
        if ($setsValue.Value -eq 'All') {
            foreach ($s in $help.Sets) { $membership[$s] = @{ Required = $false; Hidden = $false } }
        } else {
            foreach ($part in $setsValue.Value -split ',\s*') {
                if ($part -notmatch '^(?<set>[A-Za-z][A-Za-z0-9]*)(?: \((?<flag>required|hidden)\))?$') { throw (New-SourceError $file $setsValue.Line "expected 'All' or '<Set> [(required|hidden)], ...' for -$pName, got '$part'") }
                if ($help.Sets -notcontains $Matches['set']) { throw (New-SourceError $file $setsValue.Line "-$pName names parameter set '$($Matches['set'])', which '## Parameter sets' does not list") }
                $membership[$Matches['set']] = @{ Required = ($Matches['flag'] -eq 'required'); Hidden = ($Matches['flag'] -eq 'hidden') }
            }
        }
        $position = $fields['Position']
        if ($position.Value -notmatch '^(Named|\d+)$') { throw (New-SourceError $file $position.Line "Position of -$pName is 'Named' or a number, got '$($position.Value)'") }
        $pipeline = $fields['Pipeline input']
        $pipelineAttribute = switch -CaseSensitive ($pipeline.Value) {
            'False' { 'False' }
            'ByValue' { 'True (ByValue)' }
            'ByPropertyName' { 'True (ByPropertyName)' }
            'ByValue, ByPropertyName' { 'True (ByValue, ByPropertyName)' }
            default { throw (New-SourceError $file $pipeline.Line "Pipeline input of -$pName is False, ByValue, ByPropertyName or 'ByValue, ByPropertyName', got '$($pipeline.Value)'") }
        }
        $wildcards = $fields['Accepts wildcards']
        if ($wildcards.Value -cnotmatch '^(True|False)$') { throw (New-SourceError $file $wildcards.Line "Accepts wildcards of -$pName is True or False, got '$($wildcards.Value)'") }
        $aliases = $fields['Aliases'].Value
        if ($aliases -ne 'None' -and $aliases -notmatch '^[A-Za-z][A-Za-z0-9]*(, [A-Za-z][A-Za-z0-9]*)*$') { throw (New-SourceError $file $fields['Aliases'].Line "Aliases of -$pName is None or 'A, B', got '$aliases'") }

        $visible = @($membership.Values | Where-Object { -not $_.Hidden })
        $parameters.Add(@{
                Name        = $pName
                Description = $description
                Type        = $fields['Type'].Value
                IsSwitch    = ($fields['Type'].Value -eq 'SwitchParameter')
                Membership  = $membership
                # "Required? true" only where it is true in every set the syntax shows.
                Required    = ($visible.Count -gt 0 -and @($visible | Where-Object { -not $_.Required }).Count -eq 0)
                Position    = $position.Value.ToLowerInvariant()
                Default     = $fields['Default value'].Value
                Pipeline    = $pipelineAttribute
                Aliases     = $(if ($aliases -eq 'None') { 'none' } else { $aliases })
                Globbing    = $wildcards.Value.ToLowerInvariant()
            })
    }
    if ($parameters.Count -eq 0) { throw (New-SourceError $file $bySection['Parameters'].Line "no '### -<Name>' parameters") }
    foreach ($s in $help.Sets) {
        if (-not @($parameters | Where-Object { $_.Membership.Contains($s) }).Count) { throw (New-SourceError $file $bySection['Parameter sets'].Line "parameter set '$s' has no parameter") }
    }
    $help.Parameters = $parameters.ToArray()

    # Examples.
    $examples = New-Object System.Collections.Generic.List[object]
    foreach ($sub in Split-Subsection $file $bySection['Examples']) {
        $n = $examples.Count + 1
        if ($sub.Title -notmatch '^Example (?<n>\d+): (?<t>\S.*)$') { throw (New-SourceError $file $sub.Line "an example heading is '### Example ${n}: <Title>', got '### $($sub.Title)'") }
        if ([int]$Matches['n'] -ne $n) { throw (New-SourceError $file $sub.Line "example $($Matches['n']) should be numbered $n") }
        $title = $Matches['t']
        $code = New-Object System.Collections.Generic.List[string]
        $remarks = New-Object System.Collections.Generic.List[object]
        $fences = 0
        foreach ($l in $sub.Lines) {
            if ($l.IsFence) { $fences++; continue }
            if ($l.InCode) { $code.Add($l.Text) }
            elseif ($fences -eq 0 -and $l.Text -ne '') { throw (New-SourceError $file $l.Line "text before the code block of example $n") }
            else { $remarks.Add($l) }
        }
        if ($fences -ne 2) { throw (New-SourceError $file $sub.Line "example $n needs exactly one code block") }
        $remarkParagraphs = @(Get-Paragraph $remarks.ToArray())
        if ($remarkParagraphs.Count -eq 0) { throw (New-SourceError $file $sub.Line "example $n has no remarks after its code") }
        $examples.Add(@{ Title = "--------- Example ${n}: $title ---------"; Code = ($code -join "`n"); Remarks = $remarkParagraphs })
    }
    if ($examples.Count -eq 0) { throw (New-SourceError $file $bySection['Examples'].Line 'no examples') }
    $help.Examples = $examples.ToArray()

    foreach ($kind in 'Inputs', 'Outputs') {
        $types = New-Object System.Collections.Generic.List[object]
        foreach ($sub in Split-Subsection $file $bySection[$kind]) {
            if ($sub.Title -notmatch '^[A-Za-z][\w.\[\]`]*$') { throw (New-SourceError $file $sub.Line "a type heading is '### <Type.Name>', got '### $($sub.Title)'") }
            $types.Add(@{ Name = $sub.Title; Description = @(Get-Paragraph $sub.Lines.ToArray()) })
        }
        if ($types.Count -eq 0) { throw (New-SourceError $file $bySection[$kind].Line "no '### <Type>' in '$kind'") }
        $help[$kind] = $types.ToArray()
    }

    $links = New-Object System.Collections.Generic.List[object]
    foreach ($l in $bySection['Related links'].Lines) {
        if ($l.Text -eq '') { continue }
        if ($l.Text -notmatch '^- \[(?<text>[^\]]+)\]\((?<target>[^)\s]+)\)$') { throw (New-SourceError $file $l.Line "expected '- [Text](target)', got '$($l.Text)'") }
        $target = $Matches['target']
        $isUrl = $target -match '^https?://'
        $text = $Matches['text']
        # The online link reads as platyPS-made help does: Get-Help shows "Online Version: <url>".
        if ($text -eq 'Online version') { $text = 'Online Version:' }
        $links.Add(@{ Text = $text; Uri = $(if ($isUrl) { $target } else { '' }) })
    }
    if ($links.Count -eq 0) { throw (New-SourceError $file $bySection['Related links'].Line 'no related links') }
    $help.Links = $links.ToArray()
    $help
}

$mamlNs = 'http://schemas.microsoft.com/maml/2004/10'
$commandNs = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$devNs = 'http://schemas.microsoft.com/maml/dev/2004/10'

function Write-Para {
    param($Writer, [string[]] $Paragraphs)
    foreach ($p in $Paragraphs) { $Writer.WriteElementString('maml', 'para', $mamlNs, $p) }
}

function Write-Parameter {
    <# One command:parameter; in a syntax item (-Set) with that set's required flag, and no value for a switch (Get-Help then shows [-All]). #>
    param($Writer, [hashtable] $Parameter, [string] $Set)
    $required = if ($Set) { $Parameter.Membership[$Set].Required } else { $Parameter.Required }
    $Writer.WriteStartElement('command', 'parameter', $commandNs)
    $Writer.WriteAttributeString('required', $(if ($required) { 'true' } else { 'false' }))
    $Writer.WriteAttributeString('variableLength', 'true')
    $Writer.WriteAttributeString('globbing', $Parameter.Globbing)
    $Writer.WriteAttributeString('pipelineInput', $Parameter.Pipeline)
    $Writer.WriteAttributeString('position', $Parameter.Position)
    $Writer.WriteAttributeString('aliases', $Parameter.Aliases)
    $Writer.WriteElementString('maml', 'name', $mamlNs, $Parameter.Name)
    $Writer.WriteStartElement('maml', 'description', $mamlNs)
    Write-Para $Writer $Parameter.Description
    $Writer.WriteEndElement()
    if (-not ($Set -and $Parameter.IsSwitch)) {
        $Writer.WriteStartElement('command', 'parameterValue', $commandNs)
        $Writer.WriteAttributeString('required', $(if ($Parameter.IsSwitch) { 'false' } else { 'true' }))
        $Writer.WriteAttributeString('variableLength', 'false')
        $Writer.WriteString($Parameter.Type)
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $devNs)
    $Writer.WriteElementString('maml', 'name', $mamlNs, $Parameter.Type)
    $Writer.WriteEndElement()
    $Writer.WriteElementString('dev', 'defaultValue', $devNs, $Parameter.Default)
    $Writer.WriteEndElement()
}

function Write-TypeList {
    param($Writer, [string] $ListName, [string] $ItemName, [object[]] $Types)
    $Writer.WriteStartElement('command', $ListName, $commandNs)
    foreach ($t in $Types) {
        $Writer.WriteStartElement('command', $ItemName, $commandNs)
        $Writer.WriteStartElement('dev', 'type', $devNs)
        $Writer.WriteElementString('maml', 'name', $mamlNs, $t.Name)
        $Writer.WriteEndElement()
        $Writer.WriteStartElement('maml', 'description', $mamlNs)
        Write-Para $Writer $t.Description
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()
}

function Write-Command {
    param($Writer, [hashtable] $Help)
    $verb, $noun = $Help.Name -split '-', 2
    $Writer.WriteStartElement('command', 'command', $commandNs)
    $Writer.WriteAttributeString('xmlns', 'maml', $null, $mamlNs)
    $Writer.WriteAttributeString('xmlns', 'command', $null, $commandNs)
    $Writer.WriteAttributeString('xmlns', 'dev', $null, $devNs)

    $Writer.WriteStartElement('command', 'details', $commandNs)
    $Writer.WriteElementString('command', 'name', $commandNs, $Help.Name)
    $Writer.WriteElementString('command', 'verb', $commandNs, $verb)
    $Writer.WriteElementString('command', 'noun', $commandNs, $noun)
    $Writer.WriteStartElement('maml', 'description', $mamlNs)
    Write-Para $Writer @($Help.Synopsis)
    $Writer.WriteEndElement()
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('maml', 'description', $mamlNs)
    Write-Para $Writer $Help.Description
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'syntax', $commandNs)
    foreach ($set in $Help.Sets) {
        $Writer.WriteStartElement('command', 'syntaxItem', $commandNs)
        $Writer.WriteElementString('maml', 'name', $mamlNs, $Help.Name)
        $inSet = @($Help.Parameters | Where-Object { $_.Membership.Contains($set) -and -not $_.Membership[$set].Hidden })
        # Required parameters first, as PowerShell's own syntax lines read; otherwise the document's order.
        foreach ($p in @($inSet | Where-Object { $_.Membership[$set].Required }) + @($inSet | Where-Object { -not $_.Membership[$set].Required })) {
            Write-Parameter $Writer $p $set
        }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'parameters', $commandNs)
    foreach ($p in $Help.Parameters) { Write-Parameter $Writer $p $null }
    $Writer.WriteEndElement()

    Write-TypeList $Writer 'inputTypes' 'inputType' $Help.Inputs
    Write-TypeList $Writer 'returnValues' 'returnValue' $Help.Outputs

    if ($Help.Notes.Count -gt 0) {
        $Writer.WriteStartElement('maml', 'alertSet', $mamlNs)
        $Writer.WriteStartElement('maml', 'alert', $mamlNs)
        Write-Para $Writer $Help.Notes
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }

    $Writer.WriteStartElement('command', 'examples', $commandNs)
    foreach ($e in $Help.Examples) {
        $Writer.WriteStartElement('command', 'example', $commandNs)
        $Writer.WriteElementString('maml', 'title', $mamlNs, $e.Title)
        $Writer.WriteElementString('dev', 'code', $devNs, $e.Code)
        $Writer.WriteStartElement('dev', 'remarks', $devNs)
        # The empty paragraph: Get-Help prints the next example's title right under the remarks otherwise.
        Write-Para $Writer (@($e.Remarks) + '')
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('maml', 'relatedLinks', $mamlNs)
    foreach ($link in $Help.Links) {
        $Writer.WriteStartElement('maml', 'navigationLink', $mamlNs)
        $Writer.WriteElementString('maml', 'linkText', $mamlNs, $link.Text)
        $Writer.WriteElementString('maml', 'uri', $mamlNs, $link.Uri)
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteEndElement()
}

$sources = @(Get-ChildItem -LiteralPath $SourceFolder -Filter '*.md' -File | Sort-Object Name)
if ($sources.Count -eq 0) { throw "No <Cmdlet>.md help sources in $SourceFolder" }
$helps = foreach ($source in $sources) { Read-HelpSource $source.FullName }

if (-not (Test-Path -LiteralPath $OutputFolder)) { New-Item -ItemType Directory -Force -Path $OutputFolder | Out-Null }
$outFile = Join-Path (Resolve-Path -LiteralPath $OutputFolder).ProviderPath 'BastionSession.dll-Help.xml'
$settings = New-Object System.Xml.XmlWriterSettings
# UTF-8 without a byte order mark; the XML declaration names the encoding.
$settings.Encoding = New-Object System.Text.UTF8Encoding $false
$settings.Indent = $true
$settings.IndentChars = '  '
$settings.NewLineChars = "`n"
$writer = [System.Xml.XmlWriter]::Create($outFile, $settings)
try {
    $writer.WriteStartDocument()
    $writer.WriteStartElement('helpItems', 'http://msh')
    $writer.WriteAttributeString('schema', 'maml')
    foreach ($help in $helps) { Write-Command $writer $help }
    $writer.WriteEndElement()
    $writer.WriteEndDocument()
} finally {
    $writer.Dispose()
}
Write-Verbose "Wrote $outFile ($(@($helps).Count) cmdlets)"
