#!/usr/bin/env bash
# A zip archive past 4 GiB, with the CLI (the same code path as the HTTP
# service: render::render -> bundle::write -> archive::ZipWriter):
#   flat    17 `file` entries of one 256 MiB random file (~4.3 GB archive,
#           the last entries at offsets past 4 GiB: ZIP64 extra fields and
#           end records)
#   nested  the same 17 entries inside a nested zip job, so the outer
#           archive's single entry inner.zip is > 4 GiB and streamed (stored,
#           data descriptor, ZIP64 sizes)
# each with the job's default compression ("auto": random bytes have no known
# signature, so they go through deflate, which cannot shrink them, and are
# then stored) and with "store" forced. Measures wall time, MB/s written and
# peak RSS (/usr/bin/time -v); checks every archive with Python's zipfile
# (entry count, sizes from the central directory, ZIP64 records; for nested,
# inner.zip's own central directory read through the outer entry's stream)
# and `unzip -tq` (every CRC), then deletes it.
#
#   bash bench/zip_large.sh
#   MODES="flat-store nested-store" bash bench/zip_large.sh
#   LARGE_DIR=/dev/shm/zl bash bench/zip_large.sh   # when the disk is short
#
# Env: MODES ("flat-store flat-auto nested-store nested-auto") COUNT (17)
#      SIZE_MIB (256) LARGE_DIR (bench/out/zip_large; needs MIN_FREE_GIB free)
#      MIN_FREE_GIB (10) INNER (1; 0 = skip reading inner.zip's central
#      directory through the outer entry) KEEP_INPUT (0; 1 = keep the random
#      file for the next run) BUILD (0; 1 = cargo build --release first) DOCSMITH_BIN
# Report: bench/out/zip_large.md (also printed); raw runs in
# bench/out/zip_large_raw.jsonl.
# Exit: 0 = every archive passed the checks, or skipped for lack of disk
#       space (the report says so); 1 = a check failed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pdf_lib.sh disable=SC1091
source "$BENCH_DIR/pdf_lib.sh"
cd "$ROOT"

MODES="${MODES:-flat-store flat-auto nested-store nested-auto}"
COUNT="${COUNT:-17}"
SIZE_MIB="${SIZE_MIB:-256}"
MIN_FREE_GIB="${MIN_FREE_GIB:-10}"
INNER="${INNER:-1}"
LARGE_DIR="${LARGE_DIR:-$OUT_DIR/zip_large}"
for v in COUNT SIZE_MIB MIN_FREE_GIB; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
read -r -a MODE_LIST <<<"$MODES"
for m in "${MODE_LIST[@]}"; do
    case $m in flat-store | flat-auto | nested-store | nested-auto) ;;
        *) die "unknown mode in MODES: $m (flat-store, flat-auto, nested-store, nested-auto)" ;;
    esac
done

need_cmd /usr/bin/time time
need_cmd unzip unzip
need_cmd python3 python3
ensure_docsmith

CLIENT="$BENCH_DIR/zip_client.py"
REPORT="$OUT_DIR/zip_large.md"
RAW="$OUT_DIR/zip_large_raw.jsonl"
SIZE=$((SIZE_MIB << 20))
mkdir -p "$LARGE_DIR"
BIG="$LARGE_DIR/big.bin"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

# Free space, the random file not counted (it is made here when missing).
free_kb="$(df -Pk "$LARGE_DIR" | awk 'NR == 2 { print $4 }')"
[[ -f $BIG ]] && free_kb=$((free_kb + $(stat -c %s "$BIG") / 1024))
FS="$(df -PT "$LARGE_DIR" | awk 'NR == 2 { print $2 }')"
if ((free_kb < MIN_FREE_GIB * 1024 * 1024)); then
    msg="SKIPPED: $((free_kb / 1024 / 1024)) GiB free on $LARGE_DIR ($FS), less than $MIN_FREE_GIB GiB (MIN_FREE_GIB); set LARGE_DIR to a roomier place (e.g. /dev/shm/zl with enough RAM)"
    log "$msg"
    {
        printf '## ZIP > 4 GiB: %s x %s MiB file entries (CLI)\n\n' "$COUNT" "$SIZE_MIB"
        machine_info "$LOAD_BEFORE"
        printf '\n%s\n' "$msg"
    } >"$REPORT"
    cat "$REPORT"
    exit 0
fi

WORK="$(mktemp -d "$LARGE_DIR/run.XXXXXX")"
cleanup() {
    rm -rf "$WORK"
    [[ ${KEEP_INPUT:-0} == 1 ]] || rm -f "$BIG"
}
trap cleanup EXIT

if [[ ! -f $BIG || $(stat -c %s "$BIG") != "$SIZE" ]]; then
    log "writing $SIZE_MIB MiB of random bytes -> $BIG"
    head -c "$SIZE" /dev/urandom >"$BIG"
fi

: >"$RAW"
declare -A CHECK
for m in "${MODE_LIST[@]}"; do
    layout=${m%-*} compression=${m#*-}
    job="$WORK/job-$m.json"
    out="$WORK/$m.zip"
    [[ $compression == auto ]] && c=default || c=$compression
    python3 "$CLIENT" large-job --out "$job" --count "$COUNT" --mode "$layout" --compression "$c"
    log "$m: docsmith render (${COUNT} x $SIZE_MIB MiB) -> $out"
    sync
    t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$WORK/time.txt" "$DOCSMITH" render "$job" -o "$out" -q \
        --file "big=$BIG" --max-zip-bytes 16GiB 2>"$WORK/render.err" ||
        die "$m: docsmith render failed: $(tail -n 5 "$WORK/render.err")"
    t1=$EPOCHREALTIME
    wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
    rss_kb="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")"
    usr="$(awk -F': ' '/User time/ { print $2 }' "$WORK/time.txt")"
    sys="$(awk -F': ' '/System time/ { print $2 }' "$WORK/time.txt")"
    bytes="$(stat -c %s "$out")"
    log "  $wall s, $bytes bytes, max RSS $rss_kb KB"

    log "  checking with Python zipfile"
    inner=()
    [[ $layout == nested && $INNER == 1 ]] && inner=(--inner)
    t0=$EPOCHREALTIME
    rc=0
    pycheck="$(python3 "$CLIENT" check-large --zip "$out" --count "$COUNT" --size "$SIZE" --mode "$layout" "${inner[@]}")" || rc=$?
    py_s="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
    ((rc == 0)) || die "$m: zipfile check failed: $pycheck"
    log "  checking with unzip -tq"
    t0=$EPOCHREALTIME
    unzip -tq "$out" >"$WORK/unzip.txt" 2>&1 || die "$m: unzip -tq failed: $(head -n 5 "$WORK/unzip.txt")"
    unzip_s="$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')"
    CHECK[$m]="unzip -tq: $(tr '\n' ' ' <"$WORK/unzip.txt") (${unzip_s} s); zipfile (${py_s} s): $pycheck"
    rm -f "$out"
    python3 - "$m" "$wall" "$rss_kb" "$usr" "$sys" "$bytes" "$py_s" "$unzip_s" >>"$RAW" <<'PY'
import json, sys
m, wall, rss, usr, sys_s, size, py_s, unzip_s = sys.argv[1:]
print(json.dumps({"mode": m, "wall_s": float(wall), "maxrss_kb": int(rss), "user_s": float(usr),
                  "sys_s": float(sys_s), "archive_bytes": int(size), "zipfile_check_s": float(py_s),
                  "unzip_t_s": float(unzip_s)}))
PY
done

TABLE="$(python3 - "$RAW" "$COUNT" "$SIZE" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
count, size = int(sys.argv[2]), int(sys.argv[3])
out = ["| mode | archive GB | wall s | MB/s written | peak RSS MB | CPU user / sys s | check: zipfile s / unzip -tq s |",
       "|---|---:|---:|---:|---:|---:|---:|"]
for r in rows:
    out.append(f"| {r['mode']} | {r['archive_bytes'] / 1e9:.3f} | {r['wall_s']:.1f} | {r['archive_bytes'] / 1e6 / r['wall_s']:.0f} | "
               f"{r['maxrss_kb'] / 1024:.0f} | {r['user_s']:.1f} / {r['sys_s']:.1f} | {r['zipfile_check_s']:.1f} / {r['unzip_t_s']:.1f} |")
print("\n".join(out))
PY
)"

# shellcheck disable=SC2016  # Markdown code spans in single quotes
{
    printf '## ZIP > 4 GiB: %s x %s MiB file entries (CLI)\n\n' "$COUNT" "$SIZE_MIB"
    machine_info "$LOAD_BEFORE"
    printf -- "- command: \`docsmith render JOB -o OUT -q --file big=%s --max-zip-bytes 16GiB\` under \`/usr/bin/time -v\`; binary %s\n" "${BIG#"$ROOT"/}" "$(bin_info "$DOCSMITH")"
    printf -- '- output on %s (%s); wall time includes the final fsync of the archive (the CLI writes OUT.partial, fsyncs and renames); one run per mode\n' "$LARGE_DIR" "$FS"
    printf -- '- flat: `{"format": "zip", "entries": [{"path": "big-NN.bin", "file": "big"} x %s]}`; nested: `{"entries": [{"path": "README.txt", "text": ...}, {"path": "inner.zip", "job": {"format": "zip", "entries": [the same %s]}}]}`; `-store` adds `"compression": "store"` to the file entries, `-auto` leaves the default\n\n' "$COUNT" "$COUNT"
    printf '%s\n\n' "$TABLE"
    printf 'Checks (archives deleted afterwards):\n\n'
    for m in "${MODE_LIST[@]}"; do printf -- '- %s: %s\n' "$m" "${CHECK[$m]}"; done
} >"$REPORT"
cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}"
