// The envelope every export answers with (ffi/CONTRACT.md): {schemaVersion, ok, data} or
// {schemaVersion, ok:false, error}. Read straight from the UTF-8 bytes the native library
// returned (Native.CallAndParse hands over its pointer before freeing it), into the typed
// objects of Models.cs: one copy of each session's bytes, into the strings of its Session.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace BastionSession
{
    /// <summary>Which export's data an envelope carries.</summary>
    public enum EnvelopeShape
    {
        /// <summary>bastion_get_sessions: data.hosts are host results.</summary>
        Sessions,
        /// <summary>bastion_disconnect_sessions: data.results.</summary>
        Disconnect,
        /// <summary>bastion_list_hosts: data.hosts are hosts.</summary>
        Hosts,
        /// <summary>bastion_poll_progress: data.running and data.events.</summary>
        Events,
    }

    /// <summary>An envelope, read: its error, or the data of its shape.</summary>
    public sealed class NativeAnswer
    {
        /// <summary>The error when ok is false (or the envelope could not be read); null on success.</summary>
        public BastionError Error { get; internal set; }
        /// <summary>bastion_get_sessions: one entry per host.</summary>
        public HostSessionsOutcome[] HostSessionsOutcomes { get; internal set; }
        /// <summary>bastion_disconnect_sessions: one entry per host.</summary>
        public HostDisconnectOutcome[] HostDisconnectOutcomes { get; internal set; }
        /// <summary>bastion_list_hosts: the hosts.</summary>
        public BastionHostInfo[] Hosts { get; internal set; }
        /// <summary>bastion_list_hosts and a scoped bastion_get_sessions: one entry per subscription searched (empty otherwise).</summary>
        public SubscriptionHostsOutcome[] Subscriptions { get; internal set; }
        /// <summary>bastion_poll_progress: the events, oldest first.</summary>
        public ProgressEvent[] Events { get; internal set; }
        /// <summary>bastion_poll_progress: whether the operation still runs.</summary>
        public bool Running { get; internal set; }
        /// <summary>data.stats (scalars), or null.</summary>
        public Dictionary<string, object> Stats { get; internal set; }
        /// <summary>
        /// True when the envelope carried a data object: always on success, and on an error
        /// envelope of a call cut short (timeout, cancelled) that still answers what it knew.
        /// </summary>
        public bool HasData { get; internal set; }
        /// <summary>The envelope's size in bytes (for benchmarks).</summary>
        public long EnvelopeBytes { get; internal set; }

        /// <summary>Throws <see cref="BastionNativeException"/> when the envelope is an error; returns this otherwise.</summary>
        public NativeAnswer ThrowIfError()
        {
            if (Error != null) throw new BastionNativeException(Error);
            return this;
        }
    }

    /// <summary>Reads envelopes into typed objects.</summary>
    public static class Envelope
    {
        /// <summary>
        /// Reads an envelope of <paramref name="shape"/> from <paramref name="length"/> UTF-8
        /// bytes at <paramref name="utf8"/>. Never throws for bad content: malformed JSON or a
        /// foreign schema becomes the answer's Error.
        /// </summary>
        /// <param name="utf8">The envelope's first byte.</param>
        /// <param name="length">The envelope's length in bytes (without the NUL).</param>
        /// <param name="shape">Which export answered.</param>
        /// <param name="pool">Short values already decoded by earlier envelopes of the same call, or null.</param>
        internal static unsafe NativeAnswer Read(byte* utf8, int length, EnvelopeShape shape, StringPool pool)
        {
            var answer = new NativeAnswer { EnvelopeBytes = length };
            try
            {
                ReadInto(new EnvelopeReader(utf8, length, pool), shape, answer);
            }
            catch (FormatException e)
            {
                answer.Error = new BastionError(ErrorKinds.InvalidResponse, "The native library answered with malformed JSON: " + e.Message, null);
            }
            return answer;
        }

        /// <summary>Reads an envelope from UTF-8 bytes (tests, benchmarks, other callers).</summary>
        /// <param name="utf8">The envelope's UTF-8 bytes, without a NUL.</param>
        /// <param name="shape">Which export answered.</param>
        public static unsafe NativeAnswer Read(byte[] utf8, EnvelopeShape shape)
        {
            if (utf8 == null) throw new ArgumentNullException(nameof(utf8));
            if (utf8.Length == 0) return Read((byte*)null, 0, shape, null);
            fixed (byte* p = utf8) return Read(p, utf8.Length, shape, null);
        }

        private static void ReadInto(EnvelopeReader r, EnvelopeShape shape, NativeAnswer answer)
        {
            if (!r.BeginObject())
            {
                answer.Error = new BastionError(ErrorKinds.Internal, "The native library's answer is not a JSON object.", null);
                return;
            }
            double? schema = null;
            bool? ok = null;
            bool sawData = false;
            var now = DateTime.UtcNow;
            bool first = true;
            while (r.NextProperty(ref first))
            {
                if (r.KeyIs("schemaVersion")) schema = r.ReadDouble();
                else if (r.KeyIs("ok")) ok = r.ReadBool();
                else if (r.KeyIs("error")) answer.Error = BastionError.Read(r);
                else if (r.KeyIs("data")) { sawData = true; ReadData(r, shape, answer, now); }
                else r.Skip();
            }
            r.ExpectEnd();
            answer.HasData = sawData;
            if (schema.HasValue && schema.Value != Native.SupportedSchemaVersion)
            {
                answer.Error = new BastionError(ErrorKinds.UnsupportedSchema, "The native library answered with schemaVersion " +
                    schema.Value.ToString(CultureInfo.InvariantCulture) + "; this module needs " +
                    Native.SupportedSchemaVersion.ToString(CultureInfo.InvariantCulture) + ".", null);
                return;
            }
            if (ok == true)
            {
                answer.Error = null;
                answer.HasData = true;
                if (!sawData) ReadData(null, shape, answer, now);
                return;
            }
            if (answer.Error == null)
                answer.Error = new BastionError(ErrorKinds.Internal, "The native library failed without an error object.", null);
        }

        private static void ReadData(EnvelopeReader r, EnvelopeShape shape, NativeAnswer answer, DateTime now)
        {
            var hostResults = new List<HostSessionsOutcome>();
            var disconnect = new List<HostDisconnectOutcome>();
            var hosts = new List<BastionHostInfo>();
            var events = new List<ProgressEvent>();
            var subscriptions = new List<SubscriptionHostsOutcome>();
            if (r != null && r.BeginObject())
            {
                bool first = true;
                while (r.NextProperty(ref first))
                {
                    if (r.KeyIs("stats")) answer.Stats = ReadScalars(r);
                    else if (r.KeyIs("running")) answer.Running = r.ReadBool() ?? false;
                    else if (shape == EnvelopeShape.Sessions && r.KeyIs("hosts")) ReadArray(r, x => hostResults.Add(HostSessionsOutcome.Read(x, now)));
                    else if (shape == EnvelopeShape.Hosts && r.KeyIs("hosts")) ReadArray(r, x => hosts.Add(BastionHostInfo.Read(x)));
                    else if (shape == EnvelopeShape.Disconnect && r.KeyIs("results")) ReadArray(r, x => disconnect.Add(HostDisconnectOutcome.Read(x)));
                    else if ((shape == EnvelopeShape.Sessions || shape == EnvelopeShape.Hosts) && r.KeyIs("subscriptions")) ReadArray(r, x => subscriptions.Add(SubscriptionHostsOutcome.Read(x)));
                    else if (shape == EnvelopeShape.Events && r.KeyIs("events")) ReadArray(r, x => events.Add(ProgressEvent.Read(x, now)));
                    else r.Skip();
                }
            }
            answer.HostSessionsOutcomes = hostResults.ToArray();
            answer.HostDisconnectOutcomes = disconnect.ToArray();
            answer.Hosts = hosts.ToArray();
            answer.Events = events.ToArray();
            answer.Subscriptions = subscriptions.ToArray();
        }

        /// <summary>Calls <paramref name="readObject"/> for each object element of an array (other elements are skipped).</summary>
        private static void ReadArray(EnvelopeReader r, Action<EnvelopeReader> readObject)
        {
            if (!r.BeginArray()) return;
            bool first = true;
            while (r.NextElement(ref first))
            {
                if (r.AtObject) readObject(r);
                else r.Skip();
            }
        }

        private static Dictionary<string, object> ReadScalars(EnvelopeReader r)
        {
            var d = new Dictionary<string, object>(StringComparer.Ordinal);
            if (!r.BeginObject()) return d;
            bool first = true;
            while (r.NextProperty(ref first))
            {
                string key = r.Key;
                d[key] = r.ReadScalar();
            }
            return d;
        }

        // ---- text entry points (one UTF-8 encoding; kept for scripts and benchmarks) ----

        /// <summary>The per-host results of a bastion_get_sessions envelope. Throws BastionNativeException for an error envelope.</summary>
        /// <param name="envelopeText">The envelope as returned by the library.</param>
        public static HostSessionsOutcome[] ParseHostSessionsOutcomes(string envelopeText)
        {
            return Read(Encoding.UTF8.GetBytes(envelopeText ?? string.Empty), EnvelopeShape.Sessions).ThrowIfError().HostSessionsOutcomes;
        }

        /// <summary>The events of a bastion_poll_progress envelope, oldest first (hostResult sessions become Session objects).</summary>
        /// <param name="envelopeText">The envelope as returned by bastion_poll_progress.</param>
        /// <param name="running">Whether the operation is still running.</param>
        public static ProgressEvent[] ParseEvents(string envelopeText, out bool running)
        {
            NativeAnswer answer = Read(Encoding.UTF8.GetBytes(envelopeText ?? string.Empty), EnvelopeShape.Events).ThrowIfError();
            running = answer.Running;
            return answer.Events;
        }
    }
}
