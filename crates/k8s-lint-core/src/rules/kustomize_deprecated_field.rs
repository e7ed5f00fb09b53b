//! A kustomization uses a field that kustomize has deprecated.
//!
//! Docs: `rules/kustomize-deprecated-field.md`.

use crate::finding::{Finding, Severity};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};

pub struct KustomizeDeprecatedField;

static META: RuleMeta = RuleMeta {
    id: "kustomize-deprecated-field",
    // kustomize only warns and builds the same output; `commonLabels` -> `labels` even changes
    // selector semantics, so this is no mechanical fix to demand.
    severity: Severity::Info,
    summary: "A kustomization uses a field that kustomize has deprecated.",
    default_enabled: true,
    scope: Scope::File,
};

/// Deprecated field, its replacement, and what kustomize adds between the two sentences.
const DEPRECATED: [(&str, &str, &str); 6] = [
    ("bases", "resources", ""),
    ("commonLabels", "labels", ""),
    ("imageTags", "images", ""),
    ("patchesJson6902", "patches", ""),
    ("patchesStrategicMerge", "patches", ""),
    ("vars", "replacements", " [EXPERIMENTAL]"),
];

impl Rule for KustomizeDeprecatedField {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for k in &cx.model.kusts {
            let Some(root) = k.root(cx.parsed) else {
                continue;
            };
            for (field, instead, note) in DEPRECATED {
                // kustomize warns for any value but null, an empty list included.
                let Some(entry) = root.entry(field).filter(|e| !e.value.is_null()) else {
                    continue;
                };
                out.push(
                    Finding::new(&META, entry.key.span, format!("`{field}` is deprecated"))
                    .label(format!("use `{instead}`"))
                    .note(format!(
                        "kustomize prints `# Warning: '{field}' is deprecated. Please use '{instead}' instead.{note} Run 'kustomize edit fix' to update your Kustomization automatically.`"
                    ))
                    .help(help(field)),
                );
            }
        }
    }
}

fn help(field: &str) -> &'static str {
    match field {
        "bases" => "list the directories under `resources` instead; `kustomize edit fix` does it for you",
        "commonLabels" => {
            "use `labels:` with `pairs:` and `includeSelectors: true`, which is what `kustomize edit fix` writes: without `includeSelectors` the labels leave the selectors, and the API server rejects a changed selector of an existing Deployment (it is immutable)"
        }
        "imageTags" => "use `images:` (`name`, `newTag`); `kustomize edit fix` does it for you",
        "patchesJson6902" => {
            "use `patches:` entries with the same `target` and `path` (or `patch`); `kustomize edit fix` does it for you"
        }
        "patchesStrategicMerge" => {
            "use `patches:` entries (`- path: <file>`, or `- patch: <inline patch>`); `kustomize edit fix` does it for you"
        }
        _ => {
            "use `replacements:`; `kustomize edit fix` converts `vars` only experimentally, so review its output"
        }
    }
}
