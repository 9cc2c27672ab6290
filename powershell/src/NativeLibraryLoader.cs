// Finds libbastion_session_ffi beside the module and loads it by absolute path.
//
// Bare-name [DllImport] fails inside Azure Automation and whenever the module is not in
// the application directory (.NET probes the pwsh folder, not the module), so the library
// is loaded explicitly:
//   - .NET Core / .NET 5+: System.Runtime.InteropServices.NativeLibrary.Load/GetExport,
//     reached by reflection because netstandard2.0 does not declare it;
//   - .NET Framework (Windows PowerShell 5.1): kernel32 LoadLibraryExW/GetProcAddress.
// Function pointers become Cdecl delegates through Marshal.GetDelegateForFunctionPointer.
using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace BastionSession
{
    internal static class NativeLibraryLoader
    {
        /// <summary>The runtime identifier of the running process: linux-x64, win-arm64, osx-arm64 ...</summary>
        internal static string CurrentRid()
        {
            string os;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) os = "win";
            else if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) os = "osx";
            else if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) os = "linux";
            else throw new PlatformNotSupportedException("BastionSession supports Windows, Linux and macOS only.");
            string arch;
            switch (RuntimeInformation.ProcessArchitecture)
            {
                case Architecture.X64: arch = "x64"; break;
                case Architecture.Arm64: arch = "arm64"; break;
                case Architecture.X86: arch = "x86"; break;
                case Architecture.Arm: arch = "arm"; break;
                default: arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant(); break;
            }
            return os + "-" + arch;
        }

        /// <summary>The file name of the native library on the running OS.</summary>
        internal static string LibraryFileName()
        {
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return "bastion_session_ffi.dll";
            if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) return "libbastion_session_ffi.dylib";
            return "libbastion_session_ffi.so";
        }

        /// <summary>
        /// On Windows, checks that the file is a PE image for the running architecture before
        /// LoadLibrary sees it. Windows reports a Linux .so, a text file or an x86/Arm64 DLL in
        /// bin/win-x64/ only as "Bad format (0x8007000B)"; this names the actual problem. (It
        /// also keeps such files away from the loader, which under wine left the process hung
        /// after the failed load.) Throws BadImageFormatException; does nothing elsewhere.
        /// </summary>
        internal static void CheckWindowsImage(string path)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;
            ushort expected;
            switch (RuntimeInformation.ProcessArchitecture)
            {
                case Architecture.X64: expected = 0x8664; break;
                case Architecture.Arm64: expected = 0xAA64; break;
                case Architecture.X86: expected = 0x014C; break;
                default: return;
            }
            var header = new byte[4096];
            int read;
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
                read = stream.Read(header, 0, header.Length);
            string problem = null;
            ushort machine = 0;
            if (read < 64 || header[0] != (byte)'M' || header[1] != (byte)'Z')
                problem = read >= 4 && header[0] == 0x7F && header[1] == (byte)'E' && header[2] == (byte)'L' && header[3] == (byte)'F'
                    ? "it is a Linux (ELF) library, not a Windows DLL"
                    : "it is not a Windows DLL (no MZ header)";
            else
            {
                int pe = BitConverter.ToInt32(header, 0x3C);
                if (pe < 0 || pe + 6 > read || header[pe] != (byte)'P' || header[pe + 1] != (byte)'E' || header[pe + 2] != 0 || header[pe + 3] != 0)
                    problem = "it is not a Windows DLL (no PE header)";
                else
                {
                    machine = BitConverter.ToUInt16(header, pe + 4);
                    if (machine != expected)
                        problem = string.Format(System.Globalization.CultureInfo.InvariantCulture,
                            "it is a DLL for machine type 0x{0:X4} ({1}), and this {2} process needs 0x{3:X4} ({4})",
                            machine, MachineName(machine), RuntimeInformation.ProcessArchitecture, expected, MachineName(expected));
                }
            }
            if (problem != null)
                throw new BadImageFormatException(problem + ".", path);
        }

        private static string MachineName(ushort machine)
        {
            switch (machine)
            {
                case 0x8664: return "x64";
                case 0xAA64: return "Arm64";
                case 0x014C: return "x86";
                default: return "unknown";
            }
        }

        /// <summary>Loads a library by absolute path; returns its handle or throws DllNotFoundException.</summary>
        internal static IntPtr Load(string path)
        {
            Type nativeLibrary = Type.GetType("System.Runtime.InteropServices.NativeLibrary", false);
            if (nativeLibrary != null)
            {
                MethodInfo load = nativeLibrary.GetMethod("Load", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string) }, null);
                try
                {
                    return (IntPtr)load.Invoke(null, new object[] { path });
                }
                catch (TargetInvocationException e)
                {
                    throw new DllNotFoundException(e.InnerException != null ? e.InnerException.Message : e.Message, e.InnerException);
                }
            }
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                throw new PlatformNotSupportedException("Loading a native library by path needs .NET Core on this OS.");
            // LOAD_WITH_ALTERED_SEARCH_PATH: dependencies are searched beside the DLL itself.
            IntPtr handle = Kernel32.LoadLibraryExW(path, IntPtr.Zero, 0x00000008);
            if (handle == IntPtr.Zero)
                throw new DllNotFoundException(string.Format("LoadLibraryEx failed for '{0}' (Win32 error {1}).", path, Marshal.GetLastWin32Error()));
            return handle;
        }

        /// <summary>The address of an export, or IntPtr.Zero when the library does not have it.</summary>
        internal static IntPtr GetExport(IntPtr handle, string name)
        {
            Type nativeLibrary = Type.GetType("System.Runtime.InteropServices.NativeLibrary", false);
            if (nativeLibrary != null)
            {
                MethodInfo tryGet = nativeLibrary.GetMethod("TryGetExport", BindingFlags.Public | BindingFlags.Static, null,
                    new[] { typeof(IntPtr), typeof(string), typeof(IntPtr).MakeByRefType() }, null);
                var args = new object[] { handle, name, IntPtr.Zero };
                bool found = (bool)tryGet.Invoke(null, args);
                return found ? (IntPtr)args[2] : IntPtr.Zero;
            }
            return Kernel32.GetProcAddress(handle, name);
        }

        /// <summary>Binds an export to a delegate type, or throws EntryPointNotFoundException.</summary>
        internal static T Bind<T>(IntPtr handle, string name, string path) where T : class
        {
            IntPtr address = GetExport(handle, name);
            if (address == IntPtr.Zero)
                throw new EntryPointNotFoundException(string.Format("'{0}' does not export '{1}': it is not a compatible libbastion_session_ffi.", path, name));
            return (T)(object)Marshal.GetDelegateForFunctionPointer(address, typeof(T));
        }

        private static class Kernel32
        {
            [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
            internal static extern IntPtr LoadLibraryExW(string lpLibFileName, IntPtr hFile, uint dwFlags);

            [DllImport("kernel32.dll", CharSet = CharSet.Ansi, SetLastError = true, BestFitMapping = false)]
            internal static extern IntPtr GetProcAddress(IntPtr hModule, string procName);
        }
    }
}
