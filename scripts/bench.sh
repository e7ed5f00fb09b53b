#!/usr/bin/env bash
# Whole-process timing of the release binary on generated repositories.
#   scripts/bench.sh [N_APPS...]      (default: 200 2000)
# For each size: wall time, CPU time (user + system) and peak RSS of the best of five runs,
# for k8s-lint and for parse-floor (walk + read + YAML parse of the same files, nothing else).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p k8s-lint -p k8s-lint-gen >&2
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(200 2000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Best of five by wall time: "wall cpu rss_mb".
measure() {
  local best="" line
  for _ in 1 2 3 4 5; do
    /usr/bin/time -o "$work/time" -f "%e %U %S %M" "$@" >/dev/null 2>&1 || true
    line=$(awk '{printf "%s %.2f %.1f", $1, $2 + $3, $4 / 1024}' "$work/time")
    if [ -z "$best" ] || [ "$(echo "$line $best" | awk '{print ($1 < $4)}')" = 1 ]; then
      best=$line
    fi
  done
  echo "$best"
}

printf '%8s %10s %-12s %7s %7s %8s %10s\n' apps bytes run wall_s cpu_s rss_mb objects/s
for n in "${sizes[@]}"; do
  repo="$work/repo-$n"
  ./target/release/k8s-lint-gen "$repo" "$n" 2>/dev/null
  bytes=$(find "$repo" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
  ./target/release/k8s-lint "$repo" --format compact >/dev/null || true   # warm the page cache
  for run in k8s-lint parse-floor; do
    if [ "$run" = k8s-lint ]; then
      read -r wall cpu rss < <(measure ./target/release/k8s-lint "$repo" --format compact)
    else
      read -r wall cpu rss < <(measure ./target/release/parse-floor "$repo")
    fi
    printf '%8s %10s %-12s %7s %7s %8s %10.0f\n' "$n" "$bytes" "$run" "$wall" "$cpu" "$rss" \
      "$(echo "$n * 5 / $wall" | bc -l)"
  done
done
