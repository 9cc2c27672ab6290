// One subscription's answer to a host discovery (data.subscriptions of bastion_list_hosts
// and of a scoped bastion_get_sessions, ffi/CONTRACT.md): the hosts it had, or its error.
namespace BastionSession
{
    /// <summary>One subscription searched for Bastion hosts (in one resource group, when the scope named one): how many hosts it had, or why it could not be listed.</summary>
    public sealed class SubscriptionHostsOutcome
    {
        /// <summary>The subscription id.</summary>
        public string SubscriptionId { get; private set; }
        /// <summary>The resource group searched in it; null when the whole subscription was searched.</summary>
        public string ResourceGroupName { get; private set; }
        /// <summary>False when this subscription (or its resource group) could not be listed (see Error).</summary>
        public bool Ok { get; private set; }
        /// <summary>How many hosts it had, when Ok.</summary>
        public int HostsFound { get; private set; }
        /// <summary>Why it could not be listed; null when Ok.</summary>
        public BastionError Error { get; private set; }

        private SubscriptionHostsOutcome() { }

        /// <summary>Reads one entry of data.subscriptions; null for JSON null.</summary>
        internal static SubscriptionHostsOutcome Read(EnvelopeReader r)
        {
            if (!r.BeginObject()) return null;
            var s = new SubscriptionHostsOutcome();
            bool first = true;
            while (r.NextProperty(ref first))
            {
                if (r.KeyIs("subscriptionId")) s.SubscriptionId = r.ReadString(true);
                else if (r.KeyIs("resourceGroupName")) s.ResourceGroupName = r.ReadString(true);
                else if (r.KeyIs("ok")) s.Ok = r.ReadBool() ?? false;
                else if (r.KeyIs("hostsFound")) s.HostsFound = (int)(r.ReadDouble() ?? 0);
                else if (r.KeyIs("error")) s.Error = BastionError.Read(r);
                else r.Skip();
            }
            return s;
        }

        /// <summary>Where hosts were looked for, as a user reads it: "resource group 'rg' of subscription s" or "subscription s".</summary>
        public string Label
        {
            get
            {
                return string.IsNullOrEmpty(ResourceGroupName)
                    ? "subscription " + SubscriptionId
                    : "resource group '" + ResourceGroupName + "' of subscription " + SubscriptionId;
            }
        }

        /// <inheritdoc />
        public override string ToString() { return Label; }
    }
}
