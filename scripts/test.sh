#!/usr/bin/env bash
# `make test` (and CI through .ci/run): prepares PostgreSQL and Redis with setup.sh and
# a local Redis Cluster with redis-cluster.sh, then runs, failing fast:
#   0. scripts/check-packaging.sh: docker-compose.yml, the Kubernetes manifests, the
#      Prometheus rules and the Grafana dashboards, offline, in seconds
#      (FLEET_PACKAGING=0 skips it)
#   1. cargo fmt --all -- --check
#   2. cargo clippy --workspace --all-targets --locked -- -D warnings
#   3. cargo test --workspace --locked [extra arguments given to this script]
#   4. scripts/api-fuzz.sh: schemathesis against every service's OpenAPI document, on
#      fresh databases, failing on any 5xx answer (FLEET_FUZZ=0 skips it; CI runs it)
#   5. scripts/ui-test.sh: the dashboard in Chromium (Playwright) against a private
#      seeded platform, per role (FLEET_UI=0 skips it)
# The exit status is non-zero when any step fails.
set -euo pipefail

LOG_TAG="test"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

banner() {
    printf '\n==================== %s ====================\n' "$*"
}

banner "setup: PostgreSQL, Redis, databases"
bash "$ROOT/scripts/setup.sh"

# shellcheck source=env.sh
. "$ROOT/scripts/env.sh"

# The local Redis Cluster the partitioned-stream tests run on (ADR 0026): 3 masters and
# 3 replicas of the machine's redis-server on ports 7100-7105, AOF on. The tests would
# start it themselves; starting it here fails fast and names the cause.
banner "setup: local Redis Cluster (scripts/redis-cluster.sh)"
TEST_REDIS_CLUSTER_URL="${TEST_REDIS_CLUSTER_URL:-$(bash "$ROOT/scripts/redis-cluster.sh" start)}"
export TEST_REDIS_CLUSTER_URL

# clippy and rustfmt are rustup components: add them when rustup can.
for component in rustfmt clippy; do
    case "$component" in
        rustfmt) probe=(cargo fmt --version) ;;
        clippy) probe=(cargo clippy --version) ;;
    esac
    if ! "${probe[@]}" >/dev/null 2>&1; then
        command -v rustup >/dev/null 2>&1 ||
            die "cargo ${component/rustfmt/fmt} is missing and rustup is not installed: install the $component component"
        log "installing the $component component"
        rustup component add "$component"
    fi
done

if [ "${FLEET_PACKAGING:-1}" = 0 ]; then
    log "FLEET_PACKAGING=0: packaging checks skipped"
else
    banner "packaging: scripts/check-packaging.sh (FLEET_PACKAGING=0 skips it)"
    bash "$ROOT/scripts/check-packaging.sh"
fi

banner "1/5 format: cargo fmt --all -- --check"
cargo fmt --all -- --check

banner "2/5 lint: cargo clippy --workspace --all-targets --locked -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

banner "3/5 tests: cargo test --workspace --locked${*:+ $*}"
cargo test --workspace --locked "$@"

# After the tests: it runs the binaries they just built.
if [ "${FLEET_FUZZ:-1}" = 0 ]; then
    log "FLEET_FUZZ=0: API fuzzing skipped"
else
    banner "4/5 API fuzzing: scripts/api-fuzz.sh (FLEET_FUZZ=0 skips it)"
    bash "$ROOT/scripts/api-fuzz.sh"
fi

if [ "${FLEET_UI:-1}" = 0 ]; then
    log "FLEET_UI=0: browser tests skipped"
else
    banner "5/5 browser tests: scripts/ui-test.sh (FLEET_UI=0 skips it)"
    bash "$ROOT/scripts/ui-test.sh"
fi
