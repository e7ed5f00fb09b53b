//! End to end on the built binary, with a repository that is hostile (a pull request from a
//! fork): very long lines, control characters in file names and values, names that are not
//! URIs, symlinks where the reports go, and limits that overflow.

use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    run_with(dir, args, &[])
}

fn run_with(dir: &Path, args: &[&str], envs: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_k8s-lint"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("GITHUB_STEP_SUMMARY");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A workload in namespace `a`, so that a Service there that selects nothing is an error.
const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: c, image: x}]\n";

/// A Service of namespace `a` that selects no pod.
const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata: {name: lost, namespace: a}\nspec:\n  selector: {app: nothing}\n  ports: [{port: 80}]\n";

fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// Past column 65,535 miette's snippet renderer panics: the human format must cut the line.
#[test]
fn findings_past_column_65535_are_shown_cut() {
    let pad = "x".repeat(70_000);
    let service = format!(
        r#"{{"apiVersion":"v1","kind":"Service","metadata":{{"name":"lost","namespace":"a","annotations":{{"pad":"{pad}"}}}},"spec":{{"selector":{{"app":"nothing"}},"ports":[{{"port":80}}]}}}}"#
    );
    let duplicate = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c","namespace":"a"}},"data":{{"pad":"{pad}","pad":"y"}}}}"#
    );
    let dir = repo(&[
        ("deployment.yaml", DEPLOYMENT),
        ("service.json", &service),
        ("configmap.json", &duplicate),
    ]);
    let o = run(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("× Service `a/lost` selects `app=nothing`, matching no pod template"),
        "{out}"
    );
    assert!(
        out.contains("⚠ key `pad` is repeated in this mapping"),
        "{out}"
    );
    // Headers show the file's own columns, as the compact format does.
    let compact = stdout(&run(dir.path(), &["--format", "compact"]));
    for line in compact.lines() {
        let at = line.split(": ").next().unwrap();
        assert!(out.contains(&format!("╭─[{at}]")), "{at}:\n{out}");
    }
    assert!(out.contains(" 1 │ …xxxx"), "{out}");
    assert!(
        out.contains(r#"xxxx"}},"spec":{"selector":{"app":"nothing"},"#),
        "{out}"
    );
    assert!(out.lines().all(|l| l.chars().count() < 1000), "{out}");
    assert!(out.ends_with("1 error, 1 warning, 0 infos\n"), "{out}");
}

#[test]
fn config_errors_past_column_65535_are_shown_cut() {
    let pad = "x".repeat(70_000);
    let config = format!("{{\"exclude\": [\"{pad}\"], \"failOn\": \"sometimes\"}}\n");
    let dir = repo(&[("deployment.yaml", DEPLOYMENT), (".k8s-lint.yaml", &config)]);
    let o = run(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.starts_with("k8s_lint::config\n"), "{err}");
    assert!(err.contains("`sometimes` is not a level"), "{err}");
    assert!(err.contains("╭─[.k8s-lint.yaml:1:70029]"), "{err}");
    assert!(err.lines().all(|l| l.chars().count() < 1000), "{err}");
}

/// What a terminal or the Actions log would act on: escape sequences, BEL, DEL, C1 controls,
/// line separators, bidi overrides, and line breaks that start a workflow command.
fn hostile(s: &str) -> Vec<&'static str> {
    [
        "\x1b", "\x07", "\x7f", "\u{9b}", "\u{85}", "\u{2028}", "\u{202e}", "\u{2066}",
    ]
    .into_iter()
    .filter(|c| s.contains(c))
    .collect()
}

/// A file named to forge a workflow command, a Service whose name and selector hold escape
/// sequences, and a file whose comment holds raw control characters (a YAML syntax error,
/// with the line in the snippet).
fn hostile_repo() -> tempfile::TempDir {
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: \"w\\e[2J\\u202Eb\", namespace: a}\nspec:\n  selector: {app: \"\\e]0;x\\a\\x9b\\u2028n\\u2066\"}\n  ports: [{port: 80}]\n";
    let raw = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a} # \x1b[2J \u{9b}31m \u{202e}\x7f\u{85}\n";
    repo(&[
        ("deployment.yaml", DEPLOYMENT),
        ("a\n::error file=x::forged\x1b[31m.yaml", service),
        ("raw.yaml", raw),
    ])
}

#[test]
fn repository_text_is_escaped_in_text_formats() {
    let dir = hostile_repo();
    let summary = dir.path().join("summary.md");
    for args in [
        &["--color", "never"][..],
        &["--format", "compact"],
        &["--format", "github"],
    ] {
        let o = run_with(dir.path(), args, &[("GITHUB_STEP_SUMMARY", &summary)]);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        let out = stdout(&o);
        assert_eq!(hostile(&out), Vec::<&str>::new(), "{args:?}:\n{out}");
        assert!(
            !out.lines().any(|l| l.starts_with("::error file=x")),
            "{args:?}:\n{out}"
        );
        assert!(
            out.contains("`a/w\\u{1b}[2J\\u{202e}b`"),
            "{args:?}:\n{out}"
        );
    }
    let compact = stdout(&run(dir.path(), &["--format", "compact"]));
    assert!(
        compact.lines().any(|l| l == "a\\n::error file=x::forged\\u{1b}[31m.yaml:5:19: error[service-selector-unmatched]: Service `a/w\\u{1b}[2J\\u{202e}b` selects `app=\\u{1b}]0;x\\u{7}\\u{9b}\\u{2028}n\\u{2066}`, matching no pod template here in namespace `a`"),
        "{compact}"
    );
    let human = stdout(&run(dir.path(), &["--color", "never"]));
    assert!(
        human.contains("╭─[a\\n::error file=x::forged\\u{1b}[31m.yaml:5:19]"),
        "{human}"
    );
    assert!(
        human.contains(" 3 │ metadata: {name: c, namespace: a} # \\u{1b}[2J \\u{9b}31m \\u{202e}\\u{7f}\\u{85}\n"),
        "the snippet line: {human}"
    );
    let github = stdout(&run(dir.path(), &["--format", "github"]));
    assert!(
        github
            .starts_with("::error file=a\\n%3A%3Aerror file=x%3A%3Aforged\\u{1b}[31m.yaml,line=5,"),
        "{github}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(hostile(&md), Vec::<&str>::new(), "{md}");
    assert!(
        md.contains("| `a\\n::error file=x::forged\\u{1b}[31m.yaml:5:19` |"),
        "{md}"
    );
    // Our own colours, and only ours.
    let colored = stdout(&run(dir.path(), &["--color", "always"]));
    assert!(colored.contains('\x1b'));
    assert!(!colored.contains("\x1b[2J") && !colored.contains("\x1b[31m.yaml"));
}

/// serde_json escapes C0 controls; the rest is written as `\u` escapes, the same JSON value.
#[test]
fn json_and_sarif_hold_the_same_text_escaped() {
    let dir = hostile_repo();
    for format in ["json", "sarif"] {
        let o = run(dir.path(), &["--format", format]);
        let out = stdout(&o);
        assert_eq!(hostile(&out), Vec::<&str>::new(), "{format}:\n{out}");
        assert!(out.contains("\\u202e"), "{format}");
    }
    let o = run(dir.path(), &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert!(
        files.contains(&"a\n::error file=x::forged\x1b[31m.yaml"),
        "{files:?}"
    );
}

#[test]
fn sarif_uris_are_relative_references_with_encoded_segments() {
    let dir = repo(&[
        ("deployment.yaml", DEPLOYMENT),
        ("co:lon.yaml", SERVICE),
        ("a b#c?d%e/ü @;=.yaml", SERVICE),
    ]);
    let o = run(dir.path(), &["--format", "sarif"]);
    assert_eq!(o.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut uris: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    uris.sort_unstable();
    assert_eq!(
        uris,
        ["a%20b%23c%3Fd%25e/%C3%BC%20%40%3B%3D.yaml", "co%3Alon.yaml"]
    );
}

#[cfg(unix)]
mod writes {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A repository that plants a symlink where the report goes, at a file outside it.
    fn planted(name: &str) -> (tempfile::TempDir, tempfile::TempDir) {
        let dir = repo(&[("deployment.yaml", DEPLOYMENT), ("service.yaml", SERVICE)]);
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("victim"), "precious\n").unwrap();
        symlink(outside.path().join("victim"), dir.path().join(name)).unwrap();
        (dir, outside)
    }

    #[test]
    fn output_refuses_a_symlink() {
        let (dir, outside) = planted("report.txt");
        let o = run(
            dir.path(),
            &["--format", "compact", "--output", "report.txt"],
        );
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(
            stderr(&o),
            "error: refusing to write report.txt: it is a symbolic link\n"
        );
        let victim = std::fs::read_to_string(outside.path().join("victim")).unwrap();
        assert_eq!(victim, "precious\n");
        let link = std::fs::symlink_metadata(dir.path().join("report.txt")).unwrap();
        assert!(link.file_type().is_symlink(), "left in place");
    }

    #[test]
    fn sarif_refuses_a_symlink() {
        let (dir, outside) = planted("results.sarif");
        let o = run(
            dir.path(),
            &["--color", "never", "--sarif", "results.sarif"],
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).contains("it is a symbolic link"),
            "{}",
            stderr(&o)
        );
        let victim = std::fs::read_to_string(outside.path().join("victim")).unwrap();
        assert_eq!(victim, "precious\n");
    }

    #[test]
    fn reports_are_written_and_replaced() {
        let dir = repo(&[("deployment.yaml", DEPLOYMENT), ("service.yaml", SERVICE)]);
        std::fs::create_dir(dir.path().join("out")).unwrap();
        std::fs::write(dir.path().join("out/report.txt"), "old\n".repeat(100)).unwrap();
        let o = run(
            dir.path(),
            &[
                "--format",
                "compact",
                "--output",
                "out/report.txt",
                "--sarif",
                "results.sarif",
            ],
        );
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        let report = std::fs::read_to_string(dir.path().join("out/report.txt")).unwrap();
        assert!(
            report.starts_with("service.yaml:5:19: error[service-selector-unmatched]"),
            "{report}"
        );
        assert!(!report.contains("old"));
        let sarif = std::fs::read_to_string(dir.path().join("results.sarif")).unwrap();
        assert!(sarif.contains("\"version\": \"2.1.0\""));
        let names: Vec<_> = std::fs::read_dir(dir.path().join("out"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.txt"], "no temporary file is left");
        // Special files are written in place, never replaced.
        let o = run(dir.path(), &["--output", "/dev/null"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    }
}

#[test]
fn max_file_size_is_capped() {
    let dir = repo(&[("deployment.yaml", DEPLOYMENT), ("service.yaml", SERVICE)]);
    let o = run(dir.path(), &["--max-file-size", "18446744073709551615"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("at most 1073741824 bytes (1 GiB)"),
        "{}",
        stderr(&o)
    );
    let compact = |size: &str| {
        let o = run(
            dir.path(),
            &["--format", "compact", "--max-file-size", size],
        );
        (o.status.code(), stdout(&o).lines().count())
    };
    assert_eq!(compact("1073741824"), (Some(1), 1));
    assert_eq!(compact("1073741825").0, Some(2));
    assert_eq!(compact("-1").0, Some(2));
}

/// A repository (with `.git`) next to an outside directory holding a secret.
#[cfg(unix)]
fn repo_and_secret() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(
        outside.join("secret.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: TOKEN-hunter2}\n",
    )
    .unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(repo.join("deployment.yaml"), DEPLOYMENT).unwrap();
    std::fs::write(repo.join("service.yaml"), SERVICE).unwrap();
    (dir, repo, outside)
}

#[cfg(unix)]
fn nothing_from_outside(o: &Output) {
    let all = format!("{}{}", stdout(o), stderr(o));
    assert!(!all.contains("hunter2"), "read from outside:\n{all}");
}

/// A committed `.k8s-lint.yaml` that is a symlink out of the repository (to a credentials
/// file, `/proc/self/environ`) is refused unread: its text never reaches the CI log.
#[cfg(unix)]
#[test]
fn a_config_symlink_out_of_the_repository_is_refused_unread() {
    let (_dir, repo, outside) = repo_and_secret();
    std::os::unix::fs::symlink(outside.join("secret.yaml"), repo.join(".k8s-lint.yaml")).unwrap();
    let o = run(&repo, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("it leads outside the repository; not read"),
        "{}",
        stderr(&o)
    );
    nothing_from_outside(&o);
    // Named with --config, the symlink is refused the same way.
    let o = run(&repo, &["--config", ".k8s-lint.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    nothing_from_outside(&o);
}

/// A path argument that is a symlink out of the repository, a file or a directory, is
/// refused (exit 2) and nothing there is read.
#[cfg(unix)]
#[test]
fn path_arguments_leading_out_of_the_repository_are_refused() {
    let (_dir, repo, outside) = repo_and_secret();
    std::os::unix::fs::symlink(outside.join("secret.yaml"), repo.join("prod.yaml")).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join("shared")).unwrap();
    for arg in ["prod.yaml", "shared"] {
        let o = run(&repo, &[arg, "--format", "compact"]);
        assert_eq!(o.status.code(), Some(2), "{arg}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("leads outside the repository"),
            "{arg}: {}",
            stderr(&o)
        );
        nothing_from_outside(&o);
    }
    // Walked, the same links are reported and not followed.
    let o = run(&repo, &["--format", "compact"]);
    assert_eq!(
        stdout(&o),
        "prod.yaml:1:1: error[file-unreadable]: cannot read `prod.yaml`: symlink to a file outside the repository\nservice.yaml:5:19: error[service-selector-unmatched]: Service `a/lost` selects `app=nothing`, matching no pod template here in namespace `a`\nshared:1:1: info[file-unreadable]: not following `shared`: a symlink leading outside the repository\n"
    );
    nothing_from_outside(&o);
}

/// A kustomization entry through a symlink that leads out of the repository is never looked
/// at there; ignore files and configs above the repository top are not the repository's.
#[cfg(unix)]
#[test]
fn entries_and_ignore_files_stay_inside_the_repository() {
    let (dir, repo, outside) = repo_and_secret();
    std::os::unix::fs::symlink(&outside, repo.join("ext")).unwrap();
    std::fs::write(
        repo.join("kustomization.yaml"),
        "resources:\n- deployment.yaml\n- service.yaml\n- ext/secret.yaml\n",
    )
    .unwrap();
    // Above the top: an ignore file that would hide everything, a config that would turn
    // every rule off.
    std::fs::write(dir.path().join(".gitignore"), "*.yaml\n").unwrap();
    std::fs::write(
        dir.path().join(".k8s-lint.yaml"),
        "rules:\n  service-selector-unmatched: off\n",
    )
    .unwrap();
    let o = run(&repo.join(".."), &["repo", "--format", "compact"]);
    let out = stdout(&o);
    assert_eq!(
        out,
        "repo/ext:1:1: info[file-unreadable]: not following `repo/ext`: a symlink leading outside the repository\nrepo/kustomization.yaml:4:3: error[kustomize-resource-missing]: `resources` entry `ext/secret.yaml` leads outside the repository through a symlink\nrepo/service.yaml:5:19: error[service-selector-unmatched]: Service `a/lost` selects `app=nothing`, matching no pod template here in namespace `a`\n",
        "{}",
        stderr(&o)
    );
    nothing_from_outside(&o);
}

/// Ignore files are read through the fence too: a `.gitignore` that is a symlink to a secret is
/// not read (its lines never reach an error message), one to `/dev/zero` neither hangs nor
/// exhausts memory.
#[cfg(unix)]
#[test]
fn ignore_files_leading_out_of_the_repository_are_not_read() {
    let (_dir, repo, outside) = repo_and_secret();
    std::fs::write(outside.join("ignore-secret"), "AWS_SECRET=abc{hunter2\n").unwrap();
    std::os::unix::fs::symlink(outside.join("ignore-secret"), repo.join(".gitignore")).unwrap();
    std::fs::create_dir_all(repo.join("sub")).unwrap();
    std::fs::write(
        repo.join("sub/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/dev/zero", repo.join("sub/.k8slintignore")).unwrap();
    let o = run(&repo, &["--format", "compact"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("service.yaml:5:19: error[service-selector-unmatched]"));
    nothing_from_outside(&o);
}
