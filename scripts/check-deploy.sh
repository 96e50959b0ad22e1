#!/usr/bin/env bash
# promtool check config on the compose stack's Prometheus configuration, with the rule file where the
# compose file mounts it (a temporary copy, since /etc/prometheus is the container's path).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/rules"
cp alerts/plaid-sync.rules.yml "$tmp/rules/"
sed "s#/etc/prometheus/rules#$tmp/rules#" deploy/prometheus/prometheus.yml >"$tmp/prometheus.yml"
promtool check config "$tmp/prometheus.yml"
