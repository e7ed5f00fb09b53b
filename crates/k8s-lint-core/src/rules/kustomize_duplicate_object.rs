//! One kustomize build accumulates two objects with the same kind, namespace and name.
//!
//! Docs: `rules/kustomize-duplicate-object.md`.

use hashbrown::hash_table::{Entry, HashTable};

use crate::hash::HashSet;

use crate::finding::{Finding, Severity};
use crate::index::InstId;
use crate::kustomize::{KustId, PathEntry, Role, Target};
use crate::object::{is_cluster_scoped, Object};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::source::FileId;
use crate::yaml::Node;

use super::span_at;

pub struct KustomizeDuplicateObject;

static META: RuleMeta = RuleMeta {
    id: "kustomize-duplicate-object",
    severity: Severity::Error,
    summary: "One kustomize build accumulates two objects with the same kind, namespace and name.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: None,
};

/// What makes two instances the same object to kustomize: the same build, and apiVersion,
/// kind, namespace (`default` when unset, none for a cluster-scoped kind) and name, borrowed
/// from the index (a lookup allocates nothing).
fn build_key<'a>(
    cx: &Ctx<'a, '_>,
    id: InstId,
) -> (Option<KustId>, &'a str, &'a str, &'a str, &'a str) {
    let inst = cx.index.inst(id);
    let o = cx.object(id);
    let ns = if is_cluster_scoped(o.group(), o.kind()) {
        ""
    } else {
        inst.namespace.as_deref().unwrap_or("default")
    };
    (inst.build, o.api_version(), o.kind(), ns, &inst.name)
}

impl Rule for KustomizeDuplicateObject {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        // The first instance of each key, found by the key's hash and told from others by
        // comparing keys: the table keeps 4-byte ids, not keys, and is sized for every
        // instance up front (a regrowth would compute every key again).
        let hasher = ahash::RandomState::new();
        let hash = |id| hasher.hash_one(build_key(cx, id));
        let mut first: HashTable<InstId> = HashTable::with_capacity(cx.index.instances.len());
        // An entry listed twice duplicates every object behind it; kustomize stops at the
        // first, and so does the report.
        let mut entries_reported = HashSet::default();
        for id in cx.index.ids() {
            let inst = cx.index.inst(id);
            // A plain directory is applied file by file: no build to fail. An object changed in
            // ways we do not model (a JSON patch on its name) may not collide at all.
            let Some(build) = inst.build else { continue };
            if inst.opaque {
                continue;
            }
            let this = build_key(cx, id);
            match first.entry(hash(id), |&a| build_key(cx, a) == this, |&a| hash(a)) {
                Entry::Occupied(a) => {
                    let a = *a.get();
                    let f = finding(cx, build, a, id);
                    let same = cx.index.inst(a).object == inst.object;
                    if !same || entries_reported.insert(f.primary.span) {
                        out.push(f);
                    }
                }
                Entry::Vacant(v) => {
                    v.insert(id);
                }
            }
        }
    }
}

/// Where two accumulated copies meet: the kustomization whose entries bring them in.
struct Merge<'m> {
    kust: KustId,
    first: &'m PathEntry,
    second: &'m PathEntry,
    /// Kustomizations between each entry and the object's file, top first.
    below_first: Vec<KustId>,
    below_second: Vec<KustId>,
}

fn finding(cx: &Ctx<'_, '_>, root: KustId, a: InstId, b: InstId) -> Finding {
    let (oa, ob) = (cx.object(a), cx.object(b));
    let same = cx.index.inst(a).object == cx.index.inst(b).object;
    let merge = merge_point(cx, root, oa.file, ob.file, same);
    let at = merge.as_ref().map_or(root, |m| m.kust);
    let shown = cx.file(cx.model.get(at).file).display();
    let (error, moved) = kustomize_error(cx, a, b, merge.as_ref());
    let what = format!("{} `{}`", ob.kind(), cx.qualified(b));
    let name_of = |id: InstId| span_at(cx.root(id), "metadata.name");
    match (&merge, same) {
        (Some(m), true) => Finding::new(
            &META,
            m.second.span,
            format!(
                "`{shown}` brings in {what} a second time (`{}` after `{}`)",
                m.second.text, m.first.text
            ),
        )
        .label("second copy of the same objects")
        .note(format!("`kustomize build` fails with `{error}`"))
        .related(m.first.span, "first brought in here")
        .help(if moved {
            "a `namespace:` at or above this kustomization moves both copies into one namespace: drop it, or give the copies distinct names with `namePrefix` or `nameSuffix`"
        } else {
            "list each file or base once; to deploy a base twice, give each copy its own overlay with a `namePrefix` or `nameSuffix`"
        }),
        _ => Finding::new(
            &META,
            name_of(b),
            format!("`{shown}` accumulates two definitions of {what}"),
        )
        .label("same kind, namespace and name as an object already accumulated")
        .note(format!("`kustomize build` fails with `{error}`"))
        .related(name_of(a), format!("{} `{}` first defined here", oa.kind(), cx.qualified(a)))
        .help("remove one of the two definitions, rename one, or move them into different namespaces"),
    }
}

/// kustomize's error for the pair, and whether it comes from a `namespace:` that moved two
/// objects of different namespaces into one (rather than from accumulating equal ids).
fn kustomize_error(
    cx: &Ctx<'_, '_>,
    a: InstId,
    b: InstId,
    merge: Option<&Merge<'_>>,
) -> (String, bool) {
    let (oa, ob) = (cx.object(a), cx.object(b));
    let (ia, ib) = match merge {
        Some(m) => (
            identity(cx, oa, &m.below_first),
            identity(cx, ob, &m.below_second),
        ),
        None => (final_identity(cx, a), final_identity(cx, b)),
    };
    let effective = |ns: &Option<String>| ns.clone().unwrap_or_else(|| "default".into());
    let moved = ia.0 == ib.0
        && !is_cluster_scoped(ob.group(), ob.kind())
        && effective(&ia.1) != effective(&ib.1);
    if moved {
        return ("namespace transformation produces ID conflict".into(), true);
    }
    (
        format!(
            "may not add resource with an already registered id: {}",
            res_id(ob, &ib)
        ),
        false,
    )
}

fn accumulating<'a>(cx: &Ctx<'a, '_>, k: KustId) -> impl Iterator<Item = &'a PathEntry> + 'a {
    cx.model
        .get(k)
        .entries
        .iter()
        .filter(|e| matches!(e.role, Role::Resource | Role::Base | Role::Component))
}

/// The kustomizations from `k` down to the one listing `file`, top first, if `k` reaches it.
fn path_to(
    cx: &Ctx<'_, '_>,
    k: KustId,
    file: FileId,
    stack: &mut Vec<KustId>,
) -> Option<Vec<KustId>> {
    if stack.contains(&k) {
        return None;
    }
    stack.push(k);
    let found = accumulating(cx, k).find_map(|e| {
        let mut below = below(cx, e, file, stack)?;
        below.insert(0, k);
        Some(below)
    });
    stack.pop();
    found
}

/// The kustomizations between entry `e` and `file`, if the entry reaches it.
fn below(
    cx: &Ctx<'_, '_>,
    e: &PathEntry,
    file: FileId,
    stack: &mut Vec<KustId>,
) -> Option<Vec<KustId>> {
    match e.target {
        Target::File(f) if f == file => Some(Vec::new()),
        Target::Dir(Some(sub)) => path_to(cx, sub, file, stack),
        _ => None,
    }
}

/// Walk down from `root` to where the two copies come from different entries (or, for two
/// documents of one file, from the same file entry).
fn merge_point<'m>(
    cx: &Ctx<'m, '_>,
    root: KustId,
    a: FileId,
    b: FileId,
    same: bool,
) -> Option<Merge<'m>> {
    let mut k = root;
    for _ in 0..=cx.model.kusts.len() {
        let entries: Vec<&'m PathEntry> = accumulating(cx, k).collect();
        let reach = |file: FileId| {
            entries
                .iter()
                .enumerate()
                .filter_map(move |(i, e)| Some((i, below(cx, e, file, &mut vec![k])?)))
        };
        let mut from_a = reach(a);
        let (ia, below_a) = from_a.next()?;
        let second = if same { from_a.next() } else { reach(b).next() };
        match (second, entries[ia].target.clone()) {
            (Some((ib, below_b)), target) if ib != ia || matches!(target, Target::File(_)) => {
                return Some(Merge {
                    kust: k,
                    first: entries[ia],
                    second: entries[ib],
                    below_first: below_a,
                    below_second: below_b,
                })
            }
            (Some(_), Target::Dir(Some(sub))) => k = sub,
            (None, Target::Dir(Some(sub))) if same => k = sub,
            _ => return None,
        }
    }
    None
}

/// Name and namespace of an object as it leaves the kustomizations `chain` (top first), in
/// the order kustomize applies them: the deepest first, `namespace:` before the prefixes.
fn identity(cx: &Ctx<'_, '_>, o: &Object, chain: &[KustId]) -> (String, Option<String>) {
    let (mut name, mut ns) = (o.name().to_string(), o.namespace().map(str::to_string));
    for &k in chain.iter().rev() {
        let Some(root) = cx.model.get(k).root(cx.parsed) else {
            continue;
        };
        let s = |key: &str| root.get(key).and_then(Node::as_str).unwrap_or("");
        if !s("namespace").is_empty() && !is_cluster_scoped(o.group(), o.kind()) {
            ns = Some(s("namespace").to_string());
        }
        if !(o.group().is_empty() && o.kind() == "Namespace") {
            name = format!("{}{name}{}", s("namePrefix"), s("nameSuffix"));
        }
    }
    (name, ns)
}

fn final_identity(cx: &Ctx<'_, '_>, id: InstId) -> (String, Option<String>) {
    let inst = cx.index.inst(id);
    (
        inst.name.to_string(),
        inst.namespace.as_deref().map(String::from),
    )
}

/// kustomize's spelling of an object id: `ConfigMap.v1.[noGrp]/a.[noNs]`.
fn res_id(o: &Object, (name, ns): &(String, Option<String>)) -> String {
    let (group, version) = match o.api_version().rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("[noGrp]", o.api_version()),
    };
    let ns = ns.as_deref().unwrap_or("[noNs]");
    format!("{}.{version}.{group}/{name}.{ns}", o.kind())
}
