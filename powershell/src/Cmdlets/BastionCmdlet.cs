// What both cmdlets share: the credential, cloud and limit parameters, loading the native
// library on the first call (not at import), the streams a call writes to, StopProcessing
// cancelling the native work, and terminating errors from the shared classes.
using System;
using System.Globalization;
using System.Management.Automation;
using BastionSession.Completion;
using BastionSession.Validation;

namespace BastionSession.Cmdlets
{
    /// <summary>The base of Get-BastionSession and Disconnect-BastionSession.</summary>
    public abstract class BastionCmdlet : PSCmdlet
    {
        /// <summary>How many Bastion hosts are worked on at once (1-256; default 64).</summary>
        [Parameter]
        [ValidateRange(1, 256)]
        public int ThrottleLimit { get; set; }

        /// <summary>A bearer token for Azure Resource Manager, as a SecureString or a string. Never written to any stream.</summary>
        [Parameter]
        [ValidateAccessToken]
        public object AccessToken { get; set; }

        /// <summary>AzureCloud, AzureUSGovernment or AzureChinaCloud; with Az.Accounts loaded, also any environment Get-AzEnvironment knows.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        [ValidateEnvironment]
        [ArgumentCompleter(typeof(EnvironmentCompleter))]
        public string Environment { get; set; }

        /// <summary>Overall deadline for the whole call, in seconds (1-86400; default 300).</summary>
        [Parameter]
        [ValidateRange(1, 86400)]
        public int TimeoutSec { get; set; }

        /// <summary>The native calls of this invocation (stopped by StopProcessing).</summary>
        internal NativeCall Calls { get; private set; }

        /// <summary>Az.Accounts of the current runspace (asked at most once per invocation whether it is loaded).</summary>
        internal AzAccounts Az { get; private set; }

        /// <summary>True when the parameter was given (on the command line or from the pipeline).</summary>
        /// <param name="name">The parameter's name.</param>
        protected bool IsBound(string name) { return MyInvocation.BoundParameters.ContainsKey(name); }

        /// <summary>Loads the native library on first use: a missing or mismatched library stops the call here.</summary>
        protected override void BeginProcessing()
        {
            bool verbose = StreamShown("Verbose", "VerbosePreference"), debug = StreamShown("Debug", "DebugPreference");
            Calls = new NativeCall(this, verbose, debug);
            Az = new AzAccounts();
            if (Native.IsLoaded) return;
            try
            {
                Native.EnsureLoaded();
            }
            catch (BastionNativeLibraryException e)
            {
                string errorId; ErrorCategory category;
                switch (e.Problem)
                {
                    case NativeLibraryProblem.Missing: errorId = "BastionNativeLibraryMissing"; category = ErrorCategory.ObjectNotFound; break;
                    case NativeLibraryProblem.UnsupportedPlatform: errorId = "BastionPlatformNotSupported"; category = ErrorCategory.NotImplemented; break;
                    default: errorId = "BastionNativeLibraryMismatch"; category = ErrorCategory.InvalidData; break;
                }
                ThrowTerminatingError(new ErrorRecord(e, errorId, category, e.LibraryPath));
            }
            if (verbose) WriteVerbose(string.Format(CultureInfo.InvariantCulture, "BastionSession: loaded {0} from {1}", Native.Version, Native.LibraryPath));
        }

        /// <summary>Ctrl+C or PowerShell.Stop(): cancels the native work in flight.</summary>
        protected override void StopProcessing()
        {
            NativeCall calls = Calls;
            if (calls != null) calls.Stop();
        }

        /// <summary>Writes a verbose line, built only when the stream is shown.</summary>
        /// <param name="message">The line (never holds a secret).</param>
        protected void Verbose(Func<string> message)
        {
            if (StreamShown("Verbose", "VerbosePreference")) WriteVerbose(message());
        }

        /// <summary>Throws a record the shared classes raised, as this cmdlet's terminating error.</summary>
        /// <param name="e">The shared classes' error.</param>
        protected void Terminate(CmdletErrorException e) { ThrowTerminatingError(e.Record); }

        /// <summary>
        /// Resolves the call's credential (<see cref="Credentials.Resolve"/>) and hands it to the
        /// native calls, so a credential ARM refuses ends the call with one error that names it.
        /// </summary>
        /// <param name="armEndpoint">The chosen endpoint (the token's audience).</param>
        protected ResolvedCredential ResolveCredential(string armEndpoint)
        {
            ResolvedCredential credential = Credentials.Resolve(AccessTokenOrNull, armEndpoint, Az);
            Calls.Credential = credential;
            return credential;
        }

        /// <summary>The -AccessToken value, or null when not given.</summary>
        protected object AccessTokenOrNull { get { return IsBound("AccessToken") ? AccessToken : null; } }

        private bool StreamShown(string parameter, string variable)
        {
            object bound;
            if (MyInvocation.BoundParameters.TryGetValue(parameter, out bound))
            {
                if (bound is SwitchParameter) return ((SwitchParameter)bound).IsPresent;
                if (bound is bool) return (bool)bound;
            }
            object preference = GetVariableValue(variable);
            if (preference is PSObject) preference = ((PSObject)preference).BaseObject;
            ActionPreference value;
            if (preference is ActionPreference) value = (ActionPreference)preference;
            else if (preference == null || !Enum.TryParse(Convert.ToString(preference, CultureInfo.InvariantCulture), true, out value)) return false;
            return value != ActionPreference.SilentlyContinue && value != ActionPreference.Ignore;
        }
    }
}
