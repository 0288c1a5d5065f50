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

DURATION="${DURATION:-30s}"
CONNECTIONS="${CONNECTIONS:-8}"
THREADS="${THREADS:-1}"
WARMUP="${WARMUP:-3s}"
JOB="${JOB:-$ROOT/samples/pdf-invoice.json}"
TARGET_RPS=500
TARGET_P99_MS=50
[[ $CONNECTIONS =~ ^[1-9][0-9]*$ && $THREADS =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS/THREADS must be positive integers"
((THREADS <= CONNECTIONS)) || THREADS=$CONNECTIONS
[[ -f $JOB ]] || die "job not found: $JOB"

need_cmd wrk wrk
need_cmd curl curl
need_debs "${PDF_TOOL_DEBS[@]}"
want_debs zbar-tools
ensure_venv
ensure_docsmith

PORT="${PORT:-$(free_port)}"
BASE="http://127.0.0.1:$PORT"
SERVER_LOG="$OUT_DIR/pdf_http_server.log"
WRK_OUT="$OUT_DIR/pdf_http_wrk.txt"
REPORT="$OUT_DIR/pdf_http_load.md"
SAMPLE="$OUT_DIR/pdf_http_sample.pdf"
PDF_CT="application/pdf"

serve_args=(serve --addr "127.0.0.1:$PORT")
[[ -z ${WORKERS:-} ]] || serve_args+=(--workers "$WORKERS")
[[ -z ${QUEUE_DEPTH:-} ]] || serve_args+=(--queue-depth "$QUEUE_DEPTH")

SERVER_PID=""
stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server did not stop on SIGTERM within 5 s; killing it"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "starting: ${DOCSMITH#"$ROOT"/} ${serve_args[*]}"
"$DOCSMITH" "${serve_args[@]}" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

for i in $(seq 300); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        tail -n 20 "$SERVER_LOG" >&2
        die "server exited during start-up (log: ${SERVER_LOG#"$ROOT"/})"
    fi
    if curl -fsS -o /dev/null --max-time 1 "$BASE/healthz" 2>/dev/null; then break; fi
    ((i < 300)) || die "no 200 from $BASE/healthz within 30 s"
    sleep 0.1
done
log "server up on $BASE (pid $SERVER_PID)"

# One request by hand: status, content type, and the invoice's content.
rm -f "$SAMPLE"
read -r code ctype < <(curl -sS -o "$SAMPLE" -w '%{http_code} %{content_type}\n' --max-time 30 \
    -H 'Content-Type: application/json' -H "Accept: $PDF_CT" --data-binary "@$JOB" "$BASE/v1/render")
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

wrk_args=(-t "$THREADS" -c "$CONNECTIONS" --timeout 10s -s "$BENCH_DIR/post_job.lua" "$BASE/v1/render" -- "$JOB")
export DOCSMITH_ACCEPT="$PDF_CT"
log "warm-up: wrk ${WARMUP}"
wrk -d "$WARMUP" "${wrk_args[@]}" >/dev/null

log "load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency"
wrk -d "$DURATION" --latency "${wrk_args[@]}" | tee "$WRK_OUT" >&2
kill -0 "$SERVER_PID" 2>/dev/null || die "server died during the load run (log: ${SERVER_LOG#"$ROOT"/})"
SERVER_HWM_KB="$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)"
SERVER_CPU_S="$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$SERVER_PID/stat" 2>/dev/null || echo '?')"
stop_server

line="$(grep '^BENCH ' "$WRK_OUT" | tail -n 1)" || die "no BENCH line in wrk output (see ${WRK_OUT#"$ROOT"/})"
val() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<" ${line#BENCH }"; }
NON2XX_WRK="$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$WRK_OUT")"
NON2XX="$(val non2xx)"
SOCK_ERR=$(($(val connect_err) + $(val read_err) + $(val write_err) + $(val timeouts)))
RESP_BYTES="$(stat -c %s "$SAMPLE")"
RPS="$(val rps)"
P99="$(val p99_ms)"
met() { if awk -v a="$1" -v b="$2" "BEGIN { exit !(a $3 b) }"; then echo yes; else echo '**NO**'; fi; }
MET_RPS="$(met "$RPS" "$TARGET_RPS" '>=')"
MET_P99="$(met "$P99" "$TARGET_P99_MS" '<')"

{
    printf '## HTTP load: POST /v1/render, PDF invoice (%s)\n\n' "${JOB#"$ROOT"/}"
    machine_info "$LOAD_BEFORE"
    printf -- "- server: \`docsmith %s\` (workers: %s); binary %s\n" "${serve_args[*]}" "${WORKERS:-server default}" "$(bin_info "$DOCSMITH")"
    printf -- "- client: \`wrk -t%s -c%s -d%s --latency -s bench/post_job.lua\` (Accept: %s) after a %s warm-up\n" \
        "$THREADS" "$CONNECTIONS" "$DURATION" "$PDF_CT" "$WARMUP"
    printf -- '- NOTE: wrk and the server share the same %s cores, so the server gets only part of the CPU: throughput is a lower bound, latencies include client-side contention.\n' "$(nproc)"
    printf -- '- request body %s bytes, response %s bytes (%s page(s)); response checked by bench/check_pdf_invoice.py\n\n' \
        "$(stat -c %s "$JOB")" "$RESP_BYTES" "$(pdf_pages "$SAMPLE")"
    printf '| metric | value | target | met |\n|---|---:|---:|:---:|\n'
    printf '| requests/s | %.1f | >= %s | %s |\n' "$RPS" "$TARGET_RPS" "$MET_RPS"
    printf '| requests | %s | | |\n' "$(val requests)"
    printf '| latency p50 ms | %.2f | | |\n' "$(val p50_ms)"
    printf '| latency p90 ms | %.2f | | |\n' "$(val p90_ms)"
    printf '| latency p99 ms | %.2f | < %s | %s |\n' "$P99" "$TARGET_P99_MS" "$MET_P99"
    printf '| latency max ms | %.2f | | |\n' "$(val max_ms)"
    printf '| non-2xx/3xx responses | %s | 0 | |\n' "$NON2XX"
    printf '| socket errors (connect/read/write/timeout) | %s | 0 | |\n' "$SOCK_ERR"
    printf '| server peak RSS MB (VmHWM) | %.1f | | |\n' "$(awk -v k="$SERVER_HWM_KB" 'BEGIN { print k / 1024 }')"
    printf '| server CPU seconds (user+sys, whole life) | %s | | |\n' "$SERVER_CPU_S"
    printf "\nResponse check:\n\n\`\`\`\n%s\n\`\`\`\n" "$CHECK_OUT"
} >"$REPORT"

cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}; raw wrk output: ${WRK_OUT#"$ROOT"/}"
if [[ $NON2XX != 0 || -n $NON2XX_WRK ]]; then
    die "non-2xx responses: ${NON2XX_WRK:-$NON2XX} (server log: ${SERVER_LOG#"$ROOT"/})"
fi
((SOCK_ERR == 0)) || die "$SOCK_ERR socket errors during the load run"
if [[ ${STRICT:-0} == 1 && ($MET_RPS != yes || $MET_P99 != yes) ]]; then
    log "STRICT=1 and a target was missed"
    exit 2
fi
