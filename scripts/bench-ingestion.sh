#!/usr/bin/env bash
# Ingestion benchmark (release build, this machine): batch load (unnamed batches, then
# named ones with `batch_id`, ADR 0027) and single-reading load with `fleetsim load`, the
# audit writer's lag sampled from its consumer group, and the CPU time ingestion, Redis,
# Postgres, the load generator and the whole machine spent per audited reading.
#
#     bash scripts/bench-ingestion.sh [SECONDS]      (default 20 s per run)
#
# FLEET_BENCH_INGESTION=<binary> runs another build of ingestion (before/after
# comparisons), FLEET_BENCH_NAMED=0 skips the named-batch run, FLEET_BENCH_SINGLE=0 the
# single-reading one.
#
# It runs its own ingestion process on 127.0.0.1:18001 against a fresh database
# `ingestion_bench` and a Redis prefix `bench:<timestamp>:`, which it deletes afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOG_TAG=bench
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh

SECONDS_PER_RUN="${1:-20}"
PORT=18001
PREFIX="bench:$(date +%s):"
STREAM="${PREFIX}stream:vehicle.telemetry.received"
KEY="fk_bench_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
DB_URL="postgres://fleet:${FLEET_DB_PASSWORD}@127.0.0.1:5432/ingestion_bench"

bash scripts/setup.sh >/dev/null
[ "${FLEET_BENCH_BUILD:-1}" = 0 ] || cargo build --release -q -p ingestion -p fleetsim
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

psql -X -q -h 127.0.0.1 -U fleet -d postgres -c 'DROP DATABASE IF EXISTS ingestion_bench' \
    -c 'CREATE DATABASE ingestion_bench' >/dev/null
mkdir -p "$FLEET_RUN_DIR/logs"
DATABASE_URL="$DB_URL" BIND_ADDR="127.0.0.1:$PORT" REDIS_PREFIX="$PREFIX" RUST_LOG=warn \
    STREAM_MAX_LEN=10000000 INGESTION_BOOTSTRAP_DEVICE_KEY="$KEY" \
    "${FLEET_BENCH_INGESTION:-$TARGET/release/ingestion}" >"$FLEET_RUN_DIR/logs/ingestion-bench.log" 2>&1 &
SERVER=$!
cleanup() {
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    redis-cli -h 127.0.0.1 --scan --pattern "${PREFIX}*" | xargs -r -n 1000 redis-cli -h 127.0.0.1 UNLINK >/dev/null
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && break
    sleep 0.1
done

# Prints "lag pending" of the audit group.
audit_lag() {
    redis-cli -h 127.0.0.1 --raw XINFO GROUPS "$STREAM" 2>/dev/null | awk '
        prev == "lag" { lag = $0 } prev == "pending" { pending = $0 } { prev = $0 }
        END { printf "%s %s\n", (lag == "" ? 0 : lag), (pending == "" ? 0 : pending) }'
}

# CPU ticks used so far by the given processes (utime + stime).
ticks_of() {
    local pid total=0
    for pid in "$@"; do
        [ -r "/proc/$pid/stat" ] || continue
        total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")))
    done
    echo "$total"
}
# CPU ticks of the whole machine (user, nice, system, irq, softirq).
box_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
audited_rows() { psql -X -At -h 127.0.0.1 -U fleet -d ingestion_bench -c 'SELECT count(*) FROM readings'; }
REDIS_PID="$(redis-cli -h 127.0.0.1 INFO server | awk -F: '/^process_id/ { print $2 + 0 }')"
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# Runs fleetsim load with the given arguments while sampling the audit lag each second,
# waits for the audit writer to drain, and prints the figures with the CPU each process
# spent per audited reading from the start of the run to the end of the drain.
run() {
    local label="$1"
    shift
    local max_lag=0 sampler result started drained rows0 rows
    local ing0 red0 pg0 box0 ing red pg box gen_cpu
    rows0="$(audited_rows)"
    ing0="$(ticks_of "$SERVER")" red0="$(ticks_of "$REDIS_PID")"
    pg0="$(ticks_of $(pgrep -x postgres))" box0="$(box_ticks)"
    (
        while :; do
            audit_lag
            sleep 1
        done
    ) >"$FLEET_RUN_DIR/bench-lag.txt" &
    sampler=$!
    result="$(/usr/bin/time -f '%U %S' -o "$FLEET_RUN_DIR/bench-gen-cpu.txt" \
        "$TARGET/release/fleetsim" load --url "http://127.0.0.1:$PORT" --api-key "$KEY" \
        --seconds "$SECONDS_PER_RUN" "$@" | tail -n 1)"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    max_lag="$(awk '{ if ($1 + $2 > m) m = $1 + $2 } END { print m + 0 }' "$FLEET_RUN_DIR/bench-lag.txt")"
    started=$(date +%s.%N)
    until read -r lag pending < <(audit_lag) && [ "$lag" = 0 ] && [ "$pending" = 0 ]; do
        sleep 0.2
    done
    drained=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
    rows=$(($(audited_rows) - rows0))
    ing=$(($(ticks_of "$SERVER") - ing0)) red=$(($(ticks_of "$REDIS_PID") - red0))
    pg=$(($(ticks_of $(pgrep -x postgres)) - pg0)) box=$(($(box_ticks) - box0))
    gen_cpu="$(awk '{ print $1 + $2 }' "$FLEET_RUN_DIR/bench-gen-cpu.txt")"
    echo "$label: $result audit_max_lag=$max_lag audit_drain_s=$drained"
    python3 - "$rows" "$ing" "$red" "$pg" "$box" "$gen_cpu" "$TICK_US" <<'PY'
import sys
rows, ing, red, pg, box = (int(x) for x in sys.argv[1:6])
gen, tick = float(sys.argv[6]), int(sys.argv[7])
per = lambda t: t * tick / max(rows, 1)
print(f"  cpu_us_per_reading ({rows} audited): ingestion={per(ing):.1f} redis={per(red):.1f} "
      f"postgres={per(pg):.1f} generator={gen * 1e6 / max(rows, 1):.1f} machine={per(box):.1f}")
PY
}

run "batch(500)" --vehicles 1000 --batch 500 --concurrency 4
[ "${FLEET_BENCH_NAMED:-1}" = 0 ] ||
    run "batch(500), batch_id" --vehicles 1000 --batch 500 --concurrency 4 --batch-ids
[ "${FLEET_BENCH_SINGLE:-1}" = 0 ] ||
    run "single" --vehicles 1000 --batch 1 --concurrency 64
audited="$(psql -X -At -h 127.0.0.1 -U fleet -d ingestion_bench -c 'SELECT count(*) FROM readings')"
echo "audited_rows=$audited"
