#!/usr/bin/env bash
# Prerequisites of test/hosts (network namespaces, veth pairs, a bridge): iproute2's `ip`.
# Idempotent: installs nothing when `ip` is already there. Must run as root, like the tests.
set -euo pipefail
if command -v ip >/dev/null 2>&1; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq iproute2
command -v ip >/dev/null
