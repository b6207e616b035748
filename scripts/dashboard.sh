# shellcheck shell=bash
# Building the web dashboard (dashboard/, ADR 0022), sourced by up.sh and ui-test.sh.
# Needs lib.sh sourced (log/warn/die).
#
#   dashboard_build   npm ci (only when package-lock.json changed since the last one)
#                     and npm run build into dashboard/dist; returns 1 when node/npm
#                     are missing or a step fails.

# Never download a browser: the tests drive Debian's Chromium (scripts/ui-test.sh).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

dashboard_build() {
    local dir="$ROOT/dashboard" stamp lock
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        warn "node and npm are not installed: the dashboard is not built (apt-get install nodejs npm)"
        return 1
    fi
    # Debian 12's nodejs (18) is enough: Vite 6 and Playwright 1.61 (pinned for it).
    if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 18 ]; then
        warn "node $(node --version) is too old for the dashboard (18 or newer)"
        return 1
    fi
    stamp="$dir/node_modules/.fleet-lock.sha256"
    lock="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock" ]; then
        log "dashboard: npm ci"
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || return 1
        echo "$lock" >"$stamp"
    fi
    log "dashboard: npm run build"
    (cd "$dir" && npm run --silent build >"$dir/.build.log" 2>&1) || {
        cat "$dir/.build.log" >&2
        return 1
    }
    # The figure the issue asks for: the JavaScript the first page loads, gzipped.
    log "dashboard built: $(dashboard_initial_js_gzip) bytes of initial JavaScript (gzipped)"
}

# Bytes of gzipped JavaScript index.html loads (its module scripts and their static
# imports; lazy pages excluded).
dashboard_initial_js_gzip() {
    local dist="$ROOT/dashboard/dist" total=0 f size
    for f in $(grep -o 'assets/[^"]*\.js' "$dist/index.html" | sort -u); do
        size="$(gzip -9c "$dist/$f" | wc -c)"
        total=$((total + size))
    done
    echo "$total"
}
