//! Baselines, for adopting k8s-lint in a repository that already has findings: record today's
//! findings once (`--write-baseline FILE`), then report only new ones (`--baseline FILE`).
//! Findings are matched by fingerprint (see `output::fingerprint`): rule, path relative to the
//! repository top, message, and rank among identical findings of that file, so a finding keeps
//! matching when unrelated lines move or the job runs from another directory. Entries that no
//! longer occur are listed, so the baseline only shrinks.

use k8s_lint_core::Report;
use serde::{Deserialize, Serialize};

use crate::output::fingerprint;

/// The largest baseline read: a baseline of 10,000 findings is about 3 MB.
pub const MAX_BYTES: u64 = 64 << 20;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// One recorded finding: its fingerprint, and for readers of the file its rule, path and message.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub file: String,
    pub message: String,
}

/// The report's findings (not the suppressed ones) as a baseline file.
pub fn write(report: &Report) -> String {
    let findings = report
        .findings
        .iter()
        .zip(fingerprint::of_all(report))
        .filter(|(f, _)| f.suppressed.is_none())
        .map(|(f, fingerprint)| Entry {
            fingerprint,
            rule: f.rule.to_string(),
            file: report.repo_path(f.primary.span.file),
            message: f.message.clone(),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&Baseline {
        version: 1,
        findings,
    })
    .unwrap_or_default();
    s.push('\n');
    s
}

pub fn parse(text: &str) -> Result<Baseline, String> {
    let b: Baseline = serde_json::from_str(text).map_err(|e| format!("not a baseline: {e}"))?;
    if b.version != 1 {
        return Err(format!("baseline version {} is not 1", b.version));
    }
    Ok(b)
}

/// Drop the report's findings that the baseline records; returns its entries that no longer
/// occur.
pub fn apply(report: &mut Report, baseline: &Baseline) -> Vec<Entry> {
    let prints = fingerprint::of_all(report);
    let present: std::collections::HashSet<&str> = prints.iter().map(String::as_str).collect();
    let stale = baseline
        .findings
        .iter()
        .filter(|e| !present.contains(e.fingerprint.as_str()))
        .cloned()
        .collect();
    let mut keep = unrecorded(baseline, &prints).into_iter();
    report.findings.retain(|_| keep.next().unwrap_or(true));
    stale
}

/// For each of the report's findings, whether the baseline does not record it: what `--fix`
/// may fix (a recorded finding is left as it was, as it is left out of the report).
pub fn new_findings(report: &Report, baseline: &Baseline) -> Vec<bool> {
    unrecorded(baseline, &fingerprint::of_all(report))
}

fn unrecorded(baseline: &Baseline, prints: &[String]) -> Vec<bool> {
    let known: std::collections::HashSet<&str> = baseline
        .findings
        .iter()
        .map(|e| e.fingerprint.as_str())
        .collect();
    prints.iter().map(|p| !known.contains(p.as_str())).collect()
}
