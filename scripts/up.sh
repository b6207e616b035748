#!/usr/bin/env bash
# `make up`: runs the whole platform on this machine for development.
#
#  1. scripts/setup.sh (PostgreSQL, Redis, role and databases);
#  2. `cargo build --release` of every service under services/ (package name =
#     directory name) plus the fleetsim and fleetctl tools, and the web dashboard
#     (dashboard/: npm ci when its lockfile changed, npm run build; skipped with a
#     warning when node/npm are missing), which analytics serves (ADR 0022);
#  3. starts each service binary with its DATABASE_URL and BIND_ADDR (127.0.0.1:<port>)
#     and the environment of scripts/env.sh, logging to .run/logs/<name>.log;
#  4. waits for each /health/ready, prints the URLs (the dashboard's first), a
#     development admin token and the development device key;
#  5. keeps running until Ctrl-C (SIGINT) or SIGTERM, then stops every service
#     gracefully (SIGTERM, up to 10 s, then SIGKILL) and exits 0.
#
# A service that exits or never becomes ready is reported with the tail of its log and
# the others keep running (so one broken service does not block work on the rest);
# up.sh exits 1 only when no service is left running. `make down` stops services left
# behind by an up.sh that was killed hard (their pids are in .run/pids/).
#
# Environment: FLEET_UP_BUILD=0 skips the cargo and dashboard builds (use what is built);
# FLEET_READY_TIMEOUT (seconds, default 120) bounds the wait for /health/ready;
# CARGO_TARGET_DIR is respected.
set -euo pipefail

LOG_TAG=up
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=dashboard.sh
. "$ROOT/scripts/dashboard.sh"

FLEET_AUTOVACUUM=ensure bash "$ROOT/scripts/setup.sh"

# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
[ -n "$JWT_SECRET" ] || die "could not create the development JWT secret in .run/jwt_secret"
DEVICE_KEY="$(fleet_device_key)" || DEVICE_KEY=""
[ -n "$DEVICE_KEY" ] || die "could not create the development device key in .run/device_key"

READY_TIMEOUT="${FLEET_READY_TIMEOUT:-120}"
LOG_DIR="$FLEET_RUN_DIR/logs"
PID_DIR="$FLEET_RUN_DIR/pids"
mkdir -p "$LOG_DIR" "$PID_DIR"

# ---------------------------------------------------------------- what to run
services=()
for name in "${FLEET_SERVICES[@]}"; do
    [ -f "services/$name/Cargo.toml" ] || continue
    if [ ! -f "services/$name/src/main.rs" ]; then
        log "services/$name has no service binary yet (src/main.rs): not started"
        continue
    fi
    services+=("$name")
done
for manifest in services/*/Cargo.toml; do
    [ -f "$manifest" ] || continue
    name="$(basename "$(dirname "$manifest")")"
    fleet_service_port "$name" >/dev/null ||
        warn "services/$name has no port in scripts/env.sh: not started"
done
[ "${#services[@]}" -gt 0 ] || die "no services found (services/<name>/Cargo.toml)"
# The alert service delivers to the development receivers (a binary of the alert
# package), started first so the first alerts find them.
build_packages=("${services[@]}")
if printf '%s\n' "${services[@]}" | grep -qx alert; then
    services=(devinbox "${services[@]}")
fi
tools=()
for name in fleetsim fleetctl; do
    [ -f "tools/$name/Cargo.toml" ] && tools+=("$name")
done

check_ports() {
    local name port owner busy=0
    for name in "${services[@]}"; do
        port="$(fleet_service_port "$name")"
        if [ "$name" = devinbox ] && port_in_use "$FLEET_DEVINBOX_SMTP_PORT"; then
            printf '[up] ERROR: port %s (devinbox SMTP) is already in use\n' \
                "$FLEET_DEVINBOX_SMTP_PORT" >&2
            busy=1
        fi
        if port_in_use "$port"; then
            owner="$(port_owner "$port")"
            printf '[up] ERROR: port %s (%s) is already in use%s\n' "$port" "$name" \
                "${owner:+ by $owner}" >&2
            busy=1
        fi
    done
    if [ "$busy" -ne 0 ]; then
        echo "[up] Is an earlier \`make up\` still running? Stop it (Ctrl-C in its terminal," \
            "or \`make down\`), or free the port(s)." >&2
        exit 1
    fi
}
check_ports

# ---------------------------------------------------------------- build
if [ "${FLEET_UP_BUILD:-1}" != 0 ]; then
    packages=()
    for name in "${build_packages[@]}" "${tools[@]}"; do
        packages+=(-p "$name")
    done
    log "cargo build --release ${packages[*]}"
    cargo build --release "${packages[@]}"
    dashboard_build || warn "the dashboard was not built: the services run without it"
fi

# Where cargo put the binaries (honours CARGO_TARGET_DIR and .cargo/config.toml).
target_dir="$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')" || true
if [ -z "$target_dir" ]; then
    target_dir="${CARGO_TARGET_DIR:-target}"
    case "$target_dir" in /*) ;; *) target_dir="$ROOT/$target_dir" ;; esac
fi
BIN_DIR="$target_dir/release"

# ---------------------------------------------------------------- run
declare -A PID=() STATE=()
running=()
STOP_REQUESTED=0

stop_all() {
    local name pids=() killed
    for name in "${running[@]+"${running[@]}"}"; do
        pids+=("${PID[$name]}")
    done
    [ "${#pids[@]}" -eq 0 ] && return 0
    log "stopping ${running[*]} (SIGTERM, up to ${STOP_TIMEOUT:-10}s)"
    # (stderr off: bash's own "Killed" job notices; we report below)
    {
        killed="$(stop_processes "${pids[@]}")"
        for name in "${running[@]}"; do
            wait "${PID[$name]}" || true
        done
    } 2>/dev/null
    for name in "${running[@]}"; do
        if printf '%s\n' "$killed" | grep -qx "${PID[$name]}"; then
            warn "$name did not stop within ${STOP_TIMEOUT:-10}s: killed"
        fi
        rm -f "$PID_DIR/$name.pid"
    done
    running=()
}
trap stop_all EXIT
trap 'STOP_REQUESTED=1' INT TERM HUP

show_log_tail() { # $1 = name
    local logfile="$LOG_DIR/$1.log"
    printf -- '----- last lines of %s -----\n' "${logfile#"$ROOT"/}" >&2
    tail -n 20 "$logfile" >&2 || true
    printf -- '-----\n' >&2
}

# Removes $1 from `running` after it exited, and reports it.
reap() {
    local name="$1" status=0 keep=() n
    { wait "${PID[$name]}" || status=$?; } 2>/dev/null
    STATE[$name]="exited($status)"
    for n in "${running[@]}"; do
        [ "$n" = "$name" ] || keep+=("$n")
    done
    running=("${keep[@]+"${keep[@]}"}")
    rm -f "$PID_DIR/$name.pid"
    warn "$name exited with status $status"
    show_log_tail "$name"
}

check_ports
launcher=()
# Own session: Ctrl-C in the terminal reaches up.sh only, which then stops each
# service once with SIGTERM.
command -v setsid >/dev/null 2>&1 && launcher=(setsid)
for name in "${services[@]}"; do
    bin="$BIN_DIR/$name"
    if [ ! -x "$bin" ]; then
        warn "$name: no binary at $bin (build failed or the package has no binary named $name): not started"
        STATE[$name]="missing"
        continue
    fi
    port="$(fleet_service_port "$name")"
    logfile="$LOG_DIR/$name.log"
    [ -f "$logfile" ] && mv -f "$logfile" "$logfile.prev"
    extra=()
    case "$name" in
        devinbox) ;;
        analytics) mapfile -t extra < <(fleet_analytics_env) ;;
        *) mapfile -t extra < <(fleet_auth_env "$name") ;;
    esac
    case "$name" in
        ingestion) extra+=("INGESTION_BOOTSTRAP_DEVICE_KEY=$DEVICE_KEY") ;;
        alert) mapfile -t -O "${#extra[@]}" extra < <(fleet_alert_env) ;;
        agent)
            extra+=("AGENT_SCHEDULING_URL=${AGENT_SCHEDULING_URL:-http://127.0.0.1:8005}"
                "AGENT_WARRANTY_URL=${AGENT_WARRANTY_URL:-http://127.0.0.1:8006}")
            ;;
        scheduling) extra+=("SCHEDULING_HEALTH_URL=${SCHEDULING_HEALTH_URL:-http://127.0.0.1:8002}") ;;
        warranty)
            extra+=("WARRANTY_DATA_DIR=${WARRANTY_DATA_DIR:-$ROOT/.run/warranty}"
                "WARRANTY_HEALTH_URL=${WARRANTY_HEALTH_URL:-http://127.0.0.1:8002}"
                "WARRANTY_INGESTION_URL=${WARRANTY_INGESTION_URL:-http://127.0.0.1:8001}"
                "WARRANTY_ALERT_URL=${WARRANTY_ALERT_URL:-http://127.0.0.1:8004}"
                "WARRANTY_SCHEDULING_URL=${WARRANTY_SCHEDULING_URL:-http://127.0.0.1:8005}")
            ;;
        devinbox)
            extra+=("DEVINBOX_SMTP_ADDR=127.0.0.1:$FLEET_DEVINBOX_SMTP_PORT"
                "DEVINBOX_HTTP_ADDR=127.0.0.1:$port")
            ;;
    esac
    # No JWT_SECRET: the services verify the analytics service's signed tokens only,
    # like in production (the development HMAC path is for tests and scripts).
    "${launcher[@]+"${launcher[@]}"}" env -u JWT_SECRET \
        DATABASE_URL="$(fleet_database_url "$name")" \
        BIND_ADDR="127.0.0.1:$port" \
        "${extra[@]+"${extra[@]}"}" \
        "$bin" </dev/null >"$logfile" 2>&1 &
    PID[$name]=$!
    echo "${PID[$name]}" >"$PID_DIR/$name.pid"
    STATE[$name]="starting"
    running+=("$name")
    log "started $name (pid ${PID[$name]}, port $port, log ${logfile#"$ROOT"/})"
done

# The readiness URL of $1 (devinbox has no database or Redis to check).
ready_url() {
    local path=/health/ready
    [ "$1" = devinbox ] && path=/health/live
    echo "http://127.0.0.1:$(fleet_service_port "$1")$path"
}

# Waits for /health/ready of every started service, within READY_TIMEOUT seconds.
deadline=$((SECONDS + READY_TIMEOUT))
while [ "$STOP_REQUESTED" -eq 0 ]; do
    waiting=0
    for name in "${running[@]+"${running[@]}"}"; do
        [ "${STATE[$name]}" = starting ] || continue
        if ! kill -0 "${PID[$name]}" 2>/dev/null; then
            reap "$name"
        elif curl -fsS -o /dev/null --max-time 2 "$(ready_url "$name")" 2>/dev/null; then
            STATE[$name]="ready"
            log "$name is ready"
        else
            waiting=1
        fi
    done
    [ "$waiting" -eq 0 ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
        for name in "${running[@]}"; do
            if [ "${STATE[$name]}" = starting ]; then
                STATE[$name]="not ready"
                warn "$name is not ready after ${READY_TIMEOUT}s (still running; /health/ready fails)"
                show_log_tail "$name"
            fi
        done
        break
    fi
    sleep 0.5 &
    wait $! || true
done
if [ "$STOP_REQUESTED" -ne 0 ]; then
    stop_all
    log "stopped"
    exit 0
fi
if [ "${#running[@]}" -eq 0 ]; then
    die "no service is running (see .run/logs/)"
fi

# ---------------------------------------------------------------- summary
rel() { case "$1" in "$ROOT"/*) echo "${1#"$ROOT"/}" ;; *) echo "$1" ;; esac; }

echo
if [ "${STATE[analytics]:-}" = ready ] && [ -f "$ROOT/dashboard/dist/index.html" ]; then
    echo "Dashboard: http://127.0.0.1:$(fleet_service_port analytics)/  (log in as the first admin below)"
else
    echo "Dashboard: not available (needs analytics running and dashboard/dist built: node and npm)"
fi
echo
printf '%-11s %-12s %-30s %-38s %s\n' SERVICE STATUS DOCS READY METRICS
for name in "${services[@]}"; do
    if [ "$name" = devinbox ]; then continue; fi
    port="$(fleet_service_port "$name")"
    base="http://127.0.0.1:$port"
    printf '%-11s %-12s %-30s %-38s %s\n' "$name" "${STATE[$name]:-?}" \
        "$base/docs" "$base/health/ready" "$base/metrics"
done
if [ -n "${STATE[devinbox]:-}" ]; then
    echo
    echo "Development receivers (devinbox, ${STATE[devinbox]}): messages at http://127.0.0.1:8025/"
    echo "  SMTP 127.0.0.1:$FLEET_DEVINBOX_SMTP_PORT, SMS/push/webhooks http://127.0.0.1:8025, JSON http://127.0.0.1:8025/api/messages"
fi
echo
echo "Logs: .run/logs/<service>.log    admin password: .run/admin_password    device key: .run/device_key"
echo

ADMIN_PASSWORD="$(fleet_admin_password)"
token=""
if [ -x "$BIN_DIR/fleetctl" ] && [ "${STATE[analytics]:-}" = ready ]; then
    token="$(FLEET_PASSWORD="$ADMIN_PASSWORD" "$BIN_DIR/fleetctl" login --email "$FLEET_ADMIN_EMAIL" \
        2>"$LOG_DIR/fleetctl.err" | tr -d '[:space:]')" || token=""
fi
# Development recipients of org `dev` (the device key's organization): alerts about
# simulated vehicles then reach devinbox by email, SMS and push. Each one missing (first
# run, or deleted since, e.g. by an API fuzzer) is added again; existing ones are kept
# as their owners left them.
seed_contacts() {
    local url=http://127.0.0.1:8004/v1/contacts existing body email added=()
    existing="$(curl -fsS --max-time 5 -H "Authorization: Bearer $token" \
        "$url?org_id=dev" 2>/dev/null)" || return 1
    for body in \
        '{"org_id":"dev","name":"Dev Owner","role":"owner","email":"owner@fleet.local","phone":"+15550100001","push_token":"dev-device-owner"}' \
        '{"org_id":"dev","name":"Dev Fleet Manager","role":"fleet_manager","email":"fleet-manager@fleet.local","phone":"+15550100002"}' \
        '{"org_id":"dev","name":"Dev Emergency Contact","role":"emergency_contact","email":"emergency@fleet.local","phone":"+15550100003"}'; do
        email="$(sed -n 's/.*"email":"\([^"]*\)".*/\1/p' <<<"$body")"
        [[ $existing == *"\"email\":\"$email\""* ]] && continue
        curl -fsS --max-time 5 -o /dev/null -H "Authorization: Bearer $token" \
            -H 'Content-Type: application/json' -d "$body" "$url" || return 1
        added+=("$email")
    done
    if [ "${#added[@]}" -gt 0 ]; then
        log "added development contacts of org dev: ${added[*]}"
    fi
}
if [ -n "$token" ] && [ "${STATE[alert]:-}" = ready ]; then
    seed_contacts || warn "could not add the development contacts (see .run/logs/alert.log)"
fi
if [ -n "$token" ] && [ "${STATE[scheduling]:-}" = ready ]; then
    bash "$ROOT/scripts/seed-scheduling.sh" "$token" dev ||
        warn "could not add the development service centers (see .run/logs/scheduling.log)"
fi
# Warranty contracts for the vehicles of the README's simulation (fleetsim's roster, so
# they exist before any telemetry does); vehicles with a contract are left alone.
if [ -n "$token" ] && [ "${STATE[warranty]:-}" = ready ] && [ -x "$BIN_DIR/fleetsim" ]; then
    FLEETSIM="$BIN_DIR/fleetsim" bash "$ROOT/scripts/seed-warranty.sh" "$token" dev ||
        warn "could not add the development warranty contracts (see .run/logs/warranty.log)"
fi

echo "First admin (analytics, http://127.0.0.1:8007): $FLEET_ADMIN_EMAIL / $ADMIN_PASSWORD"
echo "  log in with curl:"
echo "    curl -s http://127.0.0.1:8007/v1/auth/login -H 'Content-Type: application/json' \\"
echo "      -d '{\"email\":\"$FLEET_ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}'"
echo "  or take a 15-minute access token with fleetctl:"
echo "    export FLEET_TOKEN=\$(FLEET_PASSWORD=$ADMIN_PASSWORD $(rel "$BIN_DIR/fleetctl") login --email $FLEET_ADMIN_EMAIL)"
if [ -z "$token" ]; then
    warn "could not log in as $FLEET_ADMIN_EMAIL (see .run/logs/fleetctl.err and .run/logs/analytics.log)"
fi
echo "  export FLEET_DEVICE_KEY=$DEVICE_KEY"
echo
echo "Send simulated telemetry (some vehicles degrade; alerts arrive at http://127.0.0.1:8025/):"
echo "  $(rel "$BIN_DIR/fleetsim") simulate --vehicles 20 --days 14 --degrade-fraction 0.3 --url http://127.0.0.1:8001"
echo
log "running; press Ctrl-C to stop every service"

# ---------------------------------------------------------------- watch
while [ "$STOP_REQUESTED" -eq 0 ]; do
    for name in "${running[@]+"${running[@]}"}"; do
        if ! kill -0 "${PID[$name]}" 2>/dev/null; then
            reap "$name"
        elif [ "${STATE[$name]}" = "not ready" ] &&
            curl -fsS -o /dev/null --max-time 2 "$(ready_url "$name")" 2>/dev/null; then
            STATE[$name]="ready"
            log "$name is ready now"
        fi
    done
    if [ "${#running[@]}" -eq 0 ]; then
        die "every service has exited (see .run/logs/)"
    fi
    sleep 1 &
    wait $! || true
done
stop_all
log "stopped"
exit 0
