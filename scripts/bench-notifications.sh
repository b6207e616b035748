#!/usr/bin/env bash
# The notification budget, end to end (ADR 0010; figures in docs/benchmarks.md):
#
#  1. a private platform (scripts/platform.sh, release binaries): ingestion, health,
#     agent (rules), alert and devinbox, on spare ports and databases of their own;
#     ingestion takes readings up to 100 days old; escalation delays are long (as if
#     the first recipient acknowledged: escalations would add messages only for
#     unacknowledged alerts); an owner, a fleet manager and an emergency contact;
#  2. `fleetsim simulate` of the fleet (default: 200 vehicles, 90 days, 30 % degraded,
#     seed 42: the detection benchmark's fleet) into ingestion, with its truth file,
#     paced (--speedup) so that health keeps up: a backlog longer than the stream's
#     cap (STREAM_MAX_LEN) would be trimmed before health reads it (issue 20), and the
#     run checks that nothing was;
#  3. waits until every consumer group has read and acknowledged everything and the
#     alert service has nothing left to send;
#  4. `fleetsim notifications`: every message the platform recorded as sent, per
#     channel, about injected faults and about the rest, and each fault's lead.
#
#     bash scripts/bench-notifications.sh [vehicles] [days] [seed]
#
# Takes about 25 minutes for the default fleet on two cores (4.7 million readings at
# about 3,600/s). Environment: FLEET_BENCH_BUILD=0 skips the cargo build;
# FLEET_BENCH_SPEEDUP (default 6000) paces simulated time against the wall clock.
set -euo pipefail

LOG_TAG=bench
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
# shellcheck source=platform.sh
. "$ROOT/scripts/platform.sh"

VEHICLES="${1:-200}"
DAYS="${2:-90}"
SEED="${3:-42}"
SPEEDUP="${FLEET_BENCH_SPEEDUP:-6000}"
FIRST_PORT=18201

if [ "${FLEET_BENCH_BUILD:-1}" != 0 ]; then
    log "cargo build --release (services, fleetsim, fleetctl)"
    cargo build --release --locked -p ingestion -p health -p agent -p alert -p fleetsim -p fleetctl
fi
platform_init bench release
trap 'platform_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

platform_env() {
    case "$1" in
        devinbox)
            printf '%s\n' "DEVINBOX_SMTP_ADDR=127.0.0.1:$SMTP_PORT" "DEVINBOX_HTTP_ADDR=$(url_of devinbox | sed 's#http://##')"
            ;;
        ingestion)
            printf '%s\n' "INGESTION_BOOTSTRAP_DEVICE_KEY=$DEVICE_KEY" "INGESTION_BOOTSTRAP_ORG=$ORG" \
                "INGESTION_MAX_AGE_S=$(((DAYS + 10) * 86400))"
            ;;
        agent)
            printf '%s\n' "AGENT_HEALTH_URL=$(url_of health)" "AGENT_LLM_BASE_URL=" "AGENT_LLM_MODEL="
            ;;
        alert)
            printf '%s\n' "ALERT_LINK_SECRET=$(random_hex 32)" "ALERT_WEBHOOK_SECRET=$(random_hex 32)" \
                "ALERT_PUBLIC_URL=$(url_of alert)" \
                "ALERT_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT" "ALERT_SMTP_FROM=Fleet bench <bench@fleet.local>" \
                "ALERT_SMS_URL=$(url_of devinbox)/twilio" "ALERT_SMS_ACCOUNT_SID=AC_bench" \
                "ALERT_SMS_AUTH_TOKEN=bench" "ALERT_SMS_FROM=+15550000000" \
                "ALERT_PUSH_URL=$(url_of devinbox)/fcm" "ALERT_PUSH_PROJECT=fleet-bench" \
                "ALERT_PUSH_ACCESS_TOKEN=bench" \
                "ALERT_ESCALATION_DELAYS=warning=87600h,critical=87600h,emergency=87600h"
            ;;
    esac
}
platform_port
SMTP_PORT="$FREE_PORT"
# devinbox first: the alert service's first messages find it.
platform_start devinbox ingestion health agent alert
platform_wait_ready
TOKEN="$(platform_token 12h)"

platform_seed_contacts "$TOKEN" || die "could not add the contacts of $ORG"

log "fleetsim simulate --vehicles $VEHICLES --days $DAYS --seed $SEED --degrade-fraction 0.3 --speedup $SPEEDUP"
start=$SECONDS
FLEET_DEVICE_KEY="$DEVICE_KEY" "$BIN_DIR/fleetsim" simulate --vehicles "$VEHICLES" --days "$DAYS" \
    --seed "$SEED" --degrade-fraction 0.3 --speedup "$SPEEDUP" --url "$(url_of ingestion)" \
    --quiet --truth "$WORK/truth.json"

# Every consumer group of the run has read (lag 0) and acknowledged (pending 0)
# everything, and the alert service sent or gave up on every delivery.
drained() {
    local key groups
    for key in $(redis-cli -u "$REDIS_URL" --scan --pattern "${REDIS_KEY_PREFIX}stream:*"); do
        groups="$(redis-cli -u "$REDIS_URL" --json XINFO GROUPS "$key")"
        if printf '%s' "$groups" | grep -Eq '"(lag|pending)":[1-9]'; then
            return 1
        fi
    done
    [ "$(psql -X -q -w -Atc "SELECT count(*) FROM deliveries WHERE status IN ('pending','sending')" \
        "$DB_BASE_URL/${DB[alert]}" 2>/dev/null || echo 1)" = 0 ]
}
quiet=0
while [ "$quiet" -lt 5 ]; do
    sleep 2
    if drained; then quiet=$((quiet + 1)); else quiet=0; fi
    for name in ingestion health agent alert; do
        alive "$name" || {
            show_log "$name"
            die "$name died"
        }
    done
done
log "pipeline drained $((SECONDS - start)) s after the simulation started"
# Health must have read every accepted reading (none trimmed from the stream unread).
telemetry="$(redis-cli -u "$REDIS_URL" --json XINFO STREAM "${REDIS_KEY_PREFIX}stream:vehicle.telemetry.received")"
added="$(printf '%s' "$telemetry" | sed -n 's/.*"entries-added":\([0-9]*\).*/\1/p')"
read_by_health="$(redis-cli -u "$REDIS_URL" --json XINFO GROUPS "${REDIS_KEY_PREFIX}stream:vehicle.telemetry.received" |
    sed -n 's/.*"name":"health"[^}]*"entries-read":\([0-9]*\).*/\1/p')"
if [ -z "$added" ] || [ "$added" != "$read_by_health" ]; then
    die "health read $read_by_health of $added readings: the rest was trimmed from the stream unread (slow the simulation down: FLEET_BENCH_SPEEDUP)"
fi
log "health read all $added readings"

FLEET_ADMIN_TOKEN="$TOKEN" "$BIN_DIR/fleetsim" notifications --truth "$WORK/truth.json" \
    --alert-url "$(url_of alert)" --agent-url "$(url_of agent)"
