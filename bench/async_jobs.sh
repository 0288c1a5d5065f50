#!/usr/bin/env bash
# Async jobs through PostgreSQL + S3 vs POST /v1/render on the same machine
# (bench/async_jobs.py): 1-page invoices, alternating rounds, medians, and
# the overhead of async per job. Starts the servers with scripts/backends.sh.
#
#   bash bench/async_jobs.sh                       # 500 invoices x 3 rounds
#   JOBS=1000 ROUNDS=5 CONCURRENCY=8 bash bench/async_jobs.sh
#   S3_SERVER=s3s-fs bash bench/async_jobs.sh      # a native S3 server instead of moto
#
# Report: bench/out/async_jobs.md.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DOCSMITH_BIN:-target/release/docsmith}
[[ -x $bin ]] || cargo build --release --bin docsmith
eval "$(scripts/backends.sh start)"
db=docsmith_bench
as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
as_postgres psql -qc "DROP DATABASE IF EXISTS $db" >&2
as_postgres psql -qc "CREATE DATABASE $db OWNER docsmith" >&2
BENCH_DATABASE=$db python3 bench/async_jobs.py --binary "$bin" --jobs "${JOBS:-500}" \
    --rounds "${ROUNDS:-3}" --concurrency "${CONCURRENCY:-8}"
