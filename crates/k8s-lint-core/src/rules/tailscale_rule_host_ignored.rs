//! A Tailscale Ingress rule has a `host` the operator ignores, so the rule's paths are dropped.
//!
//! Docs: `rules/tailscale-rule-host-ignored.md`.

use crate::finding::{Finding, Severity};
use crate::fix::{self, Applicability, Edit, Fix};
use crate::kustomize::Target;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::span_at;
use super::tailscale::{
    anything_left, exposed_backends, host_fix_help, ingress_name, rule_ignored,
    tailscale_ingresses, tls_host, TsIngress,
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
    // Option (1) of the help, then (2) where a Service already exposes the backend; a new
    // name (the tls route) is a human's to choose. Unsafe: the Ingress is then served under
    // another name, or not at all.
    let rule = root
        .at(&format!("spec.rules[{i}]"))
        .filter(|_| cx.as_written(ts.id));
    let removal = rule
        .zip(rule.and_then(|r| r.entry("host")))
        .and_then(|(rule, host)| {
            let file = host.key_span().file;
            fix::yaml::remove_entry_at(file, &cx.file(file).text, rule, host.key_span())
        });
    let f = f.help(host_fix_help(cx, ts)).fix(removal.map(|edit| {
        Fix::unsafe_(
            format!("remove `host` from spec.rules[{i}], so the rule applies"),
            vec![edit],
        )
    }));
    let Some((service, _)) = exposed_backends(cx, ts).into_iter().next() else {
        return f;
    };
    let title = format!(
        "delete this Ingress and keep using {}, which is already exposed",
        cx.describe(service)
    );
    f.fix(delete_ingress(cx, ts.id).map(|edits| Fix::unsafe_(title, edits)))
}

/// Edits that delete the Ingress: its document, and when that empties the file, the
/// kustomization entries that list the file.
fn delete_ingress(cx: &Ctx<'_, '_>, id: crate::index::InstId) -> Option<Vec<Edit>> {
    let object = cx.object(id);
    if object.item.is_some() || !cx.as_written(id) {
        return None;
    }
    let file = object.file;
    let text = &cx.file(file).text;
    let mut edits = vec![fix::yaml::remove_document(file, text, object.doc as usize)?];
    if cx.parsed[file.0 as usize].docs.len() == 1 {
        for k in &cx.model.kusts {
            for e in k.entries.iter().filter(|e| e.target == Target::File(file)) {
                let list = k.root(cx.parsed)?.get(e.role.field())?;
                let index = list.as_seq()?.iter().position(|i| i.span == e.span)?;
                edits.push(fix::yaml::remove_item(
                    k.file,
                    &cx.file(k.file).text,
                    list,
                    index,
                )?);
            }
        }
    }
    Some(edits)
}
