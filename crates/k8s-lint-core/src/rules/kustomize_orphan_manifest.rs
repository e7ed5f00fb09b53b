//! A manifest below a kustomization is not reached from any kustomization, so it is not deployed.
//!
//! Docs: `rules/kustomize-orphan-manifest.md`.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::finding::{Finding, Severity};
use crate::fix::{self, Applicability, Edit, Fix};
use crate::index::{labels, InstId, View};
use crate::kustomize::{KustId, Target};
use crate::pod::PodSpec;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::source::{line_from, FileId, SourceFile, Span};
use crate::yaml::Node;

pub struct KustomizeOrphanManifest;

static META: RuleMeta = RuleMeta {
    id: "kustomize-orphan-manifest",
    severity: Severity::Warning,
    summary: "A manifest below a kustomization is not reached from any kustomization, so it is not deployed.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: Some(Applicability::Unsafe),
};

impl Rule for KustomizeOrphanManifest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        // Only for a file no kustomization lists: most repositories have none.
        let referenced = std::cell::OnceCell::new();
        // Files of a directory nothing refers to, reported once per directory.
        let mut unreferenced: BTreeMap<&Path, Vec<FileId>> = BTreeMap::new();
        for (i, file) in cx.files.iter().enumerate() {
            let id = FileId(i as u32);
            let objects = cx.objects_of(id);
            if objects.is_empty()
                || cx.model.reached.contains(&id)
                || crate::kustomize::is_kustomization(file, &cx.parsed[i])
                || objects.iter().all(|o| is_local_config(cx, o))
            {
                continue;
            }
            if !cx.model.in_kustomize_tree(file.dir(), cx.gitops) {
                continue;
            }
            let Some(kid) = cx.model.enclosing(file.dir()) else {
                continue;
            };
            if !referenced
                .get_or_init(|| referenced_dirs(cx))
                .contains(file.dir())
            {
                unreferenced.entry(file.dir()).or_default().push(id);
                continue;
            }
            out.push(orphan(cx, id, kid));
        }
        for (dir, files) in unreferenced {
            out.push(unreferenced_dir(cx, dir, &files));
        }
    }
}

/// What is in a file, for messages: "Ingress `web`", "Service `a` and 2 more objects".
fn contents(cx: &Ctx<'_, '_>, file: FileId) -> String {
    let objects = cx.objects_of(file);
    let first = &objects[0];
    match objects.len() {
        1 => format!("{} `{}`", first.kind(), first.name()),
        2 => format!("{} `{}` and 1 more object", first.kind(), first.name()),
        n => format!(
            "{} `{}` and {} more objects",
            first.kind(),
            first.name(),
            n - 1
        ),
    }
}

fn primary(cx: &Ctx<'_, '_>, file: FileId) -> Span {
    let root = cx.objects_of(file)[0].root(cx.parsed);
    line_from(file, &cx.file(file).text, root.span.start as usize)
}

/// A file next to files (or a kustomization) that kustomize does read: the entry is evidently
/// missing, unless the repository shows the exclusion is deliberate.
fn orphan(cx: &Ctx<'_, '_>, id: FileId, kid: KustId) -> Finding {
    let file = cx.file(id);
    let kust = cx.model.get(kid);
    let kfile = cx.file(kust.file);
    let rel = file
        .path
        .strip_prefix(&kust.dir)
        .map_or(file.display().to_string(), |p| {
            p.to_string_lossy().replace('\\', "/")
        });
    let what = contents(cx, id);
    let primary = primary(cx, id);
    if let Some((kfile_id, span)) = commented(cx, file) {
        return Finding::new(
            &META,
            primary,
            format!(
                "`{rel}` ({what}) is commented out in `{}`",
                cx.file(kfile_id).display()
            ),
        )
        .severity(Severity::Info)
        .label("not deployed")
        .note("it is not deployed")
        .related(span, "commented-out entry")
        .help("if the exclusion is deliberate, nothing to do; otherwise uncomment the entry");
    }
    // A script or doc page applies or reads it by hand: it is used, only not by kustomize.
    if let Some(c) = cx.used_by_script(&file.path) {
        let verb = c.effect.verb();
        return Finding::new(
            &META,
            primary,
            format!("`{rel}` ({what}) is not listed in `{}`", kfile.display()),
        )
        .severity(Severity::Info)
        .label("not deployed by kustomize")
        .note(format!("`{}` {verb}", c.shown))
        .related(c.span, "uses the file by hand")
        .help("if the file is meant to be used by hand, nothing to do; otherwise add it to `resources`");
    }
    let f = Finding::new(
        &META,
        primary,
        format!("`{rel}` ({what}) is not listed in `{}`", kfile.display()),
    )
    .label("not reached from any kustomization");
    // Wiring to what is deployed is the evidence that the file belongs to the app: an
    // unlisted Ingress to a deployed Service, a Service selecting deployed pods, a ConfigMap
    // a deployed pod reads. A file nothing deployed refers to is as likely parked.
    let wire = wired(cx, id);
    let parked = match (deliberate(cx, id, kid), &wire) {
        (Some(why), _) => Some((why, "if the exclusion is deliberate, nothing to do".to_string())),
        (None, None) => Some((
            "nothing deployed refers to it or is referred to by it, so it may be parked on purpose"
                .to_string(),
            format!(
                "if it should be deployed, add `- {rel}` to `resources` in {}; otherwise delete it or move it out of the kustomize tree",
                kfile.display()
            ),
        )),
        (None, Some(_)) => None,
    };
    let (Some((wire_span, wire)), None) = (wire, &parked) else {
        let (why, help) = parked.unwrap_or_default();
        return f
            .note("it is not deployed")
            .note(why)
            .severity(Severity::Info)
            .help(help);
    };
    let resources = kust
        .root(cx.parsed)
        .and_then(|r| r.entry("resources"))
        .map_or(line_from(kust.file, &kfile.text, 0), |e| e.key_span());
    let f = f
        .related(resources, format!("`{rel}` is missing from this list"))
        .related(wire_span, wire)
        .note("kustomize, Argo CD and Flux will not deploy it")
        .help(format!(
            "add `- {rel}` to `resources` in {}, or delete the file if it is obsolete",
            kfile.display()
        ));
    // Unsafe: listing it deploys its objects.
    let fix = add_resource(kust.file, &kfile.text, kust.root(cx.parsed), &rel).map(|edit| {
        Fix::unsafe_(
            format!("add `{rel}` to `resources` in {}", kfile.display()),
            vec![edit],
        )
    });
    f.fix(fix)
}

/// The entry `rel` added to the kustomization's `resources`, in that list's style; a new
/// `resources` list at the end when there is none.
fn add_resource(file: FileId, text: &str, root: Option<&Node<'_>>, rel: &str) -> Option<Edit> {
    let root = root?;
    match root.get("resources") {
        Some(list) => fix::yaml::add_item(file, text, list, rel),
        None if root.as_map().is_some() => fix::yaml::add_entry(file, text, root, "resources", rel),
        None => None,
    }
}

/// A deployed object the file's objects are wired to, with a label for the related span.
fn wired(cx: &Ctx<'_, '_>, file: FileId) -> Option<(Span, String)> {
    let name_span = |i: InstId| {
        let root = cx.root(i);
        super::key_span_at(root, "metadata.name").unwrap_or(root.span)
    };
    let str_at = |n: &Node<'_>, p: &str| n.at(p).and_then(Node::as_str).map(String::from);
    for o in cx.objects_of(file) {
        let root = o.root(cx.parsed);
        // Only what would share its namespace once listed is wiring.
        let ns = cx
            .model
            .namespace_if_listed(cx.file(file).dir(), cx.parsed, o.namespace());
        let here = |i: InstId| crate::index::namespaces_match(ns, cx.index.namespace(i));
        let labels_of = |path: &str| -> BTreeMap<String, String> {
            root.at(path)
                .and_then(Node::as_map)
                .map(|m| {
                    m.iter()
                        .filter_map(|e| {
                            Some((
                                e.key_str()?.to_string(),
                                e.value().scalar_text()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let selects = |wanted: &BTreeMap<String, String>| -> Option<InstId> {
            if wanted.is_empty() {
                return None;
            }
            cx.index
                .templates()
                .find(|&(i, t, _)| {
                    here(i) && wanted.iter().all(|(k, v)| labels(t).get(k) == Some(v))
                })
                .map(|(i, _, _)| i)
        };
        let found = match (o.group(), o.kind()) {
            ("networking.k8s.io", "Ingress") => {
                let mut names = Vec::new();
                collect_backend_services(root, &mut names);
                names.iter().find_map(|n| {
                    let i = *cx
                        .index
                        .named("", "Service", n)
                        .iter()
                        .find(|&&i| here(i))?;
                    Some((i, format!("routes to deployed {}", cx.describe(i))))
                })
            }
            ("", "Service") => selects(&labels_of("spec.selector")).map(|i| {
                (
                    i,
                    format!("selects the pods of deployed {}", cx.describe(i)),
                )
            }),
            ("policy", "PodDisruptionBudget") | ("networking.k8s.io", "NetworkPolicy") => {
                let path = if o.kind() == "NetworkPolicy" {
                    "spec.podSelector.matchLabels"
                } else {
                    "spec.selector.matchLabels"
                };
                selects(&labels_of(path)).map(|i| {
                    (
                        i,
                        format!("applies to the pods of deployed {}", cx.describe(i)),
                    )
                })
            }
            ("autoscaling", "HorizontalPodAutoscaler") => {
                let (Some(kind), Some(n)) = (
                    str_at(root, "spec.scaleTargetRef.kind"),
                    str_at(root, "spec.scaleTargetRef.name"),
                ) else {
                    continue;
                };
                let group = str_at(root, "spec.scaleTargetRef.apiVersion")
                    .map(|v| crate::object::group_of(&v).to_string())
                    .unwrap_or_default();
                cx.index
                    .named(&group, &kind, &n)
                    .iter()
                    .find(|&&i| here(i))
                    .map(|&i| (i, format!("scales deployed {}", cx.describe(i))))
            }
            ("", kind @ ("ConfigMap" | "Secret" | "ServiceAccount" | "PersistentVolumeClaim")) => {
                cx.index
                    .templates()
                    .find(|&(i, t, _)| {
                        here(i)
                            && t.spec
                                .as_ref()
                                .is_some_and(|spec| uses(spec, kind, o.name()))
                    })
                    .map(|(i, _, _)| (i, format!("deployed {} uses it", cx.describe(i))))
            }
            _ => {
                // A workload whose pods a deployed Service selects.
                let template = [
                    "spec.template.metadata.labels",
                    "spec.jobTemplate.spec.template.metadata.labels",
                ]
                .iter()
                .map(|p| labels_of(p))
                .find(|l| !l.is_empty());
                template.and_then(|have| {
                    cx.index
                        .of_kind("", "Service")
                        .iter()
                        .copied()
                        .filter(|&s| here(s))
                        .find_map(|s| {
                            let View::Service(svc) = cx.index.view(s) else {
                                return None;
                            };
                            let sel = svc
                                .spec
                                .as_ref()?
                                .selector
                                .as_ref()
                                .filter(|m| !m.is_empty())?;
                            sel.iter().all(|(k, v)| have.get(k) == Some(v)).then(|| {
                                (s, format!("deployed {} selects its pods", cx.describe(s)))
                            })
                        })
                })
            }
        };
        if let Some((i, label)) = found {
            return Some((name_span(i), label));
        }
    }
    None
}

/// Whether a pod spec uses the object of that kind and name: runs as the ServiceAccount,
/// mounts the claim, pulls images with the Secret, or reads the ConfigMap or Secret (where
/// `config-ref-missing` looks, optional references included).
/// Only these fields: the name as a label value or an argument is no use of the object.
fn uses(spec: &PodSpec, kind: &str, name: &str) -> bool {
    match kind {
        "ServiceAccount" => super::service_account(spec).is_some_and(|(_, n)| n == name),
        "PersistentVolumeClaim" => spec.volumes.iter().flatten().any(|v| {
            v.persistent_volume_claim
                .as_ref()
                .is_some_and(|c| c.claim_name == name)
        }),
        "Secret"
            if spec
                .image_pull_secrets
                .iter()
                .flatten()
                .any(|s| s.name == name) =>
        {
            true
        }
        _ => super::config_ref_missing::refs(spec, "")
            .iter()
            .any(|r| r.kind == kind && r.name == name),
    }
}

/// Service names of an Ingress's backends, from its tree (the file is not deployed, so it has
/// no typed view).
fn collect_backend_services(root: &Node<'_>, out: &mut Vec<String>) {
    if let Some(n) = root
        .at("spec.defaultBackend.service.name")
        .and_then(Node::as_str)
    {
        out.push(n.to_string());
    }
    for rule in root.at("spec.rules").and_then(Node::as_seq).unwrap_or(&[]) {
        for path in rule.at("http.paths").and_then(Node::as_seq).unwrap_or(&[]) {
            if let Some(n) = path.at("backend.service.name").and_then(Node::as_str) {
                out.push(n.to_string());
            }
        }
    }
}

/// Why leaving the file out looks deliberate, if it does.
fn deliberate(cx: &Ctx<'_, '_>, id: FileId, kid: KustId) -> Option<String> {
    let file = cx.file(id);
    let name = file.path.file_name()?.to_string_lossy().into_owned();
    let kust = cx.model.get(kid);
    // The file name appears in a comment of the kustomization (a disabled `- path:` patch,
    // a note on why it is left out).
    let ktext = &cx.file(kust.file).text;
    if ktext.lines().any(|l| {
        l.trim_start()
            .strip_prefix('#')
            .is_some_and(|c| c.contains(name.as_str()))
    }) {
        return Some(format!(
            "{} names it in a comment",
            cx.file(kust.file).display()
        ));
    }
    let objects = cx.objects_of(id);
    // The plaintext source of a sealed or encrypted twin that is listed.
    if objects.iter().all(|o| o.is("", "Secret")) {
        let stem = name.split('.').next().unwrap_or_default();
        let twin = kust.entries.iter().find(|e| {
            let listed = e.text.rsplit('/').next().unwrap_or_default();
            listed != name
                && listed.starts_with(stem)
                && ["seal", "sops", "enc", "crypt"]
                    .iter()
                    .any(|w| listed.contains(w))
        });
        if let Some(e) = twin {
            return Some(format!(
                "it is the plaintext of `{}`, which is listed",
                e.text
            ));
        }
        let sealed = objects.iter().all(|o| {
            !cx.index
                .named("bitnami.com", "SealedSecret", o.name())
                .is_empty()
        });
        if sealed {
            return Some("a SealedSecret of the same name is deployed instead".into());
        }
    }
    // Every object is deployed already, from another file of the same kustomization's tree:
    // an alternative or older version of it.
    let deployed = objects.iter().all(|o| {
        cx.index
            .named(o.group(), o.kind(), o.name())
            .iter()
            .any(|&i| {
                let other = cx.objects[cx.index.inst(i).object.0 as usize].file;
                other != id && cx.file(other).path.starts_with(&kust.dir)
            })
    });
    if deployed {
        return Some(format!(
            "{} of that name is deployed from another file",
            if objects.len() == 1 {
                "an object"
            } else {
                "each object"
            }
        ));
    }
    // A generator of the tree makes a ConfigMap or Secret of that name (`behavior: replace`).
    let generated = objects.iter().all(|o| {
        (o.is("", "ConfigMap") || o.is("", "Secret"))
            && cx.model.kusts.iter().any(|k| {
                k.root(cx.parsed).is_some_and(|r| {
                    ["configMapGenerator", "secretGenerator"].iter().any(|g| {
                        r.get(g)
                            .and_then(Node::as_seq)
                            .unwrap_or(&[])
                            .iter()
                            .any(|x| x.get("name").and_then(Node::as_str) == Some(o.name()))
                    })
                })
            })
    });
    if generated {
        return Some("a kustomize generator of that name makes it instead".into());
    }
    // The rendered output of this kustomization's own Helm charts, checked in for another
    // consumer (a bootstrap, a diff).
    if kust
        .root(cx.parsed)
        .is_some_and(|r| r.get("helmCharts").is_some())
    {
        return Some(format!(
            "{} renders Helm charts, and this looks like their checked-in output",
            cx.file(kust.file).display()
        ));
    }
    // kubebuilder scaffolds editor/viewer roles for users to bind, not for the operator.
    if ["_editor_role.yaml", "_viewer_role.yaml", "_admin_role.yaml"]
        .iter()
        .any(|s| name.ends_with(s))
    {
        return Some("it is a kubebuilder helper role, left for users to bind".into());
    }
    // Patch files are not resources: an unused patch deploys nothing either way.
    let in_patches = file
        .dir()
        .file_name()
        .is_some_and(|d| d.to_string_lossy().contains("patch"));
    if in_patches || name.contains("patch") {
        return Some("it looks like a patch, not a resource".into());
    }
    None
}

/// Directories that some kustomization refers to: the directories of the files it lists,
/// the directories it lists, and those holding a kustomization.
fn referenced_dirs<'a>(cx: &Ctx<'a, '_>) -> HashSet<&'a Path> {
    let mut dirs: HashSet<&Path> = cx.model.dirs.keys().map(PathBuf::as_path).collect();
    for k in &cx.model.kusts {
        for e in &k.entries {
            match e.target {
                Target::File(f) => {
                    dirs.insert(cx.file(f).dir());
                }
                Target::Dir(_) => {
                    dirs.insert(e.path(&cx.model.kusts, cx.files));
                }
                _ => {}
            }
        }
    }
    dirs
}

/// A directory of manifests that no kustomization refers to, below one that exists: it is
/// not part of that kustomize tree at all, so it is applied some other way (a CI step, a
/// plain-directory app), kept for later, or forgotten: the repository cannot tell which.
fn unreferenced_dir(cx: &Ctx<'_, '_>, dir: &Path, files: &[FileId]) -> Finding {
    let first = files[0];
    let shown = cx
        .file(first)
        .display()
        .rsplit_once('/')
        .map_or(".".to_string(), |(d, _)| d.to_string());
    let example = format!("`{}` ({})", cx.file(first).display(), contents(cx, first));
    let what = match files.len() {
        1 => example.clone(),
        n => format!("{n} manifests"),
    };
    let mut f = Finding::new(
        &META,
        primary(cx, first),
        format!("`{shown}/` holds {what} which no kustomization refers to"),
    )
    .severity(Severity::Info)
    .label("not reached from any kustomization")
    .note("unless something else applies this directory, it is not deployed");
    if files.len() > 1 {
        f = f.note(format!("one of them is {example}"));
    }
    if let Some(k) = cx.model.enclosing(dir) {
        f = f.note(format!(
            "the nearest kustomization is `{}`",
            cx.file(cx.model.get(k).file).display()
        ));
    }
    f.help("list the files (or a kustomization of this directory) in the kustomization that should deploy them, or move parked manifests out of the kustomize tree")
}

/// kustomize drops objects annotated `config.kubernetes.io/local-config: "true"`.
fn is_local_config(cx: &Ctx<'_, '_>, o: &crate::object::Object) -> bool {
    o.root(cx.parsed)
        .at("metadata.annotations")
        .and_then(|a| a.get("config.kubernetes.io/local-config"))
        .and_then(|v| v.scalar_text())
        == Some("true")
}

/// A commented-out entry naming `file`, or a directory holding it, in any kustomization.
fn commented(cx: &Ctx<'_, '_>, file: &SourceFile) -> Option<(FileId, Span)> {
    cx.model.kusts.iter().find_map(|k| {
        k.commented
            .iter()
            .find(|(p, _)| file.path.starts_with(p))
            .map(|(_, span)| (k.file, *span))
    })
}
