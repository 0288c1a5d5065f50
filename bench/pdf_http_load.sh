#!/usr/bin/env bash
# HTTP load, PDF: `docsmith serve` on a free loopback port, wrk POSTing the
# invoice job (samples/pdf-invoice.json) to /v1/render for a fixed time.
# Targets: >= 500 requests/s and p99 < 50 ms.
#
#   bash bench/pdf_http_load.sh
#   DURATION=60s CONNECTIONS=16 bash bench/pdf_http_load.sh
#
# Env: DURATION (30s) CONNECTIONS (8) THREADS (1, wrk threads: one leaves more CPU to the server) WARMUP (3s)
#      JOB (samples/pdf-invoice.json) WORKERS / QUEUE_DEPTH (passed as --workers / --queue-depth
#      when set; default: the server's own) PORT (default: a free one)
#      BUILD (0; 1 = cargo build --release first) DOCSMITH_BIN (binary to use)
#      STRICT (0; 1 = exit 2 when the run is clean but misses a target)
# Report: bench/out/pdf_http_load.md (also printed); raw wrk output in
# bench/out/pdf_http_wrk.txt, server log in bench/out/pdf_http_server.log, the
# hand-checked response in bench/out/pdf_http_sample.pdf.
# Traffic goes to 127.0.0.1 only; the run is bounded by DURATION (+ WARMUP).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pdf_lib.sh
source "$BENCH_DIR/pdf_lib.sh"
cd "$ROOT"

load_settings
JOB="${JOB:-$ROOT/samples/pdf-invoice.json}"
TARGET_RPS=500
TARGET_P99_MS=50
[[ -f $JOB ]] || die "job not found: $JOB"

need_cmd wrk wrk
need_cmd curl curl
need_debs "${PDF_TOOL_DEBS[@]}"
want_debs zbar-tools
ensure_venv
ensure_docsmith

WRK_OUT="$OUT_DIR/pdf_http_wrk.txt"
REPORT="$OUT_DIR/pdf_http_load.md"
SAMPLE="$OUT_DIR/pdf_http_sample.pdf"
PDF_CT="application/pdf"

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
serve_start "$OUT_DIR/pdf_http_server.log"

# One request by hand: status, content type, and the invoice's content.
rm -f "$SAMPLE"
read -r code ctype < <(post_render "$JOB" "$PDF_CT" "$SAMPLE")
if [[ $code != 200 ]]; then
    head -c 2000 "$SAMPLE" >&2
    echo >&2
    die "POST /v1/render with ${JOB#"$ROOT"/} -> HTTP $code (not 200): the PDF invoice does not render, nothing to load-test"
fi
[[ ${ctype%%;*} == "$PDF_CT" ]] || die "POST /v1/render Content-Type '$ctype', expected $PDF_CT"
CHECK_OUT="$("$VENV_PY" "$BENCH_DIR/check_pdf_invoice.py" --job "$JOB" "${SAMPLE#"$ROOT"/}" 2>&1)" || {
    printf '%s\n' "$CHECK_OUT" >&2
    die "the response is not the expected invoice (bench/check_pdf_invoice.py)"
}
printf '%s\n' "$CHECK_OUT" >&2

wrk_load "$JOB" "$PDF_CT" "$WRK_OUT"
load_targets "$TARGET_RPS" "$TARGET_P99_MS"

{
    printf '## HTTP load: POST /v1/render, PDF invoice (%s)\n\n' "${JOB#"$ROOT"/}"
    machine_info "$LOAD_BEFORE"
    printf -- "- server: \`docsmith %s\` (workers: %s); binary %s\n" "${SERVE_ARGS[*]}" "${WORKERS:-server default}" "$(bin_info "$DOCSMITH")"
    printf -- "- client: \`wrk -t%s -c%s -d%s --latency -s bench/post_job.lua\` (Accept: %s) after a %s warm-up\n" \
        "$THREADS" "$CONNECTIONS" "$DURATION" "$PDF_CT" "$WARMUP"
    printf -- '- NOTE: wrk and the server share the same %s cores, so the server gets only part of the CPU: throughput is a lower bound, latencies include client-side contention.\n' "$(nproc)"
    printf -- '- request body %s bytes, response %s bytes (%s page(s)); response checked by bench/check_pdf_invoice.py\n\n' \
        "$(stat -c %s "$JOB")" "$(stat -c %s "$SAMPLE")" "$(pdf_pages "$SAMPLE")"
    load_table "$TARGET_RPS" "$TARGET_P99_MS"
    printf "\nResponse check:\n\n\`\`\`\n%s\n\`\`\`\n" "$CHECK_OUT"
} >"$REPORT"

cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}; raw wrk output: ${WRK_OUT#"$ROOT"/}"
load_exit
