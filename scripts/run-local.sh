#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds a Release binary,
# then runs the local stack in the foreground until Ctrl-C: cutover mock-llm, a SQLite
# store holding examples/state.yaml and an audit signing key, and a gateway serving from
# that store (every request gets a signed entry in the store's audit log). The master key
# that seals the signing key is $CUTOVER_MASTER_KEY, or a new one in the log dir (mode 600).
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
if [[ -z ${CUTOVER_MASTER_KEY:-} ]]; then
  master_key_file=$logs/master.key
  (umask 077 && head -c 32 /dev/urandom | base64 >"$master_key_file")
  CUTOVER_MASTER_KEY=$(cat "$master_key_file")
  master_key_note="a new one in $master_key_file (mode 600)"
else
  master_key_note="from \$CUTOVER_MASTER_KEY"
fi
export CUTOVER_MASTER_KEY
sed "s#127.0.0.1:9000#127.0.0.1:$mock_port#g" examples/state.yaml >"$logs/state.yaml"
"$bin" store migrate --store "$store"
# The audit signing key first: the gateway answers 503 to API requests it cannot record.
"$bin" audit keygen --store "$store" --public-key-out "$logs/audit.pub"
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
  master key  $master_key_note

Audit log (one signed, chained entry per request; the public key is in $logs/audit.pub):
  $bin audit verify --store $store --public-key $logs/audit.pub
  $bin audit query --store $store --since 15m --format table

Try:
  curl -s http://127.0.0.1:$gw_port/v1/chat/completions -H 'Authorization: Bearer sk-cutover-demo' \\
    -H 'Content-Type: application/json' \\
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}'

Ctrl-C stops both.
MSG
wait "$gw_pid"
