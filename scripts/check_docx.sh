#!/usr/bin/env bash
# Renders every PDF sample (samples/pdf-*.json) as PDF and as DOCX with
# `docsmith render`, then scripts/check_docx.py: python-docx opens each DOCX
# and finds the key strings of the job and docsmith's PDF text; LibreOffice
# converts each DOCX to PDF, within one page of docsmith's own PDF for the
# invoice and the report. Installs what it needs on a fresh Debian machine:
# poppler-utils, libreoffice-writer-nogui (no recommends), python3-venv, and
# python-docx (the pin in bench/requirements.txt) in target/docx-check-venv.
#
#   scripts/check_docx.sh                        # all four samples
#   scripts/check_docx.sh samples/pdf-report.json
#   DOCSMITH_BIN=target/release/docsmith scripts/check_docx.sh
#
# Outputs in target/docx-check/: NAME.docx, NAME.pdf (and the jobs rendered,
# NAME.{docx,pdf}.json), libreoffice/NAME.pdf
# and the first pages at 60 dpi, NAME-libreoffice.png and NAME-docsmith.png.
# Env: DOCSMITH_BIN (binary to use; default: `cargo build`, target/debug/docsmith)
#      SOFFICE_TIMEOUT (seconds for the LibreOffice run, 300)
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source-path=SCRIPTDIR/../bench source=../bench/lib.sh
source bench/lib.sh
# shellcheck source-path=SCRIPTDIR/../bench source=../bench/pdf_lib.sh
source bench/pdf_lib.sh

export APT_NO_RECOMMENDS=1
need_debs poppler-utils
# Either Writer package will do (they conflict); the nogui one is smaller.
if ! dpkg -s libreoffice-writer 2>/dev/null | grep -q '^Status: install ok installed'; then
    need_debs libreoffice-writer-nogui
fi
command -v soffice >/dev/null 2>&1 || die "soffice not on PATH after installing LibreOffice Writer"

venv=target/docx-check-venv
if ! "$venv/bin/python" -c 'import docx' 2>/dev/null; then
    command -v python3 >/dev/null 2>&1 || apt_install python3
    rm -rf "$venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        rm -rf "$venv"
        need_debs python3-venv
        python3 -m venv "$venv"
    fi
    mapfile -t pins < <(grep -E '^(python-docx|lxml)==' bench/requirements.txt)
    log "pip install ${pins[*]} into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
fi

if [[ -z ${DOCSMITH_BIN:-} ]]; then
    cargo build --quiet
    export DOCSMITH_BIN=target/debug/docsmith
fi
"$venv/bin/python" scripts/check_docx.py --soffice-timeout "${SOFFICE_TIMEOUT:-300}" "$@"
