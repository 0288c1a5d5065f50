#!/usr/bin/env bash
# HTTP image batch: `docsmith serve` on a free loopback port, one multipart
# POST /v1/images with 20 real photos (bench/image_lib.sh fetch_photos: KDE
# wallpapers, 2560x1600 .. 5120x2880 JPEGs, ~25 MB), answered with a ZIP of
# WebP copies 1600 px wide plus manifest.json. RUNS times.
# Target: the server's peak RSS < 500 MB.
#
#   bash bench/image_http_batch.sh
#   RUNS=5 FORMAT=avif QUALITY=65 bash bench/image_http_batch.sh
#
# Env: RUNS (3) BATCH_SIZE (20; the 18 distinct photos, then again from the
#      first) FORMAT (webp) WIDTH (1600) QUALITY (80) TIMEOUT (300 s per request)
#      WORKERS / QUEUE_DEPTH (passed as --workers / --queue-depth when set)
#      PORT (default: a free one) BUILD (0; 1 = cargo build --release first)
#      DOCSMITH_BIN (binary to use) STRICT (0; 1 = exit 2 when the RSS target is missed)
#      WALLPAPER_DIR (bench/out/wallpapers, the photo cache)
# Report: bench/out/image_http_batch.md (also printed); the last response in
# bench/out/image_http_batch.zip, server log in bench/out/image_http_server.log.
# Traffic goes to 127.0.0.1 only; RUNS requests, each bounded by TIMEOUT.
#
# Contract with the server:
#   POST /v1/images, multipart/form-data: one `files` part per photo
#   (filename NN-NAME-WxH.jpg, Content-Type image/jpeg) and the text parts
#   format=webp, width=1600, quality=80
#   -> 200, Content-Type application/zip: one image per upload (.webp for
#   format=webp) + manifest.json.
# Exit: 0 = every response was a valid ZIP that passed the checks; 1 = not;
#       2 = STRICT=1 and peak RSS >= 500 MB.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pdf_lib.sh disable=SC1091
source "$BENCH_DIR/pdf_lib.sh"
# shellcheck source-path=SCRIPTDIR source=image_lib.sh disable=SC1091
source "$BENCH_DIR/image_lib.sh"
cd "$ROOT"

RUNS="${RUNS:-3}"
BATCH_SIZE="${BATCH_SIZE:-20}"
FORMAT="${FORMAT:-webp}"
WIDTH="${WIDTH:-1600}"
QUALITY="${QUALITY:-80}"
TIMEOUT="${TIMEOUT:-300}"
TARGET_RSS_MB=500
for v in RUNS BATCH_SIZE WIDTH QUALITY TIMEOUT; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
case $FORMAT in
    webp) EXT_RE='\.webp$' ;;
    jpeg) EXT_RE='\.(jpe?g)$' ;;
    avif) EXT_RE='\.avif$' ;;
    *) die "FORMAT must be webp, jpeg or avif (got '$FORMAT')" ;;
esac

need_debs "${IMAGE_DEBS[@]}"
fetch_photos
ensure_venv
ensure_docsmith

REPORT="$OUT_DIR/image_http_batch.md"
ZIP="$OUT_DIR/image_http_batch.zip"
UPLOAD_DIR="$OUT_DIR/image_batch"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

batch_photos "$BATCH_SIZE" "$UPLOAD_DIR"
IN_BYTES=0
form=()
for f in "${BATCH[@]}"; do
    IN_BYTES=$((IN_BYTES + $(stat -L -c %s "$f")))
    form+=(-F "files=@$f;type=image/jpeg")
done
form+=(-F "format=$FORMAT" -F "width=$WIDTH" -F "quality=$QUALITY")
log "batch: ${#BATCH[@]} photos, $IN_BYTES bytes (${UPLOAD_DIR#"$ROOT"/})"

# post_batch OUT : one POST /v1/images; prints "STATUS|CONTENT-TYPE|SECONDS|UPLOADED|DOWNLOADED".
# `Expect:` is cleared so that curl sends the body at once instead of waiting
# for a "100 Continue".
post_batch() {
    # shellcheck disable=SC2153  # BASE is set by serve_start (pdf_lib.sh)
    curl -sS -o "$1" -w '%{http_code}|%{content_type}|%{time_total}|%{size_upload}|%{size_download}\n' \
        --max-time "$TIMEOUT" -H 'Expect:' "${form[@]}" "$BASE/v1/images"
}

# check_zip ZIP : unzip -t, then BATCH_SIZE image entries + manifest.json;
# prints the problem and returns 1 when not.
check_zip() {
    local zip=$1 names n_img
    if ! unzip -tq "$zip" >"$WORK/unzip_t.txt" 2>&1; then
        printf 'unzip -t failed: %s\n' "$(head -n 5 "$WORK/unzip_t.txt" | tr '\n' ' ')"
        return 1
    fi
    names="$(unzip -Z1 "$zip")"
    n_img="$(grep -Eic "$EXT_RE" <<<"$names" || true)"
    if ((n_img != BATCH_SIZE)); then
        printf '%s image entries (%s), expected %s; entries: %s\n' "$n_img" "$EXT_RE" "$BATCH_SIZE" "$(tr '\n' ' ' <<<"$names" | head -c 600)"
        return 1
    fi
    if ! grep -qx 'manifest.json' <<<"$names"; then
        printf 'no manifest.json in the ZIP; entries: %s\n' "$(tr '\n' ' ' <<<"$names" | head -c 600)"
        return 1
    fi
}

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
serve_start "$OUT_DIR/image_http_server.log"
trap 'serve_stop; rm -rf "$WORK"' EXIT
RSS_IDLE_KB="$(vm_kb "$SERVER_PID" VmRSS)"

times=()
run_lines=()
for ((r = 1; r <= RUNS; r++)); do
    out="$WORK/r$r.zip"
    log "run $r/$RUNS: POST /v1/images (${#BATCH[@]} files, $FORMAT, width $WIDTH, quality $QUALITY)"
    rc=0
    line="$(post_batch "$out")" || rc=$?
    if ((rc != 0)); then
        kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$SERVER_LOG" >&2; die "the server died during run $r (log: ${SERVER_LOG#"$ROOT"/})"; }
        die "curl failed in run $r (exit $rc; a timeout is exit 28, TIMEOUT=$TIMEOUT s)"
    fi
    IFS='|' read -r code ctype secs up down <<<"$line"
    if [[ $code != 200 ]]; then
        head -c 2000 "$out" >&2 || true
        echo >&2
        die "POST /v1/images -> HTTP $code (not 200) in run $r; request body $up bytes"
    fi
    [[ ${ctype%%;*} == application/zip ]] || log "WARNING: Content-Type '$ctype', expected application/zip"
    if ! problem="$(check_zip "$out")"; then
        cp "$out" "$ZIP"
        die "run $r: bad ZIP (kept as ${ZIP#"$ROOT"/}): $problem"
    fi
    ms="$(awk -v s="$secs" 'BEGIN { printf "%.0f", s * 1000 }')"
    times+=("$ms")
    run_lines+=("| $r | $ms | $up | $down | ${ctype:-?} |")
    log "  HTTP $code, $down bytes, $ms ms"
    mv "$out" "$ZIP"
done
kill -0 "$SERVER_PID" 2>/dev/null || die "the server died after the runs (log: ${SERVER_LOG#"$ROOT"/})"
RSS_HWM_KB="$(vm_kb "$SERVER_PID" VmHWM)"
RSS_END_KB="$(vm_kb "$SERVER_PID" VmRSS)"
SERVER_CPU_S="$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$SERVER_PID/stat" 2>/dev/null || echo '?')"
serve_stop

MEDIAN_MS="$(printf '%s\n' "${times[@]}" | median)"
ZIP_BYTES="$(stat -c %s "$ZIP")"
RATIO="$(awk -v a="$IN_BYTES" -v b="$ZIP_BYTES" 'BEGIN { printf "%.1f", a / b }')"
RSS_MB="$(awk -v k="$RSS_HWM_KB" 'BEGIN { printf "%.1f", k / 1024 }')"
if awk -v m="$RSS_MB" -v t="$TARGET_RSS_MB" 'BEGIN { exit !(m < t) }'; then MET_RSS=yes; else MET_RSS='**NO**'; fi

# Decode every image of the last ZIP with Pillow; compare with its upload.
CHECK_RC=0
CHECK_OUT="$("$VENV_PY" - "$ZIP" "$FORMAT" "$WIDTH" "${BATCH[@]}" <<'PY' 2>&1
import io, json, pathlib, sys, zipfile
from PIL import Image

zip_path, fmt, width, inputs = sys.argv[1], sys.argv[2].upper(), int(sys.argv[3]), sys.argv[4:]
sizes = {}
for p in inputs:
    with Image.open(p) as im:
        sizes[pathlib.Path(p).stem] = im.size
bad, lines = 0, []
with zipfile.ZipFile(zip_path) as z:
    names = z.namelist()
    for name in names:
        data = z.read(name)
        if name == "manifest.json":
            try:
                manifest = json.loads(data)
                text = json.dumps(manifest, ensure_ascii=False)
                lines.append(f"manifest.json: valid JSON, {len(data)} bytes: {text[:400]}{' ...' if len(text) > 400 else ''}")
            except ValueError as e:
                bad += 1
                lines.append(f"FAIL manifest.json: not JSON ({e})")
            continue
        if name.endswith("/"):
            continue
        try:
            im = Image.open(io.BytesIO(data))
            im.load()
        except Exception as e:  # noqa: BLE001
            bad += 1
            lines.append(f"FAIL {name}: Pillow cannot decode it ({e})")
            continue
        notes = []
        ok = im.format == fmt and im.width <= width
        if im.format != fmt:
            notes.append(f"format {im.format}, expected {fmt}")
        if im.width > width:
            notes.append(f"width {im.width} > {width}")
        src = sizes.get(pathlib.PurePosixPath(name).stem)
        if src:
            want_w = min(width, src[0])
            if im.width != want_w:
                notes.append(f"width {im.width}, expected {want_w} (input {src[0]}x{src[1]})")
            if abs(im.height / im.width - src[1] / src[0]) > 0.01:
                notes.append(f"aspect {im.width}x{im.height} differs from input {src[0]}x{src[1]}")
        else:
            notes.append("no upload with this name's stem")
        meta = [k for k in ("exif", "icc_profile", "xmp") if im.info.get(k)]
        if meta:
            notes.append(f"metadata kept: {', '.join(meta)}")
        bad += not ok
        lines.append(f"{'ok  ' if ok else 'FAIL'} {name}: {im.format} {im.width}x{im.height} {im.mode}, {len(data)} bytes"
                     + (f" ({'; '.join(notes)})" if notes else ""))
print("\n".join(lines))
print(f"{len(names)} entries, {bad} failed")
sys.exit(1 if bad else 0)
PY
)" || CHECK_RC=$?
printf '%s\n' "$CHECK_OUT" >&2

{
    printf '## HTTP image batch: POST /v1/images, %s photos -> ZIP of %s (width %s, quality %s)\n\n' "${#BATCH[@]}" "$FORMAT" "$WIDTH" "$QUALITY"
    machine_info "$LOAD_BEFORE"
    printf -- "- server: \`docsmith %s\` (workers: %s); binary %s\n" "${SERVE_ARGS[*]}" "${WORKERS:-server default}" "$(bin_info "$DOCSMITH")"
    printf -- "- client: \`curl -F files=@NN-NAME.jpg x %s -F format=%s -F width=%s -F quality=%s %s/v1/images\`, %s run(s), one at a time; time = curl's time_total (upload, processing, download)\n" \
        "${#BATCH[@]}" "$FORMAT" "$WIDTH" "$QUALITY" "$BASE" "$RUNS"
    printf -- '- photos: %s (the %s distinct JPEGs >= 2560 px of %s, repeated from the first as needed), in %s\n' \
        "${#BATCH[@]}" "${#ALL_PHOTOS[@]}" "$WALLPAPER_DEB" "${UPLOAD_DIR#"$ROOT"/}"
    printf -- '- NOTE: curl and the server share the same %s cores.\n\n' "$(nproc)"
    printf '| metric | value | target | met |\n|---|---:|---:|:---:|\n'
    printf '| total time, median of %s runs (ms) | %s | | |\n' "$RUNS" "$MEDIAN_MS"
    printf '| images per second (median run) | %s | | |\n' "$(awk -v n="${#BATCH[@]}" -v ms="$MEDIAN_MS" 'BEGIN { printf "%.1f", n * 1000 / ms }')"
    printf '| server peak RSS MB (VmHWM, after the runs) | %s | < %s | %s |\n' "$RSS_MB" "$TARGET_RSS_MB" "$MET_RSS"
    printf '| server RSS MB idle before / after the runs | %.1f / %.1f | | |\n' \
        "$(awk -v k="$RSS_IDLE_KB" 'BEGIN { print k / 1024 }')" "$(awk -v k="$RSS_END_KB" 'BEGIN { print k / 1024 }')"
    printf '| server CPU seconds (user+sys, whole life) | %s | | |\n' "$SERVER_CPU_S"
    printf '| input bytes (%s JPEGs) | %s | | |\n' "${#BATCH[@]}" "$IN_BYTES"
    printf '| ZIP bytes | %s | | |\n' "$ZIP_BYTES"
    printf '| compression ratio (input / ZIP) | %s | | |\n' "$RATIO"
    printf '\n| run | ms | request bytes | response bytes | Content-Type |\n|---:|---:|---:|---:|---|\n'
    printf '%s\n' "${run_lines[@]}"
    printf "\nZIP check (\`unzip -t\`, %s image entries + manifest.json) passed for every run. Images of the last ZIP decoded with Pillow (%s):\n\n\`\`\`\n%s\n\`\`\`\n" \
        "$BATCH_SIZE" "${ZIP#"$ROOT"/}" "$CHECK_OUT"
} >"$REPORT"

cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}"
((CHECK_RC == 0)) || die "decoding the ZIP's images found problems (see the report)"
if [[ ${STRICT:-0} == 1 && $MET_RSS != yes ]]; then
    log "STRICT=1 and the RSS target was missed"
    exit 2
fi
