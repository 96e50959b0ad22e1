#!/usr/bin/env bash
# `npm run test:alerts`: checks the alerting rules and runs their unit tests with promtool.
# promtool comes with Debian's prometheus package; PROMTOOL may point at another binary.
set -euo pipefail

cd "$(dirname "$0")/.."
promtool="${PROMTOOL:-promtool}"

if ! command -v "$promtool" >/dev/null 2>&1; then
  echo "check-alerts: promtool not found (looked for '$promtool')." >&2
  echo "Install it with: apt-get install prometheus   (Debian/Ubuntu; it provides /usr/bin/promtool)" >&2
  echo "or set PROMTOOL to the path of a promtool binary." >&2
  exit 1
fi

shopt -s nullglob
tests=(alerts/tests/*.test.yml)
if [ "${#tests[@]}" -eq 0 ]; then
  echo "check-alerts: no unit tests found in alerts/tests/" >&2
  exit 1
fi

"$promtool" check rules alerts/plaid-sync.rules.yml
"$promtool" test rules "${tests[@]}"
