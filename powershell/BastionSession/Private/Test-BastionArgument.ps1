<#
    Parameter validation helpers, called from [ValidateScript()] so a bad value fails binding
    with a message that names the parameter ("Cannot validate argument on parameter 'X'").
#>

# \z, not $: in .NET, $ also matches before a final newline, so "<guid>`n" would pass.
$script:BastionGuidPattern = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\z'
$script:BastionResourceIdPattern = '^/subscriptions/(?<sub>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/resourceGroups/(?<rg>[^/]+)/providers/Microsoft\.Network/bastionHosts/(?<name>[^/]+)/?\z'
# Azure's naming rules. Bastion host: 1-80 alphanumerics, '_', '.', '-'; starts alphanumeric,
# ends alphanumeric or '_'. Resource group: 1-90 letters or digits (Unicode), '_', '.', '-',
# '(', ')'; not ending in '.'. Anything else (a '/', '\', '..', '%2e', a control character)
# could only fail at ARM or, worse, move the request URL to another resource.
$script:BastionHostNamePattern = '^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?\z'
$script:BastionResourceGroupPattern = '^[-\p{L}\p{Nd}_.()]{0,89}[-\p{L}\p{Nd}_()]\z'

function Format-BastionArgumentValue {
    <# The value for an error message: quoted, and cut short when long (never echo 100,000 characters). #>
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    if ($null -eq $Value) { return '<null>' }
    if ($Value.Length -le 120) { return "'$Value'" }
    "'{0}...' ({1} characters)" -f $Value.Substring(0, 60), $Value.Length
}

function Test-BastionHostName {
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    -not [string]::IsNullOrEmpty($Value) -and $Value -cmatch $script:BastionHostNamePattern
}

function Test-BastionResourceGroupName {
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    -not [string]::IsNullOrEmpty($Value) -and $Value -cmatch $script:BastionResourceGroupPattern
}

function Assert-BastionHostName {
    <# ValidateScript body for -Name. #>
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    if (-not (Test-BastionHostName $Value)) {
        throw ('{0} is not a Bastion host name: 1-80 letters (A-Z), digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore.' -f (Format-BastionArgumentValue $Value))
    }
    $true
}

function Assert-BastionResourceGroupName {
    <# ValidateScript body for -ResourceGroupName. #>
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    if (-not (Test-BastionResourceGroupName $Value)) {
        throw ('{0} is not a resource group name: 1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending with a period.' -f (Format-BastionArgumentValue $Value))
    }
    $true
}

function Test-BastionGuid {
    <# True when the text is a GUID in the 8-4-4-4-12 form. #>
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    -not [string]::IsNullOrEmpty($Value) -and $Value -match $script:BastionGuidPattern
}

function Assert-BastionSubscriptionId {
    <# ValidateScript body for -SubscriptionId. #>
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    if (-not (Test-BastionGuid $Value)) {
        throw ('{0} is not a subscription id: expected a GUID such as 00000000-0000-0000-0000-000000000001.' -f (Format-BastionArgumentValue $Value))
    }
    $true
}

function ConvertFrom-BastionResourceId {
    <# Splits a Bastion host resource id into SubscriptionId, ResourceGroupName, Name; $null when it is not one. #>
    param([AllowNull()] [AllowEmptyString()] [string] $ResourceId)
    if ([string]::IsNullOrEmpty($ResourceId)) { return $null }
    $m = [regex]::Match($ResourceId, $script:BastionResourceIdPattern, [System.Text.RegularExpressions.RegexOptions]::IgnoreCase)
    if (-not $m.Success) { return $null }
    if (-not (Test-BastionResourceGroupName $m.Groups['rg'].Value) -or -not (Test-BastionHostName $m.Groups['name'].Value)) { return $null }
    [pscustomobject]@{
        SubscriptionId    = $m.Groups['sub'].Value
        ResourceGroupName = $m.Groups['rg'].Value
        Name              = $m.Groups['name'].Value
        ResourceId        = $ResourceId.TrimEnd('/')
    }
}

function Assert-BastionResourceId {
    <# ValidateScript body for -ResourceId / -BastionResourceId. #>
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    if ($null -eq (ConvertFrom-BastionResourceId $Value)) {
        throw ('{0} is not a Bastion host resource id: expected /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Network/bastionHosts/<name>, with a valid group and host name.' -f (Format-BastionArgumentValue $Value))
    }
    $true
}

function Get-BastionResourceId {
    <# Builds a Bastion host resource id. #>
    param([string] $SubscriptionId, [string] $ResourceGroupName, [string] $Name)
    '/subscriptions/{0}/resourceGroups/{1}/providers/Microsoft.Network/bastionHosts/{2}' -f $SubscriptionId, $ResourceGroupName, $Name
}
