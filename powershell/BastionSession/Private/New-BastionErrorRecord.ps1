<#
    ErrorRecords with stable ErrorIds and fitting categories. A public function writes them
    with $PSCmdlet.WriteError / ThrowTerminatingError, so FullyQualifiedErrorId reads
    '<ErrorId>,<Cmdlet>', e.g. 'BastionHostNotFound,Get-BastionSession'.
#>

# kind (ffi/CONTRACT.md) -> ErrorId, ErrorCategory
$script:BastionErrorMap = @{
    auth              = @('BastionAuthenticationFailed', 'AuthenticationError')
    forbidden         = @('BastionAuthorizationFailed', 'PermissionDenied')
    notFound          = @('BastionHostNotFound', 'ObjectNotFound')
    conflict          = @('BastionConflict', 'ResourceBusy')
    throttled         = @('BastionThrottled', 'LimitsExceeded')
    server            = @('BastionServerError', 'ResourceUnavailable')
    http              = @('BastionHttpError', 'ProtocolError')
    timeout           = @('BastionRequestTimeout', 'OperationTimeout')
    cancelled         = @('BastionOperationCancelled', 'OperationStopped')
    transport         = @('BastionConnectionFailed', 'ConnectionError')
    invalidResponse   = @('BastionInvalidResponse', 'InvalidData')
    insecureEndpoint  = @('BastionInsecureEndpoint', 'SecurityError')
    invalidArgument   = @('BastionInvalidArgument', 'InvalidArgument')
    invalidRequest    = @('BastionInvalidRequest', 'InvalidArgument')
    unsupportedSchema = @('BastionNativeLibraryMismatch', 'InvalidData')
    internal          = @('BastionInternalError', 'NotSpecified')
}

function Get-BastionErrorId {
    <# The ErrorId and category for a native error; notFound is refined by ARM's code. #>
    param([Parameter(Mandatory = $true)] [BastionSession.BastionError] $BastionError)
    $entry = $script:BastionErrorMap[$BastionError.Kind]
    if ($null -eq $entry) { $entry = @('BastionError', 'NotSpecified') }
    $errorId = $entry[0]
    if ($BastionError.Kind -eq 'notFound') {
        switch ($BastionError.ArmCode) {
            'ResourceGroupNotFound' { $errorId = 'BastionResourceGroupNotFound' }
            'SubscriptionNotFound' { $errorId = 'BastionSubscriptionNotFound' }
            'InvalidSubscriptionId' { $errorId = 'BastionSubscriptionNotFound' }
        }
    }
    @{ ErrorId = $errorId; Category = [System.Management.Automation.ErrorCategory]$entry[1] }
}

function New-BastionErrorRecord {
    <#
    .SYNOPSIS
        An ErrorRecord for a native error (-BastionError) or for one of the module's own checks (-Message/-ErrorId/-Category).
    .DESCRIPTION
        For native errors the message carries the ARM code, HTTP status and request id; the
        exception (BastionSession.BastionNativeException) carries them in .Error and .Data;
        TargetObject is the BastionSession.BastionError itself (its .Target names the host).
    #>
    [CmdletBinding(DefaultParameterSetName = 'Native')]
    param(
        [Parameter(Mandatory = $true, ParameterSetName = 'Native')] [BastionSession.BastionError] $BastionError,
        [Parameter(ParameterSetName = 'Native')] [string] $Context,
        [Parameter(Mandatory = $true, ParameterSetName = 'Module')] [string] $Message,
        [Parameter(Mandatory = $true, ParameterSetName = 'Module')] [string] $ErrorId,
        [Parameter(Mandatory = $true, ParameterSetName = 'Module')] [System.Management.Automation.ErrorCategory] $Category,
        [Parameter(ParameterSetName = 'Module')] $TargetObject,
        [string[]] $Secret = @()
    )
    if ($PSCmdlet.ParameterSetName -eq 'Module') {
        $exception = New-Object System.InvalidOperationException (Protect-BastionText $Message $Secret)
        return (New-Object System.Management.Automation.ErrorRecord $exception, $ErrorId, $Category, $TargetObject)
    }
    $exception = New-Object BastionSession.BastionNativeException $BastionError
    $id = Get-BastionErrorId -BastionError $BastionError
    $record = New-Object System.Management.Automation.ErrorRecord $exception, $id.ErrorId, $id.Category, $BastionError
    $text = $BastionError.FullMessage
    if ($Context) { $text = "{0}: {1}" -f $Context, $text }
    $record.ErrorDetails = New-Object System.Management.Automation.ErrorDetails (Protect-BastionText $text $Secret)
    switch ($BastionError.Kind) {
        'auth' { $record.ErrorDetails.RecommendedAction = 'Pass -AccessToken, sign in with Connect-AzAccount, or configure a managed identity / service principal (see AZURE_TOKEN_CREDENTIALS).' }
        'forbidden' { $record.ErrorDetails.RecommendedAction = 'Grant the identity the RBAC action named in the message (Microsoft.Network/bastionHosts/read, .../getactivesessions/action or .../disconnectactivesessions/action).' }
        'throttled' { $record.ErrorDetails.RecommendedAction = 'ARM is throttling this subscription: lower -ThrottleLimit or try again later.' }
        'timeout' { $record.ErrorDetails.RecommendedAction = 'Raise -TimeoutSec or narrow the scope.' }
    }
    $record
}
