# syntax=docker/dockerfile:1
# p2p-overlay node image. Build: `docker build -t p2p-overlay .`
# BASE is any image with Node 22, npm and a `node` user (uid 1000); CI passes a local one built by
# .ci/containers-prereqs.sh, since no registry is reachable there: `--build-arg BASE=p2p-overlay-base:local`.
# docker-compose.yml and deploy/ run this image; test/containers/ builds and runs it for real.
ARG BASE=node:22-slim

# ---- build: all deps (TypeScript is a devDependency), compile src/ to dist/ ----
FROM ${BASE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the "prepare" script would build before src/ is copied, and the `node`
# devDependency's install script would download a second Node; the image already has Node 22.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web UI (ui/), which npm run build bundles into dist/ui with Vite.
COPY ui ./ui
RUN npm run build
# Production deps only, in the build stage, so the runtime stage gets them in one layer without npm's cache.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && chmod 0755 dist/src/cli/bin.js

# ---- runtime: production deps, dist/src and config/ only; no sources, no dev deps ----
FROM ${BASE} AS runtime
ENV NODE_ENV=production \
    OVERLAY_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY config ./config
# `overlay` on PATH, so `docker exec CONTAINER overlay health` works.
# Identity (Ed25519 key) and token live in /data, owned by the unprivileged `node` user of the base
# image. Docker copies this ownership into a fresh named or anonymous volume mounted here.
RUN ln -s /app/dist/src/cli/bin.js /usr/local/bin/overlay && mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 9000
# Signals: the exec-form ENTRYPOINT makes node PID 1 with no shell in between, so SIGTERM from
# `docker stop` reaches the CLI, which sends EXIT to its peers and exits 0. The CLI spawns no
# children, so no init process is needed to reap zombies; compose therefore does not set `init: true`.
STOPSIGNAL SIGTERM
# The control API on a fixed loopback port: `overlay health` (and `docker exec … overlay peers`) find it
# through /data/api.json. Set OVERLAY_API_LISTEN=0.0.0.0:9100 to reach it from outside the container
# (Kubernetes probes, a published port), OVERLAY_API_ALLOWED_HOSTS for the names clients use; every
# route but /healthz and /readyz still needs the token in /data/api-token. OVERLAY_API_LISTEN=off disables it.
ENV OVERLAY_API_LISTEN=127.0.0.1:9100
# `overlay health` asks the API's /readyz (one HTTP request; the CLI loads no libp2p for it, about
# 0.3 CPU-s), so checks can be frequent and short.
HEALTHCHECK --interval=5s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/dist/src/cli/bin.js", "health"]
ENTRYPOINT ["node", "/app/dist/src/cli/bin.js"]
CMD ["start", "--config", "/app/config/peer.json"]
