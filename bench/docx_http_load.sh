#!/usr/bin/env bash
# HTTP load, DOCX: `docsmith serve` on a free loopback port, wrk POSTing the
# invoice job (samples/pdf-invoice.json with "format": "docx") to /v1/render
# for a fixed time. Targets: >= 500 requests/s and p99 < 50 ms.
#
#   bash bench/docx_http_load.sh
#   DURATION=60s CONNECTIONS=16 bash bench/docx_http_load.sh
#
# Env: as bench/pdf_http_load.sh: DURATION (30s) CONNECTIONS (8) THREADS (1)
#      WARMUP (3s) JOB (samples/pdf-invoice.json: any template/document job;
#      its format is replaced by docx) WORKERS / QUEUE_DEPTH PORT BUILD
#      DOCSMITH_BIN STRICT (0; 1 = exit 2 when the run is clean but misses a target)
# Report: bench/out/docx_http_load.md (also printed); the body posted in
# bench/out/docx_http_job.json, raw wrk output in bench/out/docx_http_wrk.txt,
# server log in bench/out/docx_http_server.log, the hand-checked response in
# bench/out/docx_http_sample.docx (and docsmith's PDF of the same job, the
# reference for the check, in bench/out/docx_http_sample.pdf).
# Traffic goes to 127.0.0.1 only; the run is bounded by DURATION (+ WARMUP).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pdf_lib.sh
source "$BENCH_DIR/pdf_lib.sh"
cd "$ROOT"

load_settings
SRC_JOB="${JOB:-$ROOT/samples/pdf-invoice.json}"
TARGET_RPS=500
TARGET_P99_MS=50
[[ -f $SRC_JOB ]] || die "job not found: $SRC_JOB"

need_cmd wrk wrk
need_cmd curl curl
need_debs poppler-utils
ensure_venv
ensure_docsmith

JOB="$OUT_DIR/docx_http_job.json"
WRK_OUT="$OUT_DIR/docx_http_wrk.txt"
REPORT="$OUT_DIR/docx_http_load.md"
SAMPLE="$OUT_DIR/docx_http_sample.docx"
SAMPLE_PDF="$OUT_DIR/docx_http_sample.pdf"
DOCX_CT="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_CT="application/pdf"

# The same job with "format": "docx" (and a .docx file name).
python3 - "$SRC_JOB" "$JOB" <<'PY'
import json, re, sys
job = json.load(open(sys.argv[1], encoding="utf-8"))
job["format"] = "docx"
if "filename" in job:
    job["filename"] = re.sub(r"\.[A-Za-z]+$", "", job["filename"]) + ".docx"
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(job, f, ensure_ascii=False, indent=1)
    f.write("\n")
PY

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
serve_start "$OUT_DIR/docx_http_server.log"

# One request by hand: status, content type, and the invoice's content, checked
# against docsmith's PDF of the same job (fetched from the same server).
rm -f "$SAMPLE" "$SAMPLE_PDF"
read -r code ctype < <(post_render "$JOB" "$DOCX_CT" "$SAMPLE")
if [[ $code != 200 ]]; then
    head -c 2000 "$SAMPLE" >&2
    echo >&2
    die "POST /v1/render with ${JOB#"$ROOT"/} -> HTTP $code (not 200): the DOCX invoice does not render, nothing to load-test"
fi
[[ ${ctype%%;*} == "$DOCX_CT" ]] || die "POST /v1/render Content-Type '$ctype', expected $DOCX_CT"
read -r code ctype < <(post_render "$SRC_JOB" "$PDF_CT" "$SAMPLE_PDF")
[[ $code == 200 && ${ctype%%;*} == "$PDF_CT" ]] || die "POST /v1/render of ${SRC_JOB#"$ROOT"/} as PDF (the check's reference) -> HTTP $code, '$ctype'"
CHECK_OUT="$("$VENV_PY" scripts/check_docx.py --no-libreoffice --out "$OUT_DIR" \
    --docx "${SAMPLE#"$ROOT"/}" --pdf "${SAMPLE_PDF#"$ROOT"/}" "${SRC_JOB#"$ROOT"/}" 2>&1)" || {
    printf '%s\n' "$CHECK_OUT" >&2
    die "the response is not the expected document (scripts/check_docx.py)"
}
printf '%s\n' "$CHECK_OUT" >&2

wrk_load "$JOB" "$DOCX_CT" "$WRK_OUT"
load_targets "$TARGET_RPS" "$TARGET_P99_MS"

{
    printf '## HTTP load: POST /v1/render, DOCX invoice (%s as "format": "docx")\n\n' "${SRC_JOB#"$ROOT"/}"
    machine_info "$LOAD_BEFORE"
    printf -- "- server: \`docsmith %s\` (workers: %s); binary %s\n" "${SERVE_ARGS[*]}" "${WORKERS:-server default}" "$(bin_info "$DOCSMITH")"
    printf -- "- client: \`wrk -t%s -c%s -d%s --latency -s bench/post_job.lua\` (Accept: %s) after a %s warm-up\n" \
        "$THREADS" "$CONNECTIONS" "$DURATION" "$DOCX_CT" "$WARMUP"
    printf -- '- NOTE: wrk and the server share the same %s cores, so the server gets only part of the CPU: throughput is a lower bound, latencies include client-side contention.\n' "$(nproc)"
    printf -- '- request body %s bytes (%s), response %s bytes; response checked by scripts/check_docx.py (python-docx) against docsmith'"'"'s PDF of the same job\n\n' \
        "$(stat -c %s "$JOB")" "${JOB#"$ROOT"/}" "$(stat -c %s "$SAMPLE")"
    load_table "$TARGET_RPS" "$TARGET_P99_MS"
    printf "\nResponse check:\n\n\`\`\`\n%s\n\`\`\`\n" "$CHECK_OUT"
} >"$REPORT"

cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}; raw wrk output: ${WRK_OUT#"$ROOT"/}"
load_exit
