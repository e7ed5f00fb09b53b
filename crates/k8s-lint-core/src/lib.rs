//! k8s-lint's rule engine: load a GitOps repository once, with exact spans, model its
//! kustomizations, index every deployed object, and check the wiring between them.
//!
//! ```no_run
//! let report = k8s_lint_core::lint(&k8s_lint_core::Options::new(vec![".".into()]))?;
//! for f in &report.findings {
//!     let file = &report.files[f.primary.span.file.0 as usize];
//!     let pos = file.position(f.primary.span.start as usize);
//!     println!("{}:{}:{}: {} {}", file.display, pos.line, pos.column, f.rule, f.message);
//! }
//! # Ok::<(), k8s_lint_core::LoadError>(())
//! ```

pub mod de;
pub mod finding;
pub mod index;
pub mod kustomize;
pub mod load;
pub mod object;
pub mod rule;
pub mod rules;
pub mod selector;
pub mod settings;
pub mod source;
pub mod yaml;

use std::collections::HashSet;
use std::ops::Range;
use std::path::PathBuf;

use rayon::prelude::*;

pub use finding::{Finding, Label, Severity};
pub use load::LoadError;
pub use rules::RULES;
pub use source::{FileId, Location, Position, SourceFile, Span};

use index::Index;
use kustomize::build::Builder;
use kustomize::Model;
use object::Object;
use rule::{Ctx, Rule};
pub use settings::{KubeVersion, RuleLevel, Settings};

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
    pub max_file_size: u64,
    pub settings: Settings,
}

impl Options {
    pub fn new(roots: Vec<PathBuf>) -> Options {
        Options {
            roots,
            base: std::env::current_dir().unwrap_or_default(),
            default_namespace: None,
            only: None,
            max_file_size: load::DEFAULT_MAX_FILE_SIZE,
            settings: Settings::default(),
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
}

/// The result of a run: the files (for rendering spans) and the findings, sorted.
#[derive(Debug)]
pub struct Report {
    pub files: Vec<SourceFile>,
    pub findings: Vec<Finding>,
    pub stats: Stats,
}

impl Report {
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

fn base_dir(options: &Options) -> PathBuf {
    source::normalize(&std::path::absolute(&options.base).unwrap_or_else(|_| options.base.clone()))
}

/// Lint every manifest under `options.roots`.
pub fn lint(options: &Options) -> Result<Report, LoadError> {
    let loaded = load::load(&options.roots, &base_dir(options), options.max_file_size)?;
    let (findings, objects) = check(&loaded, options);
    let stats = Stats {
        files: loaded.files.len(),
        objects,
        skipped: loaded.skipped,
    };
    let mut findings = findings;
    sort_findings(&mut findings, &loaded.files);
    Ok(Report {
        files: loaded.files,
        findings,
        stats,
    })
}

/// Everything the rules read, built once: parse every file, find objects, model the
/// kustomizations, replay their builds and index the result; then hand it to `f`.
fn analyze<R>(loaded: &load::Loaded, options: &Options, f: impl FnOnce(&Ctx<'_, '_>) -> R) -> R {
    let files = &loaded.files;
    let parsed = load::parse_all(files);
    let mut objects: Vec<Object> = Vec::new();
    let mut by_file: Vec<Range<u32>> = Vec::with_capacity(files.len());
    for (i, (file, p)) in files.iter().zip(&parsed).enumerate() {
        let start = objects.len() as u32;
        if !load::is_kustomization_file(&file.path) {
            object::objects_in(FileId(i as u32), p, &mut objects);
        }
        by_file.push(start..objects.len() as u32);
    }
    let model = Model::new(files, &parsed, &loaded.roots);
    let builder = Builder {
        model: &model,
        parsed: &parsed,
        objects: &objects,
        by_file: &by_file,
    };
    let built = builder.build_all(|i| model.enclosing(files[i].dir()).is_some());
    let index = Index::new(built, &objects, &parsed, options.default_namespace.clone());
    f(&Ctx {
        files,
        parsed: &parsed,
        file_problems: &loaded.problems,
        objects: &objects,
        model: &model,
        index: &index,
        settings: &options.settings,
    })
}

fn check(loaded: &load::Loaded, options: &Options) -> (Vec<Finding>, usize) {
    analyze(loaded, options, |cx| {
        let rules: Vec<(&dyn Rule, Option<Severity>)> = RULES
            .iter()
            .filter_map(|r| Some((*r, level_of(*r, options)?)))
            .collect();
        let findings = rules
            .par_iter()
            .flat_map_iter(|(r, severity)| {
                let mut out = Vec::new();
                r.check(cx, &mut out);
                if let Some(s) = severity {
                    out.iter_mut().for_each(|f| f.severity = *s);
                }
                out
            })
            .collect();
        (findings, cx.objects.len())
    })
}

/// Whether `rule` runs, and the severity that replaces its own (`Some(None)`: keep the rule's).
fn level_of(rule: &dyn Rule, options: &Options) -> Option<Option<Severity>> {
    let id = rule.meta().id;
    if let Some(only) = &options.only {
        return only.iter().any(|o| o == id).then_some(None);
    }
    match options.settings.rule_levels.get(id) {
        Some(RuleLevel::Off) => None,
        Some(RuleLevel::On(s)) => Some(Some(*s)),
        None => rule.meta().default_enabled.then_some(None),
    }
}

/// An object as a build deploys it: kind, namespace, name.
pub type DeployedId = (String, Option<String>, String);

/// What each kustomize build root deploys according to our model (the objects `kustomize
/// build` would emit, minus generated ones), for comparison with the real tool.
pub fn inventory(
    options: &Options,
) -> Result<std::collections::BTreeMap<PathBuf, std::collections::BTreeSet<DeployedId>>, LoadError>
{
    let loaded = load::load(&options.roots, &base_dir(options), options.max_file_size)?;
    Ok(analyze(&loaded, options, |cx| {
        let mut out = std::collections::BTreeMap::<PathBuf, std::collections::BTreeSet<_>>::new();
        for (i, inst) in cx.index.instances.iter().enumerate() {
            let Some(build) = inst.build else { continue };
            let o = cx.object(index::InstId(i as u32));
            out.entry(cx.model.get(build).dir.clone())
                .or_default()
                .insert((o.kind.clone(), inst.namespace.clone(), inst.name.clone()));
        }
        for root in cx.model.roots() {
            out.entry(cx.model.get(root).dir.clone()).or_default();
        }
        out
    }))
}

/// Deterministic order (file, position, rule, message), one finding per distinct report: an
/// object deployed by several overlays is often wrong the same way in each.
fn sort_findings(findings: &mut Vec<Finding>, files: &[SourceFile]) {
    findings.sort_by(|a, b| {
        let fa = &files[a.primary.span.file.0 as usize].display;
        let fb = &files[b.primary.span.file.0 as usize].display;
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
