#!/usr/bin/env bash
# Compares gateway throughput with 1 and 2 event loops (`trellis serve --loops N`), serving `hello`
# without decorators, measured with wrk keep-alive. Rounds are interleaved (1, 2, 1, 2, ...) so that
# load from other processes hits both counts alike; the medians are printed at the end.
#
# Usage: bench/loop_scaling.sh [BINARY]   (default .build/release/trellis)
# Environment: ROUNDS (3), DURATION (8s), CONNECTIONS (100), THREADS (2), LOOPS ("1 2"),
#   WRK_CPUS (empty: wrk unpinned; e.g. "1" runs wrk under `taskset -c 1`),
#   SERVER_CPUS (empty: server unpinned; e.g. "0" or "0,1").
# Only 127.0.0.1 traffic; every server started here is stopped with SIGTERM before the next run.
set -euo pipefail

BINARY=${1:-.build/release/trellis}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-100}
THREADS=${THREADS:-2}
LOOPS=${LOOPS:-"1 2"}
WRK_CPUS=${WRK_CPUS:-}
SERVER_CPUS=${SERVER_CPUS:-}

work=$(mktemp -d -t trellis-loop-scaling.XXXXXX)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

# hello without decorators, quiet logs, a queue file of its own.
cat > "$work/config.json" <<JSON
{"server": {"host": "127.0.0.1", "port": 0},
 "logging": {"level": "error"},
 "queue": {"path": "$work/queue.db"},
 "functions": {"hello": {"inheritDefaults": false}}}
JSON

pin() { if [ -n "$1" ]; then echo "taskset -c $1"; fi; }

run_once() {
    local loops=$1
    # Created here, since the background job may open them only after the first poll below.
    : > "$work/out"
    : > "$work/err"
    $(pin "$SERVER_CPUS") "$BINARY" serve --config "$work/config.json" --loops "$loops" > "$work/out" 2> "$work/err" &
    server_pid=$!
    local port=""
    for _ in $(seq 1 100); do
        port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$work/out")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "server did not start: $(cat "$work/err")" >&2; exit 1; }
    curl -sf "http://127.0.0.1:$port/function/hello" > /dev/null
    local ticks_before ticks_after switches_before switches_after
    ticks_before=$(cpu_ticks "$server_pid")
    switches_before=$(context_switches "$server_pid")
    $(pin "$WRK_CPUS") wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "http://127.0.0.1:$port/function/hello" > "$work/wrk"
    ticks_after=$(cpu_ticks "$server_pid")
    switches_after=$(context_switches "$server_pid")
    kill -TERM "$server_pid"
    wait "$server_pid" || true
    server_pid=""
    local rate requests
    rate=$(awk '/Requests\/sec/ {print $2}' "$work/wrk")
    requests=$(awk '/requests in/ {print $1}' "$work/wrk")
    [ -n "$rate" ] && [ -n "$requests" ] || { echo "wrk reported no rate: $(cat "$work/wrk")" >&2; exit 1; }
    # Server CPU time (user + system) and context switches (all threads) per request.
    local hz
    hz=$(getconf CLK_TCK)
    echo "$rate $(awk -v t=$((ticks_after - ticks_before)) -v hz="$hz" -v n="$requests" 'BEGIN {printf "%.2f", t / hz * 1e6 / n}') \
$(awk -v c=$((switches_after - switches_before)) -v n="$requests" 'BEGIN {printf "%.3f", c / n}')"
}

# utime + stime of the whole process, in clock ticks (proc(5), /proc/PID/stat fields 14 and 15).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Voluntary and involuntary context switches summed over the process's threads.
context_switches() { cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ {sum += $2} END {print sum}'; }

declare -A results
for round in $(seq 1 "$ROUNDS"); do
    for loops in $LOOPS; do
        read -r rate cpu switches < <(run_once "$loops")
        results[$loops]="${results[$loops]:-} $rate"
        echo "round $round  loops $loops  $rate req/s  server CPU $cpu us/request  $switches context switches/request"
    done
done
for loops in $LOOPS; do
    median=$(echo ${results[$loops]} | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "loops $loops  median $median req/s  (runs:${results[$loops]})"
done
