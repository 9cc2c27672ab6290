<#
    ErrorRecords with stable ErrorIds and fitting categories. A public function writes them
    with $PSCmdlet.WriteError / ThrowTerminatingError, so FullyQualifiedErrorId reads
    '<ErrorId>,<Cmdlet>', e.g. 'BastionHostNotFound,Get-BastionSession'. A name or id the
    native library refused becomes the parameter's ParameterArgumentValidationError
    (ConvertTo-BastionArgumentError).
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
        $exception = [System.InvalidOperationException]::new((Protect-BastionText $Message $Secret))
        return [System.Management.Automation.ErrorRecord]::new($exception, $ErrorId, $Category, $TargetObject)
    }
    $exception = [BastionSession.BastionNativeException]::new($BastionError)
    $id = Get-BastionErrorId -BastionError $BastionError
    $record = [System.Management.Automation.ErrorRecord]::new($exception, $id.ErrorId, $id.Category, $BastionError)
    $text = $BastionError.FullMessage
    if ($Context) { $text = "{0}: {1}" -f $Context, $text }
    $record.ErrorDetails = [System.Management.Automation.ErrorDetails]::new((Protect-BastionText $text $Secret))
    switch ($BastionError.Kind) {
        'auth' { $record.ErrorDetails.RecommendedAction = 'Pass -AccessToken, sign in with Connect-AzAccount, or configure a managed identity / service principal (see AZURE_TOKEN_CREDENTIALS).' }
        'forbidden' { $record.ErrorDetails.RecommendedAction = 'Grant the identity the RBAC action named in the message (Microsoft.Network/bastionHosts/read, .../getactivesessions/action or .../disconnectactivesessions/action).' }
        'throttled' { $record.ErrorDetails.RecommendedAction = 'ARM is throttling this subscription: lower -ThrottleLimit or try again later.' }
        'timeout' { $record.ErrorDetails.RecommendedAction = 'Raise -TimeoutSec or narrow the scope.' }
    }
    $record
}

function ConvertTo-BastionArgumentError {
    <#
    .SYNOPSIS
        The ErrorRecord for a name or id the native library refused, shown as the refusal of the
        cmdlet parameter it came from; $null for any other error.
    .DESCRIPTION
        The module does not check names and ids itself: the core's rules do (ffi/CONTRACT.md,
        "Names and ids"). Their refusal is an invalidRequest whose Target is the request field's
        JSON path (hosts[0].resourceGroupName, scope.subscriptionIds[1]). When that field's name
        is a key of -Parameter, the record reads like a parameter validation failure:
        "Cannot validate argument on parameter '<Parameter>'. <the core's message>", ErrorId
        ParameterArgumentValidationError, category InvalidArgument, the parameter's name as
        TargetObject.
    .PARAMETER Parameter
        Request field name (resourceGroupName, subscriptionIds ...) -> cmdlet parameter name.
    #>
    param(
        [AllowNull()] [BastionSession.BastionError] $BastionError,
        [Parameter(Mandatory = $true)] [hashtable] $Parameter,
        [string[]] $Secret = @()
    )
    if ($null -eq $BastionError -or $BastionError.Kind -ne 'invalidRequest' -or [string]::IsNullOrEmpty($BastionError.Target)) { return $null }
    # The last field of the path, without an index: hosts[0].name -> name, scope.subscriptionIds[1] -> subscriptionIds.
    $field = $BastionError.Target.Substring($BastionError.Target.LastIndexOf([char]'.') + 1)
    $bracket = $field.IndexOf([char]'[')
    if ($bracket -ge 0) { $field = $field.Substring(0, $bracket) }
    $parameterName = $Parameter[$field]
    if (-not $parameterName) { return $null }
    # "invalid request at `hosts[0].name`: the Bastion host name ..." -> "The Bastion host name ..."
    $reason = $BastionError.Message
    $prefix = 'invalid request at `'
    if ($reason.StartsWith($prefix, [System.StringComparison]::Ordinal)) {
        $end = $reason.IndexOf('`: ', $prefix.Length, [System.StringComparison]::Ordinal)
        if ($end -ge 0) { $reason = $reason.Substring($end + 3) }
    }
    if ($reason.Length -gt 0) { $reason = $reason.Substring(0, 1).ToUpperInvariant() + $reason.Substring(1) }
    $message = "Cannot validate argument on parameter '{0}'. {1}" -f $parameterName, $reason
    New-BastionErrorRecord -Message $message -ErrorId 'ParameterArgumentValidationError' -Category InvalidArgument -TargetObject $parameterName -Secret $Secret
}

