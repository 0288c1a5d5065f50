#!/usr/bin/env bash
# XLSX, 1,000,000 cells: `docsmith render` vs Python XlsxWriter (constant_memory),
# same job JSON, alternating rounds, wall time + peak RSS via GNU time.
#
#   bash bench/xlsx_1m_cells.sh
#
# Env: ROWS (100000) ROUNDS (5) PEER_ONLY (0; 1 = only the Python peer)
#      HYPERFINE (1 if installed; 0 = skip the bonus hyperfine run)
#      BUILD (0; 1 = cargo build --release first) DOCSMITH_BIN (binary to use)
# Report: bench/out/xlsx_1m_cells.md (also printed).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cd "$ROOT"

ROWS="${ROWS:-100000}"
ROUNDS="${ROUNDS:-5}"
PEER_ONLY="${PEER_ONLY:-0}"
[[ $ROWS =~ ^[0-9]+$ && $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROWS/ROUNDS must be positive integers"

GNU_TIME=/usr/bin/time
need_cmd "$GNU_TIME" time
ensure_venv
JOB="$OUT_DIR/xlsx_job_${ROWS}.json"
gen_job "$ROWS" "$JOB"

OUT_DS="$OUT_DIR/xlsx_1m_docsmith.xlsx"
OUT_PY="$OUT_DIR/xlsx_1m_xlsxwriter.xlsx"
REPORT="$OUT_DIR/xlsx_1m_cells.md"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

tools=(peer)
if [[ $PEER_ONLY != 1 ]]; then
    ensure_docsmith
    tools=(docsmith peer)
fi
PEER_CMD=("$VENV_PY" "$BENCH_DIR/xlsxwriter_peer.py" "$JOB" "$OUT_PY")
DS_CMD=("${DOCSMITH:-docsmith}" render "$JOB" -o "$OUT_DS")

# run_one TOOL : one timed run; appends "wall_s rss_kb" to $WORK/TOOL.txt
run_one() {
    local tool=$1 rc=0
    local -a cmd
    if [[ $tool == docsmith ]]; then cmd=("${DS_CMD[@]}"); rm -f "$OUT_DS"; else cmd=("${PEER_CMD[@]}"); rm -f "$OUT_PY"; fi
    "$GNU_TIME" -f '%e %M' -o "$WORK/time" "${cmd[@]}" >"$WORK/$tool.stdout" 2>"$WORK/$tool.stderr" || rc=$?
    if [[ $rc -ne 0 ]]; then
        log "$tool failed (exit $rc): ${cmd[*]}"
        tail -n 20 "$WORK/$tool.stderr" >&2
        exit 1
    fi
    tail -n 1 "$WORK/time" >>"$WORK/$tool.txt"
    log "  $tool: $(tail -n 1 "$WORK/time" | awk '{ printf "%.2f s, %.1f MB", $1, $2 / 1024 }')"
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "warm-up (1 untimed run each)"
for t in "${tools[@]}"; do run_one "$t"; done
rm -f "$WORK"/*.txt

for ((r = 1; r <= ROUNDS; r++)); do
    log "round $r/$ROUNDS"
    if ((r % 2 == 1)); then order=("${tools[@]}"); else order=(); for ((i = ${#tools[@]} - 1; i >= 0; i--)); do order+=("${tools[i]}"); done; fi
    for t in "${order[@]}"; do run_one "$t"; done
done

log "sanity check of the outputs"
check_files=("${OUT_PY#"$ROOT"/}")
[[ $PEER_ONLY == 1 ]] || check_files=("${OUT_DS#"$ROOT"/}" "${OUT_PY#"$ROOT"/}")
CHECK_OK=1
"$VENV_PY" "$BENCH_DIR/check_xlsx.py" --job "$JOB" "${check_files[@]}" 2>&1 | tee "$WORK/check.txt" >&2 || CHECK_OK=0

med_wall() { awk '{ print $1 }' "$WORK/$1.txt" | median; }
med_rss_mb() { awk '{ print $2 / 1024 }' "$WORK/$1.txt" | median; }
raw() { awk '{ printf "%s%.2f s / %.0f MB", (NR > 1 ? ", " : ""), $1, $2 / 1024 }' "$WORK/$1.txt"; }
fsize() { stat -c %s "$1" 2>/dev/null || echo 0; }

PEER_VER="$("$VENV_PY" -c 'import sys, xlsxwriter; print(f"XlsxWriter {xlsxwriter.__version__}, Python {sys.version.split()[0]}")')"
CELLS=$((ROWS * 10))
{
    printf '## XLSX, %s rows x 10 columns (%s cells): docsmith vs Python XlsxWriter\n\n' "$ROWS" "$CELLS"
    machine_info "$LOAD_BEFORE"
    printf -- '- job: %s (%s bytes); %s alternating rounds after 1 warm-up run each; GNU time %%e / %%M\n' \
        "${JOB#"$ROOT"/}" "$(fsize "$JOB")" "$ROUNDS"
    ds_note=""
    if [[ $PEER_ONLY == 1 ]]; then ds_note=" (not run: PEER_ONLY=1)"; fi
    printf -- "- docsmith: \`docsmith render JOB -o OUT.xlsx\`%s\n" "$ds_note"
    printf -- "- peer: \`python bench/xlsxwriter_peer.py JOB OUT.xlsx\` (%s, constant_memory; json.load included)\n\n" "$PEER_VER"
    printf '| tool | median wall s | median peak RSS MB | output bytes |\n|---|---:|---:|---:|\n'
    if [[ $PEER_ONLY != 1 ]]; then
        printf '| docsmith | %.2f | %.1f | %s |\n' "$(med_wall docsmith)" "$(med_rss_mb docsmith)" "$(fsize "$OUT_DS")"
    fi
    printf '| XlsxWriter (Python) | %.2f | %.1f | %s |\n' "$(med_wall peer)" "$(med_rss_mb peer)" "$(fsize "$OUT_PY")"
    if [[ $PEER_ONLY != 1 ]]; then
        awk -v pw="$(med_wall peer)" -v dw="$(med_wall docsmith)" -v pm="$(med_rss_mb peer)" -v dm="$(med_rss_mb docsmith)" \
            'BEGIN { printf "| **ratio peer/docsmith** | **%.2fx** | **%.2fx** | |\n", (dw > 0 ? pw / dw : 0), (dm > 0 ? pm / dm : 0) }'
    fi
    printf '\nPer round (wall / peak RSS):\n\n'
    for t in "${tools[@]}"; do printf -- '- %s: %s\n' "$t" "$(raw "$t")"; done
    if [[ $CHECK_OK != 1 ]]; then
        printf "\n**OUTPUT CHECK FAILED: the outputs differ from the job, so these timings do not compare the same work.**\n"
    fi
    printf "\nOutput check (bench/check_xlsx.py, every cell vs the job):\n\n\`\`\`\n%s\n\`\`\`\n" "$(cat "$WORK/check.txt")"
} >"$REPORT"

if [[ ${HYPERFINE:-1} == 1 ]] && command -v hyperfine >/dev/null 2>&1; then
    log "bonus: hyperfine ($ROUNDS runs each)"
    hf_cmds=()
    hf_names=()
    if [[ $PEER_ONLY != 1 ]]; then hf_cmds+=("$(printf '%q ' "${DS_CMD[@]}")"); hf_names+=(-n docsmith); fi
    hf_cmds+=("$(printf '%q ' "${PEER_CMD[@]}")")
    hf_names+=(-n xlsxwriter)
    if hyperfine --style basic --warmup 1 --runs "$ROUNDS" "${hf_names[@]}" \
        --export-markdown "$WORK/hyperfine.md" "${hf_cmds[@]}" >&2; then
        printf '\nhyperfine (separate, non-interleaved runs):\n\n%s\n' "$(cat "$WORK/hyperfine.md")" >>"$REPORT"
    else
        log "hyperfine failed; skipped"
    fi
fi

cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}"
[[ $CHECK_OK == 1 ]] || die "output check failed (see above)"
