#!/usr/bin/env python3
"""Generate the deterministic big DOCX benchmark job: paragraphs and one long table.

    python bench/gen_docx_big_job.py --out bench/out/docx_big_job.json
    python bench/gen_docx_big_job.py --paragraphs 200 --rows 100 > small.json
    python bench/gen_docx_big_job.py --format pdf --out big-pdf.json   # same document as a PDF job

The job uses the document model as JSON (README "PDF jobs", templates/README.md
"The JSON form of a document"), so the same job renders as DOCX or PDF:

    {"format": "docx", "filename": "docx-big.docx", "document": {
      "metadata": {"title", "author", "created"},
      "content": [
        {"type": "h1", "text": "1 Ledger"},                        every 200th
        {"type": "h2", "text": "1.2 Amber notes"},                 every 25th otherwise
        {"type": "p", "children": ["plain ", {"type": "b", "text": "bold"},
                                   " plain ", {"type": "i", "text": "italic"}, " plain."]},
        ...                                                        PARAGRAPHS blocks in all
        {"type": "table", "columns": "* 3* 2* * 2*", "header-rows": 1, "border": 0.5,
         "children": [{"type": "tr", "bold": true, "children": [{"type": "th", "text": "ID"}, ...]},
                      {"type": "tr", "children": [{"type": "td", "text": "R-00001"}, ...]}, ...]}]}}

PARAGRAPHS (default 2,000) counts every heading and paragraph: one in 25 is a
heading (h1 every 200th, else h2), one in three paragraphs has a bold span,
one in four an italic span. The table has a header row (ID, Customer, Date,
Quantity, Amount) and ROWS (default 1,000) body rows of plain text cells.
bench/docx_python_docx.py builds the same document from this job with
python-docx. A fixed-seed PRNG makes the output byte-identical for the same
arguments. Standard library only (runs with any python3).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys

DEFAULT_SEED = 20261126
HEADER = ["ID", "Customer", "Date", "Quantity", "Amount"]
WORDS = (
    "amber anchor archive balance basket beacon border bridge budget canvas carbon cedar "
    "channel cipher cobalt column compass copper corner cotton crystal current delta desk "
    "digest ember engine field filter fjord forest garden granite harbor herald index "
    "invoice island journal juniper kernel ledger lumen margin meadow mesa metric nimbus "
    "north orbit outline paper parcel pilot planter prism quarter quartz record region "
    "river saddle sample signal silver sketch slate spring summit table timber tower "
    "travel update valley vector velvet voyage window winter yield zenith"
).split()
FIRST = "Ada Alan Chloé Dmitri Elif Farah Grace Hiro Ines Jonas Kamala Lars Mei Nadia Omar Priya Rosa Sven Tariq Zoë".split()
LAST = "Lovelace Turing Dubois Ivanov Yılmaz Haddad Hopper Tanaka Ortega Berg Rao Nilsen Chen Kowalski Aziz Patel Silva Lund Karimi Weber".split()


def words(rng: random.Random, lo: int, hi: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def sentence(rng: random.Random) -> str:
    s = words(rng, 8, 18)
    return s[0].upper() + s[1:] + "."


def paragraph(rng: random.Random, index: int) -> dict:
    """A body paragraph; some with a bold and/or an italic span between plain text."""
    text = " ".join(sentence(rng) for _ in range(rng.randint(1, 3)))
    if index % 3 != 1 and index % 4 != 2:
        return {"type": "p", "text": text}
    children: list = [text + " "]
    if index % 3 == 1:
        children += [{"type": "b", "text": words(rng, 2, 4)}, " " + words(rng, 3, 8) + " "]
    if index % 4 == 2:
        children += [{"type": "i", "text": words(rng, 2, 5)}, " " + words(rng, 3, 8) + " "]
    children[-1] = children[-1][:-1] + "."
    return {"type": "p", "children": children}


def make_job(paragraphs: int, rows: int, seed: int, fmt: str) -> dict:
    rng = random.Random(seed)
    content: list[dict] = []
    h1 = h2 = 0
    for i in range(paragraphs):
        if i % 200 == 0:
            h1, h2 = h1 + 1, 0
            content.append({"type": "h1", "text": f"{h1} {words(rng, 1, 3).title()}"})
        elif i % 25 == 0:
            h2 += 1
            content.append({"type": "h2", "text": f"{h1}.{h2} {words(rng, 2, 4).capitalize()}"})
        else:
            content.append(paragraph(rng, i))
    table_rows = [{"type": "tr", "bold": True, "children": [{"type": "th", "text": h} for h in HEADER]}]
    for r in range(1, rows + 1):
        cents = rng.randint(500, 2_500_000)
        cells = [
            f"R-{r:05d}",
            f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            str(rng.randint(1, 250)),
            f"{cents // 100:,}.{cents % 100:02d}",
        ]
        table_rows.append({"type": "tr", "children": [{"type": "td", "text": c} for c in cells]})
    content.append({"type": "table", "columns": "* 3* 2* * 2*", "header-rows": 1, "border": 0.5,
                    "children": table_rows})
    return {
        "format": fmt,
        "filename": f"docx-big.{fmt}",
        "document": {
            "metadata": {"title": "docsmith DOCX benchmark", "author": "bench/gen_docx_big_job.py",
                         "created": "2026-11-26T08:00:00Z"},
            "content": content,
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--paragraphs", type=int, default=2000, help="headings + paragraphs (2000)")
    ap.add_argument("--rows", type=int, default=1000, help="table body rows (1000)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"PRNG seed (default {DEFAULT_SEED})")
    ap.add_argument("--format", default="docx", choices=("docx", "pdf"), help="job format (docx)")
    ap.add_argument("--out", help="write here instead of stdout")
    args = ap.parse_args(argv)
    if args.paragraphs < 0 or args.rows < 0:
        ap.error("--paragraphs and --rows must be >= 0")
    job = make_job(args.paragraphs, args.rows, args.seed, args.format)
    data = (json.dumps(job, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    if args.out:
        with open(args.out + ".partial", "wb") as f:
            f.write(data)
        os.replace(args.out + ".partial", args.out)
    else:
        sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
