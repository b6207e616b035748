# shellcheck shell=bash
# Helpers shared by the scripts in this directory. Source it; it defines functions only.
#
# The caller sets LOG_TAG (e.g. "setup") before using the log functions.

log() { printf '[%s] %s\n' "${LOG_TAG:-fleet}" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "${LOG_TAG:-fleet}" "$*" >&2; }
die() {
    printf '[%s] ERROR: %s\n' "${LOG_TAG:-fleet}" "$*" >&2
    exit 1
}

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root for: $* (run as root or install sudo)"
    fi
}

# Runs a command as the postgres OS user (peer authentication on the local socket).
# From / so the postgres user is not refused the caller's working directory.
as_postgres() {
    if [ "$(id -u)" -eq 0 ] && command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u postgres -- "$@")
    elif [ "$(id -u)" -eq 0 ]; then
        (cd / && su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
    elif command -v sudo >/dev/null 2>&1; then
        (cd / && sudo -u postgres -- "$@")
    else
        return 1
    fi
}

# How psql_admin reaches Postgres as a superuser: "socket" (as the postgres OS user),
# "tcp" (-h 127.0.0.1 -U postgres, trust or PGPASSWORD) or empty (not found yet).
PSQL_ADMIN_MODE=""

# Finds a way to run SQL as the postgres superuser; returns 1 if there is none.
psql_admin_detect() {
    [ -n "$PSQL_ADMIN_MODE" ] && return 0
    if as_postgres psql -X -q -w -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
        PSQL_ADMIN_MODE=socket
    elif psql -X -q -w -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
        PSQL_ADMIN_MODE=tcp
    else
        return 1
    fi
}

# psql as the postgres superuser on database "postgres", stopping at the first error.
# Extra arguments go to psql (e.g. -v name=value); SQL comes from stdin or -c.
psql_admin() {
    psql_admin_detect || die "cannot connect to PostgreSQL as the postgres superuser (tried \`runuser -u postgres -- psql\` / \`sudo -u postgres psql\` and \`psql -h 127.0.0.1 -U postgres\`)"
    case "$PSQL_ADMIN_MODE" in
        socket) as_postgres psql -X -q -w -v ON_ERROR_STOP=1 -d postgres "$@" ;;
        tcp) psql -X -q -w -v ON_ERROR_STOP=1 -h 127.0.0.1 -p 5432 -U postgres -d postgres "$@" ;;
    esac
}

# Drops the test_% databases owned by the role given as $1 that earlier test runs left.
# A database still in use (a test run going on right now) is skipped, not forced.
drop_test_databases() {
    local role="$1" names name dropped=0 skipped=0
    names="$(psql_admin -At -v role="$role" <<'SQL'
SELECT datname FROM pg_database
 WHERE datname LIKE 'test\_%'
   AND datdba = (SELECT oid FROM pg_roles WHERE rolname = :'role')
 ORDER BY datname;
SQL
)"
    if [ -z "$names" ]; then
        log "no leftover test databases"
        return 0
    fi
    while IFS= read -r name; do
        [ -z "$name" ] && continue
        if psql_admin -v db="$name" >/dev/null 2>&1 <<'SQL'; then
DROP DATABASE IF EXISTS :"db";
SQL
            dropped=$((dropped + 1))
        else
            skipped=$((skipped + 1))
        fi
    done <<<"$names"
    if [ "$skipped" -gt 0 ]; then
        log "dropped $dropped leftover test database(s); skipped $skipped still in use"
    else
        log "dropped $dropped leftover test database(s)"
    fi
}

# Stops processes: SIGTERM to each pid given, waits up to $STOP_TIMEOUT seconds
# (default 10) for them to exit, then SIGKILL to what is left. Prints the pids that
# had to be killed.
stop_processes() {
    local pid deadline
    local -a pending=() alive=()
    for pid in "$@"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            pending+=("$pid")
        fi
    done
    deadline=$((SECONDS + ${STOP_TIMEOUT:-10}))
    while [ "${#pending[@]}" -gt 0 ]; do
        alive=()
        for pid in "${pending[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive+=("$pid")
        done
        pending=("${alive[@]+"${alive[@]}"}")
        [ "${#pending[@]}" -eq 0 ] && break
        if [ "$SECONDS" -ge "$deadline" ]; then
            kill -KILL "${pending[@]}" 2>/dev/null || true
            printf '%s\n' "${pending[@]}"
            break
        fi
        sleep 0.2
    done
}

# Succeeds when something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Describes the process listening on TCP port $1, when `ss` can tell.
port_owner() {
    command -v ss >/dev/null 2>&1 || return 0
    ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\(.*\)))/\1/p' | head -n1
}
