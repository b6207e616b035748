# shellcheck shell=bash
# A private copy of the platform for a script's run (sourced by api-fuzz.sh and
# bench-notifications.sh): the service binaries on free loopback ports (never the
# 8001-8004 of a developer's `make up`), each on a database of its own created for the
# run (test_<tag>_<service>_<run>: a test_% name, so setup.sh / `make clean-db` drop it
# if the run is killed), with a fresh Redis key prefix, JWT secret, organization and
# device key. Nothing of anybody's data is reachable from it.
#
# Use:  platform_init <tag> <debug|release>   sets RUN_ID, ORG, DEVICE_KEY, WORK, BIN_DIR…
#       platform_start <name>...                starts them (platform_env <name> may add
#                                               environment lines; define it first)
#       platform_wait_ready                     waits for /health/ready (or live)
#       platform_token                          prints an admin token of $ORG
#       platform_cleanup                        stops everything, drops databases and keys
# Needs lib.sh and env.sh sourced (log/die, TEST_DATABASE_URL, REDIS_URL, RUST_LOG).

random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# $1 = tag (fuzz, bench), $2 = cargo profile of the binaries.
platform_init() {
    PLATFORM_TAG="$1"
    RUN_ID="$(random_hex 6)"
    ORG="$PLATFORM_TAG-$RUN_ID"
    REDIS_KEY_PREFIX="$PLATFORM_TAG:$RUN_ID:"
    RUN_JWT_SECRET="$(random_hex 32)"
    # shellcheck disable=SC2034 # used by the scripts that source this file
    DEVICE_KEY="fk_${PLATFORM_TAG}_$(random_hex 16)"
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/fleet-$PLATFORM_TAG.XXXXXX")"
    # The role of the test helpers (shared-runtime fresh_database): it may create
    # databases.
    ADMIN_DB_URL="$TEST_DATABASE_URL"
    DB_BASE_URL="${ADMIN_DB_URL%/*}"
    READY_TIMEOUT="${FLEET_READY_TIMEOUT:-120}"
    declare -gA PID=() PORT=() DB=()
    DATABASES=()
    STARTED=()
    NEXT_PORT="${FIRST_PORT:-18101}"
    # Where cargo put the binaries (honours CARGO_TARGET_DIR and .cargo/config.toml).
    local target_dir
    target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')" || true
    if [ -z "$target_dir" ]; then
        target_dir="${CARGO_TARGET_DIR:-target}"
        case "$target_dir" in /*) ;; *) target_dir="$ROOT/$target_dir" ;; esac
    fi
    BIN_DIR="$target_dir/$2"
}

psql_fleet() { psql -X -q -w -v ON_ERROR_STOP=1 "$ADMIN_DB_URL" "$@"; }

# Sets FREE_PORT to the next loopback port nothing listens on (not in a subshell: it
# advances NEXT_PORT).
platform_port() {
    while port_in_use "$NEXT_PORT"; do NEXT_PORT=$((NEXT_PORT + 1)); done
    FREE_PORT="$NEXT_PORT"
    NEXT_PORT=$((NEXT_PORT + 1))
}

url_of() { echo "http://127.0.0.1:${PORT[$1]:-0}"; }
alive() { kill -0 "${PID[$1]}" 2>/dev/null; }

# Extra environment of service $1, one NAME=value per line (override it).
platform_env() { :; }

# Starts each service named (devinbox: the development receivers, no database).
platform_start() {
    local name db launcher=() extra=()
    for name in "$@"; do
        platform_port
        PORT[$name]="$FREE_PORT"
    done
    # Own session: Ctrl-C reaches the script only, which stops each service once.
    command -v setsid >/dev/null 2>&1 && launcher=(setsid)
    for name in "$@"; do
        [ -x "$BIN_DIR/$name" ] || die "no binary at $BIN_DIR/$name (cargo build -p $name)"
        db=""
        if [ "$name" != devinbox ]; then
            db="test_${PLATFORM_TAG}_${name}_$RUN_ID"
            psql_fleet -v db="$db" <<'SQL' || die "cannot create database $db (run scripts/setup.sh)"
CREATE DATABASE :"db";
SQL
            DATABASES+=("$db")
            # shellcheck disable=SC2034 # used by the scripts that source this file
            DB[$name]="$db"
        fi
        mapfile -t extra < <(platform_env "$name")
        "${launcher[@]+"${launcher[@]}"}" env \
            DATABASE_URL="$DB_BASE_URL/$db" \
            BIND_ADDR="127.0.0.1:${PORT[$name]}" \
            REDIS_URL="$REDIS_URL" \
            REDIS_PREFIX="$REDIS_KEY_PREFIX" \
            JWT_SECRET="$RUN_JWT_SECRET" \
            RUST_LOG="$RUST_LOG" \
            "${extra[@]+"${extra[@]}"}" \
            "$BIN_DIR/$name" </dev/null >"$WORK/$name.log" 2>&1 &
        PID[$name]=$!
        STARTED+=("$name")
        log "started $name (pid ${PID[$name]}, $(url_of "$name")${db:+, database $db})"
    done
}

# Prints the error lines of $1's log (a 5xx's error with its cause; panics), then the
# last lines of the log.
show_log() {
    local name="$1" errors
    errors="$(grep -E '"level":"ERROR"|panicked' "$WORK/$name.log" |
        sed 's/^{"timestamp":"[^"]*",//' | cut -c1-600 | awk '!seen[$0]++' | tail -n 30 || true)"
    if [ -n "$errors" ]; then
        printf -- '----- %s: distinct errors in its log (last 30, cut at 600 characters) -----\n%s\n' \
            "$name" "$errors"
    fi
    printf -- '----- %s: last 20 lines of its log -----\n' "$name"
    tail -n 20 "$WORK/$name.log" | cut -c1-600 || true
    printf -- '-----\n'
}

# Waits for every started service to answer /health/ready (devinbox: /health/live).
platform_wait_ready() {
    local name path deadline=$((SECONDS + READY_TIMEOUT))
    for name in "${STARTED[@]}"; do
        path=/health/ready
        [ "$name" = devinbox ] && path=/health/live
        until curl -fsS -o /dev/null --max-time 2 "$(url_of "$name")$path" 2>/dev/null; do
            if ! alive "$name"; then
                show_log "$name"
                die "$name exited before it was ready"
            fi
            if [ "$SECONDS" -ge "$deadline" ]; then
                show_log "$name"
                die "$name is not ready after ${READY_TIMEOUT}s"
            fi
            sleep 0.5
        done
    done
    log "ready: $(for n in "${STARTED[@]}"; do printf '%s ' "$n=${PORT[$n]}"; done)"
}

# An admin token of $ORG, valid $1 (default 2h).
platform_token() {
    JWT_SECRET="$RUN_JWT_SECRET" "$BIN_DIR/fleetctl" token --role admin --org "$ORG" \
        --sub "$PLATFORM_TAG-admin" --ttl "${1:-2h}" | tr -d '[:space:]'
}

# Stops the services, drops the run's databases and Redis keys, removes $WORK.
platform_cleanup() {
    local name pids=() killed
    for name in "${STARTED[@]+"${STARTED[@]}"}"; do pids+=("${PID[$name]}"); done
    if [ "${#pids[@]}" -gt 0 ]; then
        {
            killed="$(stop_processes "${pids[@]}")"
            for name in "${STARTED[@]}"; do wait "${PID[$name]}" || true; done
        } 2>/dev/null
        if [ -n "$killed" ]; then
            warn "killed services that did not stop within ${STOP_TIMEOUT:-10}s: $killed"
        fi
    fi
    for name in "${DATABASES[@]+"${DATABASES[@]}"}"; do
        psql_fleet -v db="$name" >/dev/null 2>&1 <<'SQL' || warn "could not drop database $name (make clean-db drops it later)"
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
SQL
    done
    if command -v redis-cli >/dev/null 2>&1 && [ -n "${REDIS_KEY_PREFIX:-}" ]; then
        redis-cli -u "$REDIS_URL" --scan --pattern "${REDIS_KEY_PREFIX}*" 2>/dev/null |
            xargs -r -n 500 redis-cli -u "$REDIS_URL" unlink >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
