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

# One wrk run (one thread, CONNECTIONS, SECONDS, script LUA) against URL. Prints
# "rps TAB p50_us TAB p99_us TAB cpu_us/req TAB machine_us/req TAB idle%": cpu counts the
# PIDs given (all their threads), machine every core's busy time (machine_ticks). Non-2xx
# answers or socket errors are reported on stderr, labelled LABEL.
measure() {  # LABEL CONNECTIONS SECONDS LUA URL PID...
  local label=$1 c=$2 d=$3 lua=$4 url=$5; shift 5
  local before after busy0 idle0 busy1 idle1 out errs reqs
  before=$(cpu_ticks "$@"); read -r busy0 idle0 <<<"$(machine_ticks)"
  out=$(wrk -t1 -c"$c" -d"${d}s" --latency -s "$lua" "$url")
  after=$(cpu_ticks "$@"); read -r busy1 idle1 <<<"$(machine_ticks)"
  errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")
  [[ -z $errs ]] || echo "bench: $label: $errs" >&2
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  printf '%s\t%s\t%s\t' "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(to_us "$(awk '$1=="50%" {print $2}' <<<"$out")")" "$(to_us "$(awk '$1=="99%" {print $2}' <<<"$out")")"
  awk -v d=$((after - before)) -v m=$((busy1 - busy0)) -v i=$((idle1 - idle0)) -v hz="$hz" -v n="$reqs" \
    'BEGIN { printf "%.1f\t%.1f\t%.0f\n", d * 1e6 / hz / n, m * 1e6 / hz / n, 100 * i / (i + m) }'
}

# `cutover audit verify` of the chain at URL against the public key file PUB; prints
# "verify LABEL: ..." and fails when it does not verify.
verify_chain() {  # BIN URL PUB LABEL
  local v
  if v=$("$1" audit verify --store "$2" --public-key "$3" 2>&1); then echo "verify $4: $v"; else
    echo "verify $4 FAILED: $v"; return 1; fi
}

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
