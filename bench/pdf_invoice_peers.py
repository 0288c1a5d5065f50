#!/usr/bin/env python3
"""Peers for the PDF invoice benchmark: WeasyPrint and ReportLab render docsmith's invoice job.

    python bench/pdf_invoice_peers.py samples/pdf-invoice.json [--iterations 30] [--warmup 3]
        [--tools weasyprint,reportlab] [--out-dir bench/out] [--font-regular TTF --font-bold TTF]

Both peers build the same one-page A4 invoice as docsmith's `invoice` template
from the job's `data`: sender line, buyer address block, invoice meta (number,
dates, customer number, order reference), the line-item table (pos,
description, qty, unit, unit price, VAT %, amount; header row repeated on
every page), VAT subtotals per rate, net / VAT / gross totals, payment terms,
bank details, an EPC (SEPA credit transfer, "GiroCode") QR code, the notes and
a footer with the company registration and "Page X of Y". Money in de-DE
format ("1.234,50 €"), dates as 02.11.2026.

One timed iteration = the work a service does per request, in memory:
    json.loads(job text) -> totals (Decimal, VAT per rate rounded half-up)
    -> EPC payload -> QR code -> document -> PDF bytes
  - WeasyPrint: Jinja2 renders bench/peers/invoice.html.j2 (QR as inline SVG
    from segno), then HTML(string=...).write_pdf() (fonts via @font-face,
    loaded per document, as WeasyPrint does for every HTML(...) render);
  - ReportLab: platypus SimpleDocTemplate into a BytesIO: Paragraphs, Tables
    (repeatRows=1 for the item table), a reportlab.graphics QR widget, a
    canvas subclass for the footer and "Page X of Y".
Done once, outside the timing (a service does it at start-up): imports, the
Jinja2 template compile, ReportLab's TTF font registration.

The tools run interleaved, iteration by iteration, after --warmup untimed
iterations each. Output: one JSON line per tool on stdout:
    {"tool": "weasyprint", "median_ms": ..., "p10_ms": ..., "p90_ms": ...,
     "bytes": ..., "iterations": ..., "version": ..., "font": ...}
p10/p90: statistics.quantiles(n=10, method="inclusive"). The last PDF of each
tool is written to OUT_DIR/pdf_invoice_<tool>.pdf for visual checks.

Font: fonts/**/NotoSans-Regular.ttf + NotoSans-Bold.ttf from the repository
when present, else Debian's DejaVuSans.ttf + DejaVuSans-Bold.ttf
(fonts-dejavu-core); both peers use the same two files.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import pathlib
import statistics
import sys
import time
from decimal import ROUND_HALF_UP, Decimal

BENCH_DIR = pathlib.Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
TEMPLATE = BENCH_DIR / "peers" / "invoice.html.j2"
DEJAVU_DIR = pathlib.Path("/usr/share/fonts/truetype/dejavu")
TOOLS = ("weasyprint", "reportlab", "reportlab_segno")
DEFAULT_TOOLS = ("weasyprint", "reportlab")
CENT = Decimal("0.01")
NBSP = "\u00a0"


# --------------------------------------------------------------------------
# fonts


def find_fonts(regular: str | None, bold: str | None) -> tuple[str, pathlib.Path, pathlib.Path]:
    """(description, regular TTF, bold TTF): explicit > repo fonts/ Noto Sans > DejaVu Sans."""
    if regular or bold:
        if not (regular and bold):
            sys.exit("pdf_invoice_peers: give both --font-regular and --font-bold")
        r, b = pathlib.Path(regular).resolve(), pathlib.Path(bold).resolve()
        return f"{r.stem} / {b.stem} (given)", r, b
    fonts_dir = ROOT / "fonts"
    if fonts_dir.is_dir():
        reg = sorted(fonts_dir.rglob("NotoSans-Regular.ttf"))
        bld = sorted(fonts_dir.rglob("NotoSans-Bold.ttf"))
        if reg and bld:
            return "Noto Sans (repo fonts/)", reg[0], bld[0]
    r, b = DEJAVU_DIR / "DejaVuSans.ttf", DEJAVU_DIR / "DejaVuSans-Bold.ttf"
    if not (r.is_file() and b.is_file()):
        sys.exit(f"pdf_invoice_peers: no fonts: neither fonts/**/NotoSans-*.ttf nor {r} "
                 "(apt-get install fonts-dejavu-core)")
    return "DejaVu Sans (Debian fonts-dejavu-core; repo fonts/ has no NotoSans-Regular/-Bold.ttf)", r, b


# --------------------------------------------------------------------------
# the data both peers render (computed inside every timed iteration)


def money(d: Decimal) -> str:
    """de-DE: 1234.5 -> '1.234,50 €' (no-break space before the sign)."""
    s = f"{d.quantize(CENT, ROUND_HALF_UP):,.2f}"
    return s.replace(",", "\0").replace(".", ",").replace("\0", ".") + NBSP + "€"


def number_de(d: Decimal) -> str:
    """6.5 -> '6,5', 150 -> '150', 1500 -> '1.500'."""
    d = d.normalize()
    if d == d.to_integral_value():
        return f"{int(d):,}".replace(",", ".")
    whole, frac = f"{d:f}".split(".")
    return f"{int(whole):,}".replace(",", ".") + "," + frac


def percent_de(rate: Decimal) -> str:
    return number_de(rate * 100) + NBSP + "%"


def date_de(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{d}.{m}.{y}"


def iban_groups(iban: str) -> str:
    iban = iban.replace(" ", "")
    return " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))


def epc_payload(payment: dict, name: str, gross: Decimal) -> str:
    """EPC069-12 v002 'BCD' payload: SEPA credit transfer, UTF-8, unstructured remittance."""
    return "\n".join([
        "BCD", "002", "1", "SCT",
        payment.get("bic", ""),
        name[:70],
        payment["iban"].replace(" ", ""),
        f"EUR{gross:.2f}",
        "",  # purpose
        "",  # structured (RF) reference
        (payment.get("reference") or "")[:140],  # unstructured remittance
    ])


def prepare(job_text: str) -> dict:
    """Parse the job and compute everything both documents show."""
    job = json.loads(job_text, parse_float=Decimal)
    data = job["data"]
    inv, seller, buyer, pay = data["invoice"], data["seller"], data["buyer"], data["payment"]
    items = []
    per_rate: dict[Decimal, Decimal] = {}
    net_total = Decimal(0)
    for pos, it in enumerate(data["items"], 1):
        qty, price, rate = Decimal(it["quantity"]), Decimal(it["unit_price"]), Decimal(it["vat_rate"])
        amount = (qty * price).quantize(CENT, ROUND_HALF_UP)
        net_total += amount
        per_rate[rate] = per_rate.get(rate, Decimal(0)) + amount
        items.append({
            "pos": str(pos), "description": it["description"], "quantity": number_de(qty),
            "unit": it.get("unit", ""), "unit_price": money(price), "vat": percent_de(rate),
            "amount": money(amount),
        })
    vat_rates = []
    vat_total = Decimal(0)
    for rate in sorted(per_rate, reverse=True):
        vat = (per_rate[rate] * rate).quantize(CENT, ROUND_HALF_UP)
        vat_total += vat
        vat_rates.append({"rate": percent_de(rate), "net": money(per_rate[rate]), "vat": money(vat)})
    gross = net_total + vat_total
    holder = pay.get("account_holder") or seller["name"]
    meta = [
        ("Invoice no.", inv["number"]),
        ("Invoice date", date_de(inv["issue_date"])),
    ]
    if inv.get("delivery_date"):
        meta.append(("Delivery date", date_de(inv["delivery_date"])))
    meta.append(("Due date", date_de(inv["due_date"])))
    if buyer.get("customer_number"):
        meta.append(("Customer no.", buyer["customer_number"]))
    if inv.get("order_reference"):
        meta.append(("Your order", inv["order_reference"]))
    meta.append(("Our VAT ID", seller.get("vat_id", "")))
    bank = [
        ("Bank", pay.get("bank", "")),
        ("Account holder", holder),
        ("IBAN", iban_groups(pay["iban"])),
        ("BIC", pay.get("bic", "")),
        ("Reference", pay.get("reference") or inv["number"]),
    ]
    addr = seller.get("address", [])
    footer = [
        " · ".join([seller["name"], *addr]),
        " · ".join(x for x in [f"VAT ID {seller['vat_id']}" if seller.get("vat_id") else "",
                               seller.get("registration", "")] if x),
        " · ".join(x for x in [seller.get("email", ""), seller.get("phone", ""),
                               seller.get("website", "")] if x),
    ]
    return {
        "number": inv["number"],
        "seller": seller,
        "buyer": buyer,
        "sender_line": " · ".join([seller["name"], *addr[:2]]),
        "meta": meta,
        "line_items": items,
        "net_total": money(net_total),
        "vat_rates": vat_rates,
        "vat_total": money(vat_total),
        "gross_total": money(gross),
        "gross": gross,
        "due_date": date_de(inv["due_date"]),
        "payment": pay,
        "bank": bank,
        "epc": epc_payload(pay, holder, gross),
        "notes": data.get("notes", ""),
        "footer_lines": footer,
    }


# --------------------------------------------------------------------------
# WeasyPrint


class WeasyPrintPeer:
    name = "weasyprint"

    def __init__(self, fonts: tuple[pathlib.Path, pathlib.Path]):
        import jinja2
        import segno
        import weasyprint
        from markupsafe import Markup

        def css_lines(lines):
            esc = [s.replace("\\", "\\\\").replace('"', '\\"') for s in lines]
            return Markup("\\A ".join(esc))

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATE.parent)),
            autoescape=True, trim_blocks=False, lstrip_blocks=False,
        )
        env.filters["css_lines"] = css_lines
        self.template = env.get_template(TEMPLATE.name)  # compiled once
        self.segno = segno
        self.weasyprint = weasyprint
        self.font_urls = (fonts[0].as_uri(), fonts[1].as_uri())
        self.version = f"WeasyPrint {weasyprint.__version__} (Jinja2 {jinja2.__version__}, segno {segno.__version__})"

    def render(self, job_text: str) -> bytes:
        v = prepare(job_text)
        qr = self.segno.make_qr(v["epc"], error="m", encoding="utf-8", boost_error=False)
        v["qr_svg"] = qr.svg_inline(scale=1, border=0, omitsize=True)
        v["font_regular_url"], v["font_bold_url"] = self.font_urls
        html = self.template.render(v=v)
        return self.weasyprint.HTML(string=html, base_url=str(ROOT)).write_pdf()


# --------------------------------------------------------------------------
# ReportLab


class ReportLabPeer:
    """qr="widget": reportlab.graphics.barcode.qr (the stock way, slow: one
    validated Rect shape per dark run); qr="segno": segno encodes, and a tiny
    flowable fills one path (the tool name is then "reportlab_segno")."""

    def __init__(self, fonts: tuple[pathlib.Path, pathlib.Path], qr: str = "widget"):
        import reportlab
        from reportlab.lib import colors
        from reportlab.lib.enums import TA_RIGHT
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        # Once per process, like a service registering its fonts at start-up.
        pdfmetrics.registerFont(TTFont("InvSans", str(fonts[0])))
        pdfmetrics.registerFont(TTFont("InvSans-Bold", str(fonts[1])))
        pdfmetrics.registerFontFamily("InvSans", normal="InvSans", bold="InvSans-Bold",
                                      italic="InvSans", boldItalic="InvSans-Bold")
        self.colors, self.A4, self.mm = colors, A4, mm
        base = ParagraphStyle("base", fontName="InvSans", fontSize=9, leading=11.7, textColor="#111111")
        self.st = {
            "base": base,
            "seller": ParagraphStyle("seller", base, fontName="InvSans-Bold", fontSize=15, leading=18),
            "contact": ParagraphStyle("contact", base, fontSize=8, leading=10.4, alignment=TA_RIGHT,
                                      textColor="#444444"),
            "sender": ParagraphStyle("sender", base, fontSize=7, leading=9, textColor="#555555",
                                     spaceAfter=2 * mm),
            "address": ParagraphStyle("address", base, fontSize=10, leading=13.5),
            "h1": ParagraphStyle("h1", base, fontName="InvSans-Bold", fontSize=14, leading=17,
                                 spaceAfter=4 * mm),
            "h2": ParagraphStyle("h2", base, fontName="InvSans-Bold", fontSize=10, leading=12,
                                 spaceAfter=2 * mm),
            "cell": ParagraphStyle("cell", base),
            "th": ParagraphStyle("th", base, fontName="InvSans-Bold"),
            "th_r": ParagraphStyle("th_r", base, fontName="InvSans-Bold", alignment=TA_RIGHT),
            "qr": ParagraphStyle("qr", base, fontSize=7, leading=9, alignment=1, textColor="#444444"),
            "notes": ParagraphStyle("notes", base, fontSize=8.5, leading=11, textColor="#333333",
                                    spaceBefore=6 * mm),
        }
        self.qr_mode = qr
        self.name = "reportlab" if qr == "widget" else "reportlab_segno"
        self.version = f"ReportLab {reportlab.Version}"
        if qr == "segno":
            import segno
            self.segno = segno
            self.version += f" (QR: segno {segno.__version__})"
        else:
            self.version += " (QR: reportlab.graphics.barcode.qr)"

    def render(self, job_text: str) -> bytes:
        from reportlab.graphics.barcode.qr import QrCodeWidget
        from reportlab.graphics.shapes import Drawing
        from reportlab.lib.units import mm
        from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
        from xml.sax.saxutils import escape as esc

        v = prepare(job_text)
        st, colors = self.st, self.colors
        buf = io.BytesIO()
        left, right, top, bottom = 20 * mm, 18 * mm, 16 * mm, 26 * mm
        pad = 6  # SimpleDocTemplate's frame padding: margins - pad = the same text area as the HTML
        doc = SimpleDocTemplate(buf, pagesize=self.A4, leftMargin=left - pad, rightMargin=right - pad,
                                topMargin=top - pad, bottomMargin=bottom - pad,
                                title=f"Invoice {v['number']}", author=v["seller"]["name"],
                                initialFontName="InvSans", initialFontSize=9)
        width = doc.width - 2 * pad
        seller, buyer = v["seller"], v["buyer"]
        story = []

        head = Table([[Paragraph(esc(seller["name"]), st["seller"]),
                       Paragraph("<br/>".join(esc(seller.get(k, "")) for k in ("email", "phone", "website")),
                                 st["contact"])]],
                     colWidths=[width * 0.6, width * 0.4])
        head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                  ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        story += [head, Spacer(1, 8 * mm), Paragraph(f"<u>{esc(v['sender_line'])}</u>", st["sender"])]

        addr = [f"<b>{esc(buyer['name'])}</b>"]
        if buyer.get("contact"):
            addr.append(f"Attn. {esc(buyer['contact'])}")
        addr += [esc(line) for line in buyer.get("address", [])]
        if buyer.get("vat_id"):
            addr.append(f"VAT ID {esc(buyer['vat_id'])}")
        meta = Table([[k, val] for k, val in v["meta"]])
        meta.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), "InvSans", 9), ("TEXTCOLOR", (0, 0), (0, -1), "#444444"),
            ("ALIGN", (1, 0), (1, -1), "RIGHT"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("RIGHTPADDING", (0, 0), (0, -1), 4 * mm), ("RIGHTPADDING", (1, 0), (1, -1), 0),
            ("TOPPADDING", (0, 0), (-1, -1), 0.4 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.4 * mm),
        ]))
        am = Table([[Paragraph("<br/>".join(addr), st["address"]), meta]],
                   colWidths=[width * 0.55, width * 0.45])
        am.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("ALIGN", (1, 0), (1, 0), "RIGHT")]))
        story += [am, Spacer(1, 8 * mm), Paragraph(f"Invoice {esc(v['number'])}", st["h1"])]

        header = ["Pos.", Paragraph("Description", st["th"]), "Qty", "Unit", "Unit price", "VAT", "Amount"]
        rows = [header] + [
            [it["pos"], Paragraph(esc(it["description"]), st["cell"]), it["quantity"], it["unit"],
             it["unit_price"], it["vat"], it["amount"]]
            for it in v["line_items"]
        ]
        fixed = [10 * mm, 12 * mm, 11 * mm, 21 * mm, 13 * mm, 22 * mm]
        col_w = [fixed[0], width - sum(fixed), *fixed[1:]]
        items = Table(rows, colWidths=col_w, repeatRows=1)
        items.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), "InvSans", 9), ("FONT", (0, 0), (-1, 0), "InvSans-Bold", 9),
            ("BACKGROUND", (0, 0), (-1, 0), "#e8ecf1"), ("LINEBELOW", (0, 0), (-1, 0), 0.75, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, "#bbbbbb"),
            ("ALIGN", (2, 0), (2, -1), "RIGHT"), ("ALIGN", (4, 0), (-1, -1), "RIGHT"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 1.5 * mm), ("RIGHTPADDING", (0, 0), (-1, -1), 1.5 * mm),
            ("TOPPADDING", (0, 0), (-1, -1), 1.3 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.3 * mm),
        ]))
        story.append(items)

        tot = [["Net total", v["net_total"]]]
        tot += [[f"VAT {r['rate']} on {r['net']}", r["vat"]] for r in v["vat_rates"]]
        tot += [["VAT total", v["vat_total"]], ["Total due", v["gross_total"]]]
        totals = Table(tot, hAlign="RIGHT")
        totals.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), "InvSans", 9), ("FONT", (0, -1), (-1, -1), "InvSans-Bold", 10.5),
            ("ALIGN", (0, 0), (-1, -1), "RIGHT"), ("TEXTCOLOR", (0, 0), (0, -2), "#333333"),
            ("RIGHTPADDING", (0, 0), (0, -1), 8 * mm), ("RIGHTPADDING", (1, 0), (1, -1), 1.5 * mm),
            ("TOPPADDING", (0, 0), (-1, -1), 0.8 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.8 * mm),
            ("TOPPADDING", (0, -1), (-1, -1), 1.5 * mm),
            ("LINEABOVE", (0, -1), (-1, -1), 0.75, colors.black),
            ("LINEBELOW", (0, -1), (-1, -1), 2, colors.black, None, None, 0, 1),  # double underline
        ]))
        story += [Spacer(1, 3 * mm), totals, Spacer(1, 8 * mm)]

        qr_size = 32 * mm
        if self.qr_mode == "segno":
            matrix = self.segno.make_qr(v["epc"], error="m", encoding="utf-8", boost_error=False).matrix
            qr = _QrPathFlowable(matrix, qr_size)
        else:
            qr = Drawing(qr_size, qr_size)
            qr.add(QrCodeWidget(v["epc"], barLevel="M", barBorder=0, barWidth=qr_size, barHeight=qr_size))
        bank = Table([[k, val] for k, val in v["bank"]])
        bank.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), "InvSans", 9), ("TEXTCOLOR", (0, 0), (0, -1), "#444444"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 4 * mm),
            ("TOPPADDING", (0, 0), (-1, -1), 0.3 * mm), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.3 * mm),
        ]))
        pay_left = [Paragraph("Payment", st["h2"]),
                    Paragraph(f"{esc(v['payment'].get('terms', ''))} Due date: {v['due_date']}.", st["base"]),
                    Spacer(1, 2 * mm), bank]
        pay_right = [qr, Spacer(1, 1 * mm), Paragraph("Scan to pay<br/>(EPC / GiroCode)", st["qr"])]
        payment = Table([[pay_left, pay_right]], colWidths=[width - 36 * mm, 36 * mm])
        payment.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                     ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("ALIGN", (1, 0), (1, 0), "CENTER")]))
        story += [payment, Paragraph(esc(v["notes"]), st["notes"])]

        canvasmaker = functools.partial(_FooterCanvas, footer_lines=v["footer_lines"],
                                        margins=(left, right, bottom))
        doc.build(story, canvasmaker=canvasmaker)
        return buf.getvalue()


def _footer_canvas_class():
    from reportlab.pdfgen import canvas

    class FooterCanvas(canvas.Canvas):
        """Defers pages until save() so the footer can say 'Page X of Y'."""

        def __init__(self, *args, footer_lines=(), margins=(0, 0, 0), **kwargs):
            super().__init__(*args, **kwargs)
            self._footer_lines, self._margins = footer_lines, margins
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for n, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self._draw_footer(n, total)
                super().showPage()
            super().save()

        def _draw_footer(self, page, total):
            left, right, bottom = self._margins
            w, _ = self._pagesize
            top = bottom - 3 * 2.834645669  # 3 mm below the frame
            self.saveState()
            self.setStrokeColor("#999999")
            self.setLineWidth(0.5)
            self.line(left, bottom, w - right, bottom)
            self.setFillColor("#555555")
            self.setFont("InvSans", 7)
            y = top - 7
            for line in self._footer_lines:
                self.drawString(left, y, line)
                y -= 7 * 1.35
            self.drawRightString(w - right, top - 7, f"Page {page} of {total}")
            self.restoreState()

    return FooterCanvas


def _qr_flowable_class():
    from reportlab.platypus.flowables import Flowable

    class QrPathFlowable(Flowable):
        """A QR matrix (rows of 0/1, top row first) as one filled path, `size` points square."""

        def __init__(self, matrix, size):
            super().__init__()
            self.matrix, self.size = matrix, size
            self.hAlign = "CENTER"

        def wrap(self, avail_width, avail_height):
            return self.size, self.size

        def draw(self):
            n = len(self.matrix)
            m = self.size / n
            path = self.canv.beginPath()
            for y, row in enumerate(self.matrix):
                top = self.size - (y + 1) * m
                x = 0
                while x < n:
                    if row[x]:
                        start = x
                        while x < n and row[x]:
                            x += 1
                        path.rect(start * m, top, (x - start) * m, m)
                    else:
                        x += 1
            self.canv.setFillColor("#000000")
            self.canv.drawPath(path, stroke=0, fill=1)

    return QrPathFlowable


_FooterCanvas = None  # set in main() once reportlab is importable
_QrPathFlowable = None


# --------------------------------------------------------------------------
# timing


def quantiles(samples: list[float]) -> tuple[float, float, float]:
    if len(samples) == 1:
        return samples[0], samples[0], samples[0]
    dec = statistics.quantiles(samples, n=10, method="inclusive")
    return statistics.median(samples), dec[0], dec[-1]


def main(argv: list[str] | None = None) -> int:
    global _FooterCanvas, _QrPathFlowable
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("job", help="job JSON (e.g. samples/pdf-invoice.json)")
    ap.add_argument("--iterations", "-n", type=int, default=30, help="timed iterations per tool (30)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed iterations per tool first (3)")
    ap.add_argument("--tools", default=",".join(DEFAULT_TOOLS),
                    help=f"comma-separated subset of: {','.join(TOOLS)} (default {','.join(DEFAULT_TOOLS)})")
    ap.add_argument("--out-dir", default=str(BENCH_DIR / "out"), help="where the PDFs go (bench/out)")
    ap.add_argument("--font-regular", help="TTF to use instead of the default search")
    ap.add_argument("--font-bold", help="bold TTF to use instead of the default search")
    args = ap.parse_args(argv)
    if args.iterations < 1 or args.warmup < 0:
        ap.error("--iterations must be >= 1 and --warmup >= 0")
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = [t for t in tools if t not in TOOLS]
    if unknown or not tools:
        ap.error(f"unknown tool(s) {unknown}; choose from {', '.join(TOOLS)}")

    job_text = pathlib.Path(args.job).read_text(encoding="utf-8")
    font_desc, reg, bold = find_fonts(args.font_regular, args.font_bold)
    print(f"[peers] font: {font_desc}: {reg}, {bold}", file=sys.stderr)

    peers = []
    for t in tools:
        if t == "weasyprint":
            peers.append(WeasyPrintPeer((reg, bold)))
        else:
            _FooterCanvas, _QrPathFlowable = _footer_canvas_class(), _qr_flowable_class()
            peers.append(ReportLabPeer((reg, bold), qr="segno" if t == "reportlab_segno" else "widget"))

    out_dir = pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    last: dict[str, bytes] = {}
    for _ in range(args.warmup):
        for p in peers:
            last[p.name] = p.render(job_text)
    times: dict[str, list[float]] = {p.name: [] for p in peers}
    for i in range(args.iterations):
        # Alternate the order each iteration so neither tool always runs first.
        for p in (peers if i % 2 == 0 else peers[::-1]):
            t0 = time.perf_counter_ns()
            pdf = p.render(job_text)
            times[p.name].append((time.perf_counter_ns() - t0) / 1e6)
            last[p.name] = pdf

    for p in peers:
        pdf = last[p.name]
        if not pdf.startswith(b"%PDF-"):
            print(f"[peers] {p.name}: output is not a PDF", file=sys.stderr)
            return 1
        path = out_dir / f"pdf_invoice_{p.name}.pdf"
        path.write_bytes(pdf)
        med, p10, p90 = quantiles(times[p.name])
        print(json.dumps({
            "tool": p.name, "median_ms": round(med, 3), "p10_ms": round(p10, 3), "p90_ms": round(p90, 3),
            "bytes": len(pdf), "iterations": args.iterations, "version": p.version, "font": font_desc,
        }, ensure_ascii=False), flush=True)
        print(f"[peers] {p.name}: median {med:.1f} ms, {len(pdf)} bytes -> {os.path.relpath(path)}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
