# shellcheck shell=bash
# Helpers shared by the bench/image_*.sh scripts, on top of lib.sh (and
# pdf_lib.sh for need_debs / free_port / serve_start). Source it after those;
# don't run it.
#
# Real photos: Debian's `plasma-workspace-wallpapers` (KDE wallpapers, CC
# licences) holds JPEGs of 2560x1600 (mostly camera photos), 3200x2000 and
# 5120x2880 (digital art). fetch_photos downloads the .deb once with `apt-get download`
# (no root needed), unpacks it with `dpkg -x` and picks the JPEGs.
#
#   source bench/lib.sh; source bench/pdf_lib.sh; source bench/image_lib.sh
#   fetch_photos && printf '%s\n' "${PHOTOS[@]}"

WALLPAPER_DEB=plasma-workspace-wallpapers
# shellcheck disable=SC2034  # used by the scripts that source this file
IMAGE_DEBS=(file unzip curl)

# fetch_photos : makes sure the wallpapers are unpacked under WALLPAPER_DIR
# (default bench/out/wallpapers; cached: nothing is downloaded or unpacked when
# WALLPAPER_DIR/photos.tsv exists) and sets
#   ALL_PHOTOS  every JPEG under */contents/images/ (regular files only, so
#               no symlinked duplicates; checked with `file`: "JPEG image
#               data", 8-bit, at least MIN_WIDTH (2560) px wide), sorted by
#               their path in the package. 18 files in 4:5.27.5-2.
#   PHOTOS      the fixed comparison set of PHOTO_COUNT (10) of them: up to
#               half from the >= 5000 px wide ones (the 5120x2880 ones), the
#               rest from the smaller ones, each group in path order.
#   PHOTOS_TSV  the list: name, width, height, components, progressive|baseline,
#               bytes, path in the package (one line per ALL_PHOTOS entry).
# The files are reached through symlinks WALLPAPER_DIR/photos/NAME-WxH.jpg
# (the package's names are all "WxH.jpg", so NAME is the wallpaper's folder),
# which gives every photo a distinct basename.
fetch_photos() {
    local dir="${WALLPAPER_DIR:-$OUT_DIR/wallpapers}"
    local count="${PHOTO_COUNT:-10}" min_width="${MIN_WIDTH:-2560}"
    [[ $count =~ ^[1-9][0-9]*$ && $min_width =~ ^[0-9]+$ ]] || die "PHOTO_COUNT must be a positive integer, MIN_WIDTH a number"
    PHOTOS_TSV="$dir/photos.tsv"
    if [[ ! -s $PHOTOS_TSV ]]; then
        _unpack_wallpapers "$dir" "$min_width"
    fi
    ALL_PHOTOS=()
    PHOTOS=()
    local name w _rest big=() small=()
    while IFS=$'\t' read -r name w _rest; do
        [[ -e $dir/photos/$name ]] || die "missing $dir/photos/$name (delete $PHOTOS_TSV to unpack again)"
        ALL_PHOTOS+=("$dir/photos/$name")
        if ((w >= 5000)); then big+=("$dir/photos/$name"); else small+=("$dir/photos/$name"); fi
    done <"$PHOTOS_TSV"
    ((${#ALL_PHOTOS[@]})) || die "no JPEG of >= $min_width px in $WALLPAPER_DEB (see $PHOTOS_TSV)"
    local n_big=$((count / 2)) n_small
    ((n_big <= ${#big[@]})) || n_big=${#big[@]}
    n_small=$((count - n_big))
    ((n_small <= ${#small[@]})) || n_small=${#small[@]}
    if ((n_big + n_small < count && n_big < ${#big[@]})); then
        n_big=$((count - n_small))
        ((n_big <= ${#big[@]})) || n_big=${#big[@]}
    fi
    # The chosen ones, in ALL_PHOTOS order.
    local p chosen=" ${big[*]:0:n_big} ${small[*]:0:n_small} "
    for p in "${ALL_PHOTOS[@]}"; do
        [[ $chosen != *" $p "* ]] || PHOTOS+=("$p")
    done
    log "photos: ${#PHOTOS[@]} of ${#ALL_PHOTOS[@]} JPEGs from $WALLPAPER_DEB ($n_big of >= 5000 px, $n_small smaller): $(printf '%s ' "${PHOTOS[@]##*/}")"
}

# _unpack_wallpapers DIR MIN_WIDTH : apt-get download + dpkg -x into DIR/root,
# then the symlinks DIR/photos/* and DIR/photos.tsv (written last: it is the
# "done" mark).
_unpack_wallpapers() {
    local dir=$1 min_width=$2 deb
    need_cmd file file
    command -v dpkg >/dev/null 2>&1 || die "dpkg not found (needed to unpack $WALLPAPER_DEB)"
    mkdir -p "$dir"
    rm -rf "$dir/root" "$dir/photos" "$dir"/*.deb
    log "apt-get download $WALLPAPER_DEB (about 94 MB, once; cached in ${dir#"$ROOT"/})"
    if ! (cd "$dir" && apt-get download -q "$WALLPAPER_DEB" >/dev/null 2>"$dir/download.err"); then
        # No package lists yet: `apt-get update` (as root), then once more.
        log "apt-get download failed ($(tail -n 1 "$dir/download.err")); running apt-get update and retrying"
        as_root apt-get update -qq >/dev/null
        _APT_UPDATED=1
        (cd "$dir" && apt-get download -q "$WALLPAPER_DEB" >/dev/null 2>"$dir/download.err") ||
            { cat "$dir/download.err" >&2; die "apt-get download $WALLPAPER_DEB failed"; }
    fi
    deb="$(find "$dir" -maxdepth 1 -name "${WALLPAPER_DEB}_*.deb" | head -n 1)"
    [[ -n $deb ]] || die "apt-get download left no ${WALLPAPER_DEB}_*.deb in $dir"
    log "dpkg -x $(basename "$deb")"
    dpkg -x "$deb" "$dir/root"
    printf '%s\n' "$(basename "$deb")" >"$dir/package.txt"
    rm -f "$deb" "$dir/download.err"

    mkdir -p "$dir/photos"
    local base="$dir/root/usr/share/wallpapers" f rel desc w h comp prog name tmp="$dir/photos.tsv.tmp"
    : >"$tmp"
    while IFS= read -r f; do
        desc="$(file -b "$f")"
        [[ $desc == "JPEG image data"* ]] || continue
        [[ $desc =~ precision\ 8,\ ([0-9]+)x([0-9]+),\ components\ ([0-9]+) ]] || continue
        w=${BASH_REMATCH[1]} h=${BASH_REMATCH[2]} comp=${BASH_REMATCH[3]}
        ((w >= min_width)) || continue
        if [[ $desc == *", progressive,"* ]]; then prog=progressive; else prog=baseline; fi
        rel="${f#"$base"/}"
        name="${rel%%/*}-${w}x${h}.jpg"
        ln -sfn "../root/usr/share/wallpapers/$rel" "$dir/photos/$name"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$w" "$h" "$comp" "$prog" "$(stat -L -c %s "$f")" "$rel" >>"$tmp"
    done < <(find "$base" -path '*/contents/images/*' -type f \( -iname '*.jpg' -o -iname '*.jpeg' \) | LC_ALL=C sort)
    [[ -s $tmp ]] || die "no JPEG of >= $min_width px found in $WALLPAPER_DEB"
    mv "$tmp" "$dir/photos.tsv"
    log "unpacked: $(wc -l <"$dir/photos.tsv") JPEGs listed in ${dir#"$ROOT"/}/photos.tsv"
}

# batch_photos N DIR : DIR/01-NAME.jpg .. N (symlinks), cycling through
# ALL_PHOTOS (after fetch_photos) so every upload has its own file name even
# when a photo repeats; sets BATCH to them.
batch_photos() {
    local n=$1 dir=$2 i src
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "batch size must be a positive integer: $n"
    rm -rf "$dir"
    mkdir -p "$dir"
    BATCH=()
    for ((i = 0; i < n; i++)); do
        src="${ALL_PHOTOS[i % ${#ALL_PHOTOS[@]}]}"
        ln -s "$(readlink -f "$src")" "$dir/$(printf '%02d' $((i + 1)))-${src##*/}"
        BATCH+=("$dir/$(printf '%02d' $((i + 1)))-${src##*/}")
    done
}

# vm_kb PID FIELD : a /proc/PID/status value in kB (VmHWM, VmRSS), 0 when unknown.
vm_kb() {
    if [[ -r /proc/$1/status ]]; then
        awk -v f="$2:" '$1 == f { v = $2 } END { print v + 0 }' "/proc/$1/status" 2>/dev/null || echo 0
    else
        echo 0
    fi
}
