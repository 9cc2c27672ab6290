// The native library's six exports, bound once per process, and the rules for calling them:
// requests go in as UTF-8 NUL-terminated byte[] (zeroed after the call, since they may carry
// a token); answers come back as IntPtr and are freed with bastion_string_free in a finally.
// .NET never frees a Rust string. The cmdlets' calls read the answer in place
// (CallAndParse: the envelope reader walks the library's UTF-8 bytes before they are freed);
// Invoke and PollProgress copy it into a string for tests that want the text.
using System;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace BastionSession
{
    /// <summary>Entry points of libbastion_session_ffi, loaded by absolute path.</summary>
    public static class Native
    {
        /// <summary>The envelope schema this shim understands (ffi/CONTRACT.md).</summary>
        public const int SupportedSchemaVersion = 1;

        /// <summary>Environment variable that overrides the library path (tests, unusual layouts).</summary>
        public const string PathOverrideVariable = "BASTION_SESSION_NATIVE_PATH";

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr RequestFn([In] byte[] utf8Z);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int CancelFn([In] byte[] utf8Z);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate void FreeFn(IntPtr s);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr VersionFn();

        private static readonly object Gate = new object();
        private static RequestFn _getSessions, _disconnect, _listHosts, _poll;
        private static CancelFn _cancel;
        private static FreeFn _free;
        private static string _path, _version, _moduleBase;
        private static int _operationCounter;

        /// <summary>True once <see cref="Initialize"/> has loaded and checked the library.</summary>
        public static bool IsLoaded { get { return _free != null; } }

        /// <summary>Absolute path of the loaded library (loads it first, see <see cref="EnsureLoaded"/>).</summary>
        public static string LibraryPath { get { EnsureLoaded(); return _path; } }

        /// <summary>The library's version string, e.g. "bastion_session_ffi 0.1.0 (schema 1)" (loads the library first, see <see cref="EnsureLoaded"/>).</summary>
        public static string Version { get { EnsureLoaded(); return _version; } }

        /// <summary>
        /// The module folder the library is loaded from on first use: the one given to
        /// <see cref="SetModuleBase"/>, else the folder of this assembly (BastionSession.dll
        /// sits at the module's root, beside the manifest), else null.
        /// </summary>
        public static string ModuleBase { get { return _moduleBase ?? AssemblyModuleBase(); } }

        /// <summary>The folder this assembly was loaded from (the module's root); null when the assembly has no file.</summary>
        public static string AssemblyModuleBase()
        {
            string location = typeof(Native).Assembly.Location;
            if (string.IsNullOrEmpty(location)) return null;
            string folder = Path.GetDirectoryName(location);
            return string.IsNullOrEmpty(folder) ? null : folder;
        }

        /// <summary>
        /// Records the module's folder, without touching the library, for an assembly loaded
        /// from somewhere other than the module's root (the library is loaded, and its version
        /// checked, by the first call that needs it).
        /// </summary>
        /// <param name="moduleBase">The module's folder (the one holding the .psd1).</param>
        public static void SetModuleBase(string moduleBase)
        {
            if (string.IsNullOrEmpty(moduleBase)) throw new ArgumentException("The module folder must not be empty.", nameof(moduleBase));
            lock (Gate) _moduleBase = moduleBase;
        }

        /// <summary>The runtime identifier used to pick bin/&lt;rid&gt;/ (linux-x64, win-x64 ...).</summary>
        public static string RuntimeIdentifier { get { return NativeLibraryLoader.CurrentRid(); } }

        /// <summary>The path the library is loaded from: the override variable, else &lt;moduleBase&gt;/bin/&lt;rid&gt;/&lt;file&gt;.</summary>
        /// <param name="moduleBase">The module's folder (the one holding the .psd1).</param>
        public static string ResolveLibraryPath(string moduleBase)
        {
            string overridePath = Environment.GetEnvironmentVariable(PathOverrideVariable);
            if (!string.IsNullOrEmpty(overridePath)) return Path.GetFullPath(overridePath);
            return Path.GetFullPath(Path.Combine(Path.Combine(Path.Combine(moduleBase, "bin"), NativeLibraryLoader.CurrentRid()), NativeLibraryLoader.LibraryFileName()));
        }

        /// <summary>
        /// Loads the library once per process and checks that it speaks schema 1: through
        /// bastion_version() and through the envelope of a trivial bastion_poll_progress call.
        /// Throws <see cref="BastionNativeLibraryException"/> with Reason Missing or Mismatch.
        /// A second call is a no-op (a process can load one library only).
        /// </summary>
        /// <param name="moduleBase">The module's folder (the one holding the .psd1).</param>
        public static void Initialize(string moduleBase)
        {
            lock (Gate)
            {
                if (IsLoaded) return;
                string path = ResolveLibraryPath(moduleBase);
                if (!File.Exists(path) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(PathOverrideVariable)))
                    ThrowIfPlatformNotShipped(moduleBase, path);
                if (!File.Exists(path))
                    throw new BastionNativeLibraryException(NativeLibraryProblem.Missing, path,
                        string.Format(CultureInfo.InvariantCulture,
                            "The BastionSession native library was not found at '{0}'. This module ships it for {1} in bin/{1}/; reinstall the module, or set {2} to the library's path.",
                            path, NativeLibraryLoader.CurrentRid(), PathOverrideVariable), null);
                IntPtr handle;
                try
                {
                    NativeLibraryLoader.CheckWindowsImage(path);
                    handle = NativeLibraryLoader.Load(path);
                }
                catch (Exception e)
                {
                    throw new BastionNativeLibraryException(NativeLibraryProblem.Missing, path,
                        string.Format(CultureInfo.InvariantCulture, "The BastionSession native library '{0}' could not be loaded: {1}", path, e.Message), e);
                }
                try
                {
                    var version = NativeLibraryLoader.Bind<VersionFn>(handle, "bastion_version", path);
                    var getSessions = NativeLibraryLoader.Bind<RequestFn>(handle, "bastion_get_sessions", path);
                    var disconnect = NativeLibraryLoader.Bind<RequestFn>(handle, "bastion_disconnect_sessions", path);
                    var listHosts = NativeLibraryLoader.Bind<RequestFn>(handle, "bastion_list_hosts", path);
                    var poll = NativeLibraryLoader.Bind<RequestFn>(handle, "bastion_poll_progress", path);
                    var cancel = NativeLibraryLoader.Bind<CancelFn>(handle, "bastion_cancel", path);
                    var free = NativeLibraryLoader.Bind<FreeFn>(handle, "bastion_string_free", path);

                    IntPtr v = version();
                    string versionText = v == IntPtr.Zero ? "" : ReadUtf8(v);
                    if (SchemaOf(versionText) != SupportedSchemaVersion.ToString(CultureInfo.InvariantCulture))
                        throw new BastionNativeLibraryException(NativeLibraryProblem.Mismatch, path, string.Format(CultureInfo.InvariantCulture,
                            "The BastionSession native library '{0}' reports '{1}', but this module needs schema {2}. Install matching versions of the module and its library.",
                            path, versionText, SupportedSchemaVersion), null);

                    // A trivial call: its envelope must carry the same schemaVersion.
                    string probe = CallAndFree(poll, free, "bastion-session-schema-probe");
                    var envelope = Json.Parse(probe) as System.Collections.Generic.Dictionary<string, object>;
                    object schema;
                    if (envelope == null || !envelope.TryGetValue("schemaVersion", out schema) || Convert.ToInt64(schema, CultureInfo.InvariantCulture) != SupportedSchemaVersion)
                        throw new BastionNativeLibraryException(NativeLibraryProblem.Mismatch, path, string.Format(CultureInfo.InvariantCulture,
                            "The BastionSession native library '{0}' answered with an envelope of another schema (expected schemaVersion {1}).", path, SupportedSchemaVersion), null);

                    _getSessions = getSessions; _disconnect = disconnect; _listHosts = listHosts; _poll = poll; _cancel = cancel;
                    _path = path; _version = versionText;
                    _free = free; // last: IsLoaded turns true only when everything is bound
                }
                catch (BastionNativeLibraryException) { throw; }
                catch (Exception e)
                {
                    throw new BastionNativeLibraryException(NativeLibraryProblem.Mismatch, path,
                        string.Format(CultureInfo.InvariantCulture, "'{0}' is not a compatible BastionSession native library: {1}", path, e.Message), e);
                }
            }
        }

        /// <summary>
        /// Throws <see cref="NativeLibraryProblem.UnsupportedPlatform"/> when bin/ has no folder for
        /// the running rid (win-arm64, osx-x64 ... in a package built for linux-x64 and win-x64),
        /// naming the platform and the ones the package carries. A rid folder without its
        /// library is a damaged install instead, reported as Missing by the caller.
        /// </summary>
        private static void ThrowIfPlatformNotShipped(string moduleBase, string path)
        {
            string rid = NativeLibraryLoader.CurrentRid();
            string bin = Path.Combine(moduleBase, "bin");
            if (Directory.Exists(Path.Combine(bin, rid))) return;
            var shipped = new System.Collections.Generic.List<string>();
            if (Directory.Exists(bin))
            {
                foreach (string dir in Directory.GetDirectories(bin))
                {
                    string name = Path.GetFileName(dir);
                    string os = name.Split('-')[0];
                    string file = os == "win" ? "bastion_session_ffi.dll" : os == "osx" ? "libbastion_session_ffi.dylib" : "libbastion_session_ffi.so";
                    if (File.Exists(Path.Combine(dir, file))) shipped.Add(name);
                }
            }
            shipped.Sort(StringComparer.Ordinal);
            throw new BastionNativeLibraryException(NativeLibraryProblem.UnsupportedPlatform, path,
                string.Format(CultureInfo.InvariantCulture,
                    "BastionSession does not support this platform, {0} ({1}, {2} process): this package carries the native library for {3} only. " +
                    "Run it on one of those platforms, or build bastion_session_ffi for {0} (README: Building) and put it in bin/{0}/.",
                    rid, RuntimeInformation.OSDescription.Trim(), RuntimeInformation.ProcessArchitecture,
                    shipped.Count == 0 ? "no platform" : string.Join(", ", shipped.ToArray())), null);
        }

        /// <summary>The N of "(schema N)" in a version string, or null. (No Regex: its first use costs import time.)</summary>
        private static string SchemaOf(string version)
        {
            const string marker = "(schema ";
            int i = version.IndexOf(marker, StringComparison.Ordinal);
            if (i < 0) return null;
            int start = i + marker.Length;
            int end = version.IndexOf(')', start);
            return end > start ? version.Substring(start, end - start) : null;
        }

        /// <summary>A fresh operation id, unique within the process.</summary>
        public static string NewOperationId()
        {
            return string.Format(CultureInfo.InvariantCulture, "ps-{0}-{1}-{2}",
                System.Diagnostics.Process.GetCurrentProcess().Id, Interlocked.Increment(ref _operationCounter), Guid.NewGuid().ToString("N").Substring(0, 8));
        }

        /// <summary>Calls an export synchronously and returns the raw envelope text.</summary>
        /// <param name="function">bastion_get_sessions, bastion_disconnect_sessions or bastion_list_hosts.</param>
        /// <param name="requestJson">The request object as JSON.</param>
        public static string Invoke(string function, string requestJson)
        {
            EnsureLoaded();
            return CallAndFree(Resolve(function), _free, requestJson);
        }

        /// <summary>Starts an export on a worker thread; see <see cref="NativeOperation"/>.</summary>
        /// <param name="function">bastion_get_sessions, bastion_disconnect_sessions or bastion_list_hosts.</param>
        /// <param name="requestJson">The request object as JSON; it must carry <paramref name="operationId"/>.</param>
        /// <param name="operationId">The request's operationId, used to poll progress and cancel.</param>
        public static NativeOperation Start(string function, string requestJson, string operationId)
        {
            EnsureLoaded();
            Resolve(function); // validates the name
            return new NativeOperation(function, requestJson, operationId);
        }

        /// <summary>Serialises a request (Hashtable etc.) and starts it; see <see cref="Start"/>.</summary>
        /// <param name="function">The export to call.</param>
        /// <param name="request">The request as a dictionary; operationId is added when absent.</param>
        public static NativeOperation StartRequest(string function, System.Collections.IDictionary request)
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            string operationId = request.Contains("operationId") ? Convert.ToString(request["operationId"], CultureInfo.InvariantCulture) : null;
            if (string.IsNullOrEmpty(operationId)) { operationId = NewOperationId(); request["operationId"] = operationId; }
            return Start(function, Json.Serialize(request), operationId);
        }

        /// <summary>Drains the progress events queued for an operation, read in place into typed events.</summary>
        /// <param name="operationId">The operation's id.</param>
        /// <param name="running">Whether the operation is still running.</param>
        public static ProgressEvent[] PollEvents(string operationId, out bool running)
        {
            return PollEvents(operationId, null, out running);
        }

        /// <summary>Drains the progress events queued for an operation, decoding short values through a pool the call's polls share.</summary>
        internal static ProgressEvent[] PollEvents(string operationId, StringPool pool, out bool running)
        {
            EnsureLoaded();
            NativeAnswer answer = CallAndParse(_poll, _free, operationId, EnvelopeShape.Events, pool).ThrowIfError();
            running = answer.Running;
            return answer.Events;
        }

        /// <summary>Drains the progress events queued for an operation (raw envelope text).</summary>
        /// <param name="operationId">The operation's id.</param>
        public static string PollProgress(string operationId)
        {
            EnsureLoaded();
            return CallAndFree(_poll, _free, operationId);
        }

        /// <summary>Asks the library to cancel an operation: 1 cancelled, 0 no such running operation, -1 bad argument.</summary>
        /// <param name="operationId">The operation's id.</param>
        public static int Cancel(string operationId)
        {
            EnsureLoaded();
            byte[] bytes = ToUtf8Z(operationId);
            return _cancel(bytes);
        }

        internal static NativeAnswer RunBlocking(string function, string requestJson)
        {
            EnvelopeShape shape;
            switch (function)
            {
                case "bastion_get_sessions": shape = EnvelopeShape.Sessions; break;
                case "bastion_disconnect_sessions": shape = EnvelopeShape.Disconnect; break;
                default: shape = EnvelopeShape.Hosts; break;
            }
            return CallAndParse(Resolve(function), _free, requestJson, shape, null);
        }

        private static RequestFn Resolve(string function)
        {
            switch (function)
            {
                case "bastion_get_sessions": return _getSessions;
                case "bastion_disconnect_sessions": return _disconnect;
                case "bastion_list_hosts": return _listHosts;
                default: throw new ArgumentException("Unknown native function '" + function + "'.", nameof(function));
            }
        }

        /// <summary>
        /// Loads the library from <see cref="ModuleBase"/> unless it is
        /// loaded already; throws <see cref="BastionNativeLibraryException"/> as
        /// <see cref="Initialize"/> does, or InvalidOperationException when the module was never imported.
        /// </summary>
        public static void EnsureLoaded()
        {
            if (IsLoaded) return;
            string moduleBase = ModuleBase;
            if (moduleBase == null) throw new InvalidOperationException("The BastionSession native library is not loaded, and this assembly has no folder to find it in.");
            Initialize(moduleBase);
        }

        private static byte[] ToUtf8Z(string s)
        {
            int count = Encoding.UTF8.GetByteCount(s ?? "");
            var bytes = new byte[count + 1];
            Encoding.UTF8.GetBytes(s ?? "", 0, (s ?? "").Length, bytes, 0);
            return bytes;
        }

        /// <summary>One call: UTF-8 request in, envelope copied out, Rust string freed, request bytes zeroed.</summary>
        private static string CallAndFree(RequestFn fn, FreeFn free, string request)
        {
            byte[] bytes = ToUtf8Z(request);
            IntPtr answer = IntPtr.Zero;
            try
            {
                answer = fn(bytes);
                if (answer == IntPtr.Zero) throw new InvalidOperationException("The native library returned a null envelope.");
                return ReadUtf8(answer);
            }
            finally
            {
                Array.Clear(bytes, 0, bytes.Length); // the request may carry a bearer token
                if (answer != IntPtr.Zero) free(answer);
            }
        }

        /// <summary>One call whose answer is read where the library left it, then freed: no copy of the envelope.</summary>
        private static unsafe NativeAnswer CallAndParse(RequestFn fn, FreeFn free, string request, EnvelopeShape shape, StringPool pool)
        {
            byte[] bytes = ToUtf8Z(request);
            IntPtr answer = IntPtr.Zero;
            try
            {
                answer = fn(bytes);
                if (answer == IntPtr.Zero) throw new InvalidOperationException("The native library returned a null envelope.");
                byte* start = (byte*)answer;
                long length = Utf8Length(start);
                if (length > int.MaxValue) throw new InvalidOperationException("Native answer too large.");
                return Envelope.Read(start, (int)length, shape, pool);
            }
            finally
            {
                Array.Clear(bytes, 0, bytes.Length); // the request may carry a bearer token
                if (answer != IntPtr.Zero) free(answer);
            }
        }

        /// <summary>
        /// The length of a NUL-terminated string, read eight bytes at a time (an envelope of
        /// 100,000 sessions is 55 MB). Words are read only at aligned addresses, so a read
        /// never crosses into a page the string does not reach.
        /// </summary>
        [System.Runtime.CompilerServices.MethodImpl(Jit.OptimizeAtOnce)]
        private static unsafe long Utf8Length(byte* start)
        {
            byte* p = start;
            while (((long)p & 7) != 0)
            {
                if (*p == 0) return p - start;
                p++;
            }
            const ulong ones = 0x0101010101010101UL, highs = 0x8080808080808080UL;
            while (true)
            {
                ulong word = *(ulong*)p;
                if (((word - ones) & ~word & highs) != 0) break; // a zero byte is in this word
                p += 8;
            }
            while (*p != 0) p++;
            return p - start;
        }

        /// <summary>Copies a NUL-terminated UTF-8 string (Marshal.PtrToStringUTF8 is missing on .NET Framework).</summary>
        private static unsafe string ReadUtf8(IntPtr p)
        {
            byte* start = (byte*)p;
            long length = Utf8Length(start);
            if (length == 0) return string.Empty;
            if (length > int.MaxValue) throw new InvalidOperationException("Native answer too large.");
            var buffer = new byte[length];
            Marshal.Copy(p, buffer, 0, (int)length);
            return Encoding.UTF8.GetString(buffer);
        }
    }
}
