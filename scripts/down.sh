#!/usr/bin/env bash
# `make down`: stops services that an earlier `make up` left running (e.g. when up.sh
# itself was killed with SIGKILL). Uses the pids recorded in .run/pids/ and only
# signals a process whose command line still names that service's binary.
set -euo pipefail

LOG_TAG=down
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

PID_DIR="$ROOT/.run/pids"
pids=()
names=()
for file in "$PID_DIR"/*.pid; do
    [ -f "$file" ] || continue
    name="$(basename "$file" .pid)"
    pid="$(tr -cd '0-9' <"$file")"
    # Still that service (not a recycled pid): an argument of its command line is the
    # service's binary.
    if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
        tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qE "(^|/)$name\$"; then
        pids+=("$pid")
        names+=("$name")
    else
        rm -f "$file"
    fi
done
if [ "${#pids[@]}" -eq 0 ]; then
    log "no service from an earlier \`make up\` is running"
    exit 0
fi
log "stopping ${names[*]} (SIGTERM, up to ${STOP_TIMEOUT:-10}s, then SIGKILL)"
killed="$(stop_processes "${pids[@]}")"
[ -n "$killed" ] && warn "had to SIGKILL pid(s): $(echo "$killed" | tr '\n' ' ')"
for name in "${names[@]}"; do
    rm -f "$PID_DIR/$name.pid"
done
log "stopped"
