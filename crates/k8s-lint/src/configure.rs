//! Which `.k8s-lint.yaml` a run uses: the one named, or the nearest at or above the first
//! path, up to the repository top. Shared by the command line and the language server.

use std::path::{Path, PathBuf};

use k8s_lint_core::config::{Config, ConfigError};
use k8s_lint_core::fence::Fence;

/// The config for a run whose first path is `first`: `named` (`--config`), else the nearest
/// one found, else none.
pub fn find(first: &Path, named: Option<&Path>) -> Result<Option<Config>, Box<ConfigError>> {
    let start = k8s_lint_core::source::normalize(
        &std::path::absolute(first).unwrap_or_else(|_| first.to_path_buf()),
    );
    // Only the repository is read: discovery stops at its top, and a config that is a symlink
    // leading out of it (to `/proc/self/environ`, a credentials file) is refused unread.
    // The same top the lint fences (a file root stands for its directory).
    let top = k8s_lint_core::gitops::repo_top_of_root(&start);
    let fence = Fence::new(std::slice::from_ref(&top));
    let dir = if fence.is_dir(&start) {
        start
    } else {
        start.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    // Shown relative to the current directory, as findings are.
    let cwd = std::env::current_dir().unwrap_or_default();
    let shown = |p: PathBuf| p.strip_prefix(&cwd).map(Path::to_path_buf).unwrap_or(p);
    match named {
        // Named by whoever runs the job: read where it is (`/dev/null` for none), unless it is
        // a symlink, which then must stay inside the repository.
        Some(p) => {
            let abs = k8s_lint_core::source::normalize(
                &std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()),
            );
            // Inside the repository, through the fence (a symlinked `ci/` leading out is
            // refused); outside it, the operator's own file, read where it is.
            if abs.starts_with(&top) {
                k8s_lint_core::config::load(p, &fence).map(Some)
            } else {
                k8s_lint_core::config::load_named(p).map(Some)
            }
        }
        None => k8s_lint_core::config::discover(&dir, &top, &fence)
            .map(|p| k8s_lint_core::config::load(&shown(p), &fence))
            .transpose(),
    }
}
