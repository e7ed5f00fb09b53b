//! The formats CI and editors read: SARIF (validated against the OASIS schema), GitHub
//! workflow commands and step summary, the problem matcher applied to real `compact` output,
//! and the `rules` / `explain` commands.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_in(dir: &Path, args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_k8s-lint"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("GITHUB_STEP_SUMMARY");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

/// A repository with findings of every severity, in several files.
fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, case) in [
        (
            "port",
            "ingress-service-port-missing/fires-number-not-exposed",
        ),
        ("orphan", "kustomize-orphan-manifest/fires-unlisted-file"),
        (
            "undeclared",
            "service-target-port-undeclared/fires-defaulted-target-port",
        ),
    ] {
        copy(
            &workspace().join("fixtures").join(case),
            &dir.path().join(name),
        );
    }
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &to.join(e.file_name()));
        } else if e.file_name() != "expected.txt" {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn sarif(dir: &Path) -> serde_json::Value {
    let o = run_in(dir, &["--format", "sarif"], &[]);
    assert_eq!(o.status.code(), Some(1));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Panic unless `log` validates against the vendored OASIS SARIF 2.1.0 schema.
fn assert_valid_sarif(log: &serde_json::Value) {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sarif-schema-2.1.0.json"),
        )
        .unwrap(),
    )
    .unwrap();
    compiler.add_resource("sarif.json", schema).unwrap();
    let index = compiler.compile("sarif.json", &mut schemas).unwrap();
    if let Err(e) = schemas.validate(log, index) {
        panic!("SARIF does not validate: {e:#}");
    }
}

#[test]
fn sarif_validates_against_the_schema() {
    let dir = sample();
    assert_valid_sarif(&sarif(dir.path()));
}

#[test]
fn sarif_has_what_code_scanning_reads() {
    let dir = sample();
    let log = sarif(dir.path());
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "k8s-lint");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), k8s_lint_core::RULES.len());
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert!(rule["help"]["markdown"]
            .as_str()
            .unwrap()
            .starts_with(&format!("# {id}\n")));
        assert!(rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("rules/{id}.md")));
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
        let on = k8s_lint_core::rules::by_id(id)
            .unwrap()
            .meta()
            .default_enabled;
        assert_eq!(rule["defaultConfiguration"]["enabled"], on, "{id}");
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let port = results
        .iter()
        .find(|r| r["ruleId"] == "ingress-service-port-missing")
        .unwrap();
    assert_eq!(
        rules[port["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "ingress-service-port-missing"
    );
    assert_eq!(port["level"], "error");
    let loc = &port["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "port/ingress.yaml");
    assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(
        loc["region"],
        serde_json::json!({"startLine": 18, "startColumn": 27, "endLine": 18, "endColumn": 31})
    );
    // Every directory of the sample deploys a Service `shop/web`: each is related.
    let related = port["relatedLocations"].as_array().unwrap();
    assert_eq!(related[0]["id"], 1);
    assert!(related
        .iter()
        .any(|r| r["physicalLocation"]["artifactLocation"]["uri"] == "port/service.yaml"));
    // The unreferenced `extra/` directory is an info: a SARIF note.
    let info = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "orphan/k8s/extra/pdb.yaml"
        })
        .unwrap();
    assert_eq!(info["level"], "note");
}

#[test]
fn fingerprints_survive_unrelated_line_moves() {
    let dir = sample();
    let fingerprints = |log: &serde_json::Value| -> Vec<String> {
        log["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["k8sLint/v1"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let before = fingerprints(&sarif(dir.path()));
    let path = dir.path().join("port/ingress.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("# a comment\n# and another\n{text}")).unwrap();
    let after = sarif(dir.path());
    assert_eq!(before, fingerprints(&after));
    let port = after["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "ingress-service-port-missing")
        .unwrap()
        .clone();
    assert_eq!(
        port["locations"][0]["physicalLocation"]["region"]["startLine"], 20,
        "the finding moved, its fingerprint did not"
    );
    let unique: std::collections::BTreeSet<_> = before.iter().collect();
    assert_eq!(unique.len(), before.len());
}

#[test]
fn github_annotations_and_step_summary() {
    let dir = sample();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let o = run_in(
        dir.path(),
        &["--format", "github"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[2].split("%0A").next().unwrap(),
        "::error file=port/ingress.yaml,line=18,endLine=18,col=27,endColumn=31,title=k8s-lint (ingress-service-port-missing)::Ingress `shop/web` routes to port 8080 of Service `web`, which has no such port"
    );
    assert!(lines[2].ends_with("%0A  help: use a Service `port` (80): an Ingress targets the Service port, not the targetPort or container port"));
    assert!(lines[3].starts_with("::warning file=undeclared/service.yaml,line=11,endLine=11,col=13,endColumn=15,title=k8s-lint (service-target-port-undeclared)::"));
    assert!(lines[0].starts_with("::notice file=orphan/k8s/extra/pdb.yaml,line=1,endLine=1,col=1,endColumn=22,title=k8s-lint (kustomize-orphan-manifest)::"));
    assert_eq!(lines.len(), 5);
    assert_eq!(
        lines[4],
        "k8s-lint: 10 files and 9 objects checked: 1 error, 2 warnings, 1 info"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.starts_with("earlier step\n### k8s-lint\n\nk8s-lint: 10 files"),
        "{md}"
    );
    assert!(md.contains("| Severity | Rule | Location | Message |\n|---|---|---|---|\n"));
    assert_eq!(
        md.matches("\n| ").count(),
        5,
        "a header and one row per finding:\n{md}"
    );
    assert!(md.contains("| error | `ingress-service-port-missing` | `port/ingress.yaml:18:27` | Ingress `shop/web` routes to port 8080"));
}

#[test]
fn github_drops_columns_on_multiline_spans() {
    let dir = tempfile::tempdir().unwrap();
    // A double-quoted scalar may span lines; GitHub rejects col/endColumn on such a span.
    std::fs::write(
        dir.path().join("ingress.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x, namespace: a}\nspec:\n  defaultBackend:\n    service:\n      name: \"web\n        front\"\n      port: {number: 80}\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["--format", "github"], &[]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(
        out.starts_with(
            "::notice file=ingress.yaml,line=7,endLine=8,title=k8s-lint (ingress-service-missing)::"
        ),
        "{out}"
    );
}

#[test]
fn one_run_two_reports() {
    let dir = sample();
    let o = run_in(
        dir.path(),
        &[
            "--format",
            "compact",
            "--output",
            "findings.txt",
            "--sarif",
            "results.sarif",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "--output replaces standard output");
    let compact = std::fs::read_to_string(dir.path().join("findings.txt")).unwrap();
    assert_eq!(compact.lines().count(), 4);
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("results.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 4);
    // Human on the terminal, SARIF to a file.
    let o = run_in(
        dir.path(),
        &["--color", "never", "--sarif", "again.sarif"],
        &[],
    );
    assert!(String::from_utf8(o.stdout)
        .unwrap()
        .contains("ingress-service-port-missing"));
    assert!(dir.path().join("again.sarif").is_file());
}

#[derive(serde::Deserialize)]
struct Matchers {
    #[serde(rename = "problemMatcher")]
    problem_matcher: Vec<Matcher>,
}

#[derive(serde::Deserialize)]
struct Matcher {
    owner: String,
    pattern: Vec<Pattern>,
}

#[derive(serde::Deserialize)]
struct Pattern {
    regexp: String,
    file: usize,
    line: usize,
    column: usize,
    severity: usize,
    code: usize,
    message: usize,
}

#[test]
fn problem_matcher_round_trips_compact_output() {
    let text = std::fs::read_to_string(workspace().join(".github/k8s-lint-matcher.json")).unwrap();
    let matchers: Matchers = serde_json::from_str(&text).unwrap();
    let m = &matchers.problem_matcher[0];
    assert_eq!(m.owner, "k8s-lint");
    let p = &m.pattern[0];
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let vscode_regexp = serde_json::to_string(&p.regexp).unwrap();
    assert!(
        readme.contains(&format!("\"regexp\": {vscode_regexp}")),
        "the README's VS Code matcher uses the same regexp"
    );
    let re = regex::Regex::new(&p.regexp).unwrap();
    let dir = sample();
    let o = run_in(dir.path(), &["--format", "compact"], &[]);
    let out = String::from_utf8(o.stdout).unwrap();
    let json = run_in(dir.path(), &["--format", "json"], &[]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(out.lines().count(), findings.len());
    for (line, f) in out.lines().zip(findings) {
        let c = re
            .captures(line)
            .unwrap_or_else(|| panic!("no match: {line}"));
        assert_eq!(&c[p.file], f["file"].as_str().unwrap());
        assert_eq!(
            c[p.line].parse::<u64>().unwrap(),
            f["line"].as_u64().unwrap()
        );
        assert_eq!(
            c[p.column].parse::<u64>().unwrap(),
            f["column"].as_u64().unwrap()
        );
        assert_eq!(&c[p.severity], f["severity"].as_str().unwrap());
        assert_eq!(&c[p.code], f["rule"].as_str().unwrap());
        assert_eq!(&c[p.message], f["message"].as_str().unwrap());
    }
}

#[test]
fn rules_and_explain() {
    let o = run_in(&workspace(), &["rules"], &[]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(out.lines().count(), k8s_lint_core::RULES.len());
    // Columns are padded to the longest id; compare words.
    let line = out
        .lines()
        .find(|l| l.starts_with("ingress-service-missing "))
        .unwrap();
    let words = line.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.starts_with("ingress-service-missing error An Ingress backend names a Service"));
    let o = run_in(
        &workspace(),
        &["explain", "service-selector-unmatched"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0));
    let page =
        std::fs::read_to_string(workspace().join("rules/service-selector-unmatched.md")).unwrap();
    assert_eq!(String::from_utf8(o.stdout).unwrap(), page);
    let o = run_in(&workspace(), &["explain", "service-selector-unmached"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        "error: unknown rule `service-selector-unmached`; did you mean `service-selector-unmatched`? (`k8s-lint rules` lists them)\n"
    );
}

/// The composite action passes inputs through `env:` only: `${{ }}` inside `run:` text is a
/// script-injection hole (a branch name or input can carry shell).
#[test]
fn action_never_splices_expressions_into_scripts() {
    use k8s_lint_core::source::FileId;
    use k8s_lint_core::yaml::{parse, Node};
    let text = std::fs::read_to_string(workspace().join("action.yml")).unwrap();
    let parsed = parse(FileId(0), &text);
    assert!(parsed.problems.is_empty());
    let root = parsed.docs[0].root.as_ref().unwrap();
    let steps = root.at("runs.steps").and_then(Node::as_seq).unwrap();
    let mut scripts = 0;
    for step in steps {
        if let Some(run) = step.get("run").and_then(Node::as_str) {
            scripts += 1;
            assert!(!run.contains("${{"), "expression in run: {run}");
        }
    }
    // The key, the install and the lint step; the scripts themselves live in scripts/action/.
    assert!(scripts >= 3);
    for input in [
        "path",
        "args",
        "format",
        "sarif-file",
        "fail-on",
        "config",
        "version",
    ] {
        assert!(
            root.at("inputs").and_then(|i| i.get(input)).is_some(),
            "input {input}"
        );
    }
    for output in ["errors", "warnings", "infos"] {
        assert!(
            root.at("outputs").and_then(|o| o.get(output)).is_some(),
            "output {output}"
        );
    }
}

/// A run that stops (a bad config, no manifest) says so in the machine formats too: a JSON
/// document with `errors`, a GitHub annotation on the config, a SARIF run whose invocation
/// failed (valid against the schema); exit 2 in each.
#[test]
fn errors_that_stop_the_run_in_machine_formats() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::write(
        dir.path().join(".k8s-lint.yaml"),
        "rules:\n  no-such-rule: off\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    )
    .unwrap();
    let o = run_in(dir.path(), &["--format", "json"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["errors"][0]["file"], ".k8s-lint.yaml");
    assert_eq!(doc["errors"][0]["line"], 2);
    assert_eq!(doc["errors"][0]["column"], 3);
    assert_eq!(doc["findings"], serde_json::json!([]));
    let o = run_in(dir.path(), &["--format", "github"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8(o.stdout)
        .unwrap()
        .starts_with("::error file=.k8s-lint.yaml,line=2,col=3,title=k8s-lint (configuration)::"));
    let o = run_in(dir.path(), &["--format", "sarif"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolConfigurationNotifications"][0]["locations"][0]["physicalLocation"]
            ["region"]["startLine"],
        2
    );
    assert_valid_sarif(&log);
    // No manifest: the same, without a location.
    let empty = tempfile::tempdir().unwrap();
    let o = run_in(empty.path(), &["--format", "json"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(doc["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("no manifests"));
}

/// SARIF: URIs relative to the repository top (also when the run starts elsewhere), messages
/// that link each related location by id, so code scanning shows them.
#[test]
fn sarif_links_related_locations_and_is_relative_to_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    copy(
        &workspace().join("fixtures/service-target-port-undeclared/fires-defaulted-target-port"),
        &repo.join("apps/web"),
    );
    let o = run_in(dir.path(), &["repo", "--format", "sarif"], &[]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let run = &log["runs"][0];
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(root.ends_with("/repo/"), "{root}");
    let result = &run["results"][0];
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "apps/web/service.yaml"
    );
    assert_valid_sarif(&log);
    let related = result["relatedLocations"].as_array().unwrap();
    let text = result["message"]["text"].as_str().unwrap();
    for r in related {
        let link = format!("]({})", r["id"]);
        assert!(text.contains(&link), "{text}");
    }
    assert!(
        text.contains("See: [Deployment `shop/web` declares its ports here](1)"),
        "{text}"
    );
    // The same fingerprint from inside the repository.
    let inside = run_in(&repo, &["--format", "sarif"], &[]);
    let log2: serde_json::Value = serde_json::from_slice(&inside.stdout).unwrap();
    assert_eq!(
        log2["runs"][0]["results"][0]["partialFingerprints"],
        result["partialFingerprints"]
    );
}

/// The step summary escapes HTML-like text and stays below GitHub's 1 MiB limit.
#[test]
fn step_summary_is_escaped_and_capped() {
    let dir = tempfile::tempdir().unwrap();
    // Tailscale-exposed Services with long names, one finding each, in a file whose name
    // looks like HTML.
    let docs: Vec<String> = (0..9_000)
        .map(|i| format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: service-{i}\n  namespace: namespace-{i}\n  annotations:\n    tailscale.com/expose: \"true\"\nspec:\n  ports: [{{port: 80}}]\n"))
        .collect();
    std::fs::write(dir.path().join("<tailnet>.yaml"), docs.join("---\n")).unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "").unwrap();
    let o = run_in(
        dir.path(),
        &["--format", "github", "--rule", "tailscale-endpoint=info"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(o.status.code(), Some(0));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.len() < 1024 * 1024, "{} bytes", text.len());
    assert!(
        text.contains("more findings are not shown here"),
        "{}",
        &text[..500]
    );
    assert!(
        text.contains("&lt;tailnet&gt;") && !text.contains("<tailnet>"),
        "escaped"
    );
}

/// Fixes reach code scanning as SARIF `fixes`: the kustomization edit of the orphan finding,
/// relative to the repository root, with its applicability (and the log still validates).
#[test]
fn sarif_carries_fixes() {
    let dir = sample();
    let log = sarif(dir.path());
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let orphan = results
        .iter()
        .find(|r| r["ruleId"] == "kustomize-orphan-manifest" && r["level"] == "warning")
        .expect("the orphan finding");
    let fix = &orphan["fixes"][0];
    assert_eq!(
        fix["description"]["text"],
        "add `ingress.yaml` to `resources` in orphan/k8s/kustomization.yaml"
    );
    assert_eq!(fix["properties"]["applicability"], "unsafe");
    let change = &fix["artifactChanges"][0];
    assert_eq!(
        change["artifactLocation"]["uri"],
        "orphan/k8s/kustomization.yaml"
    );
    assert_eq!(
        change["replacements"][0],
        serde_json::json!({
            "deletedRegion": {"startLine": 5, "startColumn": 1, "endLine": 5, "endColumn": 1},
            "insertedContent": {"text": "  - ingress.yaml\n"}
        })
    );
}
