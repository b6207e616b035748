#!/usr/bin/env bash
# A local Redis Cluster for tests and benchmarks (ADR 0026): 3 masters and 3 replicas
# from the machine's redis-server on spare ports, nothing downloaded.
#
#   scripts/redis-cluster.sh start [--fsync everysec|always]   start (or reuse) it; prints the URL list
#   scripts/redis-cluster.sh url                                 the URL list of the running cluster
#   scripts/redis-cluster.sh status                              CLUSTER INFO and the nodes
#   scripts/redis-cluster.sh stop                                stop the nodes, delete their data
#
# Nodes listen on 127.0.0.1:$FLEET_CLUSTER_PORT.. +5 (default 7100-7105; bus ports +10000),
# keep their data under $FLEET_RUN_DIR/redis-cluster (.run/), with AOF on: `appendfsync
# everysec` unless --fsync always (FLEET_CLUSTER_FSYNC). `start` is idempotent: a
# healthy cluster is reused (its fsync policy switched with CONFIG SET if asked). The
# URL list (redis://127.0.0.1:7100,...) is what REDIS_URL / TEST_REDIS_CLUSTER_URL take.
set -euo pipefail

LOG_TAG="redis-cluster"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

BASE="${FLEET_CLUSTER_PORT:-7100}"
DIR="${FLEET_RUN_DIR:-$ROOT/.run}/redis-cluster"
FSYNC="${FLEET_CLUSTER_FSYNC:-everysec}"
PORTS=()
for i in 0 1 2 3 4 5; do PORTS+=($((BASE + i))); done

cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }

urls() {
    local out="" port
    for port in "${PORTS[@]}"; do out="${out:+$out,}redis://127.0.0.1:$port"; done
    echo "$out"
}

# Succeeds when every node answers and reports cluster_state:ok with all slots served.
healthy() {
    local port info
    for port in "${PORTS[@]}"; do
        info="$(cli "$port" CLUSTER INFO 2>/dev/null)" || return 1
        grep -q '^cluster_state:ok' <<<"$info" || return 1
        grep -q '^cluster_slots_ok:16384' <<<"$info" || return 1
        grep -q '^cluster_known_nodes:6' <<<"$info" || return 1
    done
}

# Succeeds when every node keeps its data in a directory that still exists: a cluster
# started from a checkout since deleted cannot write its AOF and must not be reused.
dirs_exist() {
    local port dir
    for port in "${PORTS[@]}"; do
        dir="$(cli "$port" CONFIG GET dir 2>/dev/null | sed -n 2p)" || return 1
        [ -n "$dir" ] && [ -d "$dir" ] || return 1
    done
}

# Stops whatever answers on the cluster's ports (nodes of another checkout included).
shutdown_ports() {
    local port
    for port in "${PORTS[@]}"; do
        cli "$port" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
    done
    for port in "${PORTS[@]}"; do
        wait_for "port $port to close" bash -c "! redis-cli -h 127.0.0.1 -p $port PING >/dev/null 2>&1"
    done
}

set_fsync() {
    local port
    for port in "${PORTS[@]}"; do
        cli "$port" CONFIG SET appendfsync "$FSYNC" >/dev/null
    done
}

stop_nodes() {
    local port pids=()
    for port in "${PORTS[@]}"; do
        if [ -s "$DIR/$port/redis.pid" ]; then
            pids+=("$(cat "$DIR/$port/redis.pid")")
        fi
    done
    if [ "${#pids[@]}" -gt 0 ]; then
        stop_processes "${pids[@]}" >/dev/null
    fi
    rm -rf "$DIR"
}

start_node() {
    local port="$1"
    port_in_use "$port" && die "port $port is taken ($(port_owner "$port")); set FLEET_CLUSTER_PORT"
    mkdir -p "$DIR/$port"
    redis-server --port "$port" --bind 127.0.0.1 --protected-mode no \
        --daemonize yes --dir "$DIR/$port" --pidfile "$DIR/$port/redis.pid" \
        --logfile "$DIR/$port/redis.log" \
        --cluster-enabled yes --cluster-config-file "nodes.conf" \
        --cluster-node-timeout 2000 \
        --appendonly yes --appendfsync "$FSYNC" --save ""
}

wait_for() {
    local what="$1" deadline=$((SECONDS + 60))
    shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || die "timed out waiting for $what"
        sleep 0.2
    done
}

start() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --fsync)
                FSYNC="${2:?--fsync needs everysec or always}"
                shift 2
                ;;
            *) die "unknown option $1" ;;
        esac
    done
    case "$FSYNC" in everysec | always) ;; *) die "--fsync must be everysec or always" ;; esac
    command -v redis-server >/dev/null 2>&1 || die "redis-server is not installed (run make setup)"
    if healthy && dirs_exist; then
        set_fsync
        log "reusing the cluster on ports ${PORTS[0]}-${PORTS[5]} (appendfsync $FSYNC)" >&2
        urls
        return
    fi
    stop_nodes
    # Nodes left by another checkout (or whose data directory is gone) hold the ports.
    shutdown_ports
    local port
    for port in "${PORTS[@]}"; do start_node "$port"; done
    for port in "${PORTS[@]}"; do
        wait_for "node $port" cli "$port" PING >/dev/null
    done
    local addrs=()
    for port in "${PORTS[@]}"; do addrs+=("127.0.0.1:$port"); done
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/create.log" 2>&1 ||
        die "redis-cli --cluster create failed: $(tail -n 5 "$DIR/create.log")"
    wait_for "cluster_state:ok on every node" healthy
    log "cluster up on ports ${PORTS[0]}-${PORTS[5]} (3 masters, 3 replicas, appendfsync $FSYNC)" >&2
    urls
}

# One caller at a time (parallel tests all ask for the cluster).
mkdir -p "$(dirname "$DIR")"
exec 9>"$DIR.lock"
flock 9

case "${1:-}" in
    start) start "${@:2}" ;;
    url) healthy || die "no healthy cluster on ports ${PORTS[0]}-${PORTS[5]}"; urls ;;
    status)
        cli "${PORTS[0]}" CLUSTER INFO | grep -E 'cluster_state|slots_ok|known_nodes|size'
        cli "${PORTS[0]}" CLUSTER NODES | awk '{print $2, $3, $9}'
        ;;
    stop)
        stop_nodes
        log "stopped" >&2
        ;;
    *)
        echo "usage: $0 start [--fsync everysec|always] | url | status | stop" >&2
        exit 2
        ;;
esac
