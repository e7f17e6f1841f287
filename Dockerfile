# ksflux's image with Docker (or any BuildKit/Buildah builder). `scripts/image` builds the same
# image without Docker, reproducibly; keep the two in step (entrypoint, user, labels).
#
#   docker build -t ksflux/ksflux:0.1.0 \
#     --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg CREATED=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ) .

# The static binary (alpine's Rust targets musl and links statically).
FROM rust:1.95.0-alpine AS binary
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY rust-toolchain.toml ./
# Installs the toolchain rust-toolchain.toml pins, with its components.
RUN rustup toolchain install
COPY Cargo.toml Cargo.lock ./
COPY crates crates
RUN RUSTFLAGS="-C strip=symbols --remap-path-prefix=/src=ksflux --remap-path-prefix=/usr/local/cargo=cargo" \
    cargo build --release --locked -p ksflux --bin ksflux \
 && cp target/release/ksflux /ksflux

# The console's built files.
FROM node:20-bookworm-slim AS console
WORKDIR /console
COPY console/package.json console/package-lock.json console/.npmrc ./
RUN npm install --no-audit --no-fund --loglevel=error
COPY console ./
RUN npx vite build --logLevel warn

# distroless static: /etc/passwd with nonroot (65532), /tmp, CA certificates, no shell.
FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
LABEL org.opencontainers.image.title="ksflux" \
      org.opencontainers.image.description="FluxCD for KubeSphere: a multi-cluster Flux API and console" \
      org.opencontainers.image.source="https://github.com/kubesphere/ksflux" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.created="${CREATED}"
COPY --from=console /console/dist /console
COPY --from=binary /ksflux /ksflux
USER 65532:65532
WORKDIR /home/nonroot
EXPOSE 9480
ENTRYPOINT ["/ksflux"]
# The chart's Deployment gives its own arguments; these are for `docker run`.
CMD ["serve", "--listen=0.0.0.0:9480", "--console-dir=/console"]
