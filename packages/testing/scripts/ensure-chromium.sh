#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is at /usr/bin/chromium (Debian package `chromium`), for
# the browser tests (the load report, the room page; @roomcast/testing ensureChromium()).
# Idempotent; needs root (or sudo) and apt-get. Prints the path.
set -euo pipefail

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
if [[ -x "$CHROMIUM" ]]; then
  echo "$CHROMIUM"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM is missing and apt-get is not available" >&2
  exit 1
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "ensure-chromium: not root and no sudo; install the Debian package chromium" >&2
    exit 1
  fi
fi
# Several test runs may call this at once: one installer at a time, then re-check.
exec 9>/tmp/roomcast-ensure-chromium.lock
flock 9
if [[ ! -x "$CHROMIUM" ]]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends chromium >&2
fi
if [[ ! -x "$CHROMIUM" ]]; then
  echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "$CHROMIUM"
