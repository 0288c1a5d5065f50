# shellcheck shell=bash
# Helpers shared by the bench/pdf_*.sh scripts, on top of lib.sh. Source it
# after lib.sh; don't run it.

# Debian packages WeasyPrint (70.x) loads with ctypes/cffi, plus the fonts and
# the PDF tools the PDF scripts use.
# shellcheck disable=SC2034  # used by the scripts that source this file
WEASYPRINT_DEBS=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1)
# shellcheck disable=SC2034
PDF_TOOL_DEBS=(fonts-dejavu-core poppler-utils)

# need_debs PKG... : apt-get install the packages `dpkg -s` does not report
# as installed (nothing to do, and no root needed, when all are there).
need_debs() {
    local pkg missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
    done
    ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
}

# want_debs PKG... : like need_debs, but only warns when they can't be
# installed (for optional checks).
want_debs() {
    if ! (need_debs "$@") 2>/dev/null; then
        log "optional Debian packages not installed: $* (the checks that need them are skipped)"
    fi
}

# pdf_pages PDF : page count via pdfinfo, or "?" when unknown.
pdf_pages() {
    local n=""
    if command -v pdfinfo >/dev/null 2>&1; then
        n="$(pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ { print $2 }')" || true
    fi
    printf '%s\n' "${n:-?}"
}

# free_port : a free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# bin_info PATH : "path (built YYYY-MM-DD HH:MM UTC)", to spot a stale binary
# (ensure_docsmith only builds when the binary is missing; BUILD=1 forces it).
bin_info() {
    printf '%s (built %s)\n' "${1#"$ROOT"/}" "$(date -u -r "$1" '+%Y-%m-%d %H:%M UTC' 2>/dev/null || echo '?')"
}

# ---- HTTP load tests (pdf_http_load.sh, docx_http_load.sh): `docsmith serve`
# on a loopback port, one response checked by hand, then wrk + post_job.lua.

# load_settings : DURATION (30s) CONNECTIONS (8) THREADS (1) WARMUP (3s) from
# the environment, checked; THREADS is capped at CONNECTIONS.
load_settings() {
    DURATION="${DURATION:-30s}"
    CONNECTIONS="${CONNECTIONS:-8}"
    THREADS="${THREADS:-1}"
    WARMUP="${WARMUP:-3s}"
    [[ $CONNECTIONS =~ ^[1-9][0-9]*$ && $THREADS =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS/THREADS must be positive integers"
    ((THREADS <= CONNECTIONS)) || THREADS=$CONNECTIONS
}

# serve_start LOG : starts `$DOCSMITH serve` on 127.0.0.1:$PORT (a free port
# unless PORT is set; --workers / --queue-depth from WORKERS / QUEUE_DEPTH),
# logging to LOG, with a trap that stops it on exit, and waits for a 200 from
# /healthz. Sets SERVER_LOG, SERVE_ARGS, BASE and SERVER_PID.
serve_start() {
    SERVER_LOG=$1
    PORT="${PORT:-$(free_port)}"
    BASE="http://127.0.0.1:$PORT"
    SERVE_ARGS=(serve --addr "127.0.0.1:$PORT")
    [[ -z ${WORKERS:-} ]] || SERVE_ARGS+=(--workers "$WORKERS")
    [[ -z ${QUEUE_DEPTH:-} ]] || SERVE_ARGS+=(--queue-depth "$QUEUE_DEPTH")
    SERVER_PID=""
    trap serve_stop EXIT
    trap 'exit 130' INT TERM
    log "starting: ${DOCSMITH#"$ROOT"/} ${SERVE_ARGS[*]}"
    "$DOCSMITH" "${SERVE_ARGS[@]}" >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    local i
    for i in $(seq 300); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            tail -n 20 "$SERVER_LOG" >&2
            die "server exited during start-up (log: ${SERVER_LOG#"$ROOT"/})"
        fi
        if curl -fsS -o /dev/null --max-time 1 "$BASE/healthz" 2>/dev/null; then break; fi
        ((i < 300)) || die "no 200 from $BASE/healthz within 30 s"
        sleep 0.1
    done
    log "server up on $BASE (pid $SERVER_PID)"
}

# serve_stop : SIGTERM to the server, SIGKILL after 5 s; a no-op when it is not running.
serve_stop() {
    if [[ -n ${SERVER_PID:-} ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server did not stop on SIGTERM within 5 s; killing it"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

# post_render JOB ACCEPT OUT : one POST /v1/render of the JSON file JOB, the
# body to OUT; prints "STATUS CONTENT-TYPE".
post_render() {
    curl -sS -o "$3" -w '%{http_code} %{content_type}\n' --max-time 30 \
        -H 'Content-Type: application/json' -H "Accept: $2" --data-binary "@$1" "$BASE/v1/render"
}

# wrk_load JOB ACCEPT WRK_OUT : a WARMUP wrk run, then DURATION with
# --latency (output kept in WRK_OUT and shown on stderr); then the server's
# peak RSS and CPU time, and the server is stopped. Sets WRK_LINE (the BENCH
# line of post_job.lua), NON2XX, NON2XX_WRK, SOCK_ERR, SERVER_HWM_KB, SERVER_CPU_S.
wrk_load() {
    local job=$1 accept=$2 out=$3
    local args=(-t "$THREADS" -c "$CONNECTIONS" --timeout 10s -s "$BENCH_DIR/post_job.lua" "$BASE/v1/render" -- "$job")
    export DOCSMITH_ACCEPT="$accept"
    log "warm-up: wrk ${WARMUP}"
    wrk -d "$WARMUP" "${args[@]}" >/dev/null
    log "load: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency"
    wrk -d "$DURATION" --latency "${args[@]}" | tee "$out" >&2
    kill -0 "$SERVER_PID" 2>/dev/null || die "server died during the load run (log: ${SERVER_LOG#"$ROOT"/})"
    SERVER_HWM_KB="$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0)"
    SERVER_CPU_S="$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$SERVER_PID/stat" 2>/dev/null || echo '?')"
    serve_stop
    WRK_LINE="$(grep '^BENCH ' "$out" | tail -n 1)" || die "no BENCH line in wrk output (see ${out#"$ROOT"/})"
    NON2XX_WRK="$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")"
    NON2XX="$(wrk_val non2xx)"
    SOCK_ERR=$(($(wrk_val connect_err) + $(wrk_val read_err) + $(wrk_val write_err) + $(wrk_val timeouts)))
}

# wrk_val KEY : KEY's value on the BENCH line of the last wrk_load.
wrk_val() { sed -n "s/.* $1=\\([^ ]*\\).*/\\1/p" <<<" ${WRK_LINE#BENCH }"; }

# load_targets TARGET_RPS TARGET_P99_MS : sets MET_RPS and MET_P99 (yes / **NO**).
load_targets() {
    met() { if awk -v a="$1" -v b="$2" "BEGIN { exit !(a $3 b) }"; then echo yes; else echo '**NO**'; fi; }
    MET_RPS="$(met "$(wrk_val rps)" "$1" '>=')"
    MET_P99="$(met "$(wrk_val p99_ms)" "$2" '<')"
}

# load_table TARGET_RPS TARGET_P99_MS : the metrics table of a load report
# (after wrk_load and load_targets).
load_table() {
    printf '| metric | value | target | met |\n|---|---:|---:|:---:|\n'
    printf '| requests/s | %.1f | >= %s | %s |\n' "$(wrk_val rps)" "$1" "$MET_RPS"
    printf '| requests | %s | | |\n' "$(wrk_val requests)"
    printf '| latency p50 ms | %.2f | | |\n' "$(wrk_val p50_ms)"
    printf '| latency p90 ms | %.2f | | |\n' "$(wrk_val p90_ms)"
    printf '| latency p99 ms | %.2f | < %s | %s |\n' "$(wrk_val p99_ms)" "$2" "$MET_P99"
    printf '| latency max ms | %.2f | | |\n' "$(wrk_val max_ms)"
    printf '| non-2xx/3xx responses | %s | 0 | |\n' "$NON2XX"
    printf '| socket errors (connect/read/write/timeout) | %s | 0 | |\n' "$SOCK_ERR"
    printf '| server peak RSS MB (VmHWM) | %.1f | | |\n' "$(awk -v k="$SERVER_HWM_KB" 'BEGIN { print k / 1024 }')"
    printf '| server CPU seconds (user+sys, whole life) | %s | | |\n' "$SERVER_CPU_S"
}

# load_exit : exit 1 on non-2xx responses or socket errors; 2 when STRICT=1
# and a target was missed; else return.
load_exit() {
    if [[ $NON2XX != 0 || -n $NON2XX_WRK ]]; then
        die "non-2xx responses: ${NON2XX_WRK:-$NON2XX} (server log: ${SERVER_LOG#"$ROOT"/})"
    fi
    ((SOCK_ERR == 0)) || die "$SOCK_ERR socket errors during the load run"
    if [[ ${STRICT:-0} == 1 && ($MET_RPS != yes || $MET_P99 != yes) ]]; then
        log "STRICT=1 and a target was missed"
        exit 2
    fi
}
