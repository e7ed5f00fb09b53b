//! A pod template needs a ConfigMap or Secret that nothing in the repository makes.
//!
//! Docs: `rules/config-ref-missing.md`.

use crate::hash::HashMap;

use crate::pod::{Container, PodSpec};

use crate::finding::{Finding, Severity};
use crate::index::InstId;
use crate::resolve::Resolution;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::source::Span;

use super::span_at;

pub struct ConfigRefMissing;

static META: RuleMeta = RuleMeta {
    id: "config-ref-missing",
    severity: Severity::Warning,
    summary: "A pod template needs a ConfigMap or Secret that nothing in the repository makes.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

/// A reference from a pod template, and where its name is written.
pub(super) struct Ref {
    pub(super) kind: &'static str,
    pub(super) name: String,
    /// `optional: true`: the pod starts without it.
    pub(super) optional: bool,
    path: String,
    /// `envFrom`, `env`, `volume`: how the pod uses it, for the message.
    usage: &'static str,
}

impl Rule for ConfigRefMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        // One finding per missing object, at its first reference, with every other place
        // that needs it as a related span.
        let mut missing: Vec<(InstId, Ref, Resolution, Vec<Span>)> = Vec::new();
        type Key = (
            &'static str,
            (Option<String>, Option<crate::kustomize::KustId>, String),
        );
        let mut seen: HashMap<Key, usize> = HashMap::default();
        for (id, template, path) in cx.index.templates() {
            let Some(spec) = template.spec.as_ref() else {
                continue;
            };
            if cx.index.inst(id).opaque {
                continue;
            }
            for r in refs(spec, path).into_iter().filter(|r| !r.optional) {
                let key = (r.kind, super::object_key(cx, id, &r.name));
                if let Some(&i) = seen.get(&key) {
                    let span = span_at(cx.root(id), &r.path);
                    if missing[i].0 != id || !missing[i].3.contains(&span) {
                        missing[i].3.push(span);
                    }
                    continue;
                }
                let found = cx.find(id, "", r.kind, &r.name);
                if found.is_found() {
                    continue;
                }
                seen.insert(key, missing.len());
                missing.push((id, r, found, Vec::new()));
            }
        }
        for (id, r, found, others) in missing {
            let mut f = finding(cx, id, &r);
            for span in others {
                f = f.related(span, format!("also needs {} `{}`", r.kind, r.name));
            }
            let absence = headline(cx, id, &r);
            out.extend(found.judge(f, &absence));
        }
    }
}

/// What the repository shows, for the certain finding and the info alike.
fn headline(cx: &Ctx<'_, '_>, id: InstId, r: &Ref) -> String {
    format!(
        "{} needs {} `{}` ({}), not made here{}",
        cx.describe(id),
        r.kind,
        r.name,
        r.usage,
        super::in_namespace(cx, id)
    )
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
    Finding::new(&META, span_at(cx.root(id), &r.path), headline(cx, id, r))
        .label(format!("no such {}", r.kind))
        .note(effect)
        .help(format!(
            "add {makers} named `{name}`{where_}, fix the name, mark the reference `optional: true` if the pod can run without it, or declare it external in the k8s-lint settings if it is created outside the repository"
        ))
}

/// Every ConfigMap and Secret reference of a pod spec (of a volume only when it is mounted).
pub(super) fn refs(spec: &PodSpec, template_path: &str) -> Vec<Ref> {
    let prefix = if template_path.is_empty() {
        "spec".to_string()
    } else {
        format!("{template_path}.spec")
    };
    let mut out = Vec::new();
    let mut add = |kind, name: &str, optional: Option<bool>, path: String, usage| {
        if !name.is_empty() {
            out.push(Ref {
                kind,
                name: name.to_string(),
                optional: optional == Some(true),
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
    // The kubelet sets up only the volumes a container mounts ("Skipping unused volume"): an
    // unmounted one never blocks the pod.
    let used: Vec<&str> = spec
        .containers
        .iter()
        .chain(spec.init_containers.iter().flatten())
        .flat_map(|c| {
            let mounts = c.volume_mounts.iter().flatten().map(|m| m.name.as_str());
            let devices = c.volume_devices.iter().flatten().map(|d| d.name.as_str());
            mounts.chain(devices)
        })
        .collect();
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        if !used.contains(&v.name.as_str()) {
            continue;
        }
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
