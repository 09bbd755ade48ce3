#!/usr/bin/env bash
# Prerequisites of test/integration/prometheus.spec.ts: Debian's `prometheus` (a real server that
# scrapes three nodes). Idempotent: installs nothing when `prometheus` is already there. Runs as root.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 prometheus
command -v prometheus >/dev/null
