#!/usr/bin/env bash
# Runs docsmith's cargo-fuzz targets (fuzz/), one after another, each as a
# single libFuzzer process (no -jobs/-fork: the machine is shared), and
# prints per target: executions, exec/s, coverage, peak RSS and the
# crashes, timeouts and out-of-memory inputs found.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 60; TARGET defaults to all of them:
# job markup template image zip_path. Needs a nightly toolchain; installs
# cargo-fuzz when it is missing.
#
# Each target starts from its seeds (fuzz/seeds/TARGET, plus samples/,
# templates/ and tests/corpus/ where they fit) and keeps what it learns in
# fuzz/corpus/TARGET, so later runs go on where earlier ones stopped.
# Findings land in fuzz/artifacts/TARGET/ (crash-*, timeout-*, oom-*), the
# full libFuzzer output in fuzz/artifacts/TARGET/fuzz.log. Reproduce one
# with `cargo +nightly fuzz run -O -a [-s none] TARGET fuzz/artifacts/TARGET/crash-…`
# in fuzz/, shrink it with `cargo +nightly fuzz tmin -O -a [-s none] TARGET FILE`
# (`-s none --target-dir target/sanitizer-none` for job and template).
#
# Builds are release with debug assertions and overflow checks. The image,
# markup and zip_path targets run under AddressSanitizer (unsafe code in
# decoders and resamplers); job and template run without a sanitizer, so
# that their time limit measures docsmith's own limits (fuel) at about
# production speed rather than AddressSanitizer's slowdown.
#
# Environment: FUZZ_TIMEOUT (seconds an input may take; default 10, and 30
# for template: a template that spends all its fuel and output budget, 10
# million steps writing 64 MiB, is a valid input that takes about 2 s in a
# release build and several times that instrumented),
# FUZZ_RSS_MB (memory limit, default 2048), FUZZ_ARGS (more libFuzzer flags),
# FUZZ_SKIP_BUILD=1 (run the binaries already built).

set -euo pipefail

ALL_TARGETS=(job markup template image zip_path)

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds == 0)); then
    echo "usage: $0 [SECONDS_PER_TARGET] [TARGET...]" >&2
    exit 2
fi
shift $(($# > 0 ? 1 : 0))
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=("${ALL_TARGETS[@]}")
fi
for target in "${targets[@]}"; do
    if [[ ! -f "$(dirname "$0")/../fuzz/fuzz_targets/$target.rs" ]]; then
        echo "unknown target $target (known: ${ALL_TARGETS[*]})" >&2
        exit 2
    fi
done

root=$(cd "$(dirname "$0")/.." && pwd)
fuzz="$root/fuzz"
rss_mb=${FUZZ_RSS_MB:-2048}
read -r -a extra_args <<<"${FUZZ_ARGS:-}"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "a nightly toolchain is needed: rustup toolchain install nightly" >&2
    exit 1
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz…" >&2
    cargo install cargo-fuzz --locked
fi

free_gb=$(df -P -BG "$fuzz" | awk 'NR == 2 { sub("G", "", $4); print $4 }')
if ((free_gb < 10)); then
    echo "warning: only ${free_gb} GB free; the fuzz build takes several" >&2
fi

triple=$(rustc +nightly -vV | sed -n 's/^host: //p')

# The sanitizer a target runs under, and where its build lives.
sanitizer_for() {
    case $1 in
    job | template) echo none ;;
    *) echo address ;;
    esac
}
target_dir_for() {
    case $(sanitizer_for "$1") in
    none) echo "$fuzz/target/sanitizer-none" ;;
    *) echo "$fuzz/target" ;;
    esac
}

if [[ ${FUZZ_SKIP_BUILD:-0} != 1 ]]; then
    declare -A built=()
    for target in "${targets[@]}"; do
        sanitizer=$(sanitizer_for "$target")
        [[ -n ${built[$sanitizer]:-} ]] && continue
        built[$sanitizer]=1
        echo "building the fuzz targets (sanitizer: $sanitizer)…" >&2
        (cd "$fuzz" && cargo +nightly fuzz build -O -a -s "$sanitizer" \
            --target-dir "$(target_dir_for "$target")")
    done
fi

# Seeds: checked-in ones plus the repository's own examples, copied into a
# scratch directory (libFuzzer reads every file of a corpus directory).
seed_dir() {
    local target=$1 dir="$fuzz/corpus/.seeds/$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$fuzz/seeds/$target"/* "$dir"/ 2>/dev/null || true
    case $target in
    job)
        cp "$root"/samples/*.json "$dir"/
        for f in "$root"/tests/corpus/json/*; do cp "$f" "$dir/corpus-json-$(basename "$f")"; done
        ;;
    markup)
        for f in "$root"/tests/corpus/markup/*; do cp "$f" "$dir/corpus-$(basename "$f")"; done
        # The built-in templates: markup with some template syntax as text.
        cp "$root"/templates/*.xml "$dir"/
        ;;
    template)
        cp "$root"/templates/*.xml "$dir"/
        for f in "$root"/tests/corpus/template/*; do cp "$f" "$dir/corpus-$(basename "$f")"; done
        ;;
    image)
        # Input: 4 control bytes (output, width, height, flags; see
        # fuzz/fuzz_targets/image.rs), then the image. Each seed gets a few.
        local image name
        rm -f "$dir"/*
        for image in "$fuzz"/seeds/image/* "$root"/tests/corpus/image/*; do
            name=$(basename "$image")
            [[ $image == "$root"/tests/* ]] && name="corpus-$name"
            { printf '\000\020\020\000' && cat "$image"; } >"$dir/default-16-$name"
            { printf '\002\000\000\000' && cat "$image"; } >"$dir/png-same-$name"
            { printf '\001\100\040\201' && cat "$image"; } >"$dir/jpeg-cover-$name"
            { printf '\003\010\100\046' && cat "$image"; } >"$dir/webp-fill-$name"
            { printf '\377\010\010\103' && cat "$image"; } >"$dir/avif-exact-$name"
        done
        ;;
    esac
    echo "$dir"
}

dict_for() {
    case $1 in
    job) echo "$fuzz/dicts/json.dict" ;;
    markup) echo "$fuzz/dicts/markup.dict" ;;
    template) echo "$fuzz/dicts/jinja.dict" ;;
    image) echo "$fuzz/dicts/image.dict" ;;
    zip_path) echo "$fuzz/dicts/path.dict" ;;
    esac
}

timeout_for() {
    case $1 in
    template) echo "${FUZZ_TIMEOUT:-30}" ;;
    *) echo "${FUZZ_TIMEOUT:-10}" ;;
    esac
}

max_len_for() {
    case $1 in
    job | markup) echo 16384 ;;
    template) echo 8192 ;;
    image) echo 20000 ;;
    zip_path) echo 4096 ;;
    esac
}

summary=()
status=0
for target in "${targets[@]}"; do
    corpus="$fuzz/corpus/$target"
    artifacts="$fuzz/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    seeds=$(seed_dir "$target")
    log="$artifacts/fuzz.log"
    before=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
    echo "== $target: ${seconds}s, log in ${log#"$root"/}" >&2
    set +e
    binary="$(target_dir_for "$target")/$triple/release/$target"
    if [[ ! -x $binary ]]; then
        echo "$binary is not built" >&2
        exit 1
    fi
    # The binary itself, not `cargo fuzz run`, which would rebuild whenever
    # src/ changed since the build above.
    (cd "$fuzz" && "$binary" "$corpus" "$seeds" \
        -max_total_time="$seconds" -timeout="$(timeout_for "$target")" -rss_limit_mb="$rss_mb" \
        -dict="$(dict_for "$target")" -max_len="$(max_len_for "$target")" \
        -artifact_prefix="$artifacts/" -print_final_stats=1 \
        "${extra_args[@]}") >"$log" 2>&1
    rc=$?
    set -e
    after=$(find "$artifacts" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
    found=$(comm -13 <(echo "$before") <(echo "$after") | sed '/^$/d')
    execs=$(awk '/stat::number_of_executed_units/ { v = $NF } END { print v + 0 }' "$log")
    per_sec=$(awk '/stat::average_exec_per_sec/ { v = $NF } END { print v + 0 }' "$log")
    rss=$(awk '/stat::peak_rss_mb/ { v = $NF } END { print v + 0 }' "$log")
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
    corpus_size=$(find "$corpus" -type f | wc -l)
    line="$target: ${execs} execs, ${per_sec} exec/s, ${cov:-cov: ?}, corpus ${corpus_size}, peak RSS ${rss} MB"
    if [[ -n $found ]]; then
        line+=", FOUND $(echo "$found" | wc -l):"
        while read -r f; do line+=" ${f#"$root"/}"; done <<<"$found"
        status=1
    elif ((rc != 0)); then
        line+=", libFuzzer exited $rc (see the log)"
        status=1
    else
        line+=", no crashes"
    fi
    summary+=("$line")
    echo "$line" >&2
done

echo
echo "Summary (${seconds}s per target):"
printf '  %s\n' "${summary[@]}"
exit "$status"
