// -SessionId: the shape of ARM's session ids, checked before anything is sent, so a mistyped
// or pasted value (a resource id, a user name, a line with spaces) is refused as a
// parameter's value would be, not reported NotFound by ARM.
using System;
using System.Management.Automation;

namespace BastionSession.Validation
{
    /// <summary>
    /// Refuses a session id that is not shaped like ARM's: GUIDs in practice, short names such
    /// as "session1" in the REST examples; so 1-128 ASCII letters, digits, '-', '_' and '.'.
    /// </summary>
    public sealed class ValidateSessionIdAttribute : ValidateArgumentsAttribute
    {
        /// <summary>The longest id accepted (a GUID is 36 characters).</summary>
        public const int MaxLength = 128;

        /// <summary>Checks each bound id.</summary>
        /// <param name="arguments">The value (a string, or one element of the string array).</param>
        /// <param name="engineIntrinsics">Unused.</param>
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            object value = arguments is PSObject ? ((PSObject)arguments).BaseObject : arguments;
            var many = value as string[];
            if (many != null) { foreach (string id in many) Check(id); return; }
            Check(value as string);
        }

        private static void Check(string id)
        {
            string problem = Problem(id);
            if (problem != null) throw new ValidationMetadataException(problem);
        }

        /// <summary>Why <paramref name="id"/> is not shaped like a session id, or null when it is.</summary>
        /// <param name="id">The id as given.</param>
        public static string Problem(string id)
        {
            if (string.IsNullOrEmpty(id)) return "A session id is empty.";
            bool ok = id.Length <= MaxLength;
            for (int i = 0; ok && i < id.Length; i++)
            {
                char c = id[i];
                ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
            }
            if (ok) return null;
            return string.Format(System.Globalization.CultureInfo.InvariantCulture,
                    "{0} is not a Bastion session id: ARM's session ids are GUIDs (or names of letters, digits, '-', '_' and '.'), at most {1} characters. Get-BastionSession lists them.",
                    ErrorRecords.Quote(id), MaxLength);
        }
    }
}
