#!/usr/bin/env bash
# The API fuzzing step of `make test` (run by scripts/test.sh after cargo test; alone:
# `bash scripts/api-fuzz.sh`). Fails when any service answers a 5xx or dies:
#
#  1. installs schemathesis (pinned) into a virtualenv outside the clone, kept between
#     runs ($FLEET_FUZZ_VENV, default ~/.cache/fleet-platform-venv);
#  2. builds the debug binaries (a no-op right after cargo test);
#  3. starts ingestion, health, agent, alert, scheduling, warranty and analytics on free loopback ports from 18101 (never
#     the 8001-8004 of a developer's `make up`), each on a database of its own created
#     for this run, test_fuzz_<service>_<run> (a test_% name: if this run is killed,
#     setup.sh / `make clean-db` drop it), with a fresh Redis key prefix, JWT secret,
#     organization fuzz-<run> and device key: the fuzzing cannot reach anybody's data;
#     then seeds them (contacts, two weeks of fleetsim telemetry of four vehicles, from
#     which health, agent and alert derive states, decisions and alerts; a service
#     center with a technician, stock and an appointment; a warranty contract, a claim
#     in review with a PDF and an approved one), so that half
#     of the identifiers schemathesis sends exist and the code past the lookups runs;
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
#   FLEET_FUZZ_WORKERS       schemathesis workers (default 1: as fast as 2 here, as the
#                            time goes to generating data under Python's GIL; the order
#                            of the cases then follows the seed; and schemathesis's worker
#                            threads trip a CPython 3.11 race, "SystemError: AST
#                            constructor recursion depth mismatch", failing a run)
#   FLEET_FUZZ_SEED          generation seed (default fixed, so that a run sends much the
#                            same requests for the same code, the seeded identifiers
#                            aside; `random` for a new one each run)
#   FLEET_FUZZ_SERVICES      which services to fuzz (default "ingestion health agent alert
#                            scheduling warranty analytics")
#   FLEET_FUZZ_TIMEOUT       seconds one service's run may take before it fails (600: on
#                            a 2-core machine, analytics' run with its Argon2 logins took
#                            226 s to finish fuzzing and was cut at 300 s in its stateful
#                            phase, with no failure found; ingestion's took 245 s)
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
# shellcheck source=platform.sh
. "$ROOT/scripts/platform.sh"

# Bumped by hand: a new schemathesis may find new things, which should happen in a
# change of its own rather than on an unrelated CI run.
SCHEMATHESIS_VERSION=4.32.5
VENV="${FLEET_FUZZ_VENV:-$HOME/.cache/fleet-platform-venv}"
MAX_EXAMPLES="${FLEET_FUZZ_MAX_EXAMPLES:-100}"
WORKERS="${FLEET_FUZZ_WORKERS:-1}"
SEED="${FLEET_FUZZ_SEED:-20260101}"
FUZZ_TIMEOUT="${FLEET_FUZZ_TIMEOUT:-600}"
ARTIFACTS="${FLEET_FUZZ_ARTIFACTS:-}"
if [ -n "$ARTIFACTS" ]; then
    mkdir -p "$ARTIFACTS"
    ARTIFACTS="$(cd "$ARTIFACTS" && pwd)"
fi
read -r -a SERVICES <<<"${FLEET_FUZZ_SERVICES:-ingestion health agent alert scheduling warranty analytics}"
FIRST_PORT=18101

for name in "${SERVICES[@]}"; do
    case "$name" in
        ingestion | health | agent | alert | scheduling | warranty | analytics) ;;
        *) die "FLEET_FUZZ_SERVICES: unknown service '$name' (ingestion, health, agent, alert, scheduling, warranty, analytics)" ;;
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
    for name in "${RUN[@]}" fleetctl fleetsim; do packages+=(-p "$name"); done
    log "cargo build ${packages[*]}"
    cargo build --locked "${packages[@]}"
fi
platform_init fuzz debug
for name in "${RUN[@]}" fleetctl fleetsim; do
    [ -x "$BIN_DIR/$name" ] || die "no binary at $BIN_DIR/$name (cargo build -p $name)"
done

# ---------------------------------------------------------------- this run's world
declare -A RESULT=() ELAPSED=() CASES=()

cleanup() {
    local status=$? fuzz_group
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
    if [ -n "$ARTIFACTS" ]; then
        cp -f "$WORK"/*.log "$ARTIFACTS/" 2>/dev/null || true
        log "service logs and schemathesis reports in $ARTIFACTS"
    fi
    platform_cleanup
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

log "run $RUN_ID: organization $ORG, Redis prefix $REDIS_KEY_PREFIX, databases test_fuzz_<service>_$RUN_ID"

# ---------------------------------------------------------------- start the services
# Each service's environment: platform.sh's platform_env (alert's channels to a dead
# port, no model for the agent, the vehicle record from the services that run).
platform_start "${RUN[@]}"

# Records that service $1 died, with its exit status (a signal: 128 + its number). In
# this shell, not in $(...): only the parent can wait for its child.
crashed() {
    local status=0
    wait "${PID[$1]}" 2>/dev/null || status=$?
    RESULT[$1]="CRASHED (exit $status)"
}

platform_wait_ready

TOKEN="$(platform_token 2h)" || TOKEN=""
[ -n "$TOKEN" ] || die "could not mint an admin token with fleetctl"

# ---------------------------------------------------------------- seed data
# Fuzzed input seldom gets through validation (a reading must be recent, its VIN 17
# characters, ...): on empty databases every lookup of a vehicle, alert or decision
# would be a 404 and the code behind it would never run. So: contacts for the alerts,
# then two weeks of fleetsim telemetry of a few vehicles, some of them degrading, from
# which health, agent and alert build their state (deliveries fail against DEAD_PORT,
# in the background). schemathesis then takes identifiers from that state half of the
# time (dictionaries of a schemathesis.toml) and makes them up the other half.
CONFIG="$WORK/schemathesis.toml"
platform_seed "$TOKEN"
# Waits (bounded) for the pipeline's state, then writes the identifiers it finds into
# the dictionaries of $CONFIG.
FUZZ_ORG="$ORG" FUZZ_TOKEN="$TOKEN" FUZZ_CONFIG="$CONFIG" \
    FUZZ_INGESTION="${PORT[ingestion]:+$(url_of ingestion)}" FUZZ_HEALTH="${PORT[health]:+$(url_of health)}" \
    FUZZ_AGENT="${PORT[agent]:+$(url_of agent)}" FUZZ_ALERT="${PORT[alert]:+$(url_of alert)}" \
    FUZZ_SCHED_CENTER="$SCHED_CENTER" FUZZ_SCHED_TECH="$SCHED_TECH" FUZZ_SCHED_APPOINTMENT="$SCHED_APPOINTMENT" \
    FUZZ_WARRANTY_CLAIMS="$WARRANTY_CLAIMS" FUZZ_WARRANTY_DOCUMENT="$WARRANTY_DOCUMENT" \
    FUZZ_WARRANTY_VIN="${PORT[warranty]:+$WARRANTY_VIN}" \
    "$VENV/bin/python" - <<'PY' || die "could not collect the seeded identifiers"
import datetime, json, os, sys, time, urllib.request

env = os.environ
headers = {"Authorization": "Bearer " + env["FUZZ_TOKEN"]}


def get(base, path):
    if not base:
        return None
    try:
        req = urllib.request.Request(base + path, headers=headers)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)
    except Exception:
        return None


def values(doc, key):
    """Every value of `key`, at any depth of a JSON document."""
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k == key and isinstance(v, str):
                out.append(v)
            else:
                out += values(v, key)
    elif isinstance(doc, list):
        for v in doc:
            out += values(v, key)
    return out


def wait_for(what, fetch, seconds):
    deadline = time.monotonic() + seconds
    while True:
        found = fetch()
        if found or time.monotonic() >= deadline:
            print(f"[fuzz] seeded {what}: {len(found)}", file=sys.stderr)
            return found
        time.sleep(1)


vehicles = [f"VH-{i:06d}" for i in range(1, 5)] if env["FUZZ_INGESTION"] else []
if env["FUZZ_HEALTH"] and vehicles:
    # Health has read the telemetry once it knows every vehicle.
    def assessed():
        known = [v for v in vehicles if get(env["FUZZ_HEALTH"], f"/v1/vehicles/{v}/health")]
        return known if len(known) == len(vehicles) else []

    wait_for("vehicle health states", assessed, 90)
decisions = wait_for("agent decisions", lambda: values(get(env["FUZZ_AGENT"], "/v1/decisions?limit=50"), "decision_id"), 30) if env["FUZZ_AGENT"] and vehicles else []
alerts = wait_for("alerts", lambda: values(get(env["FUZZ_ALERT"], "/v1/alerts?limit=50"), "alert_id"), 30) if env["FUZZ_ALERT"] and vehicles else []
contacts = values(get(env["FUZZ_ALERT"], "/v1/contacts?org_id=" + env["FUZZ_ORG"]), "contact_id")
vins = sorted(set(values(get(env["FUZZ_INGESTION"], "/v1/vehicles?limit=50"), "vin")))
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
recent = [(now - datetime.timedelta(minutes=m)).isoformat().replace("+00:00", "Z") for m in (1, 5, 30, 90)]

# Without ingestion, the vehicle of scheduling's seeded appointment and of warranty's
# seeded contract.
if (env["FUZZ_SCHED_APPOINTMENT"] or env["FUZZ_WARRANTY_CLAIMS"]) and not vehicles:
    vehicles = ["VH-000001"]
if env["FUZZ_WARRANTY_VIN"] and env["FUZZ_WARRANTY_VIN"] not in vins:
    vins.append(env["FUZZ_WARRANTY_VIN"])
# `{id}` is an appointment's in scheduling, a claim's in warranty: one dictionary.
ids = ([env["FUZZ_SCHED_APPOINTMENT"]] if env["FUZZ_SCHED_APPOINTMENT"] else []) + env["FUZZ_WARRANTY_CLAIMS"].split()
dictionaries = {
    "orgs": [env["FUZZ_ORG"]],
    "vehicles": vehicles,
    "decisions": decisions[:20],
    "alerts": alerts[:20],
    "contacts": contacts[:20],
    "vins": vins,
    "recent": recent,
    "centers": [env["FUZZ_SCHED_CENTER"]] if env["FUZZ_SCHED_CENTER"] else [],
    "technicians": [env["FUZZ_SCHED_TECH"]] if env["FUZZ_SCHED_TECH"] else [],
    "ids": ids,
    "parts": ["brake_pad_set"] if env["FUZZ_SCHED_CENTER"] else [],
    "documents": [env["FUZZ_WARRANTY_DOCUMENT"]] if env["FUZZ_WARRANTY_DOCUMENT"] else [],
}
# Where each dictionary is used (every location the name appears in; readings also
# inside a batch).
bindings = {
    "org_id": "orgs", "vehicle_id": "vehicles", "decision_id": "decisions",
    "alert_id": "alerts", "contact_id": "contacts", "vin": "vins", "recorded_at": "recent",
    "center_id": "centers", "technician_id": "technicians", "id": "ids", "part": "parts",
    "sha": "documents",
}
lines = ["# Written by scripts/api-fuzz.sh for one run."]
for name, vals in dictionaries.items():
    if vals:
        lines += [f"[dictionaries.{name}]", "values = " + json.dumps(vals), ""]
lines.append("[parameters]")
for field, name in bindings.items():
    if not dictionaries[name]:
        continue
    for key in (f"path.{field}", f"query.{field}", f"body.{field}", f"body.readings[*].{field}"):
        lines.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}')
with open(env["FUZZ_CONFIG"], "w") as f:
    f.write("\n".join(lines) + "\n")
PY
printf -- '----- %s (identifiers from the seeded state) -----\n' "schemathesis.toml"
cat "$CONFIG"
printf -- '-----\n'

# ---------------------------------------------------------------- fuzz
seed_args=()
[ "$SEED" = random ] || seed_args=(--seed "$SEED")

# $1 = service; the service's own options after the common ones.
fuzz() {
    local name="$1" start status shown out="$WORK/$1.fuzz"
    local -a args=(
        --config-file "$CONFIG"
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
    # The line under "Test cases:", e.g. "2681 generated, 2681 passed".
    CASES[$name]="$(grep -A1 '^Test cases:' "$out" | sed -n '2s/^ *//p' || true)"
    if ! alive "$name"; then
        crashed "$name"
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
        crashed "$name"
        failed=1
        show_log "$name"
    fi
done

printf '\n==================== API fuzzing summary (schemathesis %s, %s examples, seed %s) ====================\n' \
    "$SCHEMATHESIS_VERSION" "$MAX_EXAMPLES" "$SEED"
passed=0
for name in "${RUN[@]}"; do
    if [ -z "${ELAPSED[$name]:-}" ]; then
        printf '%-10s %-30s        (not fuzzed: started for agent)\n' "$name" "${RESULT[$name]:-running}"
        continue
    fi
    printf '%-10s %-30s %4ss  %s\n' "$name" "${RESULT[$name]}" "${ELAPSED[$name]}" "${CASES[$name]:-}"
    if [ "${RESULT[$name]}" = passed ]; then passed=$((passed + 1)); fi
done
printf 'total %ss\n' "$((SECONDS - total_start))"
echo "api-fuzz: $passed passed, $((${#SERVICES[@]} - passed)) failed"
if [ "$failed" -ne 0 ]; then
    die "API fuzzing found server errors or crashes: see the failures above (each with a curl command to reproduce it) and the services' errors"
fi
