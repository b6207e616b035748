#!/usr/bin/env bash
# Service centers, technicians and parts for the development fleet (org $2, default
# `dev`), through the scheduling service's REST API with the bearer token $1: one
# center at each home base of the simulator (tools/fleetsim/src/vehicle.rs), every third
# a 24/7 emergency hub with the rare parts, the others weekday workshops with the common
# ones. Run by `make up` when the organization has no center yet; alone:
#   bash scripts/seed-scheduling.sh "$FLEET_TOKEN" dev
# Times are UTC (the API's): weekday workshops open 12:00-24:00 UTC, about 06:00-18:00 in
# North America.
set -euo pipefail

TOKEN="${1:?usage: seed-scheduling.sh TOKEN [ORG]}"
ORG="${2:-dev}"
BASE="${SCHEDULING_URL:-http://127.0.0.1:8005}"

api() { # method path [body]: prints the response body, fails on an HTTP error
    curl -fsS --max-time 10 -X "$1" -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' ${3:+-d "$3"} "$BASE$2"
}
id_of() { sed -n 's/^{"id":"\([^"]*\)".*/\1/p; s/.*"id":"\([0-9a-f-]\{36\}\)".*/\1/p' | head -n1; }

existing="$(api GET "/v1/centers?org_id=$ORG")"
if [[ $existing == *'"id"'* ]]; then
    echo "org $ORG has service centers already: left as they are"
    exit 0
fi

ALL_WEEK='[{"open":"00:00","close":"24:00"},{"open":"00:00","close":"24:00"},{"open":"00:00","close":"24:00"},{"open":"00:00","close":"24:00"},{"open":"00:00","close":"24:00"},{"open":"00:00","close":"24:00"},{"open":"00:00","close":"24:00"}]'
WEEKDAYS='[{"open":"12:00","close":"24:00"},{"open":"12:00","close":"24:00"},{"open":"12:00","close":"24:00"},{"open":"12:00","close":"24:00"},{"open":"12:00","close":"24:00"},{"open":"13:00","close":"19:00"},null]'
# Three 8-hour bands round the clock (a hub has a technician per band and skill group);
# weekday workshops 12:00-20:00 and 16:00-24:00 UTC.
band() { # start end: the shift on all seven days
    local out="" d
    for d in 0 1 2 3 4 5 6; do out+="${out:+,}{\"weekday\":$d,\"start\":\"$1\",\"end\":\"$2\"}"; done
    printf '[%s]' "$out"
}
weekday_band() {
    local out="" d
    for d in 0 1 2 3 4; do out+="${out:+,}{\"weekday\":$d,\"start\":\"$1\",\"end\":\"$2\"}"; done
    printf '[%s]' "$out"
}
COMMON="oil_filter:20 coolant_5l:12 brake_pad_set:8 battery_12v:6 tire_295_75r22_5:8 valve_stem:20 transmission_filter:4"
RARE="dpf_filter:2 def_pump:2 nox_sensor:3 water_pump:2 shift_solenoid:2"
ALL_PARTS="oil_filter coolant_5l brake_pad_set battery_12v tire_295_75r22_5 valve_stem transmission_filter dpf_filter def_pump nox_sensor water_pump shift_solenoid"

n=0
while IFS='|' read -r city lat lon; do
    [ -n "$city" ] || continue
    n=$((n + 1))
    if [ $((n % 3)) -eq 1 ]; then
        hub=1 name="$city Truck Hub 24/7" hours="$ALL_WEEK" bays=4 rating=4.6 emergency=true
    else
        hub=0 name="$city Fleet Service" hours="$WEEKDAYS" bays=2 rating=4.2 emergency=false
    fi
    body="{\"org_id\":\"$ORG\",\"name\":\"$name\",\"address\":\"$city\",\"lat\":$lat,\"lon\":$lon,\"bays\":$bays,\"hours\":$hours,\"specializations\":[\"brakes\",\"engine\",\"aftertreatment\",\"general\"],\"emergency\":$emergency,\"rating\":$rating}"
    center="$(api POST /v1/centers "$body" | id_of)"
    [ -n "$center" ] || { echo "no id for center $name" >&2; exit 1; }
    if [ "$hub" = 1 ]; then
        for shift in "00:00 08:00" "08:00 16:00" "16:00 24:00"; do
            set -- $shift
            api POST /v1/technicians "{\"center_id\":\"$center\",\"name\":\"$city mechanic $1\",\"skills\":[\"brakes\",\"tires\",\"general\",\"transmission\"],\"shifts\":$(band "$1" "$2")}" >/dev/null
            api POST /v1/technicians "{\"center_id\":\"$center\",\"name\":\"$city diesel tech $1\",\"skills\":[\"engine\",\"aftertreatment\",\"electrical\",\"general\"],\"shifts\":$(band "$1" "$2")}" >/dev/null
        done
        stocked="$COMMON $RARE"
    else
        api POST /v1/technicians "{\"center_id\":\"$center\",\"name\":\"$city technician A\",\"skills\":[\"brakes\",\"tires\",\"general\",\"electrical\"],\"shifts\":$(weekday_band 12:00 20:00)}" >/dev/null
        api POST /v1/technicians "{\"center_id\":\"$center\",\"name\":\"$city technician B\",\"skills\":[\"engine\",\"aftertreatment\",\"transmission\",\"general\"],\"shifts\":$(weekday_band 16:00 24:00)}" >/dev/null
        stocked="$COMMON"
    fi
    for part in $ALL_PARTS; do
        qty=0
        for item in $stocked; do [ "${item%%:*}" = "$part" ] && qty="${item##*:}"; done
        lead=24
        [[ " $RARE " == *" $part:"* ]] && lead=96
        api PUT "/v1/centers/$center/stock/$part" "{\"on_hand\":$qty,\"lead_time_hours\":$lead}" >/dev/null
    done
done < <(sed -n 's/^    base("\([^"]*\)", \([-0-9.]*\), \([-0-9.]*\),.*/\1|\2|\3/p' \
    "$(dirname "$0")/../tools/fleetsim/src/vehicle.rs")
echo "org $ORG: $n service centers with technicians and parts"
