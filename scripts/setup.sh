#!/usr/bin/env bash
# Prepares this machine (Debian/Ubuntu) for running and testing the fleet platform.
# Idempotent: each step checks first and does nothing when already done.
#
#  1. installs PostgreSQL, Redis (and a C toolchain), node/npm and Chromium (the
#     dashboard and its browser tests; FLEET_UI=0 skips them) and docker-compose (the
#     compose file's validation; FLEET_PACKAGING=0 skips it) with apt-get when missing;
#  2. checks that a Rust toolchain is installed;
#  3. starts PostgreSQL and Redis when they do not answer on 127.0.0.1 (without
#     systemd too: containers, CI), and Mosquitto (MQTT ingestion's tests) on :1883;
#  4. creates the login role `fleet` (password $FLEET_DB_PASSWORD, default `fleet`,
#     CREATEDB) and the seven service databases it owns;
#  5. drops the test_% databases that earlier test runs left.
#
# Runs as root or as a user with sudo.
set -euo pipefail

LOG_TAG=setup
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

DB_ROLE=fleet
DB_PASSWORD="${FLEET_DB_PASSWORD:-fleet}"
# FLEET_DATABASES (space-separated) replaces the list, for tests of these scripts.
read -r -a DATABASES <<<"${FLEET_DATABASES:-ingestion_db health_db agent_db alert_db scheduling_db warranty_db analytics_db}"
MIN_RUST=1.95
WAIT_SECONDS=30

# ---------------------------------------------------------------- system packages
APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found: install $* with your package manager, then run this again"
    if [ "$APT_UPDATED" -eq 0 ]; then
        log "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        APT_UPDATED=1
    fi
    log "installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

packages=()
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
    packages+=(postgresql postgresql-client)
fi
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
command -v cc >/dev/null 2>&1 || packages+=(build-essential pkg-config)
command -v curl >/dev/null 2>&1 || packages+=(curl ca-certificates)
# MQTT ingestion's broker (ADR 0024) for its tests and local runs; mosquitto_passwd
# (scripts/mqtt-auth.sh) comes with it.
{ [ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null 2>&1; } || packages+=(mosquitto)
# The web dashboard's build (node, npm) and its browser tests (Debian's Chromium, which
# Playwright drives: scripts/ui-test.sh). FLEET_UI=0 leaves them out.
if [ "${FLEET_UI:-1}" != 0 ]; then
    command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
    [ -x /usr/bin/chromium ] || packages+=(chromium)
fi
# The packaging checks of `make test` (scripts/check-packaging.sh) validate
# docker-compose.yml with the compose plugin, or else Debian's docker-compose.
# FLEET_PACKAGING=0 leaves it out.
if [ "${FLEET_PACKAGING:-1}" != 0 ] && ! docker compose version >/dev/null 2>&1; then
    command -v docker-compose >/dev/null 2>&1 || packages+=(docker-compose)
fi
if [ "${#packages[@]}" -gt 0 ]; then
    apt_install "${packages[@]}"
else
    log "PostgreSQL, Redis, C toolchain and curl already installed"
fi

# ---------------------------------------------------------------- Rust toolchain
if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
    PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
    cat >&2 <<EOF
[setup] ERROR: no Rust toolchain (cargo) found. Install it with rustup
        (https://rustup.rs), for example:

            curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs -o rustup-init.sh
            sh rustup-init.sh -y --profile minimal --component clippy,rustfmt
            . "\$HOME/.cargo/env"

        then run this again. Rust $MIN_RUST or newer is required.
EOF
    exit 1
fi
if ! rustc_out="$(rustc --version 2>&1)"; then
    printf '%s\n' "$rustc_out" >&2
    die "cargo is installed but rustc does not run (with rustup: \`rustup default stable\`)"
fi
rust_version="$(printf '%s\n' "$rustc_out" | awk '{print $2; exit}')"
if [ "$(printf '%s\n%s\n' "$MIN_RUST" "${rust_version%%-*}" | sort -V | head -n1)" != "$MIN_RUST" ]; then
    die "rustc $rust_version is too old: $MIN_RUST or newer is required (run \`rustup update stable\`)"
fi
log "Rust toolchain: rustc $rust_version"

# ---------------------------------------------------------------- PostgreSQL
pg_answers() { pg_isready -q -h 127.0.0.1 -p 5432 -t 2 >/dev/null 2>&1; }

wait_for() { # $1 = name, $2 = check function
    local name="$1" check="$2" i
    for ((i = 0; i < WAIT_SECONDS * 2; i++)); do
        "$check" && return 0
        sleep 0.5
    done
    return 1
}

start_postgres() {
    local version="" dir v
    # The newest cluster named "main" under /etc/postgresql, if any.
    for dir in /etc/postgresql/*/main; do
        [ -d "$dir" ] && version="$(basename "$(dirname "$dir")")"
    done
    if [ -z "$version" ]; then
        # No cluster yet: create one with the newest installed server version.
        for dir in /usr/lib/postgresql/*/bin/postgres; do
            [ -x "$dir" ] || continue
            v="${dir#/usr/lib/postgresql/}"
            v="${v%%/*}"
            if [ -z "$version" ] || [ "$(printf '%s\n%s\n' "$version" "$v" | sort -V | tail -n1)" = "$v" ]; then
                version="$v"
            fi
        done
        [ -n "$version" ] || die "no PostgreSQL server found under /usr/lib/postgresql"
        log "creating PostgreSQL $version cluster 'main'"
        as_root pg_createcluster "$version" main --port 5432
    fi
    if as_root pg_ctlcluster "$version" main status >/dev/null 2>&1; then
        pg_lsclusters >&2 || true
        die "PostgreSQL $version/main is running but does not answer on 127.0.0.1:5432 (check its port and listen_addresses in /etc/postgresql/$version/main/postgresql.conf)"
    fi
    log "starting PostgreSQL $version/main"
    if [ -d /run/systemd/system ]; then
        as_root pg_ctlcluster "$version" main start
    else
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
    fi
}

if pg_answers; then
    log "PostgreSQL answers on 127.0.0.1:5432"
else
    start_postgres
    wait_for PostgreSQL pg_answers ||
        die "PostgreSQL does not answer on 127.0.0.1:5432 after ${WAIT_SECONDS}s (see /var/log/postgresql/)"
    log "PostgreSQL is up"
fi

# ---------------------------------------------------------------- Redis
redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

if redis_answers; then
    log "Redis answers on 127.0.0.1:6379"
else
    mkdir -p "$ROOT/.run/redis" "$ROOT/.run/logs"
    log "starting Redis (data in .run/redis, log in .run/logs/redis.log)"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 \
        --dir "$ROOT/.run/redis" --logfile "$ROOT/.run/logs/redis.log" \
        --pidfile "$ROOT/.run/redis/redis.pid" \
        --appendonly yes --appendfsync everysec ||
        die "redis-server failed to start (see .run/logs/redis.log)"
    wait_for Redis redis_answers ||
        die "Redis does not answer on 127.0.0.1:6379 after ${WAIT_SECONDS}s (see .run/logs/redis.log)"
    log "Redis is up"
fi

# ---------------------------------------------------------------- Mosquitto
# MQTT ingestion's tests subscribe on 127.0.0.1:1883 (anonymous, as Debian's package
# runs it) and start private brokers of their own for authentication.
mosquitto_answers() { (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; }

if mosquitto_answers; then
    log "Mosquitto answers on 127.0.0.1:1883"
else
    mkdir -p "$ROOT/.run/mosquitto" "$ROOT/.run/logs"
    cat >"$ROOT/.run/mosquitto/mosquitto.conf" <<CONF
listener 1883 127.0.0.1
allow_anonymous true
persistence false
log_dest stdout
CONF
    log "starting Mosquitto (log in .run/logs/mosquitto.log)"
    mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
    # The log is opened by this shell: mosquitto started as root drops to its own user.
    nohup "$mosquitto_bin" -c "$ROOT/.run/mosquitto/mosquitto.conf" \
        >>"$ROOT/.run/logs/mosquitto.log" 2>&1 </dev/null &
    wait_for Mosquitto mosquitto_answers ||
        die "Mosquitto does not answer on 127.0.0.1:1883 after ${WAIT_SECONDS}s (see .run/logs/mosquitto.log)"
    log "Mosquitto is up"
fi

# ---------------------------------------------------------------- role and databases
psql_admin_detect ||
    die "cannot connect to PostgreSQL as the postgres superuser: tried \`runuser -u postgres -- psql\` / \`sudo -u postgres psql\` (peer auth on the socket) and \`psql -h 127.0.0.1 -U postgres\` (trust, or set PGPASSWORD)"

# The role: created when absent; its password and rights are (re)set every time, so a
# changed FLEET_DB_PASSWORD takes effect. Also makes sure each database is owned by it.
psql_admin -v role="$DB_ROLE" -v pw="$DB_PASSWORD" -v dbs="${DATABASES[*]}" <<'SQL'
SELECT format('CREATE ROLE %I', :'role')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
ALTER ROLE :"role" WITH LOGIN CREATEDB PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER %I', d, :'role')
  FROM unnest(string_to_array(:'dbs', ' ')) AS d
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d) \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', datname, :'role')
  FROM pg_database
 WHERE datname = ANY (string_to_array(:'dbs', ' '))
   AND datdba <> (SELECT oid FROM pg_roles WHERE rolname = :'role') \gexec
SQL
log "role '$DB_ROLE' and databases ready: ${DATABASES[*]}"

drop_test_databases "$DB_ROLE"

# Autovacuum keeps the planner's statistics and the visibility map current. Without it
# no table of the platform is ever analyzed, and lookups like `id = ANY($1)` over a
# growing table are planned as sequential scans (the audit log's 1,000-event check
# went from 12 ms to 2.3 s at 2.5 M entries). FLEET_AUTOVACUUM=ensure (what `make up`
# sets) turns it on when the server has it off; otherwise setup only warns. Tests create
# and drop their own small databases and do not need it.
if [ "$(psql_admin -Atc 'SHOW autovacuum')" = off ]; then
    if [ "${FLEET_AUTOVACUUM:-}" = ensure ]; then
        psql_admin -Atc 'ALTER SYSTEM SET autovacuum = on' >/dev/null &&
            psql_admin -Atc 'SELECT pg_reload_conf()' >/dev/null ||
            die "could not turn autovacuum on (ALTER SYSTEM needs the postgres superuser)"
        log "autovacuum was off on this PostgreSQL server: turned on (ALTER SYSTEM; \`ALTER SYSTEM RESET autovacuum\` undoes it)"
    else
        log "warning: autovacuum is off on this PostgreSQL server: tables are never analyzed and queries degrade as they grow (\`make up\` turns it on)"
    fi
fi

# What the services and tests do: log in as fleet over TCP with the password.
if ! PGPASSWORD="$DB_PASSWORD" psql -X -q -w -h 127.0.0.1 -p 5432 -U "$DB_ROLE" -d "${DATABASES[0]}" \
    -Atc 'SELECT 1' >/dev/null 2>&1; then
    die "cannot log in as '$DB_ROLE' on 127.0.0.1:5432 with its password: check pg_hba.conf allows password (scram-sha-256/md5) or trust auth for 127.0.0.1"
fi
log "done: postgres://$DB_ROLE:***@127.0.0.1:5432/<service>_db and redis://127.0.0.1:6379 are ready"
