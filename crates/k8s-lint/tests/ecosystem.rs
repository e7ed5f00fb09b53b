//! `scripts/ecosystem` end to end: a one-repository corpus made here (a git repository with a
//! known bug), materialised from a local snapshot, linted by the built binary and compared with a
//! verdict file. And the committed corpus list and verdicts are well formed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn top() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn have(tool: &str, arg: &str) -> bool {
    Command::new(tool)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ecosystem(args: &[&str], eco_dir: Option<&Path>) -> Output {
    let mut cmd = Command::new("python3");
    cmd.arg(top().join("scripts/ecosystem")).args(args);
    if let Some(dir) = eco_dir {
        cmd.env("K8S_LINT_ECOSYSTEM_DIR", dir);
    }
    cmd.output().expect("python3 runs")
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn committed_corpus_and_verdicts_are_well_formed() {
    if !have("python3", "--version") {
        eprintln!("skipped: no python3 on PATH");
        return;
    }
    let out = ecosystem(&["check"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let repos: usize = text.split_whitespace().next().unwrap().parse().unwrap();
    assert!(repos >= 25, "the corpus lists {repos} repositories");
}

#[test]
fn materialise_run_and_judge_a_corpus() {
    if !have("python3", "--version") || !have("git", "--version") {
        eprintln!("skipped: python3 or git missing");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    // The "public repository": an Ingress naming a Service nobody defines (in a namespace whose
    // Services the repository manages), and a second file whose finding stays unjudged.
    let origin = work.path().join("origin");
    std::fs::create_dir_all(origin.join("k8s")).unwrap();
    std::fs::write(
        origin.join("k8s/ingress.yaml"),
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\n  namespace: app\n\
         spec:\n  defaultBackend:\n    service:\n      name: web\n      port:\n        number: 80\n\
         ---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: app}\n\
         spec: {type: ExternalName, externalName: db.example.com}\n",
    )
    .unwrap();
    std::fs::write(
        origin.join("k8s/dup.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
    )
    .unwrap();
    git(&origin, &["init", "-q"]);
    git(&origin, &["add", "."]);
    git(&origin, &["commit", "-qm", "x"]);
    let commit = git(&origin, &["rev-parse", "HEAD"]).trim().to_string();
    // The snapshot layout `fetch` leaves: <mirror>/<owner>+<name>/repo, a bare repository.
    let mirror = work.path().join("mirror");
    std::fs::create_dir_all(mirror.join("test+demo")).unwrap();
    git(
        work.path(),
        &[
            "clone",
            "-q",
            "--bare",
            origin.to_str().unwrap(),
            mirror.join("test+demo/repo").to_str().unwrap(),
        ],
    );

    let eco = work.path().join("eco");
    std::fs::create_dir_all(eco.join("verdicts")).unwrap();
    std::fs::write(
        eco.join("repos.toml"),
        format!(
            "[[repo]]\nname = \"test/demo\"\ncommit = \"{commit}\"\npaths = [\"k8s\"]\nlicence = \"none\"\nstyle = \"test\"\n"
        ),
    )
    .unwrap();
    std::fs::write(
        eco.join("verdicts/test+demo.tsv"),
        "rule\tfile\tline\tverdict\treason\n\
         ingress-service-missing\tk8s/ingress.yaml\t9\ttrue-bug\tno Service web anywhere\n",
    )
    .unwrap();

    let corpus = work.path().join("corpus");
    let corpus = corpus.to_str().unwrap();
    let out = ecosystem(
        &[
            "materialise",
            "--mirror",
            mirror.to_str().unwrap(),
            "--corpus",
            corpus,
        ],
        Some(&eco),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(work
        .path()
        .join("corpus/test+demo/k8s/ingress.yaml")
        .is_file());

    let bin = env!("CARGO_BIN_EXE_k8s-lint");
    let out = ecosystem(
        &["run", "--bin", bin, "--base", bin, "--corpus", corpus],
        Some(&eco),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("precision: 1/1 = 100.0%; false alarms at warning+error: 0; unjudged: 1"),
        "{text}"
    );
    assert!(
        text.contains("removed (0):") && text.contains("added (0):"),
        "{text}"
    );
    assert!(
        text.contains("test/demo: k8s/dup.yaml:5:3: warning[yaml-duplicate-key]"),
        "the unjudged finding is listed to be judged:\n{text}"
    );
}
