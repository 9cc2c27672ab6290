// How the shared classes (clouds, credentials, subscriptions) hand a terminating error to
// the cmdlet that called them: the record is built where the cause is known, and thrown by
// the cmdlet with ThrowTerminatingError, so its FullyQualifiedErrorId names the cmdlet.
using System;
using System.Management.Automation;

namespace BastionSession
{
    /// <summary>An ErrorRecord on its way to the cmdlet, which throws it as a terminating error.</summary>
    public sealed class CmdletErrorException : Exception
    {
        /// <summary>The record to throw.</summary>
        public ErrorRecord Record { get; private set; }

        /// <summary>Wraps a record.</summary>
        /// <param name="record">The record.</param>
        public CmdletErrorException(ErrorRecord record) : base(record.Exception.Message, record.Exception) { Record = record; }
    }
}
