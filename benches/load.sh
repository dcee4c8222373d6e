#!/usr/bin/env bash
# Load test of the HTTP service on loopback: mixed corpus texts against
# POST /v1/classify, then GET /healthz as the trivial-endpoint ceiling, in
# the same run. Client (wrk) and server share this machine.
#
#   bash benches/load.sh [seconds=20] [connections=50]
#
# Installs wrk from Debian's packages if absent. Prints requests/s and
# p50/p99 latency for each endpoint.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
conns=${2:-50}
port=${FENLIU_LOAD_PORT:-18088}

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi
cargo build --release --quiet
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

# A Lua script that posts corpus texts round-robin (no caller: no history).
python3 - "$work/classify.lua" corpus/*.jsonl <<'PY'
import json, sys
out, files = sys.argv[1], sys.argv[2:]
bodies = []
for f in files:
    for line in open(f, encoding="utf-8"):
        line = line.strip()
        if line:
            bodies.append(json.dumps({"text": json.loads(line)["text"]}, ensure_ascii=False))
def lua(s):
    return "[==[" + s + "]==]"
with open(out, "w", encoding="utf-8") as fh:
    fh.write("wrk.method = 'POST'\nwrk.headers['Content-Type'] = 'application/json'\n")
    fh.write("local bodies = {" + ",".join(lua(b) for b in bodies) + "}\n")
    # Requests are formatted once per thread, so the client spends its
    # time sending, not building strings.
    fh.write("local reqs = {}\ninit = function(args)\n  for k, b in ipairs(bodies) do reqs[k] = wrk.format(nil, nil, nil, b) end\nend\n")
    fh.write("local i = 0\nrequest = function()\n  i = i % #reqs + 1\n  return reqs[i]\nend\n")
    fh.write("done = function(summary, latency, requests)\n  io.write(string.format('non2xx=%d errors=%d\\n', (summary.errors.status or 0), summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))\nend\n")
print(f"{len(bodies)} corpus texts", file=sys.stderr)
PY

start_server() {
  FENLIU_KNOWLEDGE=$1 ./target/release/fenliu serve --dev --addr "127.0.0.1:$port" --data-dir "$work/data" \
    >"$work/server.out" 2>"$work/server.err" &
  server=$!
  for _ in $(seq 1 200); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "the server did not become ready" >&2
  cat "$work/server.err" >&2
  exit 1
}

report() {
  local name=$1 file=$2
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$file")
  p50=$(awk '$1=="50%" {print $2}' "$file")
  p99=$(awk '$1=="99%" {print $2}' "$file")
  printf '%-14s %10s req/s   p50 %8s   p99 %8s   %s\n' "$name" "$rps" "$p50" "$p99" "$(grep -E '^non2xx' "$file" || true)"
}

# Without the knowledge lookup, then with it; the trivial endpoint in the
# same run as the ceiling.
start_server false
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/classify.lua" "http://127.0.0.1:$port/v1/classify" >"$work/classify.txt"
wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port/healthz" >"$work/healthz.txt"
kill "$server"; wait "$server" 2>/dev/null || true
start_server true
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/classify.lua" "http://127.0.0.1:$port/v1/classify" >"$work/classify_kb.txt"
echo "fenliu load test: ${secs}s per endpoint, ${conns} connections, 2 wrk threads, loopback"
report /v1/classify "$work/classify.txt"
report "classify+kb" "$work/classify_kb.txt"
report /healthz "$work/healthz.txt"
