#!/usr/bin/env bash
# Issue 5, section 7, in one run: audit entries appended per second into the store
# (chained, signed, durable; SQLite and PostgreSQL; batch and entry signing), then the
# gateway with the durable audit log on vs off (bench/audit_gateway.sh). Builds
# build-bench/ (Release, CUTOVER_BENCH=ON) first, then holds the build lock
# (CUTOVER_BUILD_LOCK, default /tmp/ninja.lock) for the whole measurement so compiles that
# take it wait. PostgreSQL is a throwaway server on 127.0.0.1 restarted with fsync on.
# Every chain written is checked with `cutover audit verify` afterwards.
# Usage: bench/audit.sh [MIN_SECONDS=1] [REPS=3] [GATEWAY_SECONDS=5]
#   NO_POSTGRES=1 skips PostgreSQL; NO_GATEWAY=1 skips the gateway half;
#   BENCH_FILTER=regex picks benchmarks (audit_append_bench --benchmark_list_tests).
set -euo pipefail
cd "$(dirname "$0")/.."
min=${1:-1}; reps=${2:-3}; gw_dur=${3:-5}
lock=${CUTOVER_BUILD_LOCK:-/tmp/ninja.lock}
bdir=build-bench
if [[ -z ${CUTOVER_BENCH_LOCKED:-} ]]; then
  [[ -f $bdir/build.ninja ]] ||
    cmake -S . -B "$bdir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUTOVER_BENCH=ON -DCUTOVER_TESTS=OFF >/dev/null
  flock "$lock" nice -n 10 ninja -C "$bdir" audit_append_bench cutover >/dev/null
  exec env CUTOVER_BENCH_LOCKED=1 flock -o "$lock" "$0" "$@"
fi
source bench/lib.sh

dir=$(mktemp -d /tmp/cutover-bench-audit.XXXXXX)
pgdir=$(mktemp -d /tmp/cutover-bench-audit-pg.XXXXXX)
shm=$(mktemp -d /dev/shm/cutover-bench-audit.XXXXXX)
cleanup() {
  scripts/postgres-test-server.sh stop "$pgdir" >/dev/null 2>&1 || rmdir "$pgdir" 2>/dev/null || true
  rm -rf "$shm" "$dir"/audit.db*
}
trap cleanup EXIT
export CUTOVER_BENCH_DIR=$dir CUTOVER_BENCH_TMPFS=$shm
if [[ -z ${NO_POSTGRES:-} ]]; then
  CUTOVER_BENCH_PG=$(durable_postgres "$pgdir")
  export CUTOVER_BENCH_PG
fi

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
# Repetitions run interleaved in random order (alternating, not back to back); medians.
timeout 1800 "$bdir/audit_append_bench" --benchmark_min_time="$min" --benchmark_repetitions="$reps" \
  --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
  --benchmark_filter="${BENCH_FILTER:-.}" \
  --benchmark_out="$dir/append.json" --benchmark_out_format=json >"$dir/append.txt" 2>&1 ||
  { cat "$dir/append.txt" >&2; exit 1; }
python3 bench/audit_table.py "$dir/append.json"

echo
status=0
urls=("sqlite://$dir/audit.db" "sqlite://$shm/audit.db"); [[ -n ${CUTOVER_BENCH_PG:-} ]] && urls+=("$CUTOVER_BENCH_PG")
for u in "${urls[@]}"; do
  verify_chain "$bdir/cutover" "$u" "$dir/audit.pub" "${u%%:*}" || status=1
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(raw results: $dir/append.json)"

if [[ -z ${NO_GATEWAY:-} ]]; then
  CUTOVER_BIN=$bdir/cutover bench/audit_gateway.sh "$gw_dur" "$reps" || status=1
fi
exit $status
