#!/usr/bin/env python3
"""Markdown tables for bench/image_compare.sh from the JSON lines of its runs.

    python bench/image_compare_table.py --raw-out RAW.jsonl [--photos-tsv TSV] [--strict] FILE...
    python bench/image_compare_table.py --raw-out /dev/null bench/out/image_compare.jsonl   # again

Each FILE holds JSON lines (anything else is ignored):
  {"tool": T, "file": BASENAME, "op": "jpeg"|"webp"|"avif", "ms": [F, ...],
   "bytes": N, "width": W, "height": H, ...}   one per tool, file, op and run
  {"tool": T, "op": OP, "unavailable": REASON}  T cannot do OP
  {"versions": {...}}                           from bench/image_peers.py
The round is the line's "round" key, else N from a file name r<N>.*; every
parsed line is written, with its round, to RAW.jsonl.

Per op and tool: the median ms per image over every iteration of every file
and round, the mean over the files of each file's median, p10/p90 (all
iterations), the mean output bytes (over the files) and the ratio
"docsmith faster by N x" = peer time / docsmith time for both statistics.
Targets (the issue, JPEG only): docsmith's per-image time at most pyvips' (>= 1x)
and at least 2x faster than Pillow, judged on the median over all iterations.
Then per-file medians, per-round medians, and the checks: every tool's output
size for a file is the same WxH, and no output keeps EXIF/ICC/XMP ("meta").
Exit 2 if --strict and a target is missed (or cannot be judged: no docsmith).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys

from jsonl_rounds import read_round_objects

OPS = ["jpeg", "webp", "avif"]
ORDER = ["docsmith", "pyvips", "pillow"]
LABELS = {
    "docsmith": "docsmith",
    "pyvips": "pyvips (thumbnail_buffer, shrink-on-load)",
    "pillow": "Pillow (open, exif_transpose, resize LANCZOS)",
}
TARGETS = {("jpeg", "pyvips"): 1.0, ("jpeg", "pillow"): 2.0}


def read_lines(paths: list[str]):
    samples, unavailable, versions = [], {}, {}
    for obj in read_round_objects(paths):
        if "versions" in obj and isinstance(obj["versions"], dict):
            for k, v in obj["versions"].items():
                versions.setdefault(k, v)
            samples.append(obj)
        elif "tool" in obj and "unavailable" in obj:
            unavailable[(obj.get("op", "?"), obj["tool"])] = str(obj["unavailable"])
            samples.append(obj)
        elif "tool" in obj and "op" in obj and "file" in obj and isinstance(obj.get("ms"), list):
            obj["ms"] = [float(x) for x in obj["ms"]]
            if obj["ms"]:
                samples.append(obj)
    return samples, unavailable, versions


def q(values: list[float], k: int) -> float:
    """k-th decile, statistics.quantiles(n=10, method="inclusive")."""
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[k - 1]


def fmt_ms(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def fmt_ratio(peer: float | None, ds: float | None) -> str:
    if peer is None or not ds:
        return "–"
    return f"{peer / ds:.2f}×"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw-out", required=True)
    ap.add_argument("--photos-tsv")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args(argv)

    lines, unavailable, versions = read_lines(args.files)
    lines.sort(key=lambda r: r["round"])
    if args.raw_out != "-":
        with open(args.raw_out, "w", encoding="utf-8") as f:
            for r in lines:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    rows = [r for r in lines if "ms" in r]

    photos = {}
    if args.photos_tsv and pathlib.Path(args.photos_tsv).is_file():
        for line in pathlib.Path(args.photos_tsv).read_text(encoding="utf-8").splitlines():
            cols = line.split("\t")
            if len(cols) >= 6:
                photos[cols[0]] = {"w": int(cols[1]), "h": int(cols[2]), "comp": cols[3],
                                   "prog": cols[4], "bytes": int(cols[5])}

    # (op, tool) -> file -> list of records
    data: dict[tuple[str, str], dict[str, list[dict]]] = {}
    for r in rows:
        data.setdefault((r["op"], r["tool"]), {}).setdefault(r["file"], []).append(r)
    tools_seen = {t for (_, t) in data} | {t for (_, t) in unavailable}
    tools = [t for t in ORDER if t in tools_seen] + sorted(tools_seen - set(ORDER))
    ops = [o for o in OPS if any(k[0] == o for k in list(data) + list(unavailable))]
    ops += sorted({k[0] for k in data} - set(OPS))
    rounds = sorted({r["round"] for r in rows})

    def stats(op: str, tool: str):
        per_file = data.get((op, tool))
        if not per_file:
            return None
        all_ms = [x for recs in per_file.values() for r in recs for x in r["ms"]]
        file_medians = {f: statistics.median([x for r in recs for x in r["ms"]]) for f, recs in per_file.items()}
        sizes = [recs[-1]["bytes"] for recs in per_file.values() if isinstance(recs[-1].get("bytes"), int)]
        return {
            "files": len(per_file),
            "n": len(all_ms),
            "median": statistics.median(all_ms),
            "mean_file_median": statistics.fmean(file_medians.values()),
            "p10": q(all_ms, 1),
            "p90": q(all_ms, 9),
            "bytes": statistics.fmean(sizes) if sizes else None,
            "file_medians": file_medians,
        }

    out: list[str] = []
    missed: list[str] = []
    out.append("### Per image, by op\n")
    out.append("ms per image: the median over all iterations of all files and rounds (\"median\"), and the mean "
               "over the files of each file's median (\"mean of file medians\"). \"docsmith faster by\" = peer "
               "time / docsmith time (> 1×: docsmith is faster), for each of the two.\n")
    out.append("| op | tool | files | samples | median ms | mean of file medians ms | p10 ms | p90 ms "
               "| mean output bytes | docsmith faster by (median) | (mean of file medians) | target | met |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|")
    all_stats = {}
    for op in ops:
        ds = stats(op, "docsmith")
        for t in tools:
            s = stats(op, t)
            all_stats[(op, t)] = s
            target = TARGETS.get((op, t))
            tgt = f">= {target:g}×" if target else ""
            if s is None:
                reason = unavailable.get((op, t), "no data")
                out.append(f"| {op} | {LABELS.get(t, t)} | | | **unavailable**: {reason} | | | | | | | {tgt} | |")
                if target:
                    missed.append(f"{op} {t}: no data")
                continue
            met = ""
            if t == "docsmith":
                r_med = r_mean = "–"
            else:
                r_med = fmt_ratio(s["median"], ds and ds["median"])
                r_mean = fmt_ratio(s["mean_file_median"], ds and ds["mean_file_median"])
                if target:
                    if ds is None:
                        met = "? (no docsmith)"
                        missed.append(f"{op} vs {t}: no docsmith number")
                    elif s["median"] / ds["median"] >= target:
                        met = "yes"
                    else:
                        met = "**NO**"
                        missed.append(f"{op} vs {t}: {s['median'] / ds['median']:.2f}× < {target:g}×")
            size = f"{s['bytes']:.0f}" if s["bytes"] is not None else "?"
            out.append(f"| {op} | {LABELS.get(t, t)} | {s['files']} | {s['n']} | {fmt_ms(s['median'])} "
                       f"| {fmt_ms(s['mean_file_median'])} | {fmt_ms(s['p10'])} | {fmt_ms(s['p90'])} | {size} "
                       f"| {r_med} | {r_mean} | {tgt} | {met} |")

    # Per file: median ms and output bytes of each tool.
    out.append("\n### Per file: median ms (output bytes)\n")
    for op in ops:
        op_tools = [t for t in tools if all_stats.get((op, t))]
        if not op_tools:
            continue
        files = sorted({f for t in op_tools for f in data[(op, t)]})
        out.append(f"**{op}**\n")
        out.append("| file | input | " + " | ".join(op_tools) + " |")
        out.append("|---|---|" + "---:|" * len(op_tools))
        for f in files:
            ph = photos.get(f)
            inp = f"{ph['w']}x{ph['h']} {ph['prog']} {ph['bytes'] / 1e6:.2f} MB" if ph else ""
            cells = []
            for t in op_tools:
                recs = data[(op, t)].get(f)
                if not recs:
                    cells.append("–")
                    continue
                cells.append(f"{fmt_ms(all_stats[(op, t)]['file_medians'][f])} ({recs[-1].get('bytes', '?')})")
            out.append(f"| {f} | {inp} | " + " | ".join(cells) + " |")
        out.append("")

    # Per round: to see the noise.
    if len(rounds) > 1 or rows:
        out.append("### Per round: median ms over that round's iterations\n")
        cols = [(op, t) for op in ops for t in tools if all_stats.get((op, t))]
        out.append("| round | " + " | ".join(f"{op} {t}" for op, t in cols) + " |")
        out.append("|---:|" + "---:|" * len(cols))
        for rnd in rounds:
            cells = []
            for op, t in cols:
                ms = [x for r in rows if r["round"] == rnd and r["op"] == op and r["tool"] == t for x in r["ms"]]
                cells.append(fmt_ms(statistics.median(ms)) if ms else "–")
            out.append(f"| {rnd} | " + " | ".join(cells) + " |")
        out.append("")

    # Checks: same output size per file across tools; no metadata left.
    problems = []
    for op in ops:
        by_file: dict[str, dict[str, tuple]] = {}
        for t in tools:
            for f, recs in data.get((op, t), {}).items():
                dims = {(r.get("width"), r.get("height")) for r in recs}
                by_file.setdefault(f, {})[t] = tuple(sorted(dims, key=str))
                meta = sorted({m for r in recs for m in (r.get("meta") or [])})
                if meta:
                    problems.append(f"{op} {t} {f}: output keeps metadata {meta}")
        for f, dims in sorted(by_file.items()):
            if len(set(dims.values())) > 1:
                problems.append(f"{op} {f}: output sizes differ: "
                                + ", ".join(f"{t} {'/'.join(f'{w}x{h}' for w, h in d)}" for t, d in dims.items()))
    out.append("### Checks\n")
    if problems:
        out.extend(f"- **{p}**" for p in problems)
    else:
        out.append("- every tool wrote the same width x height for each file and op; "
                   "no output kept EXIF, ICC or XMP (where the tool reports \"meta\")")
    for (op, t), reason in sorted(unavailable.items()):
        out.append(f"- {t} {op}: unavailable: {reason}")
    if versions:
        out.append("\nVersions: `" + json.dumps(versions, ensure_ascii=False, sort_keys=True) + "`")

    print("\n".join(out))
    if missed:
        print(f"targets missed or not judged: {'; '.join(missed)}", file=sys.stderr)
        if args.strict:
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
