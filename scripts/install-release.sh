#!/usr/bin/env bash
# Download, verify and unpack a k8s-lint release binary:
#   scripts/install-release.sh VERSION HOME     (prints the directory holding the binary)
# The archive for this machine (RUNNER_OS/RUNNER_ARCH on GitHub, else uname) and SHA256SUMS
# come from K8S_LINT_RELEASES (default: this project's GitHub releases; a file:// URL in the
# tests); the archive's checksum must be the one SHA256SUMS lists, and the binary must report
# VERSION. The binary is kept under HOME/vVERSION/TARGET for the next run. Any failure is an
# error (exit 1). Needs bash, coreutils, tar (unzip on Windows) and curl; no jq.
set -euo pipefail
version=${1#v}
home=$2
os=${RUNNER_OS:-$(uname -s)}
arch=${RUNNER_ARCH:-$(uname -m)}
case "$os/$arch" in
  Linux/x86_64) os=Linux arch=X64 ;;
  Linux/aarch64 | Linux/arm64) os=Linux arch=ARM64 ;;
  Darwin/x86_64) os=macOS arch=X64 ;;
  Darwin/arm64) os=macOS arch=ARM64 ;;
  MINGW*/* | MSYS*/* | CYGWIN*/*) os=Windows arch=X64 ;;
esac
case "$os/$arch" in
  Linux/X64) target=x86_64-unknown-linux-musl ext=tar.gz ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ext=tar.gz ;;
  macOS/X64) target=x86_64-apple-darwin ext=tar.gz ;;
  macOS/ARM64) target=aarch64-apple-darwin ext=tar.gz ;;
  Windows/X64) target=x86_64-pc-windows-msvc ext=zip ;;
  *) echo "k8s-lint: no release binary for $os/$arch" >&2; exit 1 ;;
esac
asset="k8s-lint-v$version-$target.$ext"
dir="$home/v$version/$target"
exe=k8s-lint
[ "$ext" = zip ] && exe=k8s-lint.exe

if [ ! -x "$dir/$exe" ]; then
  base=${K8S_LINT_RELEASES:-https://github.com/k8s-lint/k8s-lint/releases/download}
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  fetch() { curl --fail --silent --show-error --location --retry 3 -o "$work/$1" "$base/v$version/$1"; }
  if ! fetch SHA256SUMS || ! fetch "$asset"; then
    echo "k8s-lint: cannot download release v$version ($asset)" >&2
    exit 1
  fi
  # The line for this asset only: `sha256sum -c` would also want every other archive.
  want=$(awk -v a="$asset" '$2 == a || $2 == "*" a {print $1}' "$work/SHA256SUMS")
  have=$(sha256sum "$work/$asset" | awk '{print $1}')
  if [ -z "$want" ] || [ "$want" != "$have" ]; then
    echo "k8s-lint: checksum of $asset does not match SHA256SUMS (want '${want:-none}', have $have)" >&2
    exit 1
  fi
  mkdir -p "$work/unpacked"
  if [ "$ext" = zip ]; then
    unzip -q "$work/$asset" -d "$work/unpacked"
  else
    tar -xzf "$work/$asset" -C "$work/unpacked"
  fi
  found=$(find "$work/unpacked" -type f -name "$exe" | head -n 1)
  if [ -z "$found" ]; then
    echo "k8s-lint: $asset holds no $exe" >&2
    exit 1
  fi
  mkdir -p "$dir"
  install -m 0755 "$found" "$dir/$exe"
fi

reported=$("$dir/$exe" --version | awk '{print $2}')
if [ "$reported" != "$version" ]; then
  echo "k8s-lint: the binary reports version '$reported', not $version" >&2
  exit 1
fi
echo "k8s-lint $version ($target) in $dir" >&2
echo "$dir"
