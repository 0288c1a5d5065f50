# docsmith: the HTTP service in a small image (see docs/deploy.md).
#
#   docker build -t docsmith .
#   docker run --rm -p 8080:8080 --stop-timeout 35 \
#       -e DOCSMITH_API_KEYS_FILE=/run/secrets/docsmith-keys \
#       -v "$PWD/keys.txt:/run/secrets/docsmith-keys:ro" docsmith
#
# The runtime image is debian:bookworm-slim (about 75 MB) plus the binary
# (34 MB, with the fonts and the built-in templates compiled in): about
# 110 MB in all, about 42 MB compressed.
# It runs as UID 10001, needs nothing writable but /tmp, and listens on
# 0.0.0.0:8080. On an address other than loopback docsmith refuses to start
# without API keys, so the container does too until it is given keys
# (DOCSMITH_API_KEYS_FILE or DOCSMITH_API_KEYS) or DOCSMITH_ALLOW_ANONYMOUS=true.

# The Rust version: `docker build --build-arg RUST_VERSION=1.95 .` pins it
# (at least 1.88, Cargo.toml's rust-version).
ARG RUST_VERSION=1

FROM rust:${RUST_VERSION}-bookworm AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The image has a C compiler (libjpeg-turbo, libwebp, libdeflate, mimalloc);
# nasm assembles libjpeg-turbo's and rav1e's SIMD code. It is unpinned: it
# is not in the final image, and bookworm only gets fixes.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends nasm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build

# Dependencies first, with placeholder sources: this layer is rebuilt only
# when Cargo.toml, Cargo.lock or the benches (named in Cargo.toml) change.
COPY Cargo.toml Cargo.lock ./
COPY benches ./benches
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src

# Then docsmith itself. fonts/ and the built-in templates (templates/NAME.xml
# and .json, with their sample jobs samples/pdf-NAME.json, and the XLSX
# samples the playground offers, samples/xlsx-*.json) are compiled into
# the binary with include_bytes!/include_str!, so they must be here before
# this build; the placeholder build above never reads them. Only those files
# are copied, so editing another sample or templates/README.md does not
# rebuild docsmith. The sources are touched because COPY keeps their dates,
# which may be older than the placeholder build, and cargo would then keep
# the placeholder binary (it prints no version, so the last line would fail).
COPY src ./src
COPY fonts ./fonts
COPY templates/*.xml templates/*.json ./templates/
COPY samples/pdf-*.json samples/xlsx-*.json ./samples/
COPY migrations ./migrations
RUN find src templates samples migrations -type f -exec touch {} + \
    && cargo build --release --locked \
    && cp target/release/docsmith /usr/local/bin/docsmith \
    && /usr/local/bin/docsmith --version | grep '^docsmith '

FROM debian:bookworm-slim
# A fixed UID and GID, so a Kubernetes securityContext or a bind-mounted
# keys file can name them.
RUN groupadd --system --gid 10001 docsmith \
    && useradd --system --uid 10001 --gid docsmith --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin docsmith \
    && install -d -o 10001 -g 10001 -m 0750 /var/lib/docsmith
# The binary is all docsmith needs: the fonts and the built-in templates
# (invoice, letter, report) are compiled in. To serve templates of your own,
# mount a directory and set DOCSMITH_TEMPLATES_DIR to it (it replaces the
# built-in ones; a directory that does not exist stops start-up).
COPY --from=builder /usr/local/bin/docsmith /usr/local/bin/docsmith
# The fonts compiled into the binary are redistributed: their licences.
COPY fonts/README.md fonts/OFL.txt fonts/LICENSE-Apache-2.0.txt /usr/share/doc/docsmith/fonts/

# Async jobs: the embedded SQLite database and the results live here
# unless DOCSMITH_DATABASE / DOCSMITH_STORAGE point elsewhere (PostgreSQL,
# S3); mount a volume to keep them across restarts.
ENV DOCSMITH_ADDR=0.0.0.0:8080 \
    DOCSMITH_LOG_FORMAT=json \
    DOCSMITH_DATA_DIR=/var/lib/docsmith
VOLUME ["/var/lib/docsmith"]
USER 10001:10001
EXPOSE 8080
# docsmith drains on SIGTERM for up to DOCSMITH_SHUTDOWN_TIMEOUT (30 s), so
# give it longer than Docker's default 10 s: `docker run --stop-timeout 35`,
# compose `stop_grace_period: 35s`.
STOPSIGNAL SIGTERM
# docsmith has no client of its own and the image has no curl: bash sends
# GET /healthz to the port of DOCSMITH_ADDR and wants a 200 status line.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/${DOCSMITH_ADDR##*:}\" && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r -t 4 status <&3 && [[ $status == 'HTTP/1.1 200 '* ]]"]
ENTRYPOINT ["docsmith"]
CMD ["serve"]
