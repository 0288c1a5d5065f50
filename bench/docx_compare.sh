#!/usr/bin/env bash
# Big DOCX, side by side in one run: docsmith's release example `pdf_timing`
# (a generic "render this job N times in-process" timer) vs python-docx
# building the same document (bench/docx_python_docx.py): 2,000 headings and
# paragraphs with bold/italic runs plus one 1,000-row x 5-column table with a
# header row (bench/gen_docx_big_job.py, fixed seed).
# Target: docsmith >= 10x faster than python-docx.
#
#   bash bench/docx_compare.sh
#   ROUNDS=5 ITERATIONS=30 PEER_ITERATIONS=5 bash bench/docx_compare.sh
#   PEER_ONLY=1 bash bench/docx_compare.sh       # only python-docx
#
# Env: PARAGRAPHS (2000) ROWS (1000) ITERATIONS (20, docsmith's per round)
#      PEER_ITERATIONS (3, python-docx's per round; ~2 s each) WARMUP (1, the
#      peer's untimed iterations; pdf_timing warms up by itself) ROUNDS (3,
#      alternating which side runs first) CLI_RUNS (3 timed `docsmith render`
#      processes, for reference) PEER_ONLY (0) STRICT (0; 1 = exit 2 when the
#      target is missed) BUILD (1 = `cargo build --release --example pdf_timing
#      --bin docsmith` first, a no-op when up to date; 0 = only when missing)
#      DOCSMITH_PDF_TIMING (prebuilt pdf_timing to use) DOCSMITH_BIN (docsmith to use)
# Report: bench/out/docx_compare.md (also printed); raw lines in
# bench/out/docx_compare_raw.jsonl; the job bench/out/docx_big_job.json; the
# documents bench/out/docx_big_{docsmith,python_docx}.docx, both checked with
# `bench/docx_python_docx.py --check` (python-docx opens them; paragraphs,
# bold/italic spans and table rows are the job's).
# Exit: 0 = both sides ran and both documents passed the check;
#       1 = docsmith's side missing/failed (unless PEER_ONLY=1) or a check failed;
#       2 = STRICT=1 and the target was missed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pdf_lib.sh
source "$BENCH_DIR/pdf_lib.sh"
cd "$ROOT"

PARAGRAPHS="${PARAGRAPHS:-2000}"
ROWS="${ROWS:-1000}"
ITERATIONS="${ITERATIONS:-20}"
PEER_ITERATIONS="${PEER_ITERATIONS:-3}"
WARMUP="${WARMUP:-1}"
ROUNDS="${ROUNDS:-3}"
CLI_RUNS="${CLI_RUNS:-3}"
PEER_ONLY="${PEER_ONLY:-0}"
TARGET_RATIO=10
for v in PARAGRAPHS ROWS WARMUP CLI_RUNS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a non-negative integer"
done
for v in ITERATIONS PEER_ITERATIONS ROUNDS; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer"
done

ensure_venv

JOB="$OUT_DIR/docx_big_job.json"
REPORT="$OUT_DIR/docx_compare.md"
RAW="$OUT_DIR/docx_compare_raw.jsonl"
BUILD_LOG="$OUT_DIR/docx_compare_build.log"
DS_DOCX="$OUT_DIR/docx_big_docsmith.docx"
PEER_DOCX="$OUT_DIR/docx_big_python_docx.docx"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

log "generating the job (${PARAGRAPHS} paragraphs, ${ROWS} table rows) -> ${JOB#"$ROOT"/}"
python3 "$BENCH_DIR/gen_docx_big_job.py" --paragraphs "$PARAGRAPHS" --rows "$ROWS" --out "$JOB"

# ---- docsmith side: DS_STATUS = ok | skipped | missing | build failed | run failed
DS_STATUS=ok
DS_NOTE=""
PDF_TIMING="${DOCSMITH_PDF_TIMING:-$ROOT/target/release/examples/pdf_timing}"
DOCSMITH="${DOCSMITH_BIN:-$ROOT/target/release/docsmith}"
if [[ $PEER_ONLY == 1 ]]; then
    DS_STATUS=skipped
    DS_NOTE="not run: PEER_ONLY=1"
else
    also_build=()
    [[ -n ${DOCSMITH_BIN:-} ]] || also_build=(--bin docsmith)
    ensure_timing_example pdf_timing "$PDF_TIMING" "${DOCSMITH_PDF_TIMING:-}" 1 "$BUILD_LOG" "${also_build[@]}"
fi
# The DOCX generator may not exist yet: one render tells (and gives the document to check).
rm -f "$DS_DOCX"
if [[ $DS_STATUS == ok ]]; then
    if [[ ! -x $DOCSMITH ]]; then
        DS_STATUS=missing
        DS_NOTE="MISSING: no docsmith binary at $DOCSMITH"
    elif ! "$DOCSMITH" render "$JOB" -o "$DS_DOCX" 2>"$WORK/ds_render.err"; then
        DS_STATUS="run failed"
        DS_NOTE="\`docsmith render ${JOB#"$ROOT"/}\` FAILED: $(tail -n 3 "$WORK/ds_render.err" | tr '\n' ' ')"
        rm -f "$DS_DOCX"
    fi
fi
[[ $DS_STATUS == ok || $DS_STATUS == skipped ]] || {
    log "==================================================================="
    log "docsmith side: $DS_NOTE"
    log "Running python-docx only; the report has no docsmith row or ratio."
    log "==================================================================="
}

# run_docsmith ROUND : one pdf_timing run -> $WORK/rROUND.docsmith
run_docsmith() {
    local r=$1 rc=0
    log "round $r: docsmith pdf_timing --iterations $ITERATIONS"
    "$PDF_TIMING" "$JOB" --iterations "$ITERATIONS" >"$WORK/r$r.docsmith" 2>"$WORK/r$r.docsmith.err" || rc=$?
    if [[ $rc -ne 0 ]] || ! grep -q '"tool" *: *"docsmith"' "$WORK/r$r.docsmith"; then
        tail -n 20 "$WORK/r$r.docsmith.err" >&2
        DS_STATUS="run failed"
        DS_NOTE="RUN FAILED in round $r (exit $rc, or no {\"tool\":\"docsmith\",...} line on stdout): ${PDF_TIMING#"$ROOT"/} $(basename "$JOB") --iterations $ITERATIONS"
        log "docsmith pdf_timing FAILED (exit $rc); continuing with python-docx"
        rm -f "$WORK/r$r.docsmith"
        return 0
    fi
    log "  $(grep '"tool"' "$WORK/r$r.docsmith" | tail -n 1)"
}

# run_peer ROUND : one python-docx run -> $WORK/rROUND.peer
run_peer() {
    local r=$1
    log "round $r: python-docx --iterations $PEER_ITERATIONS --warmup $WARMUP"
    "$VENV_PY" "$BENCH_DIR/docx_python_docx.py" "$JOB" --iterations "$PEER_ITERATIONS" --warmup "$WARMUP" \
        --out "$PEER_DOCX" >"$WORK/r$r.peer" 2>"$WORK/r$r.peer.err" || {
        cat "$WORK/r$r.peer.err" >&2
        die "python-docx peer failed in round $r"
    }
    log "  $(grep '"tool"' "$WORK/r$r.peer" | tail -n 1)"
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2 == 1)); then
        [[ $DS_STATUS != ok ]] || run_docsmith "$r"
        run_peer "$r"
    else
        run_peer "$r"
        [[ $DS_STATUS != ok ]] || run_docsmith "$r"
    fi
done

# Whole `docsmith render` processes (start-up, reading the file, writing it), for reference.
CLI_MS=""
if [[ $DS_STATUS == ok ]] && ((CLI_RUNS > 0)); then
    for ((i = 0; i < CLI_RUNS; i++)); do
        t0=$(date +%s%N)
        "$DOCSMITH" render "$JOB" -o "$WORK/cli.docx" 2>/dev/null
        t1=$(date +%s%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }'
    done >"$WORK/cli_ms"
    CLI_MS="$(median <"$WORK/cli_ms")"
fi

# ---- checks: python-docx opens both documents and finds the job's content
docs=()
[[ ! -f $DS_DOCX ]] || docs+=("$DS_DOCX")
docs+=("$PEER_DOCX")
log "checking ${docs[*]#"$ROOT"/} (bench/docx_python_docx.py --check)"
CHECK_OK=1
"$VENV_PY" "$BENCH_DIR/docx_python_docx.py" --check "$JOB" "${docs[@]#"$ROOT"/}" >"$WORK/check.txt" 2>&1 || CHECK_OK=0
cat "$WORK/check.txt" >&2

# ---- the table: per tool, the median over the rounds of median / p10 / p90
shopt -s nullglob
round_files=("$WORK"/r*.docsmith "$WORK"/r*.peer)
shopt -u nullglob
for f in "${round_files[@]}"; do
    r="$(basename "$f")"
    r="${r%%.*}"
    grep '"tool"' "$f" | sed "s/}\$/, \"round\": ${r#r}}/"
done >"$RAW"
# field TOOL KEY : the per-round values of KEY for TOOL, one a line
field() { grep "\"tool\": *\"$1\"" "$RAW" | sed -n "s/.*\"$2\": *\"\\{0,1\\}\\([^,\"}]*\\).*/\\1/p"; }
stat_row() { # stat_row TOOL LABEL
    local t=$1 med p10 p90 bytes
    med="$(field "$t" median_ms | median)"
    p10="$(field "$t" p10_ms | median)"
    p90="$(field "$t" p90_ms | median)"
    bytes="$(field "$t" bytes | tail -n 1)"
    printf '%s %s %s %s\n' "$med" "$p10" "$p90" "$bytes"
}
RATIO=""
MET=""
{
    printf '| tool | median ms | p10 ms | p90 ms | DOCX bytes | ratio vs docsmith | target | met |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|:---:|\n'
    if grep -q '"tool": *"docsmith"' "$RAW"; then
        read -r ds_med ds_p10 ds_p90 ds_bytes < <(stat_row docsmith)
        printf '| docsmith (pdf_timing, in-process) | %.2f | %.2f | %.2f | %s | 1.00x | | |\n' "$ds_med" "$ds_p10" "$ds_p90" "$ds_bytes"
    fi
    read -r pd_med pd_p10 pd_p90 pd_bytes < <(stat_row python-docx)
    if [[ -n ${ds_med:-} ]]; then
        RATIO="$(awk -v a="$pd_med" -v b="$ds_med" 'BEGIN { printf "%.1f", a / b }')"
        if awk -v x="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { exit !(x >= t) }'; then MET=yes; else MET='**NO**'; fi
        printf '| python-docx %s | %.2f | %.2f | %.2f | %s | **%sx** | >= %sx | %s |\n' \
            "$(field python-docx version | tail -n 1)" "$pd_med" "$pd_p10" "$pd_p90" "$pd_bytes" "$RATIO" "$TARGET_RATIO" "$MET"
    else
        printf '| python-docx %s | %.2f | %.2f | %.2f | %s | n/a (no docsmith) | >= %sx | |\n' \
            "$(field python-docx version | tail -n 1)" "$pd_med" "$pd_p10" "$pd_p90" "$pd_bytes" "$TARGET_RATIO"
    fi
    if [[ -n $CLI_MS ]]; then
        printf '| docsmith render (CLI, whole process, median of %s) | %.2f | | | | | | |\n' "$CLI_RUNS" "$CLI_MS"
    fi
    printf '\nPer round (median ms):\n\n'
    for t in docsmith python-docx; do
        grep -q "\"tool\": *\"$t\"" "$RAW" || continue
        printf -- '- %s: %s\n' "$t" "$(paste -d' ' <(field "$t" round | sed 's/^/r/') <(field "$t" median_ms) | paste -sd, - | sed 's/,/, /g')"
    done
} >"$WORK/table.md"

{
    printf '## Big DOCX: docsmith vs python-docx (same document, in-process timing)\n\n'
    machine_info "$LOAD_BEFORE"
    printf -- '- job: %s (%s headings + paragraphs, one %s-row x 5-column table with a header row; %s bytes); %s rounds (alternating which side goes first)\n' \
        "${JOB#"$ROOT"/}" "$PARAGRAPHS" "$ROWS" "$(stat -c %s "$JOB")" "$ROUNDS"
    if [[ $DS_STATUS == ok ]]; then
        printf -- "- docsmith: \`%s %s --iterations %s\` per round (its own warm-up first); binaries %s, %s (the checked document)\n" \
            "${PDF_TIMING#"$ROOT"/}" "${JOB#"$ROOT"/}" "$ITERATIONS" "$(bin_info "$PDF_TIMING")" "$(bin_info "$DOCSMITH")"
    else
        printf -- '- **docsmith: %s**\n' "$DS_NOTE"
    fi
    printf -- "- python-docx: \`python bench/docx_python_docx.py %s --iterations %s --warmup %s\` per round; timed: json.loads + Document() + headings/paragraphs/runs + table + save(BytesIO); lxml %s\n" \
        "${JOB#"$ROOT"/}" "$PEER_ITERATIONS" "$WARMUP" "$(field python-docx lxml | tail -n 1)"
    printf -- '- statistics: per tool, the median over the rounds of its median / p10 / p90; ratio = python-docx median / docsmith median (> 1: docsmith faster)\n\n'
    cat "$WORK/table.md"
    if [[ $CHECK_OK != 1 ]]; then
        printf '\n**DOCX CHECK FAILED: a document lacks part of the job, so the timings may not compare the same work.**\n'
    fi
    printf "\nDOCX check (bench/docx_python_docx.py --check: opens with python-docx; paragraph texts in order, bold/italic spans, table rows and header):\n\n\`\`\`\n%s\n\`\`\`\n" \
        "$(cat "$WORK/check.txt")"
} >"$REPORT"

cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}; raw lines: ${RAW#"$ROOT"/}"
rc=0
[[ $CHECK_OK == 1 ]] || { log "DOCX check failed (see above)"; rc=1; }
case $DS_STATUS in
    ok | skipped) ;;
    *) log "docsmith side: $DS_NOTE"; rc=1 ;;
esac
if [[ ${STRICT:-0} == 1 && -n $MET && $MET != yes ]]; then
    log "STRICT=1 and the target was missed (${RATIO}x < ${TARGET_RATIO}x)"
    ((rc)) || rc=2
fi
exit "$rc"
