#!/usr/bin/env bash
# Build the distributed binary and check it: at most 10 MB, and for a musl target statically
# linked (`file`). The release workflow runs this for each of its targets.
#   scripts/dist.sh [TARGET]      (default: x86_64-unknown-linux-musl when installed, else host)
# A musl target needs musl's C compiler for jemalloc (Debian/Ubuntu: apt-get install musl-tools).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${1:-}
if [ -z "$target" ]; then
  if rustup target list --installed 2>/dev/null | grep -qx x86_64-unknown-linux-musl; then
    target=x86_64-unknown-linux-musl
  else
    echo "dist: the musl target is not installed (rustup target add x86_64-unknown-linux-musl); checking the host build" >&2
  fi
fi
if [[ "$target" == *-linux-musl ]] && ! command -v musl-gcc >/dev/null; then
  echo "dist: $target needs musl-gcc to build jemalloc: apt-get install musl-tools" >&2
  exit 2
fi
if [ -n "$target" ]; then
  cargo build --locked --profile dist --target "$target" -p k8s-lint >&2
  bin="target/$target/dist/k8s-lint"
else
  cargo build --locked --profile dist -p k8s-lint >&2
  bin="target/dist/k8s-lint"
fi
[ -f "$bin" ] || bin="$bin.exe"
size=$(wc -c < "$bin")
echo "$bin: $size bytes"
if [ "$size" -gt $((10 * 1024 * 1024)) ]; then
  echo "dist: $bin is larger than 10 MB" >&2
  exit 1
fi
if [[ "$target" == *-linux-musl ]]; then
  description=$(file -b "$bin")
  echo "$description"
  case "$description" in
    *"statically linked"* | *"static-pie linked"*) ;;
    *) echo "dist: $bin is not statically linked" >&2; exit 1 ;;
  esac
fi
