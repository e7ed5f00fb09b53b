//! `cargo bench -p k8s-lint-core`: the whole engine on generated repositories of 200, 2,000
//! and 20,000 apps (5 objects each), next to the floor it cannot beat: reading the same files
//! and running the YAML parser alone. Whole-process figures (wall, CPU, peak RSS) come from
//! `scripts/bench.sh`.

use std::path::PathBuf;
use std::sync::LazyLock;

use divan::Bencher;
use k8s_lint_core::{lint, Options};

fn main() {
    divan::main();
}

const SIZES: [usize; 3] = [200, 2_000, 20_000];

static REPOS: LazyLock<(tempfile::TempDir, Vec<PathBuf>)> = LazyLock::new(|| {
    let dir = tempfile::tempdir().expect("temporary directory");
    let repos = SIZES
        .iter()
        .map(|n| {
            let root = dir.path().join(format!("repo-{n}"));
            k8s_lint_gen::write_repo(&root, *n, 0).expect("generated repository");
            root
        })
        .collect();
    (dir, repos)
});

fn repo(apps: usize) -> PathBuf {
    let i = SIZES
        .iter()
        .position(|n| *n == apps)
        .expect("a generated size");
    REPOS.1[i].clone()
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn lint_repository(bencher: Bencher, apps: usize) {
    let root = repo(apps);
    bencher.bench(|| {
        let report = lint(&Options::new(vec![root.clone()])).expect("repository lints");
        assert!(report.findings.is_empty());
        report.stats.objects
    });
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn read_and_parse_only(bencher: Bencher, apps: usize) {
    let files = k8s_lint_gen::yaml_files(&repo(apps));
    bencher.bench(|| k8s_lint_gen::parse_floor(&files));
}
