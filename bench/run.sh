#!/usr/bin/env bash
# Data-plane benchmark (issue 3): in one run, wrk against
#   (a) mock-llm direct, (b) nginx proxy_pass (keep-alive) to the same mock,
#   (c) cutover gateway to the same mock,
# at concurrency 1 and 32, each proxy with one worker, repeated REPS times alternating
# targets. Prints RPS, p50, p99 and each server's CPU time per request (utime+stime from
# /proc over the run / requests), then ratios against nginx from the same run; then the
# time to first byte of a stream, direct vs through the gateway.
# Usage: bench/run.sh [DURATION_SECONDS=5] [REPS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-5}
reps=${2:-3}
bin=build/cutover
[[ -x $bin ]] || { echo "bench: build first (scripts/build.sh release)" >&2; exit 1; }
command -v wrk >/dev/null && command -v nginx >/dev/null ||
  { echo "bench: needs wrk and nginx (scripts/install-deps.sh test)" >&2; exit 1; }

dir=$(mktemp -d /tmp/cutover-bench.XXXXXX)
mkdir -p "$dir/tmp"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

source bench/lib.sh

mock_port=$(free_port); nginx_port=$(free_port); gw_port=$(free_port)
"$bin" mock-llm --listen "127.0.0.1:$mock_port" --threads 1 --log-level warn 2>"$dir/mock.log" &
mock_pid=$!; pids+=($mock_pid)
sed -e "s#@DIR@#$dir#g" -e "s#@MOCK_PORT@#$mock_port#g" -e "s#@NGINX_PORT@#$nginx_port#g" \
  bench/nginx.conf.in >"$dir/nginx.conf"
nginx -c "$dir/nginx.conf" -p "$dir" 2>"$dir/nginx.stderr" &
pids+=($!)
sed -e "s#@MOCK_PORT@#$mock_port#g" -e "s#@GATEWAY_PORT@#$gw_port#g" bench/gateway.yaml.in >"$dir/gateway.yaml"
"$bin" gateway --config "$dir/gateway.yaml" 2>"$dir/gateway.log" &
gw_pid=$!; pids+=($gw_pid)
wait_port "$mock_port"; wait_port "$nginx_port"; wait_port "$gw_port"
nginx_pid=$(cat "$dir/nginx.pid")  # the worker is the master's child; count both
nginx_worker=$(pgrep -P "$nginx_pid" | head -1)

declare -A url=([mock]="http://127.0.0.1:$mock_port" [nginx]="http://127.0.0.1:$nginx_port" [gateway]="http://127.0.0.1:$gw_port")
declare -A cpu_pids=([mock]="$mock_pid" [nginx]="$nginx_pid $nginx_worker" [gateway]="$gw_pid")
results="$dir/results.tsv"
: >"$results"

# Warm up connections and caches.
for t in mock nginx gateway; do wrk -t1 -c32 -d1s -s bench/chat.lua "${url[$t]}/v1/chat/completions" >/dev/null; done

for c in 1 32; do
  for r in $(seq "$reps"); do
    for t in mock nginx gateway; do
      m=$(measure "$t c=$c" "$c" "$dur" bench/chat.lua "${url[$t]}/v1/chat/completions" ${cpu_pids[$t]})
      printf '%s\t%s\t%s\t%s\n' "$c" "$r" "$t" "$m" >>"$results"
    done
  done
done

echo
echo "Non-streamed chat completion, ${dur}s x $reps runs per cell, medians (one worker per server):"
printf '%-4s %-8s %10s %10s %10s %12s\n' c target rps p50_us p99_us cpu_us/req
awk -F'\t' '
  { k=$1 SUBSEP $3; n[k]++; rps[k,n[k]]=$4; p50[k,n[k]]=$5; p99[k,n[k]]=$6; cpu[k,n[k]]=$7 }
  function med(a, k, m,   i, j, t, v) { for (i=1;i<=m;i++) v[i]=a[k,i]; for (i=1;i<=m;i++) for (j=i+1;j<=m;j++) if (v[j]+0<v[i]+0) { t=v[i]; v[i]=v[j]; v[j]=t } return v[int((m+1)/2)] }
  END {
    split("mock nginx gateway", ts, " ")
    for (ci=1; ci<=2; ci++) { c = ci==1 ? 1 : 32
      for (ti=1; ti<=3; ti++) { k=c SUBSEP ts[ti]; m=n[k]
        R[c,ts[ti]]=med(rps,k,m); P5[c,ts[ti]]=med(p50,k,m); P9[c,ts[ti]]=med(p99,k,m); C[c,ts[ti]]=med(cpu,k,m)
        printf "%-4s %-8s %10.0f %10.0f %10.0f %12.1f\n", c, ts[ti], R[c,ts[ti]], P5[c,ts[ti]], P9[c,ts[ti]], C[c,ts[ti]] } }
    print ""
    print "Gateway vs nginx (same run):"
    printf "  CPU per request, c=32: %.2fx nginx (target <= 1.5x)\n", C[32,"gateway"]/C[32,"nginx"]
    printf "  CPU per request, c=1:  %.2fx nginx\n", C[1,"gateway"]/C[1,"nginx"]
    printf "  RPS, c=32:             %.2fx nginx (target >= 0.8x)\n", R[32,"gateway"]/R[32,"nginx"]
    printf "  added p50, c=1:        gateway %+.0f us, nginx %+.0f us over direct (target: within 50 us of nginx)\n", P5[1,"gateway"]-P5[1,"mock"], P5[1,"nginx"]-P5[1,"mock"]
  }' "$results"

# Time to first byte of a stream: direct vs through the gateway (mock ttft 0).
ttfb() {
  local u=$1 auth=$2 model=$3 i
  for i in $(seq 50); do
    curl -s -o /dev/null -w '%{time_starttransfer}\n' "$u/v1/chat/completions" \
      -H 'Content-Type: application/json' -H "Authorization: Bearer $auth" \
      -d "{\"model\":\"$model\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"ttfb $i\"}]}"
  done | sort -n | awk '{v[NR]=$1} END {printf "%.0f", v[int((NR+1)/2)]*1e6}'
}
d=$(ttfb "${url[mock]}" x mock-fast); g=$(ttfb "${url[gateway]}" sk-bench bench)
echo
echo "Stream time to first byte (curl, median of 50): direct ${d} us, through gateway ${g} us (+$((g - d)) us)"
echo "(raw results: $results)"
