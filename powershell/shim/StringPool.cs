// One string per distinct short value: protocol, resource type, subscription, resource
// group, user and host names repeat across 100,000 sessions.
using System.Text;

namespace BastionSession
{
    /// <summary>
    /// A fixed-size table of recently decoded short ASCII values. A call's polls share one,
    /// so the sessions of a host's later pages reuse the strings of its first page. Not
    /// thread-safe: one reader uses it at a time.
    /// </summary>
    internal sealed unsafe class StringPool
    {
        /// <summary>Values longer than this are decoded afresh: ids and resource ids rarely repeat.</summary>
        public const int MaxPooledLength = 48;

        private readonly string[] _slots = new string[4096];

        /// <summary>The string of <paramref name="length"/> UTF-8 bytes at <paramref name="p"/>, from the pool when seen before.</summary>
        [System.Runtime.CompilerServices.MethodImpl(Jit.OptimizeAtOnce)]
        public string Get(byte* p, int length)
        {
            if (length > MaxPooledLength) return Encoding.UTF8.GetString(p, length);
            uint hash = 2166136261;
            for (int k = 0; k < length; k++)
            {
                byte b = p[k];
                if (b >= 0x80) return Encoding.UTF8.GetString(p, length);
                hash = (hash ^ b) * 16777619;
            }
            int slot = (int)(hash & (uint)(_slots.Length - 1));
            string hit = _slots[slot];
            if (hit != null && hit.Length == length)
            {
                int k = 0;
                while (k < length && hit[k] == (char)p[k]) k++;
                if (k == length) return hit;
            }
            string s = Encoding.UTF8.GetString(p, length);
            _slots[slot] = s;
            return s;
        }
    }
}
