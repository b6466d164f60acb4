#!/usr/bin/env bash
# Runs the same roomcast-load scenario against the embedded roomcast start and against a local
# Centrifugo 6.9.1, then prints both figures and the ratio roomcast / centrifugo.
#
#   bash packages/load/scripts/compare.sh [roomcast-load flags, e.g. --rooms 1 --viewers 500 --rate 50]
#
# Flags --url, --target, --token-secret, --json and --likes are set by this script (Centrifugo has no
# likes, so both runs send none). Centrifugo comes from $CENTRIFUGO, else
# ~/.cache/roomcast/bin/centrifugo, else it is built with `go install` (needs Go and the module proxy).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
CACHE=${ROOMCAST_CACHE:-$HOME/.cache/roomcast}
CENTRIFUGO=${CENTRIFUGO:-$CACHE/bin/centrifugo}
SECRET=roomcast-compare-$$
OUT=$(mktemp -d "${TMPDIR:-/tmp}/roomcast-compare.XXXXXX")
SCENARIO=("$@")
if [[ ${#SCENARIO[@]} -eq 0 ]]; then
  SCENARIO=(--rooms 1 --viewers 500 --senders 2 --rate 50 --duration 10 --ramp 3)
fi

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

if [[ ! -x "$CENTRIFUGO" ]]; then
  echo "compare: building Centrifugo v6.9.1 into $CACHE/bin (first time only)" >&2
  GOMODCACHE=$CACHE/go/mod GOCACHE=$CACHE/go/build GOBIN=$CACHE/bin \
    go install github.com/centrifugal/centrifugo/v6@v6.9.1
  CENTRIFUGO=$CACHE/bin/centrifugo
fi

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

wait_http() { # url
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "compare: $1 did not come up" >&2
  return 1
}

# --- roomcast, embedded start (every service in one process, in-memory twins)
RC_PORT=$(free_port)
(cd "$ROOT" && PORT=$RC_PORT JWT_SECRET=$SECRET WS_CHAT_RATE_PER_SEC=1000 WS_CHAT_BURST=2000 LOG_LEVEL=warn \
  exec node_modules/.bin/tsx services/embedded/src/main.ts) >"$OUT/embedded.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$RC_PORT/readyz"

# --- Centrifugo, memory broker, HMAC tokens with the same secret, client publish/subscribe allowed
CF_PORT=$(free_port)
node -e '
  const fs = require("fs");
  const c = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  c.http_server.port = Number(process.argv[2]);
  c.client.token.hmac_secret_key = process.argv[3];
  fs.writeFileSync(process.argv[4], JSON.stringify(c, null, 2));
' "$ROOT/packages/load/scripts/centrifugo.local.json" "$CF_PORT" "$SECRET" "$OUT/centrifugo-config.json"
(cd "$OUT" && exec "$CENTRIFUGO" -c "$OUT/centrifugo-config.json") >"$OUT/centrifugo.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$CF_PORT/health"

cd "$ROOT"
set +e
node_modules/.bin/tsx packages/load/src/cli.ts "${SCENARIO[@]}" --likes 0 --token-secret "$SECRET" \
  --url "ws://127.0.0.1:$RC_PORT/ws" --target roomcast --json "$OUT/roomcast.json" --label compare-roomcast
RC_EXIT=$?
node_modules/.bin/tsx packages/load/src/cli.ts "${SCENARIO[@]}" --likes 0 --token-secret "$SECRET" \
  --url "ws://127.0.0.1:$CF_PORT/connection/websocket" --target centrifugo --json "$OUT/centrifugo.json" \
  --label compare-centrifugo
CF_EXIT=$?
set -e

node -e '
  const fs = require("fs");
  const a = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const b = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const rows = [
    ["delivered / expected", (r) => `${r.delivered} / ${r.expected}`, null],
    ["gaps + duplicates + out-of-order", (r) => r.gaps + r.duplicates + r.outOfOrder, null],
    ["latency p50 ms", (r) => r.latencyMs.p50, "x"],
    ["latency p90 ms", (r) => r.latencyMs.p90, "x"],
    ["latency p99 ms", (r) => r.latencyMs.p99, "x"],
    ["latency max ms", (r) => r.latencyMs.max, "x"],
    ["ack p99 ms", (r) => r.ackMs.p99, "x"],
    ["connect p99 ms", (r) => r.connectMs.p99, "x"],
    ["delivered frames/s", (r) => r.throughput.deliveredPerSec, "x"],
    ["closes", (r) => JSON.stringify(r.closesByCode), null],
  ];
  const w = 34;
  console.log(`\n${"".padEnd(w)}${"roomcast".padStart(16)}${"centrifugo".padStart(16)}${"ratio rc/cf".padStart(14)}`);
  for (const [name, get, ratio] of rows) {
    const x = get(a), y = get(b);
    const r = ratio && typeof x === "number" && typeof y === "number" && y > 0 ? (x / y).toFixed(2) : "";
    console.log(`${name.padEnd(w)}${String(x).padStart(16)}${String(y).padStart(16)}${r.padStart(14)}`);
  }
  console.log(`\nreports: ${process.argv[1]} ${process.argv[2]}`);
' "$OUT/roomcast.json" "$OUT/centrifugo.json"
echo "exit codes: roomcast $RC_EXIT, centrifugo $CF_EXIT"
[[ $RC_EXIT -eq 0 && $CF_EXIT -eq 0 ]]
