//! `cargo bench -p k8s-lint-core`: the whole engine on generated repositories of 200, 2,000
//! and 20,000 apps (5 to 7 objects each), next to the floor it cannot beat: reading the same files
//! and running the YAML parser alone. Whole-process figures (wall, CPU, peak RSS) come from
//! `scripts/bench.sh`.

mod common;

use common::repo;
use divan::Bencher;
use k8s_lint_core::{lint, Options};

fn main() {
    divan::main();
}

const SIZES: [usize; 3] = [200, 2_000, 20_000];

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn lint_repository(bencher: Bencher, apps: usize) {
    let root = repo(apps);
    bencher.bench(|| {
        let report = lint(&Options::new(vec![root.to_path_buf()])).expect("repository lints");
        assert!(report.findings.is_empty());
        report.stats.objects
    });
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn read_and_parse_only(bencher: Bencher, apps: usize) {
    let files = k8s_lint_gen::yaml_files(repo(apps));
    bencher.bench(|| k8s_lint_gen::parse_floor(&files));
}
