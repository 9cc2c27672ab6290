// Get-BastionSession's client-side filters (-UserName, -TargetHostName, -Protocol,
// -OlderThan), applied to a host's sessions in compiled code, so no script statement runs
// per session (BENCHMARKS.md measures what that saved). The wildcard patterns stay PowerShell's own
// (System.Management.Automation.WildcardPattern, built by the cmdlet), so -UserName 'a*'
// means exactly what it means everywhere else in PowerShell; the shim binds their IsMatch
// by reflection because it is compiled against netstandard2.0 alone, without PowerShell.
using System;
using System.Collections.Generic;
using System.Reflection;

namespace BastionSession
{
    /// <summary>
    /// Which sessions Get-BastionSession writes. Built once per call; <see cref="Select"/>
    /// then picks a host's matching sessions. Every condition given must hold; within
    /// -UserName or -TargetHostName, one matching pattern is enough.
    /// </summary>
    public sealed class SessionFilter
    {
        private readonly Func<string, bool>[] _userNames;
        private readonly Func<string, bool>[] _targetHostNames;
        private readonly string _protocol;
        private readonly TimeSpan? _olderThan;

        /// <summary>Builds a filter; a null argument is a condition not asked for.</summary>
        /// <param name="userNamePatterns">WildcardPattern objects (or anything with a public bool IsMatch(string)) for -UserName; a session without a user name is matched as "".</param>
        /// <param name="targetHostNamePatterns">The same for -TargetHostName; a session without a target host name is matched as "".</param>
        /// <param name="protocol">SSH or RDP, compared without regard to case; null or "" (PowerShell passes $null to a string parameter as "") asks for no condition.</param>
        /// <param name="olderThan">Only sessions whose Duration is longer than this.</param>
        public SessionFilter(object[] userNamePatterns, object[] targetHostNamePatterns, string protocol, TimeSpan? olderThan)
        {
            _userNames = Bind(userNamePatterns, "userNamePatterns");
            _targetHostNames = Bind(targetHostNamePatterns, "targetHostNamePatterns");
            _protocol = string.IsNullOrEmpty(protocol) ? null : protocol;
            _olderThan = olderThan;
        }

        /// <summary>True when the filter lets every session through.</summary>
        public bool PassesAll
        {
            get { return _userNames == null && _targetHostNames == null && _protocol == null && !_olderThan.HasValue; }
        }

        /// <summary>True when <paramref name="session"/> meets every condition.</summary>
        /// <param name="session">A session; null never matches.</param>
        public bool IsMatch(Session session)
        {
            if (session == null) return false;
            if (_userNames != null && !AnyMatch(_userNames, session.UserName)) return false;
            if (_targetHostNames != null && !AnyMatch(_targetHostNames, session.TargetHostName)) return false;
            if (_protocol != null && !string.Equals(session.Protocol, _protocol, StringComparison.OrdinalIgnoreCase)) return false;
            if (_olderThan.HasValue && !(session.Duration > _olderThan.Value)) return false;
            return true;
        }

        /// <summary>The sessions that match, in their order; the array itself when the filter passes everything.</summary>
        /// <param name="sessions">A host's sessions (null is read as none).</param>
        public Session[] Select(Session[] sessions)
        {
            if (sessions == null) return new Session[0];
            if (PassesAll) return sessions;
            var kept = new List<Session>();
            foreach (Session s in sessions)
                if (IsMatch(s)) kept.Add(s);
            return kept.ToArray();
        }

        private static bool AnyMatch(Func<string, bool>[] patterns, string value)
        {
            string text = value ?? string.Empty;
            foreach (Func<string, bool> isMatch in patterns)
                if (isMatch(text)) return true;
            return false;
        }

        private static Func<string, bool>[] Bind(object[] patterns, string parameter)
        {
            if (patterns == null) return null;
            var bound = new Func<string, bool>[patterns.Length];
            for (int i = 0; i < patterns.Length; i++)
            {
                object pattern = patterns[i];
                // PowerShell may hand the pattern over wrapped in a PSObject: the shim cannot
                // name that type, but its BaseObject property holds the pattern itself.
                PropertyInfo baseObject = pattern == null ? null : pattern.GetType().GetProperty("BaseObject");
                if (baseObject != null && pattern.GetType().FullName == "System.Management.Automation.PSObject")
                    pattern = baseObject.GetValue(pattern, null);
                MethodInfo method = pattern == null ? null : pattern.GetType().GetMethod("IsMatch", new[] { typeof(string) });
                if (method == null || method.ReturnType != typeof(bool) || method.IsStatic)
                    throw new ArgumentException("Each pattern must be a WildcardPattern (an object with bool IsMatch(string)).", parameter);
                bound[i] = (Func<string, bool>)method.CreateDelegate(typeof(Func<string, bool>), pattern);
            }
            return bound;
        }
    }
}
