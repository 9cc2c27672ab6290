// Tab completion of -ResourceGroupName and -Name: the Bastion hosts of the subscription(s)
// named on the command line (or the default subscription), listed through bastion_list_hosts
// with the same cloud and credential order as the cmdlets and a 10-second deadline. One ARM
// list call per Tab press (no cache: cmdlets stay stateless for Azure Automation); any
// failure completes nothing.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace BastionSession.Completion
{
    /// <summary>Completes -ResourceGroupName and -Name from the hosts ARM lists.</summary>
    public sealed class ResourceNameCompleter : IArgumentCompleter
    {
        /// <summary>The resource groups or host names that start with what was typed, sorted, each once.</summary>
        /// <param name="commandName">The command.</param>
        /// <param name="parameterName">ResourceGroupName or Name.</param>
        /// <param name="wordToComplete">What was typed (quotes are ignored).</param>
        /// <param name="commandAst">The command's syntax tree.</param>
        /// <param name="fakeBoundParameters">The parameters typed so far (cloud, credential, subscription, group).</param>
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var results = new List<CompletionResult>();
            try
            {
                var az = new AzAccounts();
                Uri armEndpoint = null;
                if (fakeBoundParameters.Contains("ArmEndpoint")) armEndpoint = new Uri(Convert.ToString(fakeBoundParameters["ArmEndpoint"], System.Globalization.CultureInfo.InvariantCulture));
                string environment = fakeBoundParameters.Contains("Environment") ? Convert.ToString(fakeBoundParameters["Environment"], System.Globalization.CultureInfo.InvariantCulture) : null;
                object token = fakeBoundParameters.Contains("AccessToken") ? fakeBoundParameters["AccessToken"] : null;
                Cloud cloud = Clouds.Resolve(armEndpoint, environment, token != null, az);
                ResolvedCredential credential = Credentials.Resolve(token, cloud.Url, az);
                string[] given = null;
                if (fakeBoundParameters.Contains("SubscriptionId"))
                {
                    var list = new List<string>();
                    object value = fakeBoundParameters["SubscriptionId"];
                    var many = (value is PSObject ? ((PSObject)value).BaseObject : value) as IEnumerable;
                    if (many != null && !(many is string)) foreach (object item in many) list.Add(Convert.ToString(item, System.Globalization.CultureInfo.InvariantCulture));
                    else list.Add(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
                    given = list.ToArray();
                }
                string[] subscriptions = Subscriptions.Resolve(given, credential.SubscriptionId);
                var request = CommonRequest.Create(credential, cloud, 10, 0);
                var scope = new Dictionary<string, object> { { "subscriptionIds", subscriptions } };
                if (parameterName == "Name" && fakeBoundParameters.Contains("ResourceGroupName"))
                    scope["resourceGroupName"] = Convert.ToString(fakeBoundParameters["ResourceGroupName"], System.Globalization.CultureInfo.InvariantCulture);
                request["scope"] = scope;
                NativeCompletion completion = new NativeCall(null, false, false).Run("bastion_list_hosts", request, "BastionSession completion", credential.Secrets, null);
                if (completion.Error != null) return results;
                var values = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (BastionHostInfo host in completion.Hosts)
                {
                    string value = parameterName == "Name" ? host.Name : host.ResourceGroupName;
                    if (!string.IsNullOrEmpty(value)) values.Add(value);
                }
                WildcardPattern pattern = CompletionText.Prefix(wordToComplete);
                foreach (string value in values)
                    if (pattern.IsMatch(value)) results.Add(new CompletionResult(CompletionText.Quote(value), value, CompletionResultType.ParameterValue, value));
            }
            catch (Exception e) when (!(e is PipelineStoppedException))
            {
                // Completion is best effort: no credential, no subscription or no answer completes nothing.
            }
            return results;
        }
    }
}
