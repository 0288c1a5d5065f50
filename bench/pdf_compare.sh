#!/usr/bin/env bash
# PDF invoice, side by side in one run: docsmith's release example
# `pdf_timing` vs WeasyPrint (HTML+CSS) and ReportLab (platypus) building the
# same one-page invoice in-process (bench/pdf_invoice_peers.py).
# Targets: docsmith >= 150x faster than WeasyPrint, >= 10x faster than ReportLab.
#
#   bash bench/pdf_compare.sh
#   ITERATIONS=50 ROUNDS=5 bash bench/pdf_compare.sh
#   PEER_ONLY=1 bash bench/pdf_compare.sh        # only the Python peers
#
# Env: JOB (samples/pdf-invoice.json) ITERATIONS (30 per tool and round)
#      WARMUP (3, the peers' untimed iterations) ROUNDS (3, alternating which
#      side runs first) PEER_TOOLS (weasyprint,reportlab,reportlab_segno)
#      PEER_ONLY (0) STRICT (0; 1 = exit 2 when a target is missed)
#      BUILD (1 = `cargo build --release --example pdf_timing --bin docsmith`
#      first, a no-op when up to date; 0 = only when missing)
#      DOCSMITH_PDF_TIMING (prebuilt pdf_timing to use) DOCSMITH_BIN (docsmith to use)
# Report: bench/out/pdf_compare.md (also printed); raw lines in
# bench/out/pdf_compare_raw.jsonl; PDFs and 60 dpi PNGs bench/out/pdf_invoice_<tool>.{pdf,png}.
#
# Contract with examples/pdf_timing.rs (docsmith side):
#   target/release/examples/pdf_timing JOB.json --iterations N
#   prints exactly one JSON line on stdout (anything else goes to stderr):
#   {"tool":"docsmith","median_ms":F,"p10_ms":F,"p90_ms":F,"bytes":N}
#   and exits 0. It does its own untimed warm-up; one timed iteration is
#   job JSON text -> parse -> template -> layout -> PDF bytes in memory.
# Exit: 0 = every tool ran and every PDF passed bench/check_pdf_invoice.py;
#       1 = docsmith's side missing/failed (unless PEER_ONLY=1) or a check failed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pdf_lib.sh
source "$BENCH_DIR/pdf_lib.sh"
cd "$ROOT"

JOB="${JOB:-$ROOT/samples/pdf-invoice.json}"
ITERATIONS="${ITERATIONS:-30}"
WARMUP="${WARMUP:-3}"
ROUNDS="${ROUNDS:-3}"
PEER_TOOLS="${PEER_TOOLS:-weasyprint,reportlab,reportlab_segno}"
PEER_ONLY="${PEER_ONLY:-0}"
[[ $ITERATIONS =~ ^[1-9][0-9]*$ && $ROUNDS =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ ]] ||
    die "ITERATIONS/ROUNDS must be positive integers, WARMUP a non-negative one"
[[ -f $JOB ]] || die "job not found: $JOB"

need_debs "${WEASYPRINT_DEBS[@]}" "${PDF_TOOL_DEBS[@]}"
want_debs zbar-tools
ensure_venv

REPORT="$OUT_DIR/pdf_compare.md"
RAW="$OUT_DIR/pdf_compare_raw.jsonl"
BUILD_LOG="$OUT_DIR/pdf_compare_build.log"
DS_PDF="$OUT_DIR/pdf_invoice_docsmith.pdf"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ---- docsmith side: DS_STATUS = ok | skipped | missing | build failed | run failed
DS_STATUS=ok
DS_NOTE=""
PDF_TIMING="${DOCSMITH_PDF_TIMING:-$ROOT/target/release/examples/pdf_timing}"
DOCSMITH="${DOCSMITH_BIN:-$ROOT/target/release/docsmith}"
if [[ $PEER_ONLY == 1 ]]; then
    DS_STATUS=skipped
    DS_NOTE="not run: PEER_ONLY=1"
elif [[ -z ${DOCSMITH_PDF_TIMING:-} && ! -f $ROOT/examples/pdf_timing.rs && ! -f $ROOT/examples/pdf_timing/main.rs ]]; then
    DS_STATUS=missing
    DS_NOTE="MISSING: examples/pdf_timing.rs does not exist yet, so there is no docsmith number and no ratio"
    log "==================================================================="
    log "docsmith side MISSING: examples/pdf_timing.rs does not exist yet."
    log "Running the peers only; the report has no docsmith row or ratios."
    log "==================================================================="
else
    also_build=()
    [[ -n ${DOCSMITH_BIN:-} ]] || also_build=(--bin docsmith)
    ensure_timing_example pdf_timing "$PDF_TIMING" "${DOCSMITH_PDF_TIMING:-}" 1 "$BUILD_LOG" "${also_build[@]}"
fi

# run_docsmith ROUND : one pdf_timing run -> $WORK/rROUND.docsmith
run_docsmith() {
    local r=$1 rc=0
    log "round $r: docsmith pdf_timing --iterations $ITERATIONS"
    "$PDF_TIMING" "$JOB" --iterations "$ITERATIONS" >"$WORK/r$r.docsmith" 2>"$WORK/r$r.docsmith.err" || rc=$?
    if [[ $rc -ne 0 ]] || ! grep -q '"tool" *: *"docsmith"' "$WORK/r$r.docsmith"; then
        tail -n 20 "$WORK/r$r.docsmith.err" >&2
        DS_STATUS="run failed"
        DS_NOTE="RUN FAILED in round $r (exit $rc, or no {\"tool\":\"docsmith\",...} line on stdout): ${PDF_TIMING#"$ROOT"/} $(basename "$JOB") --iterations $ITERATIONS"
        log "docsmith pdf_timing FAILED (exit $rc); continuing with the peers"
        rm -f "$WORK/r$r.docsmith"
        return 0
    fi
    log "  $(grep '"tool"' "$WORK/r$r.docsmith" | tail -n 1)"
}

# run_peers ROUND : one peers run -> $WORK/rROUND.peers
run_peers() {
    local r=$1
    log "round $r: peers ($PEER_TOOLS) --iterations $ITERATIONS --warmup $WARMUP"
    "$VENV_PY" "$BENCH_DIR/pdf_invoice_peers.py" "$JOB" --iterations "$ITERATIONS" --warmup "$WARMUP" \
        --tools "$PEER_TOOLS" --out-dir "$OUT_DIR" >"$WORK/r$r.peers" 2>"$WORK/r$r.peers.err" || {
        cat "$WORK/r$r.peers.err" >&2
        die "peers failed in round $r"
    }
    grep -v '^\[peers\] font' "$WORK/r$r.peers.err" >&2 || true
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= ROUNDS; r++)); do
    if ((r % 2 == 1)); then
        [[ $DS_STATUS != ok ]] || run_docsmith "$r"
        run_peers "$r"
    else
        run_peers "$r"
        [[ $DS_STATUS != ok ]] || run_docsmith "$r"
    fi
done
FONT_LINE="$(sed -n 's/^\[peers\] font: //p' "$WORK/r1.peers.err" | head -n 1)"

# ---- docsmith's own PDF for the checks and the visual comparison
rm -f "$DS_PDF"
DS_RENDER_NOTE=""
if [[ $DS_STATUS == ok || $DS_STATUS == "run failed" ]]; then
    if [[ -x $DOCSMITH ]]; then
        if ! "$DOCSMITH" render "$JOB" -o "$DS_PDF" 2>"$WORK/ds_render.err"; then
            DS_RENDER_NOTE="\`docsmith render ${JOB#"$ROOT"/} -o ${DS_PDF#"$ROOT"/}\` FAILED, so docsmith's PDF was not checked: $(tail -n 3 "$WORK/ds_render.err" | tr '\n' ' ')"
            log "$DS_RENDER_NOTE"
            rm -f "$DS_PDF"
        fi
    else
        DS_RENDER_NOTE="no docsmith binary at $DOCSMITH, so docsmith's PDF was not checked"
    fi
fi

pdfs=()
IFS=, read -r -a peer_list <<<"$PEER_TOOLS"
[[ ! -f $DS_PDF ]] || pdfs+=("$DS_PDF")
for t in "${peer_list[@]}"; do pdfs+=("$OUT_DIR/pdf_invoice_$t.pdf"); done
log "checking the PDFs (bench/check_pdf_invoice.py) and rendering 60 dpi PNGs"
CHECK_OK=1
"$VENV_PY" "$BENCH_DIR/check_pdf_invoice.py" --job "$JOB" "${pdfs[@]#"$ROOT"/}" >"$WORK/check.txt" 2>&1 || CHECK_OK=0
cat "$WORK/check.txt" >&2
pngs=()
for p in "${pdfs[@]}"; do
    if pdftoppm -r 60 -png -singlefile "$p" "${p%.pdf}" 2>/dev/null; then pngs+=("${p%.pdf}.png"); fi
done

STRICT_FLAG=()
[[ ${STRICT:-0} != 1 ]] || STRICT_FLAG=(--strict)
shopt -s nullglob
round_files=("$WORK"/r*.docsmith "$WORK"/r*.peers)
shopt -u nullglob
TABLE_RC=0
"$VENV_PY" "$BENCH_DIR/pdf_compare_table.py" --raw-out "$RAW" "${STRICT_FLAG[@]}" "${round_files[@]}" \
    >"$WORK/table.md" 2>"$WORK/table.err" || TABLE_RC=$?
[[ $TABLE_RC == 0 || $TABLE_RC == 2 ]] || cat "$WORK/table.err" >&2

{
    printf '## PDF invoice: docsmith vs WeasyPrint and ReportLab (same page, in-process timing)\n\n'
    machine_info "$LOAD_BEFORE"
    printf -- '- job: %s; %s rounds (alternating which side goes first) x %s timed iterations per tool; peers: %s untimed warm-ups each\n' \
        "${JOB#"$ROOT"/}" "$ROUNDS" "$ITERATIONS" "$WARMUP"
    if [[ $DS_STATUS == ok ]]; then
        printf -- "- docsmith: \`%s %s --iterations %s\`\n" "${PDF_TIMING#"$ROOT"/}" "${JOB#"$ROOT"/}" "$ITERATIONS"
    else
        printf -- '- **docsmith: %s**\n' "$DS_NOTE"
    fi
    printf -- "- peers: \`python bench/pdf_invoice_peers.py\` (one process per round, tools interleaved per iteration); timed: json.loads + totals + EPC QR + document + PDF bytes in memory; not timed: imports, Jinja2 compile, ReportLab font registration\n"
    printf -- '- peer font: %s\n' "${FONT_LINE:-?}"
    printf -- '- statistics: per tool, the median over the rounds of its median / p10 / p90; ratio = peer median / docsmith median (> 1: docsmith faster)\n\n'
    cat "$WORK/table.md"
    if [[ $CHECK_OK != 1 ]]; then
        printf '\n**PDF CHECK FAILED: a PDF lacks part of the invoice, so the timings may not compare the same work.**\n'
    fi
    printf "\nPDF check (bench/check_pdf_invoice.py: 1 page, amounts/VAT/totals/IBAN/footer text, EPC QR payload):\n\n\`\`\`\n%s\n\`\`\`\n" \
        "$(cat "$WORK/check.txt")"
    [[ -z $DS_RENDER_NOTE ]] || printf -- '\n**%s**\n' "$DS_RENDER_NOTE"
    if ((${#pngs[@]})); then
        printf '\nPages at 60 dpi for a visual check: %s\n' "$(printf '%s ' "${pngs[@]#"$ROOT"/}")"
    fi
} >"$REPORT"

cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}; raw lines: ${RAW#"$ROOT"/}"
rc=0
[[ $CHECK_OK == 1 ]] || { log "PDF check failed (see above)"; rc=1; }
[[ -z $DS_RENDER_NOTE ]] || { log "$DS_RENDER_NOTE"; rc=1; }
compare_exit "$rc" "$TABLE_RC"
