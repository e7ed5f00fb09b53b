#!/usr/bin/env bash
# Whole-process timing of the release binary on generated repositories.
#   scripts/bench.sh [N_APPS...]      (default: 200 2000)
# Prints wall time, CPU time and peak RSS from /usr/bin/time -v for each size.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p k8s-lint -p k8s-lint-gen >&2
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(200 2000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '%8s %10s %8s %8s %10s %12s\n' apps bytes wall_s cpu_s rss_mb objects/s
for n in "${sizes[@]}"; do
  repo="$work/repo-$n"
  ./target/release/k8s-lint-gen "$repo" "$n" 2>/dev/null
  bytes=$(find "$repo" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
  ./target/release/k8s-lint "$repo" --format compact >/dev/null || true   # warm the page cache
  /usr/bin/time -v ./target/release/k8s-lint "$repo" --format compact >/dev/null 2>"$work/time" || true
  wall=$(awk -F': ' '/Elapsed/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time")
  cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u+s}' "$work/time")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.1f", $2/1024}' "$work/time")
  printf '%8s %10s %8s %8s %10s %12.0f\n' "$n" "$bytes" "$wall" "$cpu" "$rss" "$(echo "$n*5/$wall" | bc -l)"
done
