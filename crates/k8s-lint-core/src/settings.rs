//! What rules may need to know about the deploy target beyond the manifests themselves.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::finding::Severity;

/// A Kubernetes minor version, e.g. `1.26`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubeVersion {
    pub const fn new(major: u32, minor: u32) -> KubeVersion {
        KubeVersion { major, minor }
    }
}

impl FromStr for KubeVersion {
    type Err = String;

    /// `1.26`, `v1.26` or `1.26.3` (the patch is ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().trim_start_matches('v');
        let mut parts = t.split('.');
        let num = |p: Option<&str>| p.and_then(|p| p.parse::<u32>().ok());
        match (num(parts.next()), num(parts.next())) {
            (Some(major), Some(minor)) if parts.next().is_none_or(|p| p.parse::<u32>().is_ok()) => {
                Ok(KubeVersion { major, minor })
            }
            _ => Err(format!("`{s}` is not a Kubernetes version like `1.26`")),
        }
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// How a rule is configured: off, or on at a severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleLevel {
    Off,
    On(Severity),
}

impl FromStr for RuleLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "off" => Ok(RuleLevel::Off),
            "info" => Ok(RuleLevel::On(Severity::Info)),
            "warning" => Ok(RuleLevel::On(Severity::Warning)),
            "error" => Ok(RuleLevel::On(Severity::Error)),
            other => Err(format!(
                "`{other}` is not a level: use off, info, warning or error"
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// The oldest Kubernetes version the manifests must work on, when known.
    pub kubernetes_version: Option<KubeVersion>,
    /// The IngressClass name the Tailscale operator watches.
    pub tailscale_ingress_class: String,
    /// Report the endpoint each Tailscale-exposed object really serves.
    pub explain_endpoints: bool,
    /// Per-rule overrides: off, or a severity that replaces the rule's own.
    pub rule_levels: BTreeMap<String, RuleLevel>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            kubernetes_version: None,
            tailscale_ingress_class: "tailscale".into(),
            explain_endpoints: false,
            rule_levels: BTreeMap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse() {
        assert_eq!("1.26".parse(), Ok(KubeVersion::new(1, 26)));
        assert_eq!("v1.27.3".parse(), Ok(KubeVersion::new(1, 27)));
        assert!("1".parse::<KubeVersion>().is_err());
        assert!("1.x".parse::<KubeVersion>().is_err());
        assert!(KubeVersion::new(1, 26) < KubeVersion::new(1, 27));
    }
}
