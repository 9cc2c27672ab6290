<#
    Where the token comes from (the subscription: Resolve-BastionSubscriptionId.ps1). First
    match wins:
      1. -AccessToken (SecureString or string);
      2. the Az.Accounts context, when that module is loaded and signed in
         (Get-AzAccessToken; .Token is a SecureString since Az.Accounts 5, a string before);
      3. the native chain ({ type = 'default' }): environment service principal, workload
         identity, managed identity (IDENTITY_ENDPOINT/IDENTITY_HEADER as in Azure Automation),
         Azure CLI; narrowed by AZURE_TOKEN_CREDENTIALS.
#>

# The endpoint itself (and so the token audience) is chosen in Clouds.ps1.

function ConvertFrom-BastionSecureString {
    <# SecureString -> string through a BSTR that is zeroed and freed at once. #>
    param([Parameter(Mandatory = $true)] [System.Security.SecureString] $SecureString)
    $bstr = [System.Runtime.InteropServices.Marshal]::SecureStringToBSTR($SecureString)
    try {
        [System.Runtime.InteropServices.Marshal]::PtrToStringBSTR($bstr)
    } finally {
        [System.Runtime.InteropServices.Marshal]::ZeroFreeBSTR($bstr)
    }
}

function Get-BastionAzContext {
    <# The Az.Accounts context when the module is loaded and signed in; else $null. Never imports Az.Accounts. #>
    if (-not (Get-Module -Name 'Az.Accounts')) { return $null }
    if (-not (Get-Command -Name 'Get-AzContext' -ErrorAction SilentlyContinue)) { return $null }
    $context = $null
    try { $context = Get-AzContext -ErrorAction Stop } catch { return $null }
    if ($null -eq $context -or $null -eq $context.Account) { return $null }
    $context
}

function Resolve-BastionCredential {
    <#
    .SYNOPSIS
        Returns @{ Credential = <request credential object>; Kind = AccessToken | AzContext | CredentialChain;
        Source = <text>; Secret = <token or $null>; SubscriptionId = <from Az context or $null> }.
        Kind is what sessions record about how they were listed (never the token).
    #>
    param(
        [AllowNull()] $AccessToken,
        [Parameter(Mandatory = $true)] [string] $ArmEndpoint
    )
    if ($null -ne $AccessToken) {
        $token = if ($AccessToken -is [System.Security.SecureString]) { ConvertFrom-BastionSecureString $AccessToken } else { [string]$AccessToken }
        if ([string]::IsNullOrWhiteSpace($token)) {
            throw (New-BastionErrorRecord -Message 'The -AccessToken value is empty.' -ErrorId 'BastionAccessTokenEmpty' -Category InvalidArgument -TargetObject 'AccessToken')
        }
        return @{ Credential = @{ type = 'accessToken'; token = $token }; Kind = 'AccessToken'; Source = 'the -AccessToken parameter'; Secret = $token; SubscriptionId = $null }
    }
    $context = Get-BastionAzContext
    if ($null -ne $context) {
        $resourceUrl = $ArmEndpoint.TrimEnd('/') + '/'
        try {
            $azToken = Get-AzAccessToken -ResourceUrl $resourceUrl -ErrorAction Stop
        } catch {
            throw (New-BastionErrorRecord -Message ("Get-AzAccessToken failed for '{0}': {1}. Run Connect-AzAccount again, or pass -AccessToken." -f $resourceUrl, $_.Exception.Message) -ErrorId 'BastionAuthenticationFailed' -Category AuthenticationError -TargetObject $resourceUrl)
        }
        $raw = $azToken.Token
        $token = if ($raw -is [System.Security.SecureString]) { ConvertFrom-BastionSecureString $raw } else { [string]$raw }
        $subscription = $null
        if ($null -ne $context.Subscription) { $subscription = [string]$context.Subscription.Id }
        return @{ Credential = @{ type = 'accessToken'; token = $token }; Kind = 'AzContext'; Source = ("the Az.Accounts context of '{0}'" -f $context.Account.Id); Secret = $token; SubscriptionId = $subscription }
    }
    $narrowing = if ($env:AZURE_TOKEN_CREDENTIALS) { " (narrowed by AZURE_TOKEN_CREDENTIALS={0})" -f $env:AZURE_TOKEN_CREDENTIALS } else { '' }
    @{ Credential = @{ type = 'default' }; Kind = 'CredentialChain'; Source = "the native credential chain (environment, workload identity, managed identity, Azure CLI)$narrowing"; Secret = $null; SubscriptionId = $null }
}
