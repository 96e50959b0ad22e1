#!/usr/bin/env bash
# Production install smoke test: the build from this checkout plus `npm ci --omit=dev` in a temporary
# directory (what the Dockerfile's final stage holds), then `node dist/main.js` twice:
#   1. zero-config: simulator mode, embedded PostgreSQL;
#   2. production-style config against an external PostgreSQL (SMOKE_DATABASE_URL, or a throwaway
#      cluster of Debian's postgresql-15) and the standalone simulator (dist/simulator.js).
# Each run links one item and syncs it through the API, then SIGTERM must exit 0.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS
phase() { printf '\n--- %s (%ss)\n' "$*" "$((SECONDS - started))"; }
free_port() { node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"; }

tmp=$(mktemp -d /tmp/plaid-sync-prod-smoke.XXXXXX)
chmod 755 "$tmp"
pids=()
pgdata=''
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  if [ -n "$pgdata" ]; then as_postgres "/usr/lib/postgresql/15/bin/pg_ctl -D $pgdata -m fast -w stop" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

phase "build (full install of this checkout) and production install (npm ci --omit=dev)"
app=$tmp/app
mkdir -p "$app"
npm run -s build -- --outdir "$app/dist"
cp -r package.json package-lock.json patches "$app/"
(cd "$app" && npm ci --omit=dev --no-audit --no-fund --prefer-offline >/dev/null)
if [ -e "$app/node_modules/typescript" ] || [ -e "$app/node_modules/vitest" ]; then
  echo "development dependencies in the production install" >&2; exit 1
fi

# Starts `node dist/<script>` in $app with the environment given and waits for a line matching $2;
# sets $last_pid (not printed: a command substitution's child could not be waited for here).
start() {
  local log=$1 pattern=$2; shift 2
  (cd "$app" && exec env -i PATH="$PATH" "$@") >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 1200); do
    if grep -q "$pattern" "$log"; then last_pid=$pid; return; fi
    if ! kill -0 "$pid" 2>/dev/null; then cat "$log" >&2; echo "exited before '$pattern'" >&2; return 1; fi
    sleep 0.1
  done
  cat "$log" >&2; echo "timed out waiting for '$pattern'" >&2; return 1
}

stop() {
  local pid=$1 log=$2
  kill -TERM "$pid"
  local code=0
  wait "$pid" || code=$?
  if [ "$code" != 0 ]; then tail -20 "$log" >&2; echo "exit $code after SIGTERM" >&2; exit 1; fi
  grep -q '"shutdown_complete"' "$log" || { echo "no shutdown_complete in $log" >&2; exit 1; }
}

ready() { node -e "fetch('$1/readyz').then(async (r) => { const b = await r.text(); console.log(r.status, b); process.exit(r.status === 200 ? 0 : 1); })"; }

phase "zero-config: node dist/main.js with the embedded PostgreSQL"
port=$(free_port)
start "$tmp/zero.log" '"service_started"' DATA_DIR="$tmp/data" PORT="$port" HOST=127.0.0.1 EMBEDDED_POSTGRES_PORT="$(free_port)" \
  node dist/main.js
pid=$last_pid
ready "http://127.0.0.1:$port"
simulator=$(grep -o '"url":"[^"]*","msg":"simulator_started"' "$tmp/zero.log" | cut -d'"' -f4)
token=$(node -p "require('$tmp/data/dev-secrets.json').apiToken")
node --import tsx scripts/smoke-link-sync.ts "http://127.0.0.1:$port" "$simulator" "$token"
stop "$pid" "$tmp/zero.log"

phase "external PostgreSQL, standalone simulator, production-style configuration"
database_url=${SMOKE_DATABASE_URL:-}
if [ -z "$database_url" ]; then
  pgdir=$tmp/pg
  mkdir -p "$pgdir"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$pgdir"; fi
  pgport=$(free_port)
  as_postgres "/usr/lib/postgresql/15/bin/initdb -D $pgdir/data -U postgres --auth=trust --locale=C -E UTF8 >/dev/null"
  pgdata=$pgdir/data
  as_postgres "/usr/lib/postgresql/15/bin/pg_ctl -D $pgdata -l $pgdir/server.log -w -o \"-p $pgport -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off\" start >/dev/null"
  database_url=postgres://postgres@127.0.0.1:$pgport/postgres
fi
simport=$(free_port)
start "$tmp/simulator.log" 'listening' node dist/simulator.js --port "$simport" --client-id smoke-client --secret smoke-secret
simpid=$last_pid
simulator=http://127.0.0.1:$simport
token=$(node -p "require('crypto').randomBytes(24).toString('hex')")
key="k1:$(node -p "require('crypto').randomBytes(32).toString('base64')")"
(cd "$app" && env -i PATH="$PATH" DATABASE_URL="$database_url" node dist/migrate.js)
port=$(free_port)
start "$tmp/external.log" '"service_started"' DATABASE_URL="$database_url" PORT="$port" HOST=127.0.0.1 \
  PLAID_ENV=sandbox PLAID_BASE_URL="$simulator" PLAID_CLIENT_ID=smoke-client PLAID_SECRET=smoke-secret \
  TOKEN_ENCRYPTION_KEY="$key" API_TOKENS="$token" ADMIN_PASSWORD=smoke-admin-password-1 \
  PUBLIC_URL="http://127.0.0.1:$port" WEBHOOK_URL="http://127.0.0.1:$port/webhooks/plaid" DATA_DIR="$tmp/data-external" node dist/main.js
pid=$last_pid
ready "http://127.0.0.1:$port"
node --import tsx scripts/smoke-link-sync.ts "http://127.0.0.1:$port" "$simulator" "$token"
stop "$pid" "$tmp/external.log"
kill -TERM "$simpid"
wait "$simpid" || { echo "simulator exited $? after SIGTERM" >&2; exit 1; }

phase "passed"
