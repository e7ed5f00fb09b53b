//! A finding's stable identity, for SARIF `partialFingerprints` and baselines: the rule, the
//! file's path relative to the repository top, the message, and the finding's rank among
//! identical ones in that file. Line numbers stay out, so a finding keeps its identity when
//! unrelated lines move; the working directory stays out, so CI and laptops agree.

use std::collections::HashMap;

use k8s_lint_core::Report;

/// The fingerprint of each finding of the report, in order.
pub fn of_all(report: &Report) -> Vec<String> {
    let prefix = shown_prefix(report);
    let mut seen: HashMap<(&str, String, String), usize> = HashMap::new();
    report
        .findings
        .iter()
        .map(|f| {
            let file = report.repo_path(f.primary.span.file);
            let message = stable_message(&f.message, &prefix);
            let n = seen
                .entry((f.rule, file.clone(), message.clone()))
                .or_default();
            *n += 1;
            fnv1a(&[f.rule, &file, &message, &n.to_string()])
        })
        .collect()
}

/// What shown paths have before the repository path (`repo/` when run from the parent
/// directory): messages name files as shown.
fn shown_prefix(report: &Report) -> String {
    report
        .files
        .iter()
        .enumerate()
        .find_map(|(i, f)| {
            let rel = report.repo_path(k8s_lint_core::FileId(i as u32));
            f.display().strip_suffix(rel.as_str()).map(str::to_string)
        })
        .unwrap_or_default()
}

/// A message as it reads from any working directory and whatever moved above it: shown paths
/// without the run's prefix, line numbers (`at line 12`) without their number.
fn stable_message(message: &str, prefix: &str) -> String {
    let text = if prefix.is_empty() {
        message.to_string()
    } else {
        message.replace(prefix, "")
    };
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(i) = rest.find("line ") {
        out.push_str(&rest[..i + 5]);
        rest = &rest[i + 5..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push('N');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// FNV-1a: a stable hash with no dependency, so fingerprints never change between builds.
pub fn fnv1a(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
