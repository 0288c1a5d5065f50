#!/usr/bin/env bash
# The playground (GET /) in a real browser: headless Chromium (Debian's
# `chromium`) driven by playwright-core (npm, pinned in
# scripts/browser/package.json). Starts docsmith on a free loopback port and
# runs scripts/browser/playground.mjs against it: render the invoice and see
# the PDF in the page, a validation error on its line, DOCX and XLSX
# downloads, two images dropped in and a ZIP of two entries back.
#
#   scripts/browser_test.sh [--update-screenshot]
#
# Screenshots, the downloads and server.log land in target/browser-test/
# artifacts/. --update-screenshot copies the page with the invoice preview to
# docs/playground.png (the one README shows).
#
# Environment: DOCSMITH_BIN (default target/debug/docsmith, built if
# missing), CHROMIUM (default /usr/bin/chromium).

set -euo pipefail
cd "$(dirname "$0")/.."

update_screenshot=0
case ${1:-} in
    "") ;;
    --update-screenshot) update_screenshot=1 ;;
    *)
        echo "usage: $0 [--update-screenshot]" >&2
        exit 2
        ;;
esac

chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
    echo "no Chromium at $chromium: apt-get install chromium, or set CHROMIUM" >&2
    exit 1
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "node (20 or later) and npm are needed" >&2
    exit 1
fi

binary=${DOCSMITH_BIN:-target/debug/docsmith}
if [[ ! -x $binary ]]; then
    cargo build --quiet --bin docsmith
fi

dir=target/browser-test
artifacts=$dir/artifacts
mkdir -p "$artifacts"
rm -f "$artifacts"/*

# playwright-core, (re)installed when the pinned version changes.
if ! cmp -s scripts/browser/package.json "$dir/package.json" || [[ ! -d $dir/node_modules/playwright-core ]]; then
    cp scripts/browser/package.json "$dir/package.json"
    (cd "$dir" && npm install --no-audit --no-fund --silent)
fi
# Node finds playwright-core next to the script it runs.
cp scripts/browser/playground.mjs "$dir/playground.mjs"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
"$binary" serve --addr "127.0.0.1:$port" >"$artifacts/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    if curl -fsS --max-time 1 "$base/healthz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$server" 2>/dev/null; then
        echo "the server did not start:" >&2
        cat "$artifacts/server.log" >&2
        exit 1
    fi
    sleep 0.1
done

status=0
CHROMIUM=$chromium timeout 300 node "$dir/playground.mjs" "$base" "$artifacts" || status=$?
echo "screenshots and downloads: $artifacts/"
if ((status == 0 && update_screenshot)); then
    cp "$artifacts/playground.png" docs/playground.png
    echo "updated docs/playground.png"
fi
exit "$status"
