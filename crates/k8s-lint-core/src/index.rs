//! One index over every deployed instance, built once: typed views through k8s-openapi, Services
//! by name, pod templates by label. Rules query it; none of them scans the repo.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::hash::HashMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Pod, ReplicationController};
use rayon::prelude::*;

use crate::de::{from_node, TypeError};
use crate::kustomize::build::{Built, Incomplete, Instance};
use crate::network::{Ingress, Service};
use crate::object::{Object, ObjectId};
use crate::pod::PodTemplateSpec;
use crate::selector::Labels;
use crate::yaml::{Node, Parsed};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstId(pub u32);

/// Maps keyed one string per level, so lookups never build an owned key.
type ByLabel = HashMap<Box<str>, HashMap<Box<str>, Ids>>;
/// Instances by group, then kind, the strings borrowed from their objects (one level per
/// string: a key borrowed for `'s` is looked up by a `&str` of any lifetime).
type ByKind<'s> = HashMap<&'s str, HashMap<&'s str, Ids>>;
/// Instances by group, kind, then name ([`Names`]).
type ByName<'s> = HashMap<&'s str, HashMap<&'s str, Names>>;

/// The instances of one kind by name: each name's list is found by the hash of the name and
/// told from others by its first instance's name, so the table keeps no name of its own (a
/// map keyed by name kept a 24-byte key per instance, times its power-of-two growth: a
/// twentieth of a run's memory). Which name an instance has is the caller's to say, at both
/// building and lookup, from [`Index::instances`] (the name as deployed) or its object (as
/// written).
#[derive(Default)]
struct Names(hashbrown::HashTable<Ids>);

/// The instances under one key: nearly always one or two (a name, a label value), which then
/// need no allocation of their own. smallvec is already in the tree (the YAML parser's), and
/// the maps hold one of these per object.
type Ids = smallvec::SmallVec<[InstId; 2]>;

/// The value under `key`, inserted when missing (allocating the key only then).
fn slot<'m, V: Default>(map: &'m mut HashMap<Box<str>, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.into(), V::default());
    }
    map.get_mut(key).expect("present")
}

/// The typed view of an instance, for the kinds rules read.
#[derive(Clone, Debug)]
pub enum View {
    Service(Box<Service>),
    Ingress(Box<Ingress>),
    /// A pod template, and where the template is in the tree.
    Workload {
        template: Box<PodTemplateSpec>,
        path: TemplatePath,
    },
    /// A pod template we cannot read: a custom resource whose `spec.template` does not decode
    /// as one. Its pods may carry any labels.
    OpaqueTemplate,
    /// A kind no rule reads through a typed view.
    Untyped,
    /// A field has the wrong type (reported once per object by `manifest-field-type`).
    Invalid,
}

// A run holds one view per instance (106,000 at 20,000 generated apps), and one more per
// object as written: a path as a `&'static str` made each 24 bytes, not 16.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<View>() == 16 && std::mem::size_of::<Cow<View>>() == 16);

/// Where a workload's pod template is in its tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplatePath {
    /// The object is a Pod: the template is the object itself.
    Pod,
    /// `spec.template`: Deployments, StatefulSets, Jobs, custom resources and the like.
    Spec,
    /// A CronJob's `spec.jobTemplate.spec.template`.
    CronJob,
}

impl TemplatePath {
    /// The path in the tree (`""`: the root).
    pub fn as_str(self) -> &'static str {
        match self {
            TemplatePath::Pod => "",
            TemplatePath::Spec => "spec.template",
            TemplatePath::CronJob => "spec.jobTemplate.spec.template",
        }
    }
}

/// An object's typed view as its file writes it: what an instance no build changed reads.
pub type Decoded = Result<View, TypeError>;

/// The view of every object as written, in object order (an editor's session keeps them).
pub fn decode_all(objects: &[Object], parsed: &[Parsed<'_>]) -> Vec<Decoded> {
    objects
        .par_iter()
        .map(|o| view_of(o, o.root(parsed)))
        .collect()
}

pub struct Index<'s> {
    pub instances: Vec<Instance<'s>>,
    /// The tree of each instance no build changed, found once: rules read an instance's tree
    /// thousands of times, and finding it through its file and document is three dependent
    /// loads (`None`: the instance's own patched tree).
    roots: Vec<Option<&'s Node<'s>>>,
    /// Borrowed from the caller's decoded objects where the instance is its file's tree.
    pub views: Vec<Cow<'s, View>>,
    /// Type errors, one per object (the first instance's), in object order.
    pub type_errors: Vec<(ObjectId, TypeError)>,
    /// Instances a transformation we do not model changed (a JSON 6902 patch, a replacement),
    /// as opposed to those only opaque because a field does not decode.
    unmodelled: Vec<bool>,
    /// Builds that deploy objects the repository does not show (read by `resolve`).
    pub incomplete: Vec<Incomplete>,
    /// Kustomization entries not followed because they nest too deep.
    pub too_deep: Vec<(crate::source::Span, String)>,
    default_namespace: Option<String>,
    /// Instances by (group, kind, name as deployed).
    by_name: ByName<'s>,
    /// Instances a build renamed (a prefix, a suffix, a replacement), by (group, kind, name
    /// written in their file): every other instance's written name is its deployed name, so
    /// `by_name` finds it, and a second map of every instance would double the maps' memory.
    by_written_name: ByName<'s>,
    /// Whether a build renamed each instance.
    renamed: Vec<bool>,
    /// The objects the instances are of (their names as written, for `by_written_name`).
    objects: &'s [Object],
    /// The hasher of [`Names`]: randomly keyed, as names come from the repository.
    names_hasher: ahash::RandomState,
    /// Instances by (group, kind).
    by_kind: ByKind<'s>,
    /// Pod templates by one of their labels.
    templates_by_label: ByLabel,
    templates: Vec<InstId>,
}

impl<'s> Index<'s> {
    /// `kept`: the objects' views as written ([`decode_all`]), when the caller keeps them.
    pub fn new(
        built: Built<'s>,
        objects: &'s [Object],
        parsed: &'s [Parsed<'s>],
        default_namespace: Option<String>,
        kept: Option<&'s [Decoded]>,
    ) -> Index<'s> {
        let decoded: Vec<Cow<'s, Decoded>> = built
            .instances
            .par_iter()
            .map(|inst| match (&inst.patched, kept) {
                (None, Some(kept)) => Cow::Borrowed(&kept[inst.object.0 as usize]),
                _ => Cow::Owned(view_of(
                    &objects[inst.object.0 as usize],
                    inst.root(objects, parsed),
                )),
            })
            .collect();
        let mut views = Vec::with_capacity(decoded.len());
        let mut type_errors = BTreeMap::new();
        let mut instances = built.instances;
        // Opaque before decoding: a transformation we do not model changed it.
        let unmodelled = instances.iter().map(|i| i.opaque).collect();
        for (inst, d) in instances.iter_mut().zip(decoded) {
            inst.opaque |= matches!(d.as_ref(), Ok(View::OpaqueTemplate));
            let view = match d {
                Cow::Borrowed(Ok(v)) => Ok(Cow::Borrowed(v)),
                Cow::Owned(Ok(v)) => Ok(Cow::Owned(v)),
                Cow::Borrowed(Err(e)) => Err(e.clone()),
                Cow::Owned(Err(e)) => Err(e),
            };
            views.push(view.unwrap_or_else(|e| {
                type_errors.entry(inst.object).or_insert(e);
                // Its pods exist even if we cannot read them: Services may select them.
                inst.opaque |= is_workload(&objects[inst.object.0 as usize]);
                Cow::Owned(View::Invalid)
            }));
        }
        let roots = instances
            .iter()
            .map(|i| {
                let o = &objects[i.object.0 as usize];
                i.patched.is_none().then(|| o.root(parsed))
            })
            .collect();
        let mut index = Index {
            roots,
            instances,
            views,
            type_errors: type_errors.into_iter().collect(),
            unmodelled,
            incomplete: built.incomplete,
            too_deep: built.too_deep,
            default_namespace,
            by_name: HashMap::default(),
            by_written_name: HashMap::default(),
            renamed: Vec::new(),
            objects,
            names_hasher: ahash::RandomState::new(),
            by_kind: HashMap::default(),
            templates_by_label: HashMap::default(),
            templates: Vec::new(),
        };
        // Kinds first: the name maps are filled kind by kind from it, each presized, so an
        // instance costs one hash of its name there rather than of its group, kind and name.
        let (instances, views) = (&index.instances, &index.views);
        let each = || {
            instances
                .iter()
                .enumerate()
                .map(|(i, inst)| (InstId(i as u32), inst, &objects[inst.object.0 as usize]))
        };
        let (by_kind, (templates, templates_by_label)) = rayon::join(
            || {
                let mut by_kind = ByKind::default();
                for (id, _, o) in each() {
                    let kinds = by_kind.entry(o.group()).or_default();
                    kinds.entry(o.kind()).or_default().push(id);
                }
                by_kind
            },
            || {
                let mut templates = Vec::new();
                let mut by_label = ByLabel::default();
                for (id, inst, o) in each() {
                    let view: &View = &views[id.0 as usize];
                    let template = matches!(view, View::Workload { .. } | View::OpaqueTemplate);
                    if template || (inst.opaque && is_workload(o)) {
                        templates.push(id);
                    }
                    if let View::Workload { template, .. } = view {
                        for (k, v) in labels(template).iter() {
                            slot(slot(&mut by_label, k), v).push(id);
                        }
                    }
                }
                (templates, by_label)
            },
        );
        // By the name as deployed, and the renamed ones as written: independent, so two at a
        // time.
        let renamed: Vec<bool> = instances
            .iter()
            .map(|i| *i.name != *objects[i.object.0 as usize].name())
            .collect();
        let hasher = &index.names_hasher;
        let (by_name, by_written_name) = rayon::join(
            || {
                by_name(&by_kind, true, hasher, |id| {
                    Some(&*instances[id.0 as usize].name)
                })
            },
            || {
                by_name(&by_kind, false, hasher, |id| {
                    renamed[id.0 as usize]
                        .then(|| objects[instances[id.0 as usize].object.0 as usize].name())
                })
            },
        );
        index.by_name = by_name;
        index.by_written_name = by_written_name;
        index.renamed = renamed;
        index.by_kind = by_kind;
        index.templates = templates;
        index.templates_by_label = templates_by_label;
        index
    }

    /// See `Analysis::drop_in_parallel`.
    pub(crate) fn drop_in_parallel(self) {
        let Index {
            instances, views, ..
        } = self;
        rayon::join(
            || instances.into_par_iter().for_each(drop),
            || views.into_par_iter().for_each(drop),
        );
    }

    /// Whether a transformation we do not model changed the instance (its tree may differ).
    pub fn unmodelled(&self, id: InstId) -> bool {
        self.unmodelled[id.0 as usize]
    }

    pub fn inst(&self, id: InstId) -> &Instance<'s> {
        &self.instances[id.0 as usize]
    }

    /// The instance's tree: as written, or as a build changed it.
    pub fn root(&self, id: InstId) -> &Node<'s> {
        let i = id.0 as usize;
        // `roots` first: most instances are as written, and their `Instance` stays unread.
        // `new` finds the root of every instance without a patched tree, and the index is
        // never changed after.
        match (self.roots[i], &self.instances[i].patched) {
            (Some(root), _) => root,
            (None, Some(patched)) => patched,
            (None, None) => unreachable!("an instance as written has its root"),
        }
    }

    pub fn view(&self, id: InstId) -> &View {
        &self.views[id.0 as usize]
    }

    pub fn ids(&self) -> impl Iterator<Item = InstId> {
        (0..self.instances.len() as u32).map(InstId)
    }

    /// The namespace the instance will live in, if known.
    pub fn namespace(&self, id: InstId) -> Option<&str> {
        self.inst(id)
            .namespace
            .as_deref()
            .or(self.default_namespace.as_deref())
    }

    /// Two namespaces match when equal; an unknown one is decided at apply time and matches any.
    pub fn same_namespace(&self, a: InstId, b: InstId) -> bool {
        namespaces_match(self.namespace(a), self.namespace(b))
    }

    /// Every instance of a kind, e.g. `("networking.k8s.io", "IngressClass")`.
    pub fn of_kind(&self, group: &str, kind: &str) -> &[InstId] {
        self.by_kind
            .get(group)
            .and_then(|m| m.get(kind))
            .map_or(&[], Ids::as_slice)
    }

    /// Instances of a kind with this name as deployed, in any namespace.
    pub fn named(&self, group: &str, kind: &str, name: &str) -> &[InstId] {
        self.lookup(&self.by_name, [group, kind, name], |id| {
            &self.instances[id.0 as usize].name
        })
    }

    /// The instances under `[group, kind, name]` in `map`, whose instances are named by
    /// `name_of` (as they were when the map was built).
    fn lookup<'m>(
        &self,
        map: &'m ByName<'_>,
        [group, kind, name]: [&str; 3],
        name_of: impl Fn(InstId) -> &'m str,
    ) -> &'m [InstId]
    where
        's: 'm,
    {
        map.get(group)
            .and_then(|m| m.get(kind))
            .and_then(|names| {
                names.0.find(self.names_hasher.hash_one(name), |ids| {
                    ids.first().is_some_and(|&id| name_of(id) == name)
                })
            })
            .map_or(&[], Ids::as_slice)
    }

    pub fn services_named(&self, name: &str) -> &[InstId] {
        self.named("", "Service", name)
    }

    /// Instances of a kind by the name written in their file, before any prefix or suffix.
    /// Existence questions go through `resolve`, which also knows what the repository cannot
    /// show; this is its raw material.
    pub(crate) fn source_named(&self, group: &str, kind: &str, name: &str) -> Ids {
        let mut ids: Ids = self
            .named(group, kind, name)
            .iter()
            .copied()
            .filter(|id| !self.renamed[id.0 as usize])
            .collect();
        let renamed = self.lookup(&self.by_written_name, [group, kind, name], |id| {
            self.objects[self.instances[id.0 as usize].object.0 as usize].name()
        });
        if !renamed.is_empty() {
            ids.extend_from_slice(renamed);
            // In instance order, as the other lookups answer.
            ids.sort_unstable();
        }
        ids
    }

    /// Pod templates carrying the label `key: value` (in any namespace).
    pub(crate) fn templates_labelled(&self, key: &str, value: &str) -> &[InstId] {
        lookup2(&self.templates_by_label, key, value)
    }

    /// Every pod template in the namespace of `service` (for near-miss hints).
    pub fn templates_near(&self, service: InstId) -> impl Iterator<Item = InstId> + '_ {
        self.templates
            .iter()
            .copied()
            .filter(move |&t| self.same_namespace(service, t))
    }

    /// Every readable pod template, with the template's path in its object's tree.
    pub fn templates(&self) -> impl Iterator<Item = (InstId, &PodTemplateSpec, &'static str)> {
        self.templates
            .iter()
            .filter_map(|&id| self.template(id).map(|(t, path)| (id, t, path)))
    }

    pub fn template(&self, id: InstId) -> Option<(&PodTemplateSpec, &'static str)> {
        match self.view(id) {
            View::Workload { template, path } => Some((template, path.as_str())),
            _ => None,
        }
    }
}

/// The instances of each kind of `by_kind` by `name`, in instance order under each name
/// (`None`: the instance is left out; a kind without any is not in the map). `all`: every
/// instance has a name, so each kind's table is sized for all of its instances at once.
fn by_name<'s, 'n>(
    by_kind: &ByKind<'s>,
    all: bool,
    hasher: &ahash::RandomState,
    name: impl Fn(InstId) -> Option<&'n str>,
) -> ByName<'s> {
    let mut map = ByName::default();
    let first_name = |ids: &Ids| ids.first().and_then(|&id| name(id));
    for (&group, kinds) in by_kind {
        for (&kind, ids) in kinds {
            let mut names = hashbrown::HashTable::with_capacity(if all { ids.len() } else { 0 });
            for &id in ids {
                let Some(key) = name(id) else { continue };
                let entry = names.entry(
                    hasher.hash_one(key),
                    |ids: &Ids| first_name(ids) == Some(key),
                    |ids| hasher.hash_one(first_name(ids).unwrap_or_default()),
                );
                match entry {
                    hashbrown::hash_table::Entry::Occupied(mut e) => e.get_mut().push(id),
                    hashbrown::hash_table::Entry::Vacant(e) => {
                        e.insert(smallvec::smallvec![id]);
                    }
                }
            }
            if !names.is_empty() {
                map.entry(group).or_default().insert(kind, Names(names));
            }
        }
    }
    map
}

fn lookup2<'m>(map: &'m ByLabel, a: &str, b: &str) -> &'m [InstId] {
    map.get(a).and_then(|m| m.get(b)).map_or(&[], Ids::as_slice)
}

/// Two namespaces match when equal; an unknown one is decided at apply time and matches any.
pub fn namespaces_match(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x == y,
        _ => true,
    }
}

pub fn labels(template: &PodTemplateSpec) -> &Labels {
    &template.labels
}

/// Kinds whose pod template the index reads.
fn is_workload(o: &Object) -> bool {
    matches!(
        (o.api_version(), o.kind()),
        (
            "apps/v1",
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
        ) | ("batch/v1", "Job" | "CronJob")
            | ("v1", "Pod" | "ReplicationController")
    )
}

fn view_of(o: &Object, root: &Node<'_>) -> Result<View, TypeError> {
    fn workload(
        template: Option<k8s_openapi::api::core::v1::PodTemplateSpec>,
        path: TemplatePath,
    ) -> View {
        match template {
            Some(t) => View::Workload {
                template: Box::new(t.into()),
                path,
            },
            None => View::Untyped,
        }
    }
    const TEMPLATE: TemplatePath = TemplatePath::Spec;
    Ok(match (o.api_version(), o.kind()) {
        ("v1", "Service") => {
            let s: k8s_openapi::api::core::v1::Service = from_node(root)?;
            View::Service(Box::new(s.into()))
        }
        ("networking.k8s.io/v1", "Ingress") => {
            let i: k8s_openapi::api::networking::v1::Ingress = from_node(root)?;
            View::Ingress(Box::new(i.into()))
        }
        ("apps/v1", "Deployment") => {
            let d: Deployment = from_node(root)?;
            workload(d.spec.map(|s| s.template), TEMPLATE)
        }
        ("apps/v1", "StatefulSet") => {
            let d: StatefulSet = from_node(root)?;
            workload(d.spec.map(|s| s.template), TEMPLATE)
        }
        ("apps/v1", "DaemonSet") => {
            let d: DaemonSet = from_node(root)?;
            workload(d.spec.map(|s| s.template), TEMPLATE)
        }
        ("apps/v1", "ReplicaSet") => {
            let d: ReplicaSet = from_node(root)?;
            workload(d.spec.and_then(|s| s.template), TEMPLATE)
        }
        ("v1", "ReplicationController") => {
            let d: ReplicationController = from_node(root)?;
            workload(d.spec.and_then(|s| s.template), TEMPLATE)
        }
        ("batch/v1", "Job") => {
            let d: Job = from_node(root)?;
            workload(d.spec.map(|s| s.template), TEMPLATE)
        }
        ("batch/v1", "CronJob") => {
            let d: CronJob = from_node(root)?;
            workload(
                d.spec.and_then(|s| s.job_template.spec).map(|s| s.template),
                TemplatePath::CronJob,
            )
        }
        ("v1", "Pod") => {
            let p: Pod = from_node(root)?;
            workload(
                Some(k8s_openapi::api::core::v1::PodTemplateSpec {
                    metadata: Some(p.metadata),
                    spec: p.spec,
                }),
                TemplatePath::Pod,
            )
        }
        _ => custom_template(root),
    })
}

/// A custom resource that runs pods from a `spec.template` (Argo Rollouts, OpenKruise and
/// most operators' workload kinds) selects like a Deployment. Its schema is not ours to judge:
/// a template we cannot decode only makes it opaque.
fn custom_template(root: &Node<'_>) -> View {
    let Some(template) = root.at("spec.template").filter(|t| t.get("spec").is_some()) else {
        return View::Untyped;
    };
    match from_node::<k8s_openapi::api::core::v1::PodTemplateSpec>(template) {
        Ok(t) if !t.spec.as_ref().is_none_or(|s| s.containers.is_empty()) => View::Workload {
            template: Box::new(t.into()),
            path: TemplatePath::Spec,
        },
        _ => View::OpaqueTemplate,
    }
}
