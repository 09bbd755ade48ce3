#!/usr/bin/env bash
# Prerequisites of test/ui (the UI's tests in a real browser): Debian's Chromium, driven by
# playwright-core, which downloads nothing. Idempotent: installs nothing when it is already there.
# Must run as root, like the tests.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq -o DPkg::Lock::Timeout=600
apt-get install -y -o DPkg::Lock::Timeout=600 chromium
/usr/bin/chromium --version
