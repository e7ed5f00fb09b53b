//! The Action's shell steps (`scripts/action/*.sh`), run here with the environment GitHub sets
//! (`GITHUB_OUTPUT`, `GITHUB_PATH`, `GITHUB_STEP_SUMMARY`, `GITHUB_ACTION_PATH`, the inputs as
//! env) and without `jq` on PATH: the install from a release (checksum checked, version
//! checked), and the lint step's outputs from its own run only.
#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

const CLEAN: &str = "fixtures/config-ref-missing/ok-sealed-and-external-secrets";
const BROKEN: &str = "fixtures/ingress-service-port-missing/fires-number-not-exposed";

/// A PATH with the built binary, the system tools, and a `jq` that fails: the steps must not
/// need it.
fn path_without_jq(dir: &Path, with_binary: bool) -> String {
    let fake = dir.join("fake-bin");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(
        fake.join("jq"),
        "#!/bin/sh\necho 'jq is not installed' >&2\nexit 127\n",
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(fake.join("jq"))
        .status()
        .unwrap();
    let bin = Path::new(env!("CARGO_BIN_EXE_k8s-lint"))
        .parent()
        .unwrap()
        .to_path_buf();
    let mut parts = vec![fake.display().to_string()];
    if with_binary {
        parts.push(bin.display().to_string());
    }
    parts.push(std::env::var("PATH").unwrap_or_default());
    parts.join(":")
}

fn step(script: &str, dir: &Path, env: &[(&str, &str)], with_binary: bool) -> (Output, String) {
    let output = dir.join(format!("output-{}", rand_name()));
    std::fs::write(&output, "").unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(workspace().join("scripts/action").join(script))
        .current_dir(workspace())
        .env_clear()
        .env("PATH", path_without_jq(dir, with_binary))
        .env("HOME", dir)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_PATH", dir.join("github-path"))
        .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
        .env("GITHUB_ACTION_PATH", workspace());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    (o, std::fs::read_to_string(&output).unwrap())
}

fn rand_name() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed).to_string()
}

#[test]
fn lint_step_outputs_come_from_its_own_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (o, out) = step("lint.sh", d, &[("LINT_PATHS", CLEAN)], true);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(out, "errors=0\nwarnings=0\ninfos=0\n");
    let sarif = d.join("reports/deep/k8s-lint.sarif");
    let (o, out) = step(
        "lint.sh",
        d,
        &[
            ("LINT_PATHS", BROKEN),
            ("SARIF_FILE", sarif.to_str().unwrap()),
        ],
        true,
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(out, "errors=1\nwarnings=0\ninfos=0\n");
    assert!(sarif.is_file(), "the SARIF file's directory is created");
    assert!(String::from_utf8_lossy(&o.stdout).contains("::error file="));
    // A second run in the same job with a bad config: exit 2, and no counts at all (not the
    // last run's).
    std::fs::write(d.join("bad.yaml"), "rules: [not, a, map]\n").unwrap();
    let (o, out) = step(
        "lint.sh",
        d,
        &[
            ("LINT_PATHS", BROKEN),
            ("CONFIG", d.join("bad.yaml").to_str().unwrap()),
        ],
        true,
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(out, "");
    // Several paths, and arguments passed as they are (one per line, never re-split).
    let paths = format!("{CLEAN}\n{BROKEN}\n");
    let (o, out) = step(
        "lint.sh",
        d,
        &[
            ("LINT_PATHS", paths.as_str()),
            ("LINT_ARGS", "--rule\ningress-service-port-missing=off\n"),
        ],
        true,
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(out, "errors=0\nwarnings=0\ninfos=0\n");
    let (o, _) = step(
        "lint.sh",
        d,
        &[
            ("LINT_PATHS", CLEAN),
            ("LINT_ARGS", "--format json; touch /tmp/pwned"),
        ],
        true,
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "an argument is one word, never shell text"
    );
}

/// A release as the release workflow lays it out: an archive per target and SHA256SUMS.
fn release(dir: &Path, version: &str, tamper: bool) -> PathBuf {
    let name = format!("k8s-lint-v{version}-x86_64-unknown-linux-musl");
    let stage = dir.join("stage").join(&name);
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_k8s-lint"), stage.join("k8s-lint")).unwrap();
    let assets = dir.join("releases").join(format!("v{version}"));
    std::fs::create_dir_all(&assets).unwrap();
    let archive = format!("{name}.tar.gz");
    let ok = Command::new("tar")
        .args(["-czf"])
        .arg(assets.join(&archive))
        .arg("-C")
        .arg(dir.join("stage"))
        .arg(&name)
        .status()
        .unwrap();
    assert!(ok.success());
    let sum = Command::new("sha256sum")
        .arg(&archive)
        .current_dir(&assets)
        .output()
        .unwrap();
    let mut sums = String::from_utf8(sum.stdout).unwrap();
    if tamper {
        // Another first digit: the checksum of some other file.
        let other = if sums.starts_with('0') { "1" } else { "0" };
        sums.replace_range(0..1, other);
    }
    std::fs::write(assets.join("SHA256SUMS"), sums).unwrap();
    dir.join("releases")
}

fn install(dir: &Path, releases: &Path, version: &str) -> Output {
    let base = format!("file://{}", releases.display());
    let home = dir.join("tool-cache");
    step(
        "install.sh",
        dir,
        &[
            ("VERSION", version),
            ("ACTION_REF", "main"),
            ("RUNNER_OS", "Linux"),
            ("RUNNER_ARCH", "X64"),
            ("K8S_LINT_RELEASES", base.as_str()),
            ("K8S_LINT_HOME", home.to_str().unwrap()),
        ],
        false,
    )
    .0
}

#[test]
fn install_step_downloads_verifies_and_checks_the_version() {
    let version = env!("CARGO_PKG_VERSION");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let releases = release(d, version, false);
    let o = install(d, &releases, &format!("v{version}"));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let on_path = std::fs::read_to_string(d.join("github-path")).unwrap();
    let bin = Path::new(on_path.trim()).join("k8s-lint");
    assert!(bin.is_file(), "{on_path}");
    // Kept: a second install reads nothing from the release.
    std::fs::remove_dir_all(&releases).unwrap();
    let o = install(d, &releases, version);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // A checksum that does not match: refused, nothing installed.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let releases = release(d, version, true);
    let o = install(d, &releases, version);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does not match SHA256SUMS"));
    assert!(!d.join("github-path").exists());

    // A release whose binary reports another version: an error, not a fallback.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let releases = release(d, "9.9.9", false);
    let o = install(d, &releases, "9.9.9");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("reports version"));

    // No such release: an error.
    let o = install(d, &releases, "9.9.8");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot download release v9.9.8"));
}
