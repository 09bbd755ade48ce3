#!/usr/bin/env bash
# Prerequisites of test/containers: a Docker engine, docker-compose, and a local base image.
# Idempotent and safe to rerun: installs only what is missing, starts dockerd only when none answers,
# and builds the base image only when its content hash changed. Must run as root.
#
# No image registry is reachable on CI machines, so `node:22-slim` cannot be pulled. The base is made
# here instead: a Debian bookworm rootfs (debootstrap) with Node 22 from the npm `node` package and
# this machine's npm and CA bundle (npm in the build must trust the machine's TLS chain). It is tagged
# p2p-overlay-base:local and cached as a tarball under CACHE, keyed by the hash of everything in it.
# On a laptop with internet, skip this script: the Dockerfile's default base is node:22-slim.
set -euo pipefail
SCRIPT=$(readlink -f "$0")
cd "$(dirname "$SCRIPT")/.."

CACHE=${P2P_OVERLAY_CACHE:-/var/cache/p2p-overlay}
BASE_TAG=p2p-overlay-base:local
DOCKERD_LOG=${CACHE}/dockerd.log
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
  echo "containers-prereqs: must run as root (installs packages, starts dockerd, runs debootstrap)" >&2
  exit 1
fi
mkdir -p "$CACHE"

# ---- engine, compose, debootstrap ----
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[ -x /usr/bin/docker-compose ] || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq -o DPkg::Lock::Timeout=600
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}"
fi

# ---- the daemon (no init system starts it here) ----
if ! docker info >/dev/null 2>&1; then
  echo "containers-prereqs: starting dockerd (log: $DOCKERD_LOG)"
  setsid dockerd >"$DOCKERD_LOG" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "containers-prereqs: dockerd did not answer within 60 s" >&2; tail -20 "$DOCKERD_LOG" >&2; exit 1; }
fi

# ---- the local base image ----
NODE_BIN=$(readlink -f node_modules/node/bin/node 2>/dev/null || true)
if [ ! -x "$NODE_BIN" ]; then
  npm ci --no-audit --no-fund
  NODE_BIN=$(readlink -f node_modules/node/bin/node)
fi
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")   # …/node_modules/npm
CA=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
HASH=$( { sha256sum "$SCRIPT" "$NODE_BIN" "$CA"; cat "$NPM_DIR/package.json"; } | sha256sum | cut -c1-16)
TARBALL=$CACHE/base-$HASH.tar

if [ "$(docker image inspect -f '{{index .Config.Labels "p2p-overlay.base-hash"}}' "$BASE_TAG" 2>/dev/null || true)" = "$HASH" ]; then
  echo "containers-prereqs: $BASE_TAG is current ($HASH)"
  exit 0
fi

if [ ! -s "$TARBALL" ]; then
  echo "containers-prereqs: building the base rootfs ($HASH)"
  ROOTFS=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$ROOTFS"' EXIT
  debootstrap --variant=minbase --no-merged-usr bookworm "$ROOTFS" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  install -m 0755 "$NODE_BIN" "$ROOTFS/usr/local/bin/node"
  mkdir -p "$ROOTFS/usr/local/lib/node_modules"
  cp -a "$NPM_DIR" "$ROOTFS/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
  install -D -m 0644 "$CA" "$ROOTFS/etc/ssl/certs/p2p-overlay-ca.crt"
  chroot "$ROOTFS" sh -c 'groupadd -g 1000 node && useradd -u 1000 -g node -m node'
  # Trim what a node image never needs (docs, man pages, apt lists); keeps the base near node:22-slim.
  rm -rf "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*
  rm -f "$CACHE"/base-*.tar
  tar -C "$ROOTFS" -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
  rm -rf "$ROOTFS"
  trap - EXIT
fi

docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/p2p-overlay-ca.crt' \
  --change "LABEL p2p-overlay.base-hash=$HASH" \
  --change 'CMD ["node"]' \
  "$TARBALL" "$BASE_TAG" >/dev/null
echo "containers-prereqs: imported $BASE_TAG ($HASH)"
