function Resolve-BastionSubscriptionId {
    <# -SubscriptionId, else the Az context's, else AZURE_SUBSCRIPTION_ID; else a clear error. #>
    param([string[]] $SubscriptionId, [string] $ContextSubscriptionId)
    if ($SubscriptionId) {
        # Each once, in the order given (what Select-Object -Unique did, without loading
        # Microsoft.PowerShell.Utility in a fresh session).
        $seen = [System.Collections.Generic.HashSet[string]]::new([System.StringComparer]::Ordinal)
        return , @(foreach ($id in $SubscriptionId) { if ($seen.Add($id)) { $id } })
    }
    if ($ContextSubscriptionId) { return , @($ContextSubscriptionId) }
    # Checked, like every subscription id, by the native library (its error names the value).
    if ($env:AZURE_SUBSCRIPTION_ID) { return , @($env:AZURE_SUBSCRIPTION_ID) }
    throw (New-BastionErrorRecord -Message 'No subscription: pass -SubscriptionId, sign in with Connect-AzAccount (Az.Accounts), or set AZURE_SUBSCRIPTION_ID.' -ErrorId 'BastionSubscriptionIdRequired' -Category InvalidArgument -TargetObject 'SubscriptionId')
}
