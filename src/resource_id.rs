//! Bastion host resource ids: [`HostRef`] (parse, build back). Each part is checked by
//! its rule in [`crate::names`], the one place names and ids are validated.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::names;

/// Names one Bastion host: subscription, resource group and host name.
///
/// Parse one from a resource id with [`str::parse`]; [`HostRef::resource_id`] builds it back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostRef {
    /// Subscription id.
    pub subscription_id: String,
    /// Resource group name.
    pub resource_group_name: String,
    /// Bastion host name.
    pub name: String,
}

impl HostRef {
    /// A host reference from its three parts, each checked by its rule in [`crate::names`].
    pub fn new(
        subscription_id: impl Into<String>,
        resource_group_name: impl Into<String>,
        name: impl Into<String>,
    ) -> Result<HostRef> {
        let h = HostRef {
            subscription_id: subscription_id.into(),
            resource_group_name: resource_group_name.into(),
            name: name.into(),
        };
        names::validate_subscription_id(&h.subscription_id)?;
        names::validate_resource_group_name(&h.resource_group_name)?;
        names::validate_bastion_host_name(&h.name)?;
        Ok(h)
    }

    /// The ARM resource id:
    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Network/bastionHosts/{name}`.
    pub fn resource_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/bastionHosts/{}",
            self.subscription_id, self.resource_group_name, self.name
        )
    }
}

impl fmt::Display for HostRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.resource_id())
    }
}

impl FromStr for HostRef {
    type Err = Error;

    /// Parses a Bastion host resource id. Segment names are matched case-insensitively,
    /// as ARM does; a trailing `/` is allowed.
    fn from_str(s: &str) -> Result<HostRef> {
        let bad = |why: &str| {
            Error::invalid_request(format!(
                "'{}' is not a Bastion host resource id ({why}); expected \
                 /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/bastionHosts/<name>",
                truncate(s, 300)
            ))
        };
        let t = s.trim();
        if t.is_empty() {
            return Err(Error::invalid_request(
                "the Bastion host resource id is empty",
            ));
        }
        if !t.starts_with('/') {
            return Err(bad("it must start with '/'"));
        }
        let parts: Vec<&str> = t.trim_end_matches('/').split('/').skip(1).collect();
        let expect = |i: usize, name: &str| -> Result<()> {
            match parts.get(i) {
                Some(p) if p.eq_ignore_ascii_case(name) => Ok(()),
                Some(p) => Err(bad(&format!("found '{p}' where '{name}' was expected"))),
                None => Err(bad(&format!("it ends before '{name}'"))),
            }
        };
        let value = |i: usize, what: &str| -> Result<String> {
            match parts.get(i) {
                Some(p) if !p.is_empty() => Ok((*p).to_string()),
                _ => Err(bad(&format!("the {what} is missing"))),
            }
        };
        expect(0, "subscriptions")?;
        let sub = value(1, "subscription id")?;
        expect(2, "resourceGroups")?;
        let rg = value(3, "resource group name")?;
        expect(4, "providers")?;
        match parts.get(5) {
            Some(p) if p.eq_ignore_ascii_case("Microsoft.Network") => {}
            Some(p) => return Err(bad(&format!("provider '{p}' is not Microsoft.Network"))),
            None => return Err(bad("the provider is missing")),
        }
        match parts.get(6) {
            Some(p) if p.eq_ignore_ascii_case("bastionHosts") => {}
            Some(p) => return Err(bad(&format!("resource type '{p}' is not bastionHosts"))),
            None => return Err(bad("the resource type is missing")),
        }
        let name = value(7, "Bastion host name")?;
        if parts.len() > 8 {
            return Err(bad("it has extra segments after the host name"));
        }
        HostRef::new(sub, rg, name).map_err(|e| bad(e.message()))
    }
}

/// `s`, cut to at most `max` characters, for quoting caller input in an error.
fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const SUB: &str = "00000000-0000-0000-0000-000000000001";

    #[test]
    fn resource_id_round_trip_and_case() {
        let id = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-0/providers/Microsoft.Network/bastionHosts/bh-0";
        let h: HostRef = id.parse().unwrap();
        assert_eq!(h.name, "bh-0");
        assert_eq!(h.resource_id(), id);
        let h2: HostRef = "/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000001/resourcegroups/rg-0/providers/microsoft.network/BASTIONHOSTS/bh-0/"
            .parse()
            .unwrap();
        assert_eq!(h, h2);
    }

    #[test]
    fn resource_id_errors_say_what_is_wrong() {
        let cases = [
            ("", "empty"),
            ("subscriptions/x", "start with '/'"),
            (
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/bastionHosts/b",
                "Microsoft.Compute",
            ),
            (
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/b",
                "virtualNetworks",
            ),
            (
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/bastionHosts",
                "host name is missing",
            ),
            (
                "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/bastionHosts/b/x",
                "extra segments",
            ),
            (
                "/subscriptions//resourceGroups/rg/providers/Microsoft.Network/bastionHosts/b",
                "subscription id is missing",
            ),
            ("/subs/s/resourceGroups/rg", "'subscriptions' was expected"),
        ];
        for (id, want) in cases {
            let e = id.parse::<HostRef>().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidRequest);
            assert!(e.message().contains(want), "{id}: {e}");
        }
    }

    #[test]
    fn names_that_could_move_the_url_are_refused() {
        for (rg, name) in [
            (".", "b"),
            ("..", "b"),
            ("rg", ".."),
            ("rg", "a\\b"),
            ("rg", "a%2e"),
            ("rg", "a\tb"),
            ("rg", "a\nb"),
            ("rg", " b"),
            ("r?g", "b"),
        ] {
            let e = HostRef::new(SUB, rg, name).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidRequest, "{rg:?} {name:?}");
        }
        assert!(HostRef::new(SUB, "rg.(x)_-", "bh-0_a.b").is_ok());
        let e = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/./providers/Microsoft.Network/bastionHosts/b"
            .parse::<HostRef>()
            .unwrap_err();
        assert!(e.message().contains("must not end with a period"), "{e}");
    }
}
