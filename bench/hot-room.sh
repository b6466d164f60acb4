#!/usr/bin/env bash
# The hot-room benchmark in one command: installs what it needs (the workspace, the real
# infrastructure via scripts/infra.sh, Centrifugo 6.9.1 via the Go module proxy, all cached under
# ~/.cache/roomcast), then runs bench/hot-room.ts — the same scenarios against the stub (the load
# generator's ceiling), roomcast embedded, the roomcast real stack, and Centrifugo with its memory
# and its Redis broker — and prints one table. Flags go to bench/hot-room.ts (--out, --targets,
# --scenarios, --duration, --drain). Takes ~25 minutes for everything on a 2-core machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CACHE=${ROOMCAST_CACHE:-$HOME/.cache/roomcast}

bash scripts/setup.sh
bash scripts/infra.sh up >&2
eval "$(bash scripts/infra.sh env)"
if [[ -z "${CENTRIFUGO:-}" && ! -x "$CACHE/bin/centrifugo" ]]; then
  echo "hot-room: building Centrifugo v6.9.1 into $CACHE/bin (first time only)" >&2
  GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOBIN=$CACHE/bin \
    go install github.com/centrifugal/centrifugo/v6@v6.9.1
fi
exec node_modules/.bin/tsx bench/hot-room.ts "$@"
