#!/usr/bin/env bash
# The API fuzzing step of `make test` (run by scripts/test.sh after cargo test; alone:
# `bash scripts/api-fuzz.sh`). Fails when any service answers a 5xx or dies:
#
#  1. installs schemathesis (pinned) into a virtualenv outside the clone, kept between
#     runs ($FLEET_FUZZ_VENV, default ~/.cache/fleet-platform-venv);
#  2. builds the debug binaries (a no-op right after cargo test);
#  3. starts ingestion, health, agent and alert on free loopback ports from 18101 (never
#     the 8001-8004 of a developer's `make up`), each on a database of its own created
#     for this run, test_fuzz_<service>_<run> (a test_% name: if this run is killed,
#     setup.sh / `make clean-db` drop it), with a fresh Redis key prefix, JWT secret,
#     organization fuzz-<run> and device key: the fuzzing cannot reach anybody's data;
#  4. runs `schemathesis run` against each service's /openapi.json as the admin of
#     that organization (and, for ingestion, its device), with the not_a_server_error
#     check only: we gate on server errors, not on conformance nits;
#  5. on exit, whatever happened: stops the services, drops the databases and the
#     Redis keys, and prints a summary per service (with the service's errors and the
#     tail of its log when it failed).
#
# Environment:
#   FLEET_FUZZ_MAX_EXAMPLES  test cases per operation and phase (default 100: about 75 s
#                            for the four services on 2 cores)
#   FLEET_FUZZ_WORKERS       concurrent schemathesis workers (default 2)
#   FLEET_FUZZ_SEED          generation seed (default fixed, so a run is repeatable for
#                            the same code; `random` for a new one each run)
#   FLEET_FUZZ_SERVICES      which services to fuzz (default "ingestion health agent alert")
#   FLEET_FUZZ_TIMEOUT       seconds one service's run may take before it fails (300)
#   FLEET_FUZZ_VENV          the virtualenv (default ~/.cache/fleet-platform-venv)
#   FLEET_FUZZ_BUILD=0       skip the cargo build (use the debug binaries already built)
#   FLEET_FUZZ_ARTIFACTS     a directory to keep each service's log and schemathesis's
#                            reports in (JUnit, and HAR: every request and answer)
#   FLEET_READY_TIMEOUT      seconds to wait for /health/ready (default 120)
set -euo pipefail

LOG_TAG=fuzz
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
# For TEST_DATABASE_URL, REDIS_URL, RUST_LOG and cargo on PATH. Its JWT_SECRET and
# REDIS_PREFIX (the development ones) are not used: each service gets fresh ones below.
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"

# Bumped by hand: a new schemathesis may find new things, which should happen in a
# change of its own rather than on an unrelated CI run.
SCHEMATHESIS_VERSION=4.32.5
VENV="${FLEET_FUZZ_VENV:-$HOME/.cache/fleet-platform-venv}"
MAX_EXAMPLES="${FLEET_FUZZ_MAX_EXAMPLES:-100}"
WORKERS="${FLEET_FUZZ_WORKERS:-2}"
SEED="${FLEET_FUZZ_SEED:-20260101}"
FUZZ_TIMEOUT="${FLEET_FUZZ_TIMEOUT:-300}"
READY_TIMEOUT="${FLEET_READY_TIMEOUT:-120}"
ARTIFACTS="${FLEET_FUZZ_ARTIFACTS:-}"
if [ -n "$ARTIFACTS" ]; then
    mkdir -p "$ARTIFACTS"
    ARTIFACTS="$(cd "$ARTIFACTS" && pwd)"
fi
read -r -a SERVICES <<<"${FLEET_FUZZ_SERVICES:-ingestion health agent alert}"
FIRST_PORT=18101

for name in "${SERVICES[@]}"; do
    case "$name" in
        ingestion | health | agent | alert) ;;
        *) die "FLEET_FUZZ_SERVICES: unknown service '$name' (ingestion, health, agent, alert)" ;;
    esac
done
# The agent asks health for vehicle states: health runs (unfuzzed) whenever agent does.
RUN=("${SERVICES[@]}")
if printf '%s\n' "${SERVICES[@]}" | grep -qx agent && ! printf '%s\n' "${SERVICES[@]}" | grep -qx health; then
    RUN=(health "${RUN[@]}")
fi

# ---------------------------------------------------------------- schemathesis
# Prints the path of a working schemathesis of the pinned version, installing it first
# when needed (a missing or broken virtualenv, another version).
schemathesis_bin() {
    local bin="$VENV/bin/schemathesis" have=""
    have="$("$bin" --version 2>/dev/null | awk '{print $NF}')" || have=""
    if [ "$have" = "$SCHEMATHESIS_VERSION" ]; then
        echo "$bin"
        return 0
    fi
    command -v python3 >/dev/null 2>&1 || die "python3 is required to run schemathesis (apt-get install python3 python3-venv)"
    if [ ! -x "$VENV/bin/pip" ] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
        log "creating the virtualenv $VENV" >&2
        rm -rf "$VENV"
        mkdir -p "$(dirname "$VENV")"
        if ! python3 -m venv "$VENV" >&2; then
            # Debian ships venv's pip bootstrap separately.
            rm -rf "$VENV"
            log "python3 -m venv failed: installing python3-venv" >&2
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >&2 ||
                die "could not install python3-venv"
            python3 -m venv "$VENV" >&2 || die "python3 -m venv $VENV failed"
        fi
    fi
    log "installing schemathesis==$SCHEMATHESIS_VERSION into $VENV" >&2
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2 ||
        die "pip install schemathesis==$SCHEMATHESIS_VERSION failed (is PyPI reachable?)"
    have="$("$bin" --version 2>/dev/null | awk '{print $NF}')" || have=""
    [ "$have" = "$SCHEMATHESIS_VERSION" ] || die "$bin --version says '$have', expected $SCHEMATHESIS_VERSION"
    echo "$bin"
}

# Two runs at once (two clones) must not install into the same virtualenv together.
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
command -v flock >/dev/null 2>&1 && flock 9
SCHEMATHESIS="$(schemathesis_bin)"
exec 9>&-
log "$("$SCHEMATHESIS" --version) ($SCHEMATHESIS)"

# ---------------------------------------------------------------- binaries
if [ "${FLEET_FUZZ_BUILD:-1}" != 0 ]; then
    packages=()
    for name in "${RUN[@]}" fleetctl; do packages+=(-p "$name"); done
    log "cargo build ${packages[*]}"
    cargo build --locked "${packages[@]}"
fi
# Where cargo put the binaries (honours CARGO_TARGET_DIR and .cargo/config.toml).
target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')" || true
if [ -z "$target_dir" ]; then
    target_dir="${CARGO_TARGET_DIR:-target}"
    case "$target_dir" in /*) ;; *) target_dir="$ROOT/$target_dir" ;; esac
fi
BIN_DIR="$target_dir/debug"
for name in "${RUN[@]}" fleetctl; do
    [ -x "$BIN_DIR/$name" ] || die "no binary at $BIN_DIR/$name (cargo build -p $name)"
done

# ---------------------------------------------------------------- this run's world
random_hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

RUN_ID="$(random_hex 6)"
ORG="fuzz-$RUN_ID"
REDIS_KEY_PREFIX="fuzz:$RUN_ID:"
FUZZ_JWT_SECRET="$(random_hex 32)"
DEVICE_KEY="fk_fuzz_$(random_hex 16)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fleet-fuzz.XXXXXX")"
# The role of the test helpers (shared-runtime fresh_database): it may create databases.
ADMIN_DB_URL="$TEST_DATABASE_URL"
DB_BASE_URL="${ADMIN_DB_URL%/*}"

declare -A PID=() PORT=() DB=() RESULT=() ELAPSED=() CASES=()
DATABASES=()
STARTED=()

psql_fleet() { psql -X -q -w -v ON_ERROR_STOP=1 "$ADMIN_DB_URL" "$@"; }

cleanup() {
    local status=$? name pids=() killed fuzz_group
    trap - EXIT INT TERM HUP
    # A schemathesis still running (this script was interrupted): `timeout` leads a
    # process group of its own, schemathesis and its workers included.
    if [ -s "$WORK/fuzz.pid" ]; then
        fuzz_group="-$(cat "$WORK/fuzz.pid")"
        kill -TERM -- "$fuzz_group" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 -- "$fuzz_group" 2>/dev/null || break
            sleep 0.3
        done
        kill -KILL -- "$fuzz_group" 2>/dev/null || true
    fi
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
    # Streams, dedupe keys and consumer groups of this run.
    if command -v redis-cli >/dev/null 2>&1; then
        redis-cli -u "$REDIS_URL" --scan --pattern "${REDIS_KEY_PREFIX}*" 2>/dev/null |
            xargs -r -n 500 redis-cli -u "$REDIS_URL" unlink >/dev/null 2>&1 || true
    fi
    if [ -n "$ARTIFACTS" ]; then
        cp -f "$WORK"/*.log "$ARTIFACTS/" 2>/dev/null || true
        log "service logs and schemathesis reports in $ARTIFACTS"
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

log "run $RUN_ID: organization $ORG, Redis prefix $REDIS_KEY_PREFIX, databases test_fuzz_<service>_$RUN_ID"

# ---------------------------------------------------------------- start the services
next_port=$FIRST_PORT
free_port() {
    while port_in_use "$next_port"; do next_port=$((next_port + 1)); done
    echo "$next_port"
    next_port=$((next_port + 1))
}

for name in "${RUN[@]}"; do
    PORT[$name]="$(free_port)"
    next_port=$((PORT[$name] + 1))
done
# Where alert's channels go: a loopback port nothing listens on. Deliveries fail (and
# are retried) in the background; no request waits on them and nothing leaves the host.
DEAD_PORT="$(free_port)"

for name in "${RUN[@]}"; do
    db="test_fuzz_${name}_$RUN_ID"
    psql_fleet -v db="$db" <<'SQL' || die "cannot create database $db as ${ADMIN_DB_URL%%:*}://…/${ADMIN_DB_URL##*/} (run scripts/setup.sh)"
CREATE DATABASE :"db";
SQL
    DATABASES+=("$db")
    DB[$name]="$db"
done

launcher=()
# Own session: Ctrl-C reaches this script only, which stops each service once.
command -v setsid >/dev/null 2>&1 && launcher=(setsid)
for name in "${RUN[@]}"; do
    extra=()
    case "$name" in
        ingestion)
            extra+=("INGESTION_BOOTSTRAP_DEVICE_KEY=$DEVICE_KEY" "INGESTION_BOOTSTRAP_ORG=$ORG")
            ;;
        agent)
            extra+=("AGENT_HEALTH_URL=http://127.0.0.1:${PORT[health]}"
                # No model: the rules decide (a configured provider would be called).
                "AGENT_LLM_BASE_URL=" "AGENT_LLM_MODEL=")
            ;;
        alert)
            extra+=("ALERT_LINK_SECRET=$(random_hex 32)"
                "ALERT_WEBHOOK_SECRET=$(random_hex 32)"
                "ALERT_PUBLIC_URL=http://127.0.0.1:${PORT[alert]}"
                "ALERT_SMTP_URL=smtp://127.0.0.1:$DEAD_PORT"
                "ALERT_SMTP_FROM=Fleet fuzz <fuzz@fleet.local>"
                "ALERT_SMS_URL=http://127.0.0.1:$DEAD_PORT"
                "ALERT_SMS_ACCOUNT_SID=AC_fuzz"
                "ALERT_SMS_AUTH_TOKEN=fuzz"
                "ALERT_SMS_FROM=+15550000000"
                "ALERT_PUSH_URL=http://127.0.0.1:$DEAD_PORT"
                "ALERT_PUSH_PROJECT=fleet-fuzz"
                "ALERT_PUSH_ACCESS_TOKEN=fuzz")
            ;;
    esac
    "${launcher[@]+"${launcher[@]}"}" env \
        DATABASE_URL="$DB_BASE_URL/${DB[$name]}" \
        BIND_ADDR="127.0.0.1:${PORT[$name]}" \
        REDIS_URL="$REDIS_URL" \
        REDIS_PREFIX="$REDIS_KEY_PREFIX" \
        JWT_SECRET="$FUZZ_JWT_SECRET" \
        RUST_LOG="$RUST_LOG" \
        "${extra[@]+"${extra[@]}"}" \
        "$BIN_DIR/$name" </dev/null >"$WORK/$name.log" 2>&1 &
    PID[$name]=$!
    STARTED+=("$name")
    log "started $name (pid ${PID[$name]}, http://127.0.0.1:${PORT[$name]}, database ${DB[$name]})"
done

# Prints the error and warning lines of $1's log (what a 5xx logged: the handler's
# error with its cause), then the last lines of the log.
show_log() {
    local name="$1" errors
    errors="$(grep -E '"level":"(ERROR|WARN)"|panicked' "$WORK/$name.log" |
        sed 's/^{"timestamp":"[^"]*",//' | cut -c1-600 | awk '!seen[$0]++' | tail -n 30 || true)"
    if [ -n "$errors" ]; then
        printf -- '----- %s: distinct errors and warnings in its log (last 30, cut at 600 characters) -----\n%s\n' \
            "$name" "$errors"
    fi
    printf -- '----- %s: last 20 lines of its log -----\n' "$name"
    tail -n 20 "$WORK/$name.log" | cut -c1-600 || true
    printf -- '-----\n'
}

alive() { kill -0 "${PID[$1]}" 2>/dev/null; }

deadline=$((SECONDS + READY_TIMEOUT))
for name in "${RUN[@]}"; do
    until curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:${PORT[$name]}/health/ready" 2>/dev/null; do
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
log "ready: $(for n in "${RUN[@]}"; do printf '%s ' "$n=${PORT[$n]}"; done)"

TOKEN="$(JWT_SECRET="$FUZZ_JWT_SECRET" "$BIN_DIR/fleetctl" token --role admin --org "$ORG" \
    --sub fuzz-admin --ttl 2h | tr -d '[:space:]')" || TOKEN=""
[ -n "$TOKEN" ] || die "could not mint an admin token with fleetctl"

# ---------------------------------------------------------------- fuzz
seed_args=()
[ "$SEED" = random ] || seed_args=(--seed "$SEED")

# $1 = service; the service's own options after the common ones.
fuzz() {
    local name="$1" start status shown out="$WORK/$1.fuzz"
    local -a args=(
        run "http://127.0.0.1:${PORT[$name]}/openapi.json"
        --checks not_a_server_error
        --max-examples "$MAX_EXAMPLES"
        --workers "$WORKERS"
        "${seed_args[@]+"${seed_args[@]}"}"
        # Generated data stays in this run ($WORK), not in a .hypothesis/ of the clone.
        --generation-database none
        # A request slower than this is an error: handlers should not hang.
        --request-timeout 20
        --no-color
        -H "Authorization: Bearer $TOKEN"
    )
    if [ -n "$ARTIFACTS" ]; then
        args+=(--report "junit,har" --report-junit-path "$ARTIFACTS/$name.junit.xml"
            --report-har-path "$ARTIFACTS/$name.har")
    fi
    case "$name" in
        ingestion)
            # Devices post telemetry with their key; admins use the bearer token.
            args+=(-H "x-api-key: $DEVICE_KEY")
            ;;
        alert)
            # A server-sent event stream: the answer never ends, so every case would
            # time out.
            args+=(--exclude-path /v1/alerts/stream)
            ;;
    esac
    shown="$(printf '%q ' "${args[@]}")"
    shown="${shown//"$TOKEN"/\$TOKEN}"
    printf '\n---------- %s: schemathesis %s\n' "$name" "${shown//"$DEVICE_KEY"/\$DEVICE_KEY}"
    start=$SECONDS
    # In the background, waited for, so that a signal to this script is handled at once
    # (cleanup stops it through fuzz.pid). From $WORK: schemathesis reads a
    # schemathesis.toml from its working directory, and must find none of ours.
    rm -f "$out.rc"
    {
        (
            cd "$WORK"
            echo "$BASHPID" >"$WORK/fuzz.pid"
            exec timeout --kill-after=10 "$FUZZ_TIMEOUT" "$SCHEMATHESIS" "${args[@]}"
        ) </dev/null 2>&1
        echo "$?" >"$out.rc"
    } | tee "$out" &
    wait "$!" || true
    rm -f "$WORK/fuzz.pid"
    status="$(cat "$out.rc" 2>/dev/null || echo 1)"
    ELAPSED[$name]=$((SECONDS - start))
    CASES[$name]="$(grep -Eo '[0-9]+ (test cases|generated)[^,]*' "$out" | tail -n1 || true)"
    if ! alive "$name"; then
        RESULT[$name]="CRASHED"
    elif [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        RESULT[$name]="TIMED OUT after ${FUZZ_TIMEOUT}s"
    elif [ "$status" -ne 0 ]; then
        RESULT[$name]="FAILED (schemathesis exit $status)"
    else
        RESULT[$name]="passed"
    fi
}

total_start=$SECONDS
failed=0
for name in "${SERVICES[@]}"; do
    fuzz "$name"
    if [ "${RESULT[$name]}" != passed ]; then
        failed=1
        show_log "$name"
    fi
done
# A service only started for another (health for agent) must have survived too.
for name in "${RUN[@]}"; do
    if [ -z "${RESULT[$name]:-}" ] && ! alive "$name"; then
        RESULT[$name]="CRASHED"
        failed=1
        show_log "$name"
    fi
done

printf '\n==================== API fuzzing summary (schemathesis %s, %s examples, seed %s) ====================\n' \
    "$SCHEMATHESIS_VERSION" "$MAX_EXAMPLES" "$SEED"
passed=0
for name in "${RUN[@]}"; do
    if [ -z "${ELAPSED[$name]:-}" ]; then
        printf '%-10s %-34s        (not fuzzed: started for agent)\n' "$name" "${RESULT[$name]:-running}"
        continue
    fi
    printf '%-10s %-34s %4ss  %s\n' "$name" "${RESULT[$name]}" "${ELAPSED[$name]}" "${CASES[$name]:-}"
    [ "${RESULT[$name]}" = passed ] && passed=$((passed + 1))
done
printf 'total %ss\n' "$((SECONDS - total_start))"
echo "api-fuzz: $passed passed, $((${#SERVICES[@]} - passed)) failed"
if [ "$failed" -ne 0 ]; then
    die "API fuzzing found server errors or crashes: see the failures above (each with a curl command to reproduce it) and the services' errors"
fi
