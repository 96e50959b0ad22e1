# syntax=docker/dockerfile:1
# plaid-sync image: `docker build -t plaid-sync .` (or podman). The Node base is a build argument so
# CI can build on a locally made base (scripts/container-test.sh); the default is the official image.
ARG NODE_IMAGE=node:20-bookworm-slim

# Build stage: the full install (typescript, esbuild through tsx) bundles src/ into dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# A network that intercepts TLS may pass its CA as a build secret (--secret id=extra_ca,src=<file>):
# mounted for this step only, never stored in a layer.
RUN --mount=type=secret,id=extra_ca \
    if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi; \
    npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/build.ts
COPY src ./src
COPY views ./views
COPY drizzle ./drizzle
RUN npm run build

# Production dependencies only (patch-package runs on postinstall and is itself a dependency).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN --mount=type=secret,id=extra_ca \
    if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi; \
    npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    MALLOC_ARENA_MAX=2 \
    MALLOC_TRIM_THRESHOLD_=131072
WORKDIR /app
# A user of its own (not the base's `node`, which a locally made base may lack), uid fixed for
# Kubernetes' runAsUser and volume ownership.
RUN groupadd --system --gid 10001 plaidsync \
 && useradd --system --uid 10001 --gid plaidsync --home-dir /app --shell /usr/sbin/nologin plaidsync \
 && mkdir -p /data && chown plaidsync:plaidsync /data
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER 10001:10001
EXPOSE 3000
# DATA_DIR holds the embedded database when DATABASE_URL is unset (a single-instance setup only).
VOLUME ["/data"]
# Liveness only: /readyz (database reachable, migrations current) is for the orchestrator's probe.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains requests for up to SHUTDOWN_TIMEOUT_MS (10 s by default), then stops the workers:
# give the container a stop grace period a few seconds longer (docker stop -t 15,
# terminationGracePeriodSeconds: 20 in deploy/kubernetes/).
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "--max-semi-space-size=2", "--max-old-space-size=160", "dist/main.js"]
