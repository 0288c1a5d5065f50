#!/usr/bin/env python3
"""Generate a deterministic docsmith XLSX job (10 mixed-type columns, N rows).

    python bench/gen_xlsx_job.py                       # 100,000 rows -> stdout
    python bench/gen_xlsx_job.py --rows 20 --out job.json
    python bench/gen_xlsx_job.py --rows-only --out rows.json   # plain [[...], ...]

The data come from a fixed-seed PRNG, so the same --rows/--seed always gives a
byte-identical file. Standard library only (runs with any python3).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys

COLUMNS = [
    {"header": "ID", "type": "integer"},
    {"header": "Date", "type": "date"},
    {"header": "Customer", "type": "string"},
    {"header": "Region", "type": "string"},
    {"header": "Units", "type": "integer"},
    {"header": "Price", "type": "currency", "currency": "EUR"},
    {"header": "Amount", "type": "number", "format": "#,##0.00"},
    {"header": "Margin", "type": "percent"},
    {"header": "Paid", "type": "bool"},
    {"header": "Note", "type": "string"},
]

REGIONS = ["North", "South", "East", "West", "Central", "Overseas"]
NOTES = [
    "",
    "note text",
    "priority customer",
    "invoice sent by e-mail",
    "paid in two instalments",
    "Zahlung über SEPA-Lastschrift",  # non-ASCII on purpose
    "call before delivery; loading dock closes at 16:00",
    "discount & rebate <agreed> \"Q1\"",  # XML-escaping on purpose
]
DEFAULT_SEED = 20260115
BASE_DATE = dt.date(2024, 1, 1)


def gen_rows(n: int, seed: int = DEFAULT_SEED) -> list[list]:
    rnd = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        units = rnd.randint(1, 500)
        price = round(rnd.uniform(0.5, 999.99), 2)
        rows.append([
            i,
            (BASE_DATE + dt.timedelta(days=rnd.randint(0, 1095))).isoformat(),
            f"Customer {rnd.randint(1, 20000):05d}",
            rnd.choice(REGIONS),
            units,
            price,
            round(units * price, 2),
            round(rnd.uniform(-0.25, 0.65), 4),
            rnd.random() < 0.7,
            rnd.choice(NOTES),
        ])
    return rows


def make_job(rows: list[list], filename: str = "big.xlsx") -> dict:
    return {
        "format": "xlsx",
        "filename": filename,
        "workbook": {"sheets": [{"name": "Data", "columns": COLUMNS, "rows": rows}]},
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000, help="data rows (default 100000)")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--out", default="-", help="output path, '-' = stdout (default)")
    ap.add_argument("--filename", default="big.xlsx", help='the job\'s "filename"')
    ap.add_argument("--rows-only", action="store_true",
                    help="emit just the rows as a plain JSON array (no job wrapper)")
    args = ap.parse_args(argv)
    if args.rows < 0:
        ap.error("--rows must be >= 0")

    rows = gen_rows(args.rows, args.seed)
    doc = rows if args.rows_only else make_job(rows, args.filename)
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    if args.out == "-":
        sys.stdout.write(text + "\n")
    else:
        tmp = args.out + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, args.out)  # atomic: a cached job is never half-written
    return 0


if __name__ == "__main__":
    sys.exit(main())
