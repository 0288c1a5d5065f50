#!/usr/bin/env python3
"""Generate a deterministic docsmith PDF `report` job with ROWS transactions.

    python bench/gen_pdf_report_job.py 10000 > job.json
    python bench/gen_pdf_report_job.py 100000 --out bench/out/pdf_report_job_100000.json
    python bench/gen_pdf_report_job.py 500 --seed 7      # other data, same shape

Job shape:
    {"format": "pdf", "filename": "report.pdf", "template": "report",
     "data": {"title", "subtitle", "author", "date": "2026-11-26",
              "locale": "en-US", "currency": "USD",
              "intro": [paragraph, ...],
              "sections": [{"heading", "paragraphs": [...]}, ...],
              "transactions": [{"date": "2026-01-03", "customer", "region",
                                "product", "quantity": int, "amount": float}, ...],
              "summary": [{"region", "orders": int, "revenue": float}, ...]}}

Transactions are sorted by date (2026-01-01 .. 2026-11-25); amount =
quantity x list price x (1 - discount), rounded to cents; `summary` is
computed from them (one entry per region, by revenue descending; revenue
summed in cents, so it is exact). The text paragraphs quote figures computed
from the same data. A fixed-seed PRNG makes the output byte-identical for the
same ROWS/--seed. Standard library only (runs with any python3).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys

DEFAULT_SEED = 20261126
START = dt.date(2026, 1, 1)
END = dt.date(2026, 11, 25)

REGIONS = ["Northeast", "Southeast", "Midwest", "Southwest", "West", "Pacific Northwest"]
REGION_WEIGHTS = [24, 18, 20, 12, 19, 7]
PRODUCTS = [  # (name, list price in USD)
    ("Atlas Standing Desk", 649.00),
    ("Atlas Desk Frame", 389.00),
    ("Beacon LED Panel 60x60", 89.50),
    ("Beacon Track Light", 54.90),
    ("Cirrus Ergonomic Chair", 429.00),
    ("Cirrus Task Chair", 219.00),
    ("Delta Monitor Arm, dual", 139.00),
    ("Ember Space Heater", 74.99),
    ("Fjord Filing Cabinet, 3 drawers", 259.00),
    ("Granite Conference Table 240", 1890.00),
    ("Harbor Acoustic Panel", 118.00),
    ("Ion USB-C Dock", 189.00),
    ("Juniper Planter Box", 96.00),
    ("Keystone Whiteboard 180x120", 312.00),
    ("Lumen Desk Lamp", 42.50),
    ("Mesa Cable Tray", 24.90),
    ("Nimbus Lounge Sofa", 2150.00),
    ("Orbit Coat Stand", 68.00),
    ("Pilot Laptop Stand", 49.00),
    ("Quill Notebook Pack (12)", 18.60),
]
QTY_CHOICES = [1, 1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12, 20, 25, 40]
QTY_CHOICES_BIG = [1, 1, 1, 1, 2, 2, 3, 4, 6]  # list price >= $500
DISCOUNTS = [0.0, 0.0, 0.0, 0.05, 0.05, 0.10, 0.15]

NAME_A = ["Acme", "Blue Ridge", "Cedar Point", "Summit", "Harborview", "Ironwood", "Maple Leaf",
          "Northwind", "Oakridge", "Pioneer", "Redwood", "Silver Lake", "Sterling", "Tri-County",
          "Union Square", "Valley", "Westgate", "Evergreen", "Lakeshore", "Granite State",
          "Café Lumière", "Müller & Sons", "São Paulo Trading", "Zoë's Kitchen"]
NAME_B = ["Architects", "Dental Group", "Law Offices", "Logistics", "Medical Center", "Realty",
          "Consulting", "Design Studio", "Engineering", "Insurance", "Credit Union", "Academy",
          "Software", "Brewing Co.", "Hotels", "Foods", "Print Shop", "Clinic"]
NAME_C = ["Inc.", "LLC", "Corp.", "Ltd.", "LLP", "& Co.", "Group", ""]


def make_customers(rnd: random.Random, n: int = 600) -> list[tuple[str, str]]:
    """(name, home region) pairs; names are unique."""
    seen, out = set(), []
    while len(out) < n:
        name = " ".join(x for x in (rnd.choice(NAME_A), rnd.choice(NAME_B), rnd.choice(NAME_C)) if x)
        if name in seen:
            name = f"{name} #{len(out) + 1}"
        seen.add(name)
        out.append((name, rnd.choices(REGIONS, REGION_WEIGHTS)[0]))
    return out


def gen_transactions(rows: int, rnd: random.Random) -> list[dict]:
    customers = make_customers(rnd)
    # Popular customers order more often: a Zipf-like weight on the list.
    cust_weights = [1.0 / (i + 1) ** 0.6 for i in range(len(customers))]
    prod_weights = [1.0 / (i % 7 + 1) for i in range(len(PRODUCTS))]
    days = (END - START).days
    out = []
    for _ in range(rows):
        name, region = rnd.choices(customers, cust_weights)[0]
        product, price = rnd.choices(PRODUCTS, prod_weights)[0]
        qty = rnd.choice(QTY_CHOICES if price < 500 else QTY_CHOICES_BIG)
        discount = rnd.choice(DISCOUNTS)
        cents = round(qty * price * (1 - discount) * 100)
        out.append({
            "date": (START + dt.timedelta(days=rnd.randint(0, days))).isoformat(),
            "customer": name,
            "region": region,
            "product": product,
            "quantity": qty,
            "amount": cents / 100,
        })
    out.sort(key=lambda t: t["date"])  # stable: same-day order stays as generated
    return out


def summarize(transactions: list[dict]) -> list[dict]:
    acc: dict[str, list[int]] = {}
    for t in transactions:
        a = acc.setdefault(t["region"], [0, 0])
        a[0] += 1
        a[1] += round(t["amount"] * 100)
    rows = [{"region": r, "orders": n, "revenue": cents / 100} for r, (n, cents) in acc.items()]
    rows.sort(key=lambda r: (-r["revenue"], r["region"]))
    return rows


def usd(x: float) -> str:
    return f"${x:,.2f}"


def make_text(transactions: list[dict], summary: list[dict], rnd: random.Random) -> tuple[list[str], list[dict]]:
    n = len(transactions)
    revenue = sum(s["revenue"] for s in summary)
    units = sum(t["quantity"] for t in transactions)
    top, low = (summary[0], summary[-1]) if summary else ({"region": "-", "revenue": 0, "orders": 0},) * 2
    by_product: dict[str, float] = {}
    by_month: dict[str, float] = {}
    for t in transactions:
        by_product[t["product"]] = by_product.get(t["product"], 0.0) + t["amount"]
        by_month[t["date"][:7]] = by_month.get(t["date"][:7], 0.0) + t["amount"]
    products = sorted(by_product.items(), key=lambda kv: -kv[1])
    months = [(dt.date(int(k[:4]), int(k[5:]), 1).strftime("%B"), v) for k, v in sorted(by_month.items())]
    best_month = max(months, key=lambda kv: kv[1]) if months else ("-", 0.0)
    avg = revenue / n if n else 0.0

    filler = [
        "Figures are shown in US dollars and include line discounts but exclude sales tax and freight.",
        "Orders cancelled before shipment are not included; returns are booked in the month they arrive.",
        "The regional split follows the customer's billing address, not the delivery location.",
        "Large one-off projects can move a single month by several percentage points, so trends should be "
        "read over a quarter rather than month by month.",
        "Account managers reviewed the ten largest accounts in each region and confirmed the figures.",
        "Year-over-year comparisons use the same calendar period of the previous year.",
        "Where a customer operates in several regions, the order is counted once, in the billing region.",
    ]

    def para(*sentences: str) -> str:
        extra = rnd.sample(filler, 2)
        return " ".join([*sentences, *extra])

    intro = [
        para(f"This report covers {n:,} orders booked between {START:%B} {START.day} and {END:%B} {END.day}, {END.year}, "
             f"with total revenue of {usd(revenue)} and {units:,} units shipped.",
             f"The average order value was {usd(avg)}."),
        para(f"{top['region']} was the strongest region with {usd(top['revenue'])} from {top['orders']:,} orders, "
             f"while {low['region']} contributed {usd(low['revenue'])}.",
             f"The best month was {best_month[0]} with {usd(best_month[1])}."),
    ]
    sections = [
        {"heading": "Regional performance",
         "paragraphs": [para(f"{s['region']} booked {s['orders']:,} orders worth {usd(s['revenue'])}, "
                             f"{(s['revenue'] / revenue * 100 if revenue else 0):.1f}% of the total.")
                        for s in summary]},
        {"heading": "Product mix",
         "paragraphs": [para(f"The best-selling product by revenue was {products[0][0]} with "
                             f"{usd(products[0][1])}, followed by {products[1][0]} ({usd(products[1][1])}) "
                             f"and {products[2][0]} ({usd(products[2][1])}).")
                        if len(products) >= 3 else para("Too few orders for a product ranking."),
                        para("Seating and desks together remain the largest category; accessories carry the "
                             "highest margin but a small share of revenue.")]},
        {"heading": "Monthly trend",
         "paragraphs": [para("Monthly revenue: " + "; ".join(f"{m} {usd(v)}" for m, v in months) + ".")]},
        {"heading": "Outlook",
         "paragraphs": [para("For the coming quarter the sales team expects demand to stay close to the "
                             "current run rate, with a seasonal dip in late December."),
                        para("The transaction list below is sorted by date; the summary table at the end "
                             "repeats the regional totals.")]},
    ]
    return intro, sections


def make_job(rows: int, seed: int = DEFAULT_SEED) -> dict:
    rnd = random.Random(seed)
    transactions = gen_transactions(rows, rnd)
    summary = summarize(transactions)
    intro, sections = make_text(transactions, summary, rnd)
    return {
        "format": "pdf",
        "filename": "report.pdf",
        "template": "report",
        "data": {
            "title": "Sales Report 2026",
            "subtitle": f"January 1 – November 25, 2026 · {rows:,} transactions",
            "author": "Revenue Operations, Northwind Office Supply Inc.",
            "date": "2026-11-26",
            "locale": "en-US",
            "currency": "USD",
            "intro": intro,
            "sections": sections,
            "transactions": transactions,
            "summary": summary,
        },
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int, help="number of transactions")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"PRNG seed (default {DEFAULT_SEED})")
    ap.add_argument("--out", help="write here instead of stdout")
    args = ap.parse_args(argv)
    if args.rows < 0:
        ap.error("ROWS must be >= 0")
    text = json.dumps(make_job(args.rows, args.seed), ensure_ascii=False, separators=(",", ":")) + "\n"
    data = text.encode("utf-8")
    if args.out:
        with open(args.out + ".partial", "wb") as f:
            f.write(data)
        os.replace(args.out + ".partial", args.out)
    else:
        sys.stdout.buffer.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
