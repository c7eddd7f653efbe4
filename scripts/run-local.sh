#!/usr/bin/env bash
# The main job on the embedded default: installs what is missing, builds a Release binary,
# then runs the local stack in the foreground until Ctrl-C: cutover mock-llm, a SQLite
# store holding examples/state.yaml and an audit signing key, a blue and a green gateway
# serving from that store (every request gets a signed entry in the store's audit log), and
# a switch in front of them whose traffic plan sends everything to blue. The master key
# that seals the signing key is $CUTOVER_MASTER_KEY, or a new one in the log dir (mode 600).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh build
scripts/build.sh release cutover
bin=build/cutover
mock_port=${MOCK_PORT:-9000}
switch_port=${SWITCH_PORT:-8080}
blue_port=${BLUE_PORT:-8081}
green_port=${GREEN_PORT:-8082}
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
export CUTOVER_SHADOW_TOKEN=${CUTOVER_SHADOW_TOKEN:-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')}
printf 'shadow_token_env: CUTOVER_SHADOW_TOKEN\n' >"$logs/node.yaml"
sed -n '/^[a-z]/p' "$config" | grep -v '^listen:\|^color:' >>"$logs/node.yaml" || true
pids=()
stop() { kill -TERM "${pids[@]}" "$mock_pid" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM
for color in blue green; do
  port=$blue_port; [[ $color == green ]] && port=$green_port
  "$bin" gateway --config "$logs/node.yaml" --store "$store" --color "$color" \
    --listen "127.0.0.1:$port" 2>"$logs/gateway-$color.log" &
  pids+=($!)
done
"$bin" switch --store "$store" --listen "127.0.0.1:$switch_port" --shadow-token-env CUTOVER_SHADOW_TOKEN \
  2> >(tee "$logs/switch.log" >&2) &
switch_pid=$!
pids+=("$switch_pid")

for port in "$blue_port" "$green_port" "$switch_port"; do
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
    for p in "${pids[@]}"; do
      kill -0 "$p" 2>/dev/null || { echo "cutover: a process did not start; see $logs" >&2; exit 1; }
    done
    sleep 0.1
  done
done
"$bin" traffic set --store "$store" --env "blue=http://127.0.0.1:$blue_port" \
  --env "green=http://127.0.0.1:$green_port" --active blue
cat <<MSG

Cutover is running (logs in $logs):
  switch   http://127.0.0.1:$switch_port   (the front door; cutover traffic show --store $store)
  blue     http://127.0.0.1:$blue_port   green  http://127.0.0.1:$green_port   (gateways)
  store    $store   (cutover state show --store $store)
  mock-llm http://127.0.0.1:$mock_port
  master key  $master_key_note

Try:
  curl -s http://127.0.0.1:$switch_port/v1/chat/completions -H 'Authorization: Bearer sk-cutover-demo' \\
    -H 'Content-Type: application/json' \\
    -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello!"}]}'
  $bin traffic set --store $store --canary green:500     # 5% of callers to green
  $bin traffic set --store $store --mirror green:0.5     # copy half the requests to green
  $bin shadow report --store $store
  $bin traffic flip --store $store                       # cut over; returns once the switch serves it

Audit log (one signed, chained entry per request; the public key is in $logs/audit.pub):
  $bin audit verify --store $store --public-key $logs/audit.pub
  $bin audit query --store $store --since 15m --format table

Ctrl-C stops everything.
MSG
wait "$switch_pid"
