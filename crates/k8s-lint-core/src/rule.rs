//! The rule contract: metadata plus one check over the whole index, or, for a rule whose
//! findings about an instance follow from that instance alone, a check of one instance that
//! can read nothing else ([`InstanceRule`], [`One`]).

use crate::finding::{Finding, Severity};
use crate::gitops::GitOps;
use crate::index::{Index, InstId, View};
use crate::kustomize::Model;
use crate::load::FileProblem;
use crate::object::Object;
use crate::pod::PodTemplateSpec;
use crate::resolve::Sources;
use crate::settings::Settings;
use crate::source::{FileId, SourceFile, Span};
use crate::suppress::Suppression;
use crate::yaml::{Node, Parsed};

#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id, the stem of `rules/<id>.md`.
    pub id: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// One line, for `k8s-lint rules` and SARIF `shortDescription`.
    pub summary: &'static str,
    /// Whether the rule runs unless configured otherwise (advisory rules may be opt-in).
    pub default_enabled: bool,
    /// What a finding of the rule depends on.
    pub scope: Scope,
    /// The kind of fix its findings may carry (`None`: the rule offers no fix). Rule pages
    /// say it, and the fixture tests hold every fix to it.
    pub fix: Option<crate::fix::Applicability>,
}

/// What a rule's findings depend on: one file, or what other files (anywhere in the
/// repository) show. Linting a sub-tree, only the first kind is fully in view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    File,
    Repository,
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>);
    /// Rules about suppressions run after the others, once suppressions are applied.
    fn after_suppressions(&self) -> bool {
        false
    }
    /// The rule's check of one instance, when its findings about an instance follow from that
    /// instance alone. The engine then runs it instance by instance, and an editor's session
    /// keeps what it found for each instance its edit did not change.
    fn per_instance(&self) -> Option<&dyn InstanceRule> {
        None
    }
}

/// A rule that looks at one instance at a time and at nothing else: its tree, typed view,
/// object, deployed name and namespace, and the settings. [`One`] offers only those, so a
/// finding cannot depend on another file, which is what makes keeping it across edits sound.
pub trait InstanceRule: Sync {
    fn rule_meta(&self) -> &'static RuleMeta;
    fn check_instance(&self, one: &One<'_, '_, '_>, out: &mut Vec<Finding>);
}

/// Every instance rule is a rule: its check over the repository is the check of every
/// instance in turn (the engine runs it instance by instance itself, see `per_instance`).
impl<T: InstanceRule> Rule for T {
    fn meta(&self) -> &'static RuleMeta {
        self.rule_meta()
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for id in cx.index.ids() {
            self.check_instance(&One { cx, id }, out);
        }
    }

    fn per_instance(&self) -> Option<&dyn InstanceRule> {
        Some(self)
    }
}

/// One instance, as an [`InstanceRule`] may read it.
pub struct One<'c, 'a, 's> {
    cx: &'c Ctx<'a, 's>,
    id: InstId,
}

impl<'c, 'a, 's> One<'c, 'a, 's> {
    pub(crate) fn new(cx: &'c Ctx<'a, 's>, id: InstId) -> Self {
        One { cx, id }
    }

    /// The tree, as the build deploys it.
    pub fn root(&self) -> &'a Node<'s> {
        self.cx.root(self.id)
    }

    pub fn view(&self) -> &'a View {
        self.cx.index.view(self.id)
    }

    pub fn object(&self) -> &'a Object {
        self.cx.object(self.id)
    }

    /// A transformation we do not model changed it (rules stay silent about it).
    pub fn opaque(&self) -> bool {
        self.cx.index.inst(self.id).opaque
    }

    /// Its pod template and the template's path in the tree, when it runs pods we can read.
    pub fn template(&self) -> Option<(&'a PodTemplateSpec, &'static str)> {
        self.cx.index.template(self.id)
    }

    /// `Kind namespace/name`, as [`Ctx::describe`].
    pub fn describe(&self) -> String {
        self.cx.describe(self.id)
    }

    pub fn settings(&self) -> &'a Settings {
        self.cx.settings
    }
}

/// Everything a rule may read, all built once before any rule runs.
pub struct Ctx<'a, 's> {
    pub files: &'a [SourceFile],
    /// The linted paths, absolute and normalised.
    pub roots: &'a [std::path::PathBuf],
    pub parsed: &'a [Parsed<'s>],
    pub file_problems: &'a [(FileId, FileProblem)],
    pub objects: &'a [Object],
    pub model: &'a Model,
    pub gitops: &'a GitOps,
    pub index: &'a Index<'s>,
    pub settings: &'a Settings,
    /// Suppressions found in the repository; their `used` flags are set only for the rules
    /// that run after suppressions.
    pub suppressions: &'a [Suppression],
    /// Ids of the rules that ran before suppressions were applied.
    pub ran: &'a [&'static str],
    /// Files with a syntax error or invalid UTF-8: they may hold objects we cannot see.
    pub broken_files: &'a [FileId],
    /// What the repository cannot show, for `resolve`.
    pub sources: &'a Sources,
    /// What the repository's scripts and doc pages do by hand.
    pub scripts: &'a crate::scripts::Scripts,
    /// Only part of the repository is linted (the paths given do not include its top): findings
    /// that depend on other files may be out of view.
    pub partial_view: bool,
    /// Where each kind is deployed, gathered by `resolve` at the first reference that needs it.
    pub(crate) placement: std::sync::OnceLock<crate::resolve::Placement<'a>>,
    /// The Services the Tailscale operator exposes (several rules ask, for every instance).
    pub(crate) exposed: PerInstance<(&'a crate::network::Service, Span)>,
    /// What each Service's selector selects (see `Ctx::service_pods`).
    pub(crate) service_pods: PerInstance<crate::resolve::Resolution>,
    /// Each readable Ingress's backends with the Service each names (see
    /// `Ctx::ingress_backends`).
    pub(crate) ingress_backends:
        PerInstance<Vec<(crate::network::Backend<'a>, crate::resolve::Resolution)>>,
}

/// What several rules ask of each of many instances: found for every instance at the first
/// ask, once per lint, and kept in instance order.
pub(crate) struct PerInstance<T>(std::sync::OnceLock<Vec<(InstId, T)>>);

impl<T> PerInstance<T> {
    pub(crate) fn new() -> Self {
        PerInstance(std::sync::OnceLock::new())
    }

    /// What `of` says of `id`, `of` having been asked of each of `ids` (in instance order) at
    /// the first call; `None` where it said nothing.
    pub(crate) fn get(
        &self,
        id: InstId,
        ids: impl Iterator<Item = InstId>,
        mut of: impl FnMut(InstId) -> Option<T>,
    ) -> Option<&T> {
        let all = self
            .0
            .get_or_init(|| ids.filter_map(|i| Some((i, of(i)?))).collect());
        let at = all.binary_search_by_key(&id, |e| e.0).ok()?;
        Some(&all[at].1)
    }
}

impl<'a, 's> Ctx<'a, 's> {
    pub fn object(&self, id: InstId) -> &'a Object {
        &self.objects[self.index.inst(id).object.0 as usize]
    }

    /// Objects of one file (objects are stored in file order).
    pub fn objects_of(&self, file: FileId) -> &'a [Object] {
        let start = self.objects.partition_point(|o| o.file < file);
        let end = self.objects.partition_point(|o| o.file <= file);
        &self.objects[start..end]
    }

    /// Every instance of this object is its file's own tree: no build patches, labels or
    /// substitutes anything in it. A fix edits the file, so it is safe only then: an edit
    /// decided on a patched tree would land in a base that other overlays deploy unpatched.
    pub fn as_written(&self, id: InstId) -> bool {
        let object = self.index.inst(id).object;
        self.index
            .instances
            .iter()
            .filter(|i| i.object == object)
            .all(|i| i.patched.is_none() && !i.opaque)
    }

    pub fn root(&self, id: InstId) -> &'a Node<'s> {
        self.index.root(id)
    }

    pub fn file(&self, id: FileId) -> &'a SourceFile {
        &self.files[id.0 as usize]
    }

    /// Whether kustomize reads the file: a kustomization lists it, or a Flux Kustomization
    /// deploys its directory (Flux builds a directory without a kustomization with kustomize
    /// too, over every manifest in it).
    pub fn built_by_kustomize(&self, id: FileId) -> bool {
        if self.model.reached.contains(&id) {
            return true;
        }
        self.file(id)
            .path
            .parent()
            .and_then(|dir| self.gitops.app_for(dir))
            .is_some_and(|app| app.tool == crate::gitops::Tool::Flux)
    }

    /// `namespace/name` of an instance as deployed (`name` alone when the namespace is unset).
    pub fn qualified(&self, id: InstId) -> String {
        let inst = self.index.inst(id);
        match self.index.namespace(id) {
            Some(ns) => format!("{ns}/{}", inst.name),
            None => inst.name.to_string(),
        }
    }

    /// `Kind namespace/name`, e.g. "Service shop/web".
    pub fn describe(&self, id: InstId) -> String {
        format!("{} `{}`", self.object(id).kind(), self.qualified(id))
    }
}
