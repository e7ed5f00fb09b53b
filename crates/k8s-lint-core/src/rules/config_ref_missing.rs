//! A pod template needs a ConfigMap or Secret that nothing in the repository makes.
//!
//! Docs: `rules/config-ref-missing.md`.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{Container, PodSpec};

use crate::finding::{Finding, Severity};
use crate::index::{InstId, View};
use crate::rule::{Ctx, Rule, RuleMeta};
use crate::yaml::{Node, Value};

use super::span_at;

pub struct ConfigRefMissing;

static META: RuleMeta = RuleMeta {
    id: "config-ref-missing",
    severity: Severity::Warning,
    summary: "A pod template needs a ConfigMap or Secret that nothing in the repository makes.",
    default_enabled: true,
};

/// A required reference from a pod template, and where its name is written.
struct Ref {
    kind: &'static str,
    name: String,
    path: String,
    /// `envFrom`, `env`, `volume`: how the pod uses it, for the message.
    usage: &'static str,
}

impl Rule for ConfigRefMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        let generated = generator_names(cx);
        let makers = custom_resources(cx);
        for (id, template, path) in cx.index.templates() {
            let Some(spec) = template.spec.as_ref() else {
                continue;
            };
            if cx.index.inst(id).opaque || cx.index.may_have_unseen(id) {
                continue;
            }
            for r in refs(spec, path) {
                if !is_made(cx, id, &r, &generated, &makers) {
                    out.push(finding(cx, id, &r));
                }
            }
        }
    }
}

fn finding(cx: &Ctx<'_, '_>, id: InstId, r: &Ref) -> Finding {
    let ns = cx.index.namespace(id);
    let where_ = ns.map_or(String::new(), |n| format!(" in namespace `{n}`"));
    let lower = r.kind.to_ascii_lowercase();
    let name = &r.name;
    let effect = match r.usage {
        "volume" => format!(
            "the pod stays in ContainerCreating with `MountVolume.SetUp failed for volume ...: {lower} \"{name}\" not found`"
        ),
        _ => format!(
            "the container does not start: `CreateContainerConfigError` with `Error: {lower} \"{name}\" not found`"
        ),
    };
    let makers = if r.kind == "Secret" {
        "a Secret manifest, a `secretGenerator`, a SealedSecret or an ExternalSecret"
    } else {
        "a ConfigMap manifest or a `configMapGenerator`"
    };
    Finding::new(
        &META,
        span_at(cx.root(id), &r.path),
        format!(
            "{} needs {} `{name}` ({}), which nothing in the repository makes{where_}: {effect}",
            cx.describe(id),
            r.kind,
            r.usage
        ),
    )
    .label(format!("no such {}", r.kind))
    .help(format!(
        "add {makers} named `{name}`{where_}, fix the name, mark the reference `optional: true` if the pod can run without it, or declare it external in the k8s-lint settings if it is created outside the repository"
    ))
}

/// Every required ConfigMap and Secret reference of a pod spec.
fn refs(spec: &PodSpec, template_path: &str) -> Vec<Ref> {
    let prefix = if template_path.is_empty() {
        "spec".to_string()
    } else {
        format!("{template_path}.spec")
    };
    let mut out = Vec::new();
    let mut add = |kind, name: &str, optional: Option<bool>, path: String, usage| {
        if optional != Some(true) && !name.is_empty() {
            out.push(Ref {
                kind,
                name: name.to_string(),
                path,
                usage,
            });
        }
    };
    let containers = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| (c, format!("{prefix}.containers[{i}]")))
        .chain(
            spec.init_containers
                .iter()
                .flatten()
                .enumerate()
                .map(|(i, c)| (c, format!("{prefix}.initContainers[{i}]"))),
        );
    for (c, cpath) in containers {
        container_refs(c, &cpath, &mut add);
    }
    volume_refs(spec, &prefix, &mut add);
    out
}

fn volume_refs(
    spec: &PodSpec,
    prefix: &str,
    add: &mut impl FnMut(&'static str, &str, Option<bool>, String, &'static str),
) {
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        let vpath = format!("{prefix}.volumes[{i}]");
        if let Some(cm) = &v.config_map {
            add(
                "ConfigMap",
                &cm.name,
                cm.optional,
                format!("{vpath}.configMap.name"),
                "volume",
            );
        }
        if let Some(s) = &v.secret {
            let name = s.secret_name.as_deref().unwrap_or_default();
            add(
                "Secret",
                name,
                s.optional,
                format!("{vpath}.secret.secretName"),
                "volume",
            );
        }
        let sources = v.projected.iter().flat_map(|p| p.sources.iter().flatten());
        for (j, src) in sources.enumerate() {
            let spath = format!("{vpath}.projected.sources[{j}]");
            if let Some(cm) = &src.config_map {
                add(
                    "ConfigMap",
                    &cm.name,
                    cm.optional,
                    format!("{spath}.configMap.name"),
                    "volume",
                );
            }
            if let Some(s) = &src.secret {
                add(
                    "Secret",
                    &s.name,
                    s.optional,
                    format!("{spath}.secret.name"),
                    "volume",
                );
            }
        }
    }
}

fn container_refs(
    c: &Container,
    cpath: &str,
    add: &mut impl FnMut(&'static str, &str, Option<bool>, String, &'static str),
) {
    for (j, from) in c.env_from.iter().flatten().enumerate() {
        if let Some(cm) = &from.config_map_ref {
            add(
                "ConfigMap",
                &cm.name,
                cm.optional,
                format!("{cpath}.envFrom[{j}].configMapRef.name"),
                "envFrom",
            );
        }
        if let Some(s) = &from.secret_ref {
            add(
                "Secret",
                &s.name,
                s.optional,
                format!("{cpath}.envFrom[{j}].secretRef.name"),
                "envFrom",
            );
        }
    }
    for (j, env) in c.env.iter().flatten().enumerate() {
        let Some(from) = &env.value_from else {
            continue;
        };
        let at = format!("{cpath}.env[{j}].valueFrom");
        if let Some(cm) = &from.config_map_key_ref {
            add(
                "ConfigMap",
                &cm.name,
                cm.optional,
                format!("{at}.configMapKeyRef.name"),
                "env",
            );
        }
        if let Some(s) = &from.secret_key_ref {
            add(
                "Secret",
                &s.name,
                s.optional,
                format!("{at}.secretKeyRef.name"),
                "env",
            );
        }
    }
}

/// `(kind, name)` of every kustomize generator in the repository. kustomize rewrites a
/// reference to the generator's name into the hashed, prefixed name it makes, so the base
/// name is what pod templates use.
fn generator_names(cx: &Ctx<'_, '_>) -> HashSet<(&'static str, String)> {
    let mut out = HashSet::new();
    for k in &cx.model.kusts {
        let Some(root) = k.root(cx.parsed) else {
            continue;
        };
        for (field, kind) in [
            ("configMapGenerator", "ConfigMap"),
            ("secretGenerator", "Secret"),
        ] {
            for g in root.get(field).and_then(Node::as_seq).unwrap_or(&[]) {
                if let Some(name) = g.get("name").and_then(Node::as_str) {
                    out.insert((kind, name.to_string()));
                }
            }
        }
    }
    out
}

/// Whether something the repository defines or declares makes the referenced object, or
/// might: when in doubt, it does.
fn is_made(
    cx: &Ctx<'_, '_>,
    id: InstId,
    r: &Ref,
    generated: &HashSet<(&str, String)>,
    makers: &[InstId],
) -> bool {
    let name = r.name.as_str();
    let ns = cx.index.namespace(id);
    // Every namespace gets this ConfigMap from the cluster itself.
    (r.kind == "ConfigMap" && name == "kube-root-ca.crt")
        || !cx.index.resolve(id, "", r.kind, name).is_empty()
        || generated.contains(&(r.kind, name.to_string()))
        || cx.settings.is_external(r.kind, ns, name)
        || (r.kind == "Secret"
            && (secret_made(cx, id, name) || !manages_secrets(cx, id, generated)))
        || custom_resource_makes(cx, id, name, makers)
        || cx.broken_file_mentions(&[name])
}

/// A SealedSecret or ExternalSecret of the namespace that unseals or syncs into `name`.
fn secret_made(cx: &Ctx<'_, '_>, id: InstId, name: &str) -> bool {
    let near = |group: &str, kind: &str| -> Vec<InstId> {
        cx.index
            .of_kind(group, kind)
            .iter()
            .copied()
            .filter(|&s| cx.index.same_namespace(id, s))
            .collect()
    };
    let str_at =
        |s: InstId, path: &str| cx.root(s).at(path).and_then(Node::as_str).map(String::from);
    !cx.index
        .resolve(id, "bitnami.com", "SealedSecret", name)
        .is_empty()
        || near("bitnami.com", "SealedSecret")
            .into_iter()
            .any(|s| str_at(s, "spec.template.metadata.name").as_deref() == Some(name))
        || near("external-secrets.io", "ExternalSecret")
            .into_iter()
            .any(
                |s| match str_at(s, "spec.target.name").filter(|t| !t.is_empty()) {
                    Some(target) => target == name,
                    None => cx.index.inst(s).name == name,
                },
            )
}

/// Whether the repository manages any Secret of the namespace (or generates any). Where it
/// manages none, the Secrets are deliberately kept out of Git and created some other way.
fn manages_secrets(cx: &Ctx<'_, '_>, id: InstId, generated: &HashSet<(&str, String)>) -> bool {
    generated.iter().any(|(kind, _)| *kind == "Secret")
        || [
            ("", "Secret"),
            ("bitnami.com", "SealedSecret"),
            ("external-secrets.io", "ExternalSecret"),
        ]
        .iter()
        .flat_map(|(g, k)| cx.index.of_kind(g, k))
        .any(|&s| cx.index.same_namespace(id, s))
}

/// Custom resources that may make Secrets and ConfigMaps, found once per run. Kinds that run
/// pods (Argo Rollouts) consume references rather than make objects.
fn custom_resources(cx: &Ctx<'_, '_>) -> Vec<InstId> {
    cx.index
        .ids()
        .filter(|&c| {
            let group = cx.object(c).group();
            let runs_pods = matches!(
                cx.index.view(c),
                View::Workload { .. } | View::OpaqueTemplate
            );
            group.contains('.') && !group.ends_with(".k8s.io") && !runs_pods
        })
        .collect()
}

/// Operators make Secrets and ConfigMaps for their custom resources, named in the resource's
/// `spec` (cert-manager's `secretName`, Crossplane's connection secret, Vault and 1Password
/// syncs) or after the resource itself (`<name>`, `<name>-app`, `<name>.credentials`).
fn custom_resource_makes(cx: &Ctx<'_, '_>, id: InstId, name: &str, makers: &[InstId]) -> bool {
    makers.iter().copied().any(|c| {
        if !cx.index.same_namespace(id, c) {
            return false;
        }
        let own = &cx.index.inst(c).name;
        let derived = name
            .strip_prefix(own.as_str())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.']));
        derived || cx.root(c).get("spec").is_some_and(|s| mentions(s, name))
    })
}

fn mentions(node: &Node<'_>, name: &str) -> bool {
    match &node.value {
        Value::Scalar(_) => node.as_str() == Some(name),
        Value::Seq(items) => items.iter().any(|i| mentions(i, name)),
        Value::Map(entries) => entries.iter().any(|e| mentions(&e.value, name)),
    }
}
