#!/usr/bin/env bash
# The browser step of `make test` (scripts/test.sh runs it after API fuzzing; alone:
# `bash scripts/ui-test.sh`). Fails when a Playwright test fails:
#
#  1. builds the debug binaries (a no-op right after cargo test) and the dashboard
#     (npm ci when the lockfile changed, npm run build);
#  2. starts a private platform (scripts/platform.sh: every service on free loopback
#     ports from 18201, fresh test_ui_<service>_<run> databases, a fresh Redis prefix),
#     with analytics serving the built dashboard and forwarding /api/<service>/ to the
#     others, and every service accepting the tokens analytics signs;
#  3. seeds it like the API fuzzing does (platform.sh: a service center, fleetsim
#     telemetry, a warranty contract and claims), then adds people who log in with a
#     password: a fleet manager, a technician of the seeded center and an owner of
#     organization ui-<run>, and the fleet manager of a second organization;
#  4. runs Playwright (@playwright/test from npm) in Debian's Chromium
#     (/usr/bin/chromium, never a downloaded browser): dashboard/tests/;
#  5. on exit stops everything and drops the databases and Redis keys.
#
# Environment:
#   FLEET_UI_BUILD=0         skip the cargo build (use the debug binaries already built)
#   FLEET_UI_SCREENSHOTS=1   write the screenshots into docs/screenshots/ (default: into
#                            the run's folder, so a test run leaves the clone clean)
#   FLEET_CHROMIUM           the browser (default /usr/bin/chromium)
#   FLEET_UI_KEEP=1          keep the platform running after the tests, until Ctrl-C
#   FLEET_READY_TIMEOUT      seconds to wait for /health/ready (default 120)
set -euo pipefail

LOG_TAG=ui
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
# shellcheck source=platform.sh
. "$ROOT/scripts/platform.sh"
# shellcheck source=dashboard.sh
. "$ROOT/scripts/dashboard.sh"

CHROMIUM="${FLEET_CHROMIUM:-/usr/bin/chromium}"
[ -x "$CHROMIUM" ] || die "no Chromium at $CHROMIUM: run scripts/setup.sh (installs the chromium package) or set FLEET_CHROMIUM"
command -v python3 >/dev/null 2>&1 || die "python3 is required (apt-get install python3)"
SERVICES=(ingestion health agent alert scheduling warranty analytics)
FIRST_PORT=18201

# ---------------------------------------------------------------- build
if [ "${FLEET_UI_BUILD:-1}" != 0 ]; then
    packages=()
    for name in "${SERVICES[@]}" fleetctl fleetsim; do packages+=(-p "$name"); done
    log "cargo build ${packages[*]}"
    cargo build --locked "${packages[@]}"
fi
dashboard_build || die "could not build the dashboard (see above)"

# ---------------------------------------------------------------- the platform
platform_init ui debug
trap 'platform_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
PLATFORM_JWKS=1
PLATFORM_DASHBOARD_DIR="$ROOT/dashboard/dist"
log "run $RUN_ID: organization $ORG, Redis prefix $REDIS_KEY_PREFIX, databases test_ui_<service>_$RUN_ID"
platform_start "${SERVICES[@]}"
platform_wait_ready
TOKEN="$(platform_token 2h)" || TOKEN=""
[ -n "$TOKEN" ] || die "could not mint an admin token with fleetctl"
# platform_seed's parts, the service center first: the proposals the agent's decisions
# lead to then have slots to offer (the owner approves one).
platform_seed_contacts "$TOKEN"
platform_seed_scheduling "$TOKEN"
platform_seed_telemetry
platform_seed_warranty "$TOKEN"
# A claim of VH-000002 much like VH-000001's, filed after them: the reviewer sees
# VH-000001's claims as its similar past claims (the index skips claims of the same VIN).
lookalike="{\"org_id\":\"$ORG\",\"vehicle_id\":\"VH-000002\",\"vin\":\"2HGCM82633A004353\",\"component\":\"cooling\",\"failure_date\":\"$(date -u -d '3 days ago' +%F)\",\"odometer_km\":21000,\"description\":\"coolant leaking from the water pump\",\"shop\":{\"id\":\"SHOP-1\",\"name\":\"Ui garage\",\"region\":\"US-IL\"},\"cost\":{\"parts\":[{\"part\":\"water_pump\",\"quantity\":1,\"unit_price\":300}],\"labour_hours\":2,\"labour_rate\":100,\"currency\":\"USD\"}}"
TOKEN_OF_CALL="$TOKEN" platform_call warranty PUT /v1/contracts/VH-000002 -H 'Content-Type: application/json' \
    -d "{\"org_id\":\"$ORG\",\"vin\":\"2HGCM82633A004353\",\"start_date\":\"$(date -u -d '365 days ago' +%F)\",\"start_odometer_km\":1000,\"deductible\":100,\"currency\":\"USD\"}" >/dev/null ||
    die "could not set the look-alike's warranty contract"
TOKEN_OF_CALL="$TOKEN" platform_call warranty POST /v1/claims -H 'Content-Type: application/json' \
    -d "$lookalike" >/dev/null || die "could not file the look-alike warranty claim"

# A preventive service of VH-000001 that is due (done 400 days ago, yearly), checked
# now: a proposal for the owner to approve that does not hang on what the agent made
# of the seeded telemetry (its faults may have gone critical and been booked at once).
TOKEN_OF_CALL="$TOKEN" platform_call scheduling POST /v1/maintenance-plans -H 'Content-Type: application/json' \
    -d "{\"org_id\":\"$ORG\",\"vehicle_ids\":[\"VH-000001\"],\"title\":\"Yearly service\",\"skill\":\"general\",\"duration_minutes\":60,\"parts\":{\"oil_filter\":1},\"every_days\":365,\"last_done_at\":\"$(date -u -d '400 days ago' +%Y-%m-%dT%H:%M:%SZ)\"}" >/dev/null ||
    die "could not add a maintenance plan"
TOKEN_OF_CALL="$TOKEN" platform_call scheduling POST /v1/maintenance-plans/check -H 'Content-Type: application/json' \
    -d "{\"org_id\":\"$ORG\"}" >/dev/null || die "could not check the maintenance plans"

# ---------------------------------------------------------------- people
OTHER_ORG="$ORG-other"
PASSWORD="ui-$(random_hex 12)"
as_admin() { # $1 = method, $2 = url, $3 = body
    curl -fsS --max-time 20 -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' -d "$3" "$2"
}
analytics="$(url_of analytics)"
for org in "$ORG" "$OTHER_ORG"; do
    as_admin POST "$analytics/v1/orgs" "{\"id\":\"$org\",\"name\":\"UI test $org\"}" >/dev/null ||
        die "could not create organization $org"
done
# The owner's vehicles: VH-000001 (the warranty contract, the due service) and the
# first with a proposal of slots (the service's, or an agent's non-critical decision).
PROPOSAL_VEHICLE="$(URL="$(url_of scheduling)" TOKEN="$TOKEN" python3 - <<'PY'
import json, os, time, urllib.request
deadline = time.monotonic() + 120
while True:
    req = urllib.request.Request(os.environ["URL"] + "/v1/proposals", headers={"Authorization": "Bearer " + os.environ["TOKEN"]})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            found = [p["job"]["vehicle_id"] for p in json.load(r) if p["options"]]
    except Exception:
        found = []
    if found or time.monotonic() > deadline:
        print(sorted(found)[0] if found else "")
        break
    time.sleep(2)
PY
)"
[ -n "$PROPOSAL_VEHICLE" ] || warn "no proposal after 120 s: the owner has none to approve"
owner_vehicles="\"VH-000001\""
[ -n "$PROPOSAL_VEHICLE" ] && [ "$PROPOSAL_VEHICLE" != VH-000001 ] && owner_vehicles="$owner_vehicles,\"$PROPOSAL_VEHICLE\""
add_user() { # $1 = email, $2 = role, $3 = org, $4 = extra JSON fields
    as_admin POST "$analytics/v1/users" \
        "{\"email\":\"$1\",\"name\":\"$5\",\"role\":\"$2\",\"org_id\":\"$3\",\"password\":\"$PASSWORD\"$4}" >/dev/null ||
        die "could not create the $2 $1"
}
add_user "manager@$ORG.invalid" fleet_manager "$ORG" "" "Morgan Manager"
add_user "tech@$ORG.invalid" technician "$ORG" ",\"center_ids\":[\"$SCHED_CENTER\"]" "Tess Technician"
add_user "owner@$ORG.invalid" owner "$ORG" ",\"vehicle_ids\":[$owner_vehicles]" "Olive Owner"
add_user "manager@$OTHER_ORG.invalid" fleet_manager "$OTHER_ORG" "" "Other Manager"
log "people of $ORG: manager, tech, owner (vehicles $owner_vehicles); of $OTHER_ORG: manager"

# ---------------------------------------------------------------- the browser
SHOTS="$WORK/screenshots"
[ "${FLEET_UI_SCREENSHOTS:-0}" = 1 ] && SHOTS="$ROOT/docs/screenshots"
mkdir -p "$SHOTS"
log "dashboard at $analytics/ — Playwright in $CHROMIUM"
status=0
(
    cd "$ROOT/dashboard"
    FLEET_UI_URL="$analytics" FLEET_UI_ORG="$ORG" FLEET_UI_OTHER_ORG="$OTHER_ORG" \
        FLEET_UI_PASSWORD="$PASSWORD" FLEET_UI_VIN="$WARRANTY_VIN" \
        FLEET_UI_PROPOSAL_VEHICLE="$PROPOSAL_VEHICLE" FLEET_UI_SHOTS="$SHOTS" \
        FLEET_CHROMIUM="$CHROMIUM" \
        npx --no-install playwright test 2>&1
) | tee "$WORK/playwright.log" || status=$?
if [ "$status" -ne 0 ]; then
    for name in "${SERVICES[@]}"; do alive "$name" || show_log "$name"; done
    show_log analytics
    # Last, so that a log cut to its tail (CI's) still names what failed and why.
    printf -- '----- Playwright: the failed tests -----\n'
    grep -E '^ +[0-9]+\) |Error: |Expected|Received|Timeout|waiting for|at .*spec\.ts' "$WORK/playwright.log" |
        cut -c1-300 | head -n 40 || true
    sed -n '/^ *[0-9]* failed$/,$p' "$WORK/playwright.log" | cut -c1-300
fi
if [ "${FLEET_UI_KEEP:-0}" = 1 ]; then
    log "FLEET_UI_KEEP=1: $analytics/ — manager@$ORG.invalid / $PASSWORD; Ctrl-C stops"
    while true; do sleep 1; done
fi
[ "$status" -eq 0 ] || die "the browser tests failed (see above)"
log "browser tests passed"
