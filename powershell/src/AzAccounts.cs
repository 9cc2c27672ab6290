// Az.Accounts, reached through the current runspace: the signed-in context, its token and
// its environments. The module holds no reference to any Az assembly (their versions differ
// between Az releases and PowerShell editions); it runs Az.Accounts' own commands in the
// runspace the cmdlet or completer runs in, and reads their output by property name. It
// never imports Az.Accounts: when that module is not loaded, there is no context.
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Management.Automation;

namespace BastionSession
{
    /// <summary>The Az.Accounts module of the current runspace, when it is loaded.</summary>
    public sealed class AzAccounts
    {
        private bool? _loaded;

        /// <summary>True when Az.Accounts is imported in the current runspace (asked once per instance).</summary>
        public bool IsLoaded
        {
            get
            {
                if (!_loaded.HasValue)
                {
                    Collection<PSObject> modules = Run("Get-Module", "Name", "Az.Accounts");
                    _loaded = modules != null && modules.Count > 0;
                }
                return _loaded.Value;
            }
        }

        /// <summary>The signed-in context (Get-AzContext), or null when Az.Accounts is not loaded, fails or has no account.</summary>
        public PSObject GetContext()
        {
            if (!IsLoaded) return null;
            Collection<PSObject> found;
            try { found = Run("Get-AzContext", null, null); }
            catch (Exception e) when (!(e is PipelineStoppedException)) { return null; }
            if (found == null || found.Count == 0 || found[0] == null) return null;
            PSObject context = found[0];
            if (PropertyValue(context, "Account") == null) return null;
            return context;
        }

        /// <summary>The environments Get-AzEnvironment knows, or none when Az.Accounts is not loaded or fails.</summary>
        public IList<PSObject> GetEnvironments()
        {
            var environments = new List<PSObject>();
            if (!IsLoaded) return environments;
            try
            {
                foreach (PSObject item in Run("Get-AzEnvironment", null, null))
                    if (item != null) environments.Add(item);
            }
            catch (Exception e) when (!(e is PipelineStoppedException)) { }
            return environments;
        }

        /// <summary>The Get-AzEnvironment entry with this name (case-insensitive) that has a ResourceManagerUrl, or null.</summary>
        /// <param name="name">The environment's name.</param>
        public PSObject FindEnvironment(string name)
        {
            if (string.IsNullOrEmpty(name)) return null;
            foreach (PSObject candidate in GetEnvironments())
            {
                if (string.Equals(PropertyText(candidate, "Name"), name, StringComparison.OrdinalIgnoreCase) && ResourceManagerUrl(candidate) != null)
                    return candidate;
            }
            return null;
        }

        /// <summary>
        /// A token for <paramref name="resourceUrl"/> (Get-AzAccessToken -ResourceUrl), as plain
        /// text: .Token is a SecureString since Az.Accounts 5 and a string before.
        /// Throws what Get-AzAccessToken threw.
        /// </summary>
        /// <param name="resourceUrl">The audience: the Resource Manager endpoint with a trailing slash.</param>
        public string GetAccessToken(string resourceUrl)
        {
            Collection<PSObject> answer = Run("Get-AzAccessToken", "ResourceUrl", resourceUrl);
            object raw = answer == null || answer.Count == 0 ? null : PropertyValue(answer[0], "Token");
            if (raw is PSObject) raw = ((PSObject)raw).BaseObject;
            var secure = raw as System.Security.SecureString;
            return secure != null ? SecureText.ToPlainText(secure) : Convert.ToString(raw, System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>An Az environment's ResourceManagerUrl without the trailing slash, or null.</summary>
        /// <param name="environment">An object from Get-AzEnvironment, or a context's Environment.</param>
        public static string ResourceManagerUrl(object environment)
        {
            string url = PropertyText(environment, "ResourceManagerUrl");
            return string.IsNullOrWhiteSpace(url) ? null : url.TrimEnd('/');
        }

        /// <summary>A property's value by name, or null (the object may be anything Az returns).</summary>
        /// <param name="item">The object, wrapped or not.</param>
        /// <param name="name">The property's name.</param>
        public static object PropertyValue(object item, string name)
        {
            if (item == null) return null;
            PSPropertyInfo property = PSObject.AsPSObject(item).Properties[name];
            return property == null ? null : property.Value;
        }

        /// <summary>A property's value as text, or null.</summary>
        /// <param name="item">The object, wrapped or not.</param>
        /// <param name="name">The property's name.</param>
        public static string PropertyText(object item, string name)
        {
            object value = PropertyValue(item, name);
            return value == null ? null : Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>Runs one command in the current runspace (a nested pipeline of the running command), -ErrorAction Stop.</summary>
        private static Collection<PSObject> Run(string command, string parameter, object value)
        {
            using (PowerShell shell = PowerShell.Create(RunspaceMode.CurrentRunspace))
            {
                shell.AddCommand(command);
                if (parameter != null) shell.AddParameter(parameter, value);
                shell.AddParameter("ErrorAction", ActionPreference.Stop);
                return shell.Invoke();
            }
        }
    }
}
