#!/usr/bin/env bash
# Makes sure a headless-capable Chromium is at /usr/bin/chromium (Debian package `chromium`) with a
# colour emoji font (`fonts-noto-color-emoji`, so the room page's icons render in screenshots), for
# the browser tests (the load report, the room page; @roomcast/testing ensureChromium()). Run by
# scripts/test.sh before jest, so a fresh CI machine gets the browser once, up front.
# Idempotent (nothing is fetched when both are installed); needs root (or sudo) and apt-get.
# Prints the executable's path.
set -euo pipefail

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
EMOJI_FONT_PACKAGE=fonts-noto-color-emoji

emoji_font_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$EMOJI_FONT_PACKAGE" 2>/dev/null)" == "install ok installed" ]]
}
installed() {
  # With CHROMIUM_PATH set (a browser we did not install), only the browser itself is required.
  [[ -x "$CHROMIUM" ]] && { [[ -n "${CHROMIUM_PATH:-}" ]] || emoji_font_installed; }
}

if installed; then
  echo "$CHROMIUM"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: $CHROMIUM (or $EMOJI_FONT_PACKAGE) is missing and apt-get is not available" >&2
  exit 1
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "ensure-chromium: not root and no sudo; install the Debian packages chromium $EMOJI_FONT_PACKAGE" >&2
    exit 1
  fi
fi
# Several test runs may call this at once: one installer at a time, then re-check.
exec 9>/tmp/roomcast-ensure-chromium.lock
flock 9
if ! installed; then
  echo "ensure-chromium: apt-get install chromium $EMOJI_FONT_PACKAGE (first run only)" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq --no-install-recommends chromium "$EMOJI_FONT_PACKAGE" >&2
fi
if [[ ! -x "$CHROMIUM" ]]; then
  echo "ensure-chromium: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "$CHROMIUM"
