#!/usr/bin/env bash
# Login cost (Argon2id, ADR 0012) and token refresh, over HTTP against the release
# analytics binary on a private database (scripts/platform.sh): N sequential logins,
# N logins from 2 clients at once (2 cores: the hash is CPU-bound), N refreshes.
# Prints p50/p99/max per series. Figures in docs/benchmarks.md.
#
#     bash scripts/bench-login.sh [N]        (default 200)
#
# FLEET_BENCH_BUILD=0 skips the cargo build.
set -euo pipefail

LOG_TAG=bench-login
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"
# shellcheck source=platform.sh
. "$ROOT/scripts/platform.sh"

N="${1:-200}"
FIRST_PORT=18301
if [ "${FLEET_BENCH_BUILD:-1}" != 0 ]; then
    cargo build --release --locked -p analytics -p fleetctl
fi
platform_init bench release
trap 'platform_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
PASSWORD="bench-$(random_hex 12)"
platform_env() {
    case "$1" in
        analytics)
            printf '%s\n' "ANALYTICS_SIGNING_KEY=$(random_hex 32)" \
                "ANALYTICS_BOOTSTRAP_ADMIN_EMAIL=admin@bench.local" \
                "ANALYTICS_BOOTSTRAP_ADMIN_PASSWORD=$PASSWORD" \
                "ANALYTICS_LOCKOUT_AFTER=1000000"
            ;;
    esac
}
platform_start analytics
platform_wait_ready

BENCH_URL="$(url_of analytics)" BENCH_PASSWORD="$PASSWORD" BENCH_N="$N" python3 - <<'PY'
import json, os, threading, time, urllib.request

url, password, n = os.environ["BENCH_URL"], os.environ["BENCH_PASSWORD"], int(os.environ["BENCH_N"])


def post(path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as r:
        answer = json.load(r)
    return (time.perf_counter() - start) * 1000.0, answer


def login():
    return post("/v1/auth/login", {"email": "admin@bench.local", "password": password})


def report(name, ms):
    ms = sorted(ms)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
    print(f"{name:<34} n={len(ms):<5} p50 {pick(0.5):6.1f} ms  p99 {pick(0.99):6.1f} ms  max {ms[-1]:6.1f} ms")


login()  # warm up
report("login, one client", [login()[0] for _ in range(n)])
both = []
def client():
    for _ in range(n // 2):
        both.append(login()[0])
threads = [threading.Thread(target=client) for _ in range(2)]
start = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
print(f"{'':<34} two clients: {len(both) / (time.perf_counter() - start):.1f} logins/s")
report("login, two clients at once", both)
refresh_token = login()[1]["refresh_token"]
times = []
for _ in range(n):
    ms, answer = post("/v1/auth/refresh", {"refresh_token": refresh_token})
    refresh_token = answer["refresh_token"]
    times.append(ms)
report("refresh (rotation), one client", times)
PY
