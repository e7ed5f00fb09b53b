#!/usr/bin/env bash
# Whole-process timing of the release binary on generated repositories.
#   scripts/bench.sh [N_APPS...]      (default: 200 2000)
#   scripts/bench.sh hostile           the hostile-repository cases at scales 1 and 4, with
#                                      the time ratio (linear growth: about 4)
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
    # The last line: a failing command adds "Command exited with non-zero status" first.
    line=$(tail -n 1 "$work/time" | awk '{printf "%s %.2f %.1f", $1, $2 + $3, $4 / 1024}')
    if [ -z "$best" ] || [ "$(echo "$line $best" | awk '{print ($1 < $4)}')" = 1 ]; then
      best=$line
    fi
  done
  echo "$best"
}

if [ "${1:-}" = hostile ]; then
  ./target/release/k8s-lint-hostile "$work/x1" 1 2>/dev/null
  ./target/release/k8s-lint-hostile "$work/x4" 4 2>/dev/null
  printf '%-18s %10s %10s %8s %8s %7s\n' case bytes_x1 bytes_x4 wall_x1 wall_x4 ratio
  for dir in "$work"/x1/*/; do
    c=$(basename "$dir")
    [ "$c" = outside ] && continue
    b1=$(find "$work/x1/$c" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    b4=$(find "$work/x4/$c" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
    read -r w1 _ _ < <(measure ./target/release/k8s-lint "$work/x1/$c" --format compact)
    read -r w4 _ _ < <(measure ./target/release/k8s-lint "$work/x4/$c" --format compact)
    printf '%-18s %10s %10s %8s %8s %7s\n' "$c" "$b1" "$b4" "$w1" "$w4" \
      "$(echo "$w1 $w4" | awk '{ if ($1 > 0) printf "%.1f", $2 / $1; else print "-" }')"
  done
  exit 0
fi

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
