#!/usr/bin/env python3
"""Peer for the XLSX benchmark: render a docsmith XLSX job with Python XlsxWriter.

    python bench/xlsxwriter_peer.py JOB.json OUT.xlsx [--timing]

Does the same work as `docsmith render JOB.json -o OUT.xlsx`: parse the job
JSON (json.load, inside the timing), then write every sheet with XlsxWriter in
constant_memory mode (rows streamed to disk, inline strings): bold header row,
frozen header (unless "freeze_header": false), one cell format per typed
column, dates as real Excel dates, bools as bools.

Column type -> what is written (a column's own "format" wins when given):
    string    write_string
    integer   write_number   (format: none / General)
    number    write_number   (format: none / General)
    currency  write_number   '#,##0.00 "€"' for EUR, '"$"#,##0.00' for USD, ...
    percent   write_number   '0.00%'
    date      write_datetime 'yyyy-mm-dd'            (value: ISO "YYYY-MM-DD")
    datetime  write_datetime 'yyyy-mm-dd hh:mm:ss'   (value: ISO 8601)
    bool      write_boolean
    formula   write_formula
    hyperlink write_url      (value: "URL" or {"url": ..., "text": ...})
null cells are left empty.

The input may also be a plain JSON array of rows (gen_xlsx_job.py --rows-only);
then the benchmark's 10 default columns are assumed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time

import xlsxwriter

CURRENCY_FORMATS = {
    "EUR": '#,##0.00 "€"',
    "USD": '"$"#,##0.00',
    "GBP": '"£"#,##0.00',
    "JPY": '"¥"#,##0',
    "CHF": '"CHF" #,##0.00',
}
DEFAULT_FORMATS = {
    "percent": "0.00%",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
}


def _parse_datetime(v):
    return dt.datetime.fromisoformat(v)


def _write_url(ws, r, c, v, fmt):
    if isinstance(v, dict):
        return ws.write_url(r, c, v["url"], fmt, v.get("text"))
    return ws.write_url(r, c, v, fmt)


def column_writers(wb, ws, columns):
    """Per column: (bound write method, value converter or None, cell format or None)."""
    fmt_cache = {}

    def fmt(num_format):
        if not num_format:
            return None
        if num_format not in fmt_cache:
            fmt_cache[num_format] = wb.add_format({"num_format": num_format})
        return fmt_cache[num_format]

    out = []
    for col in columns:
        t = col.get("type", "string")
        own = col.get("format")
        if t == "string":
            out.append((ws.write_string, None, fmt(own)))
        elif t in ("integer", "number"):
            out.append((ws.write_number, None, fmt(own)))
        elif t == "currency":
            code = (col.get("currency") or "EUR").upper()
            default = CURRENCY_FORMATS.get(code, f'#,##0.00 "{code}"')
            out.append((ws.write_number, None, fmt(own or default)))
        elif t == "percent":
            out.append((ws.write_number, None, fmt(own or DEFAULT_FORMATS["percent"])))
        elif t == "date":
            out.append((ws.write_datetime, dt.date.fromisoformat,
                        fmt(own or DEFAULT_FORMATS["date"])))
        elif t == "datetime":
            out.append((ws.write_datetime, _parse_datetime,
                        fmt(own or DEFAULT_FORMATS["datetime"])))
        elif t == "bool":
            out.append((ws.write_boolean, None, fmt(own)))
        elif t == "formula":
            out.append((ws.write_formula, None, fmt(own)))
        elif t == "hyperlink":
            out.append((lambda r, c, v, f, _ws=ws: _write_url(_ws, r, c, v, f), None, fmt(own)))
        else:
            raise SystemExit(f"unsupported column type {t!r}")
    return out


def write_sheet(wb, sheet):
    ws = wb.add_worksheet(sheet.get("name"))
    columns = sheet["columns"]
    bold = wb.add_format({"bold": True})
    for c, col in enumerate(columns):
        if "width" in col:
            ws.set_column(c, c, col["width"])
    # constant_memory: cells must be written row by row, so set the pane and
    # the header first.
    if sheet.get("freeze_header", True):
        ws.freeze_panes(1, 0)
    for c, col in enumerate(columns):
        ws.write_string(0, c, col["header"], bold)

    writers = column_writers(wb, ws, columns)
    r = 1
    for row in sheet["rows"]:
        for c, v in enumerate(row):
            if v is None:
                continue
            write, conv, f = writers[c]
            write(r, c, conv(v) if conv else v, f)
        r += 1
    return r - 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("job", help="docsmith job JSON (or a plain JSON array of rows)")
    ap.add_argument("out", help="output .xlsx path")
    ap.add_argument("--timing", action="store_true", help="print phase timings to stderr")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    with open(args.job, "rb") as f:
        job = json.load(f)
    t1 = time.perf_counter()

    if isinstance(job, list):  # plain rows
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from gen_xlsx_job import COLUMNS
        sheets = [{"name": "Data", "columns": COLUMNS, "rows": job}]
    else:
        if job.get("format") != "xlsx":
            raise SystemExit(f"not an xlsx job (format={job.get('format')!r})")
        sheets = job["workbook"]["sheets"]

    wb = xlsxwriter.Workbook(args.out, {"constant_memory": True, "remove_timezone": True})
    n = 0
    for sheet in sheets:
        n += write_sheet(wb, sheet)
    t2 = time.perf_counter()
    wb.close()  # assembles and deflates the zip
    t3 = time.perf_counter()

    if args.timing:
        print(f"peer: rows={n} json_load={t1 - t0:.3f}s write={t2 - t1:.3f}s "
              f"close={t3 - t2:.3f}s total={t3 - t0:.3f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
