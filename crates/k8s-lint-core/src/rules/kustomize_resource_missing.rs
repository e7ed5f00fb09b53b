//! A path listed in a kustomization does not exist, or is not what its field needs.
//!
//! Docs: `rules/kustomize-resource-missing.md`.

use std::path::Path;

use ignore::gitignore::GitignoreBuilder;

use crate::finding::{Finding, Severity};
use crate::fix::{self, Applicability, Edit, Fix};
use crate::hash::HashMap;
use crate::kustomize::{Kustomization, PathEntry, Target};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::source::{FileId, Span};
use crate::yaml::Node;

use super::closest;

pub struct KustomizeResourceMissing;

static META: RuleMeta = RuleMeta {
    id: "kustomize-resource-missing",
    severity: Severity::Error,
    summary: "A path listed in a kustomization does not exist, or is not what its field needs.",
    default_enabled: true,
    scope: Scope::Repository,
    fix: Some(Applicability::Unsafe),
};

impl Rule for KustomizeResourceMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        // Made at the first missing entry, then shared: a scan of every file per entry would
        // cost entries x files on a kustomization listing thousands of missing paths.
        let near = std::cell::OnceCell::new();
        let near = || near.get_or_init(|| Near::new(cx));
        for k in &cx.model.kusts {
            string_patches(cx, k, out);
            for e in &k.entries {
                let field = e.role.field();
                let text = &e.text;
                let fails = "`kustomize build` fails".to_string();
                let outside = "neither CI nor Argo CD nor Flux can read outside the checkout";
                let (message, notes, label, help) = match e.target {
                    Target::Missing => (
                        format!("`{field}` entry `{text}` does not exist"),
                        vec![fails],
                        "no such file or directory",
                        match suggestion(near(), e, e.path(&cx.model.kusts, cx.files)) {
                            Some(s) => format!("did you mean `{s}`? Fix the path or remove the entry"),
                            None => "fix the path or remove the entry".to_string(),
                        },
                    ),
                    Target::Dir(None) if e.role.needs_kustomization() => (
                        format!(
                            "`{field}` entry `{text}` is a directory without `kustomization.yaml`, `kustomization.yml` or `Kustomization`"
                        ),
                        vec![fails],
                        "no kustomization in this directory",
                        "add a kustomization to the directory, or list its files one by one".to_string(),
                    ),
                    Target::Escapes => (
                        format!("`{field}` entry `{text}` leads outside the repository through a symlink"),
                        vec![
                            "kustomize refuses files outside the kustomization root".to_string(),
                            outside.to_string(),
                        ],
                        "leads outside the repository",
                        "list a path inside the repository (k8s-lint never reads or shows what lies outside it)".to_string(),
                    ),
                    Target::Outside if cx.model.escapes_repository(e) => (
                        format!("`{field}` entry `{text}` points outside the repository"),
                        vec!["kustomize rejects absolute paths".to_string(), outside.to_string()],
                        "outside the repository",
                        "list a path inside the repository (k8s-lint never reads or shows what lies outside it)".to_string(),
                    ),
                    Target::WrongType => {
                        let want = if e.role.field() == "components" { "a directory" } else { "a file" };
                        (
                            format!("`{field}` entry `{text}` must be {want}"),
                            vec![fails],
                            "wrong kind of path",
                            format!("point the entry at {want}"),
                        )
                    }
                    _ => continue,
                };
                let f = Finding {
                    notes,
                    ..Finding::new(&META, e.span, message).label(label).help(help)
                };
                // A missing file that `.gitignore` matches is made at build or sync time (a
                // script, a CI step, an Argo CD plugin): it is not in Git on purpose.
                let written = matches!(e.target, Target::Missing)
                    .then(|| cx.written_by_script(e.path(&cx.model.kusts, cx.files)))
                    .flatten();
                let not_here = format!("`{field}` entry `{text}` is not in the repository");
                let template = (matches!(e.target, Target::Missing) && written.is_none())
                    .then(|| template_above(cx, near(), e.path(&cx.model.kusts, cx.files)))
                    .flatten();
                out.push(match e.target {
                    // A script of the repository writes it (`helm template ... > manifest.yaml`)
                    // before the build: the build fails only when run without it.
                    Target::Missing if written.is_some() => {
                        let c = written.expect("checked");
                        Finding {
                            message: not_here,
                            notes: vec![format!("`{}` writes it, so it exists only when that runs before the build (which fails without it)", c.shown)],
                            help: Some("if the build always runs after that command, nothing to do".into()),
                            ..f
                        }
                        .related(c.span, "writes the file")
                        .severity(Severity::Info)
                    }
                    Target::Missing if template.is_some() => {
                        let (at, var) = template.expect("checked");
                        let shown = cx.file(at.file).display();
                        Finding {
                            message: not_here,
                            notes: vec![format!("`{shown}` has the same name and holds `{var}`: the file is probably filled in from it (`envsubst`) and copied here before the build, which fails without it")],
                            help: Some("if a script or a guide's step renders it, nothing to do".into()),
                            ..f
                        }
                        .related(at, "a placeholder of the template")
                        .severity(Severity::Info)
                    }
                    Target::Missing if gitignored(cx, e.path(&cx.model.kusts, cx.files)) => Finding {
                        message: not_here,
                        notes: vec!["`.gitignore` matches it, so it is probably generated before the build (which fails without it)".into()],
                        help: Some("if a script or CI step writes it, nothing to do".into()),
                        ..f
                    }
                    .severity(Severity::Info),
                    // Unsafe: the author may have meant another path (the help's guess).
                    Target::Missing => f.fix(removal(cx, k, e).map(|edit| {
                        Fix::unsafe_(format!("remove the `{field}` entry `{text}`"), vec![edit])
                    })),
                    _ => f,
                });
            }
        }
    }
}

/// The edit that removes entry `e` from its list.
fn removal(cx: &Ctx<'_, '_>, k: &Kustomization, e: &PathEntry) -> Option<Edit> {
    let list = k.root(cx.parsed)?.get(e.role.field())?;
    let index = list.as_seq()?.iter().position(|item| item.span == e.span)?;
    fix::yaml::remove_item(k.file, &cx.file(k.file).text, list, index)
}

/// The walked files by path, and the names of the files and kustomization directories of
/// each directory.
struct Near<'a> {
    files: HashMap<&'a Path, FileId>,
    names: HashMap<&'a Path, Vec<&'a str>>,
}

impl<'a> Near<'a> {
    fn new(cx: &Ctx<'a, '_>) -> Near<'a> {
        let files: HashMap<&Path, FileId> = cx
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (&*f.path, FileId(i as u32)))
            .collect();
        let mut names: HashMap<&Path, Vec<&str>> = HashMap::default();
        let dirs = cx.model.dirs.keys().map(|d| d.as_path());
        for p in cx.files.iter().map(|f| &*f.path).chain(dirs) {
            if let (Some(parent), Some(name)) = (p.parent(), p.file_name().and_then(|n| n.to_str()))
            {
                names.entry(parent).or_default().push(name);
            }
        }
        Near { files, names }
    }
}

/// A walked file or kustomization directory next to the missing path with a similar name.
fn suggestion(near: &Near<'_>, e: &PathEntry, path: &Path) -> Option<String> {
    let parent = path.parent()?;
    let name = path.file_name()?.to_str()?;
    let siblings = near.names.get(parent)?;
    let best = closest(name, siblings.iter().copied())?;
    let entry = Path::new(&*e.text);
    Some(match entry.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(p) => format!("{}/{best}", p.display()),
        None => best.to_string(),
    })
}

/// `patches:` entries that are plain strings: kustomize v5 cannot read the kustomization.
fn string_patches(cx: &Ctx<'_, '_>, k: &Kustomization, out: &mut Vec<Finding>) {
    let Some(root) = k.root(cx.parsed) else {
        return;
    };
    for item in root.get("patches").and_then(Node::as_seq).unwrap_or(&[]) {
        let Some(text) = item.as_str() else { continue };
        out.push(
            Finding::new(
                &META,
                item.span,
                "`patches` entry is a plain string",
            )
            .label("not a patch object")
            .note("`kustomize build` fails with `json: cannot unmarshal string into Go struct field Kustomization.patches of type types.Patch`")
            .help(if text.contains('\n') {
                "write the inline patch as `- patch: |` (with a `target:` when it names no object)".to_string()
            } else {
                format!("write it as `- path: {text}`")
            }),
        );
    }
}

/// A walked file of the same name as the missing `path`, in a directory above it (at most
/// three levels, inside the repository), that nothing builds and whose text holds an
/// `envsubst` placeholder: its file, and the first placeholder. A guide or a pipeline fills
/// such a template in and copies it into place (`envsubst < ../deploy.yaml > deploy.yaml`).
/// A file a build reads is no template: its `${VAR}` is Flux's substitution, and the entry
/// may well be a wrong path to it.
fn template_above(cx: &Ctx<'_, '_>, near: &Near<'_>, path: &Path) -> Option<(Span, String)> {
    let name = path.file_name()?;
    let top = &cx.model.repo_top;
    let above = path
        .parent()?
        .ancestors()
        .skip(1)
        .take(3)
        .filter(|d| d.starts_with(top));
    for dir in above {
        let candidate = dir.join(name);
        let Some(&file) = near.files.get(candidate.as_path()) else {
            continue;
        };
        let i = file.0 as usize;
        if cx.built_by_kustomize(file) {
            continue;
        }
        let text = &cx.files[i].text;
        if let Some(at) = crate::substitute::first_variable(text) {
            return Some((Span::new(file, at.start, at.end), text[at].to_string()));
        }
    }
    None
}

/// Whether a `.gitignore` of the repository, at or above the path's directory, matches it.
fn gitignored(cx: &Ctx<'_, '_>, path: &Path) -> bool {
    let top = &cx.model.repo_top;
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(top)) {
        let file = d.join(".gitignore");
        // Only inside the repository, and never through a symlink.
        let real = match cx.gitops.fence().locate(&file) {
            crate::fence::Place::Inside(real) => real,
            _ => {
                dir = d.parent();
                continue;
            }
        };
        if std::fs::symlink_metadata(&file).is_ok_and(|m| m.is_file()) && real.is_file() {
            let mut builder = GitignoreBuilder::new(d);
            if builder.add(&file).is_none() {
                if let Ok(gi) = builder.build() {
                    if gi.matched_path_or_any_parents(path, false).is_ignore() {
                        return true;
                    }
                }
            }
        }
        dir = d.parent();
    }
    false
}
