<#
    The one file that touches the native interop shim ([BastionSession.Native]).

    The shim assembly is loaded at import by the manifest (RequiredAssemblies), and finds the
    module from its own location (<module>/bin/); a missing shim stops Import-Module with
    PowerShell's "Could not load file or assembly 'BastionSession.Native'". The native
    library is loaded in the background after import (the root module starts it) or by the first
    call that needs it (Initialize-BastionNative, from each cmdlet's begin block and from here).

    Everything else in the module builds plain hashtables and reads typed results; here the
    request is handed to the shim, the native call runs on a worker thread, and this thread
    polls at once while events come and otherwise waits in 25 ms slices, draining progress events into Write-Progress / Write-Verbose /
    Write-Debug and streaming per-host results to the caller. A stopped pipeline (Ctrl+C,
    PowerShell.Stop()) raises PipelineStoppedException at the next statement; the finally
    block then calls bastion_cancel, so the native work stops at once.
#>

function Initialize-BastionNative {
    <#
    .SYNOPSIS
        Loads the native library on first use (a no-op afterwards); throws a clear error if it
        is missing or mismatched.
    .DESCRIPTION
        Called by each cmdlet's begin block and by Invoke-BastionNative. The errors carry
        ErrorId BastionNativeLibraryMissing, BastionNativeLibraryMismatch or
        BastionPlatformNotSupported, with the library's path as the target.
    #>
    if ([BastionSession.Native]::IsLoaded) { return }
    try {
        [BastionSession.Native]::EnsureLoaded()
    } catch {
        $inner = Get-BastionInnerException $_.Exception
        if ($inner -is [BastionSession.BastionNativeLibraryException]) {
            if ($inner.Problem -eq [BastionSession.NativeLibraryProblem]::Missing) {
                $errorId = 'BastionNativeLibraryMissing'; $category = [System.Management.Automation.ErrorCategory]::ObjectNotFound
            } elseif ($inner.Problem -eq [BastionSession.NativeLibraryProblem]::UnsupportedPlatform) {
                $errorId = 'BastionPlatformNotSupported'; $category = [System.Management.Automation.ErrorCategory]::NotImplemented
            } else {
                $errorId = 'BastionNativeLibraryMismatch'; $category = [System.Management.Automation.ErrorCategory]::InvalidData
            }
            throw [System.Management.Automation.ErrorRecord]::new($inner, $errorId, $category, $inner.LibraryPath)
        }
        throw
    }
    Write-BastionVerbose ("BastionSession: loaded {0} from {1}" -f [BastionSession.Native]::Version, [BastionSession.Native]::LibraryPath)
}

function Get-BastionInnerException {
    <# Unwraps MethodInvocationException / TargetInvocationException / AggregateException layers. #>
    param($Exception)
    $e = $Exception
    while ($null -ne $e -and $null -ne $e.InnerException -and (
            $e -is [System.Management.Automation.MethodInvocationException] -or
            $e -is [System.Reflection.TargetInvocationException] -or
            $e -is [System.AggregateException])) {
        $e = $e.InnerException
    }
    $e
}

function Get-BastionNativeInfo {
    <# The loaded library's version and path (for -Verbose and the benchmarks). #>
    [pscustomobject]@{
        Version           = [BastionSession.Native]::Version
        LibraryPath       = [BastionSession.Native]::LibraryPath
        RuntimeIdentifier = [BastionSession.Native]::RuntimeIdentifier
    }
}

function Get-BastionEventTarget {
    <# What an event is about: its host (during discovery, the scope), as the core's events name it in 'host'. #>
    param($ProgressEvent)
    if ($ProgressEvent.Host) { return $ProgressEvent.Host }
    'the request'
}

function Invoke-BastionNative {
    <#
    .SYNOPSIS
        Runs one native call and reports its progress; writes HostSessionsOutcome objects as they
        stream in, then one completion object (PSTypeName BastionSession.NativeCompletion).
    .PARAMETER Function
        bastion_get_sessions, bastion_disconnect_sessions or bastion_list_hosts.
    .PARAMETER Request
        The request hashtable (see ffi/CONTRACT.md); an operationId is added.
    .PARAMETER Activity
        The Write-Progress activity for hostDone events.
    .PARAMETER Secret
        Strings that must never be written to a stream (the bearer token), scrubbed from every message.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true)] [ValidateSet('bastion_get_sessions', 'bastion_disconnect_sessions', 'bastion_list_hosts')] [string] $Function,
        [Parameter(Mandatory = $true)] [System.Collections.IDictionary] $Request,
        [string] $Activity = 'Azure Bastion',
        [string[]] $Secret = @(),
        [int] $ProgressId = 1
    )

    Initialize-BastionNative
    $op = [BastionSession.Native]::StartRequest($Function, $Request)
    # The request holds the token in clear: drop it from the hashtable as soon as it is serialised.
    if ($Request.Contains('credential')) { $Request['credential'] = @{ type = 'redacted' } }
    $progressShown = $false
    $completion = [pscustomobject]@{
        PSTypeName             = 'BastionSession.NativeCompletion'
        Function               = $Function
        OperationId            = $op.OperationId
        Error                  = $null
        HostSessionsOutcomes   = @()
        HostDisconnectOutcomes = @()
        Hosts                  = @()
        Subscriptions          = @()
        Stats                  = $null
    }
    try {
        # This function's own Write* methods rather than Write-Verbose, Write-Debug and
        # Write-Progress, which would load Microsoft.PowerShell.Utility on a fresh session's
        # first call (about 35 ms here). Its preferences are the caller's preference variables.
        $PSCmdlet.WriteVerbose((Protect-BastionText ("{0}: started operation {1}" -f $Function, $op.OperationId) $Secret))
        # Messages are built only when their stream is shown: a listing of one large host
        # brings hundreds of request and page events.
        $showVerbose = $VerbosePreference -ne 'SilentlyContinue'
        $showDebug = $DebugPreference -ne 'SilentlyContinue'
        $busy = $false
        while ($true) {
            # Poll again at once while events keep coming (pages of sessions queue up while
            # this thread writes the previous ones); otherwise wait in short slices, so the
            # first events and a Ctrl+C are both seen within 25 ms.
            $finished = $op.Wait($(if ($busy) { 0 } else { 25 }))
            do {
                $events = $op.Poll()
                $busy = $events.Count -gt 0
                foreach ($progressEvent in $events) {
                    switch ($progressEvent.Type) {
                        'hostSessionsPage' {
                            # One page of a host's sessions, read while its later pages are still coming.
                            if ($null -ne $progressEvent.HostSessionsOutcome) { $progressEvent.HostSessionsOutcome }
                        }
                        'hostResult' {
                            if ($null -ne $progressEvent.HostSessionsOutcome) { $progressEvent.HostSessionsOutcome }
                        }
                        'hostDone' {
                            $total = [int]$progressEvent.Get('total'); $done = [int]$progressEvent.Get('done')
                            if ($total -gt 1) {
                                $progressShown = $true
                                $percent = [math]::Min(100, [int](100 * $done / [math]::Max(1, $total)))
                                $progress = [System.Management.Automation.ProgressRecord]::new($ProgressId, $Activity, ("{0} of {1} Bastion hosts done" -f $done, $total))
                                $progress.PercentComplete = $percent
                                $progress.CurrentOperation = Protect-BastionText $progressEvent.Host $Secret
                                $PSCmdlet.WriteProgress($progress)
                            }
                            if ($showVerbose) {
                                $outcome = if ($progressEvent.Get('ok') -eq 'true') { 'answered' } else { 'failed' }
                                $PSCmdlet.WriteVerbose((Protect-BastionText ("{0} {1} ({2} sessions, {3} of {4} hosts done)" -f $progressEvent.Host, $outcome, $progressEvent.Get('sessions'), $done, $total) $Secret))
                            }
                        }
                        'hostsDiscovered' {
                            $PSCmdlet.WriteVerbose(("Discovered {0} Bastion host(s) in scope" -f $progressEvent.Get('count')))
                        }
                        'hostStarted' {
                            if ($showVerbose) { $PSCmdlet.WriteVerbose((Protect-BastionText ("Querying {0}" -f $progressEvent.Host) $Secret)) }
                        }
                        'polling' {
                            if ($showVerbose) { $PSCmdlet.WriteVerbose((Protect-BastionText ("Waiting for {0}: ARM accepted the request (202) and the operation is still running; polling again in {1} ms (attempt {2})" -f (Get-BastionEventTarget $progressEvent), $progressEvent.Get('delayMs'), $progressEvent.Get('attempt')) $Secret)) }
                        }
                        'retrying' {
                            if ($showVerbose) {
                                $status = $progressEvent.Get('status')
                                $why = if ($status) { "ARM answered HTTP $status" } else { 'the request failed (connection)' }
                                $PSCmdlet.WriteVerbose((Protect-BastionText ("Waiting for {0}: {1}; retrying in {2} ms (Retry-After or backoff, attempt {3})" -f (Get-BastionEventTarget $progressEvent), $why, $progressEvent.Get('delayMs'), $progressEvent.Get('attempt')) $Secret))
                            }
                        }
                        'pageRead' {
                            if ($showDebug) { $PSCmdlet.WriteDebug((Protect-BastionText ("{0}: read page {1} ({2} items)" -f $progressEvent.Host, $progressEvent.Get('page'), $progressEvent.Get('items')) $Secret)) }
                        }
                        'request' {
                            if ($showDebug) {
                                $status = $progressEvent.Get('status'); if (-not $status) { $status = 'no response' }
                                $PSCmdlet.WriteDebug((Protect-BastionText ("HTTP {0} {1} -> {2} in {3} ms (Authorization: [redacted])" -f $progressEvent.Get('method'), (Protect-BastionUrl $progressEvent.Get('url')), $status, $progressEvent.Get('elapsedMs')) $Secret))
                            }
                        }
                        default {
                            if ($showDebug) { $PSCmdlet.WriteDebug((Protect-BastionText ("progress: {0}" -f $progressEvent.ToString()) $Secret)) }
                        }
                    }
                }
            } while ($finished -and $events.Count -gt 0)
            if ($finished) { break }
        }
        try {
            if ($Function -ne 'bastion_disconnect_sessions') { $completion.Subscriptions = $op.GetSubscriptions() }
            switch ($Function) {
                'bastion_get_sessions' { $completion.HostSessionsOutcomes = $op.GetHostSessionsOutcomes() }
                'bastion_disconnect_sessions' { $completion.HostDisconnectOutcomes = $op.GetHostDisconnectOutcomes() }
                'bastion_list_hosts' { $completion.Hosts = $op.GetHosts() }
            }
            $completion.Stats = $op.GetStats()
            # Cut short (timeout, Ctrl+C) with what was already known: results, then the error.
            if ($null -ne $op.InterruptedError) { $completion.Error = $op.InterruptedError }
        } catch {
            $inner = Get-BastionInnerException $_.Exception
            if ($inner -is [BastionSession.BastionNativeException]) {
                $completion.Error = $inner.Error
            } else {
                throw
            }
        }
        if ($showVerbose -and $null -ne $completion.Stats -and $completion.Stats.Count -gt 0) {
            $keys = [string[]]@($completion.Stats.Keys)
            [System.Array]::Sort($keys, [System.StringComparer]::OrdinalIgnoreCase)
            $PSCmdlet.WriteVerbose(("{0} finished: {1}" -f $Function, (@(foreach ($key in $keys) { '{0}={1}' -f $key, $completion.Stats[$key] }) -join ', ')))
        }
        $completion
    } finally {
        if (-not $op.IsCompleted) {
            # Pipeline stopped (Ctrl+C) or an exception: stop the native work now.
            [void]$op.Cancel()
            $PSCmdlet.WriteVerbose(("{0}: cancelled operation {1}" -f $Function, $op.OperationId))
        }
        if ($progressShown) {
            $progress = [System.Management.Automation.ProgressRecord]::new($ProgressId, $Activity, 'Done')
            $progress.RecordType = [System.Management.Automation.ProgressRecordType]::Completed
            $PSCmdlet.WriteProgress($progress)
        }
    }
}
