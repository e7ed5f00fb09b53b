#!/usr/bin/env bash
# The Action's lint step. Inputs come as environment variables, never as shell text:
#   LINT_PATHS  paths to lint, one per line (default `.`)
#   LINT_ARGS   more arguments, one per line, passed as they are (an array, never re-split)
#   FORMAT, FAIL_ON, CONFIG, SARIF_FILE   the inputs of the same names
# The step's outputs (errors, warnings, infos) are written by k8s-lint itself to
# $GITHUB_OUTPUT (--counts), from this run only: a run that stops early (a bad config, exit 2)
# writes none.
set -euo pipefail

args=()
while IFS= read -r line; do
  [ -n "$line" ] && args+=("$line")
done <<< "${LINT_PATHS:-}"
[ ${#args[@]} -gt 0 ] || args=(.)
args+=(--format "${FORMAT:-github}" --fail-on "${FAIL_ON:-warning}" --counts "$GITHUB_OUTPUT")
[ -n "${CONFIG:-}" ] && args+=(--config "$CONFIG")
if [ -n "${SARIF_FILE:-}" ]; then
  mkdir -p "$(dirname -- "$SARIF_FILE")"
  args+=(--sarif "$SARIF_FILE")
fi
while IFS= read -r line; do
  [ -n "$line" ] && args+=("$line")
done <<< "${LINT_ARGS:-}"
if [ "${FORMAT:-github}" = compact ]; then
  echo "::add-matcher::$GITHUB_ACTION_PATH/.github/k8s-lint-matcher.json"
fi
exec k8s-lint "${args[@]}"
