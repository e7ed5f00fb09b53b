//! The `k8s-lint` command's output formats, as a library: the binary renders with them, and
//! the fuzz targets run every format on what they lint. Rule logic lives in `k8s-lint-core`.

pub mod baseline;
pub mod configure;
pub mod docs;
pub mod fixes;
pub mod lsp;
pub mod output;
