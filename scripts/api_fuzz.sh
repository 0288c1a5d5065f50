#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI document with schemathesis
# (PyPI): builds docsmith, starts it on a free loopback port, and runs every
# schemathesis check over every operation in all four phases (the spec's
# examples, boundary "coverage" cases, random fuzzing, stateful sequences),
# with both valid and invalid inputs. It passes only when no response is a
# server error (5xx) and every response matches the document: its status,
# content type, headers and body schema; when invalid requests are refused
# and valid ones are not.
#
#   scripts/api_fuzz.sh [MAX_EXAMPLES]
#
# MAX_EXAMPLES is the most test cases per operation and phase (default 100:
# about 6,000 requests in all, 1–2 minutes with a warm debug build on two
# cores; 300: about 8,000, 3–5 minutes). Environment:
#   API_FUZZ_SEED     schemathesis --seed (default 20261126): the same seed
#                     and versions generate the same cases
#   API_FUZZ_TIME     seconds the schemathesis run may take before it is
#                     stopped and the script fails (default 540)
#   API_FUZZ_PROFILE  debug (default) or release build of docsmith
#
# Output in target/api-fuzz/: junit.xml (one test per operation), har.json
# (every request and response), events.ndjson (every check of every case),
# schemathesis.log (the report, with a curl command to reproduce each
# failure; `target/api-fuzz-venv/bin/st --config-file
# target/api-fuzz/schemathesis.toml replay ID` against a running server
# replays one), server.log, and schemathesis.toml and hooks.py (written
# below). The venv is target/api-fuzz-venv, made on first use from the
# pinned scripts/requirements-api-fuzz.txt (needs python3 with venv).

set -euo pipefail
cd "$(dirname "$0")/.."

max_examples=${1:-100}
if ! [[ $max_examples =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 [MAX_EXAMPLES]" >&2
    exit 2
fi
seed=${API_FUZZ_SEED:-20261126}
time_limit=${API_FUZZ_TIME:-540}
profile=${API_FUZZ_PROFILE:-debug}
case $profile in
    debug) cargo_profile=() ;;
    release) cargo_profile=(--release) ;;
    *)
        echo "API_FUZZ_PROFILE must be debug or release" >&2
        exit 2
        ;;
esac

out=target/api-fuzz
venv=target/api-fuzz-venv
requirements=scripts/requirements-api-fuzz.txt
mkdir -p "$out"

# The venv, (re)installed when the pinned requirements change.
stamp="$venv/requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ ! -x "$venv/bin/schemathesis" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "== installing schemathesis into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    echo "$want" >"$stamp"
fi

echo "== building docsmith ($profile)"
cargo build --quiet --bin docsmith "${cargo_profile[@]}"
binary=target/$profile/docsmith

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port

# Modest limits keep every case fast: no job may take long enough to reach
# its 60 s time limit (a 504 would count as a server error), and the largest
# image a case can ask for (1 MP) encodes in seconds even as AVIF at effort 9.
# A data directory of its own, empty: async jobs and stored templates of
# an earlier run do not count against this one's limits.
rm -rf "$out/data"
"$binary" serve --addr "127.0.0.1:$port" --data-dir "$out/data" \
    --workers 2 --queue-depth 64 \
    --max-body 1MiB --max-upload 8MiB --max-image-files 10 \
    --job-timeout 60s --body-timeout 10s \
    --max-pages 50 --max-image-pixels 1000000 --max-zip-entries 200 \
    --log warn >"$out/server.log" 2>&1 &
server=$!
fuzz=
# shellcheck disable=SC2317 # called by the trap
stop() {
    # `timeout` passes the signal on to schemathesis.
    if [[ -n $fuzz ]]; then kill "$fuzz" 2>/dev/null || true; fi
    kill "$server" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

healthy() {
    python3 - "$base/healthz" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}
for _ in $(seq 100); do
    healthy && break
    if ! kill -0 "$server" 2>/dev/null; then
        echo "docsmith exited before it answered; $out/server.log:" >&2
        cat "$out/server.log" >&2
        exit 1
    fi
    sleep 0.2
done
healthy || {
    echo "docsmith did not answer $base/healthz" >&2
    exit 1
}

# What the checks expect where this API differs from schemathesis' defaults.
cat >"$out/schemathesis.toml" <<'TOML'
# Written by scripts/api_fuzz.sh.

# What `st replay ID` reads back (run from the repository's root).
[cache]
directory = "target/api-fuzz/cache"

# A schema-valid job can still be refused: JSON Schema cannot say that a
# template exists (404), that a file a job names was sent with it, that a
# cell fits its column's type or that a chart's columns are numeric (422
# with a pointer to each problem). The job schemas are as tight as the
# validator they describe (src/http/docs/jobs.rs), never tighter; 422 is the
# documented answer for the rest.
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429", "5xx"]

# The fields of a multipart form are text on the wire: an "invalid" case
# that turns `upscale: true` into the integer 1 or `width: 640` into the
# string "640" sends the very bytes of a valid form, so negative cases of
# POST /v1/images test nothing; schemathesis 4.32.5 also crashes drawing
# them ("Unsupported type: 'Binary'"). Its valid cases still run every
# check. The job routes' multipart bodies carry JSON and keep negative cases.
[[operations]]
include-path = "/v1/images"
generation.mode = "positive"

# DELETE of a queued or running job cancels it: the job stays, `cancelled`,
# for its client to see until it expires (a second DELETE deletes it), so
# a GET after a cancelling DELETE answers 200 by design. Whether the DELETE
# cancels or deletes depends on how far the job got; the stateful phase's
# use-after-free check holds for the template routes and for deleted jobs
# (tests/it/jobs.rs checks 404 after the deleting DELETE).
[[operations]]
include-path-regex = "^/v1/jobs/"
include-method = "GET"
checks.use_after_free.enabled = false
TOML

# Documents, images and archives: the body must be what its Content-Type
# says (checked by signature), and is then validated as the binary string
# the document declares. Without these, schemathesis skips the bodies of
# the 200 answers of /v1/render and /v1/images.
cat >"$out/hooks.py" <<'PY'
# Written by scripts/api_fuzz.sh.
import schemathesis

SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


def signature_ok(media_type, body):
    if media_type == "image/webp":
        return body[:4] == b"RIFF" and body[8:12] == b"WEBP"
    if media_type == "image/avif":
        return body[4:12] in (b"ftypavif", b"ftypavis")
    return body.startswith(SIGNATURES[media_type])


@schemathesis.deserializer(*SIGNATURES, "image/webp", "image/avif")
def binary(ctx, response):
    media_type = response.headers.get("content-type", [""])[0].split(";")[0].strip().lower()
    body = response.content
    if not signature_ok(media_type, body):
        raise ValueError(f"the body is not {media_type}: it starts with {body[:16]!r}")
    return "<%d bytes of %s>" % (len(body), media_type)
PY

echo "== schemathesis against $base (max $max_examples examples, seed $seed)"
# In the background so that a signal to this script stops it at once.
timeout --signal=INT --kill-after=30 "$time_limit" \
    env SCHEMATHESIS_HOOKS="$out/hooks.py" \
    "$venv/bin/schemathesis" --config-file "$out/schemathesis.toml" run "$base/openapi.json" \
    --checks all \
    --max-examples "$max_examples" \
    --seed "$seed" \
    --generation-database none \
    --workers 2 \
    --request-timeout 90 \
    --max-response-time 30 \
    --max-failures 50 \
    --continue-on-failure \
    --no-color \
    --report junit,har,ndjson \
    --report-junit-path "$out/junit.xml" \
    --report-har-path "$out/har.json" \
    --report-ndjson-path "$out/events.ndjson" \
    > >(tee "$out/schemathesis.log") 2>&1 &
fuzz=$!
status=0
wait "$fuzz" || status=$?
fuzz=
if ((status == 124 || status == 130)); then
    echo "schemathesis ran past $time_limit s and was stopped" >&2
fi

# How often each check ran and how it went, from the event log.
if [[ -s "$out/events.ndjson" ]]; then
    python3 - "$out/events.ndjson" <<'PY'
import collections, json, sys
results = {}
for line in open(sys.argv[1], encoding="utf-8"):
    event = json.loads(line).get("ScenarioFinished")
    if not event:
        continue
    for case, checks in (event["recorder"].get("checks") or {}).items():
        for check in checks:
            results[(case, check["name"])] = check["status"]
table = collections.defaultdict(collections.Counter)
for (_, name), status in results.items():
    table[name][status] += 1
cases = len({case for case, _ in results})
print(f"== checks over {cases} test cases")
for name in sorted(table):
    counts = table[name]
    others = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()) if s not in ("success", "failure"))
    print(f"  {name:30} {counts['success']:6} passed {counts['failure']:4} failed" + (f"  ({others})" if others else ""))
PY
fi

# A panic is answered with a 500 (which fails a check), but say so plainly;
# a crash of the server shows as connection errors, and here.
if grep -q "panicked" "$out/server.log"; then
    echo "docsmith logged a panic; see $out/server.log" >&2
    status=1
fi
if ! healthy; then
    echo "docsmith no longer answers /healthz after the run; see $out/server.log" >&2
    status=1
fi
if ((status != 0)); then
    echo "api fuzz: FAILED (reports in $out/)" >&2
else
    echo "api fuzz: passed (reports in $out/)"
fi
exit "$status"
