#!/usr/bin/env bash
# Warranty contracts for the development fleet of org $2 (default `dev`), through the
# warranty service's REST API (PUT /v1/contracts/{vehicle_id}) with the bearer token $1.
# Run by `make up` once warranty is ready; alone:
#   bash scripts/seed-warranty.sh "$FLEET_TOKEN" dev
#
# The fleet is the one the README's simulation creates (`fleetsim simulate --vehicles 20`,
# seed 42), read from `fleetsim fleet` before any telemetry exists: a simulation names
# its vehicles VH-000001… and derives each VIN, model year and odometer from the seed,
# the index and the fleet size only, so the contracts match the simulated vehicles
# whenever they report. FLEET_SIM_VEHICLES and FLEET_SIM_SEED seed another simulation's
# fleet. A vehicle that already reports another VIN to ingestion (a run with another
# seed) is skipped with a warning rather than given a contract its claims would
# contradict.
#
# Terms, derived from each vehicle so a re-run computes the same: delivered in its
# model year's sales season (October of the year before to September) with delivery
# kilometres on the clock; the standard basic, powertrain and corrosion terms (added by
# the service); long-haul and regional trucks with an extended powertrain term (84
# months / 1,200,000 km), odd-numbered cars with one of 84 months / 160,000 km; a
# deductible of 500 USD a truck and 100 USD a car, halved for every third vehicle.
# Vehicles with a contract are left as they are (re-running changes nothing, and a
# manager's edits stay).
#
# Environment: WARRANTY_URL (http://127.0.0.1:8006), INGESTION_URL
# (http://127.0.0.1:8001), FLEETSIM (the fleetsim binary; default the release build),
# FLEET_SIM_VEHICLES (20), FLEET_SIM_SEED (42).
set -euo pipefail

TOKEN="${1:?usage: seed-warranty.sh TOKEN [ORG]}"
ORG="${2:-dev}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="${WARRANTY_URL:-http://127.0.0.1:8006}"
INGESTION="${INGESTION_URL:-http://127.0.0.1:8001}"
FLEETSIM="${FLEETSIM:-${CARGO_TARGET_DIR:-$ROOT/target}/release/fleetsim}"
VEHICLES="${FLEET_SIM_VEHICLES:-20}"
SEED="${FLEET_SIM_SEED:-42}"

[ -x "$FLEETSIM" ] || {
    echo "no fleetsim binary at $FLEETSIM (cargo build --release -p fleetsim, or set FLEETSIM)" >&2
    exit 1
}

# The value of JSON field $1 in the one-line object $2 (a string or a number).
field() { sed -n "s/.*\"$1\": *\"\{0,1\}\([^\",}]*\).*/\1/p" <<<"$2"; }

# The HTTP status of GET $1, its body in $BODY.
get() {
    local out
    out="$(curl -sS --max-time 10 -H "Authorization: Bearer $TOKEN" -w '\n%{http_code}' "$1")" ||
        return 1
    BODY="${out%$'\n'*}"
    STATUS="${out##*$'\n'}"
}

# The contract body of roster line $1.
contract_body() {
    local line="$1" id vin year kind profile odometer n month_index day start_km ext deductible
    id="$(field vehicle_id "$line")"
    vin="$(field vin "$line")"
    year="$(field model_year "$line")"
    kind="$(field kind "$line")"
    profile="$(field profile "$line")"
    odometer="$(field odometer_km "$line")"
    n=$((10#${id##*-}))
    # October of the year before the model year, plus 0-11 months.
    month_index=$((9 + (n * 7) % 12))
    day=$((1 + (n * 11) % 28))
    ext=""
    if [ "$kind" = diesel_truck ]; then
        start_km=$((120 + (n * 53) % 680))
        deductible=500
        case "$profile" in long_haul | regional)
            ext='{"coverage":"extended","months":84,"km":1200000,"components":["engine_oil","cooling","transmission"]}'
            ;;
        esac
    else
        start_km=$((8 + (n * 13) % 70))
        deductible=100
        if [ $((n % 2)) -eq 1 ]; then
            ext='{"coverage":"extended","months":84,"km":160000,"components":["engine_oil","cooling","transmission"]}'
        fi
    fi
    [ $((n % 3)) -eq 0 ] && deductible=$((deductible / 2))
    # Never past the odometer the simulation starts at.
    [ "$start_km" -lt "$odometer" ] || start_km=$((odometer / 10))
    printf '{"org_id":"%s","vin":"%s","start_date":"%04d-%02d-%02d","start_odometer_km":%d,"extensions":[%s],"deductible":%d,"currency":"USD"}' \
        "$ORG" "$vin" $((year - 1 + month_index / 12)) $((month_index % 12 + 1)) "$day" \
        "$start_km" "$ext" "$deductible"
}

roster="$("$FLEETSIM" fleet --vehicles "$VEHICLES" --seed "$SEED")"
added=0 kept=0 skipped=0
while IFS= read -r line; do
    [ -n "$line" ] || continue
    id="$(field vehicle_id "$line")"
    vin="$(field vin "$line")"
    get "$BASE/v1/contracts/$id" || exit 1
    case "$STATUS" in
        200) kept=$((kept + 1)); continue ;;
        404) ;;
        *) echo "GET /v1/contracts/$id: HTTP $STATUS $BODY" >&2; exit 1 ;;
    esac
    if get "$INGESTION/v1/vehicles/$id/telemetry/latest" 2>/dev/null && [ "$STATUS" = 200 ]; then
        reported="$(field vin "$BODY")"
        if [ -n "$reported" ] && [ "$reported" != "$vin" ]; then
            echo "warning: $id reports VIN $reported, not $vin (simulated with another seed?): no contract" >&2
            skipped=$((skipped + 1))
            continue
        fi
    fi
    curl -fsS --max-time 10 -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' -d "$(contract_body "$line")" \
        "$BASE/v1/contracts/$id"
    added=$((added + 1))
done <<<"$roster"
echo "org $ORG: $added warranty contracts added, $kept there already, $skipped skipped"
