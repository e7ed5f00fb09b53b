//! A kustomization uses a field that kustomize has deprecated.
//!
//! Docs: `rules/kustomize-deprecated-field.md`.

use crate::finding::{Finding, Severity};
use crate::fix::{self, Applicability, Edit, Fix};
use crate::kustomize::{Kustomization, Target};
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::yaml::{Entry, Node};

pub struct KustomizeDeprecatedField;

static META: RuleMeta = RuleMeta {
    id: "kustomize-deprecated-field",
    // kustomize only warns and builds the same output; `commonLabels` -> `labels` even changes
    // selector semantics, so this is no mechanical fix to demand.
    severity: Severity::Info,
    summary: "A kustomization uses a field that kustomize has deprecated.",
    default_enabled: true,
    scope: Scope::File,
    fix: Some(Applicability::Safe),
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
                let Some(entry) = root.entry(field).filter(|e| !e.value().is_null()) else {
                    continue;
                };
                let file = &cx.file(k.file).text;
                // Safe: `kustomize edit fix` writes the same, and the build does not change.
                let fix = modernise(k, file, root, entry, field)
                    .map(|edits| Fix::safe(format!("replace `{field}` with `{instead}`"), edits));
                out.push(
                    Finding::new(&META, entry.key_span(), format!("`{field}` is deprecated"))
                    .label(format!("use `{instead}`"))
                    .note(format!(
                        "kustomize prints `# Warning: '{field}' is deprecated. Please use '{instead}' instead.{note} Run 'kustomize edit fix' to update your Kustomization automatically.`"
                    ))
                    .help(help(field))
                    .fix(fix),
                );
            }
        }
    }
}

/// What `kustomize edit fix` makes of the entry, as edits of the text, where the new field
/// is not there yet (merging into an existing list is left to a human) and the old one is
/// written in a shape the edits know: a renamed key; for `patchesStrategicMerge`, `path: `
/// before each file name; for `commonLabels`, `labels` with `includeSelectors: true` and the
/// pairs one level down. `vars` has no mechanical replacement.
fn modernise(
    k: &Kustomization,
    text: &str,
    root: &Node<'_>,
    entry: &Entry<'_>,
    field: &str,
) -> Option<Vec<Edit>> {
    let file = k.file;
    let absent = |key: &str| root.get(key).is_none();
    let key = entry.key_span();
    if key.file != file
        || !root
            .as_map()
            .is_some_and(|m| m.iter().all(|e| e.key_span().file == file))
    {
        return None;
    }
    match field {
        "bases" => match root.get("resources") {
            None => Some(vec![Edit::replace(key, "resources")]),
            // kustomize reads `bases` as more `resources`, after the others: join the list.
            Some(resources) => {
                let bases = entry.value().as_seq()?;
                // Block items only: a flow list's "rest of the line" is not one item.
                if fix::yaml::is_flow(text, entry.value()) {
                    return None;
                }
                // Each item as written, with a comment after it on its line.
                let bodies = bases
                    .iter()
                    .map(|b| {
                        let line = crate::source::line_from(file, text, b.span.start as usize);
                        let written = text.get(b.span.range())?;
                        (!written.contains('\n')).then_some(())?;
                        text.get(line.range()).map(str::trim_end)
                    })
                    .collect::<Option<Vec<&str>>>()?;
                let index = root.as_map()?.iter().position(|e| e.key_span() == key)?;
                let bodies: Vec<String> = bodies.into_iter().map(String::from).collect();
                Some(vec![
                    fix::yaml::remove_entry(file, text, root, index)?,
                    fix::yaml::insert_items(file, text, resources, false, &bodies)?,
                ])
            }
        },
        "imageTags" if absent("images") => Some(vec![Edit::replace(key, "images")]),
        // Both become `patches`: the JSON patches move first, the others wait for a list to
        // join (no fix then). kustomize applies `patchesJson6902` after the namespace, name,
        // label and annotation transformers and `patches` before them, and matches `patches`
        // targets as (anchored) regular expressions: the same build only without those
        // transformers and with literal targets.
        "patchesJson6902"
            if absent("patches")
                && TRANSFORMERS_BETWEEN.iter().all(|t| absent(t))
                && literal_targets(entry.value()) =>
        {
            Some(vec![Edit::replace(key, "patches")])
        }
        "patchesStrategicMerge" => {
            let items = entry.value().as_seq()?;
            // File names only, not inline patches written as strings.
            let names: Vec<&Node<'_>> = items
                .iter()
                .filter(|i| {
                    i.as_str()
                        .is_some_and(|s| !s.is_empty() && !s.contains('\n'))
                })
                .collect();
            // Files the model found, not a one-line inline patch.
            let files = names.iter().all(|i| {
                k.entries.iter().any(|e| {
                    e.span == i.span
                        && e.role.field() == "patchesStrategicMerge"
                        && matches!(e.target, Target::File(_))
                })
            });
            if !files || names.len() != items.len() || items.iter().any(|i| i.span.file != file) {
                return None;
            }
            match root.get("patches") {
                None if absent("patchesJson6902") => {
                    let mut edits = vec![Edit::replace(key, "patches")];
                    edits.extend(
                        names
                            .iter()
                            .map(|i| Edit::insert(file, i.span.start as usize, "path: ")),
                    );
                    Some(edits)
                }
                None => None,
                // Join the list: each file as `path: <as written>`, before its first item, as
                // kustomize applies strategic merge patches before the others.
                Some(patches) => {
                    let index = root.as_map()?.iter().position(|e| e.key_span() == key)?;
                    let bodies = names
                        .iter()
                        .map(|i| text.get(i.span.range()).map(|t| format!("path: {t}")))
                        .collect::<Option<Vec<String>>>()?;
                    Some(vec![
                        fix::yaml::remove_entry(file, text, root, index)?,
                        fix::yaml::insert_items(file, text, patches, true, &bodies)?,
                    ])
                }
            }
        }
        "commonLabels" if absent("labels") => {
            let pairs = entry.value().as_map()?;
            if pairs.is_empty() {
                return None;
            }
            let indent = fix::yaml::indentation(text, key.start as usize)?;
            let nl = fix::yaml::newline(text);
            let mut edits = vec![Edit::replace(
                key,
                format!("labels:{nl}{indent}- includeSelectors: true{nl}{indent}  pairs"),
            )];
            if !fix::yaml::is_flow(text, entry.value()) {
                edits.extend(fix::yaml::indent_lines(file, text, entry.value(), "  ")?);
            }
            Some(edits)
        }
        _ => None,
    }
}

/// Fields whose transformers kustomize runs between `patches` and `patchesJson6902`.
const TRANSFORMERS_BETWEEN: [&str; 6] = [
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
];

/// Every `target` field of the patches is a plain name, so a regular expression matches just
/// what the exact match did.
fn literal_targets(patches: &Node<'_>) -> bool {
    let plain = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_/".contains(c))
    };
    patches.as_seq().is_some_and(|items| {
        items.iter().all(|item| {
            item.get("target")
                .and_then(|t| t.as_map())
                .is_some_and(|fields| {
                    fields
                        .iter()
                        .all(|f| f.value().scalar_text().is_some_and(plain))
                })
        })
    })
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
