#!/usr/bin/env python3
"""Peers for the image benchmark: pyvips and Pillow make an 800 px wide copy of a JPEG.

    python bench/image_peers.py [--tools pyvips,pillow] [--ops jpeg,webp,avif]
        [--iterations 5] [--avif-iterations 2] [--warmup 1] [--width 800]
        [--jpeg-quality 80] [--webp-quality 80] [--avif-quality 65] FILE...
    python bench/image_peers.py --versions

One timed iteration is the work of docsmith's image pipeline, from the input
file's bytes already in memory to the output file's bytes in memory:
decode JPEG -> resize to WIDTH px wide (aspect kept; Lanczos3) -> encode as
JPEG q80 / WebP q80 / AVIF q65 -> no metadata (EXIF, ICC, XMP) in the output.

  - pyvips: pyvips.Image.thumbnail_buffer(data, WIDTH) -- shrink-on-load (the
    JPEG decoder's DCT scaling by 1/2, 1/4 or 1/8), then a Lanczos3 reduce, with
    EXIF auto-rotation: what pyvips users write -- then jpegsave_buffer(Q=80),
    webpsave_buffer(Q=80) or heifsave_buffer(Q=65, compression="av1"), all with
    keep="none" (strip=True before libvips 8.15). libvips's operation cache is
    off (cache_set_max(0)): a service never sees the same input twice, and a
    cached thumbnail would make iterations 2..N cheaper than the first.
    libvips runs its own thread pool: VIPS_CONCURRENCY threads (unset: one per
    core); the effective value is in the versions line.
  - Pillow: Image.open(BytesIO(data)), ImageOps.exif_transpose, .convert("RGB"),
    .resize((WIDTH, round(h * WIDTH / w)), Image.LANCZOS), then save(...,
    "JPEG", quality=80) / "WEBP", quality=80 / "AVIF", quality=65, with the
    image's info (ICC profile, EXIF, XMP) dropped first. Image.draft() is
    deliberately NOT used: it would let libjpeg decode at 1/2..1/8 scale like
    pyvips's shrink-on-load, but plain Pillow code (resize after open) does not
    call it, and that is the peer the issue names. Pillow decodes and resizes
    on one thread; its AVIF encoder (libavif + aom) uses max_threads = the
    CPUs this process may run on.
  - Encoder settings not named above are each library's defaults (JPEG 4:2:0,
    no optimised Huffman tables; WebP method/effort 4; AVIF 4:2:0, libvips
    effort 4, Pillow speed 6). AVIF time is mostly the aom encoder's speed
    setting: libvips's default effort 4 is about aom speed 5, several times
    slower than Pillow's speed 6 (libvips effort 3 is about the same as Pillow
    speed 6 here); --vips-avif-effort / --pillow-avif-speed change them.

Output, one JSON line each on stdout (logs on stderr):
  {"versions": {...}}                                   first line
  {"tool": "pyvips"|"pillow", "file": BASENAME, "op": "jpeg"|"webp"|"avif",
   "ms": [per-iteration ms], "bytes": N, "width": W, "height": H,
   "meta": [metadata found in the output: "exif", "icc", "xmp"; [] = stripped]}
  {"tool": T, "op": "avif", "unavailable": REASON}      instead, when T cannot encode AVIF
Each (tool, op) first runs --warmup untimed iterations on the first file.
Loop order: tool, op, file, iteration.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import pathlib
import sys
import time

OPS = ("jpeg", "webp", "avif")
TOOLS = ("pyvips", "pillow")


def log(msg: str) -> None:
    print(f"[image_peers] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# metadata left in an output file


def found_metadata(op: str, data: bytes) -> list[str]:
    """Which of EXIF / ICC / XMP the encoded file still carries."""
    found = []
    if op == "jpeg":
        # APP1 "Exif\0\0", APP2 "ICC_PROFILE\0", APP1 XMP namespace.
        if b"Exif\x00\x00" in data:
            found.append("exif")
        if b"ICC_PROFILE\x00" in data:
            found.append("icc")
        if b"http://ns.adobe.com/xap/1.0/" in data:
            found.append("xmp")
    elif op == "webp":
        # RIFF chunks after "RIFF" size "WEBP".
        pos, chunks = 12, set()
        while pos + 8 <= len(data):
            fourcc = data[pos:pos + 4]
            size = int.from_bytes(data[pos + 4:pos + 8], "little")
            chunks.add(fourcc)
            pos += 8 + size + (size & 1)
        for fourcc, name in ((b"EXIF", "exif"), (b"ICCP", "icc"), (b"XMP ", "xmp")):
            if fourcc in chunks:
                found.append(name)
    elif op == "avif":
        # HEIF items / boxes: an "Exif" item, a colr box with an ICC profile,
        # an XMP "mime" item.
        if b"Exif" in data:
            found.append("exif")
        if b"colrprof" in data or b"colrrICC" in data:
            found.append("icc")
        if b"application/rdf+xml" in data:
            found.append("xmp")
    return found


# --------------------------------------------------------------------------
# the two peers: setup() -> (versions, {op: fn(data) -> (bytes, w, h)}, {op: reason})


def setup_pyvips(width: int, q: dict[str, int], avif_effort: int | None = None):
    import pyvips

    pyvips.cache_set_max(0)
    if pyvips.at_least_libvips(8, 15):
        strip = {"keep": "none"}
    else:
        strip = {"strip": True}
    versions = {
        "pyvips": pyvips.__version__,
        "libvips": f"{pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)}",
        "vips_concurrency": _vips_concurrency(pyvips),
        "VIPS_CONCURRENCY": os.environ.get("VIPS_CONCURRENCY", "unset"),
        "strip": "keep=none" if "keep" in strip else "strip=True",
        "avif_effort": avif_effort if avif_effort is not None else "default (4)",
    }
    avif_kw = {} if avif_effort is None else {"effort": avif_effort}

    def jpeg(data: bytes):
        im = pyvips.Image.thumbnail_buffer(data, width)
        return im.jpegsave_buffer(Q=q["jpeg"], **strip), im.width, im.height

    def webp(data: bytes):
        im = pyvips.Image.thumbnail_buffer(data, width)
        return im.webpsave_buffer(Q=q["webp"], **strip), im.width, im.height

    def avif(data: bytes):
        im = pyvips.Image.thumbnail_buffer(data, width)
        return im.heifsave_buffer(Q=q["avif"], compression="av1", **avif_kw, **strip), im.width, im.height

    fns = {"jpeg": jpeg, "webp": webp, "avif": avif}
    unavailable = {}
    try:
        out = pyvips.Image.black(16, 16, bands=3).heifsave_buffer(Q=50, compression="av1", **strip)
        if b"ftypavif" not in out[:32]:
            unavailable["avif"] = "heifsave_buffer(compression='av1') did not write an AVIF file"
    except pyvips.Error as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "error"
        unavailable["avif"] = f"this libvips cannot encode AV1 (heifsave: {first})"
    return versions, fns, unavailable


def _vips_concurrency(pyvips) -> int | str:
    try:
        return int(pyvips.vips_lib.vips_concurrency_get())
    except Exception:  # noqa: BLE001 - ABI mode or an older pyvips: not essential
        return "?"


def setup_pillow(width: int, q: dict[str, int], avif_speed: int | None = None):
    import PIL
    from PIL import Image, ImageOps, features

    versions = {
        "Pillow": PIL.__version__,
        "libjpeg": features.version("jpg"),
        "libjpeg_turbo": bool(features.check_feature("libjpeg_turbo")),
        "libwebp": features.version("webp"),
        "libavif": features.version("avif") if features.check("avif") else None,
    }
    unavailable = {}
    avif_kw = {} if avif_speed is None else {"speed": avif_speed}
    versions["avif_speed"] = avif_speed if avif_speed is not None else "default (6)"
    if features.check("avif"):
        try:
            from PIL import _avif

            versions["avif_codecs"] = _avif.codec_versions()
        except Exception:  # noqa: BLE001 - informational only
            pass
        try:
            buf = io.BytesIO()
            Image.new("RGB", (16, 16)).save(buf, "AVIF", quality=50)
        except Exception as e:  # noqa: BLE001 - e.g. a libavif without an AV1 encoder
            unavailable["avif"] = f"Pillow {PIL.__version__} cannot encode AVIF here ({e})"
    else:
        try:  # the plugin for Pillow < 11.2
            import pillow_avif  # noqa: F401

            versions["pillow_avif_plugin"] = getattr(pillow_avif, "__version__", "?")
        except ImportError:
            unavailable["avif"] = f"Pillow {PIL.__version__} has no AVIF support and pillow-avif-plugin is not installed"

    def resized(data: bytes):
        # No img.draft(): plain Pillow, as people use it (see the module doc).
        img = Image.open(io.BytesIO(data))
        img = ImageOps.exif_transpose(img)
        img = img.convert("RGB")
        w, h = img.size
        img = img.resize((width, max(1, round(h * width / w))), Image.LANCZOS)
        img.info = {}  # strip metadata: the AVIF encoder would copy im.info's ICC profile
        return img

    def save(img, fmt: str, **kw):
        buf = io.BytesIO()
        img.save(buf, fmt, **kw)
        return buf.getvalue(), img.width, img.height

    def jpeg(data: bytes):
        return save(resized(data), "JPEG", quality=q["jpeg"])

    def webp(data: bytes):
        return save(resized(data), "WEBP", quality=q["webp"])

    def avif(data: bytes):
        return save(resized(data), "AVIF", quality=q["avif"], **avif_kw)

    return versions, {"jpeg": jpeg, "webp": webp, "avif": avif}, unavailable


SETUP = {"pyvips": setup_pyvips, "pillow": setup_pillow}


# --------------------------------------------------------------------------


def emit(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False), flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", type=pathlib.Path)
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--ops", default=",".join(OPS))
    ap.add_argument("--iterations", type=int, default=5, help="timed iterations per file for jpeg and webp")
    ap.add_argument("--avif-iterations", type=int, default=2, help="timed iterations per file for avif")
    ap.add_argument("--warmup", type=int, default=1, help="untimed iterations on the first file, per tool and op")
    ap.add_argument("--width", type=int, default=800)
    ap.add_argument("--jpeg-quality", type=int, default=80)
    ap.add_argument("--webp-quality", type=int, default=80)
    ap.add_argument("--avif-quality", type=int, default=65)
    ap.add_argument("--vips-avif-effort", type=int, help="heifsave effort 0..9 (default: libvips's, 4)")
    ap.add_argument("--pillow-avif-speed", type=int, help="AVIF speed 0..10 (default: Pillow's, 6)")
    ap.add_argument("--versions", action="store_true", help="print the versions line and exit")
    args = ap.parse_args(argv)

    tools = [t for t in args.tools.split(",") if t]
    ops = [o for o in args.ops.split(",") if o]
    for t in tools:
        if t not in SETUP:
            ap.error(f"unknown tool {t!r} (known: {', '.join(TOOLS)})")
    for o in ops:
        if o not in OPS:
            ap.error(f"unknown op {o!r} (known: {', '.join(OPS)})")
    if min(args.iterations, args.avif_iterations, args.width) < 1 or args.warmup < 0:
        ap.error("iterations and width must be >= 1, warmup >= 0")
    if not args.files and not args.versions:
        ap.error("no input files")
    quality = {"jpeg": args.jpeg_quality, "webp": args.webp_quality, "avif": args.avif_quality}

    peers = {}
    versions: dict = {"python": sys.version.split()[0]}
    for t in tools:
        if t == "pyvips":
            v, fns, unavailable = setup_pyvips(args.width, quality, args.vips_avif_effort)
        else:
            v, fns, unavailable = setup_pillow(args.width, quality, args.pillow_avif_speed)
        versions[t] = v
        peers[t] = (fns, unavailable)
    versions["cpus"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions["quality"] = quality
    versions["width"] = args.width
    emit({"versions": versions})
    if args.versions:
        return 0

    inputs = [(p.name, p.read_bytes()) for p in args.files]
    for t in tools:
        fns, unavailable = peers[t]
        for op in ops:
            if op in unavailable:
                log(f"{t} {op}: unavailable: {unavailable[op]}")
                emit({"tool": t, "op": op, "unavailable": unavailable[op]})
                continue
            fn = fns[op]
            n = args.avif_iterations if op == "avif" else args.iterations
            for _ in range(args.warmup):
                fn(inputs[0][1])
            for name, data in inputs:
                ms = []
                out, w, h = b"", 0, 0
                for _ in range(n):
                    t0 = time.perf_counter_ns()
                    out, w, h = fn(data)
                    ms.append(round((time.perf_counter_ns() - t0) / 1e6, 3))
                emit({"tool": t, "file": name, "op": op, "ms": ms, "bytes": len(out),
                      "width": w, "height": h, "meta": found_metadata(op, out)})
            log(f"{t} {op}: {len(inputs)} files x {n} iterations done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
