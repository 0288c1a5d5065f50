#!/usr/bin/env bash
# Runs README.md's shell examples and the client examples in samples/clients/
# against a real docsmith server.
#
#   scripts/check_examples.sh
#   DOCSMITH_BIN=target/release/docsmith scripts/check_examples.sh
#
# Every command in README's ```sh (or bash) blocks runs as written, from a scratch
# directory holding `samples/` (a link), `target/release/docsmith` (a link to
# the binary) and the files the examples name (job.json, a.jpg, logo.png,
# terms.pdf, bundle.json), except `cargo` commands. `curl` is a wrapper that
# sends `localhost:8080` / `host:8080` to the server started here (on a free
# loopback port), adds --max-time and records each answer's status. An
# example passes when it exits 0, every answer is 2xx and every file it writes
# (`-o FILE`, `> FILE`) exists with the magic bytes of its extension, unless
# the table `expectations` below says otherwise. `docsmith serve` examples
# start a second server (on loopback); the curl examples after one, up to
# the next heading, go to it. Then the Python and JavaScript clients run
# against both servers (with a key of README's keys.txt on the second).
#
# Prints one line per example (ok / skip / FAILED with the reason); exits 1
# if any failed. Needs bash, curl, python3, jq, node (18+) and timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

bin=${DOCSMITH_BIN:-target/debug/docsmith}
# The environment of this shell must not configure the servers or clients.
for name in "${!DOCSMITH_@}"; do unset "$name"; done
[[ -x $bin ]] || { echo "check_examples: no docsmith binary at $bin (cargo build, or set DOCSMITH_BIN)" >&2; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
for tool in curl python3 jq node timeout; do
    command -v "$tool" > /dev/null || { echo "check_examples: $tool is needed" >&2; exit 1; }
done

max_time=60     # seconds, per HTTP request (curl --max-time)
cmd_timeout=120 # seconds, per example
# The key the clients use against the keyed server: the `ops` key (all
# routes) of README's keys.txt.
client_key=another-long-random-key-for-ops

# README examples whose outcome is not "exit 0, every answer 2xx, output
# files of their kind". KEY => TOKENS: the first entry whose KEY is part of
# the command applies. Tokens:
#   http=NNN      every answer has this status (with a problem+json body if >= 400)
#   exit=N        the command exits with N
#   job=NAME      job.json is fixture NAME (xlsx, pdf-logo, image; default xlsx)
#   out=FILE      the command writes FILE, which its command line does not name
#   serve         a `docsmith serve` example: run on a free loopback port instead
#   expand-items  batch items elided as {"invoice": {"number": "N", …}, …}: filled
#                 in with samples/pdf-invoice.json's data before running
#   skip=REASON   not run
expectations=(
    '[["ten"]] => http=422'
    'render job.json --file logo= => job=pdf-logo out=letterhead.pdf'
    '-F job=@job.json -F logo=@logo.png => job=pdf-logo'
    'render job.json --file photo= => job=image'
    'docsmith serve --addr => serve'
    '"number": "INV-1", … => expand-items'
)

scratch=$(mktemp -d)
server_pids=()
cleanup() {
    local pid
    for pid in "${server_pids[@]}"; do
        if kill -0 "$pid" 2> /dev/null; then
            kill "$pid"
            wait "$pid" 2> /dev/null || true
        fi
    done
    rm -rf "$scratch"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_healthy BASE_URL PID: until /healthz answers (30 s at most).
wait_healthy() {
    local i
    for ((i = 0; i < 300; i++)); do
        kill -0 "$2" 2> /dev/null || return 1
        curl -fsS --max-time 2 "$1/healthz" > /dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

failed=0 passed=0 skipped=0
# report ok|skip|FAILED NAME [DETAIL]
report() {
    printf '%-6s %s%s\n' "$1" "$2" "${3:+  ($3)}"
    case $1 in
        ok) passed=$((passed + 1)) ;;
        skip) skipped=$((skipped + 1)) ;;
        *) failed=$((failed + 1)) ;;
    esac
}

# magic_problem FILE: prints what is wrong with FILE given its extension, or nothing.
magic_problem() {
    local file=$1 hex
    [[ -s $file ]] || { echo "$file missing or empty"; return; }
    hex=$(head -c 12 "$file" | od -An -tx1 | tr -d ' \n')
    case ${file##*.} in
        pdf) [[ $hex == 255044462d* ]] || echo "$file is not a PDF" ;;
        xlsx | docx | zip) [[ $hex == 504b0304* ]] || echo "$file is not a ZIP package" ;;
        jpg | jpeg) [[ $hex == ffd8ff* ]] || echo "$file is not a JPEG" ;;
        png) [[ $hex == 89504e470d0a1a0a* ]] || echo "$file is not a PNG" ;;
        webp) [[ $hex == 52494646????????57454250* ]] || echo "$file is not a WebP" ;;
        avif) [[ $hex == ????????6674797061766973* || $hex == ????????6674797061766966* ]] || echo "$file is not an AVIF" ;;
        json) python3 -m json.tool "$file" > /dev/null 2>&1 || echo "$file is not JSON" ;;
    esac
}

# --- The scratch directory the examples run in.
mkdir -p "$scratch/bin" "$scratch/headers" "$scratch/fixtures" "$scratch/logs" "$scratch/run/target/release"
ln -s "$repo/samples" "$scratch/run/samples"
ln -s "$bin" "$scratch/run/target/release/docsmith"
ln -s "$bin" "$scratch/bin/docsmith"
cat > "$scratch/bin/curl" << 'SH'
#!/usr/bin/env bash
# curl as README's examples call it, aimed at the test server; keeps each answer's headers.
args=() mapped=0
for arg in "$@"; do
    if [[ $arg =~ ^(https?://)?(localhost|host|127\.0\.0\.1):8080(/.*)?$ ]]; then
        arg=$CHECK_BASE${BASH_REMATCH[3]}
        mapped=1
    fi
    args+=("$arg")
done
if ((!mapped)); then
    echo "check_examples: this curl has no localhost:8080 URL" >&2
    exit 97
fi
exec "$CHECK_REAL_CURL" --max-time "$CHECK_MAX_TIME" --dump-header "$(mktemp "$CHECK_HEADERS/XXXXXX")" "${args[@]}"
SH
chmod +x "$scratch/bin/curl"

run=$scratch/run
images=("$repo/fuzz/seeds/image/baseline.jpg" "$repo/fuzz/seeds/image/rgb-8x6.png")
cp "${images[0]}" "$run/a.jpg"
cp "$repo/fuzz/seeds/image/progressive.jpg" "$run/b.jpg"
cp "${images[1]}" "$run/logo.png"
"$bin" render -q samples/pdf-letter.json -o "$run/terms.pdf"
cp samples/xlsx-sales-report.json "$scratch/fixtures/xlsx.json"
cat > "$scratch/fixtures/pdf-logo.json" << 'JSON'
{"format": "pdf", "filename": "letterhead.pdf",
 "template_source": "<document><img src=\"file:logo\" width=\"30mm\"/><h1>Hello {{ name }}</h1></document>",
 "data": {"name": "Ada"}}
JSON
cat > "$scratch/fixtures/image.json" << 'JSON'
{"format": "image", "source": "file:photo", "resize": {"width": 800}, "output": {"format": "avif"}}
JSON
cat > "$run/bundle.json" << 'JSON'
{"format": "zip", "entries": [{"path": "terms.pdf", "file": "terms"}]}
JSON

# --- The server.
port=$(free_port)
main_base=http://127.0.0.1:$port
"$bin" serve --addr "127.0.0.1:$port" > "$scratch/logs/server.log" 2>&1 &
server_pids+=("$!")
if ! wait_healthy "$main_base" "$!"; then
    echo "check_examples: the server did not come up; its log:" >&2
    cat "$scratch/logs/server.log" >&2
    exit 1
fi
echo "== docsmith $("$bin" --version) on $main_base"

# --- README's examples: LINE, SECTION, OUTPUT FILES and COMMAND, NUL-terminated.
python3 - "$repo/README.md" > "$scratch/examples" << 'PY'
import re
import shlex
import sys

out = sys.stdout.buffer
section, fence = "", None
cmd, start, quote, heredoc = [], 0, None, None


def code_of(line):
    """The line without its comment; tracks quotes across lines."""
    global quote
    i = 0
    while i < len(line):
        c = line[i]
        if quote == "'":
            quote = None if c == "'" else quote
        elif quote == '"':
            if c == "\\":
                i += 1
            elif c == '"':
                quote = None
        elif c == "\\":
            i += 1
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i]
        i += 1
    return line


def emit():
    global cmd
    text = "\n".join(cmd)
    try:  # the files it writes: -o FILE, > FILE (heredoc bodies are not words)
        words = shlex.split(text.split("<<")[0], comments=True)
    except ValueError:
        words = []
    outputs = [b for a, b in zip(words, words[1:]) if a in ("-o", "--output", ">") and b != "-"]
    for field in (str(start), section, " ".join(outputs), text):
        out.write(field.encode() + b"\0")
    cmd = []


for n, line in enumerate(open(sys.argv[1], encoding="utf-8").read().split("\n"), 1):
    if fence is None:
        if line.startswith("```"):
            fence = line[3:].strip()
        elif m := re.match(r"#{1,6}\s+(.*)", line):
            section = m.group(1)
        continue
    if heredoc is not None:
        cmd.append(line)
        if line.strip() == heredoc:
            heredoc = None
            emit()
        continue
    if line.startswith("```") and quote is None:
        if cmd:
            emit()
        fence = None
        continue
    if fence not in ("sh", "bash", "shell"):
        continue
    if not cmd:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        start = n
    cmd.append(line)
    code = code_of(line)
    if quote is None and (m := re.search(r"<<-?\s*(['\"]?)(\w+)\1", code)):
        heredoc = m.group(2)
    elif quote is None and not re.search(r"(\\|\||&&)\s*$", code):
        emit()
PY

# expand_items COMMAND: the command with elided invoice items filled in.
expand_items() {
    python3 - "$1" "$repo/samples/pdf-invoice.json" << 'PY'
import json
import re
import sys

data = json.load(open(sys.argv[2], encoding="utf-8"))["data"]


def item(m):
    data["invoice"]["number"] = m.group(1)
    return json.dumps(data).replace("'", "\\u0027")


print(re.sub(r'\{"invoice": \{"number": "([^"]+)", …\}, …\}', item, sys.argv[1]))
PY
}

declare -A used=()
current_section="" target_base=$main_base keyed_base=""
while IFS= read -r -d '' line && IFS= read -r -d '' section &&
    IFS= read -r -d '' outputs && IFS= read -r -d '' cmd; do
    name="README.md:$line ${cmd%%$'\n'*}"
    ((${#name} <= 90)) || name="${name:0:87}..."
    if [[ $section != "$current_section" ]]; then
        current_section=$section
        target_base=$main_base
    fi
    if [[ $cmd == cargo\ * ]]; then
        report skip "$name" "cargo: CI builds and tests separately"
        continue
    fi

    tokens="" matched=""
    for entry in "${expectations[@]}"; do
        key=${entry%% => *}
        if [[ $cmd == *"$key"* ]]; then
            used[$key]+=" $line"
            [[ -n $matched ]] || tokens=${entry#* => } matched=$key
        fi
    done
    want_http="" want_exit=0 job=xlsx run_cmd=$cmd
    read -ra token_list <<< "$tokens"
    for token in "${token_list[@]}"; do
        case $token in
            http=*) want_http=${token#http=} ;;
            exit=*) want_exit=${token#exit=} ;;
            job=*) job=${token#job=} ;;
            out=*) outputs+=" ${token#out=}" ;;
            expand-items) run_cmd=$(expand_items "$cmd") ;;
            skip=*) ;;
            serve) ;;
            *) echo "check_examples: unknown token $token" >&2; exit 1 ;;
        esac
    done
    if [[ $tokens == *skip=* ]]; then
        report skip "$name" "${tokens#*skip=}"
        continue
    fi

    if [[ " $tokens " == *" serve "* ]]; then
        keyed_port=$(free_port)
        run_cmd=${cmd/--addr 0.0.0.0:8080/--addr 127.0.0.1:$keyed_port}
        if [[ $run_cmd == "$cmd" ]]; then
            report FAILED "$name" "no '--addr 0.0.0.0:8080' to move to loopback"
            continue
        fi
        (cd "$run" && PATH="$scratch/bin:$PATH" exec bash -c "exec $run_cmd") > "$scratch/logs/keyed-server.log" 2>&1 < /dev/null &
        server_pids+=("$!")
        if wait_healthy "http://127.0.0.1:$keyed_port" "$!"; then
            keyed_base=http://127.0.0.1:$keyed_port target_base=$keyed_base
            # Without a key a job route must answer 401, or the key checks below prove nothing.
            status=$(curl -s -o /dev/null -w '%{http_code}' --max-time "$max_time" -X POST "$keyed_base/v1/validate")
            if [[ $status == 401 ]]; then
                report ok "$name" "serving on $keyed_base, 401 without a key; the section's curl examples go to it"
            else
                report FAILED "$name" "POST /v1/validate without a key answered $status, expected 401"
            fi
        else
            report FAILED "$name" "did not come up: $(tail -n 3 "$scratch/logs/keyed-server.log" | tr '\n' ' ')"
        fi
        continue
    fi

    cp "$scratch/fixtures/$job.json" "$run/job.json"
    read -ra files <<< "$outputs"
    for file in "${files[@]}"; do rm -f "$run/$file"; done
    rm -f "$scratch"/headers/*
    rc=0
    (cd "$run" && CHECK_BASE=$target_base CHECK_HEADERS=$scratch/headers CHECK_MAX_TIME=$max_time \
        CHECK_REAL_CURL=$(command -v curl) PATH="$scratch/bin:$PATH" \
        timeout "$cmd_timeout" bash -o pipefail -c "$run_cmd") \
        > "$scratch/logs/stdout" 2> "$scratch/logs/stderr" < /dev/null || rc=$?

    problems=() statuses=()
    for headers in "$scratch"/headers/*; do
        [[ -e $headers ]] || continue
        status=$(awk '/^HTTP\//{s = $2} END{print s}' "$headers")
        statuses+=("$status")
        if [[ -n $want_http ]]; then
            [[ $status == "$want_http" ]] || problems+=("HTTP $status, expected $want_http")
            if ((status >= 400)) && ! grep -qi '^content-type: application/problem+json' "$headers"; then
                problems+=("HTTP $status without a problem+json body")
            fi
        elif [[ $status != 2?? ]]; then
            # The answer is on stdout, or in the file the example writes.
            body=$scratch/logs/stdout
            [[ -s $body || ${#files[@]} -eq 0 ]] || body=$run/${files[0]}
            problems+=("HTTP ${status:-no answer}, expected 2xx: $(head -c 300 "$body" 2> /dev/null | tr '\n' ' ')")
        fi
    done
    if [[ $rc != "$want_exit" ]]; then
        stderr=$(tail -n 3 "$scratch/logs/stderr" | tr '\n' ' ')
        problems+=("exit status $rc, expected $want_exit${stderr:+: $stderr}")
    fi
    if [[ -n $want_http && ${#statuses[@]} -eq 0 ]]; then
        problems+=("no HTTP request made, expected $want_http")
    fi
    if [[ -z $want_http || $want_http == 2?? ]]; then
        for file in "${files[@]}"; do
            problem=$(magic_problem "$run/$file")
            [[ -z $problem ]] || problems+=("${problem#"$run/"}")
        done
    fi

    detail=""
    ((${#statuses[@]} == 0)) || detail="HTTP ${statuses[*]}"
    ((${#files[@]} == 0)) || detail+="${detail:+, }wrote ${files[*]}"
    [[ $run_cmd == "$cmd" ]] || detail+="${detail:+, }items filled in"
    if ((${#problems[@]} == 0)); then
        report ok "$name" "$detail"
    else
        report FAILED "$name" "$(printf '%s; ' "${problems[@]}" | sed 's/; $//')"
    fi
done < "$scratch/examples"

# Each expectation must name exactly one example.
for entry in "${expectations[@]}"; do
    key=${entry%% => *}
    read -ra lines <<< "${used[$key]:-}"
    if ((${#lines[@]} != 1)); then
        report FAILED "expectation '$key'" "matches ${#lines[@]} README examples${lines[*]:+ (lines ${lines[*]})}, not 1: update the table"
    fi
done

# --- The clients in samples/clients/.
# check_client NAME BASE KEY COMMAND...: runs COMMAND OUT_DIR IMAGE IMAGE.
check_client() {
    local name=$1 base=$2 key=$3 out problem
    shift 3
    out=$scratch/clients/$name
    if [[ -z $base ]]; then
        report FAILED "$name" "no keyed server (README's docsmith serve example did not run)"
        return
    fi
    local env=(DOCSMITH_URL="$base")
    [[ -z $key ]] || env+=(DOCSMITH_KEY="$key")
    local rc=0 problems=()
    env "${env[@]}" timeout "$cmd_timeout" "$@" "$out" "${images[@]}" \
        > "$scratch/logs/client" 2>&1 < /dev/null || rc=$?
    ((rc == 0)) || problems+=("exit status $rc: $(tail -n 3 "$scratch/logs/client" | tr '\n' ' ')")
    for file in invoice.pdf sales-report.xlsx photos.zip; do
        problem=$(magic_problem "$out/$file")
        [[ -z $problem ]] || problems+=("${problem#"$out/"}")
    done
    if [[ -s $out/photos.zip ]] && ! problem=$(python3 - "$out/photos.zip" 2>&1 << 'PY'
import sys
import zipfile

with zipfile.ZipFile(sys.argv[1]) as z:
    names = z.namelist()
    assert z.testzip() is None, "a bad CRC"
    assert len([n for n in names if n.endswith(".webp")]) == 2 and names[-1] == "manifest.json", names
PY
    ); then
        problems+=("photos.zip: ${problem##*$'\n'}")
    fi
    grep -q '^  /workbook/sheets/0/rows/0/0: ' "$scratch/logs/client" ||
        problems+=("the rejected job's errors were not printed with their pointers")
    if ((${#problems[@]} == 0)); then
        report ok "$name" "invoice.pdf, sales-report.xlsx, photos.zip (2 images), 422 errors printed"
    else
        report FAILED "$name" "$(printf '%s; ' "${problems[@]}" | sed 's/; $//')"
    fi
}

check_client "python client" "$main_base" "" python3 samples/clients/python/render.py
check_client "js client" "$main_base" "" node samples/clients/js/render.mjs
check_client "python client, with DOCSMITH_KEY" "$keyed_base" "$client_key" python3 samples/clients/python/render.py
check_client "js client, with DOCSMITH_KEY" "$keyed_base" "$client_key" node samples/clients/js/render.mjs

echo "== $passed ok, $skipped skipped, $failed failed"
((failed == 0))
