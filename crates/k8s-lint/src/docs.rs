//! Rule documentation embedded from `rules/<id>.md`: `k8s-lint rules`, `k8s-lint explain`,
//! and the SARIF `help` of each rule.

use std::fmt::Write;

use k8s_lint_core::rules::closest;
use k8s_lint_core::RULES;

include!(concat!(env!("OUT_DIR"), "/rule_docs.rs"));

/// The page of a rule, if it has one.
pub fn page(id: &str) -> Option<&'static str> {
    RULE_DOCS
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, text)| *text)
}

/// `k8s-lint rules`: id, default severity, summary; one rule per line.
pub fn list() -> String {
    let width = RULES.iter().map(|r| r.meta().id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in RULES {
        let m = rule.meta();
        let _ = writeln!(
            out,
            "{:<width$}  {:<7}  {}{}{}",
            m.id,
            m.severity.as_str(),
            m.summary,
            match m.fix {
                Some(k8s_lint_core::fix::Applicability::Safe) => " [fix]",
                Some(k8s_lint_core::fix::Applicability::Unsafe) => " [unsafe fix]",
                None => "",
            },
            if m.default_enabled {
                ""
            } else {
                " [off by default]"
            }
        );
    }
    out
}

/// `k8s-lint rules --format json`: every rule, for tools.
pub fn list_json() -> String {
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|r| {
            let m = r.meta();
            serde_json::json!({
                "id": m.id,
                "severity": m.severity.as_str(),
                "enabledByDefault": m.default_enabled,
                "summary": m.summary,
                // `safe`, `unsafe`, or null: the kind of fix the rule's findings may carry.
                "fix": m.fix.map(|f| f.as_str()),
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&rules).unwrap_or_default();
    s.push('\n');
    s
}

/// `k8s-lint explain ID`: the rule's page, or an error that suggests the nearest id.
pub fn explain(id: &str) -> Result<&'static str, String> {
    if let Some(text) = page(id) {
        return Ok(text);
    }
    let ids = RULES.iter().map(|r| r.meta().id);
    Err(match closest(id, ids) {
        Some(near) => {
            format!("unknown rule `{id}`; did you mean `{near}`? (`k8s-lint rules` lists them)")
        }
        None => format!("unknown rule `{id}` (`k8s-lint rules` lists them)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_an_embedded_page() {
        for rule in RULES {
            let id = rule.meta().id;
            assert!(
                page(id).is_some_and(|p| p.starts_with(&format!("# {id}\n"))),
                "{id}"
            );
        }
    }

    #[test]
    fn unknown_ids_get_a_suggestion() {
        assert_eq!(
            explain("ingress-service-mising").unwrap_err(),
            "unknown rule `ingress-service-mising`; did you mean `ingress-service-missing`? (`k8s-lint rules` lists them)"
        );
    }
}
