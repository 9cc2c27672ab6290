// Get-BastionSession's client-side filters (-UserName, -TargetHostName, -Protocol,
// -OlderThan), applied to a host's sessions in compiled code, once per page. The wildcard
// patterns are PowerShell's own WildcardPattern, so -UserName 'a*' means exactly what it
// means everywhere else in PowerShell.
using System;
using System.Collections.Generic;
using System.Management.Automation;

namespace BastionSession
{
    /// <summary>
    /// Which sessions Get-BastionSession writes. Built once per call; <see cref="Select"/>
    /// then picks a host's matching sessions. Every condition given must hold; within
    /// -UserName or -TargetHostName, one matching pattern is enough.
    /// </summary>
    public sealed class SessionFilter
    {
        private readonly WildcardPattern[] _userNames;
        private readonly WildcardPattern[] _targetHostNames;
        private readonly string _protocol;
        private readonly TimeSpan? _olderThan;

        /// <summary>Builds a filter; a null argument is a condition not asked for.</summary>
        /// <param name="userNamePatterns">The -UserName patterns; a session without a user name is matched as "".</param>
        /// <param name="targetHostNamePatterns">The -TargetHostName patterns; a session without a target host name is matched as "".</param>
        /// <param name="protocol">SSH or RDP, compared without regard to case; null or "" asks for no condition.</param>
        /// <param name="olderThan">Only sessions whose Duration is longer than this.</param>
        public SessionFilter(WildcardPattern[] userNamePatterns, WildcardPattern[] targetHostNamePatterns, string protocol, TimeSpan? olderThan)
        {
            _userNames = CheckPatterns(userNamePatterns, "userNamePatterns");
            _targetHostNames = CheckPatterns(targetHostNamePatterns, "targetHostNamePatterns");
            _protocol = string.IsNullOrEmpty(protocol) ? null : protocol;
            _olderThan = olderThan;
        }

        /// <summary>Case-insensitive WildcardPatterns for the given texts (null for null: no condition).</summary>
        /// <param name="patterns">The texts of -UserName or -TargetHostName; a null entry is read as "".</param>
        public static WildcardPattern[] Patterns(string[] patterns)
        {
            if (patterns == null) return null;
            var built = new WildcardPattern[patterns.Length];
            for (int i = 0; i < patterns.Length; i++)
                built[i] = new WildcardPattern(patterns[i] ?? string.Empty, WildcardOptions.IgnoreCase);
            return built;
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

        private static bool AnyMatch(WildcardPattern[] patterns, string value)
        {
            string text = value ?? string.Empty;
            foreach (WildcardPattern pattern in patterns)
                if (pattern.IsMatch(text)) return true;
            return false;
        }

        private static WildcardPattern[] CheckPatterns(WildcardPattern[] patterns, string parameter)
        {
            if (patterns == null) return null;
            foreach (WildcardPattern pattern in patterns)
                if (pattern == null) throw new ArgumentException("Each pattern must be a WildcardPattern; one is null.", parameter);
            return patterns;
        }
    }
}
