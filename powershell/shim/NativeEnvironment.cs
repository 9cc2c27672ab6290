// On Linux and macOS, .NET keeps its own copy of the environment: $env:X = 'y' in PowerShell
// (Environment.SetEnvironmentVariable) does not reach the C runtime's environ, so the native
// library (Rust std::env, i.e. getenv) would not see AZURE_TOKEN_CREDENTIALS, IDENTITY_ENDPOINT,
// proxies ... set in the session. Before each native call the shim copies the variables the
// library reads from the managed environment to the native one with setenv/unsetenv.
// On Windows both views are the same process environment block, so nothing is done.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace BastionSession
{
    /// <summary>Mirrors the credential/proxy variables of the managed environment into the C runtime's (Unix only).</summary>
    public static class NativeEnvironment
    {
        private static readonly string[] Prefixes = { "AZURE_", "IDENTITY_", "MSI_", "IMDS_", "BASTION_" };
        private static readonly string[] Names =
        {
            "AZURE_TOKEN_CREDENTIALS", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID",
            "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "AZURE_FEDERATED_TOKEN_FILE",
            "AZURE_AUTHORITY_HOST", "AZURE_SUBSCRIPTION_ID", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
            "IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT",
            "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy",
            "PATH", "HOME", "AZURE_CONFIG_DIR", "SSL_CERT_FILE", "SSL_CERT_DIR",
        };

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int SetEnvFn([In] byte[] name, [In] byte[] value, int overwrite);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate int UnsetEnvFn([In] byte[] name);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        private delegate IntPtr GetEnvFn([In] byte[] name);

        private static readonly object Gate = new object();
        private static readonly HashSet<string> Touched = new HashSet<string>(StringComparer.Ordinal);
        private static bool _initialized;
        private static SetEnvFn _setenv;
        private static UnsetEnvFn _unsetenv;
        private static GetEnvFn _getenv;

        /// <summary>True when the C runtime's environment is separate from .NET's (Linux, macOS) and could be bound.</summary>
        public static bool IsActive
        {
            get { Initialize(); return _setenv != null; }
        }

        /// <summary>Copies the managed values of the variables the native library reads into the C runtime's environment.</summary>
        public static void Sync()
        {
            if (!IsActive) return;
            lock (Gate)
            {
                var names = new HashSet<string>(Names, StringComparer.Ordinal);
                foreach (DictionaryEntry e in Environment.GetEnvironmentVariables())
                {
                    var name = e.Key as string;
                    if (name == null) continue;
                    foreach (string p in Prefixes)
                        if (name.StartsWith(p, StringComparison.Ordinal)) { names.Add(name); break; }
                }
                names.UnionWith(Touched);
                foreach (string name in names)
                {
                    string managed = Environment.GetEnvironmentVariable(name);
                    byte[] key = Z(name);
                    string native = ReadNative(key);
                    if (string.Equals(managed, native, StringComparison.Ordinal)) continue;
                    if (managed == null) _unsetenv(key);
                    else _setenv(key, Z(managed), 1);
                    Touched.Add(name);
                }
            }
        }

        private static string ReadNative(byte[] key)
        {
            IntPtr p = _getenv(key);
            if (p == IntPtr.Zero) return null;
            int length = 0;
            while (Marshal.ReadByte(p, length) != 0) length++;
            var buffer = new byte[length];
            Marshal.Copy(p, buffer, 0, length);
            return Encoding.UTF8.GetString(buffer);
        }

        private static byte[] Z(string s)
        {
            var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        private static void Initialize()
        {
            if (_initialized) return;
            lock (Gate)
            {
                if (_initialized) return;
                _initialized = true;
                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;
                string[] candidates = RuntimeInformation.IsOSPlatform(OSPlatform.OSX)
                    ? new[] { "/usr/lib/libSystem.B.dylib", "libSystem.dylib" }
                    : new[] { "libc.so.6", "libc.so", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1" };
                foreach (string candidate in candidates)
                {
                    try
                    {
                        IntPtr handle = NativeLibraryLoader.Load(candidate);
                        if (handle == IntPtr.Zero) continue;
                        _getenv = NativeLibraryLoader.Bind<GetEnvFn>(handle, "getenv", candidate);
                        _unsetenv = NativeLibraryLoader.Bind<UnsetEnvFn>(handle, "unsetenv", candidate);
                        _setenv = NativeLibraryLoader.Bind<SetEnvFn>(handle, "setenv", candidate);
                        return;
                    }
                    catch (Exception)
                    {
                        _setenv = null; _unsetenv = null; _getenv = null;
                    }
                }
            }
        }
    }
}
