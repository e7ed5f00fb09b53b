//! The tailnet name of a Tailscale-exposed Service or Ingress is not a valid DNS label.
//!
//! Docs: `rules/tailscale-hostname-invalid.md`.

use crate::finding::{Finding, Severity};
use crate::placeholder::is_placeholder;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::tailscale::{
    exposed_service, ingress_name, label_problem, service_name, tailscale_ingresses, NameSource,
    TailnetName, HOSTNAME,
};

pub struct TailscaleHostnameInvalid;

static META: RuleMeta = RuleMeta {
    id: "tailscale-hostname-invalid",
    severity: Severity::Error,
    summary: "The tailnet name of a Tailscale-exposed Service or Ingress is not a valid DNS label.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

impl Rule for TailscaleHostnameInvalid {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for id in cx.index.ids() {
            if exposed_service(cx, id).is_none() {
                continue;
            }
            let Some(name) = service_name(cx, id) else {
                continue;
            };
            let Some(problem) = label_problem(&name.name).filter(|_| !is_placeholder(&name.name))
            else {
                continue;
            };
            // The operator's own words (svc.go `validateService`).
            let quoted = if name.source == NameSource::Annotation {
                format!(
                    "invalid Tailscale hostname specified {:?}: {problem}",
                    name.name
                )
            } else {
                format!(
                    "invalid Tailscale hostname {:?}, use {HOSTNAME:?} annotation to override: {problem}",
                    name.name
                )
            };
            out.push(
                Finding::new(
                    &META,
                    name.span,
                    format!(
                        "{} would get the tailnet name `{}`, which is not a valid DNS label",
                        cx.describe(id),
                        name.name
                    ),
                )
                .note(format!(
                    "the operator records event INVALIDSERVICE (\"{quoted}\") and provisions no proxy"
                ))
                .label("not a valid tailnet name")
                .help(help(&name)),
            );
        }
        for ts in tailscale_ingresses(cx) {
            let Some(name) = ingress_name(cx, ts.id, ts.ingress) else {
                continue;
            };
            let Some(problem) = label_problem(&name.name).filter(|_| !is_placeholder(&name.name))
            else {
                continue;
            };
            let (severity, effect) = if ts.ha {
                (
                    Severity::Error,
                    format!(
                        "the operator rejects it (event InvalidIngressConfiguration: \"invalid hostname {:?}: {problem}. Ensure that the hostname is a valid DNS label\")",
                        name.name
                    ),
                )
            } else {
                (
                    Severity::Warning,
                    format!("{problem}, so the proxy cannot register under that MagicDNS name"),
                )
            };
            out.push(
                Finding::new(
                    &META,
                    name.span,
                    format!(
                        "{} would get the tailnet name `{}`, which is not a valid DNS label",
                        cx.describe(ts.id),
                        name.name
                    ),
                )
                .note(effect)
                .severity(severity)
                .label("not a valid tailnet name")
                .help(help(&name)),
            );
        }
    }
}

fn help(name: &TailnetName) -> String {
    let rule = "one DNS label of at most 63 characters: letters, digits and inner `-`";
    match name.source {
        NameSource::Annotation => format!("set `{HOSTNAME}` to {rule}"),
        NameSource::TlsHost => format!("make the first label of spec.tls[0].hosts[0] {rule}"),
        NameSource::Derived => format!(
            "choose the name: `{HOSTNAME}` on a Service, `spec.tls: [{{hosts: [<name>]}}]` on an Ingress, {rule}"
        ),
    }
}
