// One native call as a cmdlet makes it: the request is handed to the library on a worker
// thread (NativeOperation), and the pipeline thread polls at once while events come and
// otherwise waits in 25 ms slices (a streamed listing is polled and read into objects by a
// read-ahead thread, and this thread takes what it has read), turning progress events into
// Write-Progress, -Verbose and -Debug text (scrubbed of the call's secrets), and handing
// each streamed host outcome to the caller as it arrives. -Verbose is for people: one line
// per host when it answers (its name, sessions, time and polls) and why a host waits;
// operation ids, pages and requests are -Debug's. The cmdlet's StopProcessing (Ctrl+C,
// PowerShell.Stop()) calls Stop, which cancels the native work at once; the loop then ends
// with PipelineStoppedException.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Management.Automation;

namespace BastionSession
{
    /// <summary>What one native call answered: per-host outcomes, hosts, subscriptions and stats, and the call's error if it was cut short or failed.</summary>
    public sealed class NativeCompletion
    {
        /// <summary>The export that was called.</summary>
        public string Function { get; internal set; }
        /// <summary>The call's operation id.</summary>
        public string OperationId { get; internal set; }
        /// <summary>The call's error (cut short, or failed as a whole), or null.</summary>
        public BastionError Error { get; internal set; }
        /// <summary>bastion_get_sessions: each host's outcome (without sessions when they were streamed).</summary>
        public HostSessionsOutcome[] HostSessionsOutcomes { get; internal set; }
        /// <summary>bastion_disconnect_sessions: each host's results.</summary>
        public HostDisconnectOutcome[] HostDisconnectOutcomes { get; internal set; }
        /// <summary>bastion_list_hosts: the hosts found.</summary>
        public BastionHostInfo[] Hosts { get; internal set; }
        /// <summary>A scoped call: each subscription's outcome.</summary>
        public SubscriptionHostsOutcome[] Subscriptions { get; internal set; }
        /// <summary>The envelope's stats, or null.</summary>
        public Dictionary<string, object> Stats { get; internal set; }

        internal NativeCompletion(string function, string operationId)
        {
            Function = function; OperationId = operationId;
            HostSessionsOutcomes = new HostSessionsOutcome[0];
            HostDisconnectOutcomes = new HostDisconnectOutcome[0];
            Hosts = new BastionHostInfo[0];
            Subscriptions = new SubscriptionHostsOutcome[0];
        }
    }

    /// <summary>A pipeline stopped (Ctrl+C) during a disconnect, with the per-host outcomes the cancelled call still answered.</summary>
    public sealed class NativeCallStoppedException : PipelineStoppedException
    {
        /// <summary>Each host's results as known when the call was stopped.</summary>
        public HostDisconnectOutcome[] Outcomes { get; private set; }

        /// <summary>Wraps the outcomes.</summary>
        /// <param name="outcomes">The cancelled call's per-host results.</param>
        public NativeCallStoppedException(HostDisconnectOutcome[] outcomes) { Outcomes = outcomes ?? new HostDisconnectOutcome[0]; }
    }

    /// <summary>Runs native calls for one cmdlet invocation (or a completer) and stops them on request.</summary>
    public sealed class NativeCall
    {
        private readonly Cmdlet _cmdlet;
        private readonly bool _verbose, _debug;
        private readonly object _gate = new object();
        private NativeOperation _running;
        private volatile bool _stopped;
        // Per host of the running call: when it started and how often it was polled, for its verbose line.
        private readonly Dictionary<string, HostTrack> _hosts = new Dictionary<string, HostTrack>(StringComparer.OrdinalIgnoreCase);
        private Stopwatch _callClock;

        /// <summary>
        /// How many streamed sessions may wait, read into objects, for the pipeline thread to
        /// write them (a few megabytes; the library then holds at most its own bound more).
        /// </summary>
        public const int MaxReadAheadSessions = 10000;

        private sealed class HostTrack
        {
            public TimeSpan Started;
            public int Polls;
        }

        /// <summary>
        /// What the per-host verbose line says a host that answered did, as a format whose {0}
        /// is the count of sessions: by default "{0} session(s) listed" for a listing and
        /// "{0} session(s) answered for by the disconnect" for a disconnect. Set by the caller
        /// before Run, so each cmdlet speaks of its own work.
        /// </summary>
        public string HostDoneFormat { get; set; }

        /// <summary>Creates the runner of a cmdlet's calls.</summary>
        /// <param name="cmdlet">The cmdlet that writes progress, verbose and debug; null writes nothing (a completer).</param>
        /// <param name="verbose">Whether the verbose stream is shown (messages are built only then).</param>
        /// <param name="debug">Whether the debug stream is shown.</param>
        public NativeCall(Cmdlet cmdlet, bool verbose, bool debug)
        {
            _cmdlet = cmdlet; _verbose = verbose && cmdlet != null; _debug = debug && cmdlet != null;
        }

        /// <summary>
        /// The credential of this runner's calls. When set, a listing that ARM answers with a
        /// refusal of the credential itself (<see cref="ErrorRecords.AppliesToCredential"/>) stops
        /// with one terminating error naming it, instead of one error per host. A disconnect's
        /// results are the caller's to write first, so its calls are not stopped here.
        /// </summary>
        public ResolvedCredential Credential { get; set; }

        /// <summary>Cancels the call in flight, if any, and every later one (from StopProcessing, on another thread).</summary>
        public void Stop()
        {
            _stopped = true;
            NativeOperation op;
            lock (_gate) op = _running;
            if (op != null) op.Cancel();
        }

        /// <summary>
        /// Runs one call to its end. Streamed host outcomes (hostSessionsPage, hostResult) go to
        /// <paramref name="onOutcome"/> as they arrive, on this thread. Throws
        /// PipelineStoppedException after <see cref="Stop"/>; the native work is cancelled first.
        /// </summary>
        /// <param name="function">bastion_get_sessions, bastion_disconnect_sessions or bastion_list_hosts.</param>
        /// <param name="request">The request (ffi/CONTRACT.md); an operationId is added, and its credential is dropped once serialised.</param>
        /// <param name="activity">The Write-Progress activity.</param>
        /// <param name="secrets">Strings never to write (the call's token).</param>
        /// <param name="onOutcome">Receives each streamed host outcome; may be null.</param>
        public NativeCompletion Run(string function, IDictionary request, string activity, string[] secrets, Action<HostSessionsOutcome> onOutcome)
        {
            if (_stopped) throw new PipelineStoppedException();
            Native.EnsureLoaded();
            bool streamed = request.Contains("streamResults") && true.Equals(request["streamResults"]);
            NativeOperation op = Native.StartRequest(function, request);
            // Streamed pages of sessions are read into objects on a thread of their own while
            // this one writes the previous page to the pipeline.
            if (streamed) op.ReadAhead(MaxReadAheadSessions);
            // The request holds the token in clear: drop it as soon as it is serialised.
            if (request.Contains("credential")) request["credential"] = null;
            lock (_gate) _running = op;
            var completion = new NativeCompletion(function, op.OperationId);
            bool progressShown = false;
            _hosts.Clear();
            _callClock = Stopwatch.StartNew();
            string hostDoneFormat = HostDoneFormat ?? (function == "bastion_disconnect_sessions" ? "{0} session(s) answered for by the disconnect" : "{0} session(s) listed");
            try
            {
                Debug(string.Format(CultureInfo.InvariantCulture, "{0}: started operation {1}", function, op.OperationId), secrets);
                bool busy = false;
                while (true)
                {
                    // Poll again at once while events keep coming (pages of sessions queue up
                    // while this thread writes the previous ones); otherwise wait in short
                    // slices, so the first events and a stop are both seen within 25 ms.
                    bool finished = op.Wait(busy ? 0 : 25);
                    if (_stopped) throw Stopped(op, function);
                    ProgressEvent[] events;
                    do
                    {
                        events = op.Poll();
                        busy = events.Length > 0;
                        foreach (ProgressEvent e in events)
                        {
                            if (e.Type == EventTypes.HostSessionsPage || e.Type == EventTypes.HostResult)
                            {
                                if (e.HostSessionsOutcome != null && !e.HostSessionsOutcome.Ok) StopIfCredentialRefused(e.HostSessionsOutcome.Error, secrets);
                                if (e.HostSessionsOutcome != null && onOutcome != null) onOutcome(e.HostSessionsOutcome);
                            }
                            else if (Report(e, activity, hostDoneFormat, secrets)) progressShown = true;
                        }
                    } while (finished && events.Length > 0);
                    if (finished) break;
                }
                try
                {
                    if (function != "bastion_disconnect_sessions") completion.Subscriptions = op.GetSubscriptions();
                    if (function == "bastion_get_sessions") completion.HostSessionsOutcomes = op.GetHostSessionsOutcomes();
                    else if (function == "bastion_disconnect_sessions") completion.HostDisconnectOutcomes = op.GetHostDisconnectOutcomes();
                    else completion.Hosts = op.GetHosts();
                    completion.Stats = op.GetStats();
                    // Cut short (timeout, Ctrl+C) with what was already known: results, then the error.
                    if (op.InterruptedError != null) completion.Error = op.InterruptedError;
                }
                catch (BastionNativeException e)
                {
                    completion.Error = e.Error;
                }
                if (function != "bastion_disconnect_sessions")
                {
                    foreach (HostSessionsOutcome outcome in completion.HostSessionsOutcomes)
                        if (outcome != null && !outcome.Ok) StopIfCredentialRefused(outcome.Error, secrets);
                    foreach (SubscriptionHostsOutcome subscription in completion.Subscriptions)
                        if (subscription != null && !subscription.Ok) StopIfCredentialRefused(subscription.Error, secrets);
                    StopIfCredentialRefused(completion.Error, secrets);
                }
                if (_debug && completion.Stats != null && completion.Stats.Count > 0)
                {
                    var keys = new List<string>(completion.Stats.Keys);
                    keys.Sort(StringComparer.OrdinalIgnoreCase);
                    var parts = new List<string>();
                    foreach (string key in keys) parts.Add(key + "=" + Convert.ToString(completion.Stats[key], CultureInfo.InvariantCulture));
                    Debug(function + " finished: " + string.Join(", ", parts.ToArray()), secrets);
                }
                return completion;
            }
            finally
            {
                op.StopReading();
                lock (_gate) _running = null;
                if (!op.IsCompleted)
                {
                    // Stopped (Ctrl+C) or an exception: stop the native work now.
                    op.Cancel();
                    TryDebug(string.Format(CultureInfo.InvariantCulture, "{0}: cancelled operation {1}", function, op.OperationId));
                }
                else if (_stopped)
                {
                    TryDebug(string.Format(CultureInfo.InvariantCulture, "{0}: cancelled operation {1}", function, op.OperationId));
                }
                if (progressShown && !_stopped)
                {
                    var done = new ProgressRecord(1, activity, "Done") { RecordType = ProgressRecordType.Completed };
                    try { _cmdlet.WriteProgress(done); } catch (PipelineStoppedException) { }
                }
            }
        }

        /// <summary>
        /// The exception for a call stopped by Ctrl+C. A disconnect's outcomes known at that
        /// moment (ids ARM answered, the chunk in flight Unknown, the rest NotAttempted) are
        /// what the user most needs: the cancelled call is given up to 2 s to answer them
        /// (the library answers a cancel at once; Stop() must stay prompt), and they travel
        /// on the exception for the cmdlet to keep. Any other call just stops.
        /// </summary>
        private static PipelineStoppedException Stopped(NativeOperation op, string function)
        {
            if (function != "bastion_disconnect_sessions") return new PipelineStoppedException();
            op.Cancel();
            if (!op.Wait(2000)) return new PipelineStoppedException();
            try
            {
                HostDisconnectOutcome[] outcomes = op.GetHostDisconnectOutcomes();
                return new NativeCallStoppedException(outcomes);
            }
            catch (BastionNativeException) { return new PipelineStoppedException(); }
        }

        /// <summary>One terminating error for a credential ARM refused (every other host would refuse it too); the native work is cancelled on the way out.</summary>
        private void StopIfCredentialRefused(BastionError error, string[] secrets)
        {
            if (_cmdlet == null || Credential == null || !ErrorRecords.AppliesToCredential(error)) return;
            _cmdlet.ThrowTerminatingError(ErrorRecords.CredentialRejected(error, Credential, secrets));
        }

        /// <summary>Writes one progress event to its stream; true when it showed a progress bar.</summary>
        private bool Report(ProgressEvent e, string activity, string hostDoneFormat, string[] secrets)
        {
            if (_cmdlet == null) return false;
            switch (e.Type)
            {
                case EventTypes.HostDone:
                {
                    int total = ToInt(e.Get("total")), done = ToInt(e.Get("done"));
                    bool shown = false;
                    if (total > 1)
                    {
                        var progress = new ProgressRecord(1, activity, string.Format(CultureInfo.InvariantCulture, "{0} of {1} Bastion hosts done", done, total))
                        {
                            PercentComplete = Math.Min(100, (int)(100L * done / Math.Max(1, total))),
                            CurrentOperation = Redaction.Protect(e.Host, secrets),
                        };
                        _cmdlet.WriteProgress(progress);
                        shown = true;
                    }
                    if (_verbose)
                    {
                        HostTrack track = Track(e.Host, false);
                        double seconds = (_callClock.Elapsed - (track == null ? TimeSpan.Zero : track.Started)).TotalSeconds;
                        int polls = track == null ? 0 : track.Polls;
                        bool ok = e.Get("ok") == "True" || e.Get("ok") == "true";
                        string what = ok
                            ? string.Format(CultureInfo.InvariantCulture, hostDoneFormat, e.Get("sessions"))
                            : "failed (its error follows)";
                        Verbose(string.Format(CultureInfo.InvariantCulture, "{0}: {1} in {2:0.0} s, {3} poll{4}",
                            HostLabel(e.Host), what, seconds, polls, polls == 1 ? string.Empty : "s"), secrets);
                    }
                    return shown;
                }
                case EventTypes.HostsDiscovered:
                    // Discovery that failed also reports 0 hosts: only a count that found some is news.
                    if (ToInt(e.Get("count")) > 0)
                        Verbose(string.Format(CultureInfo.InvariantCulture, "Found {0} Bastion host(s) in scope", e.Get("count")), secrets);
                    return false;
                case EventTypes.HostStarted:
                    Track(e.Host, true);
                    return false;
                case EventTypes.Polling:
                {
                    HostTrack track = Track(e.Host, false);
                    if (track != null) track.Polls++;
                    if (_debug)
                        Debug(string.Format(CultureInfo.InvariantCulture,
                            "Waiting for {0}: ARM accepted the request (202) and the operation is still running; polling again in {1} ms (attempt {2})",
                            e.Host ?? "the request", e.Get("delayMs"), e.Get("attempt")), secrets);
                    return false;
                }
                case EventTypes.Retrying:
                    if (_verbose)
                    {
                        string status = e.Get("status");
                        string why = string.IsNullOrEmpty(status) ? "the request failed (connection)" : "ARM answered HTTP " + status;
                        Verbose(string.Format(CultureInfo.InvariantCulture, "Waiting for {0}: {1}; retrying in {2} ms (Retry-After or backoff, attempt {3})",
                            e.Host == null ? "the request" : HostLabel(e.Host), why, e.Get("delayMs"), e.Get("attempt")), secrets);
                    }
                    return false;
                case EventTypes.PageRead:
                    if (_debug) Debug(string.Format(CultureInfo.InvariantCulture, "{0}: read page {1} ({2} items)", e.Host, e.Get("page"), e.Get("items")), secrets);
                    return false;
                case EventTypes.Request:
                    if (_debug)
                    {
                        string status = e.Get("status");
                        Debug(string.Format(CultureInfo.InvariantCulture, "HTTP {0} {1} -> {2} in {3} ms (Authorization: [redacted])",
                            e.Get("method"), Redaction.ProtectUrl(e.Get("url")), string.IsNullOrEmpty(status) ? "no response" : status, e.Get("elapsedMs")), secrets);
                    }
                    return false;
                default:
                    if (_debug) Debug("progress: " + e, secrets);
                    return false;
            }
        }

        /// <summary>The host's record in this call (made when <paramref name="start"/>, or first met); null without a host.</summary>
        private HostTrack Track(string host, bool start)
        {
            if (string.IsNullOrEmpty(host)) return null;
            HostTrack track;
            if (!_hosts.TryGetValue(host, out track))
            {
                track = new HostTrack { Started = start ? _callClock.Elapsed : TimeSpan.Zero };
                _hosts[host] = track;
            }
            else if (start) track.Started = _callClock.Elapsed;
            return track;
        }

        /// <summary>
        /// "Bastion host 'NAME' (GROUP)" for a host resource id, for people; the id itself when it
        /// is not one (the library has checked the ids it reports, this only picks two segments).
        /// </summary>
        internal static string HostLabel(string resourceId)
        {
            if (string.IsNullOrEmpty(resourceId)) return "a Bastion host";
            string[] parts = resourceId.Split('/');
            string group = null;
            for (int i = 0; i + 1 < parts.Length; i++)
                if (string.Equals(parts[i], "resourceGroups", StringComparison.OrdinalIgnoreCase)) { group = parts[i + 1]; break; }
            string name = parts[parts.Length - 1];
            if (group == null || name.Length == 0) return resourceId;
            return string.Format(CultureInfo.InvariantCulture, "Bastion host '{0}' ({1})", name, group);
        }

        private static int ToInt(string text)
        {
            int value;
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) ? value : 0;
        }

        private void Verbose(string message, string[] secrets)
        {
            if (_verbose) _cmdlet.WriteVerbose(Redaction.Protect(message, secrets));
        }

        private void Debug(string message, string[] secrets)
        {
            if (_debug) _cmdlet.WriteDebug(Redaction.Protect(message, secrets));
        }

        /// <summary>A debug line that may come after the pipeline stopped (then it is dropped).</summary>
        private void TryDebug(string message)
        {
            if (!_debug) return;
            try { _cmdlet.WriteDebug(message); }
            catch (PipelineStoppedException) { }
            catch (InvalidOperationException) { }
        }
    }
}
