// -OlderThan: a duration a person meant. PowerShell turns a bare number into a TimeSpan of
// that many ticks, so `-OlderThan 8` would mean 800 nanoseconds and select every session
// (and a following Disconnect-BastionSession -Force would end them all). The transformation
// refuses numbers before that conversion happens and reads the short forms people type
// ('8h', '90m', '1d'); the validation refuses any TimeSpan under one second, however it
// was made, since no such age can be meant.
using System;
using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace BastionSession.Validation
{
    /// <summary>The forms -OlderThan accepts, as its errors show them.</summary>
    internal static class DurationForms
    {
        /// <summary>The accepted forms, for error messages.</summary>
        internal const string Accepted = "Give a duration of one second or more: 8:00:00 (8 hours), (New-TimeSpan -Hours 8), or '8h', '90m', '1d', '30s', '1h30m'.";
    }

    /// <summary>
    /// Turns a duration string with units ('8h', '90m', '1d', '30s', '1h30m') into a
    /// TimeSpan and refuses a bare number (8, '8'), which PowerShell would read as ticks
    /// or days. TimeSpans and strings such as '8:00:00' pass on to PowerShell's own conversion.
    /// </summary>
    public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
    {
        // One or more number-and-unit pairs; days, hours, minutes, seconds.
        private static readonly Regex UnitForm = new Regex(@"^\s*(?:(\d+(?:\.\d+)?)\s*([dhms])\s*)+$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>Converts or refuses the argument.</summary>
        /// <param name="engineIntrinsics">Unused.</param>
        /// <param name="inputData">The argument as given.</param>
        public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
        {
            object value = inputData is PSObject ? ((PSObject)inputData).BaseObject : inputData;
            if (IsNumber(value))
                throw new ArgumentTransformationMetadataException(string.Format(CultureInfo.InvariantCulture,
                    "{0} is a bare number, which PowerShell would read as {0} ticks (not hours or minutes) and so select every session. {1}",
                    Convert.ToString(value, CultureInfo.InvariantCulture), DurationForms.Accepted));
            var text = value as string;
            if (text == null) return inputData;
            Match match = UnitForm.Match(text);
            if (match.Success)
            {
                try
                {
                    TimeSpan total = TimeSpan.Zero;
                    for (int i = 0; i < match.Groups[1].Captures.Count; i++)
                    {
                        double amount = double.Parse(match.Groups[1].Captures[i].Value, NumberStyles.Float, CultureInfo.InvariantCulture);
                        switch (char.ToLowerInvariant(match.Groups[2].Captures[i].Value[0]))
                        {
                            case 'd': total += TimeSpan.FromDays(amount); break;
                            case 'h': total += TimeSpan.FromHours(amount); break;
                            case 'm': total += TimeSpan.FromMinutes(amount); break;
                            default: total += TimeSpan.FromSeconds(amount); break;
                        }
                    }
                    return total;
                }
                catch (OverflowException)
                {
                    throw new ArgumentTransformationMetadataException(string.Format(CultureInfo.InvariantCulture, "'{0}' is longer than a TimeSpan can hold. {1}", text, DurationForms.Accepted));
                }
            }
            // '8' or '1.5' would become 8 or 1.5 days through TimeSpan.Parse: no unit, no guess.
            double number;
            if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out number))
                throw new ArgumentTransformationMetadataException(string.Format(CultureInfo.InvariantCulture,
                    "'{0}' is a number without a unit. {1}", text, DurationForms.Accepted));
            return inputData;
        }

        private static bool IsNumber(object value)
        {
            return value is int || value is long || value is double || value is decimal || value is float ||
                value is short || value is byte || value is sbyte || value is ushort || value is uint || value is ulong;
        }
    }

    /// <summary>Refuses a TimeSpan under one second (negative ones included): no such age can be meant.</summary>
    public sealed class ValidateDurationAttribute : ValidateArgumentsAttribute
    {
        /// <summary>Checks the bound value.</summary>
        /// <param name="arguments">The value (a TimeSpan).</param>
        /// <param name="engineIntrinsics">Unused.</param>
        protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
        {
            object value = arguments is PSObject ? ((PSObject)arguments).BaseObject : arguments;
            if (!(value is TimeSpan)) return;
            var span = (TimeSpan)value;
            if (span < TimeSpan.Zero)
                throw new ValidationMetadataException(string.Format(CultureInfo.InvariantCulture, "OlderThan must not be negative ({0}). {1}", span, DurationForms.Accepted));
            if (span < TimeSpan.FromSeconds(1))
                throw new ValidationMetadataException(string.Format(CultureInfo.InvariantCulture,
                    "OlderThan {0} is under one second and would select every session (a number cast to [TimeSpan] counts ticks). {1}", span, DurationForms.Accepted));
        }
    }
}
