#!/usr/bin/env bash
# Switch benchmark (issue 6, section 7), in one run:
#   1. the switch alone vs nginx proxy_pass, each with one worker, both in front of the
#      same mock-llm (c=32): RPS and CPU per request;
#   2. client -> switch -> gateway -> mock vs client -> gateway -> mock (c=32, one worker
#      each): what the switch adds to the whole path;
#   3. flip convergence across two switches: `cutover traffic flip` returns when both serve
#      the new plan and prints how long that took; the median of FLIPS flips, on SQLite and
#      (when CUTOVER_BENCH_POSTGRES is not 0) on a throwaway PostgreSQL.
# Medians of REPS runs alternating targets. Only 127.0.0.1; kills only what it started.
# Usage: bench/switch.sh [DURATION_SECONDS=5] [REPS=3] [FLIPS=20]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-5}
reps=${2:-3}
flips=${3:-20}
bin=build/cutover
[[ -x $bin ]] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 1; }
command -v wrk >/dev/null && command -v nginx >/dev/null ||
  { echo "bench: needs wrk and nginx (scripts/install-deps.sh test)" >&2; exit 1; }

dir=$(mktemp -d /tmp/cutover-bench-switch.XXXXXX)
mkdir -p "$dir/tmp"
pids=()
pgdir=""
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [[ -z $pgdir ]] || scripts/postgres-test-server.sh stop "$pgdir" >/dev/null 2>&1 || true
}
trap cleanup EXIT
source bench/lib.sh
export CUTOVER_MASTER_KEY=$(head -c 32 /dev/urandom | base64)

mock_port=$(free_port); nginx_port=$(free_port); gw_port=$(free_port); sw_port=$(free_port); sw2_port=$(free_port)
"$bin" mock-llm --listen "127.0.0.1:$mock_port" --threads 1 --log-level warn 2>"$dir/mock.log" &
mock_pid=$!; pids+=($mock_pid)
sed -e "s#@DIR@#$dir#g" -e "s#@MOCK_PORT@#$mock_port#g" -e "s#@NGINX_PORT@#$nginx_port#g" \
  bench/nginx.conf.in >"$dir/nginx.conf"
nginx -c "$dir/nginx.conf" -p "$dir" 2>"$dir/nginx.stderr" &
pids+=($!)

# A store with the bench route and key, an audit key, and a gateway on it.
store="sqlite://$dir/store.db"
cat >"$dir/state.yaml" <<YAML
api_keys:
  - {id: bench, key: sk-bench}
providers:
  - {name: mock, base_url: "http://127.0.0.1:$mock_port/v1"}
routes:
  - alias: bench
    targets: [{provider: mock, model: mock-fast}]
YAML
"$bin" state apply -f "$dir/state.yaml" --store "$store" >/dev/null 2>&1
"$bin" audit keygen --store "$store" >/dev/null
printf 'workers: 1\nlog: {level: warn, access: false}\n' >"$dir/node.yaml"
"$bin" gateway --config "$dir/node.yaml" --store "$store" --listen "127.0.0.1:$gw_port" 2>"$dir/gateway.log" &
gw_pid=$!; pids+=($gw_pid)

# Switch 1 fronts the mock directly (part 1); switch 2 fronts the gateway (part 2). One
# plan can only say one thing per color, so each switch gets a store of its own.
sw_store="sqlite://$dir/switch.db"
"$bin" traffic set --store "$sw_store" --env "blue=http://127.0.0.1:$mock_port" --active blue --wait 0 >/dev/null
"$bin" switch --store "$sw_store" --listen "127.0.0.1:$sw_port" --threads 1 --log-level warn 2>"$dir/switch.log" &
sw_pid=$!; pids+=($sw_pid)
"$bin" traffic set --store "$store" --env "blue=http://127.0.0.1:$gw_port" --active blue --wait 0 >/dev/null
"$bin" switch --store "$store" --listen "127.0.0.1:$sw2_port" --threads 1 --log-level warn 2>"$dir/switch2.log" &
sw2_pid=$!; pids+=($sw2_pid)
wait_port "$mock_port"; wait_port "$nginx_port"; wait_port "$gw_port"; wait_port "$sw_port"; wait_port "$sw2_port"
nginx_pid=$(cat "$dir/nginx.pid")
nginx_worker=$(pgrep -P "$nginx_pid" | head -1)

declare -A url=([nginx]="http://127.0.0.1:$nginx_port" [switch]="http://127.0.0.1:$sw_port"
                [gateway]="http://127.0.0.1:$gw_port" [switch+gateway]="http://127.0.0.1:$sw2_port")
declare -A cpu_pids=([nginx]="$nginx_pid $nginx_worker" [switch]="$sw_pid" [gateway]="$gw_pid" [switch+gateway]="$sw2_pid $gw_pid")
targets=(nginx switch gateway switch+gateway)
results="$dir/results.tsv"
: >"$results"
for t in "${targets[@]}"; do wrk -t1 -c32 -d1s -s bench/chat.lua "${url[$t]}/v1/chat/completions" >/dev/null; done
for r in $(seq "$reps"); do
  for t in "${targets[@]}"; do
    m=$(measure "$t" 32 "$dur" bench/chat.lua "${url[$t]}/v1/chat/completions" ${cpu_pids[$t]})
    printf '%s\t%s\t%s\n' "$r" "$t" "$m" >>"$results"
  done
done
echo
echo "Non-streamed chat completion, c=32, ${dur}s x $reps runs, medians (one worker per server;"
echo "cpu_us/req counts every server on the path):"
printf '%-16s %10s %10s %10s %12s\n' target rps p50_us p99_us cpu_us/req
awk -F'\t' '
  { k=$2; n[k]++; rps[k,n[k]]=$3; p50[k,n[k]]=$4; p99[k,n[k]]=$5; cpu[k,n[k]]=$6 }
  function med(a, k, m,   i, j, t, v) { for (i=1;i<=m;i++) v[i]=a[k,i]; for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (v[j]+0<v[i]+0) { t=v[i]; v[i]=v[j]; v[j]=t } return v[int((m+1)/2)] }
  END {
    split("nginx switch gateway switch+gateway", ts, " ")
    for (i=1; i<=4; i++) { k=ts[i]; R[k]=med(rps,k,n[k]); C[k]=med(cpu,k,n[k])
      printf "%-16s %10.0f %10.0f %10.0f %12.1f\n", k, R[k], med(p50,k,n[k]), med(p99,k,n[k]), C[k] }
    print ""
    printf "Switch alone vs nginx proxy_pass (same run): RPS %.2fx (target >= 0.8x), CPU per request %.2fx\n", R["switch"]/R["nginx"], C["switch"]/C["nginx"]
    printf "Client -> switch -> gateway vs client -> gateway: RPS %.2fx\n", R["switch+gateway"]/R["gateway"]
  }' "$results"

# Flip convergence: two switches on one store; each flip returns when both serve it.
convergence() {  # STORE_URL LABEL
  local s=$1 label=$2 p1 p2 a b i
  a=$(free_port); b=$(free_port)
  "$bin" traffic set --store "$s" --env "blue=http://127.0.0.1:$gw_port" --env "green=http://127.0.0.1:$mock_port" \
    --active blue --wait 0 >/dev/null
  "$bin" switch --store "$s" --listen "127.0.0.1:$a" --threads 1 --log-level warn 2>>"$dir/conv.log" &
  p1=$!; pids+=($p1)
  "$bin" switch --store "$s" --listen "127.0.0.1:$b" --threads 1 --log-level warn 2>>"$dir/conv.log" &
  p2=$!; pids+=($p2)
  wait_port "$a"; wait_port "$b"
  sleep 1
  for i in $(seq "$flips"); do
    "$bin" traffic flip --store "$s" --wait 10 2>/dev/null | awk '/served by 2 switches after/ {print $(NF-1)}'
    sleep 0.2
  done >"$dir/conv-$label.txt"
  kill -TERM "$p1" "$p2" 2>/dev/null || true
  local n; n=$(wc -l <"$dir/conv-$label.txt")
  sort -n "$dir/conv-$label.txt" | awk -v label="$label" -v want="$flips" -v n="$n" \
    '{v[NR]=$1} END { if (NR==0) { printf "  %-10s no flip confirmed by both switches\n", label; exit }
      printf "  %-10s median %d ms, max %d ms over %d flips (%d of %d confirmed by both)\n", label, v[int((NR+1)/2)], v[NR], NR, n, want }'
}
echo
echo "Flip convergence across two switches (traffic flip returns when both serve the new plan):"
convergence "sqlite://$dir/conv.db" sqlite
if [[ ${CUTOVER_BENCH_POSTGRES:-1} != 0 ]]; then
  pgdir=$(mktemp -d /tmp/cutover-bench-pg.XXXXXX)
  pg_url=$(scripts/postgres-test-server.sh start "$pgdir" | tail -1)
  convergence "$pg_url" postgres
fi
echo "(raw results: $results)"
