"""Opens each rendered sample with openpyxl and compares it with its job.

Usage: check_xlsx.py SAMPLES_DIR OUTPUT_DIR

For every `SAMPLES_DIR/NAME.json` with format xlsx, `OUTPUT_DIR/NAME.xlsx`
must open in openpyxl with the job's sheets in order, the header texts in
row 1, one row per job row, and the same values in the cells of plain
columns (strings, numbers, booleans); date columns must hold real dates.
"""

import datetime
import json
import pathlib
import sys

import openpyxl


def column_value(row, index, column):
    if isinstance(row, dict):
        return row.get(column.get("key") or column.get("header"))
    return row[index] if index < len(row) else None


def check(job_path: pathlib.Path, xlsx_path: pathlib.Path) -> int:
    job = json.loads(job_path.read_text())
    book = openpyxl.load_workbook(xlsx_path)
    problems = 0
    sheets = job["workbook"]["sheets"]
    if book.sheetnames[: len(sheets)] != [s["name"] for s in sheets]:
        print(f"{xlsx_path}: sheets {book.sheetnames} != job {[s['name'] for s in sheets]}")
        return 1
    for spec in sheets:
        ws = book[spec["name"]]
        columns = spec["columns"]
        header = spec.get("header", True)
        first = 2 if header else 1
        if header:
            got = [ws.cell(row=1, column=i + 1).value for i in range(len(columns))]
            want = [c.get("header") for c in columns]
            if got != want:
                print(f"{xlsx_path}:{spec['name']}: header {got} != {want}")
                problems += 1
        for r, row in enumerate(spec["rows"]):
            for c, column in enumerate(columns):
                value = column_value(row, c, column)
                kind = column.get("type", "string")
                cell = ws.cell(row=first + r, column=c + 1).value
                if value is None or isinstance(value, dict):
                    continue
                if kind in ("date", "datetime"):
                    ok = isinstance(cell, datetime.datetime)
                    if ok and kind == "date":
                        ok = cell.date().isoformat() == value[:10]
                elif kind in ("number", "currency", "percent", "integer"):
                    ok = isinstance(cell, (int, float)) and abs(cell - value) < 1e-9
                elif kind == "bool":
                    ok = cell is value
                elif kind == "string" and isinstance(value, str):
                    ok = cell == value
                else:
                    continue
                if not ok:
                    print(f"{xlsx_path}:{spec['name']}!R{first + r}C{c + 1}: {cell!r} != job {value!r} ({kind})")
                    problems += 1
    return problems


def main() -> int:
    samples, outputs = map(pathlib.Path, sys.argv[1:3])
    checked = problems = 0
    for job_path in sorted(samples.glob("*.json")):
        job = json.loads(job_path.read_text())
        if job.get("format") != "xlsx" or "workbook" not in job:
            continue
        problems += check(job_path, outputs / f"{job_path.stem}.xlsx")
        checked += 1
    print(f"openpyxl read {checked} workbooks; {problems} mismatches")
    return 1 if problems or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
