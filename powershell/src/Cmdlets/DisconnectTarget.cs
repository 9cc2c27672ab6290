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

        /// <summary>Adds an id once.</summary>
        public void Add(string id) { if (Seen.Add(id)) Ids.Add(id); }

        /// <summary>The host's name for people (a resource id's last segment is for display only; the library checks the id).</summary>
        public string Label
        {
            get
            {
                if (ResourceId != null)
                    return string.Format(CultureInfo.InvariantCulture, "Bastion host '{0}' ({1})", ResourceId.Substring(ResourceId.LastIndexOf('/') + 1), ResourceId);
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
