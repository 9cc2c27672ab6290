// Tab completion of -Environment: the built-in clouds and, with Az.Accounts loaded,
// Get-AzEnvironment's names (no ARM call).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace BastionSession.Completion
{
    /// <summary>Completes -Environment.</summary>
    public sealed class EnvironmentCompleter : IArgumentCompleter
    {
        /// <summary>The names that start with what was typed, sorted, each once.</summary>
        /// <param name="commandName">The command.</param>
        /// <param name="parameterName">Environment.</param>
        /// <param name="wordToComplete">What was typed (quotes are ignored).</param>
        /// <param name="commandAst">The command's syntax tree.</param>
        /// <param name="fakeBoundParameters">The parameters typed so far.</param>
        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var names = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (string name in BuiltInClouds.Names) names.Add(name);
            try
            {
                foreach (PSObject environment in new AzAccounts().GetEnvironments())
                {
                    string name = AzAccounts.PropertyText(environment, "Name");
                    if (!string.IsNullOrEmpty(name)) names.Add(name);
                }
            }
            catch (Exception e) when (!(e is PipelineStoppedException)) { }
            var pattern = CompletionText.Prefix(wordToComplete);
            var results = new List<CompletionResult>();
            foreach (string name in names)
                if (pattern.IsMatch(name)) results.Add(new CompletionResult(CompletionText.Quote(name), name, CompletionResultType.ParameterValue, name));
            return results;
        }
    }
}
