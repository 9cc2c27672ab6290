// Work the first cmdlet call would otherwise do itself, started in the background when the
// module is imported: parsing the module's private script once (which warms PowerShell's
// parser for the code that script holds), loading the native library and compiling the
// envelope reader. Import itself does not wait for it, and nothing it does can fail the
// import: a missing or mismatched library is reported by the first cmdlet call, which loads
// it again, and the first call dot-sources the private script itself.
using System;
using System.IO;
using System.Reflection;
using System.Threading;

namespace BastionSession
{
    /// <summary>Warms PowerShell's parser, the native library and the envelope reader on a background thread.</summary>
    public static class Prefetch
    {
        private static int _started;
        private static int _parsedPrivateScript;

        // A poll envelope with one event of every kind the reader types, one page of one
        // session with every field: reading it compiles the code a listing runs.
        private const string SampleEnvelope =
            "{\"schemaVersion\":1,\"ok\":true,\"data\":{\"running\":false,\"events\":[" +
            "{\"type\":\"hostDone\",\"host\":\"/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/bastionHosts/b\",\"ok\":true,\"sessions\":1,\"done\":1,\"total\":1}," +
            "{\"type\":\"hostSessionsPage\",\"page\":1,\"result\":{\"host\":{\"id\":\"/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/bastionHosts/b\",\"name\":\"b\",\"resourceGroupName\":\"g\",\"subscriptionId\":\"s\"},\"ok\":true,\"sessions\":[" +
            "{\"sessionId\":\"00000000-0000-0000-0000-000000000000\",\"startTime\":\"2026-01-01T00:00:00.5Z\",\"startTimeRaw\":\"2026-01-01T00:00:00.5Z\",\"targetSubscriptionId\":\"s\",\"resourceType\":\"VM\",\"targetHostName\":\"vm\",\"targetResourceGroup\":\"g\",\"userName\":\"u\",\"targetIpAddress\":\"10.0.0.4\",\"protocol\":\"SSH\",\"targetResourceId\":\"/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm\",\"sessionDurationInMins\":1.5}]}}," +
            "{\"type\":\"hostResult\",\"result\":{\"host\":{\"id\":\"x\"},\"ok\":false,\"error\":{\"kind\":\"notFound\",\"code\":4004,\"expected\":true,\"message\":\"m\"}}}]}}";

        /// <summary>True once <see cref="Start"/> has been called in this process.</summary>
        public static bool Started { get { return _started != 0; } }

        /// <summary>True once the warm-up has parsed the module's BastionSession.Private.ps1 (for tests).</summary>
        public static bool ParsedPrivateScript { get { return Volatile.Read(ref _parsedPrivateScript) != 0; } }

        /// <summary>
        /// Starts the warm-up once per process, on a thread-pool thread, and returns at once.
        /// The library is found as <see cref="Native.ModuleBase"/> says (the shim's own module
        /// folder). Every exception is swallowed: the first cmdlet call loads the library again
        /// and reports what is wrong.
        /// </summary>
        public static void Start()
        {
            if (Interlocked.Exchange(ref _started, 1) != 0) return;
            ThreadPool.QueueUserWorkItem(_ => Run());
        }

        private static void Run()
        {
            try
            {
                ParsePrivateScript();
            }
            catch (Exception)
            {
                // Only a warm-up: the first call parses the script again and reports any error.
            }
            try
            {
                bool running;
                Envelope.ParseEvents(SampleEnvelope, out running);
                Native.EnsureLoaded();
            }
            catch (Exception)
            {
                // Reported by the first cmdlet call (Initialize-BastionNative).
            }
        }

        /// <summary>
        /// Parses the built module's BastionSession.Private.ps1 and throws the result away:
        /// the first call's dot-source of it then runs on a parser that has seen its
        /// constructs (about 60 ms, cold, against 30 ms). PowerShell's parser is thread-safe
        /// and needs no runspace; it is reached by reflection because the shim is compiled
        /// against netstandard2.0 alone. The source layout has no such file: nothing to do.
        /// </summary>
        private static void ParsePrivateScript()
        {
            string moduleBase = Native.ModuleBase;
            if (moduleBase == null) return;
            string path = Path.Combine(moduleBase, "BastionSession.Private.ps1");
            if (!File.Exists(path)) return;
            // The engine that imported the module: found among the loaded assemblies, since a
            // partial name does not bind on .NET Framework.
            Assembly automation = null;
            foreach (Assembly loaded in AppDomain.CurrentDomain.GetAssemblies())
            {
                if (loaded.GetName().Name == "System.Management.Automation") { automation = loaded; break; }
            }
            if (automation == null) return;
            Type parser = automation.GetType("System.Management.Automation.Language.Parser");
            if (parser == null) return;
            Type tokens = automation.GetType("System.Management.Automation.Language.Token");
            Type errors = automation.GetType("System.Management.Automation.Language.ParseError");
            if (tokens == null || errors == null) return;
            MethodInfo parseFile = parser.GetMethod(
                "ParseFile",
                new[] { typeof(string), tokens.MakeArrayType().MakeByRefType(), errors.MakeArrayType().MakeByRefType() });
            if (parseFile == null) return;
            parseFile.Invoke(null, new object[] { path, null, null });
            _parsedPrivateScript = 1;
        }
    }
}
