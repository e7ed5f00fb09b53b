//! Kubernetes objects found in the parsed documents.

use crate::source::FileId;
use crate::yaml::{Node, Parsed};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(pub u32);

/// A document (or `kind: List` item) with string `apiVersion`, `kind` and `metadata.name`.
/// Its tree stays in the parsed file; `doc` and `item` say where.
#[derive(Clone, Debug)]
pub struct Object {
    pub file: FileId,
    pub doc: u32,
    /// Index in `items` when the object is an item of a `kind: List`.
    pub item: Option<u32>,
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

impl Object {
    /// API group: `""` for the core group (`v1`), else the part before the `/`.
    pub fn group(&self) -> &str {
        group_of(&self.api_version)
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind == kind && self.group() == group
    }

    pub fn root<'a, 's>(&self, parsed: &'a [Parsed<'s>]) -> &'a Node<'s> {
        let root = parsed[self.file.0 as usize].docs[self.doc as usize]
            .root
            .as_ref()
            .expect("objects come from documents with a root");
        match self.item {
            Some(i) => root
                .get("items")
                .and_then(|items| items.idx(i as usize))
                .expect("list items were indexed from this tree"),
            None => root,
        }
    }
}

pub fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

/// Whether a document root is a kustomize Kustomization or Component (not an object to lint).
pub fn is_kustomize_kind(root: &Node<'_>) -> bool {
    root.get("apiVersion")
        .and_then(Node::as_str)
        .is_some_and(|v| v.starts_with("kustomize.config.k8s.io/"))
}

/// Every file's objects in file order, and each file's range of them: made once, and by an
/// editor's session kept across edits (an edit replaces one file's range).
#[derive(Clone, Debug, Default)]
pub struct Objects {
    pub list: Vec<Object>,
    pub by_file: Vec<std::ops::Range<u32>>,
}

impl Objects {
    /// The objects of every tree; `skip(i)`: file `i` holds none (a kustomization). Found
    /// file by file on all cores (a tenth of a second of 20,000 apps, done serially), then
    /// laid out in file order in one list of its exact length.
    pub fn of(parsed: &[Parsed<'_>], skip: impl Fn(usize) -> bool + Sync) -> Objects {
        use rayon::prelude::*;
        let per_file: Vec<Vec<Object>> = parsed
            .par_iter()
            .enumerate()
            .map(|(i, p)| {
                let mut found = Vec::new();
                if !skip(i) {
                    objects_in(FileId(i as u32), p, &mut found);
                }
                found
            })
            .collect();
        let mut out = Objects {
            list: Vec::with_capacity(per_file.iter().map(Vec::len).sum()),
            by_file: Vec::with_capacity(per_file.len()),
        };
        for found in per_file {
            let start = out.list.len() as u32;
            out.list.extend(found);
            out.by_file.push(start..out.list.len() as u32);
        }
        out
    }

    /// File `i`'s objects again, from its new tree (`None`: it holds none).
    pub fn replace(&mut self, i: usize, parsed: Option<&Parsed<'_>>) {
        let Some(range) = self.by_file.get(i).cloned() else {
            return;
        };
        let mut found = Vec::new();
        if let Some(p) = parsed {
            objects_in(FileId(i as u32), p, &mut found);
        }
        let delta = found.len() as i64 - range.len() as i64;
        let end = range.start + found.len() as u32;
        self.list
            .splice(range.start as usize..range.end as usize, found);
        self.by_file[i] = range.start..end;
        for r in &mut self.by_file[i + 1..] {
            *r = (r.start as i64 + delta) as u32..(r.end as i64 + delta) as u32;
        }
    }
}

/// Objects of one parsed file: each document root, or the items of a `kind: List` (or a typed
/// list such as `ConfigMapList`, which `kubectl apply` expands the same way).
pub fn objects_in(file: FileId, parsed: &Parsed<'_>, out: &mut Vec<Object>) {
    for (d, doc) in parsed.docs.iter().enumerate() {
        let Some(root) = &doc.root else { continue };
        let is_list = root
            .get("kind")
            .and_then(Node::as_str)
            .is_some_and(|k| k.ends_with("List"));
        match root.get("items").and_then(Node::as_seq) {
            Some(items) if is_list => {
                for (i, item) in items.iter().enumerate() {
                    out.extend(object(file, d, Some(i), item));
                }
            }
            _ => out.extend(object(file, d, None, root)),
        }
    }
}

fn object(file: FileId, doc: usize, item: Option<usize>, root: &Node<'_>) -> Option<Object> {
    if is_kustomize_kind(root) {
        return None;
    }
    let field = |path: &str| root.at(path).and_then(Node::as_str).map(str::to_string);
    Some(Object {
        file,
        doc: doc as u32,
        item: item.map(|i| i as u32),
        api_version: field("apiVersion")?,
        kind: field("kind")?,
        name: field("metadata.name")?,
        namespace: field("metadata.namespace").filter(|n| !n.is_empty()),
    })
}

/// Kinds that kustomize knows to be cluster-scoped: its `namespace:` leaves them alone.
/// Unknown kinds (CRDs) are namespaced to kustomize, so they are to us.
pub fn is_cluster_scoped(group: &str, kind: &str) -> bool {
    matches!(
        (group, kind),
        (
            "",
            "Namespace" | "Node" | "PersistentVolume" | "ComponentStatus"
        ) | (
            "rbac.authorization.k8s.io",
            "ClusterRole" | "ClusterRoleBinding"
        ) | ("apiextensions.k8s.io", "CustomResourceDefinition")
            | ("apiregistration.k8s.io", "APIService")
            | (
                "admissionregistration.k8s.io",
                "MutatingWebhookConfiguration"
                    | "ValidatingWebhookConfiguration"
                    | "ValidatingAdmissionPolicy"
                    | "ValidatingAdmissionPolicyBinding"
            )
            | ("networking.k8s.io", "IngressClass")
            | ("scheduling.k8s.io", "PriorityClass")
            | (
                "storage.k8s.io",
                "StorageClass" | "CSIDriver" | "CSINode" | "VolumeAttachment"
            )
            | ("node.k8s.io", "RuntimeClass")
            | ("policy", "PodSecurityPolicy")
            | ("certificates.k8s.io", "CertificateSigningRequest")
            | (
                "flowcontrol.apiserver.k8s.io",
                "FlowSchema" | "PriorityLevelConfiguration"
            )
    )
}
