#!/usr/bin/env bash
# Async jobs under failure (scripts/fault_test.py): 2 API nodes and 3
# workers on loopback sharing PostgreSQL and S3 (scripts/backends.sh),
# 1,000 jobs, one worker SIGKILLed mid-run and another restarted. Every job
# must end `succeeded` exactly once with a valid result.
#
#   scripts/fault_test.sh                 # 1,000 jobs, target/release/docsmith
#   JOBS=200 DOCSMITH_BIN=target/debug/docsmith scripts/fault_test.sh
#
# Report: target/fault-test/report.md; node logs beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${DOCSMITH_BIN:-target/release/docsmith}
if [[ ! -x $bin ]]; then
    echo "[fault] building $bin" >&2
    if [[ $bin == target/release/* ]]; then cargo build --release --bin docsmith; else cargo build --bin docsmith; fi
fi
eval "$(scripts/backends.sh start)"
db=docsmith_fault
as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
as_postgres psql -qc "DROP DATABASE IF EXISTS $db" >&2
as_postgres psql -qc "CREATE DATABASE $db OWNER docsmith" >&2
rm -rf target/fault-test
FAULT_DATABASE=$db python3 scripts/fault_test.py --jobs "${JOBS:-1000}" --binary "$bin"
