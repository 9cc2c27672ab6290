// One string per distinct short value: protocol, resource type, subscription, resource
// group, user and host names repeat across 100,000 sessions. Resource ids' parent paths
// (everything through the last '/') repeat too: every VM of a resource group shares one.
using System.Text;

namespace BastionSession
{
    /// <summary>
    /// Fixed-size tables of recently decoded ASCII values: one for short values, one for
    /// parent paths. A call's polls share one pool, so the sessions of a host's later pages
    /// reuse the strings of its first page. Not thread-safe: one reader uses it at a time.
    /// </summary>
    internal sealed unsafe class StringPool
    {
        /// <summary>Values longer than this are decoded afresh by <see cref="Get"/>: ids and resource ids rarely repeat.</summary>
        public const int MaxPooledLength = 48;

        /// <summary>Parent paths longer than this are decoded afresh by <see cref="GetPath"/>.</summary>
        public const int MaxPooledPathLength = 512;

        private readonly string[] _slots = new string[4096];
        private readonly string[] _pathSlots = new string[256];

        /// <summary>The string of <paramref name="length"/> UTF-8 bytes at <paramref name="p"/>, from the pool when seen before.</summary>
        [System.Runtime.CompilerServices.MethodImpl(Jit.OptimizeAtOnce)]
        public string Get(byte* p, int length)
        {
            return length > MaxPooledLength ? Encoding.UTF8.GetString(p, length) : Lookup(_slots, p, length);
        }

        /// <summary>The same as <see cref="Get"/> for a resource id's parent path, which is longer and repeats less often.</summary>
        [System.Runtime.CompilerServices.MethodImpl(Jit.OptimizeAtOnce)]
        public string GetPath(byte* p, int length)
        {
            return length > MaxPooledPathLength ? Encoding.UTF8.GetString(p, length) : Lookup(_pathSlots, p, length);
        }

        [System.Runtime.CompilerServices.MethodImpl(Jit.OptimizeAtOnce)]
        private static string Lookup(string[] slots, byte* p, int length)
        {
            uint hash = 2166136261;
            for (int k = 0; k < length; k++)
            {
                byte b = p[k];
                if (b >= 0x80) return Encoding.UTF8.GetString(p, length);
                hash = (hash ^ b) * 16777619;
            }
            int slot = (int)(hash & (uint)(slots.Length - 1));
            string hit = slots[slot];
            if (hit != null && hit.Length == length)
            {
                int k = 0;
                while (k < length && hit[k] == (char)p[k]) k++;
                if (k == length) return hit;
            }
            string s = Encoding.UTF8.GetString(p, length);
            slots[slot] = s;
            return s;
        }
    }
}
