#!/usr/bin/env bash
# Database chores of the development setup:
#   db.sh clean-tests   drop the test_% databases owned by `fleet` that test runs left
#   db.sh reset         start over: drop and recreate the seven service databases (all
#                       their data!) and delete every Redis key under REDIS_PREFIX
#                       (streams and their consumer groups, idempotency keys, leases),
#                       saying what it removed; asks first unless FLEET_YES=1
# FLEET_DATABASES (space-separated) and REDIS_PREFIX / REDIS_URL say what to reset (the
# development platform's by default; tests point them at their own).
set -euo pipefail

LOG_TAG=db
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

read -r -a DATABASES <<<"${FLEET_DATABASES:-ingestion_db health_db agent_db alert_db scheduling_db warranty_db analytics_db}"
REDIS_PREFIX="${REDIS_PREFIX:-fleet:}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"

# Deletes every key under $REDIS_PREFIX and prints what it removed. Consumer groups
# and their pending entries live in their streams and go with them.
clear_redis_prefix() {
    local keys streams idem other total
    [ -n "$REDIS_PREFIX" ] || die "REDIS_PREFIX is empty: refusing to delete every Redis key"
    keys="$(mktemp)"
    redis-cli -u "$REDIS_URL" --scan --pattern "${REDIS_PREFIX}*" >"$keys" ||
        die "cannot list Redis keys at $REDIS_URL"
    total=$(wc -l <"$keys")
    # Partitioned keys carry a hash tag after the prefix (ADR 0026): fleet:{p3.10}stream:...
    streams=$(grep -cE "^${REDIS_PREFIX}(\{p[0-9.]+\})?stream:" "$keys" || true)
    idem=$(grep -cE "^${REDIS_PREFIX}(\{p[0-9.]+\})?idem:" "$keys" || true)
    other=$((total - streams - idem))
    if [ "$total" -gt 0 ]; then
        # UNLINK frees memory in the background; 500 keys per call.
        xargs -d '\n' -n 500 redis-cli -u "$REDIS_URL" UNLINK <"$keys" >/dev/null ||
            die "deleting Redis keys under $REDIS_PREFIX failed"
    fi
    rm -f "$keys"
    log "removed $total Redis keys under '$REDIS_PREFIX': $streams streams (with their consumer groups), $idem idempotency keys, $other other (leases, dead letters, liveness)"
}

# Refuses to reset under running services: they would recreate what was just removed.
refuse_if_running() {
    local name port busy=()
    for name in ingestion health agent alert scheduling warranty analytics; do
        port="$(fleet_port_of "$name")"
        if port_in_use "$port"; then busy+=("$name:$port"); fi
    done
    if [ "${#busy[@]}" -gt 0 ] && [ -z "${FLEET_DATABASES:-}" ]; then
        die "services are running (${busy[*]}): stop the platform first (Ctrl-C in the \`make up\` terminal, or \`make down\`)"
    fi
}

fleet_port_of() {
    case "$1" in
        ingestion) echo 8001 ;; health) echo 8002 ;; agent) echo 8003 ;; alert) echo 8004 ;;
        scheduling) echo 8005 ;; warranty) echo 8006 ;; analytics) echo 8007 ;;
    esac
}

case "${1:-}" in
    clean-tests)
        drop_test_databases fleet
        ;;
    reset)
        refuse_if_running
        if [ "${FLEET_YES:-0}" != 1 ]; then
            [ -t 0 ] || die "refusing to drop the databases without a terminal: set FLEET_YES=1"
            read -r -p "[db] drop ALL data in ${DATABASES[*]} and Redis keys under '$REDIS_PREFIX'? [y/N] " answer
            case "$answer" in y | Y | yes) ;; *) die "cancelled" ;; esac
        fi
        psql_admin_detect || die "cannot connect to PostgreSQL as the postgres superuser (see scripts/setup.sh)"
        for db in "${DATABASES[@]}"; do
            psql_admin -v db="$db" -v role=fleet <<'SQL'
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
CREATE DATABASE :"db" OWNER :"role";
SQL
            log "dropped and recreated $db (empty)"
        done
        clear_redis_prefix
        ;;
    *)
        echo "usage: $0 clean-tests | reset" >&2
        exit 2
        ;;
esac
