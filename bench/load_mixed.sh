#!/usr/bin/env bash
# Mixed-workload overload test: `docsmith serve` (default settings: workers =
# cores, queue depth 64, job timeout 60 s) on a free loopback port, driven by
# wrk + bench/load_mixed.lua with a mix of
#   invoice  POST /v1/render samples/pdf-invoice.json            -> PDF
#   xlsx     POST /v1/render samples/xlsx-sales-report.json      -> XLSX
#   image    POST /v1/images, multipart: 3 small images (two JPEGs, one PNG,
#            ~100-250 KB, made once with Pillow) + format=webp width=400 -> ZIP
#   zip      POST /v1/render, a zip job with a batch of 5 invoices -> ZIP
# while a second wrk probes GET /healthz and GET /metrics, alternately, each
# at a fixed low rate (HEALTH_RATE), measured apart (/metrics must answer 200
# with Prometheus text: Content-Type text/plain; version=0.0.4, body starting
# "# HELP" or "# TYPE"). Phases:
#   idle       /healthz + /metrics probes only (IDLE)
#   warm-up    closed loop, 2 connections (WARMUP; not reported)
#   capacity   closed loop at each of CAP_CONNECTIONS for CAP_DURATION: the
#              capacity is the best 200 responses/s of the mix
#   overload   open loop (Poisson arrivals, wrk's delay() hook) at
#              OVERLOAD_FACTOR x capacity for DURATION, CONNECTIONS connections
#   drain      until /readyz shows no job queued or in flight (DRAIN_TIMEOUT)
#   after      /healthz + /metrics probes (IDLE), then one request of each
#              type, checked
# The server's VmRSS, VmHWM, threads and CPU are sampled every 100 ms (and
# /readyz every 0.5 s) by bench/load_mixed.py sample.
#
#   bash bench/load_mixed.sh
#   DURATION=30s OVERLOAD_FACTOR=3 bash bench/load_mixed.sh
#   RATE=400 bash bench/load_mixed.sh          # skip the capacity search's result
#
# Env: DURATION (60s, overload) OVERLOAD_FACTOR (2) RATE (overload req/s; default
#      OVERLOAD_FACTOR x capacity) CONNECTIONS (256, overload) CAP_CONNECTIONS
#      ("2 4 8") CAP_DURATION (10s) WARMUP (3s) IDLE (5s) HEALTH_RATE (20 probes/s
#      of each of /healthz and /metrics: the probe wrk sends 2 x HEALTH_RATE)
#      HEALTH_CONNECTIONS (4) MIX (invoice=5,xlsx=3,image=1,zip=1: weights)
#      DRAIN_TIMEOUT (90 s) HEALTH_P99_LIMIT_MS (100) WORKERS / QUEUE_DEPTH
#      (passed as --workers / --queue-depth when set; default: the server's own)
#      PORT (default: a free one) BUILD (0; 1 = cargo build --release first)
#      DOCSMITH_BIN (binary to use) STRICT (0; 1 = exit 2 when the /healthz or
#      the /metrics p99 during the overload is over HEALTH_P99_LIMIT_MS or
#      VmRSS grew > 25 %)
# Other DOCSMITH_* variables (server settings) are cleared, so that the
# server runs with its defaults.
# Report: bench/out/load_mixed.md (also printed). Raw: one record per
# response in bench/out/load_mixed/<phase>_{mix,health}.tsv (health: the
# /healthz and /metrics probes, record types health and metrics), wrk's output
# in bench/out/load_mixed/<phase>_*.txt, server samples in
# bench/out/load_mixed/samples.tsv, the server log in
# bench/out/load_mixed/server.log, the first 200 body of each type during the
# overload in bench/out/load_mixed/overload_bodies/, the after-run responses
# in bench/out/load_mixed/after_bodies/.
# Traffic goes to 127.0.0.1 only; every phase is bounded in time (wrk -d,
# DRAIN_TIMEOUT, curl --max-time).
# Exit: 0 = no 5xx other than 503, every 503 with Retry-After, every 200 body
#       as expected, no socket error, every response matched to its request,
#       /healthz always 200, /metrics always 200 with Prometheus text, and
#       the server healthy after the run; 1 = not;
#       2 = STRICT=1 and a limit was missed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pdf_lib.sh disable=SC1091
source "$BENCH_DIR/pdf_lib.sh"
cd "$ROOT"

# seconds DURATION : "60", "60s" or "2m" -> whole seconds.
seconds() {
    case $1 in
        *m) [[ ${1%m} =~ ^[0-9]+$ ]] && echo $((${1%m} * 60)) ;;
        *s) [[ ${1%s} =~ ^[0-9]+$ ]] && echo "${1%s}" ;;
        *) [[ $1 =~ ^[0-9]+$ ]] && echo "$1" ;;
    esac
}

DURATION_S="$(seconds "${DURATION:-60s}")" || die "DURATION must be like 60s or 2m (got '${DURATION:-}')"
CAP_DURATION_S="$(seconds "${CAP_DURATION:-10s}")" || die "CAP_DURATION must be like 10s"
WARMUP_S="$(seconds "${WARMUP:-3s}")" || die "WARMUP must be like 3s"
IDLE_S="$(seconds "${IDLE:-5s}")" || die "IDLE must be like 5s"
OVERLOAD_FACTOR="${OVERLOAD_FACTOR:-2}"
RATE="${RATE:-}"
CONNECTIONS="${CONNECTIONS:-256}"
CAP_CONNECTIONS="${CAP_CONNECTIONS:-2 4 8}"
HEALTH_RATE="${HEALTH_RATE:-20}"
HEALTH_CONNECTIONS="${HEALTH_CONNECTIONS:-4}"
MIX="${MIX:-invoice=5,xlsx=3,image=1,zip=1}"
DRAIN_TIMEOUT="${DRAIN_TIMEOUT:-90}"
HEALTH_P99_LIMIT_MS="${HEALTH_P99_LIMIT_MS:-100}"
ZIP_ITEMS=5
IMAGE_WIDTH=400
for v in DURATION_S CAP_DURATION_S IDLE_S CONNECTIONS HEALTH_RATE HEALTH_CONNECTIONS DRAIN_TIMEOUT; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
[[ $WARMUP_S =~ ^[0-9]+$ ]] || die "WARMUP must be a whole number of seconds"
[[ $OVERLOAD_FACTOR =~ ^[0-9]+([.][0-9]+)?$ ]] || die "OVERLOAD_FACTOR must be a number (got '$OVERLOAD_FACTOR')"
[[ -z $RATE || $RATE =~ ^[1-9][0-9]*$ ]] || die "RATE must be a positive integer (got '$RATE')"
read -r -a CAP_LIST <<<"$CAP_CONNECTIONS"
((${#CAP_LIST[@]} > 0)) || die "CAP_CONNECTIONS is empty"
for c in "${CAP_LIST[@]}"; do [[ $c =~ ^[1-9][0-9]*$ ]] || die "CAP_CONNECTIONS must hold positive integers (got '$c')"; done
[[ $MIX =~ ^[a-z]+=[0-9.]+(,[a-z]+=[0-9.]+)*$ ]] || die "MIX must look like invoice=5,xlsx=3,image=1,zip=1 (got '$MIX')"

# The server runs with its defaults: drop inherited server settings.
while read -r var; do
    [[ $var == DOCSMITH_BIN ]] && continue
    log "clearing $var (server setting from the environment)"
    unset "$var"
done < <(compgen -e | grep '^DOCSMITH_' || true)

need_cmd wrk wrk
need_cmd curl curl
need_cmd python3 python3
want_debs poppler-utils
ensure_venv
ensure_docsmith

HELPER="$BENCH_DIR/load_mixed.py"
LUA="$BENCH_DIR/load_mixed.lua"
REPORT="$OUT_DIR/load_mixed.md"
RAW="$OUT_DIR/load_mixed"
rm -rf "$RAW"
mkdir -p "$RAW/overload_bodies" "$RAW/after_bodies"
PHASE_FILE="$RAW/phase"
SAMPLES="$RAW/samples.tsv"

# set_phase NAME : the phase the sampler tags its lines with (written
# atomically, so the sampler never reads a half-written file).
set_phase() {
    printf '%s\n' "$1" >"$PHASE_FILE.tmp"
    mv -f "$PHASE_FILE.tmp" "$PHASE_FILE"
}

# ---- inputs
INVOICE_JOB="$ROOT/samples/pdf-invoice.json"
XLSX_JOB="$ROOT/samples/xlsx-sales-report.json"
ZIP_JOB="$OUT_DIR/load_mixed_zip$ZIP_ITEMS.json"
IMAGE_DIR="$OUT_DIR/load_mixed_images"
IMAGE_BODY="$OUT_DIR/load_mixed_images.body"
for f in "$INVOICE_JOB" "$XLSX_JOB"; do [[ -f $f ]] || die "missing $f"; done
if [[ ! -s $ZIP_JOB || $BENCH_DIR/zip_client.py -nt $ZIP_JOB ]]; then
    log "generating the $ZIP_ITEMS-invoice zip job -> ${ZIP_JOB#"$ROOT"/}"
    python3 "$BENCH_DIR/zip_client.py" gen-batch --n "$ZIP_ITEMS" --out "$ZIP_JOB"
fi
IMAGE_CT="$("$VENV_PY" "$HELPER" image-body --dir "$IMAGE_DIR" --out "$IMAGE_BODY" \
    --field format=webp --field "width=$IMAGE_WIDTH")" || die "could not make the image upload"
IMAGE_SIZES="$(cd "$IMAGE_DIR" && for f in *; do printf '%s %s KB, ' "$f" $(($(stat -c %s "$f") / 1024)); done)"
IMAGE_SIZES="${IMAGE_SIZES%, }"

export LM_INVOICE="$INVOICE_JOB" LM_XLSX="$XLSX_JOB" LM_ZIP="$ZIP_JOB"
export LM_IMAGE_BODY="$IMAGE_BODY" LM_IMAGE_CT="$IMAGE_CT" LM_MIX="$MIX" LM_THREADS=1

# ---- server and sampler
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
SAMPLER_PID=""
WRK_PIDS=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local p
    for p in "${WRK_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    set_phase stop 2>/dev/null || true
    if [[ -n $SAMPLER_PID ]]; then
        wait "$SAMPLER_PID" 2>/dev/null || true
    fi
    serve_stop
}
serve_start "$RAW/server.log"
trap cleanup EXIT
SETTINGS="$(grep -m1 'docsmith listening' "$SERVER_LOG" | sed 's/\x1b\[[0-9;]*m//g' | grep -oE '(workers|queue_depth|max_body|job_timeout_ms)=[0-9]+' | tr '\n' ' ')"
QUEUE_DEPTH_EFF="$(sed -n 's/.*queue_depth=\([0-9]*\).*/\1/p' <<<"$SETTINGS")"
log "server settings: $SETTINGS"

set_phase setup
# shellcheck disable=SC2153  # BASE is set by serve_start (pdf_lib.sh)
python3 "$HELPER" sample --pid "$SERVER_PID" --out "$SAMPLES" --phase-file "$PHASE_FILE" \
    --url "$BASE" --interval 0.1 --readyz-every 5 \
    --max-seconds $((IDLE_S * 2 + WARMUP_S + ${#CAP_LIST[@]} * (CAP_DURATION_S + 2) + DURATION_S + DRAIN_TIMEOUT + 120)) &
SAMPLER_PID=$!

# one_request TYPE OUT : one request of TYPE by curl, the body to OUT; prints
# "STATUS|CONTENT-TYPE|SECONDS".
one_request() {
    local kind=$1 out=$2 args=()
    case $kind in
        invoice) args=(-H 'Content-Type: application/json' -H 'Accept: application/pdf' --data-binary "@$INVOICE_JOB" "$BASE/v1/render") ;;
        xlsx) args=(-H 'Content-Type: application/json' --data-binary "@$XLSX_JOB" "$BASE/v1/render") ;;
        zip) args=(-H 'Content-Type: application/json' --data-binary "@$ZIP_JOB" "$BASE/v1/render") ;;
        image) args=(-H 'Expect:' -H "Content-Type: $IMAGE_CT" --data-binary "@$IMAGE_BODY" "$BASE/v1/images") ;;
    esac
    curl -sS -o "$out" -w '%{http_code}|%{content_type}|%{time_total}\n' --max-time 70 "${args[@]}"
}

# check_all DIR LABEL : one request of each type into DIR (invoice.pdf,
# xlsx.xlsx, image.zip, zip.zip), then `load_mixed.py check`; sets CHECK_OUT,
# returns 1 on a failure.
check_all() {
    local dir=$1 label=$2 kind ext line code ctype secs rc=0 lines=()
    for kind in invoice xlsx image zip; do
        case $kind in invoice) ext=pdf ;; xlsx) ext=xlsx ;; *) ext=zip ;; esac
        line="$(one_request "$kind" "$dir/$kind.$ext")" || line="curl-failed||"
        IFS='|' read -r code ctype secs <<<"$line"
        lines+=("$kind: HTTP $code, ${ctype:-no Content-Type}, ${secs:-?} s")
        [[ $code == 200 ]] || rc=1
    done
    CHECK_OUT="$(printf '%s\n' "${lines[@]}")"$'\n'"$("$VENV_PY" "$HELPER" check --dir "$dir" --zip-items "$ZIP_ITEMS" --images 3 --width "$IMAGE_WIDTH" 2>&1)" || rc=1
    log "$label checks:"
    printf '%s\n' "$CHECK_OUT" >&2
    return "$rc"
}

mkdir -p "$RAW/before_bodies"
check_all "$RAW/before_bodies" "before-load" || die "the service does not answer every request type with a good 200 before the load; nothing to load-test"
BEFORE_CHECK="$CHECK_OUT"

COMMANDS=("export LM_INVOICE=${INVOICE_JOB#"$ROOT"/} LM_XLSX=${XLSX_JOB#"$ROOT"/} LM_ZIP=${ZIP_JOB#"$ROOT"/} LM_IMAGE_BODY=${IMAGE_BODY#"$ROOT"/} LM_IMAGE_CT='$IMAGE_CT' LM_MIX=$MIX LM_THREADS=1")
CLIENT_CPU=()
TIMEFORMAT='%U %S'

# wrk_cmd PHASE KIND SECONDS CONNECTIONS RATE [EXTRA ENV...] : sets WRK_ENV
# and WRK_CMD for one wrk run (KIND mix or health) writing its records to
# $RAW/PHASE_KIND.tsv, and adds it to COMMANDS (for the report).
wrk_cmd() {
    local phase=$1 kind=$2 secs=$3 conns=$4 rate=$5
    shift 5
    WRK_ENV=(LM_MODE="$kind" LM_RATE="$rate" LM_CONNECTIONS="$conns" LM_OUT="$RAW/${phase}_$kind.tsv" "$@")
    WRK_CMD=(wrk -t1 -c"$conns" -d"${secs}s" --timeout 120s -s "$LUA" "$BASE")
    COMMANDS+=("$(printf '%s ' "${WRK_ENV[@]}" "${WRK_CMD[@]}" | sed "s|$ROOT/||g; s/ $//")")
}

# run_wrk PHASE KIND : runs the last wrk_cmd; wrk's output in
# $RAW/PHASE_KIND.txt, its CPU seconds (user sys) in $RAW/PHASE_KIND.cpu.
run_wrk() {
    local base="$RAW/${1}_$2"
    { time env "${WRK_ENV[@]}" "${WRK_CMD[@]}" >"$base.txt" 2>&1; } 2>"$base.cpu"
}

# phase NAME SECONDS MIX_CONNS MIX_RATE [EXTRA ENV...] : the /healthz and
# /metrics probes (one wrk, alternately, HEALTH_RATE each) in the background
# and, when MIX_CONNS > 0, the mix in the foreground (closed loop when
# MIX_RATE is 0).
phase() {
    local name=$1 secs=$2 conns=$3 rate=$4 what="/healthz + /metrics probes only" kind f rc=0
    shift 4
    if ((conns > 0)); then
        what="mix on $conns connections, closed loop"
        [[ $rate == 0 ]] || what="mix at $rate req/s (open loop) on $conns connections"
    fi
    set_phase "$name"
    log "phase $name: ${secs}s, $what"
    wrk_cmd "$name" health "$secs" "$HEALTH_CONNECTIONS" $((2 * HEALTH_RATE)) LM_PROBES=health,metrics
    run_wrk "$name" health &
    WRK_PIDS=($!)
    if ((conns > 0)); then
        wrk_cmd "$name" mix "$secs" "$conns" "$rate" "$@"
        run_wrk "$name" mix || rc=$?
    fi
    wait "${WRK_PIDS[0]}" || rc=$?
    WRK_PIDS=()
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$SERVER_LOG" >&2; die "the server died during $name (log: ${SERVER_LOG#"$ROOT"/})"; }
    for kind in health mix; do
        f="$RAW/${name}_$kind"
        [[ -f $f.cpu ]] || continue
        if ((rc != 0)) || ! grep -q '^# duration_s' "$f.tsv" 2>/dev/null; then
            tail -n 20 "$f.txt" >&2
            die "wrk ($kind) failed in phase $name (exit $rc; output: ${f#"$ROOT"/}.txt)"
        fi
        CLIENT_CPU+=(--client-cpu "$name=$(awk '{ s = $1 + $2 } END { print s + 0 }' "$f.cpu")")
    done
    if ((conns > 0)); then
        log "  $(python3 "$HELPER" summary --tsv "$RAW/${name}_mix.tsv")"
    fi
}

# ---- phases
phase idle "$IDLE_S" 0 0
if ((WARMUP_S > 0)); then
    set_phase warmup
    log "warm-up: ${WARMUP_S}s closed loop, 2 connections"
    LM_MODE=mix LM_RATE=0 LM_OUT=/dev/null wrk -t1 -c2 -d"${WARMUP_S}s" --timeout 120s -s "$LUA" "$BASE" >/dev/null 2>&1 || true
fi
CAPACITY=0
CAP_BEST=""
for c in "${CAP_LIST[@]}"; do
    phase "capacity-c$c" "$CAP_DURATION_S" "$c" 0
    ok_rps="$(python3 "$HELPER" summary --tsv "$RAW/capacity-c${c}_mix.tsv" | sed -n 's/.*ok_rps=\([0-9.]*\).*/\1/p')"
    if awk -v a="$ok_rps" -v b="$CAPACITY" 'BEGIN { exit !(a > b) }'; then
        CAPACITY=$ok_rps
        CAP_BEST=$c
    fi
done
awk -v a="$CAPACITY" 'BEGIN { exit !(a > 0) }' || die "no 200 during the capacity phase"
if [[ -z $RATE ]]; then
    RATE="$(awk -v c="$CAPACITY" -v f="$OVERLOAD_FACTOR" 'BEGIN { printf "%d", c * f + 0.5 }')"
    RATE_WHY="$OVERLOAD_FACTOR x the capacity"
else
    RATE_WHY="RATE from the environment"
fi
log "capacity: $CAPACITY 200s/s (closed loop, $CAP_BEST connections); overload at $RATE req/s ($RATE_WHY)"

phase overload "$DURATION_S" "$CONNECTIONS" "$RATE" LM_SAMPLE_DIR="$RAW/overload_bodies"

# ---- drain, then health after the run
set_phase drain
log "drain: waiting (<= ${DRAIN_TIMEOUT}s) for /readyz to show nothing queued or in flight"
DRAIN_START=$SECONDS
DRAINED=no
while ((SECONDS - DRAIN_START < DRAIN_TIMEOUT)); do
    ready="$(curl -sS --max-time 2 "$BASE/readyz" 2>/dev/null || true)"
    if [[ $ready == *'"in_flight":0'* && $ready == *'"queued":0'* ]]; then
        DRAINED=yes
        break
    fi
    sleep 0.2
done
DRAIN_S=$((SECONDS - DRAIN_START))
log "drained: $DRAINED after ${DRAIN_S}s ($ready)"
phase after "$IDLE_S" 0 0
AFTER_RC=0
check_all "$RAW/after_bodies" "after-load" || AFTER_RC=1
AFTER_CHECK="$CHECK_OUT"
HEALTH_AFTER="$(curl -sS --max-time 5 -w ' HTTP %{http_code}' "$BASE/healthz" 2>&1 || true)"
METRICS_AFTER="$(curl -sS --max-time 5 -o "$RAW/after_bodies/metrics.txt" -w 'HTTP %{http_code}, %{content_type}' "$BASE/metrics" 2>&1 || true)"
METRICS_AFTER+=", $(wc -c <"$RAW/after_bodies/metrics.txt" 2>/dev/null || echo 0) bytes, first line: $(head -n 1 "$RAW/after_bodies/metrics.txt" 2>/dev/null | cut -c1-80)"
READY_AFTER="$(curl -sS --max-time 5 -w ' HTTP %{http_code}' "$BASE/readyz" 2>&1 || true)"
[[ $HEALTH_AFTER == *'HTTP 200' ]] || AFTER_RC=1
[[ $METRICS_AFTER == 'HTTP 200, text/plain; version=0.0.4'* && $METRICS_AFTER =~ 'first line: # '(HELP|TYPE)' ' ]] || AFTER_RC=1

# The first 200 body of each type during the overload.
OVERLOAD_CHECK_RC=0
OVERLOAD_CHECK="$("$VENV_PY" "$HELPER" check --dir "$RAW/overload_bodies" --zip-items "$ZIP_ITEMS" --images 3 --width "$IMAGE_WIDTH" 2>&1)" || OVERLOAD_CHECK_RC=1

set_phase stop
wait "$SAMPLER_PID" || true
SAMPLER_PID=""
SERVER_HWM_KB="$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)"
serve_stop
LOG_PLAIN="$(sed 's/\x1b\[[0-9;]*m//g' "$SERVER_LOG")"
N_ERROR="$(grep -c ' ERROR ' <<<"$LOG_PLAIN" || true)"
N_PANIC="$(grep -ci 'panic' <<<"$LOG_PLAIN" || true)"
N_WARN="$(grep -c ' WARN ' <<<"$LOG_PLAIN" || true)"
WARN_KINDS="$(grep ' WARN ' <<<"$LOG_PLAIN" | sed -E 's/.*(docsmith[^ ]*): //; s/request_id=[^ ]* //; s/ +$//' | sort | uniq -c | sort -rn | head -n 8 || true)"
ERROR_KINDS="$(grep ' ERROR ' <<<"$LOG_PLAIN" | sed -E 's/.*(docsmith[^ ]*): //' | sort | uniq -c | sort -rn | head -n 8 || true)"

# ---- report
phase_args=(--phase "idle=,$RAW/idle_health.tsv")
for c in "${CAP_LIST[@]}"; do
    phase_args+=(--phase "capacity-c$c=$RAW/capacity-c${c}_mix.tsv,$RAW/capacity-c${c}_health.tsv")
done
phase_args+=(--phase "overload=$RAW/overload_mix.tsv,$RAW/overload_health.tsv" --phase "after=,$RAW/after_health.tsv")
TABLES_RC=0
TABLES="$(python3 "$HELPER" report "${phase_args[@]}" --samples "$SAMPLES" --queue-depth "${QUEUE_DEPTH_EFF:-?}" \
    --capacity "$CAPACITY" "${CLIENT_CPU[@]}" --health-p99-limit-ms "$HEALTH_P99_LIMIT_MS" 2>"$RAW/verdict.txt")" || TABLES_RC=$?
VERDICT="$(grep '^VERDICT ' "$RAW/verdict.txt" | tail -n 1 || true)"
verdict_val() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<" ${VERDICT#VERDICT }"; }

# shellcheck disable=SC2016  # Markdown backticks in the printf formats
{
    printf '## Mixed load and overload: invoices, XLSX, image batches, zip jobs, /healthz\n\n'
    machine_info "$LOAD_BEFORE"
    printf -- "- server: \`docsmith %s\`, settings from its start-up line: %s(defaults: workers = cores, queue depth 64, job timeout 60 s; Retry-After 1 s); binary %s\n" \
        "${SERVE_ARGS[*]}" "$SETTINGS" "$(bin_info "$DOCSMITH")"
    printf -- '- client: wrk %s (one thread per wrk) with `bench/load_mixed.lua`; every request carries `X-Request-Id`, which docsmith echoes, so each response is matched to its request and timed on its own (LuaJIT `clock_gettime`, from the hand-over to the socket to the complete response); open loop = Poisson arrivals through wrk'"'"'s `delay()` hook, the lag behind the schedule is reported\n' \
        "$(wrk -v 2>&1 | head -n 1 | awk '{ print $2 }')"
    printf -- '- mix weights: `%s`; requests:\n' "$MIX"
    printf -- '  - invoice: `POST /v1/render` %s (%s bytes), Accept application/pdf\n' "${INVOICE_JOB#"$ROOT"/}" "$(stat -c %s "$INVOICE_JOB")"
    printf -- '  - xlsx: `POST /v1/render` %s (%s bytes)\n' "${XLSX_JOB#"$ROOT"/}" "$(stat -c %s "$XLSX_JOB")"
    printf -- '  - image: `POST /v1/images` multipart (%s bytes): %s + format=webp, width=%s -> ZIP of 3 WebP + manifest.json (images made by `load_mixed.py image-body` with Pillow, in %s)\n' \
        "$(stat -c %s "$IMAGE_BODY")" "$IMAGE_SIZES" "$IMAGE_WIDTH" "${IMAGE_DIR#"$ROOT"/}"
    printf -- '  - zip: `POST /v1/render` %s (%s bytes; `zip_client.py gen-batch --n %s`): a ZIP of %s invoices\n' \
        "${ZIP_JOB#"$ROOT"/}" "$(stat -c %s "$ZIP_JOB")" "$ZIP_ITEMS" "$ZIP_ITEMS"
    printf -- '  - /healthz: `GET /healthz`, open loop at %s/s on %s connections of a separate wrk, in every phase\n' "$HEALTH_RATE" "$HEALTH_CONNECTIONS"
    printf -- '  - /metrics: `GET /metrics`, alternating with /healthz on the same wrk (round-robin: %s/s each, %s/s in all); good = 200, Content-Type `text/plain; version=0.0.4`, body starting `# HELP` or `# TYPE`\n' "$HEALTH_RATE" $((2 * HEALTH_RATE))
    printf -- '- phases: idle %ss; warm-up %ss (not reported); capacity: closed loop %ss at each of %s connections -> capacity = best 200s/s = **%s/s** (%s connections); overload: open loop at **%s req/s** (%s) for %ss on %s connections; drain: %s after %ss; after: %ss of /healthz + /metrics probes, then one request of each type\n' \
        "$IDLE_S" "$WARMUP_S" "$CAP_DURATION_S" "${CAP_LIST[*]}" "$CAPACITY" "$CAP_BEST" "$RATE" "$RATE_WHY" "$DURATION_S" "$CONNECTIONS" "$DRAINED" "$DRAIN_S" "$IDLE_S"
    printf -- '- NOTE: wrk, the sampler and the server share the same %s cores: throughput is a lower bound, latencies include client-side contention (the CPU columns below show who used what).\n' "$(nproc)"
    printf '\nCommands (from the repository root; BASE = %s):\n\n```\n' "$BASE"
    printf '%s\n' "${COMMANDS[@]}" | sed "s|$BASE|\$BASE|g"
    printf 'sampler: python3 bench/load_mixed.py sample --pid SERVER_PID --interval 0.1 --readyz-every 5 ...\n```\n'
    printf '\n### Results\n'
    printf '%s\n' "$TABLES"
    printf '\n### Checks\n\n'
    printf -- '- server VmHWM at the end: %.1f MB\n' "$(awk -v k="$SERVER_HWM_KB" 'BEGIN { print k / 1024 }')"
    printf -- '- after the run: `GET /healthz` -> `%s`; `GET /readyz` -> `%s`\n' "$HEALTH_AFTER" "$READY_AFTER"
    printf -- '- after the run: `GET /metrics` -> `%s`\n' "$METRICS_AFTER"
    printf -- '- server log: %s ERROR lines, %s mentioning a panic, %s WARN lines (%s)\n' "$N_ERROR" "$N_PANIC" "$N_WARN" "${SERVER_LOG#"$ROOT"/}"
    if [[ -n $ERROR_KINDS ]]; then printf '\n  ERROR lines by message:\n\n```\n%s\n```\n' "$ERROR_KINDS"; fi
    if [[ -n $WARN_KINDS ]]; then printf '\n  WARN lines by message (most are jobs cancelled when wrk closed its connections at the end of a phase):\n\n```\n%s\n```\n' "$WARN_KINDS"; fi
    printf '\nBefore the load, one request of each type (curl), bodies checked by `load_mixed.py check`:\n\n```\n%s\n```\n' "$BEFORE_CHECK"
    printf '\nThe first 200 body of each type during the overload (saved by load_mixed.lua; every 200 body was also checked for its first bytes, column "200 bodies ok"):\n\n```\n%s\n```\n' "$OVERLOAD_CHECK"
    printf '\nAfter the overload and the drain, one request of each type:\n\n```\n%s\n```\n' "$AFTER_CHECK"
} >"$REPORT"

cat "$REPORT"
log "report written to ${REPORT#"$ROOT"/}; raw data in ${RAW#"$ROOT"/}/"
((TABLES_RC == 0)) || die "the report script failed (exit $TABLES_RC; see $RAW/verdict.txt)"
rc=0
[[ $(verdict_val other5xx) == 0 ]] || { log "FAIL: 5xx responses other than 503"; rc=1; }
[[ $(verdict_val missing_retry_after) == 0 ]] || { log "FAIL: 503 responses without Retry-After"; rc=1; }
[[ $(verdict_val body_bad) == 0 ]] || { log "FAIL: 200 responses with a wrong body"; rc=1; }
[[ $(verdict_val socket_errors) == 0 ]] || { log "FAIL: socket errors"; rc=1; }
[[ $(verdict_val unmatched) == 0 ]] || { log "FAIL: responses without a known X-Request-Id"; rc=1; }
[[ $(verdict_val health_non200) == 0 ]] || { log "FAIL: /healthz probes not answered 200"; rc=1; }
[[ $(verdict_val metrics_non200) == 0 ]] || { log "FAIL: /metrics probes not answered 200 with Prometheus text"; rc=1; }
[[ $(verdict_val metrics_probes) =~ ^[1-9][0-9]*$ ]] || { log "FAIL: no /metrics probe answered"; rc=1; }
((OVERLOAD_CHECK_RC == 0)) || { log "FAIL: a body saved during the overload failed its check"; rc=1; }
((AFTER_RC == 0)) || { log "FAIL: the server is not healthy after the run"; rc=1; }
[[ $DRAINED == yes ]] || { log "FAIL: jobs still queued or in flight ${DRAIN_TIMEOUT}s after the overload"; rc=1; }
if ((rc == 0)) && [[ ${STRICT:-0} == 1 ]]; then
    if awk -v p="$(verdict_val health_p99_ms_overload)" -v m="$(verdict_val metrics_p99_ms_overload)" \
        -v l="$HEALTH_P99_LIMIT_MS" -v g="$(verdict_val rss_growth_pct)" \
        'BEGIN { exit !(p > l || m > l || g > 25) }'; then
        log "STRICT=1: /healthz or /metrics p99 or memory growth over the limit"
        rc=2
    fi
fi
exit "$rc"
