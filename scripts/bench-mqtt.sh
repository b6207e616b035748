#!/usr/bin/env bash
# MQTT ingestion beside REST (ADR 0024; release build, this machine): the same
# generated readings POSTed, then published to Mosquitto on 127.0.0.1:1883, in batches
# of 500 and one by one, with `fleetsim load` (and `--mqtt`).
#
#     bash scripts/bench-mqtt.sh [SECONDS]      (default 20 s per run)
#
# It runs its own ingestion process on 127.0.0.1:18011 (database `ingestion_mqtt_bench`,
# Redis prefix `bench-mqtt:<timestamp>:`, topic root `bench-<timestamp>`), and removes
# all of them afterwards. MQTT readings/s are counted from ingestion's /metrics, from
# the first publish until the counters stop growing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
. scripts/env.sh

SECONDS_PER_RUN="${1:-20}"
PORT=18011
STAMP="$(date +%s)"
PREFIX="bench-mqtt:$STAMP:"
ROOT="bench-$STAMP"
CLIENT_ID="ingestion-bench-$STAMP"
KEY="fk_bench_$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
DB=ingestion_mqtt_bench
DB_URL="postgres://fleet:${FLEET_DB_PASSWORD:-fleet}@127.0.0.1:5432/$DB"
BROKER="mqtt://127.0.0.1:1883"

[ "${FLEET_BENCH_BUILD:-1}" = 0 ] || cargo build --release -q -p ingestion -p fleetsim
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

psql -X -q -h 127.0.0.1 -U fleet -d postgres -c "DROP DATABASE IF EXISTS $DB" \
    -c "CREATE DATABASE $DB" >/dev/null
mkdir -p "$FLEET_RUN_DIR/logs"
DATABASE_URL="$DB_URL" BIND_ADDR="127.0.0.1:$PORT" REDIS_PREFIX="$PREFIX" RUST_LOG=warn \
    STREAM_MAX_LEN=10000000 INGESTION_BOOTSTRAP_DEVICE_KEY="$KEY" INGESTION_BOOTSTRAP_ORG=dev \
    INGESTION_MQTT_URL="$BROKER" INGESTION_MQTT_TOPIC_ROOT="$ROOT" \
    INGESTION_MQTT_CLIENT_ID="$CLIENT_ID" INGESTION_MQTT_SHARE_GROUP="bench-$STAMP" \
    "$TARGET/release/ingestion" >"$FLEET_RUN_DIR/logs/ingestion-mqtt-bench.log" 2>&1 &
SERVER=$!
cleanup() {
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    # A clean-session connect with the subscriber's id ends its persistent session.
    command -v mosquitto_sub >/dev/null &&
        mosquitto_sub -h 127.0.0.1 -i "$CLIENT_ID" -t "$ROOT/none" -E >/dev/null 2>&1 || true
    redis-cli -h 127.0.0.1 --scan --pattern "${PREFIX}*" | xargs -r -n 1000 redis-cli -h 127.0.0.1 UNLINK >/dev/null
    psql -X -q -h 127.0.0.1 -U fleet -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null && break
    sleep 0.1
done

run() {
    local label="$1"
    shift
    local result
    result="$("$TARGET/release/fleetsim" load --url "http://127.0.0.1:$PORT" --api-key "$KEY" \
        --seconds "$SECONDS_PER_RUN" --vehicles 1000 "$@" | tail -n 1)"
    echo "$label: $result load_avg=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
}

run "rest batch(500)" --batch 500 --concurrency 4
run "mqtt batch(500)" --batch 500 --concurrency 4 --mqtt "$BROKER" --mqtt-root "$ROOT" --mqtt-org dev
run "rest single" --batch 1 --concurrency 64
run "mqtt single" --batch 1 --concurrency 64 --mqtt "$BROKER" --mqtt-root "$ROOT" --mqtt-org dev
# Flat out, the publisher outruns the subscriber and the broker drops what exceeds
# its queue; paced below that, nothing is lost.
run "mqtt batch(500) paced" --batch 500 --concurrency 4 --rate 20000 --mqtt "$BROKER" --mqtt-root "$ROOT" --mqtt-org dev
run "mqtt single paced" --batch 1 --concurrency 64 --rate 8000 --mqtt "$BROKER" --mqtt-root "$ROOT" --mqtt-org dev
