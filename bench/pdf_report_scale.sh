#!/usr/bin/env bash
# PDF at scale: `docsmith render` of the `report` template with 10,000 and
# 100,000 transaction rows, wall time and peak RSS under GNU time -v, page
# count via pdfinfo. Targets: 10k rows < 1.5 s and < 200 MB; 100k rows < 15 s
# and < 1 GB.
#
#   bash bench/pdf_report_scale.sh
#   ROWS_LIST="1000 10000" bash bench/pdf_report_scale.sh
#
# Env: ROWS_LIST ("10000 100000") TIMEOUT (300 s per render, then it is killed)
#      BUILD (0; 1 = cargo build --release first) DOCSMITH_BIN (binary to use)
#      STRICT (0; 1 = exit 2 when a render works but misses a target)
# Report: bench/out/pdf_report_scale.md (also printed); jobs cached as
# bench/out/pdf_report_job_ROWS.json (regenerated when the generator changes),
# outputs bench/out/report-ROWS.pdf, GNU time output bench/out/pdf_report_ROWS.time.
# Exit 1 when a render fails (the report says which and shows its stderr).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pdf_lib.sh
source "$BENCH_DIR/pdf_lib.sh"
cd "$ROOT"

ROWS_LIST="${ROWS_LIST:-10000 100000}"
TIMEOUT="${TIMEOUT:-300}"
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "TIMEOUT must be a positive integer (seconds)"
read -r -a rows_list <<<"$ROWS_LIST"
((${#rows_list[@]})) || die "ROWS_LIST is empty"
for rows in "${rows_list[@]}"; do [[ $rows =~ ^[0-9]+$ ]] || die "ROWS_LIST: '$rows' is not an integer"; done

GNU_TIME=/usr/bin/time
need_cmd "$GNU_TIME" time
need_cmd timeout coreutils
want_debs poppler-utils
ensure_docsmith

REPORT="$OUT_DIR/pdf_report_scale.md"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# target ROWS -> "max_seconds max_mb" (the issue's targets; linear in between is not claimed)
target() {
    case $1 in
        10000) echo "1.5 200" ;;
        100000) echo "15 1024" ;;
        *) echo "- -" ;;
    esac
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
FAILED=0
MISSED=0
: >"$WORK/rows.md"
: >"$WORK/errors.md"
for rows in "${rows_list[@]}"; do
    job="$OUT_DIR/pdf_report_job_${rows}.json"
    pdf="$OUT_DIR/report-${rows}.pdf"
    tfile="$OUT_DIR/pdf_report_${rows}.time"
    if [[ ! -s $job || $BENCH_DIR/gen_pdf_report_job.py -nt $job ]]; then
        log "generating $rows-row report job -> ${job#"$ROOT"/}"
        python3 "$BENCH_DIR/gen_pdf_report_job.py" "$rows" --out "$job"
    fi
    rm -f "$pdf"
    log "$rows rows: docsmith render ${job#"$ROOT"/} -o ${pdf#"$ROOT"/} (timeout ${TIMEOUT}s)"
    rc=0
    "$GNU_TIME" -v -o "$tfile" timeout "$TIMEOUT" "$DOCSMITH" render "$job" -o "$pdf" \
        >"$WORK/$rows.stdout" 2>"$WORK/$rows.stderr" || rc=$?
    wall="$(awk -F': ' '/Elapsed \(wall clock\) time/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$tfile")"
    rss_mb="$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$tfile")"
    read -r max_s max_mb <<<"$(target "$rows")"
    if [[ $rc -ne 0 || ! -s $pdf ]]; then
        FAILED=1
        if [[ $rc -eq 124 ]]; then status="**FAILED: killed after ${TIMEOUT}s**"; else status="**FAILED (exit $rc)**"; fi
        log "$rows rows: render FAILED (exit $rc):"
        tail -n 15 "$WORK/$rows.stderr" >&2
        pages="-"
        size="-"
        {
            printf "\n%s rows: \`docsmith render\` exited %s. Last lines of its stderr:\n\n\`\`\`\n%s\n\`\`\`\n" \
                "$rows" "$rc" "$(tail -n 15 "$WORK/$rows.stderr")"
        } >>"$WORK/errors.md"
        met_t="-"
        met_m="-"
    else
        status="ok"
        pages="$(pdf_pages "$pdf")"
        size="$(stat -c %s "$pdf")"
        met_t="-"
        met_m="-"
        if [[ $max_s != - ]]; then
            if awk -v a="$wall" -v b="$max_s" 'BEGIN { exit !(a < b) }'; then met_t="yes"; else met_t="**NO**"; MISSED=1; fi
            if awk -v a="$rss_mb" -v b="$max_mb" 'BEGIN { exit !(a < b) }'; then met_m="yes"; else met_m="**NO**"; MISSED=1; fi
        fi
        log "$rows rows: ${wall} s, ${rss_mb} MB peak RSS, $pages pages, $size bytes"
    fi
    tgt_t="-"
    tgt_m="-"
    [[ $max_s == - ]] || tgt_t="< ${max_s} s"
    [[ $max_mb == - ]] || tgt_m="< ${max_mb} MB"
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
        "$rows" "$status" "$wall" "$tgt_t" "$met_t" "$rss_mb" "$tgt_m" "$met_m" "$pages" "$size" >>"$WORK/rows.md"
done

{
    printf "## PDF report at scale: \`docsmith render\` of the \`report\` template\n\n"
    machine_info "$LOAD_BEFORE"
    printf -- "- command: \`/usr/bin/time -v docsmith render bench/out/pdf_report_job_ROWS.json -o bench/out/report-ROWS.pdf\` (one run each, process start-up and JSON parsing included)\n"
    printf -- '- binary: %s; BUILD=1 rebuilds it first\n' "$(bin_info "$DOCSMITH")"
    printf -- "- jobs: \`bench/gen_pdf_report_job.py ROWS\` (fixed seed): intro, 4 text sections, ROWS transactions, regional summary\n"
    printf -- '- wall = GNU time "Elapsed (wall clock)"; peak RSS = "Maximum resident set size"; pages from pdfinfo\n\n'
    printf '| rows | status | wall s | target | met | peak RSS MB | target | met | pages | PDF bytes |\n'
    printf '|---:|---|---:|---:|:---:|---:|---:|:---:|---:|---:|\n'
    cat "$WORK/rows.md"
    cat "$WORK/errors.md"
    if [[ $FAILED == 1 ]]; then
        printf '\n**At least one render FAILED; its numbers are those of the failed process, not of a report.**\n'
    fi
} >"$REPORT"

cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}"
[[ $FAILED == 0 ]] || die "a render failed (see the report)"
if [[ $MISSED == 1 && ${STRICT:-0} == 1 ]]; then
    log "STRICT=1 and a target was missed"
    exit 2
fi
