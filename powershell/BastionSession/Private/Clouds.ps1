<#
    Which cloud (Azure Resource Manager endpoint) a call goes to. First match wins:
      1. -ArmEndpoint;
      2. -Environment: AzureCloud, AzureUSGovernment, AzureChinaCloud, or, when Az.Accounts is
         loaded, any environment Get-AzEnvironment knows (Azure Stack Hub, a custom one ...);
      3. the Az.Accounts context's environment (its ResourceManagerUrl), when the credential is
         that context (no -AccessToken), as Az's own cmdlets do;
      4. AzureCloud.
    The token audience follows the endpoint (Resolve-BastionCredential asks Get-AzAccessToken
    for the endpoint that was chosen here).
#>

$script:BastionArmEndpoints = @{
    AzureCloud        = 'https://management.azure.com'
    AzureUSGovernment = 'https://management.usgovcloudapi.net'
    AzureChinaCloud   = 'https://management.chinacloudapi.cn'
}

function Get-BastionBuiltInEnvironmentName {
    <# The canonical name of a built-in environment (case-insensitive), else $null. #>
    param([AllowNull()] [AllowEmptyString()] [string] $Name)
    if ([string]::IsNullOrEmpty($Name)) { return $null }
    foreach ($known in $script:BastionArmEndpoints.Keys) {
        if ([string]::Equals($known, $Name, [System.StringComparison]::OrdinalIgnoreCase)) { return $known }
    }
    $null
}

function Get-BastionAzEnvironment {
    <# The environments Get-AzEnvironment knows, when Az.Accounts is loaded; else an empty list. Never imports Az.Accounts. #>
    if (-not (Get-Module -Name 'Az.Accounts')) { return @() }
    if (-not (Get-Command -Name 'Get-AzEnvironment' -ErrorAction SilentlyContinue)) { return @() }
    try { @(Get-AzEnvironment -ErrorAction Stop | Where-Object { $null -ne $_ }) } catch { @() }
}

function Get-BastionResourceManagerUrl {
    <# An Az environment's ResourceManagerUrl without the trailing slash, or $null. #>
    param($AzEnvironment)
    if ($null -eq $AzEnvironment) { return $null }
    $property = $AzEnvironment.PSObject.Properties['ResourceManagerUrl']
    if ($null -eq $property -or [string]::IsNullOrWhiteSpace([string]$property.Value)) { return $null }
    ([string]$property.Value).TrimEnd('/')
}

function Find-BastionAzEnvironment {
    <# The Get-AzEnvironment entry with this name (case-insensitive) that has a ResourceManagerUrl, else $null. #>
    param([string] $Name)
    foreach ($candidate in (Get-BastionAzEnvironment)) {
        $nameProperty = $candidate.PSObject.Properties['Name']
        if ($null -ne $nameProperty -and [string]::Equals([string]$nameProperty.Value, $Name, [System.StringComparison]::OrdinalIgnoreCase) -and
            $null -ne (Get-BastionResourceManagerUrl $candidate)) {
            return $candidate
        }
    }
    $null
}

function Format-BastionArgumentValue {
    <# The value for an error message: quoted, and cut short when long (never echo 100,000 characters). #>
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    if ($null -eq $Value) { return '<null>' }
    if ($Value.Length -le 120) { return "'$Value'" }
    "'{0}...' ({1} characters)" -f $Value.Substring(0, 60), $Value.Length
}

function Assert-BastionEnvironmentName {
    <# ValidateScript body for -Environment: a built-in name, or one Get-AzEnvironment knows when Az.Accounts is loaded. #>
    param([AllowNull()] [AllowEmptyString()] [string] $Value)
    if ($null -ne (Get-BastionBuiltInEnvironmentName $Value)) { return $true }
    if (-not [string]::IsNullOrEmpty($Value) -and $null -ne (Find-BastionAzEnvironment $Value)) { return $true }
    $azNames = @(Get-BastionAzEnvironment | ForEach-Object { $p = $_.PSObject.Properties['Name']; if ($null -ne $p) { [string]$p.Value } } | Where-Object { $_ })
    $more = if ($azNames.Count -gt 0) {
        ', or one that Get-AzEnvironment knows: {0}' -f ($azNames -join ', ')
    } else {
        ' (with Az.Accounts loaded, also any environment Get-AzEnvironment knows, such as one added with Add-AzEnvironment); or name the endpoint with -ArmEndpoint'
    }
    throw ('{0} is not a known Azure environment: use AzureCloud, AzureUSGovernment, AzureChinaCloud{1}.' -f (Format-BastionArgumentValue $Value), $more)
}

function Resolve-BastionCloud {
    <#
    .SYNOPSIS
        Returns @{ Url = <endpoint, no trailing slash>; ArmEndpoint = <[uri] for the request, or $null>;
        Environment = <built-in name for the request, or $null>; Source = <text for -Verbose> }.
    .PARAMETER AccessToken
        Only whether one was given matters: with a token, the Az context does not choose the cloud.
    #>
    param(
        [uri] $ArmEndpoint,
        [string] $Environment,
        [AllowNull()] $AccessToken
    )
    if ($null -ne $ArmEndpoint) {
        $url = $ArmEndpoint.OriginalString.TrimEnd('/')
        return @{ Url = $url; ArmEndpoint = [uri]$url; Environment = $null; Source = 'the -ArmEndpoint parameter' }
    }
    if (-not [string]::IsNullOrEmpty($Environment)) {
        $builtIn = Get-BastionBuiltInEnvironmentName $Environment
        if ($null -ne $builtIn) {
            return @{ Url = $script:BastionArmEndpoints[$builtIn]; ArmEndpoint = $null; Environment = $builtIn; Source = "-Environment $builtIn" }
        }
        $azEnvironment = Find-BastionAzEnvironment $Environment
        if ($null -eq $azEnvironment) { $null = Assert-BastionEnvironmentName $Environment }
        $url = Get-BastionResourceManagerUrl $azEnvironment
        return @{ Url = $url; ArmEndpoint = [uri]$url; Environment = $null; Source = ("-Environment {0} (Get-AzEnvironment)" -f $azEnvironment.Name) }
    }
    if ($null -eq $AccessToken) {
        $context = Get-BastionAzContext
        if ($null -ne $context) {
            $contextEnvironment = $null
            $property = $context.PSObject.Properties['Environment']
            if ($null -ne $property) { $contextEnvironment = $property.Value }
            $url = Get-BastionResourceManagerUrl $contextEnvironment
            if ($null -ne $url) {
                $name = $contextEnvironment.PSObject.Properties['Name']
                $label = if ($null -ne $name -and $name.Value) { [string]$name.Value } else { $url }
                return @{ Url = $url; ArmEndpoint = [uri]$url; Environment = $null; Source = ("the Az.Accounts context's environment ({0})" -f $label) }
            }
        }
    }
    @{ Url = $script:BastionArmEndpoints['AzureCloud']; ArmEndpoint = $null; Environment = $null; Source = 'the default environment (AzureCloud)' }
}

function Resolve-BastionArmEndpoint {
    <# The endpoint URL alone (-ArmEndpoint, -Environment, the Az context, AzureCloud), without a trailing slash. #>
    param([uri] $ArmEndpoint, [string] $Environment, [AllowNull()] $AccessToken)
    (Resolve-BastionCloud -ArmEndpoint $ArmEndpoint -Environment $Environment -AccessToken $AccessToken).Url
}
