#!/bin/bash
# First start of the development PostgreSQL (docker-entrypoint-initdb.d): role fleet
# with the generated password (postgres-secrets) and one database per service, owned by
# it, like infra/postgres/init.sql does for docker-compose.yml.
set -euo pipefail
# From stdin: psql interpolates :'pw' (quoted as a literal) there, not in -c.
psql -v ON_ERROR_STOP=1 -v pw="$FLEET_DB_PASSWORD" -U postgres -d postgres <<<"CREATE ROLE fleet WITH LOGIN CREATEDB PASSWORD :'pw'"
for service in ingestion health agent alert scheduling warranty analytics; do
    psql -v ON_ERROR_STOP=1 -U postgres -d postgres -c "CREATE DATABASE ${service}_db OWNER fleet"
done
