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
pub(super) struct Ref<'a> {
    pub(super) kind: &'static str,
    pub(super) name: &'a str,
    /// `optional: true`: the pod starts without it.
    pub(super) optional: bool,
    /// The template's path in its object's tree (`""`: the object is a Pod).
    template: &'static str,
    at: RefAt,
    /// `envFrom`, `env`, `volume`: how the pod uses it, for the message.
    usage: &'static str,
}

/// Where in the pod spec a reference's name is written, as indexes: the path is written out
/// only for a finding (every template's references are gathered on every lint, and nearly all
/// resolve).
#[derive(Clone, Copy)]
enum RefAt {
    /// `containers[i]`, or `initContainers[i]` when `init`, then a field of it.
    Container {
        init: bool,
        i: usize,
        field: ContainerField,
    },
    /// `volumes[i]`, then a field of it.
    Volume { i: usize, field: VolumeField },
}

#[derive(Clone, Copy)]
enum ContainerField {
    FromConfigMap(usize),
    FromSecret(usize),
    ConfigMapKey(usize),
    SecretKey(usize),
}

#[derive(Clone, Copy)]
enum VolumeField {
    ConfigMap,
    Secret,
    ProjectedConfigMap(usize),
    ProjectedSecret(usize),
}

impl Ref<'_> {
    /// The path of the name in the object's tree, e.g.
    /// `spec.template.spec.containers[0].envFrom[1].configMapRef.name`.
    fn path(&self) -> String {
        let spec = if self.template.is_empty() {
            "spec".to_string()
        } else {
            format!("{}.spec", self.template)
        };
        match self.at {
            RefAt::Container { init, i, field } => {
                let list = if init { "initContainers" } else { "containers" };
                let tail = match field {
                    ContainerField::FromConfigMap(j) => format!("envFrom[{j}].configMapRef"),
                    ContainerField::FromSecret(j) => format!("envFrom[{j}].secretRef"),
                    ContainerField::ConfigMapKey(j) => {
                        format!("env[{j}].valueFrom.configMapKeyRef")
                    }
                    ContainerField::SecretKey(j) => format!("env[{j}].valueFrom.secretKeyRef"),
                };
                format!("{spec}.{list}[{i}].{tail}.name")
            }
            RefAt::Volume { i, field } => {
                let tail = match field {
                    VolumeField::ConfigMap => "configMap.name".to_string(),
                    VolumeField::Secret => "secret.secretName".to_string(),
                    VolumeField::ProjectedConfigMap(j) => {
                        format!("projected.sources[{j}].configMap.name")
                    }
                    VolumeField::ProjectedSecret(j) => {
                        format!("projected.sources[{j}].secret.name")
                    }
                };
                format!("{spec}.volumes[{i}].{tail}")
            }
        }
    }
}

impl Rule for ConfigRefMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        // One finding per missing object, at its first reference, with every other place
        // that needs it as a related span.
        let mut missing: Vec<(InstId, Ref<'_>, Resolution, Vec<Span>)> = Vec::new();
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
                // Only a reference to an object already found missing is in `seen`: while
                // nothing is, the key (two strings) is not worth making.
                if !seen.is_empty() {
                    let key = (r.kind, super::object_key(cx, id, r.name));
                    if let Some(&i) = seen.get(&key) {
                        let span = span_at(cx.root(id), &r.path());
                        if missing[i].0 != id || !missing[i].3.contains(&span) {
                            missing[i].3.push(span);
                        }
                        continue;
                    }
                }
                let found = cx.find(id, "", r.kind, r.name);
                if found.is_found() {
                    continue;
                }
                let key = (r.kind, super::object_key(cx, id, r.name));
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
    Finding::new(&META, span_at(cx.root(id), &r.path()), headline(cx, id, r))
        .label(format!("no such {}", r.kind))
        .note(effect)
        .help(format!(
            "add {makers} named `{name}`{where_}, fix the name, mark the reference `optional: true` if the pod can run without it, or declare it external in the k8s-lint settings if it is created outside the repository"
        ))
}

/// Every ConfigMap and Secret reference of a pod spec (of a volume only when it is mounted).
pub(super) fn refs<'a>(spec: &'a PodSpec, template_path: &'static str) -> Vec<Ref<'a>> {
    let mut out = Vec::new();
    let mut add = |kind, name: &'a str, optional: Option<bool>, at, usage| {
        if !name.is_empty() {
            out.push(Ref {
                kind,
                name,
                optional: optional == Some(true),
                template: template_path,
                at,
                usage,
            });
        }
    };
    let containers = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| (c, false, i));
    let init = spec.init_containers.iter().flatten().enumerate();
    for (c, init, i) in containers.chain(init.map(|(i, c)| (c, true, i))) {
        container_refs(c, &mut |kind, name, optional, field, usage| {
            add(
                kind,
                name,
                optional,
                RefAt::Container { init, i, field },
                usage,
            )
        });
    }
    volume_refs(spec, &mut |kind, name, optional, i, field| {
        add(kind, name, optional, RefAt::Volume { i, field }, "volume")
    });
    out
}

fn volume_refs<'a>(
    spec: &'a PodSpec,
    add: &mut impl FnMut(&'static str, &'a str, Option<bool>, usize, VolumeField),
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
        if let Some(cm) = &v.config_map {
            add(
                "ConfigMap",
                &cm.name,
                cm.optional,
                i,
                VolumeField::ConfigMap,
            );
        }
        if let Some(s) = &v.secret {
            let name = s.secret_name.as_deref().unwrap_or_default();
            add("Secret", name, s.optional, i, VolumeField::Secret);
        }
        let sources = v.projected.iter().flat_map(|p| p.sources.iter().flatten());
        for (j, src) in sources.enumerate() {
            if let Some(cm) = &src.config_map {
                let field = VolumeField::ProjectedConfigMap(j);
                add("ConfigMap", &cm.name, cm.optional, i, field);
            }
            if let Some(s) = &src.secret {
                let field = VolumeField::ProjectedSecret(j);
                add("Secret", &s.name, s.optional, i, field);
            }
        }
    }
}

fn container_refs<'a>(
    c: &'a Container,
    add: &mut impl FnMut(&'static str, &'a str, Option<bool>, ContainerField, &'static str),
) {
    for (j, from) in c.env_from.iter().flatten().enumerate() {
        if let Some(cm) = &from.config_map_ref {
            add(
                "ConfigMap",
                &cm.name,
                cm.optional,
                ContainerField::FromConfigMap(j),
                "envFrom",
            );
        }
        if let Some(s) = &from.secret_ref {
            add(
                "Secret",
                &s.name,
                s.optional,
                ContainerField::FromSecret(j),
                "envFrom",
            );
        }
    }
    for (j, env) in c.env.iter().flatten().enumerate() {
        let Some(from) = &env.value_from else {
            continue;
        };
        if let Some(cm) = &from.config_map_key_ref {
            add(
                "ConfigMap",
                &cm.name,
                cm.optional,
                ContainerField::ConfigMapKey(j),
                "env",
            );
        }
        if let Some(s) = &from.secret_key_ref {
            add(
                "Secret",
                &s.name,
                s.optional,
                ContainerField::SecretKey(j),
                "env",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind of reference's path leads to its name in the tree: a wrong path would only
    /// widen the finding's span to the deepest node on the way.
    #[test]
    fn every_reference_path_leads_to_its_name() {
        let text = "\
spec:
  template:
    spec:
      initContainers:
        - name: init
          envFrom: [{secretRef: {name: s-init}}]
      containers:
        - name: app
          envFrom:
            - configMapRef: {name: cm-from}
            - secretRef: {name: s-from}
          env:
            - name: A
              valueFrom: {configMapKeyRef: {name: cm-key, key: k}}
            - name: B
              valueFrom: {secretKeyRef: {name: s-key, key: k}}
          volumeMounts:
            - {name: v-cm, mountPath: /a}
            - {name: v-s, mountPath: /b}
            - {name: v-p, mountPath: /c}
      volumes:
        - {name: v-cm, configMap: {name: cm-vol}}
        - {name: v-s, secret: {secretName: s-vol}}
        - name: v-p
          projected:
            sources:
              - configMap: {name: cm-proj}
              - secret: {name: s-proj}
";
        let parsed = crate::yaml::parse(crate::source::FileId(0), text);
        let root = parsed.docs[0].root.as_ref().expect("a root");
        let full: k8s_openapi::api::core::v1::PodSpec =
            crate::de::from_node(root.at("spec.template.spec").expect("a pod spec"))
                .expect("decodes");
        let spec = PodSpec::from(full);
        let found: Vec<(&str, String)> = refs(&spec, "spec.template")
            .iter()
            .map(|r| {
                let at = root.at(&r.path()).and_then(crate::yaml::Node::as_str);
                assert_eq!(at, Some(r.name), "{}", r.path());
                (r.kind, r.name.to_string())
            })
            .collect();
        let names: Vec<&str> = found.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "cm-from", "s-from", "cm-key", "s-key", "s-init", "cm-vol", "s-vol", "cm-proj",
                "s-proj"
            ]
        );
    }
}
