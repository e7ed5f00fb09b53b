//! Replay `kustomize build` on every build root, without running anything: accumulate the
//! resources in order, apply components, then each level's patches, `namespace`,
//! `namePrefix`/`nameSuffix` and labels. The result is one [`Instance`] per object per build,
//! carrying the name, namespace and (when changed) tree that the cluster will see.

use std::borrow::Cow;
use std::collections::HashSet;
use std::ops::Range;

use super::patch::strategic_merge;
use super::{KustId, Model, Role, Target};
use crate::object::{is_cluster_scoped, Object, ObjectId};
use crate::source::Span;
use crate::yaml::{self, Entry, Node, Parsed, Style, Value, ValueMut};

/// An object as one build (or the plain directory it sits in) deploys it.
#[derive(Debug, Clone)]
pub struct Instance<'s> {
    pub object: ObjectId,
    /// The build root it was accumulated under; `None` for a plain directory.
    pub build: Option<KustId>,
    /// Borrowed from the object until a transformer renames it: a build of thousands of
    /// objects then copies no names.
    pub name: Cow<'s, str>,
    pub namespace: Option<Cow<'s, str>>,
    /// The tree after patches and labels, when they changed it.
    pub patched: Option<Box<Node<'s>>>,
    /// A transformation we do not model touched it: rules stay silent about it.
    pub opaque: bool,
}

impl<'s> Instance<'s> {
    fn new(object: ObjectId, o: &'s Object) -> Instance<'s> {
        Instance {
            object,
            build: None,
            name: Cow::Borrowed(o.name()),
            namespace: o.namespace().map(Cow::Borrowed),
            patched: None,
            opaque: false,
        }
    }

    pub fn root<'a>(&'a self, objects: &[Object], parsed: &'a [Parsed<'s>]) -> &'a Node<'s> {
        match &self.patched {
            Some(node) => node,
            None => objects[self.object.0 as usize].root(parsed),
        }
    }

    fn root_mut(&mut self, objects: &[Object], parsed: &'s [Parsed<'s>]) -> &mut Node<'s> {
        if self.patched.is_none() {
            // Shared, not copied: a patch or a label copies only the nodes on its way.
            let original = Node::share(objects[self.object.0 as usize].root(parsed));
            self.patched = Some(Box::new(original));
        }
        self.patched.as_mut().expect("just set")
    }
}

/// Every deployed instance, and the builds that also deploy objects the repo cannot show.
#[derive(Debug, Default)]
pub struct Built<'s> {
    pub instances: Vec<Instance<'s>>,
    pub incomplete: Vec<Incomplete>,
    /// Kustomization entries not followed because they nest deeper than [`MAX_BUILD_DEPTH`].
    pub too_deep: Vec<(Span, String)>,
}

/// What may put objects into a build that no file of the walk shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hidden {
    /// A remote base or resource (`github.com/...`, a URL).
    Remote,
    /// `helmCharts`: rendered by kustomize with Helm at build time.
    Helm,
    /// A KRM generator plugin (`generators:`).
    Plugin,
    /// A path outside the linted paths (linting a sub-tree).
    Outside,
    /// A listed file that exists but is not linted (ignored, or not YAML).
    Unread,
    /// A kustomization nested deeper than [`MAX_BUILD_DEPTH`]: not followed.
    TooDeep,
}

/// A build root that deploys objects we cannot see, the first entry that says so, and the
/// namespace its kustomization forces (if any). A missing entry is not one: kustomize fails
/// that build, which is a finding of its own, and the rest of the build is still judged.
#[derive(Clone, Debug)]
pub struct Incomplete {
    pub build: KustId,
    pub namespace: Option<String>,
    pub hidden: Hidden,
    /// The entry (or field) that brings the objects in.
    pub span: Span,
    /// The entry as written, for messages.
    pub text: String,
}

pub struct Builder<'a, 's> {
    pub model: &'a Model,
    /// Borrowed for `'s`: an instance's tree shares what no transformer changes with its
    /// file's tree ([`Node::share`]).
    pub parsed: &'s [Parsed<'s>],
    pub objects: &'s [Object],
    /// Objects of each file, by file index.
    pub by_file: &'a [Range<u32>],
}

/// Deepest chain of kustomizations built; a deeper entry is not followed (and reported). Real
/// trees are a handful of levels deep; the limit keeps the recursion far from the stack's end.
pub const MAX_BUILD_DEPTH: usize = 200;

struct Run {
    stack: Vec<KustId>,
    visited: HashSet<KustId>,
    /// How often each kustomization was built into the current root. A base reached by two
    /// paths is built twice (kustomize then fails on the duplicate ids, which is reported); a
    /// third time adds nothing new, and stopping there keeps a lattice of shared bases from
    /// being rebuilt once per path (exponential in its depth).
    visits: std::collections::HashMap<KustId, u8>,
    /// The first reason the current build deploys objects we cannot see.
    hidden: Option<(Hidden, Span, String)>,
    /// Entries not followed because they nest too deep, once each.
    too_deep: Vec<(Span, String)>,
}

impl Run {
    fn hide(&mut self, hidden: Hidden, span: Span, text: &str) {
        self.hidden
            .get_or_insert_with(|| (hidden, span, text.to_string()));
    }
}

impl<'s> Builder<'_, 's> {
    pub fn build_all(&self, in_kustomize_tree: impl Fn(usize) -> bool) -> Built<'s> {
        let mut built = Built::default();
        let mut run = Run {
            stack: Vec::new(),
            visited: HashSet::new(),
            visits: std::collections::HashMap::new(),
            hidden: None,
            too_deep: Vec::new(),
        };
        let mut roots = self.model.roots();
        // Kustomizations only reachable through a cycle have no root; build them on their own.
        let mut next = 0;
        while next <= self.model.kusts.len() {
            for root in std::mem::take(&mut roots) {
                run.hidden = None;
                run.visits.clear();
                let mut acc = self.build(root, &mut run);
                for inst in &mut acc {
                    inst.build = Some(root);
                }
                if let Some((hidden, span, text)) = run.hidden.take() {
                    built.incomplete.push(Incomplete {
                        build: root,
                        namespace: self.namespace_of(root),
                        hidden,
                        span,
                        text,
                    });
                }
                built.instances.extend(acc);
            }
            match (next..self.model.kusts.len()).find(|&i| !run.visited.contains(&KustId(i as u32)))
            {
                Some(i) => {
                    roots.push(KustId(i as u32));
                    next = i + 1;
                }
                None => break,
            }
        }
        built.too_deep = std::mem::take(&mut run.too_deep);
        for (file, range) in self.by_file.iter().enumerate() {
            // Cheapest first: asking whether a directory is in a kustomize tree walks its
            // parents, and most files with objects are listed by a kustomization anyway.
            if range.is_empty()
                || self
                    .model
                    .resources
                    .contains(&crate::source::FileId(file as u32))
                || in_kustomize_tree(file)
            {
                continue;
            }
            for id in range.clone() {
                let id = ObjectId(id);
                built
                    .instances
                    .push(Instance::new(id, &self.objects[id.0 as usize]));
            }
        }
        built
    }

    fn namespace_of(&self, k: KustId) -> Option<String> {
        let root = self.model.get(k).root(self.parsed)?;
        root.get("namespace")
            .and_then(Node::as_str)
            .map(String::from)
    }

    /// Whether to build `sub` (listed by entry `e`) into the current root: not a third time,
    /// and not deeper than [`MAX_BUILD_DEPTH`].
    fn enter(&self, sub: KustId, e: &super::PathEntry, run: &mut Run) -> bool {
        if run.stack.len() >= MAX_BUILD_DEPTH {
            run.hide(Hidden::TooDeep, e.span, &e.text);
            if !run.too_deep.iter().any(|(s, _)| *s == e.span) {
                run.too_deep.push((e.span, e.text.to_string()));
            }
            // Everything below counts as seen: built on its own, each part of the chain would
            // look like a root of its own, and report the limit again.
            let mut below = vec![sub];
            while let Some(k) = below.pop() {
                if run.visited.insert(k) {
                    below.extend(
                        self.model
                            .get(k)
                            .entries
                            .iter()
                            .filter_map(|e| match e.target {
                                Target::Dir(Some(d)) => Some(d),
                                _ => None,
                            }),
                    );
                }
            }
            return false;
        }
        let visits = run.visits.entry(sub).or_insert(0);
        if *visits >= 2 {
            return false;
        }
        *visits += 1;
        true
    }

    fn build(&self, k: KustId, run: &mut Run) -> Vec<Instance<'s>> {
        run.visited.insert(k);
        run.stack.push(k);
        let mut acc = Vec::new();
        self.add_resources(k, &mut acc, run);
        self.add_components(k, &mut acc, run);
        self.transform(k, &mut acc, run);
        run.stack.pop();
        acc
    }

    fn add_resources(&self, k: KustId, acc: &mut Vec<Instance<'s>>, run: &mut Run) {
        let kust = self.model.get(k);
        if let Some(root) = kust.root(self.parsed) {
            for chart in root.get("helmCharts").and_then(Node::as_seq).unwrap_or(&[]) {
                let name = chart.get("name").and_then(Node::as_str).unwrap_or("?");
                run.hide(Hidden::Helm, chart.span, name);
            }
            // Generators listed by path are plugin configs too; both may make any object.
            for g in root.get("generators").and_then(Node::as_seq).unwrap_or(&[]) {
                let text = g.as_str().unwrap_or("an inline generator");
                run.hide(Hidden::Plugin, g.span, text);
            }
        }
        for e in kust
            .entries
            .iter()
            .filter(|e| matches!(e.role, Role::Resource | Role::Base))
        {
            match &e.target {
                Target::File(f) => {
                    for id in self.by_file[f.0 as usize].clone() {
                        let id = ObjectId(id);
                        acc.push(Instance::new(id, &self.objects[id.0 as usize]));
                    }
                }
                Target::Dir(Some(sub)) if !run.stack.contains(sub) => {
                    if self.enter(*sub, e, run) {
                        acc.extend(self.build(*sub, run));
                    }
                }
                Target::Dir(Some(_)) | Target::Inline => {}
                Target::Remote => run.hide(Hidden::Remote, e.span, &e.text),
                Target::OtherFile => run.hide(Hidden::Unread, e.span, &e.text),
                // A path leaving the repository is refused outright (its own finding); one
                // inside it but outside the linted paths holds objects we do not see.
                Target::Outside | Target::Escapes if self.model.escapes_repository(e) => {}
                Target::Outside => run.hide(Hidden::Outside, e.span, &e.text),
                // kustomize refuses the build: reported where the entry is written.
                Target::Dir(None) | Target::Missing | Target::WrongType | Target::Escapes => {}
            }
        }
    }

    fn add_components(&self, k: KustId, acc: &mut Vec<Instance<'s>>, run: &mut Run) {
        for e in self.model.get(k).entries(Role::Component) {
            match e.target {
                Target::Dir(Some(c)) if !run.stack.contains(&c) => {
                    if !self.enter(c, e, run) {
                        continue;
                    }
                    run.visited.insert(c);
                    run.stack.push(c);
                    self.add_resources(c, acc, run);
                    self.add_components(c, acc, run);
                    self.transform(c, acc, run);
                    run.stack.pop();
                }
                Target::Dir(Some(_)) => {}
                Target::Remote => run.hide(Hidden::Remote, e.span, &e.text),
                Target::Outside if !self.model.escapes_repository(e) => {
                    run.hide(Hidden::Outside, e.span, &e.text)
                }
                _ => {}
            }
        }
    }

    /// This level's transformers, in kustomize's order.
    fn transform(&self, k: KustId, acc: &mut Vec<Instance<'s>>, run: &mut Run) {
        let kust = self.model.get(k);
        let Some(root) = kust.root(self.parsed) else {
            return;
        };
        self.patch_strategic_merge(k, root, acc);
        self.patches(k, root, acc);
        for p in root
            .get("patchesJson6902")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
        {
            self.mark_targets(p.get("target"), acc);
        }
        if let Some(ns) = root.get("namespace").and_then(Node::as_str) {
            for inst in acc.iter_mut() {
                let o = &self.objects[inst.object.0 as usize];
                if o.is("", "Namespace") {
                    // kustomize's namespace transformer renames Namespace objects too.
                    inst.name = Cow::Owned(ns.to_string());
                } else if !is_cluster_scoped(o.group(), o.kind()) {
                    inst.namespace = Some(Cow::Owned(ns.to_string()));
                }
            }
        }
        let prefix = root.get("namePrefix").and_then(Node::as_str).unwrap_or("");
        let suffix = root.get("nameSuffix").and_then(Node::as_str).unwrap_or("");
        if !prefix.is_empty() || !suffix.is_empty() {
            for inst in acc.iter_mut() {
                let o = &self.objects[inst.object.0 as usize];
                if !(o.group() == "" && o.kind() == "Namespace") {
                    inst.name = Cow::Owned(format!("{prefix}{}{suffix}", inst.name));
                }
            }
        }
        self.labels(root, acc);
        self.replacements(root, acc, run);
    }

    fn patch_strategic_merge(&self, k: KustId, root: &Node<'s>, acc: &mut Vec<Instance<'s>>) {
        let kust = self.model.get(k);
        for item in root
            .get("patchesStrategicMerge")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
        {
            let docs = match item.as_str() {
                Some(text) if super::is_inline_patch(text) => inline_docs(text, item.span),
                Some(_) => kust
                    .entries(Role::PatchStrategicMerge)
                    .find(|e| e.span == item.span)
                    .map(|e| self.file_docs(&e.target))
                    .unwrap_or_default(),
                None => Vec::new(),
            };
            for doc in &docs {
                self.apply(doc, None, acc);
            }
        }
    }

    fn patches(&self, k: KustId, root: &Node<'s>, acc: &mut Vec<Instance<'s>>) {
        let kust = self.model.get(k);
        for item in root.get("patches").and_then(Node::as_seq).unwrap_or(&[]) {
            let docs = if let Some(path) = item.get("path") {
                kust.entries(Role::Patch)
                    .find(|e| e.span == path.span)
                    .map(|e| self.file_docs(&e.target))
                    .unwrap_or_default()
            } else if let Some(text) = item.get("patch").and_then(Node::as_str) {
                inline_docs(text, item.get("patch").map_or(item.span, |p| p.span))
            } else {
                Vec::new()
            };
            for doc in &docs {
                self.apply(doc, item.get("target"), acc);
            }
        }
    }

    fn file_docs(&self, target: &Target) -> Vec<Node<'s>> {
        match target {
            Target::File(f) => self.parsed[f.0 as usize]
                .docs
                .iter()
                .filter_map(|d| d.root.clone())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Apply one patch document: a strategic merge onto the objects it names (or its
    /// `target` selects); anything else (a JSON 6902 op list) leaves its targets opaque.
    fn apply(&self, patch: &Node<'s>, target: Option<&Node<'s>>, acc: &mut Vec<Instance<'s>>) {
        if patch.as_map().is_none() {
            self.mark_targets(target, acc);
            return;
        }
        let own = Selector::of_patch(patch);
        let selector = match target {
            Some(t) => Selector::of_target(t),
            None => own,
        };
        // `$patch: delete` removes the objects it names from the build.
        if patch.get("$patch").and_then(Node::as_str) == Some("delete") {
            acc.retain_mut(|inst| match selector.matches(inst, self.objects) {
                Match::Yes => false,
                // It may be gone: nothing about it can be trusted.
                Match::Maybe => {
                    inst.opaque = true;
                    true
                }
                Match::No => true,
            });
            return;
        }
        for inst in acc.iter_mut() {
            match selector.matches(inst, self.objects) {
                Match::No => {}
                Match::Maybe => inst.opaque = true,
                Match::Yes => {
                    let node = inst.root_mut(self.objects, self.parsed);
                    if strategic_merge(node, &patch_without_identity(patch)).is_err() {
                        inst.opaque = true;
                    }
                }
            }
        }
    }

    fn mark_targets(&self, target: Option<&Node<'s>>, acc: &mut [Instance<'s>]) {
        let selector = target.map_or(Selector::any(), Selector::of_target);
        for inst in acc.iter_mut() {
            if selector.matches(inst, self.objects) != Match::No {
                inst.opaque = true;
            }
        }
    }

    fn replacements(&self, root: &Node<'s>, acc: &mut [Instance<'s>], _run: &mut Run) {
        for r in root
            .get("replacements")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
        {
            let targets = r.get("targets").and_then(Node::as_seq);
            match targets {
                Some(targets) => {
                    for t in targets {
                        self.mark_targets(t.get("select"), acc);
                    }
                }
                // A replacement file: we do not read it, so anything may change.
                None => self.mark_targets(None, acc),
            }
        }
    }

    fn labels(&self, root: &Node<'s>, acc: &mut [Instance<'s>]) {
        let mut sets: Vec<(&Node<'s>, bool, bool)> = Vec::new();
        if let Some(common) = root.get("commonLabels") {
            sets.push((common, true, true));
        }
        for l in root.get("labels").and_then(Node::as_seq).unwrap_or(&[]) {
            if let Some(pairs) = l.get("pairs") {
                let flag = |k: &str| l.get(k).and_then(Node::scalar_text) == Some("true");
                let selectors = flag("includeSelectors");
                sets.push((pairs, selectors, selectors || flag("includeTemplates")));
            }
        }
        for (pairs, selectors, templates) in sets {
            let Some(entries) = pairs.as_map() else {
                continue;
            };
            for inst in acc.iter_mut() {
                let o = &self.objects[inst.object.0 as usize];
                let (selector_paths, template_paths) = label_paths(o.group(), o.kind());
                let node = inst.root_mut(self.objects, self.parsed);
                for entry in entries {
                    set_label(node, &["metadata", "labels"], entry);
                    if selectors {
                        for path in selector_paths {
                            set_label(node, path, entry);
                        }
                    }
                    if templates {
                        for path in template_paths {
                            set_label(node, path, entry);
                        }
                    }
                }
            }
        }
    }
}

/// Where kustomize's label transformer writes selectors and pod-template labels for a kind.
fn label_paths(
    group: &str,
    kind: &str,
) -> (
    &'static [&'static [&'static str]],
    &'static [&'static [&'static str]],
) {
    const TEMPLATE: &[&[&str]] = &[&["spec", "template", "metadata", "labels"]];
    match (group, kind) {
        ("", "Service") => (&[&["spec", "selector"]], &[]),
        ("", "ReplicationController") => (&[&["spec", "selector"]], TEMPLATE),
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => {
            (&[&["spec", "selector", "matchLabels"]], TEMPLATE)
        }
        ("batch", "Job") => (&[], TEMPLATE),
        ("batch", "CronJob") => (
            &[],
            &[&[
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "metadata",
                "labels",
            ]],
        ),
        _ => (&[], &[]),
    }
}

/// Set `key: value` in the map at `path`, creating the maps on the way. Values are stored as
/// strings, as kustomize's `map[string]string` labels are.
fn set_label<'s>(node: &mut Node<'s>, path: &[&str], label: &Entry<'s>) {
    let Some((key, rest)) = path.split_first() else {
        let mut value = label.value().clone();
        value.set_style(Style::Quoted);
        let key = label.key_text();
        node.map_mut(
            |entries| match entries.iter_mut().find(|e| e.key_text() == key) {
                Some(e) => *e.value_mut() = value,
                None => entries.push(Entry::new(label.key().clone(), value)),
            },
        );
        return;
    };
    let found =
        node.map_mut(
            |entries| match entries.iter().position(|e| e.key_text() == Some(key)) {
                Some(i) => i,
                None => {
                    entries.push(Entry::new(
                        synthetic(key, label.key_span()),
                        Node::new(label.key_span(), Value::Map(Box::default())),
                    ));
                    entries.len() - 1
                }
            },
        );
    let (Some(i), ValueMut::Map(entries)) = (found, node.value_mut()) else {
        return;
    };
    let mut child = entries[i].value_mut();
    if child.is_null() {
        child.set_value(Value::Map(Box::default()));
    }
    set_label(&mut child, rest, label);
}

fn synthetic<'s>(text: &str, span: Span) -> Node<'s> {
    Node::new(
        span,
        Value::Scalar(yaml::Scalar::new(
            std::borrow::Cow::Owned(text.to_string()),
            Style::Plain,
            yaml::TagHint::None,
        )),
    )
}

/// A patch without `apiVersion`/`kind`/`metadata.name`, which identify rather than change.
fn patch_without_identity<'s>(patch: &Node<'s>) -> Node<'s> {
    let mut out = patch.clone();
    out.map_mut(|entries| {
        entries.retain(|e| !matches!(e.key_text(), Some("apiVersion" | "kind")));
        if let Some(meta) = entries
            .iter_mut()
            .find(|e| e.key_text() == Some("metadata"))
        {
            meta.value_mut()
                .map_mut(|m| m.retain(|e| !matches!(e.key_text(), Some("name" | "namespace"))));
        }
    });
    out
}

/// Documents of an inline patch. Their nodes all point at the inline text in the
/// kustomization: positions inside a block scalar are not positions in the file.
fn inline_docs<'s>(text: &str, span: Span) -> Vec<Node<'s>> {
    yaml::parse(span.file, text)
        .docs
        .into_vec()
        .into_iter()
        .filter_map(|d| d.root)
        .map(|root| {
            let mut root = root.into_owned();
            root.respan(span);
            root
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq)]
enum Match {
    Yes,
    No,
    /// A regex name or a label selector: we cannot tell, so we do not pretend.
    Maybe,
}

#[derive(Default)]
struct Selector {
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    fuzzy: bool,
}

impl Selector {
    fn any() -> Selector {
        Selector {
            fuzzy: true,
            ..Selector::default()
        }
    }

    fn of_patch(patch: &Node<'_>) -> Selector {
        let s = |p: &str| patch.at(p).and_then(Node::as_str).map(String::from);
        Selector {
            kind: s("kind"),
            name: s("metadata.name"),
            namespace: s("metadata.namespace"),
            fuzzy: false,
        }
    }

    fn of_target(target: &Node<'_>) -> Selector {
        let s = |p: &str| target.get(p).and_then(Node::as_str).map(String::from);
        let name = s("name");
        let regex = name
            .as_deref()
            .is_some_and(|n| n.contains(|c: char| "*?[](){}|^$+\\.".contains(c)));
        Selector {
            kind: s("kind"),
            name,
            namespace: s("namespace"),
            fuzzy: regex
                || target.get("labelSelector").is_some()
                || target.get("annotationSelector").is_some(),
        }
    }

    fn matches(&self, inst: &Instance<'_>, objects: &[Object]) -> Match {
        let o = &objects[inst.object.0 as usize];
        if self.kind.as_ref().is_some_and(|k| *k != o.kind()) {
            return Match::No;
        }
        if self
            .namespace
            .as_ref()
            .is_some_and(|n| inst.namespace.as_ref().is_some_and(|i| i != n))
        {
            return Match::No;
        }
        if self.fuzzy {
            return Match::Maybe;
        }
        match &self.name {
            Some(n) if *n == inst.name || *n == o.name() => Match::Yes,
            Some(_) => Match::No,
            None => Match::Yes,
        }
    }
}
