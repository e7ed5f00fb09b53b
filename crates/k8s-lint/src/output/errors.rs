//! An error that stops the run (a bad config, a path that cannot be read or holds no
//! manifest), in the machine formats: a tool that parses our JSON, SARIF or GitHub commands
//! must see it there, not only as text on stderr.

use k8s_lint_core::config::ConfigError;
use k8s_lint_core::source::LineIndex;
use serde_json::json;

use super::github::{escape_data, escape_property};

/// What went wrong, and where when a file is to blame.
#[derive(Debug)]
pub struct RunError {
    pub message: String,
    /// File, 1-based line and column (in characters).
    pub at: Option<(String, usize, usize)>,
    pub help: Option<String>,
}

impl RunError {
    pub fn plain(message: impl Into<String>) -> RunError {
        RunError {
            message: message.into(),
            at: None,
            help: None,
        }
    }

    pub fn config(e: &ConfigError) -> RunError {
        let text = e.src.inner();
        let offset = e.span.offset().min(text.len());
        let p = LineIndex::new(text).position(text, offset);
        RunError {
            message: e.message.clone(),
            at: Some((e.src.name().to_string(), p.line, p.column)),
            help: e.help.clone(),
        }
    }
}

/// `{"version": 1, "errors": [...], "findings": []}`.
pub fn json(errors: &[RunError]) -> String {
    let list: Vec<serde_json::Value> = errors
        .iter()
        .map(|e| {
            let mut v = json!({ "message": e.message });
            if let Some((file, line, column)) = &e.at {
                v["file"] = json!(file);
                v["line"] = json!(line);
                v["column"] = json!(column);
            }
            if let Some(help) = &e.help {
                v["help"] = json!(help);
            }
            v
        })
        .collect();
    let doc = json!({ "version": 1, "errors": list, "findings": [] });
    let mut s = super::escape::json(serde_json::to_string_pretty(&doc).unwrap_or_default());
    s.push('\n');
    s
}

/// One `::error` workflow command per error, on the file when one is to blame.
pub fn github(errors: &[RunError]) -> String {
    let mut out = String::new();
    for e in errors {
        let text = super::escape::text(&e.message);
        match &e.at {
            Some((file, line, column)) => out.push_str(&format!(
                "::error file={},line={line},col={column},title={}::{}\n",
                escape_property(&super::escape::text(file)),
                escape_property("k8s-lint (configuration)"),
                escape_data(&text)
            )),
            None => out.push_str(&format!(
                "::error title={}::{}\n",
                escape_property("k8s-lint"),
                escape_data(&text)
            )),
        }
    }
    out
}

/// A SARIF log whose run failed: the errors as `toolConfigurationNotifications` of an
/// unsuccessful invocation, and no results.
pub fn sarif(errors: &[RunError]) -> String {
    let notifications: Vec<serde_json::Value> = errors
        .iter()
        .map(|e| {
            let mut n = json!({ "level": "error", "message": { "text": e.message } });
            if let Some((file, line, column)) = &e.at {
                n["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": super::sarif::uri_encode(file) },
                        "region": { "startLine": line, "startColumn": column }
                    }
                }]);
            }
            n
        })
        .collect();
    let log = json!({
        "$schema": super::sarif::SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "k8s-lint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
            } },
            "invocations": [{
                "executionSuccessful": false,
                "toolConfigurationNotifications": notifications,
            }],
            "results": [],
        }],
    });
    let mut s = super::escape::json(serde_json::to_string_pretty(&log).unwrap_or_default());
    s.push('\n');
    s
}
