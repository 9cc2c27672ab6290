// A native call running on a worker thread, so the PowerShell pipeline thread stays free to
// wait in short slices, drain progress and notice Ctrl+C. PowerShell only sees a stop
// request between statements; a script that loops on Wait(100) and calls Cancel() in its
// finally block therefore cancels the native work within one slice.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace BastionSession
{
    /// <summary>One running call of bastion_get_sessions / _disconnect_sessions / _list_hosts.</summary>
    public sealed class NativeOperation
    {
        private readonly Task<NativeAnswer> _task;
        private readonly StringPool _pollPool = new StringPool();
        private bool _drained;

        // Read-ahead (see ReadAhead): a thread of its own polls and reads the events into
        // objects; Poll and Wait then serve what it has read. Guarded by _readGate.
        private readonly object _readGate = new object();
        private Thread _reader;
        private readonly Queue<ProgressEvent[]> _ready = new Queue<ProgressEvent[]>();
        private int _readySessions;
        private int _maxReadySessions;
        private bool _readerDone;
        private bool _stopReading;
        private Exception _readerFault;

        internal NativeOperation(string function, string requestJson, string operationId)
        {
            Function = function;
            OperationId = operationId;
            _task = Task.Factory.StartNew(() => Native.RunBlocking(function, requestJson),
                System.Threading.CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        /// <summary>The export being called.</summary>
        public string Function { get; private set; }

        /// <summary>The request's operationId (for bastion_poll_progress and bastion_cancel).</summary>
        public string OperationId { get; private set; }

        /// <summary>True once the native call has returned.</summary>
        public bool IsCompleted { get { return _task.IsCompleted; } }

        /// <summary>Waits up to <paramref name="milliseconds"/> for the call to return; true when it has.</summary>
        /// <param name="milliseconds">The slice to wait, e.g. 100.</param>
        public bool Wait(int milliseconds)
        {
            if (_reader != null) return WaitForReader(milliseconds);
            try { return _task.Wait(milliseconds); }
            catch (AggregateException) { return true; } // the fault is reported by GetAnswer
        }

        /// <summary>
        /// Starts reading ahead: a background thread polls the library and reads each poll's
        /// events into objects while the caller's thread is still busy with the previous ones
        /// (writing a page of sessions to the pipeline), so reading the next page and writing
        /// this one overlap. It stops reading while more than <paramref name="maxReadySessions"/>
        /// read sessions wait to be taken, so the library's own back-pressure still holds.
        /// Afterwards <see cref="Poll"/> returns what the thread has read, <see cref="Wait"/>
        /// also returns early when something was read, and returns true once the call has
        /// returned and every event was read. Call <see cref="StopReading"/> when done.
        /// </summary>
        /// <param name="maxReadySessions">How many read sessions may wait to be taken, e.g. 10,000.</param>
        public void ReadAhead(int maxReadySessions)
        {
            if (maxReadySessions < 1) throw new ArgumentOutOfRangeException("maxReadySessions");
            lock (_readGate)
            {
                if (_reader != null) return;
                _maxReadySessions = maxReadySessions;
                _reader = new Thread(ReadLoop) { IsBackground = true, Name = "BastionSession read-ahead" };
                _reader.Start();
            }
        }

        /// <summary>Ends reading ahead (Ctrl+C, an error, or the caller is done): the thread stops at its next step.</summary>
        public void StopReading()
        {
            lock (_readGate)
            {
                _stopReading = true;
                Monitor.PulseAll(_readGate);
            }
        }

        private void ReadLoop()
        {
            try
            {
                while (true)
                {
                    bool completed = _task.IsCompleted;
                    bool running;
                    ProgressEvent[] events = Native.PollEvents(OperationId, _pollPool, out running);
                    lock (_readGate)
                    {
                        if (_stopReading) return;
                        if (events.Length > 0)
                        {
                            _ready.Enqueue(events);
                            _readySessions += SessionCount(events);
                            Monitor.PulseAll(_readGate);
                            while (_readySessions > _maxReadySessions && !_stopReading) Monitor.Wait(_readGate);
                            if (_stopReading) return;
                            continue;
                        }
                        // Nothing queued after the call returned: every event was read.
                        if (completed && !running) return;
                    }
                    // Nothing new yet: the next poll when the call returns, or in a short while.
                    try { _task.Wait(10); } catch (AggregateException) { }
                }
            }
            catch (Exception e)
            {
                lock (_readGate) _readerFault = e;
            }
            finally
            {
                lock (_readGate)
                {
                    _readerDone = true;
                    Monitor.PulseAll(_readGate);
                }
            }
        }

        private static int SessionCount(ProgressEvent[] events)
        {
            int count = 0;
            foreach (ProgressEvent e in events)
                if (e.HostSessionsOutcome != null && e.HostSessionsOutcome.Sessions != null) count += e.HostSessionsOutcome.Sessions.Length;
            return count;
        }

        private bool WaitForReader(int milliseconds)
        {
            lock (_readGate)
            {
                if (!_stopReading)
                {
                    if (_ready.Count == 0 && !_readerDone && milliseconds > 0) Monitor.Wait(_readGate, milliseconds);
                    if (!_stopReading) return _readerDone;
                }
            }
            // Reading ahead was stopped: the call itself decides.
            try { return _task.Wait(milliseconds); }
            catch (AggregateException) { return true; }
        }

        private ProgressEvent[] TakeReadAhead()
        {
            lock (_readGate)
            {
                if (_ready.Count == 0)
                {
                    if (_readerFault != null) { Exception fault = _readerFault; _readerFault = null; throw fault; }
                    return new ProgressEvent[0];
                }
                ProgressEvent[] events = _ready.Count == 1 ? _ready.Dequeue() : Concat(_ready);
                _readySessions = 0;
                Monitor.PulseAll(_readGate);
                return events;
            }
        }

        private static ProgressEvent[] Concat(Queue<ProgressEvent[]> queue)
        {
            var all = new List<ProgressEvent>();
            while (queue.Count > 0) all.AddRange(queue.Dequeue());
            return all.ToArray();
        }

        /// <summary>
        /// Returns the progress events queued since the last poll, oldest first. After the call
        /// has completed it keeps returning events until the library's queue is empty. Call it
        /// from one thread at a time (the polls share one pool of decoded values).
        /// </summary>
        public ProgressEvent[] Poll()
        {
            if (_reader != null) return TakeReadAhead();
            if (_drained) return new ProgressEvent[0];
            bool running;
            ProgressEvent[] events = Native.PollEvents(OperationId, _pollPool, out running);
            if (!running && events.Length == 0 && _task.IsCompleted) _drained = true;
            return events;
        }

        /// <summary>
        /// Asks the library to cancel the call; it then returns a 'cancelled' error promptly.
        /// The library registers an operation only once it has parsed the request, so until
        /// then bastion_cancel answers 0: as ffi/CONTRACT.md asks, this retries every few
        /// milliseconds until the library answers 1 or the call returns, so a Ctrl+C that
        /// lands before registration is not lost.
        /// </summary>
        /// <returns>1 cancelled, 0 not running (already finished), -1 bad argument.</returns>
        public int Cancel()
        {
            while (true)
            {
                if (_task.IsCompleted) return 0;
                int answer = Native.Cancel(OperationId);
                if (answer != 0) return answer;
                if (Wait(5)) return 0;
            }
        }

        /// <summary>The envelope, read (blocks until the call returns); its Error is set when ok was false.</summary>
        public NativeAnswer GetAnswer()
        {
            try { return _task.Result; }
            catch (AggregateException e) { throw e.InnerException ?? e; }
        }

        /// <summary>
        /// The error of a call that was cut short (timeout, cancelled) but still answered what
        /// it knew; set by the Get*Results methods, null otherwise.
        /// </summary>
        public BastionError InterruptedError { get; private set; }

        /// <summary>
        /// The answer, also when ok is false but the error envelope carries the data known
        /// when the call was interrupted (then <see cref="InterruptedError"/> is set).
        /// Throws <see cref="BastionNativeException"/> for an error without data.
        /// </summary>
        private NativeAnswer GetAnswerOrPartial()
        {
            NativeAnswer answer = GetAnswer();
            if (answer.Error == null) return answer;
            if (!answer.HasData) throw new BastionNativeException(answer.Error);
            InterruptedError = answer.Error;
            return answer;
        }

        /// <summary>The per-host entries of a bastion_get_sessions answer (without sessions when streamed), partial when the call was interrupted; throws <see cref="BastionNativeException"/> for an error without data.</summary>
        public HostSessionsOutcome[] GetHostSessionsOutcomes()
        {
            return GetAnswerOrPartial().HostSessionsOutcomes;
        }

        /// <summary>The per-host results of a bastion_disconnect_sessions answer, partial when the call was interrupted; throws <see cref="BastionNativeException"/> for an error without data.</summary>
        public HostDisconnectOutcome[] GetHostDisconnectOutcomes()
        {
            return GetAnswerOrPartial().HostDisconnectOutcomes;
        }

        /// <summary>The per-subscription entries of a bastion_list_hosts answer or a scoped bastion_get_sessions answer (empty for hosts named directly), also when every subscription failed; throws <see cref="BastionNativeException"/> for an error without data.</summary>
        public SubscriptionHostsOutcome[] GetSubscriptions()
        {
            return GetAnswerOrPartial().Subscriptions;
        }

        /// <summary>The hosts of a bastion_list_hosts answer; throws <see cref="BastionNativeException"/> when ok is false.</summary>
        public BastionHostInfo[] GetHosts()
        {
            return GetAnswer().ThrowIfError().Hosts;
        }

        /// <summary>The envelope's data.stats object, or null; throws <see cref="BastionNativeException"/> when ok is false.</summary>
        public Dictionary<string, object> GetStats()
        {
            return GetAnswerOrPartial().Stats;
        }

        /// <inheritdoc />
        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "{0} ({1}){2}", Function, OperationId, IsCompleted ? " completed" : " running");
        }
    }
}
