#!/usr/bin/env bash
# Whole-process timing of the release binary on generated repositories.
#   scripts/bench.sh [N_APPS...]      (default: 200 2000)
#   scripts/bench.sh hostile           the hostile-repository cases at scales 1 and 4, with
#                                      the time ratio (linear growth: about 4)
# For each size: k8s-lint and parse-floor (walk + read + YAML parse of the same files, nothing
# else) in five paired rounds, each at its best round: wall times and their ratio, peak RSS of
# each and k8s-lint's per byte of YAML, and objects linted per second.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p k8s-lint -p k8s-lint-gen >&2
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(200 2000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One run of a command: "wall cpu rss_mb".
once() {
  /usr/bin/time -o "$work/time" -f "%e %U %S %M" "$@" >/dev/null 2>&1 || true
  # The last line: a failing command adds "Command exited with non-zero status" first.
  tail -n 1 "$work/time" | awk '{printf "%s %.2f %.1f", $1, $2 + $3, $4 / 1024}'
}

# The better by wall time of "$1" (a result so far, or empty) and one more run of the rest.
best() {
  local so_far=$1 line
  shift
  line=$(once "$@")
  if [ -z "$so_far" ] || [ "$(echo "$line $so_far" | awk '{print ($1 < $4)}')" = 1 ]; then
    echo "$line"
  else
    echo "$so_far"
  fi
}

# Best of five by wall time: "wall cpu rss_mb".
measure() {
  local result=""
  for _ in 1 2 3 4 5; do
    result=$(best "$result" "$@")
  done
  echo "$result"
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

# Paired: each of the five rounds runs k8s-lint and then parse-floor on the same warm tree, so
# the two see the same machine state; each is reported at its best round (by wall time). The
# ratios are the issue's targets: wall time against the parse floor (at most 1.5), and peak
# RSS against the YAML bytes.
printf '%8s %10s %8s %7s %7s %8s %8s %7s %9s %10s\n' \
  apps bytes objects lint_s floor_s ratio rss_mb floor_mb rss/bytes objects/s
for n in "${sizes[@]}"; do
  repo="$work/repo-$n"
  ./target/release/k8s-lint-gen "$repo" "$n" 2>/dev/null
  bytes=$(find "$repo" -type f -name '*.yaml' -printf '%s\n' | awk '{s += $1} END {print s}')
  ./target/release/k8s-lint "$repo" --format compact >/dev/null || true   # warm the page cache
  objects=$(./target/release/k8s-lint "$repo" --format json 2>/dev/null \
    | sed -n 's/.*"objects": *\([0-9]*\).*/\1/p' | head -n 1)
  lint="" floor=""
  for _ in 1 2 3 4 5; do
    lint=$(best "$lint" ./target/release/k8s-lint "$repo" --format compact)
    floor=$(best "$floor" ./target/release/parse-floor "$repo")
  done
  read -r lw _ lr <<<"$lint"
  read -r fw _ fr <<<"$floor"
  printf '%8s %10s %8s %7s %7s %8s %8s %7s %9s %10.0f\n' "$n" "$bytes" "${objects:--}" \
    "$lw" "$fw" "$(echo "$lw $fw" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "-" }')" \
    "$lr" "$fr" "$(echo "$lr $bytes" | awk '{printf "%.1f", $1 * 1048576 / $2}')" \
    "$(echo "${objects:-0} / $lw" | bc -l)"
done
