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
    /// `apiVersion`, `kind`, `metadata.name` and `metadata.namespace` one after another, read
    /// through their methods: a run holds one object per document (110,000 at 20,000 apps),
    /// and four strings were four allocations and 96 bytes of string headers each.
    text: Box<str>,
    /// Where the kind, the name and the namespace start in `text`.
    at: [u32; 3],
    /// `metadata.namespace` is set (and not empty).
    namespaced: bool,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Object>() == 48);

impl Object {
    pub fn new(
        file: FileId,
        doc: u32,
        item: Option<u32>,
        [api_version, kind, name]: [&str; 3],
        namespace: Option<&str>,
    ) -> Object {
        let namespace = namespace.filter(|n| !n.is_empty());
        let mut text = String::with_capacity(
            api_version.len() + kind.len() + name.len() + namespace.map_or(0, str::len),
        );
        let mut at = [0; 3];
        for (i, part) in [api_version, kind, name, namespace.unwrap_or_default()]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                // A document's text is under the file size limit, far below 4 GiB.
                at[i - 1] = u32::try_from(text.len()).unwrap_or(u32::MAX);
            }
            text.push_str(part);
        }
        Object {
            file,
            doc,
            item,
            text: text.into_boxed_str(),
            at,
            namespaced: namespace.is_some(),
        }
    }

    /// Part `i` of `text` (0: apiVersion, 1: kind, 2: name, 3: namespace).
    fn part(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.at[i - 1] as usize };
        let end = self.at.get(i).map_or(self.text.len(), |&e| e as usize);
        self.text.get(start..end).unwrap_or_default()
    }

    pub fn api_version(&self) -> &str {
        self.part(0)
    }

    pub fn kind(&self) -> &str {
        self.part(1)
    }

    pub fn name(&self) -> &str {
        self.part(2)
    }

    /// `metadata.namespace`, when set and not empty.
    pub fn namespace(&self) -> Option<&str> {
        self.namespaced.then(|| self.part(3))
    }

    /// API group: `""` for the core group (`v1`), else the part before the `/`.
    pub fn group(&self) -> &str {
        group_of(self.api_version())
    }

    pub fn is(&self, group: &str, kind: &str) -> bool {
        self.kind() == kind && self.group() == group
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
    let field = |path: &str| root.at(path).and_then(Node::as_str);
    Some(Object::new(
        file,
        doc as u32,
        item.map(|i| i as u32),
        [
            field("apiVersion")?,
            field("kind")?,
            field("metadata.name")?,
        ],
        field("metadata.namespace"),
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_reads_back_each_of_its_names() {
        for (names, namespace) in [
            (["apps/v1", "Deployment", "web"], Some("prod")),
            (["v1", "ConfigMap", "wörld-config"], None),
            (["v1", "Namespace", "x"], Some("")),
            (["", "", ""], Some("ns")),
            (["networking.k8s.io/v1", "Ingress", ""], None),
        ] {
            let o = Object::new(FileId(3), 1, Some(2), names, namespace);
            assert_eq!(
                [o.api_version(), o.kind(), o.name()],
                names,
                "{names:?} in {namespace:?}"
            );
            assert_eq!(o.namespace(), namespace.filter(|n| !n.is_empty()));
            assert_eq!((o.file, o.doc, o.item), (FileId(3), 1, Some(2)));
        }
    }
}
