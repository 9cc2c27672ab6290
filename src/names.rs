//! The one set of rules for the names and ids that make up a Bastion host's resource id:
//! subscription id, resource group name, Bastion host name. The C ABI and the PowerShell
//! module do not check them; they pass the caller's values here (through [`HostRef::new`],
//! [`HostRef::from_str`] and the host discovery of a scope) and show this module's message.
//!
//! The rules are Azure's naming rules. Besides refusing what ARM would refuse anyway, they
//! are what keeps a value, once joined into a request URL, addressing only itself: none of
//! them lets through `/`, `\`, `?`, `#`, `%` (pre-encoded text), a control character (URL
//! parsers drop tabs and newlines), whitespace, or a name that is only dots.
//!
//! Each error is an [`ErrorKind::InvalidRequest`](crate::error::ErrorKind::InvalidRequest) whose
//! message names the field and quotes the value (cut short when long).
//!
//! [`HostRef::new`]: crate::resource_id::HostRef::new
//! [`HostRef::from_str`]: crate::resource_id::HostRef

use crate::error::{Error, Result};

/// Longest resource group name Azure accepts, in characters.
pub const MAX_RESOURCE_GROUP_NAME: usize = 90;

/// Longest Bastion host name Azure accepts, in characters.
pub const MAX_BASTION_HOST_NAME: usize = 80;

/// How much of a refused value an error message quotes.
const QUOTED_CHARS: usize = 100;

/// Checks a subscription id: a GUID in the 8-4-4-4-12 hexadecimal form (either case).
pub fn validate_subscription_id(value: &str) -> Result<()> {
    const WHAT: &str = "subscription id";
    check_not_empty(WHAT, value)?;
    let groups: Vec<&str> = value.split('-').collect();
    let lengths_ok = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if lengths_ok {
        return Ok(());
    }
    Err(refused(
        WHAT,
        value,
        "is not a GUID such as 00000000-0000-0000-0000-000000000000",
    ))
}

/// Checks a resource group name: 1 to 90 letters or digits (any script), `_`, `-`, `.`,
/// `(` and `)`, not ending with `.`.
pub fn validate_resource_group_name(value: &str) -> Result<()> {
    const WHAT: &str = "resource group name";
    check_not_empty(WHAT, value)?;
    check_characters(WHAT, value, |c| {
        c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '(' | ')')
    })?;
    check_length(WHAT, value, MAX_RESOURCE_GROUP_NAME)?;
    if value.ends_with('.') {
        return Err(refused(WHAT, value, "must not end with a period"));
    }
    Ok(())
}

/// Checks a Bastion host name: 1 to 80 ASCII letters, digits, `_`, `-` and `.`, starting
/// with a letter or digit and ending with a letter, digit or `_`.
pub fn validate_bastion_host_name(value: &str) -> Result<()> {
    const WHAT: &str = "Bastion host name";
    check_not_empty(WHAT, value)?;
    check_characters(WHAT, value, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
    })?;
    check_length(WHAT, value, MAX_BASTION_HOST_NAME)?;
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(refused(WHAT, value, "must start with a letter or digit"));
    }
    if !value.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        return Err(refused(
            WHAT,
            value,
            "must end with a letter, digit or underscore",
        ));
    }
    Ok(())
}

fn check_not_empty(what: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::invalid_request(format!("the {what} is empty")));
    }
    Ok(())
}

/// Refuses the first character `allowed` does not accept, naming it.
fn check_characters(what: &str, value: &str, allowed: impl Fn(char) -> bool) -> Result<()> {
    match value.chars().find(|c| !allowed(*c)) {
        Some(c) => Err(refused(
            what,
            value,
            &format!("contains the character {c:?}, which is not allowed in it"),
        )),
        None => Ok(()),
    }
}

fn check_length(what: &str, value: &str, max: usize) -> Result<()> {
    let n = value.chars().count();
    if n > max {
        return Err(refused(
            what,
            value,
            &format!("is {n} characters long; at most {max} are allowed"),
        ));
    }
    Ok(())
}

/// `the <what> '<value>' <why>`, the value escaped and cut short.
fn refused(what: &str, value: &str, why: &str) -> Error {
    Error::invalid_request(format!("the {what} {} {why}", quote(value)))
}

/// The value for a message: quoted, control characters escaped, at most [`QUOTED_CHARS`]
/// characters of it (never echo 100,000 characters back).
pub(crate) fn quote(value: &str) -> String {
    let n = value.chars().count();
    let shown: String = value.chars().take(QUOTED_CHARS).collect();
    if n > QUOTED_CHARS {
        format!("'{}...' ({n} characters)", shown.escape_debug())
    } else {
        format!("'{}'", shown.escape_debug())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn refusal(r: Result<()>) -> String {
        let e = r.expect_err("the value must be refused");
        assert_eq!(e.kind(), ErrorKind::InvalidRequest);
        assert!(e.message().len() < 400, "{}", e.message());
        e.message().to_owned()
    }

    #[test]
    fn subscription_ids() {
        validate_subscription_id("00000000-0000-0000-0000-000000000001").unwrap();
        validate_subscription_id("ABCDEF01-abcd-4bcd-8bcd-0123456789ab").unwrap();
        for bad in [
            "not-a-guid",
            "00000000-0000-0000-0000-00000000001",
            "00000000-0000-0000-0000-0000000000012",
            "000000000000-0000-0000-0000-00000000",
            "{00000000-0000-0000-0000-000000000001}",
            "00000000-0000-0000-0000-000000000001\n",
            " 00000000-0000-0000-0000-000000000001",
            "00000000-0000-0000-0000-000000000001/resourceGroups/x",
            "0000000g-0000-0000-0000-000000000001",
        ] {
            let m = refusal(validate_subscription_id(bad));
            assert!(m.starts_with("the subscription id '"), "{m}");
        }
        assert_eq!(
            refusal(validate_subscription_id("")),
            "the subscription id is empty"
        );
        assert!(refusal(validate_subscription_id("x/y")).contains("'x/y' is not a GUID"));
    }

    #[test]
    fn resource_group_names() {
        for ok in ["rg-0", "RG_(1).x", "rg-ünïcødé-组", &"g".repeat(90)] {
            validate_resource_group_name(ok).unwrap();
        }
        for (bad, says) in [
            ("rg/x", "'/'"),
            ("rg\\x", "'\\\\'"),
            ("%2e%2e", "'%'"),
            ("rg?x", "'?'"),
            ("rg#x", "'#'"),
            ("rg\n0", "'\\n'"),
            ("rg 0", "' '"),
            (" rg", "' '"),
            ("rg.", "must not end with a period"),
            ("..", "must not end with a period"),
            (".", "must not end with a period"),
            (&"g".repeat(91), "91 characters long"),
        ] {
            let m = refusal(validate_resource_group_name(bad));
            assert!(m.contains(says), "{bad:?}: {m}");
            assert!(m.starts_with("the resource group name "), "{m}");
        }
        assert_eq!(
            refusal(validate_resource_group_name("")),
            "the resource group name is empty"
        );
    }

    #[test]
    fn bastion_host_names() {
        for ok in ["bh-0", "a", "B.h_", "0x", &"b".repeat(80)] {
            validate_bastion_host_name(ok).unwrap();
        }
        for (bad, says) in [
            ("bh/../x", "'/'"),
            ("bh\\..\\x", "'\\\\'"),
            ("bh?api-version=1", "'?'"),
            ("bh\t0", "'\\t'"),
            ("bästion", "'ä'"),
            ("..", "must start with a letter or digit"),
            ("-bh", "must start with a letter or digit"),
            ("bh-", "must end with a letter, digit or underscore"),
            ("bh.", "must end with a letter, digit or underscore"),
            (&"b".repeat(81), "81 characters long"),
        ] {
            let m = refusal(validate_bastion_host_name(bad));
            assert!(m.contains(says), "{bad:?}: {m}");
            assert!(m.starts_with("the Bastion host name "), "{m}");
        }
        assert_eq!(
            refusal(validate_bastion_host_name("")),
            "the Bastion host name is empty"
        );
    }

    #[test]
    fn long_values_are_cut_short_in_messages() {
        let long = "b".repeat(100_000);
        let m = refusal(validate_bastion_host_name(&long));
        assert!(m.contains("(100000 characters)"), "{m}");
        let m = refusal(validate_resource_group_name(&format!("{long}/")));
        assert!(m.contains("'/'") && m.len() < 300, "{m}");
    }
}
