#!/usr/bin/env bash
# Prints, every $1 seconds (default 5) until killed, the CPU each process of `make up`
# used (cores: CPU seconds per second, from /proc/<pid>/stat; Postgres is the sum of all
# its backends, the load generator is `fleetsim e2e`/`fleetsim load`) and each consumer
# group's lag on the live and backfill lanes of vehicle.telemetry.received (XINFO
# GROUPS). For benchmarks: where the CPU goes while a burst is folded.
#     bash scripts/bench-cpu-sample.sh 5 > /tmp/cpu.txt &
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
INTERVAL="${1:-5}"
TICK="$(getconf CLK_TCK)"

# "name pid" lines of the processes to sample.
processes() {
    local f
    for f in "$FLEET_RUN_DIR"/pids/*.pid; do
        [ -e "$f" ] && echo "$(basename "$f" .pid) $(cat "$f")"
    done
    pgrep -x redis-server | sed 's/^/redis /'
    pgrep -x postgres | sed 's/^/postgres /'
    pgrep -f 'fleetsim (e2e|load)' | sed 's/^/fleetsim /'
}

# CPU seconds of pid $1 so far (user + system).
cpu_seconds() {
    awk -v t="$TICK" '{ print ($14 + $15) / t }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# " group:lag" pairs of stream $1.
lags() {
    redis-cli -u "$REDIS_URL" --raw XINFO GROUPS "$1" 2>/dev/null |
        awk 'prev == "name" { g = $0 } prev == "lag" { printf " %s:%s", g, $0 } { prev = $0 }'
}

declare -A before
while true; do
    declare -A now=()
    while read -r name pid; do
        [ -n "${pid:-}" ] || continue
        now[$name]=$(awk -v a="${now[$name]:-0}" -v b="$(cpu_seconds "$pid")" 'BEGIN { print a + b }')
    done < <(processes)
    line="$(date +%T)"
    for name in $(printf '%s\n' "${!now[@]}" | sort); do
        line+=" $name=$(awk -v a="${now[$name]}" -v b="${before[$name]:-${now[$name]}}" -v i="$INTERVAL" \
            'BEGIN { printf "%.2f", (a - b) / i }')"
        before[$name]=${now[$name]}
    done
    stream="${REDIS_PREFIX}stream:vehicle.telemetry.received"
    line+=" | live$(lags "$stream") | backfill$(lags "$stream:backfill")"
    echo "$line"
    sleep "$INTERVAL"
done
