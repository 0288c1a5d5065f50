# shellcheck shell=bash
# Shared helpers for the bench/*.sh scripts. Source it; don't run it.
#
# Sets: BENCH_DIR (this directory), ROOT (repo root), OUT_DIR (bench/out),
#       VENV_PY (after ensure_venv), DOCSMITH (after ensure_docsmith),
#       DS_STATUS / DS_NOTE (ensure_timing_example, on failure).

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"
mkdir -p "$OUT_DIR"

log() { printf '[bench] %s\n' "$*" >&2; }
die() { printf '[bench] ERROR: %s\n' "$*" >&2; exit 1; }

# Run as root, or through sudo when available.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

_APT_UPDATED=0
# apt_install PKG... : install Debian packages (runs apt-get update once).
#   APT_NO_RECOMMENDS=1  without the packages' recommends
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install manually: $*"
    if [[ $_APT_UPDATED -eq 0 ]]; then
        log "apt-get update"
        as_root apt-get update -qq >/dev/null
        _APT_UPDATED=1
    fi
    local opts=(-y -qq)
    [[ ${APT_NO_RECOMMENDS:-0} != 1 ]] || opts+=(--no-install-recommends)
    log "apt-get install ${opts[*]:2} $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install "${opts[@]}" "$@" >/dev/null
}

# need_cmd CMD PKG : make sure CMD (a name on PATH or an absolute path) exists.
need_cmd() {
    local cmd=$1 pkg=$2
    if [[ $cmd == /* ]]; then
        [[ -x $cmd ]] || apt_install "$pkg"
        [[ -x $cmd ]] || die "$cmd still missing after installing $pkg"
    else
        command -v "$cmd" >/dev/null 2>&1 || apt_install "$pkg"
        command -v "$cmd" >/dev/null 2>&1 || die "$cmd still missing after installing $pkg"
    fi
}

# ensure_venv : bench/.venv with bench/requirements.txt installed; sets VENV_PY.
ensure_venv() {
    local venv="$BENCH_DIR/.venv" req="$BENCH_DIR/requirements.txt"
    local stamp="$venv/.requirements.sha256" want
    VENV_PY="$venv/bin/python"
    if [[ ! -x $VENV_PY ]]; then
        local py
        py="$(command -v python3 || true)"
        [[ -n $py ]] || { apt_install python3 python3-venv; py="$(command -v python3)"; }
        log "creating $venv"
        if ! "$py" -m venv "$venv" 2>/dev/null; then
            rm -rf "$venv"
            apt_install python3-venv
            "$py" -m venv "$venv"
        fi
    fi
    want="$(sha256sum "$req" | cut -d' ' -f1)"
    if [[ ! -f $stamp || "$(cat "$stamp")" != "$want" ]]; then
        log "pip install -r bench/requirements.txt"
        "$VENV_PY" -m pip install -q --disable-pip-version-check -r "$req"
        printf '%s\n' "$want" >"$stamp"
    fi
}

# ensure_docsmith : sets DOCSMITH to the release binary.
#   DOCSMITH_BIN=path  use that binary as is
#   BUILD=1            always run `cargo build --release` first (default: only if missing)
ensure_docsmith() {
    if [[ -n ${DOCSMITH_BIN:-} ]]; then
        DOCSMITH="$DOCSMITH_BIN"
    else
        DOCSMITH="$ROOT/target/release/docsmith"
        if [[ ${BUILD:-0} == 1 || ! -x $DOCSMITH ]]; then
            command -v cargo >/dev/null 2>&1 || die "cargo not found and $DOCSMITH missing"
            log "cargo build --release (in $ROOT)"
            (cd "$ROOT" && cargo build --release --quiet)
        fi
    fi
    [[ -x $DOCSMITH ]] || die "docsmith binary not found: $DOCSMITH"
}

# ensure_timing_example NAME BIN PREBUILT BUILD_DEFAULT BUILD_LOG [CARGO_ARG...] :
# the docsmith side of a *_compare.sh, for a caller whose DS_STATUS is ok.
#   NAME           the release example (pdf_timing, image_timing)
#   BIN            its binary (the user's prebuilt one, or target/release/examples/NAME)
#   PREBUILT       non-empty = BIN was given by the user: never built here
#   BUILD_DEFAULT  BUILD when unset (1 = always `cargo build`, a no-op when up
#                  to date; 0 = only when BIN is not an executable)
#   BUILD_LOG      cargo's output
#   CARGO_ARG...   more for `cargo build --release --example NAME` (--bin docsmith)
# On a failed build: DS_STATUS="build failed" and DS_NOTE (the caller runs the
# peers only); then, when BIN is not an executable, DS_STATUS=missing.
# shellcheck disable=SC2034  # DS_NOTE is the caller's
ensure_timing_example() {
    local name=$1 bin=$2 prebuilt=$3 build_default=$4 build_log=$5
    shift 5
    local build_args=(build --release --example "$name" "$@")
    if [[ -z $prebuilt && (${BUILD:-$build_default} == 1 || ! -x $bin) ]]; then
        command -v cargo >/dev/null 2>&1 || die "cargo not found"
        log "cargo ${build_args[*]} (log: ${build_log#"$ROOT"/})"
        if ! cargo "${build_args[@]}" >"$build_log" 2>&1; then
            tail -n 30 "$build_log" >&2
            DS_STATUS="build failed"
            DS_NOTE="BUILD FAILED: cargo ${build_args[*]} (see ${build_log#"$ROOT"/}); peers only"
            log "docsmith build FAILED; running the peers only"
        fi
    fi
    if [[ $DS_STATUS == ok && ! -x $bin ]]; then
        DS_STATUS=missing
        DS_NOTE="MISSING: $bin is not an executable"
        log "docsmith side MISSING: $bin"
    fi
}

# compare_exit RC TABLE_RC : the exit of a *_compare.sh once its report is
# written. RC is 0, or 1 when one of the caller's own checks failed; it becomes
# 1 when the docsmith side failed (DS_STATUS neither ok nor skipped; DS_NOTE is
# logged) or the table script did (TABLE_RC neither 0 nor 2), else 2 when
# TABLE_RC is 2 (STRICT=1 and a target missed).
compare_exit() {
    local rc=$1 table_rc=$2
    case $DS_STATUS in
        ok | skipped) ;;
        *) log "docsmith side: $DS_NOTE"; rc=1 ;;
    esac
    if [[ $table_rc == 2 ]]; then log "STRICT=1 and a target was missed"; ((rc)) || rc=2; fi
    ((table_rc == 0 || table_rc == 2)) || { log "table script failed (exit $table_rc)"; rc=1; }
    exit "$rc"
}

# gen_job ROWS PATH : (re)generate a job file unless a current one is cached.
gen_job() {
    local rows=$1 path=$2
    if [[ ! -s $path || $BENCH_DIR/gen_xlsx_job.py -nt $path ]]; then
        log "generating $rows-row job -> ${path#"$ROOT"/}"
        python3 "$BENCH_DIR/gen_xlsx_job.py" --rows "$rows" --out "$path"
    fi
}

# median : median of the numbers on stdin (one per line).
median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# machine_info [LOADAVG] : Markdown bullet lines describing this run's machine
# and commit; LOADAVG = the load average taken before the measurements.
machine_info() {
    local cpu commit load="${1:-$(cut -d' ' -f1-3 /proc/loadavg)}"
    cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
    commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
    if [[ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -n1)" ]]; then
        commit="$commit (dirty tree)"
    fi
    printf -- '- date: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf -- '- commit: %s\n' "$commit"
    printf -- '- machine: %s cores (%s), %s RAM, load average before run: %s\n' \
        "$(nproc)" "${cpu:-unknown CPU}" \
        "$(free -h 2>/dev/null | awk '/^Mem:/ { print $2 }')" \
        "$load"
    printf -- '- caveat: shared, noisy 2-core VM; compare numbers from the same run only\n'
}
