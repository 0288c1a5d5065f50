"""Renders the PDF samples as DOCX and checks them with python-docx and LibreOffice.

Usage:
    check_docx.py [--bin DOCSMITH] [--out DIR] [--soffice-timeout S] [JOB.json ...]
    check_docx.py --docx FILE.docx --pdf FILE.pdf [--no-libreoffice] JOB.json

Without files: for each JOB (default `samples/pdf-*.json`), `DOCSMITH render`
writes the job as PDF and, with `"format": "docx"`, as DOCX into DIR
(default `target/docx-check`). With `--docx`/`--pdf` (one JOB): those files
are checked instead (the HTTP load test does this with its responses).

Per job:
1. python-docx opens the DOCX; its text is the body's paragraphs and table
   cells (nested tables too) in order plus every section's headers and
   footers. It must contain the key strings: every text value of the job's
   data that `pdftotext` finds in docsmith's PDF, and for the `invoice`
   template always the seller, buyer and contact names, line item
   descriptions, payment terms and notes, identical code point for code
   point up to whitespace (whatever the script), plus the invoice number,
   IBAN and the de-DE amounts (every line amount, VAT per rate, net, VAT,
   gross) from `bench/pdf_invoice_peers.prepare`. Every word of the PDF's
   text must also occur in the DOCX text (NFKC, whitespace ignored; page
   numbers and list bullets aside). Strings only the raw XML holds (text
   boxes, fields) count, with a note.
2. LibreOffice (`soffice --headless --convert-to pdf`, a private profile,
   docsmith's fonts/ added through fontconfig so that page counts do not
   depend on the machine's fonts, a timeout) converts every DOCX; each must
   give a PDF that pdfinfo reads. For the `invoice` and `report` templates
   its page count must be within one page of docsmith's own PDF of the same
   job (others: reported).
3. The first pages at 60 dpi, LibreOffice's and docsmith's, go to
   DIR/NAME-libreoffice.png and DIR/NAME-docsmith.png for a human to compare.

Prints one OK / FAIL line per job (problems indented below) and exits 1 if
any job fails. Needs python-docx; pdftotext, pdfinfo, pdftoppm (Debian
poppler-utils) and soffice (libreoffice-writer-nogui) on PATH.
`scripts/check_docx.sh` installs all of them and runs this.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata

import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.dont_write_bytecode = True  # no bench/__pycache__ in the work tree
sys.path.insert(0, str(ROOT / "bench"))
from pdf_invoice_peers import prepare  # noqa: E402  (standard library only)

FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{fonts}</dir>
  <cachedir>{cache}</cachedir>
</fontconfig>
"""
PAGE_CHECKED_TEMPLATES = ("invoice", "report")
INVOICE_NAME_KEYS = (("seller", "name"), ("buyer", "name"), ("buyer", "contact"), ("payment", "terms"),
                     ("payment", "bank"), ("payment", "account_holder"))
BIDI_AND_FORMAT = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
LIST_MARKERS = {"•", "◦", "▪"}  # drawn by the PDF, list numbering in Word
SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")


def squash(s: str) -> str:
    """Whitespace (no-break spaces included) collapsed to one space; nothing else changed."""
    return SPACES.sub(" ", s).strip()


def compact(s: str) -> str:
    """For matching against extracted PDF text: no whitespace, no bidi/format controls."""
    return SPACES.sub("", BIDI_AND_FORMAT.sub("", s))


def words(s: str) -> list[str]:
    s = unicodedata.normalize("NFKC", BIDI_AND_FORMAT.sub("", s))
    return [w.strip(".,;:!?()[]\"'“”‘’«»") for w in SPACES.split(s) if w.strip(".,;:!?()[]\"'“”‘’«»")]


# --------------------------------------------------------------------------
# reading the documents


def block_texts(element, parent) -> list[str]:
    """Texts of the paragraphs and table cells under a body, cell, header or footer element, in order."""
    out = []
    for child in element.iterchildren():
        if child.tag == qn("w:p"):
            out.append(Paragraph(child, parent).text)
        elif child.tag == qn("w:tbl"):
            for row in Table(child, parent).rows:
                for cell in row.cells:
                    out.extend(block_texts(cell._element, cell))
        elif child.tag == qn("w:sdt"):  # a content control around blocks
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                out.extend(block_texts(content, parent))
    return out


def docx_text(path: pathlib.Path) -> tuple[str, str, dict]:
    """(text through python-docx's API, text of every w:t in the raw XML, counts)."""
    doc = docx.Document(str(path))
    parts = block_texts(doc.element.body, doc)
    seen = set()
    headers = footers = 0
    for section in doc.sections:
        for kind in ("header", "first_page_header", "even_page_header",
                     "footer", "first_page_footer", "even_page_footer"):
            hf = getattr(section, kind)
            if hf.is_linked_to_previous or id(hf.part) in seen:
                continue
            seen.add(id(hf.part))
            if "header" in kind:
                headers += 1
            else:
                footers += 1
            parts.extend(block_texts(hf._element, hf))
    raw = [t.text or "" for t in doc.element.iter(qn("w:t"))]
    for rel in doc.part.rels.values():
        if rel.reltype.endswith(("/header", "/footer")) and not rel.is_external:
            raw.extend(t.text or "" for t in rel.target_part.element.iter(qn("w:t")))
    counts = {"paragraphs": len(doc.paragraphs), "tables": len(doc.tables), "sections": len(doc.sections),
              "headers": headers, "footers": footers}
    return "\n".join(parts), " ".join(raw), counts


def pdftotext(path: pathlib.Path) -> str:
    res = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return res.stdout.decode("utf-8", "replace")


def pdf_pages(path: pathlib.Path) -> int | None:
    res = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=False)
    m = re.search(r"^Pages:\s+(\d+)", res.stdout, re.M)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------
# what the DOCX must say


def leaf_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in leaf_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in leaf_strings(v)]
    return []


def key_strings(job: dict, pdf_text: str) -> dict[str, str]:
    """what -> string the DOCX text must contain."""
    keys: dict[str, str] = {}
    if job.get("template") == "invoice":
        data = job["data"]
        for a, b in INVOICE_NAME_KEYS:
            if data.get(a, {}).get(b):
                keys[f"{a} {b}"] = data[a][b]
        for i, item in enumerate(data.get("items", []), 1):
            keys[f"item {i} description"] = item["description"]
        if data.get("notes"):
            keys["notes"] = data["notes"]
        keys["invoice number"] = data["invoice"]["number"]
        keys["IBAN"] = data["payment"]["iban"]
        if data["invoice"].get("locale", "en-US") == "de-DE" and data["invoice"].get("currency", "EUR") == "EUR":
            v = prepare(json.dumps(job))
            for it in v["line_items"]:
                keys[f"amount of item {it['pos']}"] = it["amount"]
            for r in v["vat_rates"]:
                keys[f"VAT {r['rate']}"] = r["vat"]
            keys["net total"] = v["net_total"]
            keys["VAT total"] = v["vat_total"]
            keys["gross total"] = v["gross_total"]
    pdf_compact = compact(pdf_text)
    named = set(keys.values())
    source = job.get("data") if "data" in job else job.get("document", {})
    for s in leaf_strings(source):
        if (len(s.strip()) >= 2 and s not in named and not s.startswith(("data:", "file:"))
                and compact(s) in pdf_compact):
            keys.setdefault(f"text {squash(s)[:50]!r}", s)
    return keys


def check_text(job: dict, docx_path: pathlib.Path, pdf_path: pathlib.Path) -> tuple[list[str], list[str], str]:
    """(problems, notes, summary) for python-docx's reading of the DOCX."""
    try:
        text, raw, counts = docx_text(docx_path)
    except Exception as e:  # noqa: BLE001 - failing to open is the finding
        return [f"python-docx cannot open {docx_path.name}: {type(e).__name__}: {e}"], [], ""
    pdf = pdftotext(pdf_path)
    problems, notes = [], []
    have, have_raw = squash(text), squash(raw)
    keys = key_strings(job, pdf)
    only_raw = []
    found = 0
    for what, s in keys.items():
        want = squash(s)
        if want in have:
            found += 1
        elif want in have_raw:
            found += 1
            only_raw.append(what)
        elif unicodedata.normalize("NFC", want) in unicodedata.normalize("NFC", have):
            problems.append(f"{what}: {want!r} is there only after Unicode normalization (code points changed)")
        else:
            problems.append(f"{what}: {want!r} not found")
    if only_raw:
        notes.append(f"{len(only_raw)} key strings only in the raw XML, not in paragraphs/tables/headers/footers: "
                     + ", ".join(only_raw[:5]))
    pages = pdf_pages(pdf_path) or 0
    # Substrings of the DOCX text without whitespace: pdftotext drops narrow
    # spaces ("7%" for "7\u00a0%"), words are only checked to be there.
    docx_compact = compact(unicodedata.normalize("NFKC", text + " " + raw))
    pdf_words = words(pdf)
    missing = sorted({w for w in pdf_words if w not in docx_compact and w not in LIST_MARKERS
                      and not (w.isdigit() and int(w) <= pages)})
    if missing:
        problems.append(f"{len(missing)} words of the PDF are not in the DOCX: "
                        + " ".join(repr(w) for w in missing[:12]) + (" ..." if len(missing) > 12 else ""))
    summary = (f"python-docx: {found}/{len(keys)} key strings, "
               f"{len(pdf_words)} PDF words checked; {counts['paragraphs']} body paragraphs, "
               f"{counts['tables']} tables, {counts['headers']} header(s), {counts['footers']} footer(s)")
    return problems, notes, summary


# --------------------------------------------------------------------------
# LibreOffice


def soffice_convert(docs: list[pathlib.Path], out_dir: pathlib.Path, timeout: float) -> tuple[str, float]:
    """Converts every DOCX to PDF in out_dir with one soffice run; returns (its output, seconds)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for d in docs:
        (out_dir / f"{d.stem}.pdf").unlink(missing_ok=True)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        return "soffice not found (apt-get install libreoffice-writer-nogui)", 0.0
    with tempfile.TemporaryDirectory(prefix="docsmith-lo-") as profile:
        # docsmith's own fonts (fonts/) for LibreOffice too, whatever the machine has.
        fonts_conf = pathlib.Path(profile) / "fonts.conf"
        fonts_conf.write_text(FONTS_CONF.format(fonts=ROOT / "fonts", cache=pathlib.Path(profile) / "fontcache"),
                              encoding="utf-8")
        cmd = [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--nolockcheck", "--nodefault", "--convert-to", "pdf", "--outdir", str(out_dir),
               *map(str, docs)]
        t0 = time.monotonic()
        # Its own process group: soffice is a wrapper, and on a timeout its
        # children must go too (they hold the output pipe).
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True,
                                env={**os.environ, "SAL_USE_VCLPLUGIN": "svp", "FONTCONFIG_FILE": str(fonts_conf)})
        try:
            output, _ = proc.communicate(timeout=timeout)
            if proc.returncode:
                output += f"\nsoffice exit status {proc.returncode}"
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate()
            output = f"soffice timed out after {timeout:.0f} s and was killed: {output}"
        return output, time.monotonic() - t0


def png(pdf: pathlib.Path, stem: pathlib.Path) -> None:
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                   capture_output=True, check=False)


# --------------------------------------------------------------------------


def render(binary: str, job: dict, fmt: str, out: pathlib.Path) -> str | None:
    """Renders the job in `fmt` to out; returns the error text, or None."""
    job = {**job, "format": fmt}
    if "filename" in job:
        job["filename"] = re.sub(r"\.[A-Za-z]+$", "", job["filename"]) + f".{fmt}"
    job_file = out.with_suffix(f".{fmt}.json")
    job_file.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    out.unlink(missing_ok=True)
    res = subprocess.run([binary, "render", str(job_file), "-o", str(out)], capture_output=True, text=True,
                         check=False)
    if res.returncode != 0 or not out.is_file():
        return f"docsmith render ({fmt}) exit {res.returncode}: {res.stderr.strip()[-400:]}"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jobs", nargs="*", help="PDF sample jobs (default samples/pdf-*.json)")
    ap.add_argument("--bin", default=os.environ.get("DOCSMITH_BIN", str(ROOT / "target/debug/docsmith")),
                    help="docsmith binary (env DOCSMITH_BIN; default target/debug/docsmith)")
    ap.add_argument("--out", default=str(ROOT / "target/docx-check"), help="output directory (target/docx-check)")
    ap.add_argument("--soffice-timeout", type=float, default=300, help="seconds for the LibreOffice run (300)")
    ap.add_argument("--docx", help="check this DOCX instead of rendering (one JOB)")
    ap.add_argument("--pdf", help="docsmith's PDF of the same job (with --docx)")
    ap.add_argument("--no-libreoffice", action="store_true", help="skip the LibreOffice conversion")
    args = ap.parse_args(argv)
    jobs = [pathlib.Path(j) for j in args.jobs] or sorted((ROOT / "samples").glob("pdf-*.json"))
    if not jobs:
        ap.error("no jobs")
    if bool(args.docx) != bool(args.pdf) or (args.docx and len(jobs) != 1):
        ap.error("--docx and --pdf go together, with exactly one JOB")
    if not args.docx and not (os.path.isfile(args.bin) and os.access(args.bin, os.X_OK)):
        ap.error(f"no docsmith binary at {args.bin} (cargo build, or --bin / DOCSMITH_BIN)")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    problems: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    summary: dict[str, str] = {}
    files: dict[str, tuple[dict, pathlib.Path, pathlib.Path]] = {}
    for job_path in jobs:
        name = job_path.stem
        job = json.loads(job_path.read_text(encoding="utf-8"))
        problems[name], notes[name] = [], []
        if args.docx:
            d, p = pathlib.Path(args.docx), pathlib.Path(args.pdf)
        else:
            d, p = out / f"{name}.docx", out / f"{name}.pdf"
            errors = [e for e in (render(args.bin, job, "pdf", p), render(args.bin, job, "docx", d)) if e]
            if errors:
                problems[name] += errors
                continue
        files[name] = (job, d, p)
        probs, nts, summary[name] = check_text(job, d, p)
        problems[name] += probs
        notes[name] += nts

    lo_note = ""
    if files and not args.no_libreoffice:
        lo_dir = out / "libreoffice"
        docs = [d for _, d, _ in files.values()]
        output, secs = soffice_convert(docs, lo_dir, args.soffice_timeout)
        lo_note = f"LibreOffice ran on {len(docs)} file(s) in {secs:.1f} s"
        for name, (job, d, p) in files.items():
            lo_pdf = lo_dir / f"{d.stem}.pdf"
            if not lo_pdf.is_file() or not lo_pdf.read_bytes().startswith(b"%PDF-"):
                problems[name].append(f"LibreOffice did not convert {d.name}: {output.strip()[-400:]}")
                continue
            lo_pages, ds_pages = pdf_pages(lo_pdf), pdf_pages(p)
            if lo_pages is None:
                problems[name].append(f"pdfinfo cannot read LibreOffice's {lo_pdf}")
                continue
            enforced = job.get("template") in PAGE_CHECKED_TEMPLATES
            if enforced and (ds_pages is None or abs(lo_pages - ds_pages) > 1):
                problems[name].append(f"LibreOffice: {lo_pages} page(s), docsmith's PDF {ds_pages}: more than one apart")
            summary[name] += (f"; LibreOffice {lo_pages} page(s) vs docsmith PDF {ds_pages}"
                              + ("" if enforced else " (not compared)"))
            png(lo_pdf, out / f"{name}-libreoffice")
            png(p, out / f"{name}-docsmith")

    bad = 0
    for name in problems:
        if problems[name]:
            bad += 1
            print(f"FAIL {name}: {summary.get(name, '')}".rstrip(": "))
            for pr in problems[name]:
                print(f"  - {pr}")
        else:
            print(f"OK   {name}: {summary[name]}")
        for n in notes[name]:
            print(f"  note: {n}")
    if lo_note:
        print(f"{lo_note}; first pages at 60 dpi: {out}/*-libreoffice.png and *-docsmith.png")
    print(f"check_docx: {len(problems) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
