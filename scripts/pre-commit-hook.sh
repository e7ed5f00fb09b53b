#!/usr/bin/env bash
# pre-commit entry point: build k8s-lint from this checkout once, then lint the repository
# pre-commit runs us in (the whole tree: findings are cross-file). Extra arguments pass through.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="$here/.pre-commit-bin/bin/k8s-lint"
if [ ! -x "$bin" ]; then
  cargo install --quiet --locked --path "$here/crates/k8s-lint" --root "$here/.pre-commit-bin"
fi
exec "$bin" --format compact "$@" .
