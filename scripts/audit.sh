#!/usr/bin/env bash
# Fails on a high or critical advisory in production dependencies. Where the registry offers no
# advisory endpoint (some mirrors answer 405), it says so plainly instead of failing the build on it.
set -uo pipefail
output=$(npm audit --omit=dev --audit-level=high 2>&1)
status=$?
printf '%s\n' "$output" | grep -v 'Unknown user config'
if [ $status -ne 0 ] && printf '%s' "$output" | grep -q 'audit endpoint returned an error'; then
  echo "npm audit: the registry's advisory endpoint is not reachable from this machine; the audit was NOT performed."
  exit 0
fi
exit $status
