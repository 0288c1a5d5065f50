#!/usr/bin/env python3
"""The python-docx peer for the big DOCX benchmark, and the checker of its outputs.

    python bench/docx_python_docx.py JOB.json [--iterations 5] [--warmup 1] [--out OUT.docx]
    python bench/docx_python_docx.py --check JOB.json OUT.docx [OUT2.docx ...]

JOB is a document-model job from bench/gen_docx_big_job.py: `h1`/`h2`
headings, paragraphs of plain strings with `b` and `i` spans, and one table
with a header row. The peer builds the same document with python-docx the
usual way: `Document()`, `add_heading`, `add_paragraph` + `add_run` (bold /
italic runs), `add_table` ("Table Grid", column widths in the job's `N*`
proportions, the header rows bold and marked to repeat on every page with
`w:tblHeader`), then `doc.save(BytesIO)`.

One timed iteration = json.loads(job text) -> document -> DOCX bytes in
memory (what a service does per request); imports happen once before. After
--warmup untimed iterations, prints one JSON line on stdout:
    {"tool": "python-docx", "median_ms": ..., "p10_ms": ..., "p90_ms": ...,
     "bytes": ..., "iterations": ..., "version": ..., "lxml": ...}
p10/p90: statistics.quantiles(n=10, method="inclusive"), as the other peers.
The last document goes to --out (default bench/out/docx_big_python_docx.docx).

--check opens each DOCX with python-docx and compares it with the job: the
non-empty body paragraphs are the job's headings and paragraphs, in order and
with the same text; every bold / italic span of the job is inside bold /
italic runs of its paragraph; the first table has the header row plus one
row per job row, with the same cell texts, and its header row repeats
(`w:tblHeader`). How many headings carry a Heading style is reported. One
OK / FAIL line per file; exit 1 if any file fails.
"""

from __future__ import annotations

import argparse
import io
import json
import pathlib
import statistics
import sys
import time

BENCH_DIR = pathlib.Path(__file__).resolve().parent
DEFAULT_OUT = BENCH_DIR / "out" / "docx_big_python_docx.docx"
HEADINGS = {f"h{n}": n for n in range(1, 7)}


def import_docx():
    try:
        import docx  # noqa: PLC0415
        from docx.oxml import OxmlElement  # noqa: PLC0415
        from docx.oxml.ns import qn  # noqa: PLC0415
        from docx.shared import Emu  # noqa: PLC0415
    except ImportError:
        sys.exit("docx_python_docx: python-docx is not installed (pip install -r bench/requirements.txt)")
    return docx, OxmlElement, qn, Emu


docx, OxmlElement, qn, Emu = import_docx()


# --------------------------------------------------------------------------
# the job's content, as both sides see it


def spans(node: dict) -> list[tuple[str, str]]:
    """(kind, text) runs of a heading or paragraph: kind is "", "b" or "i"."""
    if "text" in node:
        return [("", node["text"])]
    out = []
    for child in node.get("children", []):
        if isinstance(child, str):
            out.append(("", child))
        elif child.get("type") in ("b", "i"):
            out.append((child["type"], child["text"]))
        else:
            raise ValueError(f"unsupported inline node {child.get('type')!r}")
    return out


def cell_texts(tr: dict) -> list[str]:
    return [td.get("text", "") for td in tr["children"]]


def relative_widths(columns: str | None, n: int) -> list[float]:
    """Shares of the width from a `columns` list of `*` / `N*` entries (else equal)."""
    parts = (columns or "").split()
    if len(parts) != n or not all(p.endswith("*") for p in parts):
        return [1.0 / n] * n
    weights = [float(p[:-1] or 1) for p in parts]
    return [w / sum(weights) for w in weights]


# --------------------------------------------------------------------------
# the peer


def build(job_text: str) -> bytes:
    """One iteration: job JSON text -> python-docx document -> DOCX bytes."""
    job = json.loads(job_text)
    spec = job["document"]
    doc = docx.Document()
    meta = spec.get("metadata", {})
    doc.core_properties.title = meta.get("title", "")
    doc.core_properties.author = meta.get("author", "")
    for node in spec["content"]:
        kind = node["type"]
        if kind in HEADINGS:
            doc.add_heading(node["text"], level=HEADINGS[kind])
        elif kind == "p":
            p = doc.add_paragraph()
            for style, text in spans(node):
                run = p.add_run(text)
                if style == "b":
                    run.bold = True
                elif style == "i":
                    run.italic = True
        elif kind == "table":
            add_table(doc, node)
        else:
            raise ValueError(f"unsupported block node {kind!r}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def add_table(doc, node: dict) -> None:
    rows = node["children"]
    ncols = len(rows[0]["children"])
    header_rows = int(node.get("header-rows", 0))
    table = doc.add_table(rows=0, cols=ncols)
    table.style = "Table Grid"
    section = doc.sections[-1]
    usable = section.page_width - section.left_margin - section.right_margin
    for column, share in zip(table.columns, relative_widths(node.get("columns"), ncols)):
        column.width = Emu(int(usable * share))  # add_row copies these into every cell
    for i, tr in enumerate(rows):
        row = table.add_row()
        if i < header_rows:
            row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
            for cell, text in zip(row.cells, cell_texts(tr)):
                cell.paragraphs[0].add_run(text).bold = True
        else:
            for cell, text in zip(row.cells, cell_texts(tr)):
                cell.text = text


def quantiles(samples: list[float]) -> tuple[float, float, float]:
    med = statistics.median(samples)
    if len(samples) < 2:
        return med, med, med
    q = statistics.quantiles(samples, n=10, method="inclusive")
    return med, q[0], q[-1]


def run_peer(args) -> int:
    text = pathlib.Path(args.job).read_text(encoding="utf-8")
    for _ in range(args.warmup):
        build(text)
    samples = []
    data = b""
    for _ in range(args.iterations):
        t0 = time.perf_counter()
        data = build(text)
        samples.append((time.perf_counter() - t0) * 1000.0)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    med, p10, p90 = quantiles(samples)
    from importlib.metadata import version  # noqa: PLC0415
    print(json.dumps({
        "tool": "python-docx", "median_ms": round(med, 3), "p10_ms": round(p10, 3), "p90_ms": round(p90, 3),
        "bytes": len(data), "iterations": args.iterations, "version": version("python-docx"),
        "lxml": version("lxml"),
    }), flush=True)
    return 0


# --------------------------------------------------------------------------
# the checker


def effective(run, attr: str) -> bool:
    """Bold / italic of a run: its own setting, else its character style's."""
    value = getattr(run, attr)
    if value is None and run.style is not None:
        value = getattr(run.style.font, attr)
    return bool(value)


def is_table_header(row) -> bool:
    trPr = row._tr.trPr
    return trPr is not None and trPr.find(qn("w:tblHeader")) is not None and \
        trPr.find(qn("w:tblHeader")).get(qn("w:val"), "true") not in ("0", "false", "off")


def check_file(path: pathlib.Path, spec: dict) -> tuple[list[str], str]:
    """(problems, summary) for one DOCX against the job's document."""
    try:
        doc = docx.Document(str(path))
    except Exception as e:  # noqa: BLE001 - any failure to open is the finding
        return [f"python-docx cannot open it: {type(e).__name__}: {e}"], ""
    problems: list[str] = []
    blocks = [n for n in spec["content"] if n["type"] in HEADINGS or n["type"] == "p"]
    tables = [n for n in spec["content"] if n["type"] == "table"]
    paras = [p for p in doc.paragraphs if p.text.strip()]
    if len(paras) != len(blocks):
        problems.append(f"{len(paras)} non-empty body paragraphs, the job has {len(blocks)} headings + paragraphs")
    bold_want = italic_want = bold_ok = italic_ok = headings_styled = 0
    mismatches = 0
    for i, (node, p) in enumerate(zip(blocks, paras)):
        want = "".join(t for _, t in spans(node))
        if p.text != want:
            mismatches += 1
            if mismatches <= 3:
                problems.append(f"paragraph {i + 1}: text {p.text[:60]!r}..., expected {want[:60]!r}...")
            continue
        if node["type"] in HEADINGS:
            name = (p.style.name if p.style is not None else "") or ""
            headings_styled += name.lower().startswith("heading")
            continue
        bold = "".join(r.text for r in p.runs if effective(r, "bold"))
        italic = "".join(r.text for r in p.runs if effective(r, "italic"))
        for kind, text in spans(node):
            if kind == "b":
                bold_want += 1
                bold_ok += text in bold
            elif kind == "i":
                italic_want += 1
                italic_ok += text in italic
    if mismatches > 3:
        problems.append(f"... {mismatches} paragraphs differ in all")
    if bold_ok != bold_want:
        problems.append(f"{bold_want - bold_ok} of {bold_want} bold spans are not in bold runs")
    if italic_ok != italic_want:
        problems.append(f"{italic_want - italic_ok} of {italic_want} italic spans are not in italic runs")
    table_note = "no table"
    if tables:
        want_rows = tables[0]["children"]
        header_rows = int(tables[0].get("header-rows", 0))
        if not doc.tables:
            problems.append("no table in the document")
        else:
            t = doc.tables[0]
            rows = t.rows
            if len(rows) != len(want_rows):
                problems.append(f"table has {len(rows)} rows, expected {len(want_rows)} (header included)")
            bad = 0
            for r, (row, tr) in enumerate(zip(rows, want_rows)):
                got = [c.text for c in row.cells]
                if got != cell_texts(tr):
                    bad += 1
                    if bad <= 3:
                        problems.append(f"table row {r + 1}: {got}, expected {cell_texts(tr)}")
            if bad > 3:
                problems.append(f"... {bad} table rows differ in all")
            repeat = all(is_table_header(rows[r]) for r in range(min(header_rows, len(rows))))
            if header_rows and not repeat:
                problems.append(f"the first {header_rows} table row(s) are not marked as repeating header rows (w:tblHeader)")
            table_note = (f"table {len(rows)} rows x {len(t.columns)} columns"
                          + (", header row repeats" if header_rows and repeat else ""))
    summary = (f"{len(paras)} paragraphs ({headings_styled} of "
               f"{sum(n['type'] in HEADINGS for n in blocks)} headings in a Heading style), "
               f"{bold_ok}/{bold_want} bold and {italic_ok}/{italic_want} italic spans, {table_note}, "
               f"{path.stat().st_size} bytes")
    return problems, summary


def run_check(job: str, files: list[str]) -> int:
    spec = json.loads(pathlib.Path(job).read_text(encoding="utf-8"))["document"]
    bad = 0
    for f in files:
        problems, summary = check_file(pathlib.Path(f), spec)
        if problems:
            bad += 1
            print(f"FAIL {f}:" + (f" {summary}" if summary else ""))
            for pr in problems:
                print(f"  - {pr}")
        else:
            print(f"OK   {f}: {summary}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("job", help="job JSON from bench/gen_docx_big_job.py")
    ap.add_argument("files", nargs="*", help="with --check: the DOCX files to check")
    ap.add_argument("--check", action="store_true", help="check FILES against JOB instead of timing")
    ap.add_argument("--iterations", "-n", type=int, default=5, help="timed iterations (5)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed iterations first (1)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help=f"where the last DOCX goes ({DEFAULT_OUT.relative_to(BENCH_DIR.parent)})")
    args = ap.parse_args(argv)
    if args.check:
        if not args.files:
            ap.error("--check needs at least one DOCX file")
        return run_check(args.job, args.files)
    if args.files:
        ap.error("DOCX files are only taken with --check")
    if args.iterations < 1 or args.warmup < 0:
        ap.error("--iterations must be >= 1 and --warmup >= 0")
    return run_peer(args)


if __name__ == "__main__":
    sys.exit(main())
