// IPv4 addresses kept as four packed bytes: a session's targetIpAddress is most often a
// dotted quad, and a uint inside the Session costs no object of its own. Only text that
// Format writes back byte for byte is packed, so the property reads exactly what ARM sent.

namespace BastionSession
{
    /// <summary>Canonical dotted-decimal IPv4 text ("10.0.0.4": four octets 0-255, no leading zeros) to and from a uint.</summary>
    internal static unsafe class DottedQuad
    {
        /// <summary>The longest canonical text, "255.255.255.255".</summary>
        public const int MaxLength = 15;

        /// <summary>
        /// True, with the address packed most significant octet first, when the
        /// <paramref name="length"/> bytes at <paramref name="text"/> are a canonical dotted
        /// quad; false for anything else (leading zeros, other separators, IPv6, names).
        /// </summary>
        [System.Runtime.CompilerServices.MethodImpl(Jit.OptimizeAtOnce)]
        public static bool TryParseCanonical(byte* text, int length, out uint address)
        {
            address = 0;
            if (length < 7 || length > MaxLength) return false;
            int at = 0;
            for (int octet = 0; octet < 4; octet++)
            {
                if (octet > 0)
                {
                    if (at >= length || text[at] != (byte)'.') return false;
                    at++;
                }
                int start = at, value = 0;
                while (at < length && at - start < 3 && text[at] >= (byte)'0' && text[at] <= (byte)'9')
                {
                    value = value * 10 + (text[at] - (byte)'0');
                    at++;
                }
                int digits = at - start;
                if (digits == 0 || value > 255 || (digits > 1 && text[start] == (byte)'0')) return false;
                address = (address << 8) | (uint)value;
            }
            return at == length;
        }

        /// <summary>The canonical text of a packed address.</summary>
        public static string Format(uint address)
        {
            char* buffer = stackalloc char[MaxLength];
            int at = 0;
            for (int shift = 24; shift >= 0; shift -= 8)
            {
                if (shift != 24) buffer[at++] = '.';
                int value = (int)((address >> shift) & 0xFF);
                if (value >= 100) buffer[at++] = (char)('0' + value / 100);
                if (value >= 10) buffer[at++] = (char)('0' + value / 10 % 10);
                buffer[at++] = (char)('0' + value % 10);
            }
            return new string(buffer, 0, at);
        }
    }
}
