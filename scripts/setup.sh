#!/usr/bin/env bash
# Makes a fresh checkout runnable: the pinned pnpm (from package.json "packageManager") and the
# workspace's dependencies. Idempotent and quick when nothing changed. Called by `npm start`
# and `npm test`, so those two commands are all a fresh machine needs (plus Node >= 20.19).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

want=$(node -p "require('./package.json').packageManager.split('@')[1]")
have=$(pnpm --version 2>/dev/null || true)
if [[ "$have" != "$want" ]]; then
  echo "[setup] installing pnpm $want (found: ${have:-none})" >&2
  npm install --global --silent "pnpm@$want" >&2
fi

# --frozen-lockfile: CI and fresh clones install exactly what pnpm-lock.yaml pins.
if [[ ! -d node_modules/.pnpm || pnpm-lock.yaml -nt node_modules/.modules.yaml ]]; then
  pnpm install --frozen-lockfile >&2
fi
