#!/usr/bin/env python3
"""Markdown table for bench/pdf_compare.sh from the per-round JSON lines.

    python bench/pdf_compare_table.py --raw-out RAW.jsonl ROUND_FILE...

Each ROUND_FILE is named r<ROUND>.<anything> and holds the stdout of one
timing run: JSON lines {"tool", "median_ms", "p10_ms", "p90_ms", "bytes", ...}
(other lines are ignored). Per tool: the median over the rounds of median,
p10 and p90; bytes from the last round; ratio = tool median / docsmith median
(how many times slower than docsmith; > 1 = docsmith faster), checked against
the targets (weasyprint >= 150x, reportlab >= 10x, reportlab_segno: the
ReportLab target too). Prints the table, then a line per round; writes every
parsed line, with its round, to RAW.jsonl. Exit 2 if a target is missed and
--strict is given.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from jsonl_rounds import read_round_objects

TARGETS = {"weasyprint": 150.0, "reportlab": 10.0, "reportlab_segno": 10.0}
LABELS = {
    "docsmith": "docsmith",
    "weasyprint": "WeasyPrint (HTML+CSS)",
    "reportlab": "ReportLab (platypus, stock QR widget)",
    "reportlab_segno": "ReportLab (platypus, segno QR path)",
}
ORDER = ["docsmith", "weasyprint", "reportlab", "reportlab_segno"]


def read_rounds(paths: list[str]) -> list[dict]:
    rows = [obj for obj in read_round_objects(paths, line_round_wins=False) if "tool" in obj and "median_ms" in obj]
    return sorted(rows, key=lambda r: r["round"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw-out", required=True)
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args(argv)
    rows = read_rounds(args.files)
    with open(args.raw_out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")

    by_tool: dict[str, list[dict]] = {}
    for r in rows:
        by_tool.setdefault(r["tool"], []).append(r)
    tools = [t for t in ORDER if t in by_tool] + sorted(t for t in by_tool if t not in ORDER)
    med = {t: statistics.median(float(r["median_ms"]) for r in by_tool[t]) for t in tools}
    ds = med.get("docsmith")

    out = ["| tool | median ms | p10 ms | p90 ms | PDF bytes | ratio vs docsmith | target | met |",
           "|---|---:|---:|---:|---:|---:|---:|:---:|"]
    missed = []
    for t in tools:
        rs = by_tool[t]
        p10 = statistics.median(float(r["p10_ms"]) for r in rs)
        p90 = statistics.median(float(r["p90_ms"]) for r in rs)
        size = rs[-1].get("bytes", "")
        target = TARGETS.get(t)
        if t == "docsmith":
            ratio, tgt, met = "1.00x", "", ""
        elif ds:
            x = med[t] / ds
            ratio = f"**{x:.1f}x**"
            tgt = f">= {target:g}x" if target else ""
            met = ("yes" if x >= target else "**NO**") if target else ""
            if target and x < target:
                missed.append(f"{t}: {x:.1f}x < {target:g}x")
        else:
            ratio, tgt, met = "n/a (no docsmith)", (f">= {target:g}x" if target else ""), ""
        out.append(f"| {LABELS.get(t, t)} | {med[t]:.2f} | {p10:.2f} | {p90:.2f} | {size} | {ratio} | {tgt} | {met} |")
    print("\n".join(out))
    print()
    print("Per round (median ms):")
    print()
    for t in tools:
        vals = ", ".join(f"r{r['round']} {float(r['median_ms']):.2f}" for r in by_tool[t])
        print(f"- {t}: {vals}")
    versions = {t: by_tool[t][-1].get("version") for t in tools if by_tool[t][-1].get("version")}
    fonts = {by_tool[t][-1].get("font") for t in tools if by_tool[t][-1].get("font")}
    if versions:
        print()
        print("Versions: " + "; ".join(f"{t}: {v}" for t, v in versions.items()))
    if fonts:
        print()
        print("Peer font: " + "; ".join(sorted(fonts)))
    if missed:
        print()
        print("**Targets missed:** " + "; ".join(missed))
    return 2 if (missed and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
