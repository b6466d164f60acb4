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

# Install exactly what pnpm-lock.yaml pins. Not `--frozen-lockfile`: pnpm 12 then insists on
# recording the packageManager version in the lockfile, which it cannot do for this release, and
# fails. --prefer-frozen-lockfile resolves from the lockfile; in CI we check it did not change.
if [[ ! -d node_modules/.pnpm || pnpm-lock.yaml -nt node_modules/.modules.yaml || package.json -nt node_modules/.modules.yaml ]]; then
  # pnpm 12 intermittently fails to resolve its own platform packages (ERR_PNPM_BAD_CONFIG_DEP, a
  # 404 from the registry for a package it then finds a moment later): retry a few times.
  for attempt in 1 2 3 4; do
    if pnpm install --no-frozen-lockfile --prefer-frozen-lockfile >&2; then break; fi
    if [[ $attempt == 4 ]]; then
      echo "[setup] pnpm install failed $attempt times" >&2
      exit 1
    fi
    echo "[setup] pnpm install failed (attempt $attempt); retrying in $((attempt * 5)) s" >&2
    sleep $((attempt * 5))
  done
  if [[ "${CI:-}" == "true" ]] && ! git diff --quiet -- pnpm-lock.yaml 2>/dev/null; then
    echo "[setup] pnpm-lock.yaml is out of date with package.json: run pnpm install and commit the lockfile" >&2
    exit 1
  fi
fi
