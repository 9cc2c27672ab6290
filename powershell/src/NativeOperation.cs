// A native call running on a worker thread, so the PowerShell pipeline thread stays free to
// wait in short slices, drain progress and notice Ctrl+C. PowerShell only sees a stop
// request between statements; a script that loops on Wait(100) and calls Cancel() in its
// finally block therefore cancels the native work within one slice.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading.Tasks;

namespace BastionSession
{
    /// <summary>One running call of bastion_get_sessions / _disconnect_sessions / _list_hosts.</summary>
    public sealed class NativeOperation
    {
        private readonly Task<NativeAnswer> _task;
        private readonly StringPool _pollPool = new StringPool();
        private bool _drained;

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
            try { return _task.Wait(milliseconds); }
            catch (AggregateException) { return true; } // the fault is reported by GetAnswer
        }

        /// <summary>
        /// Returns the progress events queued since the last poll, oldest first. After the call
        /// has completed it keeps returning events until the library's queue is empty. Call it
        /// from one thread at a time (the polls share one pool of decoded values).
        /// </summary>
        public ProgressEvent[] Poll()
        {
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
