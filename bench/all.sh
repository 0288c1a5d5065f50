#!/usr/bin/env bash
# Every peer comparison in one go, then one summary: runs the per-format
# compare scripts one after the other (each installs its own peers: Debian
# packages via apt-get, Python ones in bench/.venv), keeps going past a failing
# one, then bench/summary.py writes bench/out/summary.md, docs/benchmarks.png
# and the table between README's `<!-- bench-summary:start/end -->` markers.
#
#   bash bench/all.sh                 # default rounds of every script (~9 min here)
#   QUICK=1 bash bench/all.sh         # 1 round, few iterations: to try it out (~3 min)
#   ONLY="pdf xlsx" bash bench/all.sh # some of them (the summary still shows the
#                                     # others' last results, flagged as earlier runs)
#   ROUNDS=5 PDF_ITERATIONS=50 bash bench/all.sh
#
# Scripts, in order (name: script — peers):
#   pdf:   pdf_compare.sh    — WeasyPrint, ReportLab
#   docx:  docx_compare.sh   — python-docx
#   xlsx:  xlsx_1m_cells.sh  — XlsxWriter
#   image: image_compare.sh  — pyvips, Pillow
#   zip:   zip_compare.sh    — Info-ZIP zip
#
# Env:
#   QUICK (0; 1 = one round and few iterations per script, see quick_knobs)
#   ROUNDS (unset: each script's default) every script's ROUNDS
#   <NAME>_<VAR> passed to script NAME as VAR, e.g. PDF_ITERATIONS=50,
#     DOCX_PEER_ITERATIONS=5, XLSX_ROWS=20000, IMAGE_AVIF=0, ZIP_SETS=text;
#     it wins over ROUNDS and QUICK. The scripts' own knob names (ITERATIONS,
#     ROWS, ...) mean different things in different scripts, so they are
#     ignored here, with a warning: use the prefixed form.
#   ONLY ("pdf docx xlsx image zip") which scripts to run
#   BUILD (0: the scripts build a binary only when it is missing; never set it
#     to 1 on a machine where someone else is building) DOCSMITH_BIN,
#     DOCSMITH_PDF_TIMING, DOCSMITH_IMAGE_TIMING, STRICT: passed through as is
#   XLSX hyperfine bonus run: off (XLSX_HYPERFINE=1 turns it on)
# Output: each script's report and raw files in bench/out/ as usual, its log
# in bench/out/all_<name>.log, the run's record in bench/out/all_run.tsv, then
# bench/out/summary.md, docs/benchmarks.png and README's Benchmarks table.
# Exit: 0 = every script and the summary succeeded; 1 = one or more failed
# (all of them still ran; the summary marks what failed).
set -uo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
cd "$ROOT" || exit 1

ALL_NAMES=(pdf docx xlsx image zip)
declare -A SCRIPT=(
    [pdf]=pdf_compare.sh [docx]=docx_compare.sh [xlsx]=xlsx_1m_cells.sh
    [image]=image_compare.sh [zip]=zip_compare.sh
)

# The exact command: the knobs that were set, before any default.
# shell_words VAR=VALUE... : the assignments, quoted for a shell.
shell_words() {
    local kv out=()
    for kv in "$@"; do out+=("${kv%%=*}=$(printf '%q' "${kv#*=}")"); done
    printf '%s' "${out[*]}"
}
cmd_env=()
for v in QUICK ROUNDS ONLY BUILD STRICT DOCSMITH_BIN DOCSMITH_PDF_TIMING DOCSMITH_IMAGE_TIMING; do
    [[ -z ${!v+x} ]] || cmd_env+=("$v=${!v}")
done
while IFS= read -r var; do
    [[ ! $var =~ ^(PDF|DOCX|XLSX|IMAGE|ZIP)_[A-Z_]+$ ]] || cmd_env+=("$var=${!var}")
done < <(compgen -e)
COMMAND="$(shell_words "${cmd_env[@]}")${cmd_env[*]:+ }bash bench/all.sh"

QUICK="${QUICK:-0}"
ONLY="${ONLY:-${ALL_NAMES[*]}}"
export BUILD="${BUILD:-0}"
read -r -a names <<<"${ONLY//,/ }"
for n in "${names[@]}"; do
    [[ -n ${SCRIPT[$n]:-} ]] || die "unknown name in ONLY: $n (${ALL_NAMES[*]})"
done
[[ $QUICK == 0 || $QUICK == 1 ]] || die "QUICK must be 0 or 1"
[[ -z ${ROUNDS:-} || $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive integer"

# The scripts' own knobs, which mean different things per script: not passed.
AMBIGUOUS=(ITERATIONS PEER_ITERATIONS WARMUP ROWS JOB TOOLS SETS FILES PARAGRAPHS
    CLI_RUNS PEER_ONLY PEER_TOOLS AVIF AVIF_ITERATIONS PHOTO_COUNT WIDTH HYPERFINE OUT_TMP)
for v in "${AMBIGUOUS[@]}"; do
    if [[ -n ${!v+x} ]]; then
        log "ignoring $v=${!v}: set it per script, e.g. PDF_$v / DOCX_$v / XLSX_$v / IMAGE_$v / ZIP_$v"
        unset "$v"
    fi
done

# quick_knobs NAME : the VAR=VALUE settings of QUICK=1 for script NAME.
quick_knobs() {
    case $1 in
        pdf) echo ROUNDS=1 ITERATIONS=10 ;;
        docx) echo ROUNDS=1 ITERATIONS=5 PEER_ITERATIONS=1 CLI_RUNS=1 ;;
        xlsx) echo ROUNDS=1 ;;
        image) echo ROUNDS=1 ITERATIONS=2 ;;
        zip) echo ROUNDS=1 ;;
    esac
}

# knobs NAME : the VAR=VALUE settings for script NAME, one a line: all.sh's
# defaults, then QUICK, then ROUNDS, then NAME_VAR (later ones win).
knobs() {
    local n=$1 prefix var kv
    local -A val=()
    local -a order=()
    add() { [[ -n ${val[$1]+x} ]] || order+=("$1"); val[$1]=$2; }
    [[ $n != xlsx ]] || add HYPERFINE 0
    if [[ $QUICK == 1 ]]; then
        for kv in $(quick_knobs "$n"); do add "${kv%%=*}" "${kv#*=}"; done
    fi
    [[ -z ${ROUNDS:-} ]] || add ROUNDS "$ROUNDS"
    prefix="${n^^}_"
    while IFS= read -r var; do
        [[ $var == "$prefix"* && ${#var} -gt ${#prefix} ]] || continue
        add "${var#"$prefix"}" "${!var}"
    done < <(compgen -e)
    for var in "${order[@]}"; do printf '%s=%s\n' "$var" "${val[$var]}"; done
}

RUN_TSV="$OUT_DIR/all_run.tsv"
T0=$SECONDS
{
    printf 'run\tcommand\t%s\n' "$COMMAND"
    printf 'run\tquick\t%s\n' "$QUICK"
    printf 'run\tstarted\t%s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf 'run\tstarted_epoch\t%s\n' "$(date +%s)"
    printf 'run\tload_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
    [[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | head -n1)" ]] ||
        commit="$commit (dirty tree)"
    printf 'run\tcommit\t%s\n' "$commit"
} >"$RUN_TSV"
log "$COMMAND"
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); record: ${RUN_TSV#"$ROOT"/}"

# The binaries the scripts will use (BUILD=0: built only when missing).
for b in "${DOCSMITH_BIN:-$ROOT/target/release/docsmith}" \
    "${DOCSMITH_PDF_TIMING:-$ROOT/target/release/examples/pdf_timing}" \
    "${DOCSMITH_IMAGE_TIMING:-$ROOT/target/release/examples/image_timing}"; do
    if [[ -x $b ]]; then
        log "binary: ${b#"$ROOT"/} (built $(date -u -r "$b" '+%Y-%m-%d %H:%M UTC'))"
    else
        log "binary: ${b#"$ROOT"/} missing: the script that needs it builds it (cargo build --release)"
    fi
done

# The summary's plot needs matplotlib from bench/requirements.txt.
ensure_venv

failed=()
for n in "${names[@]}"; do
    script="${SCRIPT[$n]}"
    mapfile -t assign < <(knobs "$n")
    shown="$(shell_words "${assign[@]}")${assign[*]:+ }bash bench/$script"
    logf="$OUT_DIR/all_$n.log"
    log "=== $n: $shown (log: ${logf#"$ROOT"/})"
    t=$SECONDS
    env "${assign[@]}" bash "$BENCH_DIR/$script" 2>&1 | tee "$logf"
    rc=${PIPESTATUS[0]}
    secs=$((SECONDS - t))
    printf 'script\t%s\t%s\t%s\t%s\n' "$n" "$rc" "$secs" "$shown" >>"$RUN_TSV"
    if ((rc != 0)); then
        failed+=("$n (exit $rc)")
        log "=== $n FAILED (exit $rc) after ${secs} s; going on with the next one"
    else
        log "=== $n done in ${secs} s"
    fi
done

{
    printf 'run\tfinished\t%s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf 'run\tfinished_epoch\t%s\n' "$(date +%s)"
    printf 'run\tload_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf 'run\tseconds\t%s\n' "$((SECONDS - T0))"
} >>"$RUN_TSV"

log "=== summary: bench/summary.py --update-readme"
if ! "$VENV_PY" "$BENCH_DIR/summary.py" --run-info "$RUN_TSV" --update-readme; then
    failed+=("summary.py")
fi

log "total wall time: $((SECONDS - T0)) s"
if ((${#failed[@]})); then
    log "FAILED: ${failed[*]}"
    exit 1
fi
log "all comparisons done; summary in ${OUT_DIR#"$ROOT"/}/summary.md"
