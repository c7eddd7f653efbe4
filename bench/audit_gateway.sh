#!/usr/bin/env bash
# Issue 5, section 7 (gateway half): RPS and CPU per request with the durable audit log ON
# (every request's entry committed to the store before its response completes) vs OFF
# (audit.enabled: false, same store, same state), wrk c=32, one worker, mock-llm upstream,
# on SQLite and PostgreSQL (a throwaway server with fsync on). ON is measured in both
# signing modes. Median of REPS runs alternating the gateways; ratios against the OFF
# gateway of the same backend, from the same run. The SQLite pair is measured again through
# an upstream that answers after UPSTREAM_MS (default 50). Then `cutover audit verify` on each
# store, so the figures are for a valid chain.
# Usage: bench/audit_gateway.sh [SECONDS=5] [REPS=3]
#   CUTOVER_BIN (default build/cutover); NO_POSTGRES=1 to skip PostgreSQL;
#   REQUEST_IDS=ordered: clients send time-ordered x-request-id (an experiment).
# Holds the build lock (CUTOVER_BUILD_LOCK, default /tmp/ninja.lock) while it measures.
set -euo pipefail
cd "$(dirname "$0")/.."
lock=${CUTOVER_BUILD_LOCK:-/tmp/ninja.lock}
if [[ -z ${CUTOVER_BENCH_LOCKED:-} ]]; then
  exec env CUTOVER_BENCH_LOCKED=1 flock -o "$lock" "$0" "$@"
fi
dur=${1:-5}; reps=${2:-3}
bin=$(realpath "${CUTOVER_BIN:-build/cutover}")
[[ -x $bin ]] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: needs wrk (scripts/install-deps.sh test)" >&2; exit 1; }
source bench/lib.sh

dir=$(mktemp -d /tmp/cutover-bench-audit-gw.XXXXXX)
pgdir=$(mktemp -d /tmp/cutover-bench-audit-pg.XXXXXX)
shm=$(mktemp -d /dev/shm/cutover-bench-audit-gw.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/postgres-test-server.sh stop "$pgdir" >/dev/null 2>&1 || rmdir "$pgdir" 2>/dev/null || true
  rm -rf "$shm" "$dir"/bench.db*
}
trap cleanup EXIT
# The audit signing key is sealed in the store's secrets under this key.
CUTOVER_MASTER_KEY=$(python3 -c 'import base64,os;print(base64.b64encode(os.urandom(32)).decode())')
export CUTOVER_MASTER_KEY

mock_port=$(free_port); slow_port=$(free_port)
"$bin" mock-llm --listen "127.0.0.1:$mock_port" --threads 1 --log-level warn 2>"$dir/mock.log" &
pids+=($!)
# A second upstream that answers after UPSTREAM_MS (route bench-slow): the commit wait
# against a round trip closer to a real model's.
upstream_ms=${UPSTREAM_MS:-50}
"$bin" mock-llm --listen "127.0.0.1:$slow_port" --threads 1 --latency-ms "$upstream_ms" --log-level warn 2>"$dir/mock-slow.log" &
pids+=($!)
wait_port "$mock_port"; wait_port "$slow_port"
cat >"$dir/state.yaml" <<YAML
providers: [{name: mock, base_url: "http://127.0.0.1:$mock_port/v1"}, {name: slow, base_url: "http://127.0.0.1:$slow_port/v1"}]
routes: [{alias: bench, targets: [{provider: mock, model: mock-fast}]}, {alias: bench-slow, targets: [{provider: slow, model: mock-fast}]}]
api_keys: [{id: bench, key: sk-bench, tenant: bench}]
YAML
# REQUEST_IDS=ordered: the client sends time-ordered x-request-id headers (the gateway keeps
# a valid client id), to see what random ids cost the audit store's request_id index.
chat=bench/chat.lua
if [[ ${REQUEST_IDS:-} == ordered ]]; then
  chat=$dir/chat.lua
  { cat bench/chat.lua
    echo 'local n, t0 = 0, string.format("%012x", os.time())'
    echo 'request = function() n = n + 1; wrk.headers["X-Request-Id"] = t0 .. string.format("%020x", n); return wrk.format() end'
  } >"$chat"
fi
sed 's/"model":"bench"/"model":"bench-slow"/' "$chat" >"$dir/chat_slow.lua"
declare -A store_url
store_url[sqlite]="sqlite://$dir/bench.db"
# SQLite on tmpfs, where fsync is free: NOT durable; it separates the software's cost from
# the disk's flush latency.
store_url[tmpfs]="sqlite://$shm/bench.db"
backends=(sqlite tmpfs)
if [[ -z ${NO_POSTGRES:-} ]]; then
  store_url[postgres]=$(durable_postgres "$pgdir")
  backends+=(postgres)
fi
for b in "${backends[@]}"; do
  "$bin" store migrate --store "${store_url[$b]}" >/dev/null
  "$bin" state apply -f "$dir/state.yaml" --store "${store_url[$b]}" >/dev/null 2>&1
  "$bin" audit keygen --store "${store_url[$b]}" --public-key-out "$dir/$b.pub" >/dev/null
done

declare -A url gw_pid
targets=()
start_gateway() {  # name, backend, audit settings
  local name=$1 backend=$2 audit=$3 port
  port=$(free_port)
  printf 'listen: 127.0.0.1:%s\nworkers: 1\nlog: {access: true}\naudit: %s\n' "$port" "$audit" >"$dir/$name.yaml"
  "$bin" gateway -c "$dir/$name.yaml" --store "${store_url[$backend]}" 2>"$dir/$name.log" &
  gw_pid[$name]=$!; pids+=($!)
  wait_port "$port"
  url[$name]="http://127.0.0.1:$port/v1/chat/completions"
  targets+=("$name")
}
for b in "${backends[@]}"; do
  start_gateway "$b-off" "$b" '{enabled: false}'
  start_gateway "$b-batch" "$b" '{enabled: true, mode: batch}'
  [[ $b == tmpfs ]] || start_gateway "$b-entry" "$b" '{enabled: true, mode: entry}'
done
# The same two SQLite gateways, through the slow upstream (TARGET@Nms: route bench-slow).
targets+=("sqlite-off@${upstream_ms}ms" "sqlite-batch@${upstream_ms}ms")

lua_of() { [[ $1 == *@* ]] && echo "$dir/chat_slow.lua" || echo "$chat"; }
for t in "${targets[@]}"; do
  g=${t%@*}; model=bench; [[ $t == *@* ]] && model=bench-slow
  code=$(curl -s -o /dev/null -w '%{http_code}' "${url[$g]}" -H 'Authorization: Bearer sk-bench' \
    -d "{\"model\":\"$model\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")
  [[ $code == 200 ]] || { echo "bench: $t answered $code; see $dir/$g.log" >&2; exit 1; }
  wrk -t1 -c32 -d1s -s "$(lua_of "$t")" "${url[$g]}" >/dev/null
done

results=$dir/results.tsv
: >"$results"
for r in $(seq "$reps"); do
  for t in "${targets[@]}"; do
    g=${t%@*}
    m=$(measure "$t" 32 "$dur" "$(lua_of "$t")" "${url[$g]}" "${gw_pid[$g]}")
    printf '%s\t%s\t%s\n' "$t" "$r" "$m" >>"$results"
  done
done

echo
echo "Gateway with the durable audit log on vs off: wrk c=32, ${dur}s x $reps runs alternating,"
echo "medians, one worker, mock-llm upstream; cpu = the gateway process (writer thread included);"
echo "machine = every core's busy time per request (wrk, mock and gateway), idle = the cores' idle share"
printf '%-20s %9s %9s %9s %11s %8s %8s %12s %5s\n' gateway rps p50_us p99_us cpu_us/req rps/off cpu/off machine_us/req idle
awk -F'\t' -v order="${targets[*]}" '
  { n[$1]++; rps[$1,n[$1]]=$3; p50[$1,n[$1]]=$4; p99[$1,n[$1]]=$5; cpu[$1,n[$1]]=$6; mcpu[$1,n[$1]]=$7; idle[$1,n[$1]]=$8 }
  function med(a, k, m,   i, j, t, v) { for (i=1;i<=m;i++) v[i]=a[k,i]; for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (v[j]+0<v[i]+0) { t=v[i]; v[i]=v[j]; v[j]=t } return v[int((m+1)/2)] }
  END {
    k = split(order, ts, " ")
    for (i=1; i<=k; i++) { t=ts[i]; R[t]=med(rps,t,n[t]); C[t]=med(cpu,t,n[t]) }
    for (i=1; i<=k; i++) { t=ts[i]; b=t; sub(/-.*/, "", b); at=index(t, "@"); off=b "-off" (at ? substr(t, at) : "")
      printf "%-20s %9.0f %9.0f %9.0f %11.1f %8.2f %8.2f %12.1f %4.0f%%\n", t, R[t], med(p50,t,n[t]), med(p99,t,n[t]), C[t], R[t]/R[off], C[t]/C[off], med(mcpu,t,n[t]), med(idle,t,n[t]) }
    print ""
    for (i=1; i<=k; i++) { t=ts[i]; if (t !~ /-batch(@|$)/) continue; b=t; sub(/-.*/, "", b); at=index(t, "@"); off=b "-off" (at ? substr(t, at) : "")
      printf "audit on (batch) / off, %s: %.2fx RPS (target >= 0.85: %s), %+.1f us CPU per request%s\n", b (at ? substr(t, at) : ""), R[t]/R[off], ((R[t]/R[off] >= 0.85) ? "met" : "NOT met"), C[t]-C[off], (b == "tmpfs" ? " (not durable: reference)" : (at ? " (upstream answering after " substr(t, at + 1) ")" : "")) }
  }' "$results"
echo "(tmpfs: SQLite on tmpfs, fsync free, NOT durable: the software's share of the cost."
echo " @${upstream_ms}ms: the same SQLite gateways, upstream answering after ${upstream_ms} ms.)"
# What bounds the ratio here: wrk, the mock and the gateway share the cores, so once they
# are saturated RPS = cores / (machine CPU per request), and on/off = CPU off / CPU on.
awk -F'\t' '$1 == "sqlite-off" { off[++n] = $7 } $1 == "sqlite-batch" { on[++m] = $7; idle[m] = $8 }
  function med(v, k,   i, j, t) { for (i=1;i<=k;i++) for (j=i+1;j<=k;j++) if (v[j]+0 < v[i]+0) { t=v[i]; v[i]=v[j]; v[j]=t } return v[int((k+1)/2)] }
  END { a = med(off, n); b = med(on, m)
    printf "machine CPU per request, SQLite: off %.1f us, on (batch) %.1f us: with every core busy,\n", a, b
    printf "on/off could be at most %.2f; the cores were %d%% idle while on (waiting for commits)\n", a / b, med(idle, m) }' "$results"
fs=$(python3 - "$dir/fsync.probe" <<'PY'
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600); page = b"x" * 4096; t = []
for _ in range(200):
    s = time.perf_counter(); os.pwrite(fd, page, 0); os.fdatasync(fd); t.append(time.perf_counter() - s)
os.close(fd); os.unlink(sys.argv[1]); t.sort(); print(f"{t[len(t) // 2] * 1e6:.0f}")
PY
)
echo "disk: 4 KiB write + fdatasync beside the SQLite file, median of 200: $fs us (each request waits for one)"

echo
status=0
for b in "${backends[@]}"; do
  verify_chain "$bin" "${store_url[$b]}" "$dir/$b.pub" "$b" || status=1
done
# The access logs run to tens of MB per gateway: kept only when something failed.
if ((status)); then echo "(raw results: $results; logs in $dir)"; else
  rm -f "$dir"/*.log; echo "(raw results: $results)"; fi
exit $status
