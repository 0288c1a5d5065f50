#!/usr/bin/env bash
# Renders every sample job with `docsmith render` and opens each output with
# the readers our users use (openpyxl for XLSX), in a private venv.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/check-venv
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check openpyxl
fi

cargo build --quiet
out=target/check-outputs
rm -rf "$out"
mkdir -p "$out"
for job in samples/xlsx-*.json; do
    name=$(basename "$job" .json)
    target/debug/docsmith render "$job" -o "$out/$name.xlsx"
done
"$venv/bin/python" scripts/check_xlsx.py samples "$out"
