//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it. Columns count Unicode code
//! points (`columnKind`), as all our columns do; rule metadata and help come from
//! `rules/<id>.md`.

use std::collections::HashMap;

use k8s_lint_core::{Label, Report, Severity, RULES};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

use crate::docs;

pub(crate) const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const FINGERPRINT: &str = "k8sLint/v1";

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    column_kind: &'static str,
    original_uri_base_ids: HashMap<&'static str, ArtifactLocation>,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: &'static str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
    enabled: bool,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: [&'static str; 2],
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: HashMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<SarifFix>,
}

/// A fix as SARIF writes one: per file, the regions to replace and their new text.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifFix {
    description: Text,
    artifact_changes: Vec<ArtifactChange>,
    properties: FixProperties,
}

#[derive(Serialize)]
struct FixProperties {
    /// `safe` (`--fix` applies it) or `unsafe` (`--unsafe-fixes`).
    applicability: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactChange {
    artifact_location: ArtifactLocation,
    replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Replacement {
    /// Empty (start = end) for an insertion.
    deleted_region: Region,
    inserted_content: Text,
}

#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    #[serde(skip_serializing_if = "String::is_empty")]
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn rule(meta: &k8s_lint_core::rule::RuleMeta) -> Rule {
    let (id, severity, summary) = (meta.id, meta.severity, meta.summary);
    let page = docs::page(id).unwrap_or(summary);
    Rule {
        id,
        name: id
            .split('-')
            .map(|w| w[..1].to_uppercase() + &w[1..])
            .collect(),
        short_description: Text {
            text: summary.to_string(),
        },
        full_description: Text {
            text: section(page, "## What it does")
                .unwrap_or(summary)
                .to_string(),
        },
        help: Help {
            text: page.to_string(),
            markdown: page.to_string(),
        },
        help_uri: format!("{}/blob/main/rules/{id}.md", env!("CARGO_PKG_REPOSITORY")),
        default_configuration: Configuration {
            level: level(severity),
            enabled: meta.default_enabled,
        },
        properties: RuleProperties {
            tags: ["kubernetes", "gitops"],
            precision: "very-high",
            problem_severity: match severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "recommendation",
            },
        },
    }
}

/// The text of a `## ` section of a rule page, without its heading.
fn section<'a>(page: &'a str, heading: &str) -> Option<&'a str> {
    let (_, rest) = page.split_once(&format!("{heading}\n"))?;
    Some(rest.split("\n## ").next().unwrap_or(rest).trim())
}

/// The result's message: the headline, its notes, a link to each related location (code
/// scanning shows related locations only when the message links them: `[text](id)`), and the
/// help.
fn message(f: &k8s_lint_core::Finding) -> String {
    let mut text = f.message.clone();
    for note in &f.notes {
        text.push_str(&format!("\nNote: {note}"));
    }
    if !f.related.is_empty() {
        let links: Vec<String> = f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let label = if r.message.is_empty() {
                    "related location"
                } else {
                    r.message.as_str()
                };
                format!("[{}]({})", link_text(label), i + 1)
            })
            .collect();
        text.push_str("\nSee: ");
        text.push_str(&links.join("; "));
    }
    if let Some(help) = &f.help {
        text.push_str(&format!("\nHelp: {help}"));
    }
    text
}

/// Text inside a SARIF message link: brackets escaped, as the spec's embedded-link syntax
/// requires.
fn link_text(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
}

fn region(report: &Report, span: k8s_lint_core::Span) -> Region {
    let loc = report.file(span.file).location(span);
    Region {
        start_line: loc.start.line,
        start_column: loc.start.column,
        end_line: loc.end.line,
        end_column: loc.end.column,
    }
}

fn fixes(report: &Report, f: &k8s_lint_core::Finding) -> Vec<SarifFix> {
    f.fixes
        .iter()
        .map(|fix| {
            let mut changes: Vec<ArtifactChange> = Vec::new();
            let mut files: Vec<k8s_lint_core::FileId> =
                fix.edits.iter().map(|e| e.span.file).collect();
            files.dedup();
            for file in files {
                changes.push(ArtifactChange {
                    artifact_location: ArtifactLocation {
                        uri: uri_encode(&report.repo_path(file)),
                        uri_base_id: Some("%SRCROOT%"),
                    },
                    replacements: fix
                        .edits
                        .iter()
                        .filter(|e| e.span.file == file)
                        .map(|e| Replacement {
                            deleted_region: region(report, e.span),
                            inserted_content: Text {
                                text: e.text.clone(),
                            },
                        })
                        .collect(),
                });
            }
            SarifFix {
                description: Text {
                    text: fix.title.clone(),
                },
                artifact_changes: changes,
                properties: FixProperties {
                    applicability: fix.applicability.as_str(),
                },
            }
        })
        .collect()
}

fn location(report: &Report, label: &Label, id: Option<usize>) -> Location {
    let file = report.file(label.span.file);
    let loc = file.location(label.span);
    Location {
        id,
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri_encode(&report.repo_path(label.span.file)),
                uri_base_id: Some("%SRCROOT%"),
            },
            region: Region {
                start_line: loc.start.line,
                start_column: loc.start.column,
                end_line: loc.end.line,
                end_column: loc.end.column,
            },
        },
        message: (!label.message.is_empty() || id.is_some()).then(|| Text {
            text: label.message.clone(),
        }),
    }
}

/// All but RFC 3986 `unreserved` characters and the `/` between segments. Reserved characters
/// are encoded too: a `:` in a first segment would read as a scheme (`co:lon.yaml`), and
/// consumers differ on what `;`, `=` or `@` mean in a path.
const PATH_SEGMENTS: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// A path as a URI path: each segment percent-encoded as UTF-8.
pub(crate) fn uri_encode(path: &str) -> String {
    utf8_percent_encode(path, PATH_SEGMENTS).to_string()
}

pub fn render(report: &Report) -> String {
    let rules: Vec<Rule> = RULES.iter().map(|r| rule(r.meta())).collect();
    let fingerprints = super::fingerprint::of_all(report);
    let results = report
        .findings
        .iter()
        .zip(fingerprints)
        .map(|(f, fingerprint)| SarifResult {
            rule_id: f.rule,
            rule_index: RULES
                .iter()
                .position(|r| r.meta().id == f.rule)
                .unwrap_or(0),
            level: level(f.severity),
            message: Text { text: message(f) },
            locations: [location(report, &f.primary, None)],
            related_locations: f
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| location(report, r, Some(i + 1)))
                .collect(),
            partial_fingerprints: HashMap::from([(FINGERPRINT, fingerprint)]),
            suppressions: f
                .suppressed
                .iter()
                .map(|reason| SarifSuppression {
                    kind: "inSource",
                    justification: reason.clone(),
                })
                .collect(),
            fixes: fixes(report, f),
        })
        .collect();
    // Paths are relative to the repository top, wherever the run was started from.
    let root = format!(
        "file://{}/",
        uri_encode(&report.repo_top.to_string_lossy().replace('\\', "/"))
    );
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "k8s-lint",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules,
                },
            },
            column_kind: "unicodeCodePoints",
            original_uri_base_ids: HashMap::from([(
                "%SRCROOT%",
                ArtifactLocation {
                    uri: root,
                    uri_base_id: None,
                },
            )]),
            results,
        }],
    };
    let mut s = super::escape::json(serde_json::to_string_pretty(&log).unwrap_or_default());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_encoded() {
        assert_eq!(
            uri_encode("apps/my app/ü.yaml"),
            "apps/my%20app/%C3%BC.yaml"
        );
        assert_eq!(
            uri_encode("co:lon.yaml/a#b?c%d@e;f=g,h+i!j'k(l)m*n$o&p"),
            "co%3Alon.yaml/a%23b%3Fc%25d%40e%3Bf%3Dg%2Ch%2Bi%21j%27k%28l%29m%2An%24o%26p"
        );
        assert_eq!(uri_encode("../a-b_c~d.yaml"), "../a-b_c~d.yaml");
    }

    #[test]
    fn fingerprints_are_stable() {
        use crate::output::fingerprint::fnv1a;
        assert_eq!(fnv1a(&["a", "b"]), fnv1a(&["a", "b"]));
        assert_ne!(fnv1a(&["ab", ""]), fnv1a(&["a", "b"]));
    }
}
