#!/usr/bin/env python3
"""Check that rendered invoice PDFs show the job's content (any producer).

    python bench/check_pdf_invoice.py --job samples/pdf-invoice.json OUT1.pdf [OUT2.pdf ...]

Per PDF: starts with %PDF-, exactly one page (pdfinfo), and the extracted text
(pdftotext; no-break spaces and all whitespace ignored) contains the invoice
number, seller and buyer names, the due date, every line amount, the net
total, every VAT amount, the VAT total, the gross total, the IBAN, the BIC and
"Page 1 of 1". When zbarimg (Debian zbar-tools) is installed, the page is
rendered at 200 dpi and its QR code must decode to an EPC payload ("BCD",
"SCT") with the job's BIC, IBAN, account holder and gross amount, and the
invoice reference in the structured or unstructured remittance field.
Expected values come from pdf_invoice_peers.prepare() (Decimal, VAT per rate,
rounded half-up). Prints one line per PDF; exit 1 if any check fails.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no bench/__pycache__ in the work tree
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from pdf_invoice_peers import prepare  # noqa: E402


def compact(s: str) -> str:
    return re.sub(r"[\s\u00a0\u202f\u2009]+", "", s)


def pdf_pages(path: pathlib.Path) -> int | None:
    if not shutil.which("pdfinfo"):
        return None
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=False).stdout
    m = re.search(r"^Pages:\s+(\d+)", out, re.M)
    return int(m.group(1)) if m else -1


def qr_payloads(path: pathlib.Path) -> list[str] | None:
    if not (shutil.which("zbarimg") and shutil.which("pdftoppm")):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(path), f"{tmp}/p"],
                       check=True, capture_output=True)
        pngs = sorted(pathlib.Path(tmp).glob("p*.png"))
        if not pngs:
            return []
        res = subprocess.run(["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(pngs[0])],
                             capture_output=True, text=True, check=False)
    # zbarimg separates symbols by newlines; an EPC payload has newlines itself,
    # so split on the "BCD" header lines instead.
    text = res.stdout
    return ["BCD\n" + part for part in re.split(r"(?m)^BCD\n", text) if part.strip()]


def check(path: pathlib.Path, v: dict) -> list[str]:
    problems = []
    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        return ["not a PDF (no %PDF- header)"]
    pages = pdf_pages(path)
    if pages is not None and pages != 1:
        problems.append(f"{pages} pages, expected 1")
    if not shutil.which("pdftotext"):
        problems.append("pdftotext missing (apt-get install poppler-utils): text not checked")
        return problems
    res = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=False)
    text = compact(res.stdout.decode("utf-8", "replace"))
    expected = {
        "invoice number": v["number"],
        "seller name": v["seller"]["name"],
        "buyer name": v["buyer"]["name"],
        "due date": v["due_date"],
        "net total": v["net_total"],
        "VAT total": v["vat_total"],
        "gross total": v["gross_total"],
        "IBAN": v["payment"]["iban"],
        "BIC": v["payment"].get("bic", ""),
        "page footer": "Page 1 of 1",
    }
    for it in v["line_items"]:
        expected[f"amount of item {it['pos']}"] = it["amount"]
    for r in v["vat_rates"]:
        expected[f"VAT {r['rate']}"] = r["vat"]
    for what, val in expected.items():
        if val and compact(val) not in text:
            problems.append(f"text lacks {what} {val.replace(chr(0xa0), ' ')!r}")
    payloads = qr_payloads(path)
    if payloads is not None:
        epc = [p for p in payloads if p.startswith("BCD\n")]
        if not epc:
            problems.append("no EPC QR code found (zbarimg, 200 dpi)")
        else:
            lines = epc[0].rstrip("\n").split("\n")
            lines += [""] * (12 - len(lines))
            want = {
                "service tag": (lines[3], "SCT"),
                "BIC": (lines[4], v["payment"].get("bic", "")),
                "name": (lines[5], v["payment"].get("account_holder") or v["seller"]["name"]),
                "IBAN": (lines[6], v["payment"]["iban"].replace(" ", "")),
                "amount": (lines[7], f"EUR{v['gross']:.2f}"),
            }
            for what, (got, exp) in want.items():
                if got != exp:
                    problems.append(f"QR {what} {got!r}, expected {exp!r}")
            ref = v["payment"].get("reference") or v["number"]
            if ref not in (lines[9], lines[10]):
                problems.append(f"QR remittance lacks {ref!r} (got {lines[9]!r} / {lines[10]!r})")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--job", required=True)
    ap.add_argument("pdfs", nargs="+")
    args = ap.parse_args(argv)
    v = prepare(pathlib.Path(args.job).read_text(encoding="utf-8"))
    qr_note = "" if shutil.which("zbarimg") else " (QR not decoded: zbarimg missing)"
    bad = 0
    for p in args.pdfs:
        problems = check(pathlib.Path(p), v)
        if problems:
            bad += 1
            print(f"FAIL {p}:")
            for pr in problems:
                print(f"  - {pr}")
        else:
            print(f"OK   {p}: 1 page, totals/VAT/items/IBAN/footer text present{qr_note}"
                  + ("" if qr_note else ", EPC QR decodes to the expected payment"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
