# Helpers shared by the bench/*.sh scripts (sourced, not run). Everything stays on
# 127.0.0.1; a script kills only the PIDs it started (its `pids` array).

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (echo >/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "bench: port $1 never opened" >&2; exit 1; }

hz=$(getconf CLK_TCK)
# CPU time (utime+stime, clock ticks) of the given PIDs, all their threads included.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
# The whole machine's CPU, clock ticks, from /proc/stat: "BUSY IDLE" (busy: user, nice,
# system, irq, softirq; idle: idle and iowait; steal, time the hypervisor gave elsewhere,
# in neither). Everything on the path shares these cores: wrk, the mock, the servers.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat; }
# wrk's latency ("812.00us", "1.20ms", "2s") in microseconds.
to_us() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); print v } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v*1000 } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000000 } else print v }'; }

# A throwaway PostgreSQL on loopback (scripts/postgres-test-server.sh), restarted with the
# durability settings of a real server (fsync, synchronous_commit and full_page_writes
# on; the test server turns them off). Prints its URL. Stop it with
# scripts/postgres-test-server.sh stop DIR. DIR must be its own mktemp -d (it is handed to
# the postgres user when run as root).
durable_postgres() {  # DIR
  local dir=$1 url port bin
  url=$(scripts/postgres-test-server.sh start "$dir" | tail -1) || return 1
  port=$(cat "$dir/port") || return 1
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  local as=(); [[ $(id -u) -eq 0 ]] && as=(runuser -u postgres --)
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 -m fast restart \
    -o "-k $dir -p $port -c listen_addresses=127.0.0.1" >/dev/null || return 1
  echo "$url"
}
