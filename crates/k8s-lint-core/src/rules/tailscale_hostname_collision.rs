//! Two Tailscale-exposed objects ask for the same tailnet name, so one of them gets another.
//!
//! Docs: `rules/tailscale-hostname-collision.md`.

use std::collections::{BTreeMap, HashSet};

use crate::finding::{Finding, Severity};
use crate::index::InstId;
use crate::kustomize::KustId;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::scripts::{Command, Effect};

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
    fix: None,
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
        type Identity = (String, Option<String>, String);
        let mut spaces: BTreeMap<(Space, String), (Vec<Claim>, HashSet<Identity>)> =
            BTreeMap::new();
        for (space, claim) in claims(cx) {
            let key = (space, claim.name.name.to_ascii_lowercase());
            let (same, seen) = spaces.entry(key).or_default();
            // The same object deployed by two overlays into one namespace is one device.
            if seen.insert(identity(cx, claim.id)) {
                same.push(claim);
            }
        }
        for ((space, _), (claims, _)) in spaces {
            if claims.len() < 2 {
                continue;
            }
            // Claimants in different clusters compete only if the clusters join one tailnet.
            let mut by_cluster: BTreeMap<Option<String>, Vec<Claim>> = BTreeMap::new();
            let mut locals = BTreeMap::new();
            for c in claims {
                let found = local_cluster(cx, c.id);
                let context = found.as_ref().map(|(context, ..)| context.clone());
                if let Some(found) = found {
                    locals.insert(c.id, found);
                }
                by_cluster.entry(context).or_default().push(c);
            }
            let clusters = by_cluster.len();
            let mut apart = Vec::new();
            for (_, mut same) in by_cluster {
                if same.len() < 2 {
                    apart.extend(same);
                    continue;
                }
                same.sort_by_key(|c| (c.name.span.file, c.name.span.start, c.id));
                out.push(finding(cx, &space, &same));
            }
            apart.sort_by_key(|c| (c.name.span.file, c.name.span.start, c.id));
            let local = apart
                .iter()
                .find_map(|c| Some((c.id, locals.get(&c.id)?)))
                .filter(|_| apart.len() == clusters);
            if let Some((id, (context, apply, made))) = local {
                // One claimant per cluster: they collide only if the clusters join one tailnet.
                out.push(
                    finding(cx, &space, &apart)
                        .severity(Severity::Info)
                        .note(format!(
                            "{} is applied by hand (`{}`) to the local cluster `{context}` that `{}` creates, the others elsewhere: they collide only if both clusters join one tailnet, which the repository does not show",
                            cx.describe(id),
                            apply.shown,
                            made.shown
                        )),
                );
            }
        }
    }
}

/// Claimants shown as related spans of one name's finding; the rest are counted. A thousand
/// objects asking for one name are one problem, not a thousand findings of a thousand spans.
const SHOWN_CLAIMANTS: usize = 10;

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

/// The local cluster a claimant is applied to by hand, when a script or page creates it
/// (`resolve`'s `local_cluster`): its kube context, the apply and the creation. `None`: the
/// repository's cluster.
fn local_cluster<'a>(cx: &Ctx<'a, '_>, id: InstId) -> Option<(String, &'a Command, &'a Command)> {
    let (apply, made) = cx.local_cluster(id)?;
    match &apply.effect {
        Effect::Applies {
            context: Some(context),
            ..
        } => Some((context.clone(), apply, made)),
        _ => None,
    }
}

fn identity(cx: &Ctx<'_, '_>, id: InstId) -> (String, Option<String>, String) {
    (
        cx.object(id).kind().to_string(),
        cx.index.namespace(id).map(String::from),
        cx.index.inst(id).name.to_string(),
    )
}

fn origin(name: &TailnetName) -> &'static str {
    match name.source {
        NameSource::Annotation => "its tailscale.com/hostname annotation",
        NameSource::TlsHost => "the first label of its spec.tls[0].hosts[0]",
        NameSource::Derived => "its namespace and name",
    }
}

/// One finding per contested name, at the second claimant (the first that may lose it), with
/// the first and up to [`SHOWN_CLAIMANTS`] others as related spans.
fn finding(cx: &Ctx<'_, '_>, space: &Space, claims: &[Claim]) -> Finding {
    let (first, later) = (&claims[0], &claims[1]);
    let name = &later.name.name;
    let effect = match space {
        Space::Devices => format!(
            "Tailscale gives the device that registers second the name `{name}-1`, and which one that is is not deterministic (tailscale.com/kb/1098), so `{name}` may reach the wrong proxy"
        ),
        Space::Services(_) => format!(
            "the operator rejects the second ProxyGroup Ingress (\"found duplicate Ingress ... for hostname \\\"{name}\\\" - multiple Ingresses for the same hostname in the same cluster are not allowed\")"
        ),
    };
    let claimants = match claims.len() - 2 {
        0 => format!(
            "{} and {} both ask",
            cx.describe(later.id),
            cx.describe(first.id)
        ),
        n => format!(
            "{}, {} and {n} more object{} ask",
            cx.describe(later.id),
            cx.describe(first.id),
            if n == 1 { "" } else { "s" }
        ),
    };
    let mut f = Finding::new(
        &META,
        later.name.span,
        format!("{claimants} for the tailnet name `{name}`"),
    )
    .note(format!(
        "{} takes the name from {}",
        cx.describe(later.id),
        origin(&later.name)
    ))
    .note(effect)
    .label("tailnet name already taken");
    let shown = std::iter::once(first).chain(claims.iter().skip(2));
    for e in shown.take(SHOWN_CLAIMANTS) {
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
    if claims.len() - 1 > SHOWN_CLAIMANTS {
        f = f.related(
            claims[SHOWN_CLAIMANTS + 1].name.span,
            match claims.len() - 1 - SHOWN_CLAIMANTS {
                1 => format!("… 1 more object asks for `{name}`"),
                n => format!("… {n} more objects ask for `{name}`"),
            },
        );
    }
    f.help("give one of them another name: `tailscale.com/hostname` on a Service, `spec.tls: [{hosts: [<name>]}]` on an Ingress")
}
