#!/usr/bin/env bash
# Packaging checks of `make test` (scripts/test.sh; FLEET_PACKAGING=0 skips them). No
# container is run and no cluster is needed: every check is offline and takes seconds.
#
#  1. docker-compose.yml: `docker compose config` when the compose plugin exists, else
#     Debian's docker-compose 1.29 (scripts/setup.sh installs it), which predates the
#     top-level `name:` and so validates a copy without that one key; placeholder values
#     stand in for the required secrets. Then scripts/check_manifests.py compose (the
#     services, builds and bind-mounted paths).
#  2. infra/k8s: `kubectl kustomize` of overlays dev and prod (in a copy, with the
#     secret env files infra/k8s/secrets.sh writes) and of infra/k8s/monitoring;
#     kubernetes-validate --strict of the output against Kubernetes 1.30 and 1.37 (the
#     schemas ship in the PyPI package: no network); scripts/check_manifests.py k8s
#     (probes, resources, PDBs, network policies, references, autoscalers).
#  3. Prometheus: promtool check config (infra/prometheus/prometheus.yml and its rule
#     file), promtool test rules (infra/prometheus/alerts.test.yml), and
#     infra/prometheus/prometheus-k8s.yml parsed as YAML only (Debian's promtool is
#     built without Kubernetes service discovery). promtool comes from PATH, or from
#     Debian's prometheus package, unpacked (never installed or started) into the cache.
#  4. scripts/check_metrics.py: every metric named by the Grafana dashboards, the alert
#     rules and the prometheus-adapter rules is exported by the services (read from the
#     Rust sources); every dashboard query passes `promtool check rules` as well.
#
# Environment: FLEET_PACKAGING_VENV (default ~/.cache/fleet-platform-packaging-venv),
# FLEET_TOOLS_CACHE (default ~/.cache/fleet-platform-tools).
set -euo pipefail

LOG_TAG=packaging
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

KUBERNETES_VALIDATE_VERSION=1.37.0
K8S_VERSIONS=(1.30.0 1.37.0)
VENV="${FLEET_PACKAGING_VENV:-$HOME/.cache/fleet-platform-packaging-venv}"
TOOLS="${FLEET_TOOLS_CACHE:-$HOME/.cache/fleet-platform-tools}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ---------------------------------------------------------------- tools
# The virtualenv with kubernetes-validate (and PyYAML, its dependency) of the pinned
# version, created or repaired when needed.
python_env() {
    local have=""
    have="$("$VENV/bin/kubernetes-validate" --version 2>/dev/null | awk '{print $NF}')" || have=""
    [ "$have" = "$KUBERNETES_VALIDATE_VERSION" ] && return 0
    command -v python3 >/dev/null 2>&1 || die "python3 is required (apt-get install python3 python3-venv)"
    mkdir -p "$(dirname "$VENV")"
    # Two runs at once (two clones) must not install into the same virtualenv together.
    exec 8>"$VENV.lock"
    flock 8
    have="$("$VENV/bin/kubernetes-validate" --version 2>/dev/null | awk '{print $NF}')" || have=""
    if [ "$have" != "$KUBERNETES_VALIDATE_VERSION" ]; then
        if [ ! -x "$VENV/bin/pip" ] || ! "$VENV/bin/python" -c '' 2>/dev/null; then
            log "creating the virtualenv $VENV"
            rm -rf "$VENV"
            if ! python3 -m venv "$VENV"; then
                rm -rf "$VENV"
                as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv ||
                    die "could not install python3-venv"
                python3 -m venv "$VENV" || die "python3 -m venv $VENV failed"
            fi
        fi
        log "installing kubernetes-validate==$KUBERNETES_VALIDATE_VERSION into $VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check \
            "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" ||
            die "pip install kubernetes-validate failed (is PyPI reachable?)"
    fi
    exec 8>&-
}

# Prints the path of a promtool: PATH, else the one unpacked from Debian's package.
promtool_bin() {
    if command -v promtool >/dev/null 2>&1; then
        command -v promtool
        return 0
    fi
    local bin="$TOOLS/promtool"
    if [ ! -x "$bin" ]; then
        command -v apt-get >/dev/null 2>&1 || die "promtool not found and apt-get missing: install Prometheus' promtool"
        mkdir -p "$TOOLS" "$WORK/deb"
        log "unpacking promtool from Debian's prometheus package into $TOOLS" >&2
        if ! (cd "$WORK/deb" && apt-get download prometheus >/dev/null 2>&1); then
            as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
            (cd "$WORK/deb" && apt-get download prometheus >&2) ||
                die "apt-get download prometheus failed"
        fi
        dpkg-deb -x "$WORK"/deb/prometheus_*.deb "$WORK/deb/x"
        install -m 0755 "$WORK/deb/x/usr/bin/promtool" "$bin.tmp" && mv -f "$bin.tmp" "$bin"
    fi
    echo "$bin"
}

# The compose validator: "plugin" (docker compose) or "v1" (docker-compose 1.x).
compose_kind() {
    if docker compose version >/dev/null 2>&1; then
        echo plugin
    elif command -v docker-compose >/dev/null 2>&1; then
        echo v1
    else
        die "neither \`docker compose\` nor docker-compose is installed (scripts/setup.sh installs Debian's docker-compose)"
    fi
}

kustomize_build() { # $1 = directory
    if command -v kubectl >/dev/null 2>&1; then
        kubectl kustomize "$1"
    elif command -v kustomize >/dev/null 2>&1; then
        kustomize build "$1"
    else
        die "neither kubectl nor kustomize is installed: needed to build infra/k8s"
    fi
}

python_env
PY="$VENV/bin/python"
PROMTOOL="$(promtool_bin)"

# ---------------------------------------------------------------- 1. compose
kind="$(compose_kind)"
# Every required variable (${NAME:?...}) gets a placeholder, nothing else from outside:
# an empty --env-file keeps a developer's .env out of the check.
: >"$WORK/empty.env"
required=()
# shellcheck disable=SC2016 # a literal ${ in the pattern
while IFS= read -r name; do
    required+=("$name=placeholder-not-a-secret")
done < <(grep -o '\${[A-Z_][A-Z0-9_]*:?' docker-compose.yml | sed 's/^\${//; s/:?$//' | sort -u)
if [ "$kind" = plugin ]; then
    log "docker-compose.yml: docker compose config"
    env "${required[@]}" docker compose --env-file "$WORK/empty.env" -f docker-compose.yml config -q
else
    log "docker-compose.yml: docker-compose $(docker-compose version --short 2>/dev/null) config (without the top-level name:)"
    grep -v '^name:' docker-compose.yml >"$WORK/docker-compose.yml"
    env "${required[@]}" docker-compose --env-file "$WORK/empty.env" --project-directory "$ROOT" \
        -f "$WORK/docker-compose.yml" config -q
fi
"$PY" scripts/check_manifests.py compose docker-compose.yml

# ---------------------------------------------------------------- 2. kubernetes
cp -r infra/k8s "$WORK/k8s"
rm -rf "$WORK"/k8s/overlays/*/secrets
for overlay in dev prod; do
    bash "$WORK/k8s/secrets.sh" "$overlay" >/dev/null 2>&1 || die "infra/k8s/secrets.sh $overlay failed"
    log "infra/k8s/overlays/$overlay: kustomize build, schema validation, checks"
    kustomize_build "$WORK/k8s/overlays/$overlay" >"$WORK/$overlay.yaml"
    for version in "${K8S_VERSIONS[@]}"; do
        "$VENV/bin/kubernetes-validate" --strict --quiet -k "$version" "$WORK/$overlay.yaml" ||
            die "infra/k8s/overlays/$overlay does not validate against Kubernetes $version"
    done
    "$PY" scripts/check_manifests.py k8s "$WORK/$overlay.yaml" --overlay "$overlay"
done
log "infra/k8s/monitoring: kustomize build, schema validation"
kustomize_build "$WORK/k8s/monitoring" >"$WORK/monitoring.yaml"
"$VENV/bin/kubernetes-validate" --strict --quiet "$WORK/monitoring.yaml"

# ---------------------------------------------------------------- 3. prometheus
log "infra/prometheus: promtool check config, promtool test rules"
"$PROMTOOL" check config infra/prometheus/prometheus.yml >/dev/null
(cd infra/prometheus && "$PROMTOOL" test rules alerts.test.yml)
"$PY" -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); assert d["scrape_configs"], "no scrape_configs"' \
    infra/prometheus/prometheus-k8s.yml

# ---------------------------------------------------------------- 4. metrics
log "dashboards, alert rules, adapter rules: exported metrics and query syntax"
"$PY" scripts/check_metrics.py --emit-rules "$WORK/queries.yml"
if ! out="$("$PROMTOOL" check rules "$WORK/queries.yml" 2>&1)"; then
    printf '%s\n' "$out" >&2
    die "a dashboard or adapter query is not valid PromQL (check:query_N is the Nth query check_metrics.py found)"
fi

log "packaging checks passed"
