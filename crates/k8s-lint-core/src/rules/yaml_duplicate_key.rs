//! A mapping repeats a key: kustomize rejects such a manifest, and keeps only the last value in a kustomization.
//!
//! Docs: `rules/yaml-duplicate-key.md`.

use crate::finding::{Finding, Severity};
use crate::fix::{self, Applicability, Fix};
use crate::kustomize::is_kustomization;
use crate::rule::{Ctx, Rule, RuleMeta, Scope};
use crate::source::FileId;
use crate::yaml::Problem;

pub struct YamlDuplicateKey;

static META: RuleMeta = RuleMeta {
    id: "yaml-duplicate-key",
    severity: Severity::Error,
    summary: "A mapping repeats a key: kustomize rejects such a manifest, and keeps only the last value in a kustomization.",
    default_enabled: true,
    scope: Scope::File,
    fix: Some(Applicability::Safe),
};

impl Rule for YamlDuplicateKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Ctx<'_, '_>, out: &mut Vec<Finding>) {
        for (i, parsed) in cx.parsed.iter().enumerate() {
            if !parsed
                .problems
                .iter()
                .any(|p| matches!(p, Problem::DuplicateKey { .. }))
            {
                continue;
            }
            let id = FileId(i as u32);
            let file = &cx.files[i];
            // Other YAML (CI workflows, Helm values) is read by tools with their own rules.
            let kustomization = is_kustomization(file, &cx.parsed[i]);
            let relevant =
                kustomization || cx.model.reached.contains(&id) || !cx.objects_of(id).is_empty();
            if !relevant {
                continue;
            }
            for problem in &parsed.problems {
                let Problem::DuplicateKey {
                    key,
                    first,
                    second,
                    first_value,
                    second_value,
                } = problem
                else {
                    continue;
                };
                let line = file.position(first.start as usize).line;
                let value = |s: &crate::source::Span| file.text.get(s.range()).map(str::trim_end);
                let same = value(first_value) == value(second_value);
                let mut severity = None;
                let (message, note, help) = if kustomization {
                    (
                        format!("key `{key}` is repeated in this kustomization"),
                        format!("kustomize silently keeps only the last one, and drops what the first (line {line}) lists"),
                        "merge the two entries into one",
                    )
                } else if cx.built_by_kustomize(id) {
                    (
                        format!("key `{key}` is repeated in this mapping"),
                        format!("kustomize rejects the file (mapping key \"{key}\" already defined at line {line})"),
                        "keep one of the two entries; kubectl would silently use one of them",
                    )
                } else {
                    // No kustomize build reads the file: it is applied as it is, where the
                    // YAML is decoded leniently and the last value wins.
                    let effect = if same {
                        severity = Some(Severity::Info);
                        "both say the same, so nothing changes"
                    } else {
                        severity = Some(Severity::Warning);
                        "the cluster gets the second value, not the first"
                    };
                    (
                        format!("key `{key}` is repeated in this mapping"),
                        format!("no kustomize build reads this file; applied as it is (`kubectl apply -f`, an Argo CD directory) the last value silently wins over the first (line {line}): {effect}"),
                        "keep one of the two entries",
                    )
                };
                // Safe when both say the same: dropping the first changes nothing anyone reads.
                let fix = same
                    .then(|| fix::yaml::remove_key_lines(id, &file.text, *first, *first_value))
                    .flatten()
                    .map(|edit| {
                        Fix::safe(
                            format!("remove the first `{key}`, which says the same"),
                            vec![edit],
                        )
                    });
                let mut finding = Finding::new(&META, *second, message)
                    .label("repeated key")
                    .note(note)
                    .related(*first, "first defined here")
                    .help(help)
                    .fix(fix);
                if let Some(severity) = severity {
                    finding = finding.severity(severity);
                }
                out.push(finding);
            }
        }
    }
}
