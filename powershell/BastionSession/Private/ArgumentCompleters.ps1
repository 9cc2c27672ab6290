<#
    Tab completion for -Environment (built-in names and Get-AzEnvironment's), and for
    -ResourceGroupName and -Name: the hosts of the subscription(s) named on
    the command line (or the default subscription), listed through bastion_list_hosts with
    the same credential order as the cmdlets and a 10-second deadline. It costs one ARM list
    call per Tab press (no cache: cmdlets stay stateless for Azure Automation), so it is only
    attempted when a subscription is known; any failure simply completes nothing.
    BastionSession.psm1 registers these completers at import.
#>

function Get-BastionCompletion {
    <# CompletionResults for -ResourceGroupName or -Name. #>
    param([string] $ParameterName, [string] $WordToComplete, [System.Collections.IDictionary] $FakeBoundParameters)
    try {
        $arm = $null
        if ($FakeBoundParameters.Contains('ArmEndpoint')) { $arm = [uri][string]$FakeBoundParameters['ArmEndpoint'] }
        $environment = if ($FakeBoundParameters.Contains('Environment')) { [string]$FakeBoundParameters['Environment'] } else { $null }
        $token = if ($FakeBoundParameters.Contains('AccessToken')) { $FakeBoundParameters['AccessToken'] } else { $null }
        $cloud = Resolve-BastionCloud -ArmEndpoint $arm -Environment $environment -AccessToken $token
        $auth = Resolve-BastionCredential -AccessToken $token -ArmEndpoint $cloud.Url
        $subs = if ($FakeBoundParameters.Contains('SubscriptionId')) { @($FakeBoundParameters['SubscriptionId']) } else { $null }
        $subs = Resolve-BastionSubscriptionId -SubscriptionId $subs -ContextSubscriptionId $auth.SubscriptionId
        $request = [BastionSession.CommonRequest]::Create($auth.Credential, $cloud.ArmEndpoint, $cloud.Environment, 10, 0)
        $scope = @{ subscriptionIds = @($subs) }
        if ($ParameterName -eq 'Name' -and $FakeBoundParameters.Contains('ResourceGroupName')) { $scope['resourceGroupName'] = [string]$FakeBoundParameters['ResourceGroupName'] }
        $request['scope'] = $scope
        $completion = Invoke-BastionNative -Function 'bastion_list_hosts' -Request $request -Secret @($auth.Secret) | Select-Object -Last 1
        if ($null -eq $completion -or $null -ne $completion.Error) { return }
        $values = if ($ParameterName -eq 'Name') { $completion.Hosts | ForEach-Object { $_.Name } } else { $completion.Hosts | ForEach-Object { $_.ResourceGroupName } }
        $pattern = New-Object System.Management.Automation.WildcardPattern (($WordToComplete.Trim("'", '"')) + '*'), ([System.Management.Automation.WildcardOptions]::IgnoreCase)
        $values | Sort-Object -Unique | Where-Object { $pattern.IsMatch($_) } | ForEach-Object {
            $text = if ($_ -match '[\s''"`$]') { "'" + ($_ -replace "'", "''") + "'" } else { $_ }
            New-Object System.Management.Automation.CompletionResult $text, $_, 'ParameterValue', $_
        }
    } catch {
        return
    }
}

function Get-BastionEnvironmentCompletion {
    <# CompletionResults for -Environment. #>
    param([string] $WordToComplete)
    $names = @($script:BastionArmEndpoints.Keys) + @(Get-BastionAzEnvironment | ForEach-Object { $p = $_.PSObject.Properties['Name']; if ($null -ne $p) { [string]$p.Value } })
    $pattern = New-Object System.Management.Automation.WildcardPattern (($WordToComplete.Trim("'", '"')) + '*'), ([System.Management.Automation.WildcardOptions]::IgnoreCase)
    $names | Where-Object { $_ } | Sort-Object -Unique | Where-Object { $pattern.IsMatch($_) } | ForEach-Object {
        New-Object System.Management.Automation.CompletionResult $_, $_, 'ParameterValue', $_
    }
}
