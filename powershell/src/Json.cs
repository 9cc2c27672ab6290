// A small, strict JSON reader and writer (RFC 8259).
//
// netstandard2.0 has no System.Text.Json in-box and the module ships no extra DLLs, so the
// shim carries its own. The reader builds plain .NET values:
//   object -> Dictionary<string, object> (last duplicate key wins)
//   array  -> List<object>
//   string -> string, number -> double (or long when integral and in range),
//   true/false -> bool, null -> null.
// The writer accepts those plus IDictionary (Hashtable, OrderedDictionary), IEnumerable,
// every primitive number type, and PowerShell's PSObject (what it wraps is written).
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Text;

namespace BastionSession
{
    /// <summary>Reads and writes JSON with plain .NET values. Thread-safe (no shared state).</summary>
    public static class Json
    {
        /// <summary>Parses one JSON text. Throws <see cref="FormatException"/> on malformed input.</summary>
        /// <param name="text">The JSON text.</param>
        /// <returns>A Dictionary, List, string, double, long, bool or null.</returns>
        public static object Parse(string text)
        {
            if (text == null) throw new ArgumentNullException(nameof(text));
            var reader = new Reader(text);
            reader.SkipWhitespace();
            object value = reader.ReadValue(0);
            reader.SkipWhitespace();
            if (!reader.AtEnd) throw reader.Error("unexpected trailing characters");
            return value;
        }

        /// <summary>Serialises a value (see the file header for the accepted types) as compact JSON.</summary>
        /// <param name="value">The value to write.</param>
        /// <returns>The JSON text.</returns>
        public static string Serialize(object value)
        {
            var sb = new StringBuilder(256);
            Write(sb, value, 0);
            return sb.ToString();
        }

        private const int MaxDepth = 128;

        private struct Reader
        {
            private readonly string _s;
            private int _i;
            // Property names repeat (13 per session, 100,000 sessions): reuse one string per name.
            private readonly string[] _keys;

            public Reader(string s) { _s = s; _i = 0; _keys = new string[512]; }

            public bool AtEnd { get { return _i >= _s.Length; } }

            public FormatException Error(string what)
            {
                return new FormatException(string.Format(CultureInfo.InvariantCulture, "Invalid JSON at offset {0}: {1}", _i, what));
            }

            public void SkipWhitespace()
            {
                while (_i < _s.Length)
                {
                    char c = _s[_i];
                    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') _i++;
                    else break;
                }
            }

            public object ReadValue(int depth)
            {
                if (depth > MaxDepth) throw Error("nesting too deep");
                if (AtEnd) throw Error("unexpected end of input");
                char c = _s[_i];
                switch (c)
                {
                    case '{': return ReadObject(depth);
                    case '[': return ReadArray(depth);
                    case '"': return ReadString();
                    case 't': Expect("true"); return true;
                    case 'f': Expect("false"); return false;
                    case 'n': Expect("null"); return null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                        throw Error("unexpected character '" + c + "'");
                }
            }

            private void Expect(string literal)
            {
                if (string.CompareOrdinal(_s, _i, literal, 0, literal.Length) != 0) throw Error("expected '" + literal + "'");
                _i += literal.Length;
            }

            private Dictionary<string, object> ReadObject(int depth)
            {
                var result = new Dictionary<string, object>(StringComparer.Ordinal);
                _i++; // {
                SkipWhitespace();
                if (!AtEnd && _s[_i] == '}') { _i++; return result; }
                while (true)
                {
                    SkipWhitespace();
                    if (AtEnd || _s[_i] != '"') throw Error("expected a property name");
                    string key = ReadKey();
                    SkipWhitespace();
                    if (AtEnd || _s[_i] != ':') throw Error("expected ':'");
                    _i++;
                    SkipWhitespace();
                    result[key] = ReadValue(depth + 1);
                    SkipWhitespace();
                    if (AtEnd) throw Error("unterminated object");
                    char c = _s[_i++];
                    if (c == '}') return result;
                    if (c != ',') throw Error("expected ',' or '}'");
                }
            }

            private List<object> ReadArray(int depth)
            {
                var result = new List<object>();
                _i++; // [
                SkipWhitespace();
                if (!AtEnd && _s[_i] == ']') { _i++; return result; }
                while (true)
                {
                    SkipWhitespace();
                    result.Add(ReadValue(depth + 1));
                    SkipWhitespace();
                    if (AtEnd) throw Error("unterminated array");
                    char c = _s[_i++];
                    if (c == ']') return result;
                    if (c != ',') throw Error("expected ',' or ']'");
                }
            }

            private string ReadKey()
            {
                int start = _i + 1;
                int hash = 17;
                int j = start;
                while (j < _s.Length)
                {
                    char c = _s[j];
                    if (c == '"' || c == '\\' || c < 0x20) break;
                    hash = unchecked(hash * 31 + c);
                    j++;
                }
                if (j >= _s.Length || _s[j] != '"') return ReadString(); // escapes: the general path
                int length = j - start;
                int slot = (hash & 0x7fffffff) % _keys.Length;
                string cached = _keys[slot];
                if (cached != null && cached.Length == length && string.CompareOrdinal(_s, start, cached, 0, length) == 0)
                {
                    _i = j + 1;
                    return cached;
                }
                string key = _s.Substring(start, length);
                _keys[slot] = key;
                _i = j + 1;
                return key;
            }

            private string ReadString()
            {
                _i++; // opening quote
                int start = _i;
                // Fast path: no escapes.
                while (_i < _s.Length)
                {
                    char c = _s[_i];
                    if (c == '"') { string plain = _s.Substring(start, _i - start); _i++; return plain; }
                    if (c == '\\') break;
                    if (c < 0x20) throw Error("control character in string");
                    _i++;
                }
                var sb = new StringBuilder(_s, start, _i - start, (_i - start) + 16);
                while (_i < _s.Length)
                {
                    char c = _s[_i++];
                    if (c == '"') return sb.ToString();
                    if (c < 0x20) throw Error("control character in string");
                    if (c != '\\') { sb.Append(c); continue; }
                    if (AtEnd) break;
                    char e = _s[_i++];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            if (_i + 4 > _s.Length) throw Error("truncated \\u escape");
                            int code;
                            if (!int.TryParse(_s.Substring(_i, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out code))
                                throw Error("invalid \\u escape");
                            sb.Append((char)code);
                            _i += 4;
                            break;
                        default: throw Error("invalid escape '\\" + e + "'");
                    }
                }
                throw Error("unterminated string");
            }

            private object ReadNumber()
            {
                int start = _i;
                bool integral = true;
                if (_s[_i] == '-') _i++;
                if (AtEnd) throw Error("truncated number");
                if (_s[_i] == '0') _i++;
                else if (_s[_i] >= '1' && _s[_i] <= '9') { while (!AtEnd && _s[_i] >= '0' && _s[_i] <= '9') _i++; }
                else throw Error("invalid number");
                if (!AtEnd && _s[_i] == '.')
                {
                    integral = false;
                    _i++;
                    int digits = _i;
                    while (!AtEnd && _s[_i] >= '0' && _s[_i] <= '9') _i++;
                    if (_i == digits) throw Error("digit expected after '.'");
                }
                if (!AtEnd && (_s[_i] == 'e' || _s[_i] == 'E'))
                {
                    integral = false;
                    _i++;
                    if (!AtEnd && (_s[_i] == '+' || _s[_i] == '-')) _i++;
                    int digits = _i;
                    while (!AtEnd && _s[_i] >= '0' && _s[_i] <= '9') _i++;
                    if (_i == digits) throw Error("digit expected in exponent");
                }
                string token = _s.Substring(start, _i - start);
                long asLong;
                if (integral && long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out asLong)) return asLong;
                return double.Parse(token, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }

        private static void Write(StringBuilder sb, object value, int depth)
        {
            if (depth > MaxDepth) throw new InvalidOperationException("JSON value nested too deeply");
            value = Unwrap(value);
            if (value == null) { sb.Append("null"); return; }
            var s = value as string;
            if (s != null) { WriteString(sb, s); return; }
            if (value is char) { WriteString(sb, value.ToString()); return; }
            if (value is bool) { sb.Append((bool)value ? "true" : "false"); return; }
            if (value is double || value is float)
            {
                double d = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                if (double.IsNaN(d) || double.IsInfinity(d)) throw new InvalidOperationException("NaN and infinity have no JSON form");
                sb.Append(d.ToString("R", CultureInfo.InvariantCulture));
                return;
            }
            if (value is int || value is long || value is short || value is byte || value is sbyte ||
                value is uint || value is ulong || value is ushort || value is decimal)
            {
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            }
            if (value is Enum) { WriteString(sb, value.ToString()); return; }
            if (value is Uri) { WriteString(sb, ((Uri)value).OriginalString); return; }
            var dict = value as IDictionary;
            if (dict != null)
            {
                sb.Append('{');
                bool first = true;
                foreach (DictionaryEntry entry in dict)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteString(sb, Convert.ToString(Unwrap(entry.Key), CultureInfo.InvariantCulture));
                    sb.Append(':');
                    Write(sb, entry.Value, depth + 1);
                }
                sb.Append('}');
                return;
            }
            var list = value as IEnumerable;
            if (list != null)
            {
                sb.Append('[');
                bool first = true;
                foreach (object item in list)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    Write(sb, item, depth + 1);
                }
                sb.Append(']');
                return;
            }
            WriteString(sb, Convert.ToString(value, CultureInfo.InvariantCulture));
        }

        /// <summary>PSObject wraps values that crossed a pipeline; write what it wraps.</summary>
        private static object Unwrap(object value)
        {
            var wrapped = value as PSObject;
            while (wrapped != null)
            {
                object inner = wrapped.BaseObject;
                if (inner == null || ReferenceEquals(inner, wrapped)) break;
                value = inner;
                wrapped = value as PSObject;
            }
            return value;
        }

        private static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    case '\b': sb.Append("\\b"); break;
                    case '\f': sb.Append("\\f"); break;
                    default:
                        if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                        else sb.Append(c);
                        break;
                }
            }
            sb.Append('"');
        }
    }
}
