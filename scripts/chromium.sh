#!/usr/bin/env bash
# Ensures Debian's Chromium is at /usr/bin/chromium for the console's browser tests (Playwright drives the system
# browser; nothing is downloaded by Playwright). Installs the Debian package only when the binary is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "chromium.sh: /usr/bin/chromium is missing and this user cannot install it (no sudo)" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
$sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
[ -x /usr/bin/chromium ] || { echo "chromium.sh: the chromium package installed no /usr/bin/chromium" >&2; exit 1; }
