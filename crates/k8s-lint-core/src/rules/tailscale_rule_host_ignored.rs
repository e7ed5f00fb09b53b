//! A Tailscale Ingress rule has a `host` the operator ignores, so the rule's paths are dropped.
//!
//! Docs: `rules/tailscale-rule-host-ignored.md`.

use crate::finding::{Finding, Severity};
use crate::fix::{self, Applicability, Fix};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::span_at;
use super::tailscale::{
    anything_left, host_fix_help, ingress_name, rule_ignored, tailscale_ingresses, tls_host,
    TsIngress,
};

pub struct TailscaleRuleHostIgnored;

static META: RuleMeta = RuleMeta {
    id: "tailscale-rule-host-ignored",
    severity: Severity::Error,
    summary:
        "A Tailscale Ingress rule has a `host` the operator ignores, so the rule's paths are dropped.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: Some(Applicability::Unsafe),
};

impl Rule for TailscaleRuleHostIgnored {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for ts in tailscale_ingresses(cx) {
            let Some(spec) = &ts.ingress.spec else {
                continue;
            };
            let name = ingress_name(cx, ts.id, ts.ingress).map(|n| n.name);
            // An error when nothing is left to serve, else only these paths are lost.
            let severity = if anything_left(&ts, name.as_deref()) {
                Severity::Warning
            } else {
                Severity::Error
            };
            for (i, rule) in spec.rules.iter().flatten().enumerate() {
                let host = rule.host.as_deref().unwrap_or("");
                if rule_ignored(&ts, host, name.as_deref()) {
                    let f = finding(cx, &ts, i, host, name.as_deref()).severity(severity);
                    out.push(f);
                }
            }
        }
    }
}

fn finding(
    cx: &Ctx<'_, '_>,
    ts: &TsIngress<'_>,
    i: usize,
    host: &str,
    name: Option<&str>,
) -> Finding {
    let root = cx.root(ts.id);
    let wanted = if ts.ha {
        let fqdn = name.map_or("<name>.<tailnet>.ts.net".into(), |n| {
            format!("{n}.<tailnet>.ts.net")
        });
        format!("neither empty nor the Ingress's full MagicDNS name {fqdn} (ProxyGroup mode)")
    } else {
        match tls_host(ts.ingress) {
            Some(tls) => format!("neither empty nor equal to spec.tls[0].hosts[0] ({tls:?})"),
            None => "neither empty nor equal to spec.tls[0].hosts[0] (no spec.tls is set)".into(),
        }
    };
    let mut f = Finding::new(
        &META,
        span_at(root, &format!("spec.rules[{i}].host")),
        format!(
            "{}: the Tailscale operator ignores spec.rules[{i}] for its host {host:?}",
            cx.describe(ts.id)
        ),
    )
    .note(format!(
        "the host is {wanted}, so the rule's paths are dropped"
    ))
    .label("ignored by the Tailscale operator");
    if tls_host(ts.ingress).is_some() && !ts.ha {
        f = f.related(
            span_at(root, "spec.tls[0].hosts[0]"),
            "the only host the operator serves",
        );
    }
    // Option (1) of the help; the others need a name only a human can choose. Unsafe: the
    // Ingress is then served under another name.
    let rule = root
        .at(&format!("spec.rules[{i}]"))
        .filter(|_| cx.as_written(ts.id));
    let removal = rule
        .zip(rule.and_then(|r| r.entry("host")))
        .and_then(|(rule, host)| {
            let file = host.key.span.file;
            fix::yaml::remove_entry_at(file, &cx.file(file).text, rule, host.key.span)
        });
    f.help(host_fix_help(cx, ts)).fix(removal.map(|edit| {
        Fix::unsafe_(
            format!("remove `host` from spec.rules[{i}], so the rule applies"),
            vec![edit],
        )
    }))
}
