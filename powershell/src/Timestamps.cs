// Timestamps as the library writes them (RFC 3339, UTC, "Z") and as ARM may send them.
using System;
using System.Globalization;

namespace BastionSession
{
    /// <summary>Reads RFC 3339 timestamps as UTC DateTime values, and writes them in one canonical form.</summary>
    internal static class Timestamps
    {
        /// <summary>The longest text <see cref="WriteCanonical"/> writes: "yyyy-MM-ddTHH:mm:ss.fffffffZ".</summary>
        public const int CanonicalMaxLength = 28;

        /// <summary>
        /// Writes <paramref name="value"/> as "yyyy-MM-ddTHH:mm:ss", then "." and its fraction
        /// of a second without trailing zeros when it has one, then "Z" (the form the library
        /// writes startTime in) into <paramref name="buffer"/>, which holds at least
        /// <see cref="CanonicalMaxLength"/> characters; returns the length written.
        /// </summary>
        [System.Runtime.CompilerServices.MethodImpl(Jit.OptimizeAtOnce)]
        public static unsafe int WriteCanonical(DateTime value, char* buffer)
        {
            int n = 0;
            n = WriteDigits(buffer, n, value.Year, 4); buffer[n++] = '-';
            n = WriteDigits(buffer, n, value.Month, 2); buffer[n++] = '-';
            n = WriteDigits(buffer, n, value.Day, 2); buffer[n++] = 'T';
            n = WriteDigits(buffer, n, value.Hour, 2); buffer[n++] = ':';
            n = WriteDigits(buffer, n, value.Minute, 2); buffer[n++] = ':';
            n = WriteDigits(buffer, n, value.Second, 2);
            int fraction = (int)(value.Ticks % TimeSpan.TicksPerSecond);
            if (fraction != 0)
            {
                int digits = 7;
                while (fraction % 10 == 0) { fraction /= 10; digits--; }
                buffer[n++] = '.';
                n = WriteDigits(buffer, n, fraction, digits);
            }
            buffer[n++] = 'Z';
            return n;
        }

        /// <summary>The text <see cref="WriteCanonical"/> writes, as a string.</summary>
        public static unsafe string FormatCanonical(DateTime value)
        {
            char* buffer = stackalloc char[CanonicalMaxLength];
            return new string(buffer, 0, WriteCanonical(value, buffer));
        }

        [System.Runtime.CompilerServices.MethodImpl(Jit.OptimizeAtOnce)]
        private static unsafe int WriteDigits(char* buffer, int at, int value, int count)
        {
            for (int i = count - 1; i >= 0; i--)
            {
                buffer[at + i] = (char)('0' + value % 10);
                value /= 10;
            }
            return at + count;
        }

        /// <summary>RFC 3339 to a UTC DateTime: a fast path for the library's "yyyy-MM-ddTHH:mm:ss[.fffffff]Z", else DateTime.TryParse.</summary>
        public static DateTime? ParseUtc(string s)
        {
            if (string.IsNullOrEmpty(s)) return null;
            int n = s.Length;
            if (n >= 20 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') && s[13] == ':' && s[16] == ':' && (s[n - 1] == 'Z' || s[n - 1] == 'z'))
            {
                int year, month, day, hour, minute, second;
                if (Digits(s, 0, 4, out year) && Digits(s, 5, 2, out month) && Digits(s, 8, 2, out day) &&
                    Digits(s, 11, 2, out hour) && Digits(s, 14, 2, out minute) && Digits(s, 17, 2, out second) &&
                    month >= 1 && month <= 12 && day >= 1 && day <= DateTime.DaysInMonth(Math.Max(1, Math.Min(9999, year)), month) &&
                    hour < 24 && minute < 60 && second < 60 && year >= 1)
                {
                    long ticks = 0;
                    if (n > 20)
                    {
                        if (s[19] != '.') goto slow;
                        long scale = TimeSpan.TicksPerSecond;
                        for (int i = 20; i < n - 1; i++)
                        {
                            char c = s[i];
                            if (c < '0' || c > '9') goto slow;
                            scale /= 10;
                            ticks += (c - '0') * scale;
                        }
                    }
                    else if (s[19] != 'Z' && s[19] != 'z') goto slow;
                    return new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(ticks);
                }
            }
        slow:
            DateTime parsed;
            if (DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out parsed))
                return DateTime.SpecifyKind(parsed, DateTimeKind.Utc);
            return null;
        }

        private static bool Digits(string s, int start, int count, out int value)
        {
            value = 0;
            for (int i = start; i < start + count; i++)
            {
                char c = s[i];
                if (c < '0' || c > '9') return false;
                value = value * 10 + (c - '0');
            }
            return true;
        }

    }
}
