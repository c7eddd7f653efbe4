#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds a Release binary,
# then runs the local stack in the foreground until Ctrl-C: cutover mock-llm, a SQLite
# store holding examples/state.yaml, and a gateway serving from that store.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
scripts/build.sh release cutover
bin=build/cutover
mock_port=${MOCK_PORT:-9000}
gw_port=${GATEWAY_PORT:-8080}
logs=$(mktemp -d /tmp/cutover-local.XXXXXX)

"$bin" mock-llm --listen "127.0.0.1:$mock_port" --threads 1 2>"$logs/mock-llm.log" &
mock_pid=$!
store="sqlite://$logs/cutover.db"
sed "s#127.0.0.1:9000#127.0.0.1:$mock_port#g" examples/state.yaml >"$logs/state.yaml"
"$bin" store migrate --store "$store"
"$bin" state apply -f "$logs/state.yaml" --store "$store" --author run-local
config=examples/node.yaml
"$bin" gateway --config "$config" --store "$store" --listen "127.0.0.1:$gw_port" 2> >(tee "$logs/gateway.log" >&2) &
gw_pid=$!
stop() { kill -TERM "$gw_pid" "$mock_pid" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$gw_port/readyz" >/dev/null 2>&1 && break
  kill -0 "$gw_pid" 2>/dev/null || { echo "cutover: the gateway did not start; see $logs" >&2; exit 1; }
  sleep 0.1
done
cat <<MSG

Cutover is running (logs in $logs):
  gateway  http://127.0.0.1:$gw_port   (color blue, config $config)
  store    $store   (cutover state show --store $store)
  mock-llm http://127.0.0.1:$mock_port

Try:
  curl -s http://127.0.0.1:$gw_port/v1/chat/completions -H 'Authorization: Bearer sk-cutover-demo' \\
    -H 'Content-Type: application/json' \\
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}'

Ctrl-C stops both.
MSG
wait "$gw_pid"
