#!/usr/bin/env bash
# The servers the scale-out tests run against, on loopback: PostgreSQL
# (Debian's `postgresql`) and an S3-compatible server: moto's server mode
# (from PyPI, in target/backends-venv; the default), or with S3_SERVER=s3s-fs
# the s3s-fs server (from crates.io, built into target/s3s-fs; a native
# server for benchmarks, where moto's Python costs more than docsmith does).
#
#   eval "$(scripts/backends.sh start)"   # installs what is missing, starts both,
#                                         # prints the variables the tests read
#   S3_SERVER=s3s-fs scripts/backends.sh start
#   scripts/backends.sh stop
#
# The variables: DOCSMITH_TEST_POSTGRES (an admin URL: each test makes its
# own database), DOCSMITH_TEST_S3 (a bucket: each test uses its own prefix)
# and the AWS_* settings object_store reads (endpoint, keys, region, plain
# HTTP allowed). Progress goes to stderr, the variables to stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
S3_SERVER=${S3_SERVER:-moto}
case $S3_SERVER in
moto) S3_PORT=${S3_PORT:-9107} ;;
s3s-fs) S3_PORT=${S3_PORT:-9108} ;;
*) echo "S3_SERVER is moto or s3s-fs, not $S3_SERVER" >&2; exit 2 ;;
esac
PG_PORT=${PG_PORT:-5432}
BUCKET=${BUCKET:-docsmith-test}
VENV="$ROOT/target/backends-venv"
STATE="$ROOT/target/backends"
MOTO_VERSION=5.2.5
S3S_FS_VERSION=0.14.1

say() { echo "[backends] $*" >&2; }

sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
as_postgres() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

start_postgres() {
    if ! command -v pg_ctlcluster >/dev/null; then
        say "installing postgresql (apt)"
        $sudo apt-get update -qq >&2
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >&2
    fi
    local version
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -q "^$version main$"; then
        say "creating cluster $version/main"
        $sudo pg_createcluster "$version" main >&2
    fi
    if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
        say "starting PostgreSQL $version on port $PG_PORT"
        $sudo pg_ctlcluster "$version" main start >&2
    fi
    for _ in $(seq 50); do
        as_postgres psql -qtAc "SELECT 1" >/dev/null 2>&1 && break
        sleep 0.2
    done
    # A role that may create the databases the tests make.
    as_postgres psql -qtAc "DO \$\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'docsmith') THEN
            CREATE ROLE docsmith LOGIN CREATEDB PASSWORD 'docsmith';
        END IF; END \$\$;" >&2
    say "PostgreSQL ready"
}

start_s3() {
    mkdir -p "$STATE"
    if [[ ! -x "$VENV/bin/moto_server" ]]; then
        say "installing moto[server]==$MOTO_VERSION into $VENV"
        python3 -m venv "$VENV" >&2
        "$VENV/bin/pip" install -q "moto[server]==$MOTO_VERSION" >&2
    fi
    if ! curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"; then
        say "starting moto on 127.0.0.1:$S3_PORT"
        nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$STATE/moto.log" 2>&1 &
        echo $! >"$STATE/moto.pid"
        for _ in $(seq 100); do
            curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break
            sleep 0.2
        done
    fi
    curl -sf -X PUT "http://127.0.0.1:$S3_PORT/$BUCKET" -o /dev/null
    say "S3 (moto) ready, bucket $BUCKET"
}

start_s3s_fs() {
    local bin="$ROOT/target/s3s-fs/bin/s3s-fs" data="$STATE/s3s-fs-data"
    if [[ ! -x $bin ]]; then
        say "building s3s-fs $S3S_FS_VERSION into target/s3s-fs (cargo install)"
        cargo install --quiet --locked s3s-fs --version "$S3S_FS_VERSION" --features binary \
            --root "$ROOT/target/s3s-fs" >&2
    fi
    # A bucket is a directory of its root.
    mkdir -p "$data/$BUCKET"
    if ! curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/"; then
        say "starting s3s-fs on 127.0.0.1:$S3_PORT"
        RUST_LOG=warn nohup "$bin" --host 127.0.0.1 --port "$S3_PORT" \
            --access-key docsmith --secret-key docsmith "$data" >"$STATE/s3s-fs.log" 2>&1 &
        echo $! >"$STATE/s3s-fs.pid"
        for _ in $(seq 100); do
            curl -s -o /dev/null "http://127.0.0.1:$S3_PORT/" && break
            sleep 0.2
        done
    fi
    say "S3 (s3s-fs) ready, bucket $BUCKET"
}

case ${1:-start} in
start)
    start_postgres
    mkdir -p "$STATE"
    if [[ $S3_SERVER == s3s-fs ]]; then start_s3s_fs; else start_s3; fi
    cat <<EOF
export DOCSMITH_TEST_POSTGRES=postgres://docsmith:docsmith@127.0.0.1:$PG_PORT/postgres
export DOCSMITH_TEST_S3=s3://$BUCKET
export AWS_ENDPOINT=http://127.0.0.1:$S3_PORT
export AWS_ALLOW_HTTP=true
export AWS_ACCESS_KEY_ID=docsmith
export AWS_SECRET_ACCESS_KEY=docsmith
export AWS_REGION=us-east-1
EOF
    ;;
stop)
    for server in moto s3s-fs; do
        if [[ -f "$STATE/$server.pid" ]]; then
            kill "$(cat "$STATE/$server.pid")" 2>/dev/null || true
            rm -f "$STATE/$server.pid"
        fi
    done
    version=$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1)
    if [[ -n $version ]]; then $sudo pg_ctlcluster "$version" main stop >&2 || true; fi
    ;;
*)
    echo "usage: $0 [start|stop]" >&2
    exit 2
    ;;
esac
