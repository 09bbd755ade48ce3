# syntax=docker/dockerfile:1
# p2p-overlay node image. Build: `docker build -t p2p-overlay .`
# docker-compose.yml runs this image; test/hosts/ runs the same compose file on network-namespace
# hosts and reads ENTRYPOINT, CMD, ENV and WORKDIR of the final stage from this file.

# ---- build: all deps (TypeScript is a devDependency), compile src/ to dist/ ----
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the "prepare" script would build before src/ is copied, and the `node`
# devDependency's install script would download a second Node; the image already has Node 22.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web UI (ui/), which npm run build bundles into dist/ui with Vite.
COPY ui ./ui
RUN npm run build

# ---- runtime: production deps, dist/ and config/ only ----
FROM node:22-slim AS runtime
ENV NODE_ENV=production \
    OVERLAY_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev drops TypeScript and the `node` package; --ignore-scripts skips "prepare" (tsc is absent).
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config ./config
# Identity (Ed25519 key) and token live in /data, owned by the unprivileged `node` user of the base
# image. Docker copies this ownership into a fresh named or anonymous volume mounted here.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 9000
# Signals: the exec-form ENTRYPOINT makes node PID 1 with no shell in between, so SIGTERM from
# `docker stop` reaches the CLI, which sends EXIT to its peers and exits 0. The CLI spawns no
# children, so no init process is needed to reap zombies; compose therefore does not set `init: true`.
STOPSIGNAL SIGTERM
# `overlay health` finds the local node through OVERLAY_DATA_DIR and checks it over the protocol.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "/app/dist/src/cli/bin.js", "health"]
ENTRYPOINT ["node", "/app/dist/src/cli/bin.js"]
CMD ["start", "--config", "/app/config/peer.json"]
