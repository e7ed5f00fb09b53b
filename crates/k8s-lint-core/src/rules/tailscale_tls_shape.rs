//! A Tailscale Ingress lists more than one TLS entry or host, but the operator uses only the first host.
//!
//! Docs: `rules/tailscale-tls-shape.md`.

use crate::finding::{Finding, Severity};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::span_at;
use super::tailscale::{tailscale_ingresses, tls_host, TsIngress};

pub struct TailscaleTlsShape;

static META: RuleMeta = RuleMeta {
    id: "tailscale-tls-shape",
    severity: Severity::Warning,
    summary: "A Tailscale Ingress lists more than one TLS entry or host, but the operator uses only the first host.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

impl Rule for TailscaleTlsShape {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for ts in tailscale_ingresses(cx) {
            let Some(tls) = ts.ingress.spec.as_ref().and_then(|s| s.tls.as_ref()) else {
                continue;
            };
            if tls.len() > 1 {
                out.push(finding(cx, &ts, "spec.tls[1]", "a second spec.tls entry"));
            }
            let hosts = tls.first().and_then(|t| t.hosts.as_ref());
            if hosts.is_some_and(|h| h.len() > 1) {
                out.push(finding(
                    cx,
                    &ts,
                    "spec.tls[0].hosts[1]",
                    "a second host in spec.tls[0].hosts",
                ));
            }
        }
    }
}

fn finding(cx: &Ctx<'_, '_>, ts: &TsIngress<'_>, path: &str, what: &str) -> Finding {
    let root = cx.root(ts.id);
    let first = tls_host(ts.ingress).map_or(String::new(), |h| format!(" ({h:?})"));
    let (severity, effect) = if ts.ha {
        (
            Severity::Error,
            "in ProxyGroup mode the operator rejects the Ingress (event InvalidIngressConfiguration: \"only a single TLS entry with a single host is allowed\")".to_string(),
        )
    } else {
        (
            Severity::Warning,
            format!(
                "the Tailscale operator uses only spec.tls[0].hosts[0]{first} and ignores the rest"
            ),
        )
    };
    Finding::new(
        &META,
        span_at(root, path),
        format!("{} has {what}", cx.describe(ts.id)),
    )
    .note(effect)
    .severity(severity)
    .label("not used by the Tailscale operator")
    .help("keep a single spec.tls entry with a single host: its first DNS label is the Ingress's tailnet name, and the certificate is always the MagicDNS one")
}
