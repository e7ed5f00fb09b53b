//! A manifest candidate could not be read: permissions, a symlink loop, a special file, or its size.
//!
//! Docs: `rules/file-unreadable.md`.

use crate::finding::{Finding, Severity};
use crate::load::FileProblem;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::source::Span;

pub struct FileUnreadable;

static META: RuleMeta = RuleMeta {
    id: "file-unreadable",
    severity: Severity::Error,
    summary: "A manifest candidate could not be read: permissions, a symlink loop, a special file, or its size.",
    default_enabled: true,
    scope: Scope::File,
    fix: None,
};

impl Rule for FileUnreadable {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for (file, problem) in cx.file_problems {
            let reason = match problem {
                FileProblem::Dangling => {
                    out.push(dangling(cx, *file));
                    continue;
                }
                FileProblem::Unreadable(reason) => reason.clone(),
                // Not named like a manifest, it may lead to anything: only worth saying.
                FileProblem::LeadsOutside => {
                    out.push(
                        Finding::new(
                            &META,
                            Span::new(*file, 0, 0),
                            format!(
                                "not following `{}`: a symlink leading outside the repository",
                                cx.file(*file).display()
                            ),
                        )
                        .severity(Severity::Info)
                        .help("k8s-lint reads nothing outside the repository; if manifests are there, lint them where they are"),
                    );
                    continue;
                }
                FileProblem::TooLarge { size, limit } => {
                    format!("{size} bytes exceeds the {limit}-byte limit; not read")
                }
                FileProblem::NotUtf8 { .. } => continue,
            };
            // The loader's reasons end in what it did about it ("; not read"): a note.
            // "...; not read": the headline says so already.
            let cause = match reason.rsplit_once("; ") {
                Some((cause, done)) if done.starts_with("not ") => cause,
                _ => reason.as_str(),
            };
            let f = Finding::new(
                &META,
                Span::new(*file, 0, 0),
                format!("cannot read `{}`: {cause}", cx.file(*file).display()),
            )
            .help("fix the file, or exclude it with .gitignore or .k8slintignore");
            out.push(f);
        }
        // A chain of kustomizations deeper than any real tree: what is below is not read.
        for (span, text) in &cx.index.too_deep {
            out.push(
                Finding::new(
                    &META,
                    *span,
                    format!(
                        "cannot read `{text}`: it is nested more than {} kustomizations deep",
                        crate::kustomize::build::MAX_BUILD_DEPTH
                    ),
                )
                .severity(Severity::Warning)
                .label("not followed")
                .note("k8s-lint does not follow it, and checks nothing it deploys")
                .help("flatten the chain of bases; real kustomize trees are a few levels deep"),
            );
        }
    }
}

/// A symlink to nothing holds nothing to lint: an info, unless a kustomization lists it (then
/// its build fails).
fn dangling(cx: &Ctx<'_, '_>, file: crate::source::FileId) -> Finding {
    let shown = cx.file(file).display();
    let f = Finding::new(
        &META,
        Span::new(file, 0, 0),
        format!("cannot read `{shown}`: a symlink whose target does not exist"),
    )
    .help("point the link at an existing file, or remove it");
    if cx.model.reached.contains(&file) {
        f.note("a kustomization lists it, so `kustomize build` fails")
    } else {
        f.severity(Severity::Info)
    }
}
