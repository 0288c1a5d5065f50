#!/usr/bin/env bash
# Raw ZIP throughput, side by side in one run: Info-ZIP `zip` (store, -1, the
# default -6) vs `docsmith render` of a zip job with one {"path", "file"}
# entry per file (compression "auto", and forced "deflate"), over the same
# two sets of files:
#   pdf   1,000 invoice PDFs rendered by docsmith (the 1,000-invoice batch of
#         bench/zip_http.sh, unzipped; rendered with the CLI when missing)
#   text  1,000 CSV / JSON / XML files of ~20-100 KB (bench/zip_client.py
#         gen-text, fixed seed)
# One untimed warm-up of every tool (its output checked), then ROUNDS timed
# rounds; the tools' order rotates every round. Medians are reported.
#
#   bash bench/zip_compare.sh
#   ROUNDS=5 SETS=text bash bench/zip_compare.sh
#
# Env: ROUNDS (3) SETS ("pdf text") FILES (1000, text set) OUT_TMP (where the
#      archives are written: a directory on /dev/shm when it has room, so
#      that neither tool waits for the disk; docsmith fsyncs its output, zip
#      does not) BUILD (0; 1 = cargo build --release first) DOCSMITH_BIN
# Report: bench/out/zip_compare.md (also printed); every timed run as a JSON
# line in bench/out/zip_compare_raw.jsonl; the input files in
# bench/out/zip-files/{pdf,text}/.
#
# What docsmith does: `docsmith render JOB -o OUT -q --file f00000=PATH ...`
# (one --file per file; there is no argument file). The CLI reads every
# --file into memory before it parses the job, then writes the archive
# (each entry's CRC, then deflate when asked into a buffer; the archive goes
# through a BufWriter, then fsync and rename). So its peak RSS holds the
# whole input set.
# Exit: 0 = every archive passed the checks; 1 = not.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pdf_lib.sh disable=SC1091
source "$BENCH_DIR/pdf_lib.sh"
cd "$ROOT"

ROUNDS="${ROUNDS:-3}"
SETS="${SETS:-pdf text}"
FILES="${FILES:-1000}"
for v in ROUNDS FILES; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
read -r -a SET_LIST <<<"$SETS"
for s in "${SET_LIST[@]}"; do
    case $s in pdf | text) ;; *) die "unknown set in SETS: $s (pdf, text)" ;; esac
done
TOOLS=(zip-store zip-1 zip-6 docsmith-auto docsmith-deflate)

need_cmd zip zip
need_cmd unzip unzip
need_cmd /usr/bin/time time
need_cmd python3 python3
ensure_docsmith

CLIENT="$BENCH_DIR/zip_client.py"
FILES_DIR="$OUT_DIR/zip-files"
REPORT="$OUT_DIR/zip_compare.md"
RAW="$OUT_DIR/zip_compare_raw.jsonl"
mkdir -p "$FILES_DIR"

# Where the archives go.
if [[ -z ${OUT_TMP:-} ]]; then
    if [[ -d /dev/shm ]] && (($(df -Pk /dev/shm | awk 'NR == 2 { print $4 }') > 2 * 1024 * 1024)); then
        OUT_TMP="$(mktemp -d /dev/shm/docsmith-zip-compare.XXXXXX)"
    else
        OUT_TMP="$(mktemp -d "$OUT_DIR/zip_compare.XXXXXX")"
    fi
else
    mkdir -p "$OUT_TMP"
    OUT_TMP="$(mktemp -d "$OUT_TMP/zip_compare.XXXXXX")"
fi
trap 'rm -rf "$OUT_TMP"' EXIT
OUT_FS="$(df -PT "$OUT_TMP" | awk 'NR == 2 { print $2 }')"

# ---- the input sets
prepare_pdf() {
    local dir="$FILES_DIR/pdf" src="$OUT_DIR/zip_http_1000.zip" job="$OUT_DIR/zip_http_job_1000.json"
    if [[ -d $dir ]] && (($(find "$dir" -name '*.pdf' | wc -l) == 1000)); then return; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    if [[ ! -s $src ]]; then
        [[ -s $job && ! $CLIENT -nt $job ]] || python3 "$CLIENT" gen-batch --n 1000 --out "$job"
        src="$OUT_TMP/invoices-1000.zip"
        log "rendering 1,000 invoices with the CLI -> ${dir#"$ROOT"/}"
        "$DOCSMITH" render "$job" -o "$src" -q
    fi
    log "unzipping ${src#"$ROOT"/} -> ${dir#"$ROOT"/}"
    unzip -q -j "$src" -d "$dir"
    (($(find "$dir" -name '*.pdf' | wc -l) == 1000)) || die "expected 1,000 PDFs in $dir"
}
prepare_text() {
    local dir="$FILES_DIR/text"
    # The stamp sits beside the directory, so both tools archive just the files.
    local stamp="$FILES_DIR/text.stamp"
    if [[ -d $dir && -f $stamp && ! $CLIENT -nt $stamp && "$(cat "$stamp")" == "$FILES" ]]; then return; fi
    rm -rf "$dir"
    log "generating $FILES text files -> ${dir#"$ROOT"/}"
    python3 "$CLIENT" gen-text --out "$dir" --n "$FILES" >/dev/null
    printf '%s\n' "$FILES" >"$stamp"
}

declare -A JOB ARGS_FILE IN_BYTES IN_COUNT
for s in "${SET_LIST[@]}"; do
    "prepare_$s"
    dir="$FILES_DIR/$s"
    IN_COUNT[$s]="$(find "$dir" -type f | wc -l)"
    IN_BYTES[$s]="$(find "$dir" -type f -printf '%s\n' | awk '{ t += $1 } END { print t }')"
    for c in auto deflate; do
        JOB[$s-$c]="$OUT_TMP/job-$s-$c.json"
        ARGS_FILE[$s-$c]="$OUT_TMP/args-$s-$c"
        python3 "$CLIENT" files-job --dir "$dir" --compression "$c" --job "${JOB[$s-$c]}" --args "${ARGS_FILE[$s-$c]}"
    done
    log "set $s: ${IN_COUNT[$s]} files, ${IN_BYTES[$s]} bytes in ${dir#"$ROOT"/}"
done

# run_tool SET TOOL OUT : one timed run; prints "WALL_S MAXRSS_KB USER_S SYS_S".
run_tool() {
    local set=$1 tool=$2 out=$3 dir="$FILES_DIR/$1" t0 t1 stats
    local -a cmd
    rm -f "$out"
    case $tool in
        zip-store) cmd=(zip -q -r -0 "$out" .) ;;
        zip-1) cmd=(zip -q -r -1 "$out" .) ;;
        zip-6) cmd=(zip -q -r "$out" .) ;;
        docsmith-auto | docsmith-deflate)
            local c=${tool#docsmith-} fargs
            mapfile -d '' -t fargs <"${ARGS_FILE[$set-$c]}"
            cmd=("$DOCSMITH" render "${JOB[$set-$c]}" -o "$out" -q "${fargs[@]}")
            ;;
    esac
    t0=$EPOCHREALTIME
    stats="$(cd "$dir" && /usr/bin/time -f '%M %U %S' "${cmd[@]}" 2>&1 >/dev/null | tail -n 1)" ||
        die "$tool failed on set $set: $stats"
    t1=$EPOCHREALTIME
    printf '%s %s\n' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')" "$stats"
}

# check_out SET TOOL ZIP : unzip -tq and every file byte for byte.
check_out() {
    local set=$1 tool=$2 zip=$3 summary
    unzip -tq "$zip" >"$OUT_TMP/unzip.txt" 2>&1 || die "$tool, set $set: unzip -tq failed: $(head -n 5 "$OUT_TMP/unzip.txt")"
    summary="$(python3 "$CLIENT" check-files --zip "$zip" --dir "$FILES_DIR/$set")" ||
        die "$tool, set $set: the archive does not hold the files: $summary"
    printf '%s\n' "$summary"
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
declare -A CHECK
for s in "${SET_LIST[@]}"; do
    for t in "${TOOLS[@]}"; do
        log "warm-up + check: $t on set $s"
        run_tool "$s" "$t" "$OUT_TMP/$s-$t.zip" >/dev/null
        CHECK[$s-$t]="$(check_out "$s" "$t" "$OUT_TMP/$s-$t.zip")"
    done
done

: >"$RAW"
n=${#TOOLS[@]}
for ((r = 1; r <= ROUNDS; r++)); do
    for s in "${SET_LIST[@]}"; do
        for ((i = 0; i < n; i++)); do
            t="${TOOLS[(i + r - 1) % n]}"
            read -r wall rss usr sys < <(run_tool "$s" "$t" "$OUT_TMP/$s-$t.zip")
            size="$(stat -c %s "$OUT_TMP/$s-$t.zip")"
            printf '{"round": %s, "set": "%s", "tool": "%s", "wall_s": %s, "maxrss_kb": %s, "user_s": %s, "sys_s": %s, "out_bytes": %s, "in_bytes": %s, "files": %s}\n' \
                "$r" "$s" "$t" "$wall" "$rss" "$usr" "$sys" "$size" "${IN_BYTES[$s]}" "${IN_COUNT[$s]}" >>"$RAW"
            log "round $r, $s, $t: ${wall} s, $size bytes, maxrss ${rss} KB"
        done
    done
done

TABLE="$(python3 - "$RAW" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
med = statistics.median
out = []
sets = list(dict.fromkeys(r["set"] for r in rows))
tools = list(dict.fromkeys(r["tool"] for r in rows))
for s in sets:
    rs = [r for r in rows if r["set"] == s]
    inb, files = rs[0]["in_bytes"], rs[0]["files"]
    out.append(f"### set `{s}`: {files} files, {inb / 1e6:.1f} MB\n")
    out.append("| tool | median wall s | input MB/s | archive MB | archive / input | peak RSS MB (median) | CPU s (user+sys, median) | rounds (wall s) |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---|")
    base = None
    for t in tools:
        tr = [r for r in rs if r["tool"] == t]
        if not tr:
            continue
        wall = med(r["wall_s"] for r in tr)
        size = med(r["out_bytes"] for r in tr)
        rss = med(r["maxrss_kb"] for r in tr) / 1024
        cpu = med(r["user_s"] + r["sys_s"] for r in tr)
        rounds = ", ".join(f"{r['wall_s']:.3f}" for r in sorted(tr, key=lambda r: r["round"]))
        out.append(f"| {t} | {wall:.3f} | {inb / 1e6 / wall:.0f} | {size / 1e6:.2f} | {size / inb:.3f} | {rss:.1f} | {cpu:.2f} | {rounds} |")
    out.append("")
print("\n".join(out))
PY
)"

# shellcheck disable=SC2016  # Markdown code spans in single quotes
{
    printf '## Raw ZIP throughput: Info-ZIP zip vs docsmith render (zip job of files)\n\n'
    machine_info "$LOAD_BEFORE"
    printf -- '- docsmith: binary %s; `docsmith render JOB -o OUT -q --file f00000=PATH ...` (one --file per file), JOB = `{"format": "zip", "entries": [{"path": NAME, "file": "f00000", "compression": "auto"|"deflate"}, ...]}`\n' "$(bin_info "$DOCSMITH")"
    printf -- "- Info-ZIP: %s; \`cd DIR && zip -q -r [-0|-1] OUT .\` (zip-6 = no level flag, the default 6)\n" "$(zip -v 2>/dev/null | sed -n 's/^This is \(Zip [0-9.]*\).*/\1/p' | head -n 1)"
    printf -- '- archives written to %s (%s)%s; times are wall clock of the whole process (start-up, reading the files, writing and closing the archive), %s timed round(s) after one untimed warm-up per tool, tool order rotated every round; medians\n' \
        "$OUT_TMP" "$OUT_FS" "$([[ $OUT_FS == tmpfs ]] && printf ', so fsync is free and the disk is out of the picture')" "$ROUNDS"
    printf -- '- docsmith reads every --file into memory before anything else (that is how `--file` works), so its peak RSS is at least the input set; zip streams each file from disk. docsmith deflates with zlib-rs at level 1 (its only level); `auto` stores PDFs (recognised by their bytes) and deflates text. Info-ZIP adds extra fields (UT timestamps, Unix uid/gid) to every entry, docsmith none.\n'
    printf -- '- NOTE: one process at a time on a shared 2-core VM; both tools are single-threaded for this work.\n\n'
    printf '%s\n\n' "$TABLE"
    printf 'Checks (warm-up archives: `unzip -tq`, and every entry compared with its file):\n\n'
    for s in "${SET_LIST[@]}"; do
        for t in "${TOOLS[@]}"; do printf -- '- %s / %s: %s\n' "$s" "$t" "${CHECK[$s-$t]}"; done
    done
} >"$REPORT"
cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}; raw runs: ${RAW#"$ROOT"/}"
