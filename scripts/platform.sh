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
#       platform_seed <token>                   contacts, fleetsim telemetry, a service
#                                               center, warranty contract and claims
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
    # Where alert's channels go: a loopback port nothing listens on. Deliveries fail
    # (and are retried) in the background; no request waits on them and nothing leaves
    # the host.
    platform_port
    DEAD_PORT="$FREE_PORT"
    # The analytics service's first admin (a person can log in as it: the dashboard).
    PLATFORM_ADMIN_EMAIL="admin@$PLATFORM_TAG.invalid"
    PLATFORM_ADMIN_PASSWORD="$(random_hex 16)"
    # Set before platform_start: PLATFORM_JWKS=1 makes every service also accept the
    # tokens analytics signs (people logging in); PLATFORM_DASHBOARD_DIR is the built
    # dashboard analytics serves.
    : "${PLATFORM_JWKS:=0}" "${PLATFORM_DASHBOARD_DIR:=}"
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

# The base URLs of the started services but analytics, as ANALYTICS_UPSTREAMS wants
# them (name=url,...): the dashboard reaches them through analytics (ADR 0022).
platform_upstreams() {
    local name out=""
    for name in "${!PORT[@]}"; do
        case "$name" in analytics | devinbox) continue ;; esac
        out="${out:+$out,}$name=$(url_of "$name")"
    done
    echo "$out"
}

# Extra environment of service $1, one NAME=value per line (a script may override it).
platform_env() {
    if [ "$PLATFORM_JWKS" = 1 ] && [ "$1" != analytics ] && [ -n "${PORT[analytics]:-}" ]; then
        echo "AUTH_JWKS_URL=$(url_of analytics)/.well-known/jwks.json"
    fi
    case "$1" in
        ingestion)
            printf '%s\n' "INGESTION_BOOTSTRAP_DEVICE_KEY=$DEVICE_KEY" "INGESTION_BOOTSTRAP_ORG=$ORG"
            ;;
        agent)
            printf '%s\n' "AGENT_HEALTH_URL=$(url_of health)" \
                "AGENT_LLM_BASE_URL=" "AGENT_LLM_MODEL=" # no model: the rules decide
            ;;
        alert)
            printf '%s\n' "ALERT_LINK_SECRET=$(random_hex 32)" \
                "ALERT_WEBHOOK_SECRET=$(random_hex 32)" \
                "ALERT_PUBLIC_URL=$(url_of alert)" \
                "ALERT_SMTP_URL=smtp://127.0.0.1:$DEAD_PORT" \
                "ALERT_SMTP_FROM=Fleet $PLATFORM_TAG <$PLATFORM_TAG@fleet.local>" \
                "ALERT_SMS_URL=http://127.0.0.1:$DEAD_PORT" \
                "ALERT_SMS_ACCOUNT_SID=AC_$PLATFORM_TAG" "ALERT_SMS_AUTH_TOKEN=$PLATFORM_TAG" \
                "ALERT_SMS_FROM=+15550000000" \
                "ALERT_PUSH_URL=http://127.0.0.1:$DEAD_PORT" \
                "ALERT_PUSH_PROJECT=fleet-$PLATFORM_TAG" "ALERT_PUSH_ACCESS_TOKEN=$PLATFORM_TAG"
            ;;
        scheduling)
            # Vehicle positions and counters from health when it runs; a short batch
            # re-planning budget, so that fuzzing /v1/plans/optimize stays quick.
            printf '%s\n' "SCHEDULING_HEALTH_URL=${PORT[health]:+$(url_of health)}" \
                "SCHEDULING_OPTIMIZE_MS=200"
            ;;
        warranty)
            # Documents and the embedded claim index in this run's folder; the vehicle
            # record from the services that run (with development service tokens).
            printf '%s\n' "WARRANTY_DATA_DIR=$WORK/warranty" \
                "WARRANTY_HEALTH_URL=${PORT[health]:+$(url_of health)}" \
                "WARRANTY_INGESTION_URL=${PORT[ingestion]:+$(url_of ingestion)}" \
                "WARRANTY_ALERT_URL=${PORT[alert]:+$(url_of alert)}" \
                "WARRANTY_SCHEDULING_URL=${PORT[scheduling]:+$(url_of scheduling)}" \
                "WARRANTY_LOOKUP_TIMEOUT_MS=1000"
            ;;
        analytics)
            printf '%s\n' "ANALYTICS_SIGNING_KEY=$(random_hex 32)" \
                "ANALYTICS_BOOTSTRAP_ADMIN_EMAIL=$PLATFORM_ADMIN_EMAIL" \
                "ANALYTICS_BOOTSTRAP_ADMIN_PASSWORD=$PLATFORM_ADMIN_PASSWORD" \
                "ANALYTICS_SERVICE_CLIENTS=agent=$(random_hex 16)" \
                "ANALYTICS_SMTP_URL=smtp://127.0.0.1:$DEAD_PORT" \
                "ANALYTICS_PUBLIC_URL=$(url_of analytics)" \
                "ANALYTICS_UPSTREAMS=$(platform_upstreams)" \
                "ANALYTICS_DASHBOARD_DIR=$PLATFORM_DASHBOARD_DIR"
            ;;
    esac
}

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

# ---------------------------------------------------------------- seed data
# The "id" of a JSON object on stdin.
platform_id_of() { python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'; }

# Fills the started services with a small world of $ORG, as admin token $1: contacts
# for the alerts, two weeks of fleetsim telemetry of four vehicles (some degrading:
# health, agent and alert derive states, decisions and alerts from it), a 24/7 service
# center with a technician, stock and an appointment, and a warranty contract with a
# claim in review (with a PDF) and an approved one. Sets SCHED_CENTER, SCHED_TECH,
# SCHED_APPOINTMENT, WARRANTY_VIN, WARRANTY_CLAIMS and WARRANTY_DOCUMENT.
platform_seed() {
    platform_seed_contacts "$1" || warn "could not add every contact"
    platform_seed_telemetry
    platform_seed_scheduling "$1"
    platform_seed_warranty "$1"
}

# Calls service $1: method $2, path $3, with token $TOKEN_OF_CALL and the curl arguments after;
# prints the answer. Fails on an HTTP error.
platform_call() {
    local name="$1" method="$2" path="$3"
    shift 3
    curl -fsS --max-time 30 -X "$method" -H "Authorization: Bearer $TOKEN_OF_CALL" "$@" \
        "$(url_of "$name")$path"
}

# An owner, a fleet manager and an emergency contact of $ORG (alert service), as
# token $1; returns 1 when one could not be added.
platform_seed_contacts() {
    local role failed=0
    [ -n "${PORT[alert]:-}" ] || return 0
    for role in owner fleet_manager emergency_contact; do
        TOKEN_OF_CALL="$1" platform_call alert POST /v1/contacts -o /dev/null \
            -H 'Content-Type: application/json' \
            -d "{\"org_id\":\"$ORG\",\"name\":\"${PLATFORM_TAG^} $role\",\"role\":\"$role\",\"email\":\"$role@$PLATFORM_TAG.invalid\",\"phone\":\"+15550100001\",\"push_token\":\"$PLATFORM_TAG-$role\"}" ||
            failed=1
    done
    return "$failed"
}

# The first simulated instant of the seed: the latest one, 14 days or more ago, at the
# same time of the week as 2026-11-22T02:30Z. fleetsim's driving follows the clock
# (days, nights, weekends), so 14 days up to "now" drove differently, and made other
# decisions, depending on when the run started (from about 03:10 UTC on a Sunday the
# seeded fleet had no proposal to approve); the same weekly phase is the same fleet.
platform_seed_start() {
    local reference week latest k
    reference="$(date -u -d '2026-11-22T02:30:00Z' +%s)"
    week=$((7 * 86400))
    latest=$(($(date -u +%s) - 14 * 86400))
    k=$(((latest - reference) / week))
    ((latest < reference && (latest - reference) % week != 0)) && k=$((k - 1))
    date -u -d "@$((reference + k * week))" +%Y-%m-%dT%H:%M:%SZ
}

platform_seed_telemetry() {
    [ -n "${PORT[ingestion]:-}" ] || return 0
    local start
    start="$(platform_seed_start)"
    log "seeding: fleetsim simulate --vehicles 4 --days 14 --start $start into ingestion"
    FLEET_DEVICE_KEY="$DEVICE_KEY" "$BIN_DIR/fleetsim" simulate --vehicles 4 --days 14 \
        --start "$start" --degrade-fraction 0.5 --seed 7 --url "$(url_of ingestion)" --quiet \
        --truth "$WORK/fleetsim-truth.json" || {
        show_log ingestion
        die "fleetsim could not send the seed telemetry to ingestion"
    }
}

# Scheduling: a 24/7 center with a technician of every skill, the common parts in
# stock and an appointment of VH-000001 a week from now at noon UTC.
platform_seed_scheduling() {
    local TOKEN_OF_CALL="$1" day shifts starts part
    SCHED_CENTER="" SCHED_TECH="" SCHED_APPOINTMENT=""
    [ -n "${PORT[scheduling]:-}" ] || return 0
    sched() { platform_call scheduling "$1" "$2" -H 'Content-Type: application/json' -d "$3"; }
    day='{"open":"00:00","close":"24:00"}'
    SCHED_CENTER="$(sched POST /v1/centers "{\"org_id\":\"$ORG\",\"name\":\"${PLATFORM_TAG^} hub\",\"lat\":41.88,\"lon\":-87.63,\"bays\":2,\"hours\":[$day,$day,$day,$day,$day,$day,$day],\"emergency\":true}" | platform_id_of)" ||
        die "could not add a scheduling center"
    shifts="$(for d in 0 1 2 3 4 5 6; do printf '{"weekday":%s,"start":"00:00","end":"24:00"},' "$d"; done)"
    SCHED_TECH="$(sched POST /v1/technicians "{\"center_id\":\"$SCHED_CENTER\",\"name\":\"${PLATFORM_TAG^} tech\",\"skills\":[\"general\",\"brakes\",\"electrical\",\"engine\",\"aftertreatment\",\"transmission\",\"tires\"],\"shifts\":[${shifts%,}]}" | platform_id_of)" ||
        die "could not add a scheduling technician"
    # Parts of the common repairs, so that the agent's decisions get slots to offer.
    for part in brake_pad_set battery_12v coolant_5l oil_filter; do
        sched PUT "/v1/centers/$SCHED_CENTER/stock/$part" '{"on_hand":10,"lead_time_hours":24}' >/dev/null ||
            die "could not set scheduling stock of $part"
    done
    # Noon UTC a week from now: a job never spans midnight (a start "now + 7 days"
    # after 23:00 UTC was refused with 409).
    starts="$(date -u -d "$(date -u -d '+7 days' +%F) 12:00" +%Y-%m-%dT%H:%M:%SZ)"
    SCHED_APPOINTMENT="$(sched POST /v1/appointments "{\"org_id\":\"$ORG\",\"vehicle_id\":\"VH-000001\",\"center_id\":\"$SCHED_CENTER\",\"starts_at\":\"$starts\",\"skill\":\"general\",\"duration_minutes\":60,\"title\":\"${PLATFORM_TAG^} check\"}" | platform_id_of)" ||
        die "could not book a scheduling appointment"
    log "seeded scheduling: center $SCHED_CENTER, technician $SCHED_TECH, appointment $SCHED_APPOINTMENT"
}

# Warranty: VH-000001's contract, a claim of it in review with a PDF, and an approved
# one (to pay and close).
platform_seed_warranty() {
    local TOKEN_OF_CALL="$1" started claim in_review approved
    WARRANTY_VIN="1HGCM82633A004352" WARRANTY_CLAIMS="" WARRANTY_DOCUMENT=""
    [ -n "${PORT[warranty]:-}" ] || return 0
    warranty() { platform_call warranty "$@"; }
    started="$(date -u -d '365 days ago' +%F)"
    warranty PUT /v1/contracts/VH-000001 -H 'Content-Type: application/json' \
        -d "{\"org_id\":\"$ORG\",\"vin\":\"$WARRANTY_VIN\",\"start_date\":\"$started\",\"start_odometer_km\":1000,\"deductible\":100,\"currency\":\"USD\"}" >/dev/null ||
        die "could not set a warranty contract"
    claim="{\"org_id\":\"$ORG\",\"vehicle_id\":\"VH-000001\",\"vin\":\"$WARRANTY_VIN\",\"component\":\"cooling\",\"failure_date\":\"$(date -u -d '10 days ago' +%F)\",\"odometer_km\":20000,\"description\":\"coolant leaking from the water pump\",\"shop\":{\"id\":\"SHOP-1\",\"name\":\"${PLATFORM_TAG^} garage\",\"region\":\"US-IL\"},\"cost\":{\"parts\":[{\"part\":\"water_pump\",\"quantity\":1,\"unit_price\":300}],\"labour_hours\":2,\"labour_rate\":100,\"currency\":\"USD\"}}"
    printf '%%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%%%EOF\n' >"$WORK/invoice.pdf"
    WARRANTY_DOCUMENT="$(sha256sum "$WORK/invoice.pdf" | cut -d' ' -f1)"
    in_review="$(warranty POST /v1/claims -F "claim=$claim;type=application/json" \
        -F "document=@$WORK/invoice.pdf;type=application/pdf" | platform_id_of)" ||
        die "could not file a warranty claim"
    approved="$(warranty POST /v1/claims -H 'Content-Type: application/json' -d "$claim" | platform_id_of)" ||
        die "could not file a second warranty claim"
    warranty POST "/v1/claims/$approved/decision" -H 'Content-Type: application/json' \
        -d "{\"decision\":\"approve\",\"note\":\"seeded for $PLATFORM_TAG\"}" >/dev/null ||
        die "could not approve the seeded warranty claim"
    WARRANTY_CLAIMS="$in_review $approved"
    log "seeded warranty: contract of VH-000001, claims $WARRANTY_CLAIMS, document $WARRANTY_DOCUMENT"
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
