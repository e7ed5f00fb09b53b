//! Two Tailscale-exposed objects ask for the same tailnet name, so one of them gets another.
//!
//! Docs: `rules/tailscale-hostname-collision.md`.

use std::collections::BTreeMap;

use crate::finding::{Finding, Severity};
use crate::index::InstId;
use crate::kustomize::KustId;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

use super::tailscale::{
    exposed_service, ingress_name, label_problem, service_name, tailscale_ingresses,
    usable_backends, NameSource, TailnetName,
};

pub struct TailscaleHostnameCollision;

static META: RuleMeta = RuleMeta {
    id: "tailscale-hostname-collision",
    severity: Severity::Error,
    summary:
        "Two Tailscale-exposed objects ask for the same tailnet name, so one of them gets another.",
    default_enabled: true,
    scope: Scope::Repository,
};

/// An object that asks the tailnet for a name.
struct Claim {
    id: InstId,
    name: TailnetName,
}

/// Where names compete: standalone proxies are tailnet devices; ProxyGroup Ingresses are
/// Tailscale Services, unique per cluster, so they only compete within one build.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Space {
    Devices,
    Services(KustId),
}

impl Rule for TailscaleHostnameCollision {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        let mut spaces: BTreeMap<(Space, String), Vec<Claim>> = BTreeMap::new();
        for (space, claim) in claims(cx) {
            let key = (space, claim.name.name.to_ascii_lowercase());
            let same = spaces.entry(key).or_default();
            // The same object deployed by two overlays into one namespace is one device.
            if !same
                .iter()
                .any(|c| identity(cx, c.id) == identity(cx, claim.id))
            {
                same.push(claim);
            }
        }
        for ((space, _), mut claims) in spaces {
            claims.sort_by_key(|c| (c.name.span.file, c.name.span.start, c.id));
            for (n, later) in claims.iter().enumerate().skip(1) {
                out.push(finding(cx, &space, later, &claims[..n]));
            }
        }
    }
}

fn claims(cx: &Ctx<'_, '_>) -> Vec<(Space, Claim)> {
    let mut out = Vec::new();
    for ts in tailscale_ingresses(cx) {
        let space = match (ts.ha, cx.index.inst(ts.id).build) {
            (false, _) => Space::Devices,
            (true, Some(build)) => Space::Services(build),
            (true, None) => continue,
        };
        // A standalone Ingress without a valid backend gets no proxy, hence no name.
        if !ts.ha {
            let usable = usable_backends(cx, &ts);
            if !usable.valid && !usable.unknown {
                continue;
            }
        }
        if let Some(name) = ingress_name(cx, ts.id, ts.ingress) {
            out.push((space, Claim { id: ts.id, name }));
        }
    }
    for id in cx.index.ids() {
        if exposed_service(cx, id).is_none() {
            continue;
        }
        if let Some(name) = service_name(cx, id) {
            out.push((Space::Devices, Claim { id, name }));
        }
    }
    // An invalid name gets no proxy (`tailscale-hostname-invalid` reports it).
    out.retain(|(_, c)| label_problem(&c.name.name).is_none());
    out
}

fn identity(cx: &Ctx<'_, '_>, id: InstId) -> (String, Option<String>, String) {
    (
        cx.object(id).kind.clone(),
        cx.index.namespace(id).map(String::from),
        cx.index.inst(id).name.clone(),
    )
}

fn origin(name: &TailnetName) -> &'static str {
    match name.source {
        NameSource::Annotation => "its tailscale.com/hostname annotation",
        NameSource::TlsHost => "the first label of its spec.tls[0].hosts[0]",
        NameSource::Derived => "its namespace and name",
    }
}

fn finding(cx: &Ctx<'_, '_>, space: &Space, later: &Claim, earlier: &[Claim]) -> Finding {
    let name = &later.name.name;
    let first = &earlier[0];
    let effect = match space {
        Space::Devices => format!(
            "Tailscale gives the device that registers second the name `{name}-1`, and which one that is is not deterministic (tailscale.com/kb/1098), so `{name}` may reach the wrong proxy"
        ),
        Space::Services(_) => format!(
            "the operator rejects the second ProxyGroup Ingress (\"found duplicate Ingress ... for hostname \\\"{name}\\\" - multiple Ingresses for the same hostname in the same cluster are not allowed\")"
        ),
    };
    let mut f = Finding::new(
        &META,
        later.name.span,
        format!(
            "{} asks for the tailnet name `{name}` (from {}), which {} also asks for: {effect}",
            cx.describe(later.id),
            origin(&later.name),
            cx.describe(first.id)
        ),
    )
    .label("tailnet name already taken");
    for e in earlier {
        f = f.related(
            e.name.span,
            format!(
                "{} asks for `{}` (from {})",
                cx.describe(e.id),
                e.name.name,
                origin(&e.name)
            ),
        );
    }
    f.help("give one of them another name: `tailscale.com/hostname` on a Service, `spec.tls: [{hosts: [<name>]}]` on an Ingress")
}
