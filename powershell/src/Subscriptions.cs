// Which subscriptions a call names when hosts are given by group or name, or not at all.
using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace BastionSession
{
    /// <summary>Resolves the subscriptions of a call.</summary>
    public static class Subscriptions
    {
        /// <summary>
        /// -SubscriptionId (each once, in the order given), else the Az context's, else
        /// AZURE_SUBSCRIPTION_ID; else throws <see cref="CmdletErrorException"/>
        /// (BastionSubscriptionIdRequired). The ids are checked by the native library.
        /// </summary>
        /// <param name="given">-SubscriptionId, or null.</param>
        /// <param name="contextSubscriptionId">The Az context's subscription, or null.</param>
        public static string[] Resolve(string[] given, string contextSubscriptionId)
        {
            if (given != null && given.Length > 0)
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var unique = new List<string>();
                foreach (string id in given) if (seen.Add(id)) unique.Add(id);
                return unique.ToArray();
            }
            if (!string.IsNullOrEmpty(contextSubscriptionId)) return new[] { contextSubscriptionId };
            string fromEnvironment = Environment.GetEnvironmentVariable("AZURE_SUBSCRIPTION_ID");
            if (!string.IsNullOrEmpty(fromEnvironment)) return new[] { fromEnvironment };
            throw new CmdletErrorException(ErrorRecords.Module(
                "No subscription: pass -SubscriptionId, sign in with Connect-AzAccount (Az.Accounts), or set AZURE_SUBSCRIPTION_ID.",
                "BastionSubscriptionIdRequired", ErrorCategory.InvalidArgument, "SubscriptionId"));
        }
    }
}
