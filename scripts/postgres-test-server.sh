#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the tests (installs nothing itself:
# scripts/install-deps.sh test brings the postgresql package).
#   scripts/postgres-test-server.sh start DIR   initdb in DIR/data, start on a free port,
#                                               create database cutover_test, print its URL
#   scripts/postgres-test-server.sh stop DIR    stop the server and delete DIR
#   scripts/postgres-test-server.sh halt DIR    stop the server, keep its data (outage tests)
#   scripts/postgres-test-server.sh resume DIR  start it again on the same port
# As root the server runs as the postgres user (PostgreSQL refuses root) and DIR is handed
# to it. fsync is off: the data is thrown away anyway.
set -euo pipefail
usage() { echo "usage: $0 start|stop|halt|resume DIR" >&2; exit 2; }
(($# == 2)) || usage
cmd=$1 dir=$2
marker=.cutover-postgres-test

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [[ -z $bin || ! -x $bin/initdb ]]; then
  echo "$0: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: run scripts/install-deps.sh test" >&2
  exit 1
fi
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_start() {  # PORT
  as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 start \
    -o "-k $dir -p $1 -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    >/dev/null
}
is_ours() {
  [[ -f $dir/$marker ]] || { echo "$0: $dir is not a test server folder; leaving it alone" >&2; exit 1; }
}

case $cmd in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    touch "$dir/$marker"
    [[ $(id -u) -eq 0 ]] && chown -R postgres: "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    # A port is free when nothing answers on it; another process may take it before the
    # server binds, so try a few.
    for attempt in 1 2 3 4 5; do
      port=$((20000 + RANDOM % 40000))
      port_in_use "$port" && continue
      if pg_start "$port"; then
        echo "$port" >"$dir/port"
        as_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres cutover_test
        echo "postgres://postgres@127.0.0.1:$port/cutover_test"
        exit 0
      fi
    done
    echo "$0: PostgreSQL did not start; its log:" >&2
    cat "$dir/log" >&2 2>/dev/null || true
    exit 1
    ;;
  stop | halt)
    is_ours
    if [[ -f $dir/data/postmaster.pid ]]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    if [[ $cmd == stop ]]; then rm -rf "$dir"; fi
    ;;
  resume)
    is_ours
    pg_start "$(cat "$dir/port")" || { cat "$dir/log" >&2; exit 1; }
    ;;
  *) usage ;;
esac
