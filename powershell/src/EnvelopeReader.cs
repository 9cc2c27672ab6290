// A forward-only JSON reader over the UTF-8 bytes of an envelope, where the native library
// left them: no byte[] copy, no UTF-16 copy of the whole text, no dictionary tree. The
// typed models (Models.cs) pull exactly the fields they know from it and skip the rest, so
// a session's bytes become the strings of a Session object in one step.
//
// It keeps Windows PowerShell 5.1 free of extra DLLs (netstandard2.0 has no in-box
// System.Text.Json). Strict RFC 8259 structure; string contents are decoded as UTF-8
// (invalid sequences become U+FFFD, as Encoding.UTF8 does). The caller guarantees the
// memory stays valid while the reader is used (Native frees it only afterwards).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace BastionSession
{
    /// <summary>Reads one JSON document from UTF-8 bytes, value by value. Not thread-safe; one per parse.</summary>
    internal sealed unsafe class EnvelopeReader
    {
        private const int MaxDepth = 128;
        private readonly byte* _p;
        private readonly int _n;
        private int _i;
        private int _depth;
        // The current property name: raw bytes, or decoded text when it had escapes.
        private int _keyStart, _keyLength;
        private string _keyDecoded;
        // Short values repeat across 100,000 sessions (protocol, resource type, subscription,
        // resource group, user): one string per distinct value.
        private readonly StringPool _pool;

        // Gathers one array's sessions before they are copied into that array's Session[].
        private List<Session> _sessionBuffer;

        /// <summary>A reader over <paramref name="length"/> bytes at <paramref name="utf8"/>, decoding short values through <paramref name="pool"/> (a new one when null).</summary>
        public EnvelopeReader(byte* utf8, int length, StringPool pool)
        {
            _p = utf8; _n = length; _i = 0;
            _pool = pool ?? new StringPool();
        }

        /// <summary>
        /// An empty list to gather one array's sessions in, copied out before the next array
        /// is read: one list per envelope instead of one grown afresh per host.
        /// </summary>
        public List<Session> EmptySessionBuffer()
        {
            if (_sessionBuffer == null) _sessionBuffer = new List<Session>();
            else _sessionBuffer.Clear();
            return _sessionBuffer;
        }

        /// <summary>A FormatException naming <paramref name="what"/> was wrong and where.</summary>
        public FormatException Error(string what)
        {
            return new FormatException(string.Format(CultureInfo.InvariantCulture, "invalid JSON at byte {0}: {1}", _i, what));
        }

        [MethodImpl(Jit.OptimizeAtOnce)]
        private void SkipWhitespace()
        {
            while (_i < _n)
            {
                byte c = _p[_i];
                if (c == (byte)' ' || c == (byte)'\n' || c == (byte)'\r' || c == (byte)'\t') _i++;
                else break;
            }
        }

        [MethodImpl(Jit.OptimizeAtOnce)]
        private byte Peek()
        {
            SkipWhitespace();
            if (_i >= _n) throw Error("unexpected end of input");
            return _p[_i];
        }

        /// <summary>Throws unless only whitespace is left.</summary>
        public void ExpectEnd()
        {
            SkipWhitespace();
            if (_i < _n) throw Error("unexpected trailing characters");
        }

        private void Literal(string word)
        {
            if (_n - _i < word.Length) throw Error("expected '" + word + "'");
            for (int k = 0; k < word.Length; k++)
                if (_p[_i + k] != (byte)word[k]) throw Error("expected '" + word + "'");
            _i += word.Length;
        }

        // ---- containers ---------------------------------------------------------------

        /// <summary>Enters an object; false (and consumed) for null. Anything else is an error.</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public bool BeginObject()
        {
            byte c = Peek();
            if (c == (byte)'n') { Literal("null"); return false; }
            if (c != (byte)'{') throw Error("expected an object");
            if (++_depth > MaxDepth) throw Error("nesting too deep");
            _i++;
            return true;
        }

        /// <summary>Moves to the next property of the current object; false at its end. <paramref name="first"/> starts true.</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public bool NextProperty(ref bool first)
        {
            byte c = Peek();
            if (c == (byte)'}') { _i++; _depth--; return false; }
            if (!first)
            {
                if (c != (byte)',') throw Error("expected ',' or '}'");
                _i++;
                c = Peek();
            }
            first = false;
            if (c != (byte)'"') throw Error("expected a property name");
            _i++;
            int start = _i;
            bool escaped = false;
            while (true)
            {
                if (_i >= _n) throw Error("unterminated property name");
                byte b = _p[_i];
                if (b == (byte)'"') break;
                if (b == (byte)'\\') { escaped = true; _i++; }
                else if (b < 0x20) throw Error("control character in a property name");
                _i++;
            }
            if (escaped)
            {
                _i = start - 1;
                _keyDecoded = ReadStringToken();
                _keyStart = 0; _keyLength = -1;
            }
            else
            {
                _keyDecoded = null; _keyStart = start; _keyLength = _i - start;
                _i++; // closing quote
            }
            if (Peek() != (byte)':') throw Error("expected ':'");
            _i++;
            return true;
        }

        /// <summary>True when the current property name is <paramref name="name"/> (ASCII).</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public bool KeyIs(string name)
        {
            if (_keyDecoded != null) return string.Equals(_keyDecoded, name, StringComparison.Ordinal);
            if (_keyLength != name.Length) return false;
            byte* k = _p + _keyStart;
            for (int j = 0; j < _keyLength; j++)
                if (k[j] != (byte)name[j]) return false;
            return true;
        }

        /// <summary>The current property name as a string.</summary>
        public string Key
        {
            get { return _keyDecoded ?? Decode(_p + _keyStart, _keyLength, true); }
        }

        /// <summary>Enters an array; false (and consumed) for null. Anything else is an error.</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public bool BeginArray()
        {
            byte c = Peek();
            if (c == (byte)'n') { Literal("null"); return false; }
            if (c != (byte)'[') throw Error("expected an array");
            if (++_depth > MaxDepth) throw Error("nesting too deep");
            _i++;
            return true;
        }

        /// <summary>Moves to the next element of the current array; false at its end. <paramref name="first"/> starts true.</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public bool NextElement(ref bool first)
        {
            byte c = Peek();
            if (c == (byte)']') { _i++; _depth--; return false; }
            if (!first)
            {
                if (c != (byte)',') throw Error("expected ',' or ']'");
                _i++;
            }
            first = false;
            return true;
        }

        /// <summary>True when the next value is an object (not consumed).</summary>
        public bool AtObject { get { return Peek() == (byte)'{'; } }

        // ---- values -------------------------------------------------------------------

        /// <summary>Skips one value of any kind, checking its syntax.</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public void Skip()
        {
            byte c = Peek();
            switch (c)
            {
                case (byte)'{':
                    {
                        BeginObject();
                        bool first = true;
                        while (NextProperty(ref first)) Skip();
                        return;
                    }
                case (byte)'[':
                    {
                        BeginArray();
                        bool first = true;
                        while (NextElement(ref first)) Skip();
                        return;
                    }
                case (byte)'"': SkipStringToken(); return;
                case (byte)'t': Literal("true"); return;
                case (byte)'f': Literal("false"); return;
                case (byte)'n': Literal("null"); return;
                default: NumberToken(); return;
            }
        }

        /// <summary>
        /// A string value; null for null. Numbers and booleans are returned as their text,
        /// objects and arrays as their JSON text (what ARM sent, unchanged).
        /// </summary>
        /// <param name="pooled">Reuse one string per distinct short value.</param>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public string ReadString(bool pooled)
        {
            byte c = Peek();
            switch (c)
            {
                case (byte)'"':
                    {
                        int start = _i + 1;
                        int end = PlainStringEnd();
                        if (end < 0) return ReadStringToken();
                        _i = end + 1;
                        return Decode(_p + start, end - start, pooled);
                    }
                case (byte)'n': Literal("null"); return null;
                case (byte)'t': Literal("true"); return "true";
                case (byte)'f': Literal("false"); return "false";
                case (byte)'{':
                case (byte)'[':
                    {
                        int start = _i;
                        Skip();
                        return Decode(_p + start, _i - start, false);
                    }
                default:
                    {
                        int start, length;
                        NumberToken(out start, out length);
                        return Decode(_p + start, length, pooled);
                    }
            }
        }

        /// <summary>
        /// A string value that is a GUID in lowercase "D" form (what Guid.ToString("D") writes
        /// back, byte for byte), as a Guid; false, consuming nothing, for anything else.
        /// </summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public bool TryReadLowercaseGuid(out Guid value)
        {
            value = Guid.Empty;
            if (Peek() != (byte)'"' || _n - _i < 38 || _p[_i + 37] != (byte)'"') return false;
            byte* g = _p + _i + 1;
            if (g[8] != (byte)'-' || g[13] != (byte)'-' || g[18] != (byte)'-' || g[23] != (byte)'-') return false;
            ulong a = 0, b = 0, c = 0, d = 0, e = 0;
            if (!LowerHex(g, 0, 8, ref a) || !LowerHex(g, 9, 4, ref b) || !LowerHex(g, 14, 4, ref c) ||
                !LowerHex(g, 19, 4, ref d) || !LowerHex(g, 24, 12, ref e)) return false;
            value = new Guid((uint)a, (ushort)b, (ushort)c, (byte)(d >> 8), (byte)d,
                (byte)(e >> 40), (byte)(e >> 32), (byte)(e >> 24), (byte)(e >> 16), (byte)(e >> 8), (byte)e);
            _i += 38;
            return true;
        }

        [MethodImpl(Jit.OptimizeAtOnce)]
        private static bool LowerHex(byte* s, int start, int count, ref ulong value)
        {
            for (int k = start; k < start + count; k++)
            {
                byte h = s[k];
                int digit = h >= (byte)'0' && h <= (byte)'9' ? h - '0' : h >= (byte)'a' && h <= (byte)'f' ? h - 'a' + 10 : -1;
                if (digit < 0) return false;
                value = (value << 4) | (uint)digit;
            }
            return true;
        }

        /// <summary>
        /// True, consuming it, when the value is a string whose text is exactly the ASCII
        /// characters <paramref name="text"/>[0..<paramref name="length"/>) (no escapes);
        /// false, consuming nothing, for anything else.
        /// </summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public bool TrySkipStringEqualTo(char* text, int length)
        {
            if (Peek() != (byte)'"' || _n - _i < length + 2 || _p[_i + 1 + length] != (byte)'"') return false;
            byte* s = _p + _i + 1;
            for (int k = 0; k < length; k++)
            {
                if (s[k] != text[k]) return false;
            }
            _i += length + 2;
            return true;
        }

        /// <summary>
        /// A string value without escapes, split after its last '/': the text through that
        /// slash, pooled (the resource ids of one resource group share it; null when there is
        /// no slash), and the text after it, which is <paramref name="lastSegmentHint"/> itself
        /// when the two are equal (a VM is often named as its host). False, consuming nothing,
        /// for escapes, null and other kinds.
        /// </summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public bool TryReadPathParts(string lastSegmentHint, out string parent, out string lastSegment)
        {
            parent = lastSegment = null;
            if (Peek() != (byte)'"') return false;
            int start = _i + 1;
            int end = PlainStringEnd();
            if (end < 0) return false;
            int split = end;
            while (split > start && _p[split - 1] != (byte)'/') split--;
            parent = split == start ? null : _pool.GetPath(_p + start, split - start);
            lastSegment = EqualsAscii(_p + split, end - split, lastSegmentHint) ? lastSegmentHint : Decode(_p + split, end - split, false);
            _i = end + 1;
            return true;
        }

        /// <summary>
        /// A string value that is a canonical dotted-quad IPv4 address (<see cref="DottedQuad"/>),
        /// packed; false, consuming nothing, for anything else.
        /// </summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public bool TryReadDottedQuad(out uint address)
        {
            address = 0;
            if (Peek() != (byte)'"') return false;
            int start = _i + 1, end = start;
            while (end < _n && end - start <= DottedQuad.MaxLength && _p[end] != (byte)'"') end++;
            if (end >= _n || _p[end] != (byte)'"' || !DottedQuad.TryParseCanonical(_p + start, end - start, out address)) return false;
            _i = end + 1;
            return true;
        }

        /// <summary>True when the <paramref name="length"/> bytes at <paramref name="p"/> are the ASCII text <paramref name="text"/>.</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        private static bool EqualsAscii(byte* p, int length, string text)
        {
            if (text == null || text.Length != length) return false;
            for (int k = 0; k < length; k++)
            {
                if (text[k] != p[k] || p[k] >= 0x80) return false;
            }
            return true;
        }

        /// <summary>
        /// For the string token at the current position (its opening quote): the index of its
        /// closing quote when it has no escape and no control character, else -1.
        /// </summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        private int PlainStringEnd()
        {
            int j = _i + 1;
            while (j < _n)
            {
                byte b = _p[j];
                if (b == (byte)'"') return j;
                if (b == (byte)'\\' || b < 0x20) return -1;
                j++;
            }
            return -1;
        }

        /// <summary>A number (or a numeric string); null for null, for a non-numeric string and for other kinds (skipped).</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public double? ReadDouble()
        {
            byte c = Peek();
            if (c == (byte)'-' || (c >= (byte)'0' && c <= (byte)'9'))
            {
                int start, length;
                NumberToken(out start, out length);
                return ParseNumber(_p + start, length);
            }
            if (c == (byte)'"')
            {
                string s = ReadString(false);
                double parsed;
                if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out parsed)) return parsed;
                return null;
            }
            Skip();
            return null;
        }

        /// <summary>A boolean; null for anything else (skipped).</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public bool? ReadBool()
        {
            byte c = Peek();
            if (c == (byte)'t') { Literal("true"); return true; }
            if (c == (byte)'f') { Literal("false"); return false; }
            Skip();
            return null;
        }

        /// <summary>
        /// A scalar as Json.Parse gives it (string, long, double, bool, null); an object or
        /// array comes back as its JSON text.
        /// </summary>
        public object ReadScalar()
        {
            byte c = Peek();
            if (c == (byte)'t' || c == (byte)'f') return ReadBool();
            if (c == (byte)'-' || (c >= (byte)'0' && c <= (byte)'9'))
            {
                int start, length;
                NumberToken(out start, out length);
                bool integral = true;
                for (int k = 0; k < length; k++)
                {
                    byte b = _p[start + k];
                    if (b == (byte)'.' || b == (byte)'e' || b == (byte)'E') { integral = false; break; }
                }
                double d = ParseNumber(_p + start, length);
                if (integral && d >= long.MinValue && d <= long.MaxValue)
                {
                    long l;
                    if (long.TryParse(Decode(_p + start, length, false), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)) return l;
                }
                return d;
            }
            return ReadString(false);
        }

        /// <summary>
        /// An RFC 3339 timestamp as UTC, read from the bytes without making a string when it
        /// has the library's shape ("yyyy-MM-ddTHH:mm:ss[.fffffff]Z"); null for null or an unreadable value.
        /// </summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        public DateTime? ReadUtc()
        {
            byte c = Peek();
            if (c == (byte)'"')
            {
                int start = _i + 1;
                int j = start;
                while (j < _n && _p[j] != (byte)'"' && _p[j] != (byte)'\\') j++;
                if (j < _n && _p[j] == (byte)'"')
                {
                    DateTime fast;
                    if (TryParseUtcFast(_p + start, j - start, out fast)) { _i = j + 1; return fast; }
                }
            }
            return Timestamps.ParseUtc(ReadString(false));
        }

        // ---- tokens -------------------------------------------------------------------

        [MethodImpl(Jit.OptimizeAtOnce)]
        private void SkipStringToken()
        {
            _i++; // opening quote
            while (true)
            {
                if (_i >= _n) throw Error("unterminated string");
                byte b = _p[_i];
                if (b == (byte)'"') { _i++; return; }
                if (b < 0x20) throw Error("control character in a string");
                if (b == (byte)'\\')
                {
                    if (_i + 1 >= _n) throw Error("unterminated string");
                    byte e = _p[_i + 1];
                    if (e == (byte)'u')
                    {
                        if (_i + 6 > _n) throw Error("bad \\u escape");
                        for (int k = 2; k < 6; k++) HexValue(_p[_i + k]);
                        _i += 6;
                        continue;
                    }
                    if (e != (byte)'"' && e != (byte)'\\' && e != (byte)'/' && e != (byte)'b' && e != (byte)'f' && e != (byte)'n' && e != (byte)'r' && e != (byte)'t')
                        throw Error("bad escape");
                    _i += 2;
                    continue;
                }
                _i++;
            }
        }

        /// <summary>A string token with escapes: unescaped into a byte buffer, then decoded once.</summary>
        private string ReadStringToken()
        {
            _i++; // opening quote
            var buffer = new List<byte>(64);
            while (true)
            {
                if (_i >= _n) throw Error("unterminated string");
                byte b = _p[_i];
                if (b == (byte)'"') { _i++; break; }
                if (b < 0x20) throw Error("control character in a string");
                if (b != (byte)'\\') { buffer.Add(b); _i++; continue; }
                if (_i + 1 >= _n) throw Error("unterminated string");
                byte e = _p[_i + 1];
                _i += 2;
                switch (e)
                {
                    case (byte)'"': buffer.Add((byte)'"'); break;
                    case (byte)'\\': buffer.Add((byte)'\\'); break;
                    case (byte)'/': buffer.Add((byte)'/'); break;
                    case (byte)'b': buffer.Add(8); break;
                    case (byte)'f': buffer.Add(12); break;
                    case (byte)'n': buffer.Add(10); break;
                    case (byte)'r': buffer.Add(13); break;
                    case (byte)'t': buffer.Add(9); break;
                    case (byte)'u':
                        {
                            int cp = ReadHex4();
                            if (cp >= 0xD800 && cp <= 0xDBFF && _i + 6 <= _n && _p[_i] == (byte)'\\' && _p[_i + 1] == (byte)'u')
                            {
                                _i += 2;
                                int low = ReadHex4();
                                if (low >= 0xDC00 && low <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                                else { AppendUtf8(buffer, 0xFFFD); cp = low; }
                            }
                            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD; // a lone surrogate
                            AppendUtf8(buffer, cp);
                            break;
                        }
                    default: throw Error("bad escape");
                }
            }
            return Encoding.UTF8.GetString(buffer.ToArray());
        }

        private int ReadHex4()
        {
            if (_i + 4 > _n) throw Error("bad \\u escape");
            int v = 0;
            for (int k = 0; k < 4; k++) v = (v << 4) | HexValue(_p[_i + k]);
            _i += 4;
            return v;
        }

        private int HexValue(byte h)
        {
            if (h >= (byte)'0' && h <= (byte)'9') return h - '0';
            if (h >= (byte)'a' && h <= (byte)'f') return h - 'a' + 10;
            if (h >= (byte)'A' && h <= (byte)'F') return h - 'A' + 10;
            throw Error("bad \\u escape");
        }

        private static void AppendUtf8(List<byte> buffer, int cp)
        {
            if (cp < 0x80) buffer.Add((byte)cp);
            else if (cp < 0x800) { buffer.Add((byte)(0xC0 | (cp >> 6))); buffer.Add((byte)(0x80 | (cp & 0x3F))); }
            else if (cp < 0x10000) { buffer.Add((byte)(0xE0 | (cp >> 12))); buffer.Add((byte)(0x80 | ((cp >> 6) & 0x3F))); buffer.Add((byte)(0x80 | (cp & 0x3F))); }
            else { buffer.Add((byte)(0xF0 | (cp >> 18))); buffer.Add((byte)(0x80 | ((cp >> 12) & 0x3F))); buffer.Add((byte)(0x80 | ((cp >> 6) & 0x3F))); buffer.Add((byte)(0x80 | (cp & 0x3F))); }
        }

        private void NumberToken() { int s, l; NumberToken(out s, out l); }

        /// <summary>RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        private void NumberToken(out int start, out int length)
        {
            start = _i;
            if (_i < _n && _p[_i] == (byte)'-') _i++;
            if (_i >= _n) throw Error("expected a value");
            if (_p[_i] == (byte)'0') _i++;
            else if (_p[_i] >= (byte)'1' && _p[_i] <= (byte)'9') { while (_i < _n && IsDigit(_p[_i])) _i++; }
            else throw Error("unexpected character '" + (char)_p[_i] + "'");
            if (_i < _n && _p[_i] == (byte)'.')
            {
                _i++;
                if (_i >= _n || !IsDigit(_p[_i])) throw Error("expected a digit after '.'");
                while (_i < _n && IsDigit(_p[_i])) _i++;
            }
            if (_i < _n && (_p[_i] == (byte)'e' || _p[_i] == (byte)'E'))
            {
                _i++;
                if (_i < _n && (_p[_i] == (byte)'+' || _p[_i] == (byte)'-')) _i++;
                if (_i >= _n || !IsDigit(_p[_i])) throw Error("expected a digit in the exponent");
                while (_i < _n && IsDigit(_p[_i])) _i++;
            }
            length = _i - start;
        }

        private static bool IsDigit(byte b) { return b >= (byte)'0' && b <= (byte)'9'; }

        [MethodImpl(Jit.OptimizeAtOnce)]
        private static double ParseNumber(byte* p, int length)
        {
            // Fast path: up to 15 significant digits with an optional fraction, no exponent.
            long mantissa = 0; int digits = 0, fraction = -1; bool negative = false; int k = 0;
            if (length > 0 && p[0] == (byte)'-') { negative = true; k = 1; }
            for (; k < length; k++)
            {
                byte b = p[k];
                if (b == (byte)'.') { fraction = 0; continue; }
                if (!IsDigit(b) || ++digits > 15) { mantissa = -1; break; }
                mantissa = mantissa * 10 + (b - '0');
                if (fraction >= 0) fraction++;
            }
            if (mantissa >= 0)
            {
                double v = mantissa;
                if (fraction > 0) v /= Pow10[fraction];
                return negative ? -v : v;
            }
            var chars = new char[length];
            for (int j = 0; j < length; j++) chars[j] = (char)p[j];
            return double.Parse(new string(chars), NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        private static readonly double[] Pow10 = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16 };

        /// <summary>UTF-8 bytes to a string; short ASCII values through the pool.</summary>
        [MethodImpl(Jit.OptimizeAtOnce)]
        private string Decode(byte* p, int length, bool pooled)
        {
            if (length == 0) return string.Empty;
            if (!pooled) return Encoding.UTF8.GetString(p, length);
            return _pool.Get(p, length);
        }

        [MethodImpl(Jit.OptimizeAtOnce)]
        private static bool TryParseUtcFast(byte* s, int n, out DateTime value)
        {
            value = default(DateTime);
            if (n < 20 || s[4] != (byte)'-' || s[7] != (byte)'-' || (s[10] != (byte)'T' && s[10] != (byte)'t') || s[13] != (byte)':' || s[16] != (byte)':') return false;
            if (s[n - 1] != (byte)'Z' && s[n - 1] != (byte)'z') return false;
            int year, month, day, hour, minute, second;
            if (!Digits(s, 0, 4, out year) || !Digits(s, 5, 2, out month) || !Digits(s, 8, 2, out day) ||
                !Digits(s, 11, 2, out hour) || !Digits(s, 14, 2, out minute) || !Digits(s, 17, 2, out second)) return false;
            if (year < 1 || month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return false;
            long ticks = 0;
            if (n > 20)
            {
                if (s[19] != (byte)'.' || n > 28 || n == 21) return false;
                long scale = TimeSpan.TicksPerSecond;
                for (int k = 20; k < n - 1; k++)
                {
                    byte c = s[k];
                    if (!IsDigit(c)) return false;
                    scale /= 10;
                    ticks += (c - '0') * scale;
                }
            }
            value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(ticks);
            return true;
        }

        [MethodImpl(Jit.OptimizeAtOnce)]
        private static bool Digits(byte* s, int start, int count, out int value)
        {
            value = 0;
            for (int k = start; k < start + count; k++)
            {
                byte c = s[k];
                if (!IsDigit(c)) return false;
                value = value * 10 + (c - '0');
            }
            return true;
        }
    }
}
