//! Azure clouds: the ARM endpoint, the token audience and the Entra ID authority of each.

use serde::{Deserialize, Serialize};
use url::Url;

use crate::error::{Error, Result};

/// A sovereign Azure cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum AzureEnvironment {
    /// Azure public cloud.
    #[default]
    AzureCloud,
    /// Azure Government (US).
    AzureUSGovernment,
    /// Azure operated by 21Vianet (China).
    AzureChinaCloud,
}

impl AzureEnvironment {
    /// Every built-in cloud, in the contract's order. The module's cloud table is generated
    /// from this one (`ffi/tests/contracts_drift.rs`), so it is never typed twice.
    pub const ALL: [AzureEnvironment; 3] = [
        AzureEnvironment::AzureCloud,
        AzureEnvironment::AzureUSGovernment,
        AzureEnvironment::AzureChinaCloud,
    ];

    /// The other names [`FromStr`](std::str::FromStr) accepts for this cloud (in any
    /// case), besides [`as_str`](Self::as_str): the names other Azure tools use.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            AzureEnvironment::AzureCloud => &["AzurePublicCloud", "Public"],
            AzureEnvironment::AzureUSGovernment => &["AzureGovernment", "UsGov"],
            AzureEnvironment::AzureChinaCloud => &["AzureChina", "China"],
        }
    }

    /// The ARM endpoint, e.g. `https://management.azure.com/`.
    pub fn arm_endpoint(self) -> Url {
        let s = match self {
            AzureEnvironment::AzureCloud => "https://management.azure.com/",
            AzureEnvironment::AzureUSGovernment => "https://management.usgovcloudapi.net/",
            AzureEnvironment::AzureChinaCloud => "https://management.chinacloudapi.cn/",
        };
        Url::parse(s).expect("static URL is valid")
    }

    /// The token audience (v1 `resource`) for ARM, without a trailing slash.
    pub fn audience(self) -> &'static str {
        match self {
            AzureEnvironment::AzureCloud => "https://management.azure.com",
            AzureEnvironment::AzureUSGovernment => "https://management.usgovcloudapi.net",
            AzureEnvironment::AzureChinaCloud => "https://management.chinacloudapi.cn",
        }
    }

    /// The OAuth scope for ARM (`{audience}/.default`).
    pub fn scope(self) -> String {
        format!("{}/.default", self.audience())
    }

    /// The Entra ID authority host, e.g. `https://login.microsoftonline.com`.
    pub fn authority_host(self) -> &'static str {
        match self {
            AzureEnvironment::AzureCloud => "https://login.microsoftonline.com",
            AzureEnvironment::AzureUSGovernment => "https://login.microsoftonline.us",
            AzureEnvironment::AzureChinaCloud => "https://login.chinacloudapi.cn",
        }
    }

    /// The name used by Az PowerShell and the contract (`AzureCloud`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            AzureEnvironment::AzureCloud => "AzureCloud",
            AzureEnvironment::AzureUSGovernment => "AzureUSGovernment",
            AzureEnvironment::AzureChinaCloud => "AzureChinaCloud",
        }
    }
}

impl std::str::FromStr for AzureEnvironment {
    type Err = Error;

    /// A canonical name or one of its [`aliases`](AzureEnvironment::aliases), in any case,
    /// around blanks.
    fn from_str(s: &str) -> Result<Self> {
        let name = s.trim();
        AzureEnvironment::ALL
            .into_iter()
            .find(|e| {
                e.as_str().eq_ignore_ascii_case(name)
                    || e.aliases().iter().any(|a| a.eq_ignore_ascii_case(name))
            })
            .ok_or_else(|| {
                Error::invalid_request(format!(
                    "unknown environment '{s}'; use AzureCloud, AzureUSGovernment or AzureChinaCloud"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_scopes() {
        assert_eq!(
            AzureEnvironment::AzureCloud.scope(),
            "https://management.azure.com/.default"
        );
        assert_eq!(
            AzureEnvironment::AzureUSGovernment.arm_endpoint().as_str(),
            "https://management.usgovcloudapi.net/"
        );
        assert_eq!(
            "azurechinacloud".parse::<AzureEnvironment>().unwrap(),
            AzureEnvironment::AzureChinaCloud
        );
        assert!("mars".parse::<AzureEnvironment>().is_err());
        for (alias, cloud) in [
            (" azurepubliccloud ", AzureEnvironment::AzureCloud),
            ("PUBLIC", AzureEnvironment::AzureCloud),
            ("AzureGovernment", AzureEnvironment::AzureUSGovernment),
            ("usgov", AzureEnvironment::AzureUSGovernment),
            ("azurechina", AzureEnvironment::AzureChinaCloud),
            ("China", AzureEnvironment::AzureChinaCloud),
        ] {
            assert_eq!(alias.parse::<AzureEnvironment>().unwrap(), cloud);
        }
        for cloud in AzureEnvironment::ALL {
            assert_eq!(cloud.as_str().parse::<AzureEnvironment>().unwrap(), cloud);
        }
    }
}
