# syntax=docker/dockerfile:1
# Container image of one service, chosen with build arguments. Build from the repository
# root (the whole workspace is the build context):
#
#     docker build --build-arg SERVICE=health --build-arg PORT=8002 -t fleet/health .
#     docker build --build-arg SERVICE=alert --build-arg PORT=8004 \
#         --build-arg BINS="alert devinbox" -t fleet/alert .
#
# SERVICE is the package (and its main binary), PORT the port it listens on (DESIGN
# ports: ingestion 8001 … analytics 8007), BINS every binary of the package to install
# (default: SERVICE). docker-compose.yml builds each service this way. Not tested on the
# development machine (no registry of base images there); `make up` runs the same
# binaries natively.

# ---------------------------------------------------------------- build
FROM rust:1.95-bookworm AS builder
ARG SERVICE
ARG BINS=${SERVICE}
WORKDIR /src
# No compile-time database access: sqlx uses the offline query data if any.
ENV SQLX_OFFLINE=true CARGO_TERM_COLOR=never
COPY . .
# Cache mounts keep the registry and compiled dependencies between builds (BuildKit);
# the binaries are copied out of the cached target directory.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    test -n "$SERVICE" \
    && cargo build --release --locked -p "$SERVICE" \
    && mkdir -p /out \
    && for bin in $BINS; do install -m 0755 "target/release/$bin" /out/; done

# ---------------------------------------------------------------- runtime
FROM debian:bookworm-slim
ARG SERVICE
ARG PORT
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --no-create-home \
        --shell /usr/sbin/nologin fleet \
    && install -d -o fleet -g fleet /var/lib/fleet
# /var/lib/fleet: a service's files (warranty's documents and claim index); a new named
# volume mounted there takes this owner, so the service can write to it.
COPY --from=builder /out/ /usr/local/bin/
USER fleet
ENV SERVICE=${SERVICE} PORT=${PORT} BIND_ADDR=0.0.0.0:${PORT} RUST_LOG=info
EXPOSE ${PORT}
# No curl in the slim image: bash's /dev/tcp sends a plain HTTP/1.0 request to
# /health/live and checks for a 200 status line.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'GET /health/live HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
# `exec` hands PID 1 to the service, so it stops gracefully on SIGTERM (docker stop).
# Another binary of the image runs with `--entrypoint` (alert's devinbox, see
# docker-compose.yml).
ENTRYPOINT ["/bin/sh", "-c", "exec \"/usr/local/bin/$SERVICE\""]
