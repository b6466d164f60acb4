#!/usr/bin/env bash
# The test command (`npm test` / `pnpm test`): starts the real infrastructure (Kafka, Redis, Jaeger,
# FerretDB; installed on first use by scripts/infra.sh) and makes sure Debian's Chromium and the
# colour emoji font are installed for the browser tests (apt-get on first use, ~1 min), then
# typechecks, lints and runs every jest suite — unit tests, contract suites on twins and real
# adapters, the end-to-end tests and the browser tests (screenshots in test-artifacts/screenshots/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/infra.sh up all jaeger
eval "$(bash scripts/infra.sh env)"
# Up front rather than from inside a test's beforeAll: an apt-get run there would count against
# the hook's timeout, and several suites would queue on its lock.
echo "[test] browser: $(bash packages/testing/scripts/ensure-chromium.sh)" >&2

# Binaries are run from node_modules/.bin, not `pnpm exec`: pnpm 12 intermittently tries to
# resolve its own platform packages for the packageManager pin (ERR_PNPM_BAD_CONFIG_DEP) and fails.
echo "[test] typecheck" >&2
./node_modules/.bin/tsc -p tsconfig.json --noEmit
echo "[test] lint" >&2
./node_modules/.bin/eslint --max-warnings 0 packages services test bench scripts
echo "[test] jest (unit + integration)" >&2
results=$(mktemp)
status=0
./node_modules/.bin/jest --ci --maxWorkers=2 --json --outputFile="$results" "$@" || status=$?
# One plain summary line for CI logs: "jest: N passed, N failed".
node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""))' "$results" || true
rm -f "$results"
exit "$status"
