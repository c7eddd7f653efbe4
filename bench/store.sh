#!/usr/bin/env bash
# Issue 4 benchmark: gateway RPS with store-backed auth and rate limiting ON (keys, routes
# and limits from the shared store, rpm/tpm counted there) vs OFF (the same key and route
# from the node file, no store), on SQLite and PostgreSQL, in one run, wrk c=32, one worker.
# Usage: bench/store.sh [SECONDS=5] [REPS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-5}; reps=${2:-2}
bin=$PWD/build/cutover
dir=$(mktemp -d /tmp/cutover-bench-store.XXXXXX)
pids=(); pgdir=$(mktemp -d /tmp/cutover-bench-pg.XXXXXX)
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/postgres-test-server.sh stop "$pgdir" >/dev/null 2>&1 || true
}
trap cleanup EXIT
source bench/lib.sh

mock_port=$(free_port)
"$bin" mock-llm --listen "127.0.0.1:$mock_port" --threads 1 --log-level warn 2>"$dir/mock.log" &
pids+=($!)
cat >"$dir/state.yaml" <<YAML
providers: [{name: mock, base_url: "http://127.0.0.1:$mock_port/v1"}]
routes: [{alias: bench, targets: [{provider: mock, model: mock-fast}]}]
api_keys: [{id: bench, key: sk-bench, tenant: bench}]
limits: {rate: [{scope: key, rpm: 100000000, tpm: 100000000000}, {scope: tenant, rpm: 100000000}]}
YAML
declare -A url
start_gateway() {  # name, extra args...
  local name=$1; shift
  local port; port=$(free_port)
  # The audit log is measured on its own (bench/audit.sh); here only auth and limits.
  printf 'listen: 127.0.0.1:%s\nworkers: 1\nlog: {access: true}\naudit: {enabled: false}\n%s' "$port" "${NODE_EXTRA:-}" >"$dir/$name.yaml"
  "$bin" gateway -c "$dir/$name.yaml" "$@" 2>"$dir/$name.log" &
  pids+=($!)
  wait_port "$port"
  url[$name]="http://127.0.0.1:$port/v1/chat/completions"
}
NODE_EXTRA=$(sed -n '1,3p' "$dir/state.yaml") start_gateway off
sqlite="sqlite://$dir/bench.db"
"$bin" store migrate --store "$sqlite" >/dev/null
"$bin" state apply -f "$dir/state.yaml" --store "$sqlite" >/dev/null
start_gateway sqlite --store "$sqlite"
pg=$(scripts/postgres-test-server.sh start "$pgdir" | tail -1)
"$bin" store migrate --store "$pg" >/dev/null
"$bin" state apply -f "$dir/state.yaml" --store "$pg" >/dev/null
start_gateway postgres --store "$pg"

for t in off sqlite postgres; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "${url[$t]}" -H 'Authorization: Bearer sk-bench' \
    -d '{"model":"bench","messages":[{"role":"user","content":"x"}]}')
  [[ $code == 200 ]] || { echo "bench: $t answered $code; see $dir/$t.log" >&2; exit 1; }
  wrk -t1 -c32 -d1s -s bench/chat.lua "${url[$t]}" >/dev/null
done
declare -A sum
for r in $(seq "$reps"); do
  for t in off sqlite postgres; do
    rps=$(wrk -t1 -c32 -d"${dur}s" -s bench/chat.lua "${url[$t]}" | awk '/Requests\/sec/ {print $2}')
    sum[$t]=$(awk -v a="${sum[$t]:-0}" -v b="$rps" 'BEGIN {print a + b}')
    echo "run $r: $t $rps rps"
  done
done
echo
awk -v off="${sum[off]}" -v s="${sum[sqlite]}" -v p="${sum[postgres]}" -v n="$reps" 'BEGIN {
  printf "mean RPS: off %.0f, sqlite %.0f, postgres %.0f\n", off/n, s/n, p/n
  printf "on/off: sqlite %.2f, postgres %.2f (target >= 0.90)\n", s/off, p/off }'
