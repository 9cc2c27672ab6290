// What the completers share: the typed word as a prefix pattern, and a value quoted as it
// must be typed.
using System.Management.Automation;

namespace BastionSession.Completion
{
    /// <summary>What the completers share: the typed prefix as a pattern, and quoting of a completed value.</summary>
    internal static class CompletionText
    {
        /// <summary>A case-insensitive pattern for values that start with the typed word (quotes removed).</summary>
        internal static WildcardPattern Prefix(string wordToComplete)
        {
            string word = (wordToComplete ?? string.Empty).Trim('\'', '"');
            return new WildcardPattern(WildcardPattern.Escape(word) + "*", WildcardOptions.IgnoreCase);
        }

        /// <summary>The value as it must be typed: in single quotes when it holds a space, a quote or a '$'.</summary>
        internal static string Quote(string value)
        {
            foreach (char c in value)
                if (char.IsWhiteSpace(c) || c == '\'' || c == '"' || c == '`' || c == '$') return "'" + value.Replace("'", "''") + "'";
            return value;
        }
    }
}
