#!/usr/bin/env bash
# Database chores of the development setup:
#   db.sh clean-tests   drop the test_% databases owned by `fleet` that test runs left
#   db.sh reset         drop and recreate the seven service databases (all their data!);
#                       asks first unless FLEET_YES=1
set -euo pipefail

LOG_TAG=db
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

DATABASES=(ingestion_db health_db agent_db alert_db scheduling_db warranty_db analytics_db)

case "${1:-}" in
    clean-tests)
        drop_test_databases fleet
        ;;
    reset)
        if [ "${FLEET_YES:-0}" != 1 ]; then
            [ -t 0 ] || die "refusing to drop the databases without a terminal: set FLEET_YES=1"
            read -r -p "[db] drop ALL data in ${DATABASES[*]}? [y/N] " answer
            case "$answer" in y | Y | yes) ;; *) die "cancelled" ;; esac
        fi
        for db in "${DATABASES[@]}"; do
            psql_admin -v db="$db" <<'SQL'
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
SQL
            log "dropped $db"
        done
        bash "$ROOT/scripts/setup.sh"
        ;;
    *)
        echo "usage: $0 clean-tests | reset" >&2
        exit 2
        ;;
esac
