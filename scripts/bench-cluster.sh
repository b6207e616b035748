#!/usr/bin/env bash
# Ingestion's hand-off on one Redis and on the local Redis Cluster (ADR 0026), the
# cluster with `appendfsync everysec` and with `always`: what the cluster hop and the
# fsync policy cost a device. Release build, `fleetsim load` batches of 500.
#
#     bash scripts/bench-cluster.sh [SECONDS]      (default 15 s per run)
#
# Each run starts its own ingestion (127.0.0.1:18011, database ingestion_cbench,
# STREAM_PARTITIONS=8) and deletes its Redis keys afterwards.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOG_TAG=bench
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
# shellcheck source=scripts/env.sh
. scripts/env.sh

SECONDS_PER_RUN="${1:-15}"
PORT=18011
KEY="fk_bench_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
DB_URL="postgres://fleet:${FLEET_DB_PASSWORD}@127.0.0.1:5432/ingestion_cbench"
[ "${FLEET_BENCH_BUILD:-1}" = 0 ] || cargo build --release -q -p ingestion -p fleetsim
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
mkdir -p "$FLEET_RUN_DIR/logs"

# run LABEL REDIS_URL: one load run against a fresh ingestion on REDIS_URL.
run() {
    local label="$1" url="$2" prefix server result
    prefix="cbench:$(date +%s%N):"
    psql -X -q -h 127.0.0.1 -U fleet -d postgres -c 'DROP DATABASE IF EXISTS ingestion_cbench' \
        -c 'CREATE DATABASE ingestion_cbench' >/dev/null
    DATABASE_URL="$DB_URL" BIND_ADDR="127.0.0.1:$PORT" REDIS_URL="$url" REDIS_PREFIX="$prefix" \
        STREAM_PARTITIONS=8 RUST_LOG=warn STREAM_MAX_LEN=10000000 \
        INGESTION_BOOTSTRAP_DEVICE_KEY="$KEY" INGESTION_AUDIT_YIELDS_TO=none \
        "$TARGET/release/ingestion" >"$FLEET_RUN_DIR/logs/ingestion-cbench.log" 2>&1 &
    server=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && break
        sleep 0.1
    done
    result="$("$TARGET/release/fleetsim" load --url "http://127.0.0.1:$PORT" --api-key "$KEY" \
        --seconds "$SECONDS_PER_RUN" --vehicles 1000 --batch 500 --concurrency 4 | tail -n 1)"
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    # Each node's own keys under the prefix, one UNLINK per key (they span slots);
    # replicas refuse, which is fine.
    local node
    for node in ${url//,/ }; do
        redis-cli -u "$node" --scan --pattern "${prefix}*" | sed 's/^/UNLINK /' |
            redis-cli -u "$node" --pipe >/dev/null 2>&1 || true
    done
    echo "$label: $result"
}

run "one Redis (its own config), 8 partitions" "$REDIS_URL"
run "cluster, appendfsync everysec, 8 partitions" "$(bash scripts/redis-cluster.sh start --fsync everysec)"
run "cluster, appendfsync always, 8 partitions" "$(bash scripts/redis-cluster.sh start --fsync always)"
bash scripts/redis-cluster.sh start --fsync everysec >/dev/null
