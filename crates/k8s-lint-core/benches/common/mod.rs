//! Generated repositories for the benchmarks: each size made once, on first use, in one
//! temporary directory.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{LazyLock, Mutex};

static DIR: LazyLock<tempfile::TempDir> =
    LazyLock::new(|| tempfile::tempdir().expect("temporary directory"));

static MADE: LazyLock<Mutex<HashMap<usize, &'static Path>>> = LazyLock::new(Mutex::default);

/// A clean generated repository of `apps` apps, at its canonical path (the walk keeps paths
/// as given, and the fence compares real ones).
pub fn repo(apps: usize) -> &'static Path {
    let mut made = MADE.lock().expect("no benchmark panicked while generating");
    made.entry(apps).or_insert_with(|| {
        let root = DIR.path().join(format!("repo-{apps}"));
        k8s_lint_gen::write_repo(&root, apps, 0).expect("generated repository");
        let root = std::fs::canonicalize(&root).expect("generated repository");
        // Kept for the whole process, as the directory is.
        Box::leak(root.into_boxed_path())
    })
}
