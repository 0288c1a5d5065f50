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
