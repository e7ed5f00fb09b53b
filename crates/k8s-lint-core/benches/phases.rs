//! `cargo bench -p k8s-lint-core --bench phases`: the phases of a lint, each alone on its
//! inputs made beforehand, on generated repositories of 2,000 and 20,000 apps: walk and read,
//! parse to the spanned trees, find the objects, decode the typed views, build the kustomize
//! model, and free the trees. What runs after them (the builds, the index, the rules and the
//! suppressions) needs the whole analysis; `k8s-lint --timings` gives each of those its share
//! of one run, and `lint` benches the whole.

mod common;

use std::path::Path;

use common::repo;
use divan::Bencher;
use k8s_lint_core::index::decode_all;
use k8s_lint_core::kustomize::Model;
use k8s_lint_core::load::{self, Loaded, Overlay, PathFilter, Reading};
use k8s_lint_core::object::Objects;
use rayon::prelude::*;

fn main() {
    divan::main();
}

const SIZES: [usize; 2] = [2_000, 20_000];

fn walk_and_read(root: &Path) -> Loaded {
    let filter = PathFilter::new(root, &[], &[]).expect("no globs");
    let overlay = Overlay::default();
    let reading = Reading {
        max_size: load::DEFAULT_MAX_FILE_SIZE,
        overlay: &overlay,
    };
    load::load(&[root.to_path_buf()], root, &reading, &filter, Some(root)).expect("loads")
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn walk_and_read_files(bencher: Bencher, apps: usize) {
    let root = repo(apps);
    bencher.bench(|| walk_and_read(root).files.len());
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn parse_to_trees(bencher: Bencher, apps: usize) {
    let loaded = walk_and_read(repo(apps));
    bencher.bench(|| load::parse_all(&loaded.files).len());
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn find_objects(bencher: Bencher, apps: usize) {
    let loaded = walk_and_read(repo(apps));
    let parsed = load::parse_all(&loaded.files);
    bencher.bench(|| Objects::of(&parsed, |_| false).list.len());
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn decode_typed_views(bencher: Bencher, apps: usize) {
    let loaded = walk_and_read(repo(apps));
    let parsed = load::parse_all(&loaded.files);
    let objects = Objects::of(&parsed, |_| false);
    bencher.bench(|| decode_all(&objects.list, &parsed).len());
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn kustomize_model(bencher: Bencher, apps: usize) {
    let root = repo(apps);
    let loaded = walk_and_read(root);
    let parsed = load::parse_all(&loaded.files);
    bencher.bench(|| {
        Model::new(
            &loaded.files,
            &parsed,
            &loaded.roots,
            Some(root),
            &loaded.fence,
        )
        .kusts
        .len()
    });
}

#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn free_trees(bencher: Bencher, apps: usize) {
    let loaded = walk_and_read(repo(apps));
    bencher
        .with_inputs(|| load::parse_all(&loaded.files))
        // As a lint frees them: on every core.
        .bench_values(|parsed| parsed.into_par_iter().for_each(drop));
}
