#!/usr/bin/env bash
# HTTP zip batch: `docsmith serve` on a free loopback port, one POST
# /v1/render of a zip job whose batch renders N invoices (the invoice
# template, samples/pdf-invoice.json's data with a different number, buyer,
# quantities and date per item), answered with a streamed ZIP of N PDFs.
# For each N (SIZES, default 1000 and 10000) and each of RUNS rounds a fresh
# server is started (so its peak RSS belongs to that N and run), warmed up
# with a small zip job, then the batch is POSTed by bench/zip_client.py
# (stdlib http.client, body read as a stream) while the server's VmRSS is
# sampled every 50 ms. The order of the sizes alternates round by round.
# Targets (the zip issue): time to first byte < 100 ms, server peak RSS
# < 300 MB, and memory flat from 1k to 10k invoices.
#
#   bash bench/zip_http.sh
#   RUNS=5 SIZES="1000 5000 10000" bash bench/zip_http.sh
#
# Env: RUNS (3) SIZES ("1000 10000") JOB_TIMEOUT (300s; the server default
#      60s is tight for 10k invoices on a loaded 2-core VM) MAX_BODY (32MiB,
#      raised to fit the largest job) WARMUP_ITEMS (8) INTERVAL (0.05 s, RSS
#      sampling) PICK (3 PDFs per archive for qpdf --check)
#      WORKERS / QUEUE_DEPTH (passed as --workers / --queue-depth when set)
#      PORT (default: a free one per server) BUILD (0; 1 = cargo build --release
#      first) DOCSMITH_BIN (binary to use) STRICT (0; 1 = exit 2 when a target is missed)
# Report: bench/out/zip_http.md (also printed); every run as JSON lines in
# bench/out/zip_http_raw.jsonl, the jobs in bench/out/zip_http_job_N.json, the
# last 1,000-invoice archive in bench/out/zip_http_1000.zip, the server logs
# in bench/out/zip_http_server_N.log.
# Traffic goes to 127.0.0.1 only.
# Exit: 0 = every response was 200 and every archive passed the checks; 1 =
#       not; 2 = STRICT=1 and a target was missed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pdf_lib.sh disable=SC1091
source "$BENCH_DIR/pdf_lib.sh"
# shellcheck source-path=SCRIPTDIR source=image_lib.sh disable=SC1091
source "$BENCH_DIR/image_lib.sh" # vm_kb
cd "$ROOT"

RUNS="${RUNS:-3}"
SIZES="${SIZES:-1000 10000}"
JOB_TIMEOUT="${JOB_TIMEOUT:-300s}"
WARMUP_ITEMS="${WARMUP_ITEMS:-8}"
INTERVAL="${INTERVAL:-0.05}"
PICK="${PICK:-3}"
USER_PORT="${PORT:-}"
TARGET_TTFB_MS=100
TARGET_RSS_MB=300
for v in RUNS WARMUP_ITEMS PICK; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
read -r -a SIZE_LIST <<<"$SIZES"
((${#SIZE_LIST[@]} > 0)) || die "SIZES is empty"
for n in "${SIZE_LIST[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "SIZES must hold positive integers (got '$n')"
done

need_cmd curl curl
need_cmd unzip unzip
need_cmd qpdf qpdf
need_cmd python3 python3
ensure_docsmith

CLIENT="$BENCH_DIR/zip_client.py"
REPORT="$OUT_DIR/zip_http.md"
RAW="$OUT_DIR/zip_http_raw.jsonl"
KEEP_ZIP="$OUT_DIR/zip_http_1000.zip"
WORK="$(mktemp -d "$OUT_DIR/zip_http.XXXXXX")"
cleanup() { serve_stop; rm -rf "$WORK"; }
trap cleanup EXIT

# The jobs, cached; regenerated when the generator changes.
job_path() { printf '%s/zip_http_job_%s.json\n' "$OUT_DIR" "$1"; }
biggest=0
for n in "${SIZE_LIST[@]}" "$WARMUP_ITEMS"; do
    job="$(job_path "$n")"
    if [[ ! -s $job || $CLIENT -nt $job ]]; then
        log "generating the $n-invoice zip job -> ${job#"$ROOT"/}"
        python3 "$CLIENT" gen-batch --n "$n" --out "$job"
    fi
    size="$(stat -c %s "$job")"
    ((size > biggest)) && biggest=$size
done
# --max-body: the server default (32 MiB) unless the largest job needs more.
MAX_BODY="${MAX_BODY:-32MiB}"
if ((biggest > 32 * 1024 * 1024)) && [[ $MAX_BODY == 32MiB ]]; then
    MAX_BODY="$(((biggest >> 20) + 2))MiB"
    log "the largest job is $biggest bytes: --max-body raised to $MAX_BODY"
fi
# serve_start (pdf_lib.sh) passes --workers / --queue-depth only; these two
# reach the server through their environment variables.
export DOCSMITH_MAX_BODY="$MAX_BODY" DOCSMITH_JOB_TIMEOUT="$JOB_TIMEOUT"

# check_archive ZIP N : entry count, names, distinct PDFs (zip_client.py),
# `unzip -tq`, and `qpdf --check` on PICK of the PDFs; prints a one-line
# summary, or the problem and returns 1.
check_archive() {
    local zip=$1 n=$2 dir="$WORK/pdfs" summary pdf
    rm -rf "$dir"
    if ! summary="$(python3 "$CLIENT" check-batch --zip "$zip" --n "$n" --extract "$dir" --pick "$PICK")"; then
        printf 'zipfile check: %s\n' "$summary"
        return 1
    fi
    if ! unzip -tq "$zip" >"$WORK/unzip.txt" 2>&1; then
        printf 'unzip -tq failed: %s\n' "$(head -n 5 "$WORK/unzip.txt" | tr '\n' ' ')"
        return 1
    fi
    for pdf in "$dir"/*.pdf; do
        if ! qpdf --check "$pdf" >"$WORK/qpdf.txt" 2>&1; then
            printf 'qpdf --check %s: %s\n' "${pdf##*/}" "$(tail -n 3 "$WORK/qpdf.txt" | tr '\n' ' ')"
            return 1
        fi
    done
    printf '%s entries, unzip -tq ok, qpdf --check ok on the extracted ones; %s\n' "$n" "$summary"
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
: >"$RAW"
declare -A CHECKS=()
for ((r = 1; r <= RUNS; r++)); do
    order=("${SIZE_LIST[@]}")
    if ((r % 2 == 0)); then
        order=()
        for ((i = ${#SIZE_LIST[@]} - 1; i >= 0; i--)); do order+=("${SIZE_LIST[i]}"); done
    fi
    for n in "${order[@]}"; do
        PORT="$USER_PORT"
        serve_start "$OUT_DIR/zip_http_server_$n.log"
        trap cleanup EXIT
        # Warm-up: templates, fonts and the pool's threads touched once.
        python3 "$CLIENT" post --url "$BASE/v1/render" --job "$(job_path "$WARMUP_ITEMS")" \
            --out "$WORK/warmup.zip" >"$WORK/warmup.json" ||
            die "warm-up request failed (server log: bench/out/zip_http_server_$n.log)"
        grep -q '"status": 200' "$WORK/warmup.json" || die "warm-up: $(cat "$WORK/warmup.json")"
        rss_idle_kb="$(vm_kb "$SERVER_PID" VmRSS)"
        log "round $r/$RUNS: POST a zip job of $n invoices ($(stat -c %s "$(job_path "$n")") bytes) to $BASE/v1/render"
        out="$WORK/run-$n.zip"
        rc=0
        line="$(python3 "$CLIENT" post --url "$BASE/v1/render" --job "$(job_path "$n")" --out "$out" \
            --pid "$SERVER_PID" --interval "$INTERVAL")" || rc=$?
        if ((rc != 0)); then
            kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$SERVER_LOG" >&2; die "the server died (log: ${SERVER_LOG#"$ROOT"/})"; }
            die "the client failed in round $r, N=$n (exit $rc)"
        fi
        hwm_kb="$(vm_kb "$SERVER_PID" VmHWM)"
        cpu_s="$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$SERVER_PID/stat")"
        serve_stop
        status="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["status"])' "$line")"
        if [[ $status != 200 ]]; then
            head -c 2000 "$out" >&2 || true
            echo >&2
            die "round $r, N=$n: HTTP $status"
        fi
        if ! check="$(check_archive "$out" "$n")"; then
            cp "$out" "$OUT_DIR/zip_http_bad_$n.zip"
            die "round $r, N=$n: bad archive (kept as bench/out/zip_http_bad_$n.zip): $check"
        fi
        CHECKS[$n]="$check"
        python3 - "$line" "$r" "$n" "$hwm_kb" "$rss_idle_kb" "$cpu_s" "$(stat -c %s "$out")" >>"$RAW" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
d.update(round=int(sys.argv[2]), n=int(sys.argv[3]), vmhwm_kb=int(sys.argv[4]),
         rss_idle_kb=int(sys.argv[5]), server_cpu_s=float(sys.argv[6]), archive_bytes=int(sys.argv[7]))
print(json.dumps(d))
PY
        log "  $(tail -n 1 "$RAW")"
        if [[ $n == 1000 ]]; then mv "$out" "$KEEP_ZIP"; else rm -f "$out"; fi
    done
done

TABLE_RC=0
TABLE="$(python3 - "$RAW" "$TARGET_TTFB_MS" "$TARGET_RSS_MB" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t_ttfb, t_rss = float(sys.argv[2]), float(sys.argv[3])
by_n = {}
for r in rows:
    by_n.setdefault(r["n"], []).append(r)
med = statistics.median
out, missed, peaks = [], False, {}
out.append("| N invoices | runs | TTFB median ms | total median s | invoices/s | archive MB | peak RSS MB (sampled, median / max) | VmHWM MB (median) |")
out.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
for n in sorted(by_n):
    rs = by_n[n]
    ttfb = med(r["ttfb_ms"] for r in rs)
    total = med(r["total_s"] for r in rs)
    peak = [r["peak_rss_kb"] / 1024 for r in rs]
    hwm = med(r["vmhwm_kb"] / 1024 for r in rs)
    peaks[n] = max(max(peak), hwm)
    mb = med(r["archive_bytes"] for r in rs) / 1e6
    out.append(f"| {n} | {len(rs)} | {ttfb:.1f} | {total:.2f} | {n / total:.0f} | {mb:.1f} | {med(peak):.1f} / {max(peak):.1f} | {hwm:.1f} |")
out.append("")
out.append("| target | value | met |")
out.append("|---|---:|:---:|")
for n in sorted(by_n):
    ttfb = med(r["ttfb_ms"] for r in by_n[n])
    ok = ttfb < t_ttfb
    missed |= not ok
    out.append(f"| TTFB < {t_ttfb:.0f} ms, N={n} (median) | {ttfb:.1f} ms | {'yes' if ok else '**NO**'} |")
for n in sorted(by_n):
    ok = peaks[n] < t_rss
    missed |= not ok
    out.append(f"| peak RSS < {t_rss:.0f} MB, N={n} (max of sampled and VmHWM) | {peaks[n]:.1f} MB | {'yes' if ok else '**NO**'} |")
if len(peaks) > 1:
    lo, hi = min(peaks), max(peaks)
    grow = peaks[hi] - peaks[lo]
    ok = peaks[hi] <= 1.2 * peaks[lo]
    missed |= not ok
    out.append(f"| memory flat: peak at N={hi} within 20% of N={lo} | {grow:+.1f} MB ({peaks[hi] / peaks[lo]:.2f}x) | {'yes' if ok else '**NO**'} |")
out.append("")
out.append("Every run (TTFB and head from the moment the request body was sent; `send` = writing the request body):")
out.append("")
out.append("| round | N | send ms | head ms | TTFB ms | total s | bytes | peak RSS MB (sampled) | VmHWM MB | idle RSS MB | server CPU s | samples |")
out.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    out.append(f"| {r['round']} | {r['n']} | {r['send_ms']:.1f} | {r['head_ms']:.1f} | {r['ttfb_ms']:.1f} | {r['total_s']:.2f} | {r['archive_bytes']} | "
               f"{r['peak_rss_kb'] / 1024:.1f} | {r['vmhwm_kb'] / 1024:.1f} | {r['rss_idle_kb'] / 1024:.1f} | {r['server_cpu_s']:.1f} | {r['rss_samples']} |")
print("\n".join(out))
sys.exit(2 if missed else 0)
PY
)" || TABLE_RC=$?
((TABLE_RC == 0 || TABLE_RC == 2)) || die "the table script failed (exit $TABLE_RC)"

{
    printf '## HTTP zip batch: POST /v1/render, a zip job of N invoices (batch, invoice template)\n\n'
    machine_info "$LOAD_BEFORE"
    printf -- "- server: \`docsmith serve --addr 127.0.0.1:PORT%s%s --max-body %s --job-timeout %s\` (the default --job-timeout is 60s); a fresh server per N and round, warmed up with a %s-invoice zip job; binary %s\n" \
        "${WORKERS:+ --workers $WORKERS}" "${QUEUE_DEPTH:+ --queue-depth $QUEUE_DEPTH}" "$MAX_BODY" "$JOB_TIMEOUT" "$WARMUP_ITEMS" "$(bin_info "$DOCSMITH")"
    printf -- "- client: \`python3 bench/zip_client.py post\` (http.client, Content-Length body, response read in 64 KiB pieces); %s round(s), sizes alternating order (%s); server VmRSS sampled every %s s\n" \
        "$RUNS" "$SIZES" "$INTERVAL"
    # shellcheck disable=SC2016  # Markdown code spans
    printf -- '- job: `{"format": "zip", "batch": {"path": "invoices/{{ invoice.number }}.pdf", "job": {"format": "pdf", "template": "invoice"}, "items": [N items]}}`, items from samples/pdf-invoice.json with a different number, buyer, quantities and date each (bench/out/zip_http_job_N.json: %s)\n' \
        "$(for n in "${SIZE_LIST[@]}"; do printf '%s: %s bytes ' "$n" "$(stat -c %s "$(job_path "$n")")"; done)"
    printf -- '- NOTE: the client and the server share the same %s cores; invoices/s is N / total time of the request (upload, validation, rendering, download).\n\n' "$(nproc)"
    printf '%s\n\n' "$TABLE"
    printf 'Archive checks (every run; the last one per N shown):\n\n'
    for n in "${SIZE_LIST[@]}"; do printf -- '- N=%s: %s\n' "$n" "${CHECKS[$n]}"; done
} >"$REPORT"

cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}; raw runs: ${RAW#"$ROOT"/}"
if [[ ${STRICT:-0} == 1 && $TABLE_RC == 2 ]]; then
    log "STRICT=1 and a target was missed"
    exit 2
fi
