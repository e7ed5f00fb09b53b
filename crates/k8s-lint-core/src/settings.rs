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
    /// Per-rule overrides: off, or a severity that replaces the rule's own.
    pub rule_levels: BTreeMap<String, RuleLevel>,
    /// Objects that exist outside the repository (Helm releases, operators, other repos).
    pub external: Vec<External>,
    /// Label sets whose pods exist outside the repository (e.g. made by an operator).
    pub external_selectors: Vec<ExternalSelector>,
}

impl Settings {
    /// Whether an object the repository does not define is declared to exist elsewhere.
    pub fn is_external(&self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        self.external
            .iter()
            .any(|e| e.matches(kind, namespace, name))
    }

    /// Whether pods matching `selector` are declared to exist outside the repository.
    pub fn selects_external_pods(&self, selector: &BTreeMap<String, String>) -> bool {
        self.external_selectors.iter().any(|e| e.matches(selector))
    }
}

/// `{kind, namespace, name}` with `*`/`?` globs; an absent field matches anything.
#[derive(Clone, Debug)]
pub struct External {
    pub kind: Option<String>,
    pub namespace: Option<globset::GlobMatcher>,
    pub name: Option<globset::GlobMatcher>,
}

impl External {
    pub fn new(
        kind: Option<&str>,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<Self, String> {
        Ok(External {
            kind: kind.map(String::from),
            namespace: namespace.map(glob).transpose()?,
            name: name.map(glob).transpose()?,
        })
    }

    pub fn matches(&self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        self.kind.as_deref().is_none_or(|k| k == kind)
            // An object whose namespace is unknown may land in the declared one.
            && self.namespace.as_ref().is_none_or(|g| namespace.is_none_or(|n| g.is_match(n)))
            && self.name.as_ref().is_none_or(|g| g.is_match(name))
    }
}

/// Labels that mark pods living outside the repository: every listed key must be in the
/// selector, with the listed value when one is given.
#[derive(Clone, Debug, Default)]
pub struct ExternalSelector {
    pub labels: BTreeMap<String, Option<String>>,
}

impl ExternalSelector {
    pub fn matches(&self, selector: &BTreeMap<String, String>) -> bool {
        !self.labels.is_empty()
            && self.labels.iter().all(|(k, v)| {
                selector
                    .get(k)
                    .is_some_and(|have| v.as_ref().is_none_or(|want| want == have))
            })
    }
}

fn glob(pattern: &str) -> Result<globset::GlobMatcher, String> {
    globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad glob `{pattern}`: {e}"))
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            kubernetes_version: None,
            tailscale_ingress_class: "tailscale".into(),
            rule_levels: BTreeMap::new(),
            external: Vec::new(),
            external_selectors: Vec::new(),
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

    #[test]
    fn externals_match_with_globs() {
        let e = External::new(Some("Service"), Some("media"), Some("immich-*")).unwrap();
        assert!(e.matches("Service", Some("media"), "immich-server"));
        assert!(e.matches("Service", None, "immich-server"));
        assert!(!e.matches("Service", Some("other"), "immich-server"));
        assert!(!e.matches("ConfigMap", Some("media"), "immich-server"));
        assert!(External::new(None, None, Some("[")).is_err());
        let s = ExternalSelector {
            labels: BTreeMap::from([("cnpg.io/cluster".to_string(), None)]),
        };
        let sel = |k: &str| BTreeMap::from([(k.to_string(), "db".to_string())]);
        assert!(s.matches(&sel("cnpg.io/cluster")));
        assert!(!s.matches(&sel("app")));
    }
}
