# syntax=docker/dockerfile:1
# One Dockerfile for every service image. Build from the repository root (the whole
# workspace is the build context); SERVICE picks the service, every stage up to
# `artifacts` is shared by the seven images:
#
#     docker build --build-arg SERVICE=health -t fleet/health .
#     docker build --build-arg SERVICE=alert  -t fleet/alert .   # alert + devinbox
#     docker build --build-arg SERVICE=analytics -t fleet/analytics .  # + the dashboard
#
# Stages:
#   chef       the Rust toolchain and cargo-chef (from crates.io);
#   planner    `cargo chef prepare`: the recipe (manifests and lock file only), which
#              changes only when dependencies do;
#   builder    `cargo chef cook` compiles every dependency of the seven services from
#              the recipe (one cached layer, reused until a manifest or Cargo.lock
#              changes), then `cargo build` compiles the workspace's own crates and
#              copies each service's binaries to /out/<service>/bin. It does not depend
#              on SERVICE, so building the seven images compiles the workspace once;
#   dashboard  npm ci + npm run build of dashboard/ (ADR 0022), copied into analytics;
#   layout     one service's files, arranged (the only stage that depends on SERVICE
#              besides the last);
#   runtime    distroless cc (debug variant, for busybox's wget in the health
#              check), UID 10001, one service's files.
#
# Honest limits: the development machine has no Docker daemon and no registry of base
# images, so this file has never been built there; `make up` runs the same binaries
# natively and is the tested path. `make test` only validates docker-compose.yml
# (scripts/check-packaging.sh), and no image size has been measured (see the runtime
# stage for the estimate).

ARG RUST_IMAGE=rust:1.95-bookworm
ARG NODE_IMAGE=node:20-bookworm-slim
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12:debug-nonroot

# ---------------------------------------------------------------- chef
FROM ${RUST_IMAGE} AS chef
# No compile-time database access (ADR 0004: queries are checked at run time).
ENV SQLX_OFFLINE=true CARGO_TERM_COLOR=never CARGO_PROFILE_RELEASE_STRIP=symbols
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

# ---------------------------------------------------------------- planner
FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

# ---------------------------------------------------------------- builder
FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only: this layer stays cached while only the workspace's code changes.
RUN cargo chef cook --release --locked --recipe-path recipe.json \
        -p ingestion -p health -p agent -p alert -p scheduling -p warranty -p analytics
COPY . .
# Every service binary (and alert's development receivers, devinbox) in one build.
RUN cargo build --release --locked \
        --bin ingestion --bin health --bin agent --bin alert --bin devinbox \
        --bin scheduling --bin warranty --bin analytics \
    && for svc in ingestion health agent alert scheduling warranty analytics; do \
           install -d "/out/$svc/bin" \
           && install -m 0755 "target/release/$svc" "/out/$svc/bin/"; \
       done \
    && install -m 0755 target/release/devinbox /out/alert/bin/

# ---------------------------------------------------------------- dashboard
FROM ${NODE_IMAGE} AS dashboard
# Debian's Chromium drives the browser tests; an image build never downloads a browser.
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
WORKDIR /dashboard
COPY dashboard/package.json dashboard/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY dashboard/ ./
RUN npm run build

# ---------------------------------------------------------------- artifacts
# What each service's image gets: /out/<service>/bin/* (+ analytics' dashboard).
FROM scratch AS artifacts
COPY --from=builder /out/ /out/
COPY --from=dashboard /dashboard/dist/ /out/analytics/share/dashboard/

# ---------------------------------------------------------------- layout
# One service's files, laid out under /rootfs as the runtime gets them: /opt/fleet/bin
# (its binaries, and fleet-service, a link to its main one), /opt/fleet/port,
# /opt/fleet/share (analytics' dashboard), and /var/lib/fleet owned by UID 10001 (the
# copy into the runtime keeps owners).
FROM ${RUST_IMAGE} AS layout
ARG SERVICE
ARG PORT=
COPY --from=artifacts /out/ /out/
# `test -x` fails the build for an unknown SERVICE; the port defaults to the service's
# own (DESIGN ports).
RUN test -n "${SERVICE}" && test -x "/out/${SERVICE}/bin/${SERVICE}" \
    && mkdir -p /rootfs/opt /rootfs/var/lib \
    && cp -a "/out/${SERVICE}" /rootfs/opt/fleet \
    && ln -s "${SERVICE}" /rootfs/opt/fleet/bin/fleet-service \
    && port="${PORT}" \
    && if [ -z "$port" ]; then case "${SERVICE}" in \
           ingestion) port=8001 ;; health) port=8002 ;; agent) port=8003 ;; \
           alert) port=8004 ;; scheduling) port=8005 ;; warranty) port=8006 ;; \
           analytics) port=8007 ;; esac; fi \
    && echo "$port" >/rootfs/opt/fleet/port \
    && install -d -o 10001 -g 10001 /rootfs/var/lib/fleet

# ---------------------------------------------------------------- runtime
# Distroless (glibc, libgcc, CA certificates, no package manager), the debug variant
# for its busybox: the health check below needs an HTTP client and the services have
# no health-check subcommand. Stripped, the binaries of a release build of this tree
# (2026-12-06) measure 19-26 MB (warranty 58 MB, alert + devinbox 31 MB): with this
# ~25 MB base every image should stay under 100 MB. An estimate from the binaries, not
# a measurement of built images.
FROM ${RUNTIME_IMAGE} AS runtime
ARG SERVICE
# /var/lib/fleet: a service's files (warranty's documents and embedded claim index); a
# new named volume mounted there takes its owner (10001), so the service can write to it.
COPY --from=layout /rootfs/ /
ENV PATH=/opt/fleet/bin:/busybox RUST_LOG=info SERVICE=${SERVICE}
# A numeric user, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
# The services bind BIND_ADDR (default 0.0.0.0:<port>). Overridden where another binary
# of the image runs (devinbox in docker-compose.yml); Kubernetes uses its own probes.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/busybox/sh", "-c", "wget -q -O /dev/null \"http://127.0.0.1:$(cat /opt/fleet/port)/health/live\""]
# The service itself is PID 1 and stops gracefully on SIGTERM (docker stop, Kubernetes).
ENTRYPOINT ["/opt/fleet/bin/fleet-service"]
