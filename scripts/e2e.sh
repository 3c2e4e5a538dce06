#!/usr/bin/env bash
# Browser end-to-end tests: `lockstep demo` over a small generated world in
# its own managed Neo4j, then the e2e suite in headless Chromium against it
# (E2E_SCRIPT=bench:pan or bench:first-load runs that benchmark against it
# instead). Screenshots go to SCREENSHOT_DIR (make screenshots: docs/screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$PWD/bin/lockstep
home=$(mktemp -d /tmp/lockstep-e2e.XXXXXX)
port=${E2E_PORT:-18080}
log=$home/demo.log
export LOCKSTEP_HOME=$home
export LOCKSTEP_HMAC_KEY=${LOCKSTEP_HMAC_KEY:-e2e-only-hmac-key-not-secret-0123456789}
unset NEO4J_URI NEO4J_USER NEO4J_PASSWORD

cleanup() {
  status=$?
  [ -n "${demo_pid:-}" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true
  "$bin" neo4j stop >/dev/null 2>&1 || true
  if [ "$status" -ne 0 ]; then echo "--- demo log ($log) ---"; tail -n 60 "$log" || true; fi
  rm -rf "$home"
  exit "$status"
}
trap cleanup EXIT

"$bin" demo --accounts "${E2E_ACCOUNTS:-5000}" --seed 8 --addr "127.0.0.1:$port" >"$log" 2>&1 &
demo_pid=$!

# Generation, ingest and detection come first; the server answers health last.
for _ in $(seq 1 600); do
  if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then break; fi
  kill -0 "$demo_pid" 2>/dev/null || { echo "lockstep demo exited early"; exit 1; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null

BASE_URL="http://127.0.0.1:$port" API_KEY=$(cat "$home/demo/analyst.key") VIEWER_KEY=$(cat "$home/demo/viewer.key") \
  npm --prefix e2e run "${E2E_SCRIPT:-test}"
