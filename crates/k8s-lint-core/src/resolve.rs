//! Resolution: the one place that decides whether the object a reference names is in the
//! repository, is certainly missing, or cannot be known from it, and what a rule may then say.
//!
//! Every rule that follows a reference (an Ingress backend to its Service, a Service selector
//! to its pods, a pod to its ServiceAccount, ConfigMaps and Secrets, an autoscaler to its
//! workload) asks [`Ctx::find`] or [`Ctx::find_pods`] and hands the answer to
//! [`Resolution::judge`]. A rule never assembles "can we know?" itself.
//!
//! The policy (documented for users in `docs/resolution.md`):
//! - **Found**: an object of that kind and name exists where the reference reaches (the same
//!   namespace; inside one kustomize build, the object kustomize renamed), or something the
//!   repository shows makes it (a generator, a SealedSecret, an operator's custom resource).
//! - **Unknowable**: nothing here defines it, but something the repository cannot show may:
//!   a Helm release (Flux `HelmRelease`, an Argo CD Helm source, kustomize `helmCharts`)
//!   installing into that namespace, a remote base, a generator plugin or a path outside the
//!   linted paths of the same build, a file that does not parse and mentions it, a workload
//!   changed by a patch we do not model, an operator's pods, or a kind the repository does not
//!   manage in that namespace at all. The rule reports at info, naming that source, or stays
//!   silent where the user declared the object `external`.
//! - **Missing**: none of that: the rule reports at its own severity.
//!
//! A source taints only where its objects can land: the build it is part of, and the
//! namespace(s) that build or release puts objects in. An object whose namespace is unknown is
//! not tainted by a source elsewhere. A kustomization entry pointing at a missing file is not
//! a source: kustomize fails that build, which is reported where the entry is written.

use crate::hash::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::finding::{Finding, Severity};
use crate::gitops::{GitOps, HelmNames};
use crate::index::{labels, Index, InstId, View};
use crate::kustomize::build::{Hidden, Incomplete};
use crate::kustomize::{KustId, Model};
use crate::network::{backends, Backend};
use crate::object::{Object, ObjectId};
use crate::placeholder::is_placeholder;
use crate::rule::Ctx;
use crate::scripts::{Effect, Scripts};
use crate::selector::{Requirement, Selector, TreeLabels};
use crate::source::{line_from, SourceFile, Span};
use crate::yaml::{Node, ValueRef};

/// What the repository says about the object a reference names.
#[derive(Clone, Debug)]
pub enum Resolution {
    /// It exists: the objects that are (or make) it. Empty when a kustomize generator makes
    /// it (generated objects are not instances).
    Found(Vec<InstId>),
    /// Certainly absent: the repository shows everything that could provide it. When a file
    /// that is not deployed (an orphan) defines it, that is the cause: where, and what.
    Missing(Option<(Span, String)>),
    /// Absent here, but something the repository cannot show may provide it.
    Unknowable(Unknowable),
}

/// Why an absent object may exist all the same.
#[derive(Clone, Debug)]
pub struct Unknowable {
    pub source: Source,
    /// A clause for messages: "HelmRelease `web` (chart `app`) may render it".
    pub reason: String,
    /// Where the source is written, with a label for related spans.
    pub at: Option<(Span, String)>,
    /// The source very probably provides it (a Helm release named like the object): a rule
    /// then says nothing rather than an info nobody can act on.
    pub likely: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Declared in `.k8s-lint.yaml` (`external`, `externalSelectors`): the user says it exists.
    Declared,
    /// Labels that controllers put on the pods they create (`pod-template-hash`, ...).
    Controller,
    /// The reference is a placeholder (`${VAR}`, `<NAME>`): what it names is decided later.
    Placeholder,
    Helm,
    Remote,
    Plugin,
    Outside,
    Unread,
    Unparsed,
    /// A script or doc page of the repository installs, applies or creates it by hand.
    Script,
    /// A workload changed by a patch we do not model.
    Unmodelled,
    /// Pods an operator creates for a custom resource.
    Operator,
    /// The repository manages no object of that kind in that namespace: it is made elsewhere.
    Unmanaged,
}

impl Source {
    /// Sources after which a rule says nothing at all.
    fn silences(self) -> bool {
        matches!(
            self,
            Source::Declared | Source::Controller | Source::Placeholder
        )
    }
}

impl Resolution {
    pub fn is_found(&self) -> bool {
        matches!(self, Resolution::Found(_))
    }

    /// The objects found, or none.
    pub fn found(&self) -> &[InstId] {
        match self {
            Resolution::Found(ids) => ids,
            _ => &[],
        }
    }

    /// The policy, once for every rule. `certain` is the finding for a certainly missing
    /// object, at the rule's severity; `absence` states only what the repository shows
    /// ("Ingress `shop/web` routes to Service `api`, which no manifest here defines in
    /// namespace `shop`"). Found, or declared external: nothing. Missing: `certain`.
    /// Unknowable: an info that says what may provide it, never that it does not exist.
    pub fn judge(self, certain: Finding, absence: &str) -> Option<Finding> {
        match self {
            Resolution::Found(_) => None,
            Resolution::Missing(None) => Some(certain),
            // The object is there, in a file nothing deploys: say so, and point at it.
            Resolution::Missing(Some((span, what))) => Some(
                certain
                    .note(format!(
                        "{what} is defined in a file no kustomization lists (see kustomize-orphan-manifest)"
                    ))
                    .related(span, "defined here, but not deployed"),
            ),
            Resolution::Unknowable(u) if u.likely || u.source.silences() => None,
            Resolution::Unknowable(u) => {
                let mut f = Finding {
                    message: absence.to_string(),
                    notes: vec![u.reason],
                    help: Some(
                        "if it exists, nothing is wrong; to silence this, declare it under `external` (pods: `externalSelectors`) in `.k8s-lint.yaml`"
                            .into(),
                    ),
                    ..certain
                }
                .severity(Severity::Info);
                if let Some((span, label)) = u.at {
                    f = f.related(span, label);
                }
                Some(f)
            }
        }
    }
}

/// Where objects the repository cannot show may land, found once per run.
#[derive(Debug, Default)]
pub struct Sources {
    unseen: Vec<Unseen>,
    /// `(kind, name)` of every kustomize `configMapGenerator`/`secretGenerator`: kustomize
    /// rewrites references to the base name into the hashed name it makes.
    generated: HashSet<(&'static str, String)>,
    /// Custom resources that may make ConfigMaps, Secrets or pods (operators' kinds).
    custom: Vec<InstId>,
    /// Objects that write a Secret of a name, by that name: SealedSecrets (their name, or
    /// `spec.template.metadata.name`), ExternalSecrets (`spec.target.name`, else their name),
    /// and Services annotated `*/serving-cert-secret-name` (OpenShift's service CA). Looked up
    /// by name, not scanned per reference (8,000 ExternalSecrets made that quadratic).
    secret_makers: HashMap<String, Vec<InstId>>,
    /// Objects that no build and no plain directory deploys (in orphan files).
    undeployed: Vec<ObjectId>,
    /// Objects of files nothing deploys but a script or doc page applies by hand or reads
    /// (the input of `kubeseal`), with that command.
    scripted: Vec<(ObjectId, usize)>,
    /// Commands that create an object by name (`kubectl create secret generic x`).
    created: Vec<usize>,
    /// Instances whose name is still a placeholder (`${APP}-sa`): any reference near one may
    /// mean it. Gathered once, not scanned per reference.
    placeholder_named: Vec<InstId>,
}

/// Where the repository deploys each kind (group, then kind, then place), for "does it manage
/// this kind here" (see `Ctx::near`), and the ServiceAccount names of each namespace. Scanning
/// every instance of the kind for each unresolved reference cost references x instances; the
/// keys borrow from the index, so gathering it allocates nothing per instance. Kept in the
/// rules' context ([`Ctx::placement`]), gathered at the first reference that needs it.
#[derive(Debug, Default)]
pub(crate) struct Placement<'a> {
    at: HashMap<&'a str, HashMap<&'a str, HashSet<At<'a>>>>,
    accounts: HashMap<&'a str, Vec<&'a str>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum At<'a> {
    /// An instance in this namespace.
    Namespace(&'a str),
    /// An instance without a namespace, in this build.
    UnsetInBuild(u32),
    /// An instance of this build, with or without a namespace.
    Build(u32),
    /// An instance of no build and no namespace, in a file of this directory.
    Dir(&'a Path),
}

#[derive(Debug)]
struct Unseen {
    source: Source,
    span: Span,
    /// A noun phrase: "HelmRelease `web` (chart `app`)".
    what: String,
    /// Lookups from this namespace are tainted.
    namespace: Option<String>,
    /// Lookups from this build are tainted.
    build: Option<KustId>,
    /// Lookups from anywhere are tainted (a release into a templated namespace).
    anywhere: bool,
    /// Only lookups from objects in files below this directory are tainted (what a script or
    /// doc page installs reaches the manifests next to it).
    under: Option<PathBuf>,
    helm: Option<HelmNames>,
}

impl Sources {
    pub fn new(
        index: &Index<'_>,
        model: &Model,
        gitops: &GitOps,
        objects: &[Object],
        files: &[SourceFile],
        parsed: &[crate::yaml::Parsed<'_>],
        scripts: &Scripts,
    ) -> Sources {
        let mut unseen = Vec::new();
        let mut created = Vec::new();
        for (i, c) in scripts.commands.iter().enumerate() {
            let at_top = c.dir == scripts.top;
            let (namespace, what, helm) = match &c.effect {
                Effect::Helm {
                    release,
                    chart,
                    namespace,
                } => (
                    namespace,
                    format!(
                        "Helm release `{release}` (chart `{chart}`), which `{}` installs,",
                        c.shown
                    ),
                    Some(HelmNames {
                        release: release.clone(),
                        chart: chart.rsplit('/').next().unwrap_or(chart).to_string(),
                        fullname: None,
                    }),
                ),
                Effect::Remote { url, namespace } => (
                    namespace,
                    format!("`{url}`, which `{}` applies,", c.shown),
                    None,
                ),
                Effect::Creates { .. } => {
                    created.push(i);
                    continue;
                }
                _ => continue,
            };
            // A command at the repository top that names no namespace would reach everything.
            if at_top && namespace.is_none() {
                continue;
            }
            unseen.push(Unseen {
                source: Source::Script,
                span: c.span,
                what,
                namespace: namespace.clone(),
                build: None,
                anywhere: namespace.is_none(),
                under: (!at_top).then(|| c.dir.clone()),
                helm,
            });
        }
        for inc in &index.incomplete {
            unseen.push(incomplete_source(inc, model, gitops));
        }
        for h in &gitops.helm {
            let o = &objects[h.object.0 as usize];
            // Each deployed instance of the declaring object installs the release.
            for &id in index.of_kind(o.group(), o.kind()) {
                if index.inst(id).object != h.object {
                    continue;
                }
                let namespace = h
                    .target_namespace
                    .clone()
                    .or_else(|| index.namespace(id).map(String::from));
                unseen.push(Unseen {
                    source: Source::Helm,
                    span: h.span,
                    what: h.what.clone(),
                    // A Flux release without any namespace stays within its own build.
                    build: index.inst(id).build.filter(|_| namespace.is_none()),
                    namespace,
                    anywhere: h.any_namespace,
                    under: None,
                    helm: Some(h.names.clone()),
                });
            }
        }
        let mut generated = HashSet::default();
        for k in &model.kusts {
            let Some(root) = k.root(parsed) else { continue };
            for (field, kind) in [
                ("configMapGenerator", "ConfigMap"),
                ("secretGenerator", "Secret"),
            ] {
                for g in root.get(field).and_then(Node::as_seq).unwrap_or(&[]) {
                    if let Some(name) = g.get("name").and_then(Node::as_str) {
                        generated.insert((kind, name.to_string()));
                    }
                }
            }
        }
        // Kinds that run pods (Argo Rollouts) consume references rather than make objects, and
        // GitOps kinds describe deployments (a HelmRelease's values name Secrets it reads).
        let custom = index
            .ids()
            .filter(|&c| {
                let o = &objects[index.inst(c).object.0 as usize];
                let group = o.group();
                let runs_pods =
                    matches!(index.view(c), View::Workload { .. } | View::OpaqueTemplate);
                let gitops = group.ends_with(".fluxcd.io")
                    || (group == "argoproj.io" && o.kind().starts_with("App"));
                // Scrape configs and policies select pods; they do not make them.
                let selects_only = ["Monitor", "Scrape", "Rule", "Probe", "Config"]
                    .iter()
                    .any(|k| o.kind().ends_with(k))
                    || o.kind().contains("Policy");
                group.contains('.')
                    && !group.ends_with(".k8s.io")
                    && !gitops
                    && !runs_pods
                    && !selects_only
            })
            .collect();
        let mut deployed = vec![false; objects.len()];
        for id in index.ids() {
            deployed[index.inst(id).object.0 as usize] = true;
        }
        // Patch files and generator inputs are reached without being deployed: not orphans.
        let mut undeployed = Vec::new();
        let mut scripted = Vec::new();
        let mut by_script: HashMap<crate::source::FileId, Option<usize>> = HashMap::default();
        for i in (0..objects.len()).filter(|&i| !deployed[i]) {
            let file = objects[i].file;
            if model.reached.contains(&file) {
                continue;
            }
            let command = *by_script.entry(file).or_insert_with(|| {
                let path = &files[file.0 as usize].path;
                let used = |e: &Effect| matches!(e, Effect::Applies { .. } | Effect::Reads { .. });
                scripts.naming(path, used)
            });
            match command {
                Some(c) => scripted.push((ObjectId(i as u32), c)),
                None => undeployed.push(ObjectId(i as u32)),
            }
        }
        let secret_makers = secret_makers(index);
        let placeholder_named = (0..index.instances.len() as u32)
            .map(InstId)
            .filter(|&i| is_placeholder(&index.inst(i).name))
            .collect();
        Sources {
            unseen,
            generated,
            secret_makers,
            undeployed,
            scripted,
            created,
            custom,
            placeholder_named,
        }
    }
}

fn secret_makers(index: &Index<'_>) -> HashMap<String, Vec<InstId>> {
    let mut out: HashMap<String, Vec<InstId>> = HashMap::default();
    let root = |s: InstId| index.root(s);
    let text = |s: InstId, path: &str| {
        root(s)
            .at(path)
            .and_then(Node::as_str)
            .filter(|t| !t.is_empty())
            .map(String::from)
    };
    for &s in index.of_kind("bitnami.com", "SealedSecret") {
        out.entry(index.inst(s).name.to_string())
            .or_default()
            .push(s);
        if let Some(t) = text(s, "spec.template.metadata.name") {
            out.entry(t).or_default().push(s);
        }
    }
    for &s in index.of_kind("external-secrets.io", "ExternalSecret") {
        let name = text(s, "spec.target.name").unwrap_or_else(|| index.inst(s).name.to_string());
        out.entry(name).or_default().push(s);
    }
    for &s in index.of_kind("", "Service") {
        // The view says whether there are any, without a walk of the tree.
        if matches!(index.view(s), View::Service(svc) if !svc.annotated) {
            continue;
        }
        let Some(annotations) = root(s).at("metadata.annotations").and_then(Node::as_map) else {
            continue;
        };
        for e in annotations {
            let serving = e
                .key()
                .as_str()
                .is_some_and(|k| k.ends_with("/serving-cert-secret-name"));
            if let (true, Some(v)) = (serving, e.value().as_str()) {
                out.entry(v.to_string()).or_default().push(s);
            }
        }
    }
    for list in out.values_mut() {
        list.dedup();
    }
    out
}

fn incomplete_source(inc: &Incomplete, model: &Model, gitops: &GitOps) -> Unseen {
    let dir = model.get(inc.build).dir.as_ref();
    // Flux `targetNamespace` overrides the build's namespace like kustomize's `namespace:`.
    let forced = gitops
        .app_for(dir)
        .filter(|a| a.forces_namespace)
        .and_then(|a| a.namespace.clone())
        .or_else(|| inc.namespace.clone());
    let (source, what) = match inc.hidden {
        Hidden::Remote => (
            Source::Remote,
            format!("the remote resource `{}`", inc.text),
        ),
        Hidden::Helm => (
            Source::Helm,
            format!("the kustomize Helm chart `{}`", inc.text),
        ),
        Hidden::Plugin => (Source::Plugin, format!("the generator `{}`", inc.text)),
        Hidden::Outside => (
            Source::Outside,
            format!("`{}`, outside the linted paths,", inc.text),
        ),
        Hidden::Unread => (
            Source::Unread,
            format!("`{}`, which k8s-lint does not read,", inc.text),
        ),
        Hidden::TooDeep => (
            Source::Unread,
            format!(
                "`{}`, nested deeper than k8s-lint follows ({} kustomizations),",
                inc.text,
                crate::kustomize::build::MAX_BUILD_DEPTH
            ),
        ),
    };
    Unseen {
        source,
        span: inc.span,
        what,
        namespace: forced,
        build: Some(inc.build),
        anywhere: false,
        under: None,
        helm: None,
    }
}

/// ConfigMaps the cluster (or a mesh) puts into every namespace.
const CLUSTER_MADE: &[(&str, &str)] = &[
    ("ConfigMap", "kube-root-ca.crt"),
    ("ConfigMap", "openshift-service-ca.crt"),
    ("ConfigMap", "istio-ca-root-cert"),
];

/// Labels that controllers put on the pods they create, never in a template: a selector on
/// them (`statefulset.kubernetes.io/pod-name: db-0`) selects pods no template shows.
const CONTROLLER_LABELS: &[&str] = &[
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "job-name",
    "controller-uid",
    "batch.kubernetes.io/job-name",
    "batch.kubernetes.io/controller-uid",
    "batch.kubernetes.io/job-completion-index",
];

/// Selector labels that well-known operators put on the pods they create.
const OPERATOR_LABELS: [(&str, &str); 7] = [
    ("cnpg.io/cluster", "CloudNativePG"),
    (
        "postgres-operator.crunchydata.com/cluster",
        "Crunchy Postgres",
    ),
    ("strimzi.io/cluster", "Strimzi"),
    ("app.kubernetes.io/managed-by", "an operator"),
    ("rabbitmq.com/cluster", "the RabbitMQ operator"),
    ("cluster-name", "the Zalando Postgres operator"),
    ("operator.prometheus.io/name", "the Prometheus operator"),
];

impl<'a, 's> Ctx<'a, 's> {
    /// A command of the repository's scripts or doc pages that writes the file at `path`
    /// (`helm template ... > manifest.yaml`): a file missing from the repository that exists
    /// once the command has run.
    pub fn written_by_script(&self, path: &std::path::Path) -> Option<&'a crate::scripts::Command> {
        let i = self
            .scripts
            .naming(path, |e| matches!(e, Effect::Writes { .. }))?;
        Some(&self.scripts.commands[i])
    }

    /// A command of the repository's scripts or doc pages that applies the file at `path` by
    /// hand (`kubectl apply -f`, also of its directory) or reads it (`kubeseal < secret.yaml`):
    /// a file no kustomization lists that is used all the same.
    pub fn used_by_script(&self, path: &std::path::Path) -> Option<&'a crate::scripts::Command> {
        let i = self.scripts.naming(path, |e| {
            matches!(e, Effect::Applies { .. } | Effect::Reads { .. })
        })?;
        Some(&self.scripts.commands[i])
    }

    /// The local cluster an object is applied to by hand: a script or doc page creates the
    /// cluster (`k3d cluster create lab`) and applies the object's file there (`kubectl
    /// --context k3d-lab apply -f ingress.yaml`). Returns the apply and the creation. Only for
    /// objects no kustomize build or GitOps app deploys: those go wherever their app goes.
    pub fn local_cluster(
        &self,
        id: InstId,
    ) -> Option<(&'a crate::scripts::Command, &'a crate::scripts::Command)> {
        if self.index.inst(id).build.is_some() {
            return None;
        }
        let file = self.file(self.object(id).file);
        if !self.gitops.apps_above(file.dir()).is_empty() {
            return None;
        }
        self.scripts.local_cluster(&file.path)
    }

    /// The object of `group`/`kind` called `name` that a reference from `from` reaches.
    pub fn find(&self, from: InstId, group: &str, kind: &str, name: &str) -> Resolution {
        if is_placeholder(name) || is_placeholder(kind) {
            return unknowable(Source::Placeholder, String::new(), None);
        }
        let found = same_namespace(self.index, from, group, kind, name);
        if !found.is_empty() {
            return Resolution::Found(found);
        }
        if let Some(makers) = self.made_by(from, kind, name) {
            return Resolution::Found(makers);
        }
        let ns = self.index.namespace(from);
        if self.settings.is_external(kind, ns, name) {
            return unknowable(Source::Declared, String::new(), None);
        }
        if let Some(u) = self.created(from, kind, name) {
            return Resolution::Unknowable(u);
        }
        // Defined in a file nothing deploys: that is the cause, whatever else is managed here.
        let defines = |o: &Object| o.is(group, kind) && o.name() == name;
        let orphan = self.undeployed(from, defines);
        if orphan.is_some() {
            return Resolution::Missing(orphan);
        }
        if let Some(u) = self.scripted(from, defines) {
            return Resolution::Unknowable(u);
        }
        if let Some(u) = self.unseen_for(from, |h| h.fits(name)) {
            return Resolution::Unknowable(u);
        }
        if let Some(u) = self.unparsed(from, &[kind, name]) {
            return Resolution::Unknowable(u);
        }
        // An object of that kind here whose name is still a variable may be this one.
        let pattern = self.sources.placeholder_named.iter().any(|&s| {
            let o = self.object(s);
            o.group() == group && o.kind() == kind && self.near(from, s)
        });
        if pattern {
            return unknowable(Source::Placeholder, String::new(), None);
        }
        // The same object in another namespace shows the repository manages it: a namespace
        // mismatch, not an object made elsewhere.
        if !self.manages(from, group, kind) && self.index.named(group, kind, name).is_empty() {
            let there = ns.map_or(String::new(), |n| format!(" in namespace `{n}`"));
            return unknowable(
                Source::Unmanaged,
                format!(
                    "the repository deploys no {kind}{there}, so it is probably created outside it"
                ),
                None,
            );
        }
        if let Some(u) = self.namespace_made_elsewhere(ns, group, kind, name) {
            return Resolution::Unknowable(u);
        }
        Resolution::Missing(None)
    }

    /// The backends of an Ingress that name a Service, each with what [`Ctx::find`] says of
    /// that Service; none for an Ingress a transformation we do not model changed (`opaque`).
    /// Found for every Ingress at the first rule that asks: four rules walk every backend.
    pub fn ingress_backends(&self, id: InstId) -> &[(Backend<'a>, Resolution)] {
        let found = self.ingress_backends.get(id, self.index.ids(), |id| {
            let View::Ingress(ingress) = self.index.view(id) else {
                return None;
            };
            if self.index.inst(id).opaque {
                return None;
            }
            let found = backends(ingress)
                .into_iter()
                .map(|b| (b, self.find(id, "", "Service", &b.service.name)))
                .collect();
            Some(found)
        });
        found.map_or(&[], Vec::as_slice)
    }

    /// [`Ctx::find_pods`] of a Service's own selector. `None`: the Service selects no pods
    /// through a selector (it has none, an empty one, is an ExternalName, or a patch we cannot
    /// read changed it). Found for every Service at the first rule that asks: three rules ask
    /// for each Service, and selecting was most of their time.
    pub fn service_pods(&self, id: InstId) -> Option<&Resolution> {
        self.service_pods.get(id, self.index.ids(), |id| {
            let View::Service(svc) = self.index.view(id) else {
                return None;
            };
            let selector = svc.spec.as_ref()?.selector.as_ref()?;
            if selector.is_empty()
                || crate::network::is_external_name(svc)
                || self.index.inst(id).opaque
            {
                return None;
            }
            Some(self.find_pods(id, &Selector::from_labels(selector)))
        })
    }

    /// The pod templates a selector of `from` (a Service, a PodDisruptionBudget, a
    /// NetworkPolicy) selects in its namespace.
    pub fn find_pods(&self, from: InstId, selector: &Selector) -> Resolution {
        let labels_wanted = selector.match_labels();
        if selector.words().iter().any(|w| is_placeholder(w)) {
            return unknowable(Source::Placeholder, String::new(), None);
        }
        if self.settings.selects_external_pods(&labels_wanted) {
            return unknowable(Source::Declared, String::new(), None);
        }
        if selector
            .requirements
            .iter()
            .any(|r| CONTROLLER_LABELS.contains(&r.key()))
        {
            return unknowable(Source::Controller, String::new(), None);
        }
        let found = self.selected(from, selector);
        if !found.is_empty() {
            return Resolution::Found(found);
        }
        // Pods of a workload in a file nothing deploys: that is the cause.
        let carries = |o: &Object| {
            let root = o.root(self.parsed);
            let at = if o.is("", "Pod") {
                "metadata.labels"
            } else {
                "spec.template.metadata.labels"
            };
            root.at(at).and_then(Node::as_map).is_some_and(|m| {
                let have = TreeLabels(m);
                have.any_readable() && selector.matches(&have)
            })
        };
        let orphan = self.undeployed(from, carries);
        if orphan.is_some() {
            return Resolution::Missing(orphan);
        }
        if let Some(u) = self.scripted(from, carries) {
            return Resolution::Unknowable(u);
        }
        if let Some(u) = self.operator_pods(from, selector) {
            return Resolution::Unknowable(u);
        }
        if let Some(t) = self.index.templates_near(from).find(|&t| {
            self.near(from, t)
                && (self.index.inst(t).opaque
                    || !matches!(self.index.view(t), View::Workload { .. }))
                && self.may_carry(t, selector)
        }) {
            let root = self.root(t);
            // Say why the template cannot be read: a transformation, or its own type error
            // (which `manifest-field-type` reports, and which the API server rejects).
            let rejected = matches!(self.index.view(t), View::Invalid);
            let (why, label) = if self.index.unmodelled(t) {
                (
                    "is changed in ways k8s-lint does not model and may carry these labels",
                    "may carry the labels",
                )
            } else if !rejected {
                (
                    "has a pod template k8s-lint cannot read and may carry these labels",
                    "may carry the labels",
                )
            } else if self.labels_match(t, selector) == Some(true) {
                ("carries these labels, but a field of it has the wrong type (`manifest-field-type`), so the API server rejects it until that is fixed", "carries the labels")
            } else {
                ("has a field of the wrong type (`manifest-field-type`), so k8s-lint cannot read it, and may carry these labels", "may carry the labels")
            };
            return unknowable(
                Source::Unmodelled,
                format!("{} {why}", self.describe(t)),
                Some((root.span, label.into())),
            );
        }
        let values: Vec<&str> = labels_wanted.values().map(String::as_str).collect();
        if let Some(u) = self.unseen_for(from, |h| values.iter().any(|v| h.fits(v))) {
            return Resolution::Unknowable(u);
        }
        if let Some(u) = self.unparsed(from, &selector.words()) {
            return Resolution::Unknowable(u);
        }
        // Pods with these labels in another namespace show the repository runs them: a
        // namespace mismatch, not pods made elsewhere.
        let elsewhere = || {
            self.index
                .templates()
                .any(|(_, tpl, _)| selector.matches(labels(tpl)))
        };
        if !self.runs_pods_near(from) && !elsewhere() {
            let there = self
                .index
                .namespace(from)
                .map_or(String::new(), |n| format!(" in namespace `{n}`"));
            return unknowable(
                Source::Unmanaged,
                format!("the repository defines no workload{there}, so its pods are probably deployed from elsewhere"),
                None,
            );
        }
        Resolution::Missing(None)
    }

    /// An object of a file nothing deploys that `matches` and could be in the namespace of
    /// `from` (it names that one, or none), with where its name is written.
    fn undeployed(
        &self,
        from: InstId,
        matches: impl Fn(&Object) -> bool,
    ) -> Option<(Span, String)> {
        let id = self.first_near(from, self.sources.undeployed.iter().copied(), matches)?;
        let o = &self.objects[id.0 as usize];
        let root = o.root(self.parsed);
        let span = root.at("metadata.name").map_or(root.span, |n| n.span);
        Some((span, format!("{} `{}`", o.kind(), o.name())))
    }

    /// An object that `matches`, of a file nothing deploys but a script or doc page applies by
    /// hand or reads: it exists when that command has run.
    fn scripted(&self, from: InstId, matches: impl Fn(&Object) -> bool) -> Option<Unknowable> {
        let scripted = &self.sources.scripted;
        let id = self.first_near(from, scripted.iter().map(|(o, _)| *o), matches)?;
        let (_, c) = scripted.iter().find(|(o, _)| *o == id)?;
        let c = &self.scripts.commands[*c];
        let o = &self.objects[id.0 as usize];
        let verb = c.effect.verb();
        Some(Unknowable {
            source: Source::Script,
            reason: format!(
                "{} `{}` is defined in `{}`, which no kustomization lists, but `{}` {verb}",
                o.kind(),
                o.name(),
                self.file(o.file).display(),
                c.shown
            ),
            at: Some((c.span, "uses the file by hand".into())),
            likely: false,
        })
    }

    /// The first of `ids` that `matches` and could be in the namespace of `from`: it names that
    /// one, or none and its kustomization gives none.
    fn first_near(
        &self,
        from: InstId,
        ids: impl Iterator<Item = ObjectId>,
        matches: impl Fn(&Object) -> bool,
    ) -> Option<ObjectId> {
        let ns = self.index.namespace(from);
        ids.into_iter().find(|&id| {
            let o = &self.objects[id.0 as usize];
            let dir = self.file(o.file).dir();
            let its = self
                .model
                .namespace_if_listed(dir, self.parsed, o.namespace());
            crate::index::namespaces_match(ns, its) && matches(o)
        })
    }

    /// A command of a script or doc page that creates this object by name where `from` is:
    /// in its namespace when the command names one, else next to the script.
    fn created(&self, from: InstId, kind: &str, name: &str) -> Option<Unknowable> {
        let ns = self.index.namespace(from);
        let dir = self.file(self.object(from).file).dir();
        let c = self.sources.created.iter().find_map(|&i| {
            let c = &self.scripts.commands[i];
            let Effect::Creates {
                kind: k,
                name: n,
                namespace,
            } = &c.effect
            else {
                return None;
            };
            let here = match namespace {
                Some(n) => ns == Some(n.as_str()),
                None => c.dir != self.scripts.top && dir.starts_with(&c.dir),
            };
            (*k == kind && n == name && here).then_some(c)
        })?;
        Some(Unknowable {
            source: Source::Script,
            reason: format!("`{}` creates it by hand", c.shown),
            at: Some((c.span, "creates it".into())),
            likely: true,
        })
    }

    /// Whether a workload we cannot fully read may carry pods `selector` selects: unless no
    /// transformation we do not model touched it and the labels of its template, read from
    /// the tree, rule it out (a workload with a type error elsewhere still shows its labels).
    fn may_carry(&self, t: InstId, selector: &Selector) -> bool {
        self.index.unmodelled(t) || self.labels_match(t, selector) != Some(false)
    }

    /// Whether the pod labels written in the tree of `t` (a template we could not decode)
    /// match `selector`; `None` when they cannot be read.
    fn labels_match(&self, t: InstId, selector: &Selector) -> Option<bool> {
        let root = self.root(t);
        let labels = [
            "spec.template.metadata.labels",
            "spec.jobTemplate.spec.template.metadata.labels",
            "metadata.labels",
        ]
        .iter()
        .find_map(|p| root.at(p).and_then(Node::as_map))?;
        let have = TreeLabels(labels);
        // A label we cannot read may be anything.
        have.all_readable().then(|| selector.matches(&have))
    }

    /// Readable pod templates of the namespace of `from` that `selector` selects.
    fn selected(&self, from: InstId, selector: &Selector) -> Vec<InstId> {
        let matches = |t: InstId| {
            self.index.same_namespace(from, t)
                && self
                    .index
                    .template(t)
                    .is_some_and(|(tpl, _)| selector.matches(labels(tpl)))
        };
        // The label index narrows the candidates when the selector has a `matchLabels` pair.
        match selector.requirements.iter().find_map(|r| match r {
            Requirement::Equals { key, value } => Some((key, value)),
            Requirement::Expression { .. } => None,
        }) {
            Some((k, v)) => self
                .index
                .templates_labelled(k, v)
                .iter()
                .copied()
                .filter(|&t| matches(t))
                .collect(),
            None => self
                .index
                .templates_near(from)
                .filter(|&t| matches(t))
                .collect(),
        }
    }

    /// Whether the repository deploys any workload where `from` is (see `near`).
    fn runs_pods_near(&self, from: InstId) -> bool {
        self.index.templates_near(from).any(|t| self.near(from, t))
    }

    /// Whether `other` is where `from` is, for "does the repository manage this kind here":
    /// the same known namespace; without a namespace, the same build, or for plain files the
    /// same directory. An object without a namespace proves nothing about another namespace,
    /// and one of a sample next door nothing about this one.
    fn near(&self, from: InstId, other: InstId) -> bool {
        let (a, b) = (self.index.inst(from), self.index.inst(other));
        match (self.index.namespace(from), self.index.namespace(other)) {
            (Some(x), Some(y)) => x == y,
            (Some(_), None) => a.build.is_some() && a.build == b.build,
            (None, _) => match (a.build, b.build) {
                (Some(x), Some(y)) => x == y,
                (None, None) => {
                    let dir = |i: &crate::kustomize::build::Instance<'_>| {
                        self.file(self.objects[i.object.0 as usize].file).dir()
                    };
                    dir(a) == dir(b)
                }
                _ => false,
            },
        }
    }

    /// A ServiceAccount in a namespace the repository does not create: whatever creates the
    /// namespace (an operator's install, a script, a platform team's provisioning) sets up its
    /// ServiceAccounts too, as install manifests and `kubectl create namespace` / `create
    /// serviceaccount` guides do. Not for `default`, which holds only its `default` account,
    /// nor for a name one typo away from a ServiceAccount the repository defines there.
    fn namespace_made_elsewhere(
        &self,
        ns: Option<&str>,
        group: &str,
        kind: &str,
        name: &str,
    ) -> Option<Unknowable> {
        let n = ns.filter(|n| *n != "default")?;
        if !(group.is_empty() && kind == "ServiceAccount") {
            return None;
        }
        let created = !self.index.named("", "Namespace", n).is_empty()
            || self
                .gitops
                .apps
                .iter()
                .any(|a| a.namespace.as_deref() == Some(n));
        if created {
            return None;
        }
        let defined_here = self.placement().accounts.get(n).into_iter().flatten();
        let typo = crate::spelling::closest(name, defined_here.copied()).is_some();
        (!typo).then(|| Unknowable {
            source: Source::Unmanaged,
            reason: format!("no manifest here creates namespace `{n}`, so what creates it (an install or a script outside the repository) probably sets up its ServiceAccounts too"),
            at: None,
            likely: false,
        })
    }

    /// Whether the repository manages objects of this kind where `from` is (see `near`):
    /// else a missing one is made outside the repository.
    fn manages(&self, from: InstId, group: &str, kind: &str) -> bool {
        // Kinds that stand for one another: a Secret may come sealed or synced, and a scale
        // target of one built-in workload kind is often another (`kind: StatefulSet` for a
        // Deployment).
        let kinds: &[(&str, &str)] = match (group, kind) {
            ("", "Secret") => &[
                ("bitnami.com", "SealedSecret"),
                ("external-secrets.io", "ExternalSecret"),
            ],
            ("apps", "Deployment" | "StatefulSet" | "ReplicaSet" | "DaemonSet") => &[
                ("apps", "Deployment"),
                ("apps", "StatefulSet"),
                ("apps", "ReplicaSet"),
                ("apps", "DaemonSet"),
            ],
            _ => &[],
        };
        let placement = self.placement();
        let inst = self.index.inst(from);
        // The places where an instance is `near` this one.
        let mut places = Vec::with_capacity(2);
        match self.index.namespace(from) {
            Some(ns) => {
                places.push(At::Namespace(ns));
                places.extend(inst.build.map(|b| At::UnsetInBuild(b.0)));
            }
            None => places.push(match inst.build {
                Some(b) => At::Build(b.0),
                None => At::Dir(self.file(self.object(from).file).dir()),
            }),
        }
        std::iter::once((group, kind))
            .chain(kinds.iter().copied())
            .filter_map(|(g, k)| placement.at.get(g)?.get(k))
            .any(|at| places.iter().any(|p| at.contains(p)))
    }

    fn placement(&self) -> &Placement<'a> {
        self.placement.get_or_init(|| {
            let (index, files, objects) = (self.index, self.files, self.objects);
            let mut p = Placement::default();
            for (i, inst) in index.instances.iter().enumerate() {
                let id = InstId(i as u32);
                let o = &objects[inst.object.0 as usize];
                let places =
                    p.at.entry(o.group())
                        .or_default()
                        .entry(o.kind())
                        .or_default();
                let ns = index.namespace(id);
                match (ns, inst.build) {
                    (Some(ns), _) => places.insert(At::Namespace(ns)),
                    (None, Some(b)) => places.insert(At::UnsetInBuild(b.0)),
                    (None, None) => false,
                };
                match inst.build {
                    Some(b) => places.insert(At::Build(b.0)),
                    None => places.insert(At::Dir(files[o.file.0 as usize].dir())),
                };
                if let (Some(ns), true) = (ns, o.group().is_empty() && o.kind() == "ServiceAccount")
                {
                    p.accounts.entry(ns).or_default().push(&inst.name);
                }
            }
            p
        })
    }

    /// The first unseen source whose objects can reach `from`, preferring a Helm release that
    /// `fits` (whose naming matches the object looked for).
    fn unseen_for(&self, from: InstId, fits: impl Fn(&HelmNames) -> bool) -> Option<Unknowable> {
        let ns = self.index.namespace(from);
        let build = self.index.inst(from).build;
        let dir = self.file(self.object(from).file).dir();
        let reaches = |u: &&Unseen| {
            u.under.as_deref().is_none_or(|d| dir.starts_with(d))
                && (u.anywhere
                    || (u.build.is_some() && u.build == build)
                    || (u.namespace.is_some() && u.namespace.as_deref() == ns))
        };
        let mut reaching: Vec<&Unseen> = Vec::new();
        // One entry per declaration: a release deployed by two overlays is one source.
        for u in self.sources.unseen.iter().filter(reaches) {
            if !reaching.iter().any(|r| r.span == u.span) {
                reaching.push(u);
            }
        }
        let first = *reaching.first()?;
        let fitting = reaching
            .iter()
            .copied()
            .find(|u| u.helm.as_ref().is_some_and(&fits));
        // Sources of the same build before those that only share the namespace.
        let same_build = || {
            reaching
                .iter()
                .copied()
                .find(|u| u.build.is_some() && u.build == build)
        };
        let best = fitting.or_else(same_build).unwrap_or(first);
        let verb = if best.helm.is_some() || best.source == Source::Helm {
            "may render it"
        } else {
            "may provide it"
        };
        let others = match reaching.len() - 1 {
            0 => String::new(),
            1 => " (or one other source there)".to_string(),
            n => format!(" (or one of {n} other sources there)"),
        };
        Some(Unknowable {
            source: best.source,
            reason: format!("{} {verb}{others}", best.what),
            at: Some((best.span, "renders objects k8s-lint cannot see".into())),
            likely: fitting.is_some(),
        })
    }

    /// A file that does not parse and mentions every needle outside the object `from` (whose
    /// own reference does not count): the object may be in its broken part.
    fn unparsed(&self, from: InstId, needles: &[&str]) -> Option<Unknowable> {
        let own = self.objects[self.index.inst(from).object.0 as usize]
            .root(self.parsed)
            .span;
        let file = self.broken_files.iter().find(|f| {
            let text = &self.file(**f).text;
            needles.iter().all(|n| {
                text.match_indices(n).any(|(i, _)| {
                    own.file != **f || !(own.start as usize..own.end as usize).contains(&i)
                })
            })
        })?;
        let shown: &SourceFile = self.file(*file);
        Some(Unknowable {
            source: Source::Unparsed,
            reason: format!("`{}`, which does not parse, may define it", shown.display()),
            at: Some((line_from(*file, &shown.text, 0), "does not parse".into())),
            likely: false,
        })
    }

    /// Objects the repository shows that make a ConfigMap or Secret of that name.
    fn made_by(&self, from: InstId, kind: &str, name: &str) -> Option<Vec<InstId>> {
        if !matches!(kind, "ConfigMap" | "Secret") {
            return None;
        }
        let generator_kind = if kind == "Secret" {
            "Secret"
        } else {
            "ConfigMap"
        };
        if CLUSTER_MADE.contains(&(kind, name))
            || self
                .sources
                .generated
                .contains(&(generator_kind, name.to_string()))
        {
            return Some(Vec::new());
        }
        let near = |group: &str, k: &str| -> Vec<InstId> {
            self.index
                .of_kind(group, k)
                .iter()
                .copied()
                .filter(|&s| self.index.same_namespace(from, s))
                .collect()
        };
        let mut makers: Vec<InstId> = Vec::new();
        if kind == "Secret" {
            // SealedSecrets, ExternalSecrets and serving-cert Services, by the name they write.
            makers.extend(
                self.sources
                    .secret_makers
                    .get(name)
                    .into_iter()
                    .flatten()
                    .copied()
                    .filter(|&s| self.index.same_namespace(from, s)),
            );
            // A pod that creates the Secret itself: a Role of the namespace grants `create` on
            // secrets and names this one among its resourceNames, or a pod of the namespace is
            // told its name (`--secret-name=...`) where a Role lets pods create secrets.
            // Only a Role bound (by a RoleBinding of the namespace) to the ServiceAccount a pod
            // of the namespace runs as lets that pod create anything.
            let creators: Vec<InstId> = near("rbac.authorization.k8s.io", "Role")
                .into_iter()
                .filter(|&r| role_creates_secret(self.root(r), None))
                .collect();
            // Most namespaces have no such Role: the pods and bindings are only looked at then.
            if !creators.is_empty() {
                let bindings = near("rbac.authorization.k8s.io", "RoleBinding");
                let grants = |r: InstId, pod: InstId| self.binds(&bindings, r, pod);
                let pods: Vec<InstId> = self
                    .index
                    .templates_near(from)
                    .filter(|&t| self.index.same_namespace(from, t))
                    .collect();
                makers.extend(creators.iter().copied().filter(|&r| {
                    role_creates_secret(self.root(r), Some(name))
                        && pods.iter().any(|&pod| grants(r, pod))
                }));
                makers.extend(pods.iter().copied().filter(|&t| {
                    self.tells_name(t, name) && creators.iter().any(|&r| grants(r, t))
                }));
            }
        }
        makers.extend(self.sources.custom.iter().copied().filter(|&c| {
            self.index.same_namespace(from, c)
                && custom_resource_makes(&self.index.inst(c).name, self.root(c), name)
        }));
        (!makers.is_empty()).then_some(makers)
    }

    /// Whether one of `bindings` (RoleBindings of the namespace) binds Role `role` to the
    /// ServiceAccount the pods of template `pod` run as (`default` when none is named).
    fn binds(&self, bindings: &[InstId], role: InstId, pod: InstId) -> bool {
        // kustomize renames the Role and fixes the roleRef (a `namePrefix`); the tree we read
        // may hold either name.
        let names = [&self.index.inst(role).name, self.object(role).name()];
        let ns = self.index.namespace(pod);
        let account = self
            .index
            .template(pod)
            .and_then(|(t, _)| t.spec.as_ref())
            .and_then(|s| {
                s.service_account_name
                    .clone()
                    .filter(|n| !n.is_empty())
                    .or_else(|| s.service_account.clone().filter(|n| !n.is_empty()))
            })
            .unwrap_or_else(|| "default".into());
        bindings.iter().any(|&b| {
            let root = self.root(b);
            let refers = root.at("roleRef.kind").and_then(Node::as_str) == Some("Role")
                && root
                    .at("roleRef.name")
                    .and_then(Node::as_str)
                    .is_some_and(|n| names.contains(&n));
            let subjects = root.get("subjects").and_then(Node::as_seq).unwrap_or(&[]);
            refers
                && subjects.iter().any(|s| {
                    let sub_ns = s.get("namespace").and_then(Node::as_str);
                    s.get("kind").and_then(Node::as_str) == Some("ServiceAccount")
                        && s.get("name").and_then(Node::as_str) == Some(account.as_str())
                        && sub_ns.is_none_or(|n| Some(n) == ns)
                })
        })
    }

    /// Whether a container of the pod template `t` is given `name` in its command or args
    /// (`--secret-name=admission`).
    fn tells_name(&self, t: InstId, name: &str) -> bool {
        let Some((template, _)) = self.index.template(t) else {
            return false;
        };
        template
            .spec
            .iter()
            .flat_map(|s| {
                s.containers
                    .iter()
                    .chain(s.init_containers.iter().flatten())
            })
            .flat_map(|c| c.command.iter().flatten().chain(c.args.iter().flatten()))
            .any(|w| w.split(['=', ' ', ',']).any(|part| part == name))
    }

    /// A custom resource of the namespace whose spec carries every `matchLabels` pair of the
    /// selector (an operator's `podMetadata.labels`, not a selector of its own): its operator
    /// makes the pods.
    fn operator_pods(&self, from: InstId, selector: &Selector) -> Option<Unknowable> {
        if let Some((label, who)) = OPERATOR_LABELS
            .iter()
            .find(|(l, _)| selector.requirements.iter().any(|r| r.key() == *l))
        {
            return Some(Unknowable {
                source: Source::Operator,
                reason: format!("the selector label `{label}` is set by {who} on pods it creates, which no manifest here shows"),
                at: None,
                likely: false,
            });
        }
        if let Some(managed_by) = self
            .root(from)
            .at("metadata.labels")
            .and_then(|l| l.get("app.kubernetes.io/managed-by"))
            .and_then(Node::as_str)
        {
            return Some(Unknowable {
                source: Source::Operator,
                reason: format!("it is labelled `app.kubernetes.io/managed-by: {managed_by}`, so its pods are probably created by that tool"),
                at: None,
                likely: false,
            });
        }
        let pairs = selector.match_labels();
        let carries = self.sources.custom.iter().copied().find(|&c| {
            !pairs.is_empty()
                && self.index.same_namespace(from, c)
                && self
                    .root(c)
                    .get("spec")
                    .is_some_and(|spec| pairs.iter().all(|(k, v)| has_pair(spec, k, v)))
        });
        // Else an operator's resource right next to it (same directory): a Dragonfly, a
        // RedisFailover, a Connector whose operator makes the pods.
        let dir = |i: InstId| {
            let o = &self.objects[self.index.inst(i).object.0 as usize];
            self.file(o.file).dir()
        };
        // Only a resource that looks like it runs something (its spec sets replicas or an
        // image): a Certificate or a route next to a Service makes no pods.
        let runs_something = |c: InstId| {
            self.root(c)
                .get("spec")
                .is_some_and(|spec| has_key(spec, "replicas") || has_key(spec, "image"))
        };
        let next_to = || {
            self.sources.custom.iter().copied().find(|&c| {
                self.index.same_namespace(from, c) && dir(c) == dir(from) && runs_something(c)
            })
        };
        let (c, why) = match carries {
            Some(c) => (c, "carries these labels"),
            None => (next_to()?, "sits next to it"),
        };
        Some(Unknowable {
            source: Source::Operator,
            reason: format!(
                "{} {why}, so its operator probably creates the pods",
                self.describe(c)
            ),
            at: Some((
                self.root(c).span,
                "its operator creates pods with these labels".into(),
            )),
            likely: false,
        })
    }
}

fn unknowable(source: Source, reason: String, at: Option<(Span, String)>) -> Resolution {
    Resolution::Unknowable(Unknowable {
        source,
        reason,
        at,
        likely: false,
    })
}

/// Objects of a kind that a reference named `name` from `from` reaches, in the same
/// namespace. Inside one build a reference follows the object kustomize renamed (its name
/// reference transformer); otherwise names compare as deployed.
fn same_namespace(
    index: &Index<'_>,
    from: InstId,
    group: &str,
    kind: &str,
    name: &str,
) -> Vec<InstId> {
    let build = index.inst(from).build;
    if build.is_some() {
        let same_build: Vec<InstId> = index
            .source_named(group, kind, name)
            .iter()
            .copied()
            .filter(|&s| index.inst(s).build == build && index.same_namespace(from, s))
            .collect();
        if !same_build.is_empty() {
            return same_build;
        }
    }
    index
        .named(group, kind, name)
        .iter()
        .copied()
        .filter(|&s| index.same_namespace(from, s))
        .collect()
}

/// Whether a Role grants `create` on secrets and, given a name, lists it in a rule's
/// `resourceNames` (create itself cannot be limited by name, so the name shows up on its
/// get/update rule).
fn role_creates_secret(role: &Node<'_>, name: Option<&str>) -> bool {
    let rules = role.get("rules").and_then(Node::as_seq).unwrap_or(&[]);
    let on_secrets = |r: &Node<'_>| {
        r.get("resources")
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .any(|x| matches!(x.as_str(), Some("secrets" | "*")))
    };
    let strings = |r: &Node<'_>, key: &str| -> Vec<String> {
        r.get(key)
            .and_then(Node::as_seq)
            .unwrap_or(&[])
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect()
    };
    let creates = rules.iter().any(|r| {
        on_secrets(r)
            && strings(r, "verbs")
                .iter()
                .any(|v| v == "create" || v == "*")
    });
    creates
        && name.is_none_or(|name| {
            rules
                .iter()
                .any(|r| on_secrets(r) && strings(r, "resourceNames").iter().any(|n| n == name))
        })
}

/// Operators make Secrets and ConfigMaps for their custom resources, named in the resource's
/// `spec` (cert-manager's `secretName`, Crossplane's connection secret) or after the resource
/// (`<name>`, `<name>-app`, `redb-<name>`, `<user>.<name>.credentials...`).
fn custom_resource_makes(own: &str, root: &Node<'_>, name: &str) -> bool {
    let tokens_at = |i: usize| {
        let before = name[..i].chars().next_back();
        let after = name[i + own.len()..].chars().next();
        before.is_none_or(|c| c == '-' || c == '.') && after.is_none_or(|c| c == '-' || c == '.')
    };
    let derived = !own.is_empty() && name.match_indices(own).any(|(i, _)| tokens_at(i));
    derived || root.get("spec").is_some_and(|s| mentions(s, name))
}

/// Whether a scalar anywhere under `node` is exactly `name`.
pub(crate) fn mentions(node: &Node<'_>, name: &str) -> bool {
    match node.value() {
        ValueRef::Scalar(_) => node.as_str() == Some(name),
        ValueRef::Seq(items) => items.iter().any(|i| mentions(i, name)),
        ValueRef::Map(entries) => entries.iter().any(|e| mentions(e.value(), name)),
    }
}

/// Whether a map anywhere under `node` has the key.
fn has_key(node: &Node<'_>, key: &str) -> bool {
    match node.value() {
        ValueRef::Scalar(_) => false,
        ValueRef::Seq(items) => items.iter().any(|i| has_key(i, key)),
        ValueRef::Map(entries) => entries
            .iter()
            .any(|e| e.key_str() == Some(key) || has_key(e.value(), key)),
    }
}

/// Whether a map anywhere under `node` holds `key: value`, outside selectors: a `selector`,
/// `podSelector` or `workloadSelector` names pods that exist already (a PodMonitoring, an
/// Istio policy), it does not label the pods a resource creates.
fn has_pair(node: &Node<'_>, key: &str, value: &str) -> bool {
    match node.value() {
        ValueRef::Scalar(_) => false,
        ValueRef::Seq(items) => items.iter().any(|i| has_pair(i, key, value)),
        ValueRef::Map(entries) => entries.iter().any(|e| {
            let selects = e
                .key()
                .as_str()
                .is_some_and(|k| k == "selector" || k.ends_with("Selector"));
            !selects
                && ((e.key_str() == Some(key) && e.value().scalar_text() == Some(value))
                    || has_pair(e.value(), key, value))
        }),
    }
}
