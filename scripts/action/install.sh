#!/usr/bin/env bash
# The Action's install step: put k8s-lint on PATH, in seconds where a release exists.
#
#   VERSION     the `version` input (`0.2.0` or `v0.2.0`); empty: the tag the Action is used
#               at (ACTION_REF), if it is a release tag
#   ACTION_REF  github.action_ref (`v0.2.0`, `main`, a commit)
#   RUNNER_OS, RUNNER_ARCH, K8S_LINT_RELEASES: see scripts/install-release.sh
#   K8S_LINT_HOME            where binaries are kept (default: $RUNNER_TOOL_CACHE or $HOME)
#
# With a version: scripts/install-release.sh downloads and verifies it (any failure is an
# error: a version that does not match never falls back silently). Without one (an untagged
# ref): build this Action's checkout with `cargo install --locked`.
set -euo pipefail

version=${VERSION#v}
if [ -z "$version" ] && [[ "${ACTION_REF:-}" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  version=${ACTION_REF#v}
fi
home=${K8S_LINT_HOME:-${RUNNER_TOOL_CACHE:-$HOME}/k8s-lint}

if [ -z "$version" ]; then
  echo "k8s-lint: no release version (ref '${ACTION_REF:-}'): building this checkout with cargo" >&2
  cargo install --locked --path "$GITHUB_ACTION_PATH/crates/k8s-lint" --root "$home/source"
  echo "$home/source/bin" >> "$GITHUB_PATH"
  exit 0
fi

dir=$(bash "$GITHUB_ACTION_PATH/scripts/install-release.sh" "$version" "$home")
echo "$dir" >> "$GITHUB_PATH"
