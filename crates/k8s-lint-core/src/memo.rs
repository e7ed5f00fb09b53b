//! What the per-instance rules found about each instance, kept by an editor's session from one
//! lint to the next.
//!
//! An [`InstanceRule`](crate::rule::InstanceRule) reads one instance and nothing else: its
//! tree, typed view, object, deployed name and namespace, and the settings. For an instance as
//! written (no build patched its tree) the tree and the view are its file's, so what the rules
//! found holds while that file, the instance's build, its deployed name and namespace, and the
//! options stay as they were. The session forgets a file's entries when the file is edited, and
//! every entry when the kustomize model is made again (build ids are renumbered) or the
//! repository is read again (file ids are).
//!
//! It keeps each file's suppressions too, which follow from the file alone, and are forgotten
//! with its entries.

use crate::finding::Finding;
use crate::kustomize::build::Instance;
use crate::kustomize::KustId;
use crate::object::Object;
use crate::source::FileId;
use crate::suppress::Suppression;

#[derive(Debug, Default)]
pub struct Memo {
    /// By file id: an entry per instance of the file's objects.
    files: Vec<Vec<Entry>>,
    /// By file id: the file's suppressions, which follow from its text alone (`None`: not
    /// found since the file was read or edited).
    suppressions: Vec<Option<Vec<Suppression>>>,
}

#[derive(Debug)]
struct Entry {
    doc: u32,
    item: Option<u32>,
    build: Option<KustId>,
    name: String,
    namespace: Option<String>,
    opaque: bool,
    /// What every per-instance rule that runs found, in rule order.
    findings: Vec<Finding>,
}

impl Entry {
    /// The same object in the same build: one entry each (a later lint replaces it).
    fn place(&self, o: &Object, inst: &Instance<'_>) -> bool {
        self.doc == o.doc && self.item == o.item && self.build == inst.build
    }
}

impl Memo {
    /// What was found about this instance as written, if nothing it depends on changed since.
    pub fn get(&self, o: &Object, inst: &Instance<'_>) -> Option<&[Finding]> {
        let entry = self
            .files
            .get(o.file.0 as usize)?
            .iter()
            .find(|e| e.place(o, inst))?;
        let same = entry.name == *inst.name
            && entry.namespace.as_deref() == inst.namespace.as_deref()
            && entry.opaque == inst.opaque;
        same.then_some(&entry.findings[..])
    }

    /// Keep what the rules found about an instance as written.
    pub fn put(&mut self, o: &Object, inst: &Instance<'_>, findings: Vec<Finding>) {
        let i = o.file.0 as usize;
        if self.files.len() <= i {
            self.files.resize_with(i + 1, Vec::new);
        }
        let entry = Entry {
            doc: o.doc,
            item: o.item,
            build: inst.build,
            name: inst.name.to_string(),
            namespace: inst.namespace.as_deref().map(String::from),
            opaque: inst.opaque,
            findings,
        };
        let entries = &mut self.files[i];
        match entries.iter_mut().find(|e| e.place(o, inst)) {
            Some(e) => *e = entry,
            None => entries.push(entry),
        }
    }

    /// The suppressions of `file`, found by `find` unless they are kept.
    pub fn suppressions(
        &mut self,
        file: FileId,
        find: impl FnOnce() -> Vec<Suppression>,
    ) -> &[Suppression] {
        let i = file.0 as usize;
        if self.suppressions.len() <= i {
            self.suppressions.resize_with(i + 1, || None);
        }
        self.suppressions[i].get_or_insert_with(find)
    }

    /// The file changed: what was found about its objects, and its suppressions, no longer
    /// hold.
    pub fn forget(&mut self, file: FileId) {
        if let Some(entries) = self.files.get_mut(file.0 as usize) {
            *entries = Vec::new();
        }
        if let Some(kept) = self.suppressions.get_mut(file.0 as usize) {
            *kept = None;
        }
    }

    pub fn clear(&mut self) {
        self.files = Vec::new();
        self.suppressions = Vec::new();
    }
}
