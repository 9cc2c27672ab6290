<#
    Parameter validation helpers, called from [ValidateScript()] so a bad value fails binding
    with a message that names the parameter ("Cannot validate argument on parameter 'X'").
#>

$script:BastionGuidPattern = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
$script:BastionResourceIdPattern = '^/subscriptions/(?<sub>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})/resourceGroups/(?<rg>[^/]+)/providers/Microsoft\.Network/bastionHosts/(?<name>[^/]+)/?$'

function Test-BastionGuid {
    <# True when the text is a GUID in the 8-4-4-4-12 form. #>
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    -not [string]::IsNullOrEmpty($Value) -and $Value -match $script:BastionGuidPattern
}

function Assert-BastionSubscriptionId {
    <# ValidateScript body for -SubscriptionId. #>
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    if (-not (Test-BastionGuid $Value)) {
        throw ("'{0}' is not a subscription id: expected a GUID such as 00000000-0000-0000-0000-000000000001." -f $Value)
    }
    $true
}

function ConvertFrom-BastionResourceId {
    <# Splits a Bastion host resource id into SubscriptionId, ResourceGroupName, Name; $null when it is not one. #>
    param([AllowNull()] [AllowEmptyString()] [string] $ResourceId)
    if ([string]::IsNullOrEmpty($ResourceId)) { return $null }
    $m = [regex]::Match($ResourceId, $script:BastionResourceIdPattern, [System.Text.RegularExpressions.RegexOptions]::IgnoreCase)
    if (-not $m.Success) { return $null }
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
        throw ("'{0}' is not a Bastion host resource id: expected /subscriptions/<guid>/resourceGroups/<group>/providers/Microsoft.Network/bastionHosts/<name>." -f $Value)
    }
    $true
}

function Get-BastionResourceId {
    <# Builds a Bastion host resource id. #>
    param([string] $SubscriptionId, [string] $ResourceGroupName, [string] $Name)
    '/subscriptions/{0}/resourceGroups/{1}/providers/Microsoft.Network/bastionHosts/{2}' -f $SubscriptionId, $ResourceGroupName, $Name
}
