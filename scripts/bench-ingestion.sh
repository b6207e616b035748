#!/usr/bin/env bash
# Ingestion benchmark (release build, this machine): batch and single-reading load with
# `fleetsim load`, and the audit writer's lag sampled from its consumer group.
#
#     bash scripts/bench-ingestion.sh [SECONDS]      (default 20 s per run)
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
    "$TARGET/release/ingestion" >"$FLEET_RUN_DIR/logs/ingestion-bench.log" 2>&1 &
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

# Runs fleetsim load with the given arguments while sampling the audit lag each second.
run() {
    local label="$1"
    shift
    local max_lag=0 sampler result started drained
    (
        while :; do
            audit_lag
            sleep 1
        done
    ) >"$FLEET_RUN_DIR/bench-lag.txt" &
    sampler=$!
    result="$("$TARGET/release/fleetsim" load --url "http://127.0.0.1:$PORT" --api-key "$KEY" \
        --seconds "$SECONDS_PER_RUN" "$@" | tail -n 1)"
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    max_lag="$(awk '{ if ($1 + $2 > m) m = $1 + $2 } END { print m + 0 }' "$FLEET_RUN_DIR/bench-lag.txt")"
    started=$(date +%s.%N)
    until read -r lag pending < <(audit_lag) && [ "$lag" = 0 ] && [ "$pending" = 0 ]; do
        sleep 0.2
    done
    drained=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
    echo "$label: $result audit_max_lag=$max_lag audit_drain_s=$drained"
}

run "batch(500)" --vehicles 1000 --batch 500 --concurrency 4
run "single" --vehicles 1000 --batch 1 --concurrency 64
audited="$(psql -X -At -h 127.0.0.1 -U fleet -d ingestion_bench -c 'SELECT count(*) FROM readings')"
echo "audited_rows=$audited"
