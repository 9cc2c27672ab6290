// One Bastion host that Disconnect-BastionSession gathered session ids for, at one endpoint.
using System;
using System.Collections.Generic;
using System.Globalization;

namespace BastionSession.Cmdlets
{
    /// <summary>A host (by resource id, or by subscription, group and name) and the ids to disconnect on it.</summary>
    internal sealed class DisconnectTarget
    {
        /// <summary>The endpoint the host's sessions go to; "" for the default cloud.</summary>
        public string Endpoint;
        /// <summary>The host's resource id, or null when named by parts.</summary>
        public string ResourceId;
        /// <summary>The parts, when named by parts (the subscription may be filled in later).</summary>
        public string SubscriptionId, ResourceGroupName, Name;
        /// <summary>The ids, in the order given, each once.</summary>
        public readonly List<string> Ids = new List<string>();
        /// <summary>The ids already in <see cref="Ids"/>.</summary>
        public readonly HashSet<string> Seen = new HashSet<string>(StringComparer.Ordinal);
        /// <summary>-All: every current session of the host.</summary>
        public bool All;
        /// <summary>Listing its sessions (-All) failed: nothing is sent for it.</summary>
        public bool Failed;

        /// <summary>The listed session behind an id, when it came from a listing (piped, or -All): who and where, for prompts and results.</summary>
        public readonly Dictionary<string, Session> Sessions = new Dictionary<string, Session>(StringComparer.OrdinalIgnoreCase);

        /// <summary>Adds an id once, with the listed session it came from (or null).</summary>
        public void Add(string id, Session session)
        {
            if (Seen.Add(id)) Ids.Add(id);
            if (session != null && !Sessions.ContainsKey(id)) Sessions[id] = session;
        }

        /// <summary>
        /// The sessions for a confirmation, the same words for every call style: the first few
        /// as "user on target (ip)" (or the id when not listed) and how many more.
        /// </summary>
        public string Describe()
        {
            const int shown = 3;
            var parts = new List<string>();
            for (int i = 0; i < Ids.Count && i < shown; i++)
            {
                Session s;
                if (Sessions.TryGetValue(Ids[i], out s))
                {
                    string user = string.IsNullOrEmpty(s.UserName) ? "(no user name)" : s.UserName;
                    string target = s.TargetHostName ?? s.TargetIpAddress ?? "(unknown target)";
                    if (!string.IsNullOrEmpty(s.TargetIpAddress) && s.TargetHostName != null) target += " (" + s.TargetIpAddress + ")";
                    parts.Add(user + " on " + target);
                }
                else parts.Add("session " + Ids[i]);
            }
            string text = string.Join(", ", parts.ToArray());
            if (Ids.Count > shown) text += string.Format(CultureInfo.InvariantCulture, " and {0} more", Ids.Count - shown);
            return text;
        }

        /// <summary>The host's name for people (a resource id's last segment is for display only; the library checks the id).</summary>
        public string Label
        {
            get
            {
                // The same words whether the host was named by id or by parts (-WhatIf, prompts, errors).
                if (ResourceId != null)
                {
                    string[] parts = ResourceId.Split('/');
                    string group = null, subscription = null;
                    for (int i = 0; i + 1 < parts.Length; i++)
                    {
                        if (parts[i].Equals("resourceGroups", StringComparison.OrdinalIgnoreCase)) group = parts[i + 1];
                        else if (parts[i].Equals("subscriptions", StringComparison.OrdinalIgnoreCase)) subscription = parts[i + 1];
                    }
                    if (group != null && subscription != null)
                        return string.Format(CultureInfo.InvariantCulture, "Bastion host '{0}' in resource group '{1}' (subscription {2})", parts[parts.Length - 1], group, subscription);
                    return string.Format(CultureInfo.InvariantCulture, "Bastion host '{0}' ({1})", parts[parts.Length - 1], ResourceId);
                }
                return string.Format(CultureInfo.InvariantCulture, "Bastion host '{0}' in resource group '{1}' (subscription {2})", Name, ResourceGroupName, SubscriptionId);
            }
        }

        /// <summary>The key that matches a listing's answer to this target (case-insensitive, as ARM compares).</summary>
        public string MatchKey
        {
            get { return (ResourceId ?? string.Format(CultureInfo.InvariantCulture, "{0}|{1}|{2}", SubscriptionId, ResourceGroupName, Name)).ToLowerInvariant(); }
        }

        /// <summary>The host for a listing request: { resourceId } or { subscriptionId, resourceGroupName, name }.</summary>
        public Dictionary<string, object> HostRef()
        {
            if (ResourceId != null) return new Dictionary<string, object> { { "resourceId", ResourceId } };
            return new Dictionary<string, object> { { "subscriptionId", SubscriptionId }, { "resourceGroupName", ResourceGroupName }, { "name", Name } };
        }

        /// <summary>The target for a disconnect request, with these session ids.</summary>
        public Dictionary<string, object> DisconnectRef(IList<string> sessionIds)
        {
            Dictionary<string, object> target = ResourceId != null
                ? new Dictionary<string, object> { { "hostResourceId", ResourceId } }
                : HostRef();
            target["sessionIds"] = sessionIds;
            return target;
        }
    }
}
