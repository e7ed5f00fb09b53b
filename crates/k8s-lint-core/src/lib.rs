//! k8s-lint's rule engine: load a GitOps repository once, with exact spans, model its
//! kustomizations, index every deployed object, and check the wiring between them.
//!
//! ```no_run
//! let report = k8s_lint_core::lint(&k8s_lint_core::Options::new(vec![".".into()]))?;
//! for f in &report.findings {
//!     let file = &report.files[f.primary.span.file.0 as usize];
//!     let pos = file.position(f.primary.span.start as usize);
//!     println!("{}:{}:{}: {} {}", file.display(), pos.line, pos.column, f.rule, f.message);
//! }
//! # Ok::<(), k8s_lint_core::LoadError>(())
//! ```

// One module holds unsafe code, and says why: `yaml::node`, the packed tree node.
#![deny(unsafe_code)]

pub mod config;
pub mod de;
pub mod deployed;
pub mod fence;
pub mod finding;
pub mod fix;
pub mod git_index;
pub mod gitops;
mod hash;
pub mod index;
pub mod kustomize;
pub mod load;
pub mod memo;
pub mod navigate;
pub mod network;
pub mod object;
pub mod placeholder;
pub mod pod;
pub mod resolve;
pub mod rule;
pub mod rules;
pub mod scripts;
pub mod selector;
pub mod session;
pub mod settings;
pub mod source;
pub mod spelling;
pub mod substitute;
pub mod suppress;
pub mod yaml;

use std::borrow::Cow;
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use rayon::prelude::*;

pub use finding::{Finding, Label, Severity};
pub use load::LoadError;
pub use rules::RULES;
pub use source::{FileId, Location, Position, SourceFile, Span};

use gitops::GitOps;
use index::Index;
use kustomize::build::Builder;
use kustomize::Model;
use object::{Object, Objects};
use rule::{Ctx, Rule};
pub use settings::{KubeVersion, RuleLevel, Settings};
use suppress::Suppression;

#[derive(Clone, Debug)]
pub struct Options {
    /// Files or directories to lint (default `.`).
    pub roots: Vec<PathBuf>,
    /// Paths are shown relative to this directory.
    pub base: PathBuf,
    /// Namespace of objects that set none, when the deploy tool's default is known.
    pub default_namespace: Option<String>,
    /// Run only these rule ids (all when `None`).
    pub only: Option<Vec<String>>,
    /// Rule ids or globs (`tailscale-*`, `*`): when any is given, exactly the rules they match
    /// run (also those off by default), less `ignore`.
    pub select: Vec<String>,
    /// Rule ids or globs that never run.
    pub ignore: Vec<String>,
    pub max_file_size: u64,
    pub settings: Settings,
    /// Ignore every suppression (for audits).
    pub no_suppressions: bool,
    /// Keep suppressed findings in the report, marked, instead of dropping them.
    pub show_suppressed: bool,
    /// Only files matching these globs are read (all when empty).
    pub include: Vec<String>,
    /// Files matching these globs are never read.
    pub exclude: Vec<String>,
    /// `include`/`exclude` are relative to this directory (the config file's).
    pub globs_base: Option<PathBuf>,
    /// The repository top (default: the nearest directory holding `.git` at or above the first
    /// path). Paths never leave it, and linting below it is a partial view.
    pub repo_top: Option<PathBuf>,
    /// The most findings the report holds (see [`MAX_FINDINGS`]).
    pub max_findings: usize,
    /// Texts read instead of the files on disk (fixes not yet written, unsaved buffers).
    pub overlay: load::Overlay,
    /// Also record where references lead ([`Report::links`]), for editors.
    pub links: bool,
}

impl Options {
    pub fn new(roots: Vec<PathBuf>) -> Options {
        Options {
            roots,
            base: std::env::current_dir().unwrap_or_default(),
            default_namespace: None,
            only: None,
            select: Vec::new(),
            ignore: Vec::new(),
            max_file_size: load::DEFAULT_MAX_FILE_SIZE,
            settings: Settings::default(),
            no_suppressions: false,
            show_suppressed: false,
            include: Vec::new(),
            exclude: Vec::new(),
            globs_base: None,
            repo_top: None,
            max_findings: MAX_FINDINGS,
            overlay: load::Overlay::default(),
            links: false,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Manifest candidates walked (YAML, JSON, kustomizations).
    pub files: usize,
    /// Kubernetes objects found in them.
    pub objects: usize,
    /// Helm templates recognised and skipped.
    pub skipped: usize,
    /// Findings beyond [`MAX_FINDINGS`], not in the report (the least severe go first).
    pub omitted: usize,
}

/// The most findings a report holds, and related spans a finding holds: a hostile repository
/// within the file limits must not make a report of gigabytes. Real repositories are far
/// below; beyond, the least severe findings are dropped and counted.
pub const MAX_FINDINGS: usize = 10_000;
pub const MAX_RELATED: usize = 25;

/// The result of a run: the files (for rendering spans) and the findings, sorted.
#[derive(Debug)]
pub struct Report {
    /// Every file a span may point into: the manifests (`stats.files` of them), then the
    /// scripts and doc pages read for their shell commands.
    pub files: Vec<SourceFile>,
    pub findings: Vec<Finding>,
    pub stats: Stats,
    /// The repository top (of the first path): what paths in fingerprints are relative to, so
    /// that they do not depend on the working directory.
    pub repo_top: PathBuf,
    /// Where references lead, sorted by where they are written (only with `Options::links`).
    pub links: Vec<navigate::Link>,
    /// Wall time of each phase of the run, in order.
    pub timings: Vec<(&'static str, std::time::Duration)>,
    /// Time each rule took, slowest first: rules run in parallel, so these add up to more
    /// than the "rules" phase (which rule makes a slow lint slow).
    pub rule_timings: Vec<(&'static str, std::time::Duration)>,
}

impl Report {
    /// The path of a file relative to the repository top, `/`-separated (its display path
    /// when it is not below the top).
    pub fn repo_path(&self, id: FileId) -> String {
        let file = self.file(id);
        match file.path.strip_prefix(&self.repo_top) {
            Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
            Err(_) => file.display().to_string(),
        }
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Findings of a severity, not counting suppressed ones.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity && f.suppressed.is_none())
            .count()
    }
}

fn load_files(options: &Options) -> Result<load::Loaded, LoadError> {
    let base = base_dir(options);
    let globs_base = options.globs_base.clone().unwrap_or_else(|| base.clone());
    let filter = load::PathFilter::new(&base.join(globs_base), &options.include, &options.exclude)
        .map_err(LoadError::Filter)?;
    load::load(
        &options.roots,
        &base,
        &load::Reading {
            max_size: options.max_file_size,
            overlay: &options.overlay,
        },
        &filter,
        options.repo_top.as_deref(),
    )
}

fn base_dir(options: &Options) -> PathBuf {
    source::normalize(&std::path::absolute(&options.base).unwrap_or_else(|_| options.base.clone()))
}

/// Lint every manifest under `options.roots`.
pub fn lint(options: &Options) -> Result<Report, LoadError> {
    let mut clock = Clock::start();
    let loaded = load_files(options)?;
    clock.mark("walk and read");
    Ok(report(loaded, options, clock))
}

/// Wall time per phase of a run, for `--timings` and the speed work (see README "Speed").
#[derive(Clone, Debug, Default)]
pub struct Clock {
    pub phases: Vec<(&'static str, std::time::Duration)>,
    /// Each rule's own time, in the order rules ran.
    pub rules: Vec<(&'static str, std::time::Duration)>,
    last: Option<std::time::Instant>,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            phases: Vec::new(),
            rules: Vec::new(),
            last: Some(std::time::Instant::now()),
        }
    }

    /// Close the phase that ran since the last mark.
    pub fn mark(&mut self, phase: &'static str) {
        let now = std::time::Instant::now();
        if let Some(last) = self.last {
            self.phases.push((phase, now - last));
        }
        self.last = Some(now);
    }
}

/// Lint files given in memory, `(path, text)` with absolute paths below `top`, as if they
/// were the repository at `top` (manifests and scripts told apart by name, as the walk does).
/// Nothing is read from disk but what a kustomization entry or GitOps path may look up (and
/// only below `top`, through the fence). For fuzzing, and for editors' unsaved buffers.
pub fn lint_sources(
    top: &std::path::Path,
    sources: Vec<(PathBuf, String)>,
    options: &Options,
) -> Report {
    let mut sources = sources;
    sources.sort_by(|a, b| a.0.cmp(&b.0));
    sources.dedup_by(|a, b| a.0 == b.0);
    let base = base_dir(options);
    let mut files = Vec::new();
    let mut scripts = Vec::new();
    for (path, text) in sources {
        let path = source::normalize(&path);
        let display = path
            .strip_prefix(&base)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        if load::is_candidate(&path) {
            files.push(SourceFile::new(path, display, text));
        } else if scripts::is_script(&path) {
            scripts.push(SourceFile::new(path, display, text));
        }
    }
    let loaded = load::Loaded {
        roots: vec![top.to_path_buf()],
        files,
        scripts,
        problems: Vec::new(),
        skipped: Vec::new(),
        fence: fence::Fence::new(&[top.to_path_buf()]),
    };
    let mut options = options.clone();
    options.repo_top = Some(top.to_path_buf());
    report(loaded, &options, Clock::start())
}

fn report(loaded: load::Loaded, options: &Options, mut clock: Clock) -> Report {
    let parsed = load::parse_all(&loaded.files);
    clock.mark("parse");
    let objects = objects_of(&loaded, &parsed);
    clock.mark("objects");
    let checked = check(&loaded, &parsed, &objects, None, None, options, &mut clock);
    // Free the trees on every core: a large repository holds millions of small allocations,
    // and freeing them one by one is a visible part of a run.
    parsed.into_par_iter().for_each(drop);
    clock.mark("drop trees");
    finish(loaded, checked, options, clock)
}

/// The findings of a run, sorted and budgeted, with the files they point into.
fn finish(loaded: load::Loaded, checked: Checked, options: &Options, mut clock: Clock) -> Report {
    let (mut findings, objects, links) = checked;
    let mut stats = Stats {
        files: loaded.files.len(),
        objects,
        skipped: loaded.skipped.len(),
        omitted: 0,
    };
    sort_findings(&mut findings, &loaded.files);
    stats.omitted = budget(&mut findings, &loaded.files, options.max_findings);
    clock.mark("sort");
    let repo_top = loaded
        .fence
        .tops()
        .next()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let mut files = loaded.files;
    files.extend(loaded.scripts);
    Report {
        files,
        findings,
        stats,
        repo_top,
        links,
        timings: clock.phases,
        rule_timings: {
            let mut rules = clock.rules;
            rules.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            rules
        },
    }
}

/// What an editor's session keeps between lints, derived from its trees: only what changed
/// is made again (its objects too, which every caller owns: the builds and the index borrow
/// their names).
#[derive(Clone, Copy)]
struct Kept<'a> {
    model: &'a Model,
    /// The objects' views as written, in object order.
    views: &'a [index::Decoded],
}

/// Every file's objects.
fn objects_of(loaded: &load::Loaded, parsed: &[yaml::Parsed<'_>]) -> Objects {
    Objects::of(parsed, |i| {
        kustomize::is_kustomization(&loaded.files[i], &parsed[i])
    })
}

/// The kustomize model of the files.
fn model_of(loaded: &load::Loaded, parsed: &[yaml::Parsed<'_>], options: &Options) -> Model {
    let top = options
        .repo_top
        .as_deref()
        .map(|t| source::normalize(&std::path::absolute(t).unwrap_or_else(|_| t.to_path_buf())));
    Model::new(
        &loaded.files,
        parsed,
        &loaded.roots,
        top.as_deref(),
        &loaded.fence,
    )
}

/// Everything the rules read, built once: every file parsed, its objects, the kustomize model
/// with its builds replayed, and the index over what is deployed.
struct Analysis<'a, 's> {
    loaded: &'a load::Loaded,
    /// One tree per file of `loaded.files`, in order.
    parsed: &'a [yaml::Parsed<'s>],
    objects: &'a Objects,
    model: Cow<'a, Model>,
    gitops: GitOps,
    index: Index<'s>,
    settings: &'a Settings,
    broken_files: Vec<FileId>,
    sources: resolve::Sources,
    scripts: scripts::Scripts,
}

impl<'a, 's> Analysis<'a, 's>
where
    'a: 's,
{
    /// `deploy`: apply what the GitOps tools add (their namespaces) on top of kustomize.
    /// `kept`: what the caller keeps of `parsed` (an editor's session).
    fn new(
        loaded: &'a load::Loaded,
        parsed: &'a [yaml::Parsed<'s>],
        found: &'a Objects,
        kept: Option<Kept<'a>>,
        options: &'a Options,
        deploy: bool,
        clock: &mut Clock,
    ) -> Analysis<'a, 's> {
        let files = &loaded.files;
        let (objects, by_file) = (&found.list[..], &found.by_file[..]);
        let model = match kept {
            Some(kept) => Cow::Borrowed(kept.model),
            None => Cow::Owned(model_of(loaded, parsed, options)),
        };
        let mut bases = loaded.roots.clone();
        bases.push(model.repo_top.clone());
        let mut gitops = GitOps::new(objects, parsed, &bases, &loaded.fence);
        let mut built = Builder {
            model: &model,
            parsed,
            objects,
            by_file,
        }
        .build_all(|i| model.in_kustomize_tree(files[i].dir(), &gitops));
        clock.mark("kustomize model and builds");
        if deploy {
            let deploy = |instances: &mut [kustomize::build::Instance<'s>], gitops: &GitOps| {
                apply_gitops_namespaces(instances, gitops, &model, files, objects);
                substitute::apply(instances, gitops, &model, files, objects, parsed);
            };
            deploy(&mut built.instances, &gitops);
            // A Flux path that was a variable is known now: its app deploys another directory,
            // with its own namespace and variables.
            if gitops.substitute_paths(&built.instances, objects, parsed, &bases) {
                deploy(&mut built.instances, &gitops);
            }
        }
        clock.mark("gitops");
        let views = kept.map(|k| k.views);
        let index = Index::new(
            built,
            objects,
            parsed,
            options.default_namespace.clone(),
            views,
        );
        clock.mark("index and typed views");
        let broken_files = broken_files(loaded, parsed);
        // Scripts' file ids follow the manifests' (the report holds both, for related spans).
        let scripts = scripts::Scripts::new(&loaded.scripts, files.len() as u32, &model.repo_top);
        let sources =
            resolve::Sources::new(&index, &model, &gitops, objects, files, parsed, &scripts);
        clock.mark("scripts and sources");
        Analysis {
            loaded,
            broken_files,
            sources,
            scripts,
            parsed,
            objects: found,
            model,
            gitops,
            index,
            settings: &options.settings,
        }
    }

    /// Free the views on every core: a large repository holds millions of small allocations,
    /// and freeing them one by one is a visible part of a run.
    fn drop_in_parallel(self) {
        self.index.drop_in_parallel();
    }

    fn ctx<'c>(&'c self, suppressions: &'c [Suppression], ran: &'c [&'static str]) -> Ctx<'c, 's> {
        Ctx {
            files: &self.loaded.files,
            roots: &self.loaded.roots,
            parsed: self.parsed,
            file_problems: &self.loaded.problems,
            objects: &self.objects.list,
            model: &self.model,
            gitops: &self.gitops,
            index: &self.index,
            settings: self.settings,
            suppressions,
            ran,
            broken_files: &self.broken_files,
            sources: &self.sources,
            scripts: &self.scripts,
            partial_view: !self.loaded.roots.contains(&self.model.repo_top),
            placement: std::sync::OnceLock::new(),
            exposed: rule::PerInstance::new(),
            service_pods: rule::PerInstance::new(),
            ingress_backends: rule::PerInstance::new(),
        }
    }
}

/// Files with a syntax error or invalid UTF-8.
fn broken_files(loaded: &load::Loaded, parsed: &[yaml::Parsed<'_>]) -> Vec<FileId> {
    let syntax = parsed.iter().enumerate().filter_map(|(i, p)| {
        let broken = p
            .problems
            .iter()
            .any(|p| !matches!(p, yaml::Problem::DuplicateKey { .. }));
        broken.then_some(FileId(i as u32))
    });
    let encoding = loaded
        .problems
        .iter()
        .filter_map(|(f, p)| matches!(p, load::FileProblem::NotUtf8 { .. }).then_some(*f));
    let mut all: Vec<FileId> = syntax.chain(encoding).collect();
    all.sort();
    all.dedup();
    all
}

/// Namespaces the deploying GitOps app gives: Flux `targetNamespace` overrides like kustomize's
/// `namespace:`; Argo CD's destination fills in objects that set none.
fn apply_gitops_namespaces(
    instances: &mut [kustomize::build::Instance<'_>],
    gitops: &GitOps,
    model: &Model,
    files: &[SourceFile],
    objects: &[Object],
) {
    if gitops.apps.is_empty() {
        return;
    }
    for inst in instances {
        let o = &objects[inst.object.0 as usize];
        let dir = match inst.build {
            Some(k) => model.get(k).dir.as_ref(),
            None => files[o.file.0 as usize].dir(),
        };
        let Some(app) = gitops.app_for(dir) else {
            continue;
        };
        if object::is_cluster_scoped(o.group(), o.kind()) {
            continue;
        }
        if app.forces_namespace || inst.namespace.is_none() {
            inst.namespace = app
                .namespace
                .clone()
                .map(Cow::Owned)
                .or(inst.namespace.take());
        }
    }
}

/// The findings of `rules`, and the time each took.
fn run_rules(
    rules: &[(&dyn Rule, Option<Severity>)],
    cx: &Ctx<'_, '_>,
    clock: &mut Clock,
) -> Vec<Finding> {
    let ran: Vec<(Vec<Finding>, std::time::Duration)> = rules
        .par_iter()
        .map(|(r, severity)| {
            let mut out = Vec::new();
            let start = std::time::Instant::now();
            r.check(cx, &mut out);
            let took = start.elapsed();
            apply_level(&mut out, r.meta().severity, *severity);
            (out, took)
        })
        .collect();
    let ids = rules.iter().map(|(r, _)| r.meta().id);
    clock
        .rules
        .extend(ids.zip(ran.iter().map(|(_, took)| *took)));
    ran.into_iter().flat_map(|(out, _)| out).collect()
}

/// A configured level replaces the rule's own severity (also where the rule raised it);
/// findings the rule softened below it (what the repository cannot show) keep theirs.
fn apply_level(findings: &mut [Finding], default: Severity, level: Option<Severity>) {
    if let Some(s) = level {
        findings
            .iter_mut()
            .filter(|f| f.severity >= default)
            .for_each(|f| f.severity = s);
    }
}

/// Instances per task of the per-instance rules: each rule runs over a task's instances in
/// turn, timed once per task rather than once per instance.
const INSTANCES_PER_TASK: usize = 64;

/// An instance's findings in [`run_instance_rules`]: kept from the last lint, or made now.
type Found<'m> = Result<&'m [Finding], Vec<Finding>>;

/// What one task of [`run_instance_rules`] found.
struct Task {
    /// Of every instance, in instance order.
    all: Vec<Finding>,
    /// Of the instances as written that were checked now, to keep.
    fresh: Vec<(index::InstId, Vec<Finding>)>,
    /// Each rule's time.
    took: Vec<Duration>,
}

/// The findings of the per-instance rules (see [`rule::InstanceRule`]), with the time each
/// took. With a `memo` (an editor's session), an instance as written whose entry still holds
/// is not checked again, and what is found about the others as written is kept in it.
fn run_instance_rules(
    rules: &[(&dyn Rule, Option<Severity>)],
    cx: &Ctx<'_, '_>,
    mut memo: Option<&mut memo::Memo>,
    clock: &mut Clock,
) -> Vec<Finding> {
    let checks: Vec<(&rule::RuleMeta, &dyn rule::InstanceRule, Option<Severity>)> = rules
        .iter()
        .filter_map(|(r, level)| Some((r.meta(), r.per_instance()?, *level)))
        .collect();
    let n = cx.index.instances.len();
    let kept = memo.as_deref();
    // Only an instance as written depends on its own file alone: a patched or substituted
    // tree also follows the files that change it.
    let as_written = |id: index::InstId| cx.index.inst(id).patched.is_none();
    let tasks: Vec<Task> = (0..n.div_ceil(INSTANCES_PER_TASK))
        .into_par_iter()
        .map(|t| {
            let ids = (t * INSTANCES_PER_TASK..n.min((t + 1) * INSTANCES_PER_TASK))
                .map(|i| index::InstId(i as u32));
            let mut found: Vec<Found<'_>> = ids
                .clone()
                .map(|id| {
                    let kept = kept.filter(|_| as_written(id));
                    kept.and_then(|m| m.get(cx.object(id), cx.index.inst(id)))
                        .map_or_else(|| Err(Vec::new()), Ok)
                })
                .collect();
            let mut took = vec![Duration::ZERO; checks.len()];
            for ((meta, check, level), took) in checks.iter().zip(&mut took) {
                let start = std::time::Instant::now();
                for (id, f) in ids.clone().zip(&mut found) {
                    let Err(out) = f else { continue };
                    let before = out.len();
                    check.check_instance(&rule::One::new(cx, id), out);
                    apply_level(&mut out[before..], meta.severity, *level);
                }
                *took = start.elapsed();
            }
            let mut all = Vec::new();
            let mut fresh = Vec::new();
            for (id, f) in ids.zip(found) {
                match f {
                    Ok(kept) => all.extend_from_slice(kept),
                    Err(new) => {
                        all.extend_from_slice(&new);
                        if kept.is_some() && as_written(id) {
                            fresh.push((id, new));
                        }
                    }
                }
            }
            Task { all, fresh, took }
        })
        .collect();
    let mut took = vec![Duration::ZERO; checks.len()];
    let mut out = Vec::new();
    for Task {
        all,
        fresh,
        took: times,
    } in tasks
    {
        out.extend(all);
        for (t, d) in took.iter_mut().zip(times) {
            *t += d;
        }
        if let Some(memo) = memo.as_deref_mut() {
            for (id, findings) in fresh {
                memo.put(cx.object(id), cx.index.inst(id), findings);
            }
        }
    }
    clock
        .rules
        .extend(checks.iter().map(|(meta, ..)| meta.id).zip(took));
    out
}

/// Only the navigation links, without the rules (an editor asks for them on a definition or
/// hover, not on every edit).
fn links_only(
    loaded: &load::Loaded,
    parsed: &[yaml::Parsed<'_>],
    objects: &Objects,
    kept: Option<Kept<'_>>,
    options: &Options,
) -> Vec<navigate::Link> {
    let analysis = Analysis::new(
        loaded,
        parsed,
        objects,
        kept,
        options,
        true,
        &mut Clock::start(),
    );
    let links = navigate::links(&analysis.ctx(&[], &[]));
    analysis.drop_in_parallel();
    links
}

/// What [`check`] found: the findings, the number of objects, and the navigation links.
type Checked = (Vec<Finding>, usize, Vec<navigate::Link>);

/// Run the enabled rules, apply suppressions, then run the rules about suppressions.
/// `kept`: what the caller keeps of `parsed`.
fn check(
    loaded: &load::Loaded,
    parsed: &[yaml::Parsed<'_>],
    objects: &Objects,
    kept: Option<Kept<'_>>,
    mut memo: Option<&mut memo::Memo>,
    options: &Options,
    clock: &mut Clock,
) -> Checked {
    let analysis = Analysis::new(loaded, parsed, objects, kept, options, true, clock);
    let links = if options.links {
        navigate::links(&analysis.ctx(&[], &[]))
    } else {
        Vec::new()
    };
    let (later, first): (Vec<_>, Vec<_>) = RULES
        .iter()
        .filter_map(|r| Some((*r, level_of(*r, options)?)))
        .partition(|(r, _)| r.after_suppressions());
    clock.mark("links");
    let cx = analysis.ctx(&[], &[]);
    let (each, whole): (Vec<_>, Vec<_>) = first
        .iter()
        .copied()
        .partition(|(r, _)| r.per_instance().is_some());
    // The two kinds run side by side, each spreading its own work over the cores.
    let (mut whole_clock, mut each_clock) = (Clock::start(), Clock::start());
    let (mut findings, of_instances) = rayon::join(
        || run_rules(&whole, &cx, &mut whole_clock),
        || run_instance_rules(&each, &cx, memo.as_deref_mut(), &mut each_clock),
    );
    findings.extend(of_instances);
    clock.rules.extend(whole_clock.rules);
    clock.rules.extend(each_clock.rules);
    clock.mark("rules");
    if !options.no_suppressions {
        let mut suppressions =
            suppress::collect(&loaded.files, analysis.parsed, analysis.objects, memo);
        suppress::apply(&mut findings, &mut suppressions);
        let ran: Vec<&'static str> = first.iter().map(|(r, _)| r.meta().id).collect();
        findings.extend(run_rules(&later, &analysis.ctx(&suppressions, &ran), clock));
        clock.mark("suppressions");
    }
    // Kustomize roots the repository evidently parks: not reached from GitOps entry points
    // that say what is deployed, or only mentioned in a commented-out entry.
    let unreached = deployed::Unreached::new(
        &analysis.model,
        &analysis.gitops,
        &analysis.index,
        &analysis.objects.list,
        &loaded.files,
        &analysis.scripts,
    );
    if let Some(u) = unreached {
        // The folded note is a rule's: with that rule turned off, nothing is folded.
        let folds = |id: &str| {
            rules::by_id(id)
                .and_then(|r| level_of(r, options))
                .is_some()
        };
        u.fold(
            &mut findings,
            &analysis.model,
            &loaded.files,
            &analysis.scripts,
            folds,
        );
    }
    if !options.no_suppressions && !options.show_suppressed {
        findings.retain(|f| f.suppressed.is_none());
    }
    clock.mark("fold parked roots");
    let n = analysis.objects.list.len();
    analysis.drop_in_parallel();
    clock.mark("drop views");
    (findings, n, links)
}

/// Whether `rule` runs, and the severity that replaces its own (`Some(None)`: keep the rule's).
/// `ignore` wins; a `select` list names exactly the rules that run; a configured level then
/// sets the severity (or `off`).
fn level_of(rule: &dyn Rule, options: &Options) -> Option<Option<Severity>> {
    let id = rule.meta().id;
    if let Some(only) = &options.only {
        return only.iter().any(|o| o == id).then_some(None);
    }
    if options.ignore.iter().any(|p| rules::pattern_matches(p, id)) {
        return None;
    }
    let selecting = !options.select.is_empty();
    if selecting && !options.select.iter().any(|p| rules::pattern_matches(p, id)) {
        return None;
    }
    match options.settings.rule_levels.get(id) {
        Some(RuleLevel::Off) => None,
        Some(RuleLevel::On(s)) => Some(Some(*s)),
        None => (selecting || rule.meta().default_enabled).then_some(None),
    }
}

/// The rules that run with `options`, and the severity each reports at by default.
pub fn effective_rules(options: &Options) -> Vec<(&'static str, Severity)> {
    RULES
        .iter()
        .filter_map(|r| {
            let level = level_of(*r, options)?;
            Some((r.meta().id, level.unwrap_or(r.meta().severity)))
        })
        .collect()
}

/// An object as a build deploys it: kind, namespace, name.
pub type DeployedId = (String, Option<String>, String);

/// What each kustomize build root deploys according to our model (the objects `kustomize
/// build` would emit, minus generated ones), for comparison with the real tool.
pub fn inventory(
    options: &Options,
) -> Result<std::collections::BTreeMap<PathBuf, std::collections::BTreeSet<DeployedId>>, LoadError>
{
    let loaded = load_files(options)?;
    // What `kustomize build` emits: without the namespaces Argo CD or Flux add afterwards.
    let parsed = load::parse_all(&loaded.files);
    let objects = objects_of(&loaded, &parsed);
    let analysis = Analysis::new(
        &loaded,
        &parsed,
        &objects,
        None,
        options,
        false,
        &mut Clock::start(),
    );
    let cx = analysis.ctx(&[], &[]);
    let mut out = std::collections::BTreeMap::<PathBuf, std::collections::BTreeSet<_>>::new();
    for (i, inst) in cx.index.instances.iter().enumerate() {
        let Some(build) = inst.build else { continue };
        let o = cx.object(index::InstId(i as u32));
        out.entry(cx.model.get(build).dir.to_path_buf())
            .or_default()
            .insert((
                o.kind().to_string(),
                inst.namespace.as_deref().map(String::from),
                inst.name.to_string(),
            ));
    }
    for root in cx.model.roots() {
        out.entry(cx.model.get(root).dir.to_path_buf()).or_default();
    }
    Ok(out)
}

/// Apply the findings budget to a report whose findings a caller filtered (a baseline):
/// at most `max` findings, the most severe kept, the rest counted in `stats.omitted`.
pub fn apply_budget(report: &mut Report, max: usize) {
    report.stats.omitted += budget(&mut report.findings, &report.files, max);
}

/// Keep at most `max` findings, the most severe (ties by position), each with at most
/// [`MAX_RELATED`] related spans; returns how many were dropped.
fn budget(findings: &mut Vec<Finding>, files: &[SourceFile], max: usize) -> usize {
    for f in findings.iter_mut() {
        f.related.truncate(MAX_RELATED);
    }
    if findings.len() <= max {
        return 0;
    }
    let omitted = findings.len() - max;
    // Stable: within a severity, the position order of `sort_findings` stays.
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings.truncate(max);
    sort_findings(findings, files);
    omitted
}

/// Deterministic order (file, position, rule, message), one finding per distinct report: an
/// object deployed by several overlays is often wrong the same way in each.
fn sort_findings(findings: &mut Vec<Finding>, files: &[SourceFile]) {
    findings.sort_by(|a, b| {
        let fa = &files[a.primary.span.file.0 as usize].display();
        let fb = &files[b.primary.span.file.0 as usize].display();
        (fa, a.primary.span.start, a.rule, &a.message).cmp(&(
            fb,
            b.primary.span.start,
            b.rule,
            &b.message,
        ))
    });
    let mut seen = HashSet::new();
    findings.retain(|f| seen.insert((f.rule, f.primary.span, f.message.clone())));
}
