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
# `overlay health` finds the local node through OVERLAY_DATA_DIR and checks it over the protocol.
# Once the control API exists (`--api 0.0.0.0:9100`), this one line becomes
#   CMD ["node", "-e", "fetch('http://127.0.0.1:9100/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
HEALTHCHECK --interval=15s --timeout=30s --start-period=30s --retries=3 \
  CMD ["node", "/app/dist/src/cli/bin.js", "health"]
ENTRYPOINT ["node", "/app/dist/src/cli/bin.js"]
CMD ["start", "--config", "/app/config/peer.json"]
