#!/usr/bin/env python3
"""Sanity-check benchmark outputs against the job they were rendered from.

    python bench/check_xlsx.py --job JOB.json A.xlsx [B.xlsx ...]

For every file: the sheet names, the row count (header + data rows), the header
text, and EVERY cell value (read with python-calamine) equal the job's data,
typed: integers/numbers/currency/percent as numbers, dates as dates, bools as
bools, strings as strings. With openpyxl (read_only) it checks the styles of
the header and first data rows: header bold; date columns carry a date format,
percent columns a '%' format, currency/number columns their decimals. From
the sheet XML: the header row is frozen (unless "freeze_header": false).
When several files are given, their cell values must also equal each other.
Exit status 1 on any mismatch (the first few are printed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import posixpath
import re
import sys
import zipfile

import openpyxl
from openpyxl.styles.numbers import is_date_format
from python_calamine import CalamineWorkbook

MAX_REPORTED = 10


class Problems:
    def __init__(self, label: str):
        self.label = label
        self.items: list[str] = []

    def add(self, msg: str) -> None:
        self.items.append(msg)
        if len(self.items) <= MAX_REPORTED:
            print(f"  FAIL {self.label}: {msg}", file=sys.stderr)


def cell_ref(r: int, c: int) -> str:
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{r + 1}"


def expected_value(col_type: str, v):
    """The value calamine should return for a job cell (None = empty)."""
    if v is None or v == "":
        return None
    if col_type in ("integer", "number", "currency", "percent"):
        return float(v)
    if col_type == "date":
        return dt.date.fromisoformat(v)
    if col_type == "datetime":
        return dt.datetime.fromisoformat(v).replace(tzinfo=None)
    if col_type == "bool":
        return bool(v)
    if col_type == "hyperlink":
        return v.get("text") or v["url"] if isinstance(v, dict) else v
    return v  # string (formula results are not computed: skipped by caller)


def same(a, b) -> bool:
    if a == "" or a is None:
        a = None
    if b == "" or b is None:
        b = None
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, dt.datetime) and isinstance(b, dt.date) and not isinstance(b, dt.datetime):
        return a == dt.datetime.combine(b, dt.time())
    if isinstance(b, dt.datetime) and isinstance(a, dt.date) and not isinstance(a, dt.datetime):
        return b == dt.datetime.combine(a, dt.time())
    if isinstance(a, dt.datetime) and isinstance(b, dt.datetime):
        return abs((a - b).total_seconds()) < 0.001
    return type(a) is type(b) and a == b


def sheet_xml_paths(path: str) -> dict[str, str]:
    """sheet name -> part name of its worksheet XML, via workbook.xml + rels."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode("utf-8")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets = {}
    for m in re.finditer(r"<Relationship\b[^>]*>", rels):
        tag = m.group(0)
        rid = re.search(r'\bId="([^"]+)"', tag)
        tgt = re.search(r'\bTarget="([^"]+)"', tag)
        if rid and tgt:
            t = tgt.group(1)
            targets[rid.group(1)] = t.lstrip("/") if t.startswith("/") else posixpath.join("xl", t)
    out = {}
    for m in re.finditer(r"<sheet\b[^>]*>", wb):
        tag = m.group(0)
        name = re.search(r'\bname="([^"]*)"', tag)
        rid = re.search(r'\br:id="([^"]+)"', tag) or re.search(r'\bid="([^"]+)"', tag)
        if name and rid and rid.group(1) in targets:
            out[name.group(1)] = targets[rid.group(1)]
    return out


def header_frozen(path: str, part: str) -> bool:
    with zipfile.ZipFile(path) as z, z.open(part) as f:
        head = f.read(64 * 1024).decode("utf-8", "replace")  # sheetViews precede sheetData
    head = head.split("<sheetData", 1)[0]
    pane = re.search(r"<pane\b[^>]*>", head)
    if not pane:
        return False
    tag = pane.group(0)
    return ('ySplit="1"' in tag and re.search(r'state="frozen(Split)?"', tag) is not None)


def check_styles(path: str, sheets: list[dict], probs: Problems) -> None:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        for sheet in sheets:
            ws = wb[sheet["name"]]
            cols = sheet["columns"]
            rows = ws.iter_rows(min_row=1, max_row=min(4, 1 + len(sheet["rows"])))
            for r, row in enumerate(rows):
                for c, cell in enumerate(row[: len(cols)]):
                    if getattr(cell, "value", None) is None:
                        continue
                    where = f"{sheet['name']}!{cell_ref(r, c)}"
                    if r == 0:
                        if not cell.font or not cell.font.b:
                            probs.add(f"{where}: header not bold")
                        continue
                    t, nf = cols[c].get("type", "string"), cell.number_format or "General"
                    own = cols[c].get("format")
                    if own and nf != own:
                        probs.add(f"{where}: number format {nf!r}, job asks {own!r}")
                    elif t in ("date", "datetime") and not is_date_format(nf):
                        probs.add(f"{where}: {t} column has non-date format {nf!r}")
                    elif t == "percent" and "%" not in nf:
                        probs.add(f"{where}: percent column has format {nf!r}")
                    elif t == "currency" and ".00" not in nf and "0" not in nf:
                        probs.add(f"{where}: currency column has format {nf!r}")
    finally:
        wb.close()


def check_file(path: str, job: dict) -> tuple[list[list], int]:
    probs = Problems(path)
    sheets = job["workbook"]["sheets"]
    try:
        book = CalamineWorkbook.from_path(path)
    except Exception as e:  # noqa: BLE001 - report any reader failure
        probs.add(f"cannot open: {e}")
        print(f"FAIL {path}: not a readable workbook")
        return [], len(probs.items)
    names = list(book.sheet_names)
    want_names = [s["name"] for s in sheets]
    if names != want_names:
        probs.add(f"sheet names {names} != job {want_names}")

    all_values = []
    ncells = 0
    for sheet in sheets:
        if sheet["name"] not in names:
            continue
        got = book.get_sheet_by_name(sheet["name"]).to_python(skip_empty_area=False)
        all_values.append(got)
        cols, data = sheet["columns"], sheet["rows"]
        if len(got) != 1 + len(data):
            probs.add(f"{sheet['name']}: {len(got)} rows, expected {1 + len(data)} (header + data)")
        headers = [c["header"] for c in cols]
        if got and list(got[0][: len(cols)]) != headers:
            probs.add(f"{sheet['name']}: header {got[0][:len(cols)]} != {headers}")
        types = [c.get("type", "string") for c in cols]
        for r, (grow, jrow) in enumerate(zip(got[1:], data), start=1):
            for c, t in enumerate(types):
                if t == "formula":
                    continue
                want = expected_value(t, jrow[c] if c < len(jrow) else None)
                have = grow[c] if c < len(grow) else None
                ncells += 1
                if not same(have, want):
                    probs.add(f"{sheet['name']}!{cell_ref(r, c)}: got {have!r}, expected {want!r}")
        part = sheet_xml_paths(path).get(sheet["name"])
        if sheet.get("freeze_header", True):
            if part is None or not header_frozen(path, part):
                probs.add(f"{sheet['name']}: header row is not frozen")
    check_styles(path, sheets, probs)
    status = "OK  " if not probs.items else "FAIL"
    print(f"{status} {path}: {sum(len(v) for v in all_values)} rows, {ncells} data cells checked"
          + (f", {len(probs.items)} problem(s)" if probs.items else ""))
    return all_values, len(probs.items)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--job", required=True, help="the job JSON the files were rendered from")
    ap.add_argument("files", nargs="+", help=".xlsx files to check")
    args = ap.parse_args(argv)
    with open(args.job, "rb") as f:
        job = json.load(f)

    failures = 0
    results = []
    for path in args.files:
        values, n = check_file(path, job)
        failures += n
        results.append((path, values))

    # Cross-check: all files hold the same values (cell by cell).
    base_path, base = results[0]
    for path, values in results[1:]:
        probs = Problems(f"{base_path} vs {path}")
        if len(base) != len(values):
            probs.add(f"{len(base)} vs {len(values)} readable sheets")
        for s, (a_rows, b_rows) in enumerate(zip(base, values)):
            if len(a_rows) != len(b_rows):
                probs.add(f"sheet {s}: {len(a_rows)} vs {len(b_rows)} rows")
            for r, (a, b) in enumerate(zip(a_rows, b_rows)):
                for c in range(max(len(a), len(b))):
                    av = a[c] if c < len(a) else None
                    bv = b[c] if c < len(b) else None
                    if not same(av, bv):
                        probs.add(f"sheet {s} {cell_ref(r, c)}: {av!r} vs {bv!r}")
        failures += len(probs.items)
        print(("OK  " if not probs.items else "FAIL") + f" {base_path} == {path} (cell values)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
