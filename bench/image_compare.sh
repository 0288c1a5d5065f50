#!/usr/bin/env bash
# Images, side by side in one run: docsmith's release example `image_timing`
# vs pyvips and Pillow (bench/image_peers.py) making an 800 px wide JPEG q80,
# WebP q80 and AVIF q65 of real photos (KDE wallpapers, 2560x1600 and
# 5120x2880 JPEGs; bench/image_lib.sh fetch_photos), metadata stripped.
# Targets (JPEG): docsmith's per-image time <= pyvips', and >= 2x faster than Pillow.
#
#   bash bench/image_compare.sh
#   TOOLS="pyvips pillow" bash bench/image_compare.sh   # peers only (no docsmith needed)
#   ROUNDS=5 ITERATIONS=10 AVIF=0 bash bench/image_compare.sh
#
# Env: TOOLS ("docsmith pyvips pillow") ROUNDS (3; the tools' order rotates
#      every round, and for every op the tools run one after the other)
#      ITERATIONS (5, timed, per file, tool, op and round; JPEG and WebP)
#      AVIF_ITERATIONS (1; AVIF encoding is slow) AVIF (1; 0 = skip AVIF) WARMUP (1, the peers'
#      untimed iterations on the first file per op) PHOTO_COUNT (10)
#      WIDTH (800) JPEG_Q (80) WEBP_Q (80) AVIF_Q (65)
#      VIPS_AVIF_EFFORT / PILLOW_AVIF_SPEED (unset: the libraries' defaults,
#      libvips effort 4 ~ aom speed 5, Pillow speed 6; AVIF time is mostly this)
#      VIPS_CONCURRENCY (unset: libvips uses one thread per core; set it to
#      give pyvips another thread count)
#      BUILD (0: `cargo build --release --example image_timing` only when the
#      binary is missing; 1 = always) DOCSMITH_IMAGE_TIMING (a prebuilt
#      image_timing to use) STRICT (0; 1 = exit 2 when a JPEG target is missed)
#      WALLPAPER_DIR (bench/out/wallpapers, the photo cache)
# Report: bench/out/image_compare.md (also printed); every JSON line, with its
# round, in bench/out/image_compare.jsonl.
#
# Contract with examples/image_timing.rs (docsmith side):
#   target/release/examples/image_timing --width 800 --format jpeg|webp|avif \
#       --quality Q --iterations N FILE...
#   prints one JSON line per FILE on stdout (logs to stderr), exit 0:
#   {"tool":"docsmith","file":BASENAME,"op":"jpeg"|"webp"|"avif","ms":[F,...],
#    "bytes":N,"width":W,"height":H}
#   one timed iteration = the file's bytes in memory -> decode -> resize
#   (Lanczos3) -> encode -> output bytes in memory, no metadata. Optional keys
#   are kept in the raw lines ("meta": [...] like the peers', "threads": N).
# Exit: 0 = every tool in TOOLS ran; 1 = docsmith missing/failed or a
#       peer/table failure; 2 = STRICT=1 and a target missed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pdf_lib.sh disable=SC1091
source "$BENCH_DIR/pdf_lib.sh"
# shellcheck source-path=SCRIPTDIR source=image_lib.sh disable=SC1091
source "$BENCH_DIR/image_lib.sh"
cd "$ROOT"

TOOLS="${TOOLS:-docsmith pyvips pillow}"
ROUNDS="${ROUNDS:-3}"
ITERATIONS="${ITERATIONS:-5}"
AVIF_ITERATIONS="${AVIF_ITERATIONS:-1}"
AVIF="${AVIF:-1}"
WARMUP="${WARMUP:-1}"
WIDTH="${WIDTH:-800}"
JPEG_Q="${JPEG_Q:-80}"
WEBP_Q="${WEBP_Q:-80}"
AVIF_Q="${AVIF_Q:-65}"
for v in ROUNDS ITERATIONS AVIF_ITERATIONS WIDTH JPEG_Q WEBP_Q AVIF_Q; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be a non-negative integer"
PEER_AVIF_ARGS=()
if [[ -n ${VIPS_AVIF_EFFORT:-} ]]; then
    [[ $VIPS_AVIF_EFFORT =~ ^[0-9]$ ]] || die "VIPS_AVIF_EFFORT must be 0..9"
    PEER_AVIF_ARGS+=(--vips-avif-effort "$VIPS_AVIF_EFFORT")
fi
if [[ -n ${PILLOW_AVIF_SPEED:-} ]]; then
    [[ $PILLOW_AVIF_SPEED =~ ^([0-9]|10)$ ]] || die "PILLOW_AVIF_SPEED must be 0..10"
    PEER_AVIF_ARGS+=(--pillow-avif-speed "$PILLOW_AVIF_SPEED")
fi
read -r -a tools <<<"${TOOLS//,/ }"
((${#tools[@]})) || die "TOOLS is empty"
for t in "${tools[@]}"; do
    case $t in docsmith | pyvips | pillow) ;; *) die "unknown tool in TOOLS: $t (docsmith, pyvips, pillow)" ;; esac
done
OPS=(jpeg webp)
[[ $AVIF == 0 ]] || OPS+=(avif)
has_tool() { [[ " ${tools[*]} " == *" $1 "* ]]; }

need_debs "${IMAGE_DEBS[@]}"
fetch_photos
ensure_venv

REPORT="$OUT_DIR/image_compare.md"
RAW="$OUT_DIR/image_compare.jsonl"
BUILD_LOG="$OUT_DIR/image_compare_build.log"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# ---- docsmith side: DS_STATUS = ok | skipped | missing | build failed | run failed
DS_STATUS=ok
DS_NOTE=""
DS_STALE=""
IMAGE_TIMING="${DOCSMITH_IMAGE_TIMING:-$ROOT/target/release/examples/image_timing}"
if ! has_tool docsmith; then
    DS_STATUS=skipped
    DS_NOTE="not run: TOOLS=\"$TOOLS\""
else
    ensure_timing_example image_timing "$IMAGE_TIMING" "${DOCSMITH_IMAGE_TIMING:-}" 0 "$BUILD_LOG"
fi
if [[ $DS_STATUS == ok && -z ${DOCSMITH_IMAGE_TIMING:-} ]]; then
    newer="$(find "$ROOT/src" "$ROOT/examples" "$ROOT/Cargo.toml" -newer "$IMAGE_TIMING" \( -name '*.rs' -o -name Cargo.toml \) 2>/dev/null | head -n 1)"
    if [[ -n $newer ]]; then
        DS_STALE="${newer#"$ROOT"/} is newer than the image_timing binary: it may be stale (BUILD=1 rebuilds it)"
        log "WARNING: $DS_STALE"
    fi
fi

quality_of() {
    case $1 in jpeg) echo "$JPEG_Q" ;; webp) echo "$WEBP_Q" ;; avif) echo "$AVIF_Q" ;; esac
}
iterations_of() {
    if [[ $1 == avif ]]; then echo "$AVIF_ITERATIONS"; else echo "$ITERATIONS"; fi
}

# run_tool ROUND TOOL OP : one run -> $WORK/rROUND.TOOL.OP
run_tool() {
    local r=$1 t=$2 op=$3 out="$WORK/r$1.$2.$3" rc=0 n
    n="$(iterations_of "$op")"
    if [[ $t == docsmith ]]; then
        [[ $DS_STATUS == ok ]] || return 0
        log "round $r: docsmith $op x $n"
        "$IMAGE_TIMING" --width "$WIDTH" --format "$op" --quality "$(quality_of "$op")" --iterations "$n" \
            "${PHOTOS[@]}" >"$out" 2>"$out.err" || rc=$?
        local got
        got="$(grep -c '"tool" *: *"docsmith"' "$out" || true)"
        if [[ $rc -ne 0 || $got -ne ${#PHOTOS[@]} ]]; then
            tail -n 20 "$out.err" >&2
            DS_STATUS="run failed"
            DS_NOTE="RUN FAILED in round $r, $op (exit $rc, $got of ${#PHOTOS[@]} {\"tool\":\"docsmith\",...} lines on stdout): ${IMAGE_TIMING#"$ROOT"/} --width $WIDTH --format $op --quality $(quality_of "$op") --iterations $n FILE..."
            log "docsmith image_timing FAILED; continuing with the peers"
            mv "$out" "$WORK/failed.r$r.docsmith.$op"
        fi
        return 0
    fi
    log "round $r: $t $op x $n"
    "$VENV_PY" "$BENCH_DIR/image_peers.py" --tools "$t" --ops "$op" \
        --iterations "$n" --avif-iterations "$n" --warmup "$WARMUP" --width "$WIDTH" \
        --jpeg-quality "$JPEG_Q" --webp-quality "$WEBP_Q" --avif-quality "$AVIF_Q" "${PEER_AVIF_ARGS[@]}" \
        "${PHOTOS[@]}" >"$out" 2>"$out.err" || {
        cat "$out.err" >&2
        die "$t failed in round $r ($op)"
    }
}

# The tools that run: TOOLS less a docsmith that isn't there.
active=()
for t in "${tools[@]}"; do [[ $t == docsmith && $DS_STATUS != ok ]] || active+=("$t"); done
((${#active[@]})) || die "nothing to run (docsmith: $DS_NOTE)"

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
START=$SECONDS
for ((r = 1; r <= ROUNDS; r++)); do
    # Rotate the tools' order every round: round 1 a b c, round 2 b c a, ...
    order=()
    for ((i = 0; i < ${#active[@]}; i++)); do order+=("${active[(i + r - 1) % ${#active[@]}]}"); done
    for op in "${OPS[@]}"; do
        for t in "${order[@]}"; do run_tool "$r" "$t" "$op"; done
    done
done
ELAPSED=$((SECONDS - START))

STRICT_FLAG=()
[[ ${STRICT:-0} != 1 ]] || STRICT_FLAG=(--strict)
shopt -s nullglob
round_files=("$WORK"/r*.*.*)
shopt -u nullglob
run_files=()
for f in "${round_files[@]}"; do [[ $f == *.err ]] || run_files+=("$f"); done
TABLE_RC=0
"$VENV_PY" "$BENCH_DIR/image_compare_table.py" --raw-out "$RAW" --photos-tsv "$PHOTOS_TSV" "${STRICT_FLAG[@]}" \
    "${run_files[@]}" >"$WORK/table.md" 2>"$WORK/table.err" || TABLE_RC=$?
[[ $TABLE_RC == 0 || $TABLE_RC == 2 ]] || cat "$WORK/table.err" >&2
VIPS_THREADS="$(grep -ho '"vips_concurrency": *[0-9?"]*' "${run_files[@]}" 2>/dev/null | head -n 1 | sed 's/.*: *//; s/"//g')" || true

{
    printf '## Images: docsmith vs pyvips and Pillow (decode JPEG, resize to %s px wide, encode; metadata stripped)\n\n' "$WIDTH"
    machine_info "$LOAD_BEFORE"
    printf -- '- photos: %s JPEGs from Debian %s (%s), cached in %s: %s\n' "${#PHOTOS[@]}" "$WALLPAPER_DEB" \
        "$(cat "${PHOTOS_TSV%/*}/package.txt" 2>/dev/null || echo '?')" "$(dirname "${PHOTOS_TSV#"$ROOT"/}")" "$(printf '%s ' "${PHOTOS[@]##*/}")"
    printf -- '- ops: %s; quality: JPEG %s, WebP %s, AVIF %s; AVIF encoder speed: pyvips effort %s, Pillow speed %s (AVIF times depend mostly on this setting)\n' \
        "${OPS[*]}" "$JPEG_Q" "$WEBP_Q" "$AVIF_Q" "${VIPS_AVIF_EFFORT:-4 (libvips default, ~ aom speed 5)}" "${PILLOW_AVIF_SPEED:-6 (Pillow default)}"
    printf -- '- %s rounds (the tools'"'"' order rotates each round; per op the tools run back to back) x %s timed iterations per file (AVIF: %s); peers: %s untimed warm-up(s) on the first file per op; wall time of the runs: %s s\n' \
        "$ROUNDS" "$ITERATIONS" "$AVIF_ITERATIONS" "$WARMUP" "$ELAPSED"
    printf -- '- timed: the input file'"'"'s bytes in memory -> output bytes in memory (decode, resize, encode); not timed: reading the file, process start, imports\n'
    if [[ $DS_STATUS == ok ]]; then
        printf -- "- docsmith: \`%s --width %s --format OP --quality Q --iterations N FILE...\`; binary %s\n" \
            "${IMAGE_TIMING#"$ROOT"/}" "$WIDTH" "$(bin_info "$IMAGE_TIMING")"
        [[ -z $DS_STALE ]] || printf -- '- **WARNING: %s**\n' "$DS_STALE"
    else
        printf -- '- **docsmith: %s**\n' "$DS_NOTE"
    fi
    printf -- "- pyvips: \`pyvips.Image.thumbnail_buffer(data, %s)\` (shrink-on-load + Lanczos3) then \`jpegsave_buffer(Q=%s)\` / \`webpsave_buffer(Q=%s)\` / \`heifsave_buffer(Q=%s, compression=\"av1\")\`, \`keep=\"none\"\`, libvips operation cache off\n" \
        "$WIDTH" "$JPEG_Q" "$WEBP_Q" "$AVIF_Q"
    printf -- "- Pillow: \`Image.open\`, \`ImageOps.exif_transpose\`, \`.convert(\"RGB\")\`, \`.resize((%s, h), Image.LANCZOS)\` on the full-size decode (no \`draft()\`), \`save(JPEG quality=%s | WEBP quality=%s | AVIF quality=%s)\`, info dropped\n" \
        "$WIDTH" "$JPEG_Q" "$WEBP_Q" "$AVIF_Q"
    printf -- '- threads: pyvips runs libvips'"'"'s own thread pool, VIPS_CONCURRENCY=%s (libvips threads in use: %s); Pillow decodes and resizes on one thread (its AVIF encoder uses up to the CPU count); docsmith: as image_timing does it. All on the same %s cores.\n\n' \
        "${VIPS_CONCURRENCY:-unset}" "${VIPS_THREADS:-?}" "$(nproc)"
    cat "$WORK/table.md"
} >"$REPORT"

cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}; raw lines: ${RAW#"$ROOT"/}"
compare_exit 0 "$TABLE_RC"
