// Entry point of the Windows test host: hands the command line to PowerShell's console
// host, so this pwsh.exe takes the same arguments as the real one (-NoProfile, -File,
// -Command, -NonInteractive ...) and returns its exit code.
namespace BastionSession.WindowsTestHost
{
    /// <summary>The process entry point.</summary>
    public static class Program
    {
        /// <summary>Runs PowerShell's console host with this process's arguments.</summary>
        public static int Main(string[] args)
        {
            return Microsoft.PowerShell.UnmanagedPSEntry.Start(args, args.Length);
        }
    }
}
