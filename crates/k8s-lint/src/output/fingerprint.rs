//! A finding's stable identity, for SARIF `partialFingerprints` and baselines: the rule, the
//! file's path relative to the repository top, the message, and the finding's rank among
//! identical ones in that file. Line numbers stay out, so a finding keeps its identity when
//! unrelated lines move; the working directory stays out, so CI and laptops agree.

use std::collections::HashMap;

use k8s_lint_core::Report;

/// The fingerprint of each finding of the report, in order.
pub fn of_all(report: &Report) -> Vec<String> {
    let mut seen: HashMap<(&str, String, &str), usize> = HashMap::new();
    report
        .findings
        .iter()
        .map(|f| {
            let file = report.repo_path(f.primary.span.file);
            let n = seen
                .entry((f.rule, file.clone(), f.message.as_str()))
                .or_default();
            *n += 1;
            fnv1a(&[f.rule, &file, &f.message, &n.to_string()])
        })
        .collect()
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
