// -OlderThan: a duration, never negative.
using System;
using System.Management.Automation;

namespace BastionSession.Validation
{
    /// <summary>Refuses a negative TimeSpan.</summary>
    public sealed class ValidateNonNegativeTimeSpanAttribute : ValidateArgumentsAttribute
    {
        /// <summary>Checks the bound value.</summary>
        /// <param name="arguments">The value (a TimeSpan).</param>
        /// <param name="engineIntrinsics">Unused.</param>
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            object value = arguments is PSObject ? ((PSObject)arguments).BaseObject : arguments;
            if (value is TimeSpan && (TimeSpan)value < TimeSpan.Zero)
                throw new ValidationMetadataException("OlderThan must not be negative.");
        }
    }
}
