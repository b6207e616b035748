# shellcheck shell=bash
# Development environment of the fleet platform. Source it (bash):
#
#     . scripts/env.sh
#
# It is sourced by up.sh and test.sh, and works in an interactive shell too (it never
# exits the shell). Every variable keeps a value already set in the environment.
#
# Exports: JWT_SECRET (a dev secret generated once into .run/jwt_secret, so tokens
# survive restarts), REDIS_URL, REDIS_PREFIX, RUST_LOG, TEST_DATABASE_URL,
# TEST_REDIS_URL, CARGO_TERM_COLOR, FLEET_ROOT, FLEET_RUN_DIR, FLEET_DB_PASSWORD.
# Defines: FLEET_SERVICES (the seven services in port order), fleet_service_port,
# fleet_service_db, fleet_database_url, fleet_device_key.

FLEET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FLEET_RUN_DIR="$FLEET_ROOT/.run"
export FLEET_ROOT FLEET_RUN_DIR

# cargo installed by rustup but not on PATH (e.g. a non-login shell or sudo).
if ! command -v cargo >/dev/null 2>&1 && [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
    PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
    export PATH
fi

# Prints a file's content, first writing a fresh random value into it (mode 600)
# when it does not exist yet. $1 = file, $2 = prefix, $3 = random bytes.
fleet_generated_secret() {
    local file="$1" prefix="$2" bytes="$3" tmp value
    if [ ! -s "$file" ]; then
        mkdir -p "$(dirname "$file")" || return 1
        value="$prefix$(od -An -tx1 -N"$bytes" /dev/urandom | tr -d ' \n')"
        tmp="$(mktemp "$file.XXXXXX")" || return 1
        if ! { printf '%s\n' "$value" >"$tmp" && chmod 600 "$tmp" && mv -f "$tmp" "$file"; }; then
            rm -f "$tmp"
            return 1
        fi
    fi
    printf '%s\n' "$(tr -d ' \n' <"$file")"
}

# The development platform's identity (make up): the analytics signing key (an Ed25519
# seed, 64 hex digits), the first admin's password and each service's client secret,
# generated once into .run/.
FLEET_ADMIN_EMAIL=admin@fleet.local
fleet_signing_key() { fleet_generated_secret "$FLEET_RUN_DIR/analytics_signing_key" "" 32; }
fleet_admin_password() { fleet_generated_secret "$FLEET_RUN_DIR/admin_password" "" 12; }
fleet_service_secret() { fleet_generated_secret "$FLEET_RUN_DIR/service_secret_$1" "" 24; }

# The development device key ingestion accepts (INGESTION_BOOTSTRAP_DEVICE_KEY),
# generated once into .run/device_key: fk_dev_<32 hex characters>.
fleet_device_key() {
    fleet_generated_secret "$FLEET_RUN_DIR/device_key" fk_dev_ 16
}

: "${JWT_SECRET:=$(fleet_generated_secret "$FLEET_RUN_DIR/jwt_secret" "" 32)}"
: "${FLEET_DB_PASSWORD:=fleet}"
: "${REDIS_URL:=redis://127.0.0.1:6379}"
: "${REDIS_PREFIX:=fleet:}"
: "${RUST_LOG:=info}"
: "${TEST_DATABASE_URL:=postgres://fleet:${FLEET_DB_PASSWORD}@127.0.0.1:5432/postgres}"
# Tests use Redis database 1: the platform of `make up` keeps millions of idempotency
# keys in database 0 after a load run, and a test's KEYS cleanup over them times out.
: "${TEST_REDIS_URL:=redis://127.0.0.1:6379/1}"
: "${CARGO_TERM_COLOR:=auto}"
export JWT_SECRET FLEET_DB_PASSWORD REDIS_URL REDIS_PREFIX RUST_LOG TEST_DATABASE_URL \
    TEST_REDIS_URL CARGO_TERM_COLOR

# The services, in port order (DESIGN.md "Shape").
# shellcheck disable=SC2034 # used by the scripts that source this file
FLEET_SERVICES=(ingestion health agent alert scheduling warranty analytics)

# Prints the HTTP port of service $1; returns 1 for an unknown name.
fleet_service_port() {
    case "$1" in
        ingestion) echo 8001 ;;
        health) echo 8002 ;;
        agent) echo 8003 ;;
        alert) echo 8004 ;;
        scheduling) echo 8005 ;;
        warranty) echo 8006 ;;
        analytics) echo 8007 ;;
        # Not a service: the development receivers (SMTP on 1025, SMS/push/webhook
        # endpoints and the web inbox on 8025) that `make up` runs for the alert service.
        devinbox) echo 8025 ;;
        *) return 1 ;;
    esac
}

# The development receivers' SMTP port.
# shellcheck disable=SC2034 # used by up.sh
FLEET_DEVINBOX_SMTP_PORT=1025

# The alert service's development environment: every channel goes to devinbox unless
# the variable is already set (point ALERT_SMTP_URL at a real server, say). Prints
# NAME=value lines; secrets are generated once into .run/.
fleet_alert_env() {
    local link webhook
    link="$(fleet_generated_secret "$FLEET_RUN_DIR/alert_link_secret" "" 32)" || return 1
    webhook="$(fleet_generated_secret "$FLEET_RUN_DIR/alert_webhook_secret" "" 32)" || return 1
    printf '%s\n' \
        "ALERT_LINK_SECRET=${ALERT_LINK_SECRET:-$link}" \
        "ALERT_WEBHOOK_SECRET=${ALERT_WEBHOOK_SECRET:-$webhook}" \
        "ALERT_PUBLIC_URL=${ALERT_PUBLIC_URL:-http://127.0.0.1:8004}" \
        "ALERT_SMTP_URL=${ALERT_SMTP_URL:-smtp://127.0.0.1:$FLEET_DEVINBOX_SMTP_PORT}" \
        "ALERT_SMTP_FROM=${ALERT_SMTP_FROM:-Fleet alerts <alerts@fleet.local>}" \
        "ALERT_SMS_URL=${ALERT_SMS_URL:-http://127.0.0.1:8025/twilio}" \
        "ALERT_SMS_ACCOUNT_SID=${ALERT_SMS_ACCOUNT_SID:-AC_dev}" \
        "ALERT_SMS_AUTH_TOKEN=${ALERT_SMS_AUTH_TOKEN:-dev-token}" \
        "ALERT_SMS_FROM=${ALERT_SMS_FROM:-+15550000000}" \
        "ALERT_PUSH_URL=${ALERT_PUSH_URL:-http://127.0.0.1:8025/fcm}" \
        "ALERT_PUSH_PROJECT=${ALERT_PUSH_PROJECT:-fleet-dev}" \
        "ALERT_PUSH_ACCESS_TOKEN=${ALERT_PUSH_ACCESS_TOKEN:-dev-token}" \
        "ALERT_SCHEDULING_URL=${ALERT_SCHEDULING_URL:-http://127.0.0.1:8005}" \
        "ALERT_WARRANTY_URL=${ALERT_WARRANTY_URL:-http://127.0.0.1:8006}"
}

# The analytics service's development environment (identity provider of `make up`):
# its signing key, the first admin, the services' client credentials, mail through
# devinbox, and the dashboard with the services behind it. Prints NAME=value lines.
fleet_analytics_env() {
    local key password clients="" name secret
    key="$(fleet_signing_key)" || return 1
    password="$(fleet_admin_password)" || return 1
    for name in "${FLEET_SERVICES[@]}"; do
        [ "$name" = analytics ] && continue
        secret="$(fleet_service_secret "$name")" || return 1
        clients="${clients:+$clients,}$name=$secret"
    done
    printf '%s\n' \
        "ANALYTICS_SIGNING_KEY=${ANALYTICS_SIGNING_KEY:-$key}" \
        "ANALYTICS_BOOTSTRAP_ADMIN_EMAIL=$FLEET_ADMIN_EMAIL" \
        "ANALYTICS_BOOTSTRAP_ADMIN_PASSWORD=$password" \
        "ANALYTICS_SERVICE_CLIENTS=$clients" \
        "ANALYTICS_PUBLIC_URL=${ANALYTICS_PUBLIC_URL:-http://127.0.0.1:8007}" \
        "ANALYTICS_SMTP_URL=${ANALYTICS_SMTP_URL:-smtp://127.0.0.1:$FLEET_DEVINBOX_SMTP_PORT}" \
        "ANALYTICS_MAIL_FROM=${ANALYTICS_MAIL_FROM:-Fleet platform <accounts@fleet.local>}" \
        "ANALYTICS_UPSTREAMS=${ANALYTICS_UPSTREAMS:-$(fleet_upstreams)}"
    # The web dashboard, once built (ADR 0022).
    if [ -f "$FLEET_ROOT/dashboard/dist/index.html" ]; then
        echo "ANALYTICS_DASHBOARD_DIR=${ANALYTICS_DASHBOARD_DIR:-$FLEET_ROOT/dashboard/dist}"
    fi
}

# The services the dashboard reaches through analytics (ADR 0022), as
# ANALYTICS_UPSTREAMS wants them: name=http://127.0.0.1:port,...
fleet_upstreams() {
    local name out=""
    for name in "${FLEET_SERVICES[@]}"; do
        [ "$name" = analytics ] && continue
        out="${out:+$out,}$name=http://127.0.0.1:$(fleet_service_port "$name")"
    done
    echo "$out"
}

# How service $1 verifies tokens and takes its own under `make up`: the analytics
# JWKS and its client credentials (no shared secret). Prints NAME=value lines.
fleet_auth_env() {
    local secret
    secret="$(fleet_service_secret "$1")" || return 1
    printf '%s\n' \
        "AUTH_JWKS_URL=http://127.0.0.1:8007/.well-known/jwks.json" \
        "AUTH_TOKEN_URL=http://127.0.0.1:8007/v1/auth/token" \
        "SERVICE_CLIENT_ID=$1" \
        "SERVICE_CLIENT_SECRET=$secret"
}

# Prints the database name of service $1.
fleet_service_db() {
    fleet_service_port "$1" >/dev/null || return 1
    echo "${1}_db"
}

# Prints the DATABASE_URL of service $1.
fleet_database_url() {
    local db
    db="$(fleet_service_db "$1")" || return 1
    echo "postgres://fleet:${FLEET_DB_PASSWORD}@127.0.0.1:5432/$db"
}
