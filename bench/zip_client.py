#!/usr/bin/env python3
"""Helpers of the zip benchmarks (bench/zip_http.sh, zip_compare.sh, zip_large.sh).

Standard library only. Subcommands:

  gen-batch   --n N --out JOB [--sample samples/pdf-invoice.json]
      A zip job with a batch of N invoices (the sample's data, each with its
      own number, buyer, quantities and dates, so every PDF differs).
  post        --url URL --job JOB --out ZIP [--pid PID] [--interval 0.05] [--timeout S]
      One POST of JOB (http.client, body read as a stream of 64 KiB reads).
      Prints one JSON line: status, content type, ms to the response head and
      to the first body byte (both from the moment the request body was
      sent), total seconds, bytes, and the server's peak VmRSS sampled every
      INTERVAL s from /proc/PID/status while the request runs.
  check-batch --zip ZIP --n N [--extract DIR --pick K]
      Entry count, names, every entry a stored PDF, all different; extracts K
      of them (first, last, spread between) for qpdf.
  gen-text    --out DIR --n N [--seed S]
      N deterministic CSV / JSON / XML files of ~20-100 KB.
  files-job   --dir DIR --compression auto|deflate|store --job JOB --args ARGS
      A zip job with one {"path", "file"} entry per file of DIR (sorted) and
      the matching `--file NAME=PATH` arguments, NUL-separated, in ARGS.
  check-files --zip ZIP --dir DIR
      The archive holds exactly DIR's files, byte for byte; prints the
      compression methods used.
  large-job   --out JOB --count C --mode flat|nested --compression C
      C entries of the file `big` (flat), or inside a nested inner.zip.
  check-large --zip ZIP --count C --size BYTES --mode flat|nested [--inner]
      Entry count and sizes from the central directory, ZIP64 records; for
      nested, inner.zip's size and (with --inner) its own central directory
      read through the outer archive's entry stream.
"""

import argparse
import copy
import hashlib
import http.client
import json
import os
import random
import struct
import sys
import threading
import time
import urllib.parse
import zipfile

BUYERS = [
    "Café Sonnenschein OHG", "Nordwind AG", "Bäckerei Müller KG", "Atelier Lumière SARL",
    "Hotel Seeblick GmbH", "Brauhaus Zum Anker e.K.", "Weinhandel Rheingold GmbH",
    "Zahnarztpraxis Dr. Özdemir", "Buchhandlung Seitenwind", "Fahrradladen Speiche & Co.",
]


# ---------------------------------------------------------------- batch job
def gen_batch(args):
    with open(args.sample, encoding="utf-8") as f:
        base = json.load(f)["data"]
    rng = random.Random(42)
    items = []
    for i in range(1, args.n + 1):
        d = copy.deepcopy(base)
        number = f"INV-2026-{i:06d}"
        d["invoice"]["number"] = number
        d["invoice"]["issue_date"] = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"
        d["payment"]["reference"] = number
        d["buyer"]["name"] = f"{BUYERS[i % len(BUYERS)]} #{i}"
        d["buyer"]["customer_number"] = f"C-{10000 + i}"
        for item in d["items"]:
            item["quantity"] = rng.randint(1, 40)
        items.append(d)
    job = {
        "format": "zip",
        "filename": f"invoices-{args.n}.zip",
        "batch": {
            "path": "invoices/{{ invoice.number }}.pdf",
            "job": {"format": "pdf", "template": "invoice"},
            "items": items,
        },
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(job, f, ensure_ascii=False, separators=(",", ":"))


# ---------------------------------------------------------------- HTTP client
def read_rss_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def post(args):
    with open(args.job, "rb") as f:
        body = f.read()
    url = urllib.parse.urlsplit(args.url)
    peak = {"kb": 0, "samples": 0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            kb = read_rss_kb(args.pid)
            peak["kb"] = max(peak["kb"], kb)
            peak["samples"] += 1
            stop.wait(args.interval)

    sampler = None
    if args.pid:
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=args.timeout)
    conn.connect()
    headers = {"Content-Type": "application/json", "Accept": "application/zip",
               "Content-Length": str(len(body))}
    t_start = time.perf_counter()
    conn.request("POST", url.path or "/", body=body, headers=headers)
    t_sent = time.perf_counter()
    resp = conn.getresponse()
    t_head = time.perf_counter()
    size = 0
    t_first = None
    with open(args.out, "wb") as out:
        while True:
            chunk = resp.read1(65536) if hasattr(resp, "read1") else resp.read(65536)
            if not chunk:
                break
            if t_first is None:
                t_first = time.perf_counter()
            out.write(chunk)
            size += len(chunk)
    t_end = time.perf_counter()
    conn.close()
    stop.set()
    if sampler:
        sampler.join()
    t_first = t_first or t_end
    print(json.dumps({
        "status": resp.status,
        "content_type": resp.getheader("Content-Type", ""),
        "transfer_encoding": resp.getheader("Transfer-Encoding", ""),
        "request_bytes": len(body),
        "send_ms": round((t_sent - t_start) * 1e3, 2),
        "head_ms": round((t_head - t_sent) * 1e3, 2),
        "ttfb_ms": round((t_first - t_sent) * 1e3, 2),
        "ttfb_from_start_ms": round((t_first - t_start) * 1e3, 2),
        "total_s": round(t_end - t_start, 4),
        "bytes": size,
        "peak_rss_kb": peak["kb"],
        "rss_samples": peak["samples"],
    }))


# ---------------------------------------------------------------- checks
def check_batch(args):
    problems = []
    with zipfile.ZipFile(args.zip) as z:
        infos = z.infolist()
        if len(infos) != args.n:
            problems.append(f"{len(infos)} entries, expected {args.n}")
        names = [i.filename for i in infos]
        want = [f"invoices/INV-2026-{i:06d}.pdf" for i in range(1, args.n + 1)]
        if names != want:
            bad = next((a, b) for a, b in zip(names + [None] * len(want), want) if a != b)
            problems.append(f"names differ from the expected order, first: {bad}")
        methods = {i.compress_type for i in infos}
        digests = set()
        total = 0
        for info in infos:
            data = z.read(info)
            total += len(data)
            if not data.startswith(b"%PDF-"):
                problems.append(f"{info.filename} is not a PDF")
            digests.add(hashlib.sha1(data).digest())
        if len(digests) != len(infos):
            problems.append(f"only {len(digests)} distinct PDFs among {len(infos)}")
        picked = []
        if args.extract:
            os.makedirs(args.extract, exist_ok=True)
            k = max(1, min(args.pick, len(infos)))
            idx = sorted({round(j * (len(infos) - 1) / max(1, k - 1)) for j in range(k)})
            for j in idx:
                path = os.path.join(args.extract, os.path.basename(infos[j].filename))
                with open(path, "wb") as f:
                    f.write(z.read(infos[j]))
                picked.append(path)
    print(json.dumps({
        "entries": len(infos), "pdf_bytes": total, "distinct": len(digests),
        "methods": sorted("stored" if m == 0 else "deflated" if m == 8 else str(m) for m in methods),
        "extracted": [os.path.basename(p) for p in picked], "problems": problems,
    }))
    sys.exit(1 if problems else 0)


# ---------------------------------------------------------------- text files
WORDS = ("alpha beta gamma delta invoice order customer amount total net gross vat "
         "Hamburg Berlin München Köln shipping pending paid overdue refund euro").split()


def gen_text(args):
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    total = 0
    for i in range(args.n):
        target = rng.randint(20_000, 100_000)
        kind = ("csv", "json", "xml")[i % 3]
        parts, size, row = [], 0, 0
        if kind == "csv":
            head = "id,date,customer,city,status,quantity,unit_price,amount,note\n"
            parts.append(head)
            size = len(head)
        elif kind == "json":
            parts.append('{"file": %d, "records": [\n' % i)
        else:
            parts.append('<?xml version="1.0" encoding="UTF-8"?>\n<records file="%d">\n' % i)
        while size < target:
            row += 1
            q = rng.randint(1, 500)
            p = rng.randint(100, 99_999) / 100
            d = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            cust = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} {rng.randint(1, 9999)}"
            city, status = rng.choice(WORDS[12:16]), rng.choice(WORDS[17:21])
            note = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
            if kind == "csv":
                line = f"{row},{d},{cust},{city},{status},{q},{p:.2f},{q * p:.2f},{note}\n"
            elif kind == "json":
                line = json.dumps({"id": row, "date": d, "customer": cust, "city": city,
                                   "status": status, "quantity": q, "unit_price": p,
                                   "amount": round(q * p, 2), "note": note},
                                  ensure_ascii=False) + ",\n"
            else:
                line = (f'  <record id="{row}" date="{d}" status="{status}">'
                        f"<customer>{cust}</customer><city>{city}</city>"
                        f"<quantity>{q}</quantity><unit_price>{p:.2f}</unit_price>"
                        f"<amount>{q * p:.2f}</amount><note>{note}</note></record>\n")
            parts.append(line)
            size += len(line.encode())
        if kind == "json":
            parts.append('{"end": true}\n]}\n')
        elif kind == "xml":
            parts.append("</records>\n")
        data = "".join(parts).encode()
        total += len(data)
        with open(os.path.join(args.out, f"data-{i:04d}.{kind}"), "wb") as f:
            f.write(data)
    print(total)


def files_job(args):
    names = sorted(n for n in os.listdir(args.dir) if os.path.isfile(os.path.join(args.dir, n)))
    entries, argv = [], []
    for i, name in enumerate(names):
        ref = f"f{i:05d}"
        entries.append({"path": name, "file": ref, "compression": args.compression})
        argv.append(f"--file={ref}={os.path.join(os.path.abspath(args.dir), name)}")
    with open(args.job, "w", encoding="utf-8") as f:
        json.dump({"format": "zip", "filename": "files.zip", "entries": entries}, f)
    with open(args.args, "wb") as f:
        f.write(b"".join(a.encode() + b"\0" for a in argv))


def check_files(args):
    names = sorted(n for n in os.listdir(args.dir) if os.path.isfile(os.path.join(args.dir, n)))
    problems, methods = [], {}
    with zipfile.ZipFile(args.zip) as z:
        infos = z.infolist()
        got = sorted(i.filename.split("/")[-1] for i in infos if not i.is_dir())
        if got != names:
            problems.append(f"{len(got)} file entries, expected {len(names)} (names differ)")
        for info in infos:
            if info.is_dir():
                continue
            kind = {0: "stored", 8: "deflated"}.get(info.compress_type, str(info.compress_type))
            methods[kind] = methods.get(kind, 0) + 1
            src = os.path.join(args.dir, info.filename.split("/")[-1])
            if os.path.exists(src):
                with open(src, "rb") as f:
                    if z.read(info) != f.read():
                        problems.append(f"{info.filename}: contents differ")
    print(json.dumps({"entries": len(names), "methods": methods, "problems": problems[:10]}))
    sys.exit(1 if problems else 0)


# ---------------------------------------------------------------- > 4 GiB
def large_job(args):
    entries = [{"path": f"big-{i:02d}.bin", "file": "big"} for i in range(1, args.count + 1)]
    if args.compression != "default":
        for e in entries:
            e["compression"] = args.compression
    if args.mode == "flat":
        job = {"format": "zip", "filename": "large.zip", "entries": entries}
    else:
        job = {"format": "zip", "filename": "large-nested.zip", "entries": [
            {"path": "README.txt", "text": f"inner.zip holds {args.count} copies of a random file.\n"},
            {"path": "inner.zip", "job": {"format": "zip", "entries": entries}},
        ]}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(job, f, indent=1)


def zip64_end(fp, size):
    """(has a ZIP64 end record, classic end record's entry count)."""
    fp.seek(max(0, size - 200))
    tail = fp.read()
    end = tail.rfind(b"PK\x05\x06")
    count = struct.unpack("<H", tail[end + 10:end + 12])[0] if end >= 0 else None
    return b"PK\x06\x06" in tail, b"PK\x06\x07" in tail, count


def zip64_extra(info):
    extra, i = info.extra, 0
    while i + 4 <= len(extra):
        tag, n = struct.unpack("<HH", extra[i:i + 4])
        if tag == 1:
            return True
        i += 4 + n
    return False


def describe(z):
    infos = z.infolist()
    return infos, {
        "entries": len(infos),
        "sizes": sorted({i.file_size for i in infos}),
        "methods": sorted({i.compress_type for i in infos}),
        "max_offset": max(i.header_offset for i in infos),
        "zip64_extra_fields": sum(zip64_extra(i) for i in infos),
    }


def check_large(args):
    problems = []
    size = os.path.getsize(args.zip)
    out = {"archive_bytes": size}
    with open(args.zip, "rb") as fp:
        out["zip64_end_record"], out["zip64_locator"], out["end_record_count"] = zip64_end(fp, size)
    if size > 0xFFFFFFFF and not out["zip64_end_record"]:
        problems.append("archive > 4 GiB without a ZIP64 end record")
    with zipfile.ZipFile(args.zip) as z:
        infos, out["outer"] = describe(z)
        if args.mode == "flat":
            if len(infos) != args.count:
                problems.append(f"{len(infos)} entries, expected {args.count}")
            if any(i.file_size != args.size or i.compress_size != args.size for i in infos):
                problems.append("an entry's sizes differ from the file's")
            if out["outer"]["max_offset"] <= 0xFFFFFFFF:
                problems.append("no entry starts past 4 GiB")
            if not out["outer"]["zip64_extra_fields"]:
                problems.append("no central record has a ZIP64 extra field")
        else:
            inner = [i for i in infos if i.filename == "inner.zip"]
            if len(inner) != 1:
                problems.append("no single inner.zip entry")
            else:
                info = inner[0]
                out["inner_entry"] = {"file_size": info.file_size, "compress_size": info.compress_size,
                                      "method": info.compress_type, "data_descriptor": bool(info.flag_bits & 8),
                                      "zip64_extra": zip64_extra(info)}
                if info.file_size <= 0xFFFFFFFF:
                    problems.append(f"inner.zip is {info.file_size} bytes, not > 4 GiB")
                if info.compress_type != 0:
                    problems.append("inner.zip is not stored")
                if args.inner:
                    t0 = time.perf_counter()
                    try:
                        with z.open(info) as stream, zipfile.ZipFile(stream) as iz:
                            iinfos, out["inner"] = describe(iz)
                            if len(iinfos) != args.count:
                                problems.append(f"inner.zip: {len(iinfos)} entries, expected {args.count}")
                            if any(i.file_size != args.size for i in iinfos):
                                problems.append("inner.zip: an entry's size differs from the file's")
                            # One entry read back through two levels: CRC checked by zipfile.
                            last = iinfos[-1]
                            with iz.open(last) as e:
                                n = 0
                                while chunk := e.read(1 << 20):
                                    n += len(chunk)
                            out["inner_last_entry_read"] = {"name": last.filename, "bytes": n}
                    except Exception as e:  # noqa: BLE001
                        out["inner_error"] = f"{type(e).__name__}: {e}"
                        problems.append(f"inner.zip not readable through the outer entry: {e}")
                    out["inner_read_s"] = round(time.perf_counter() - t0, 1)
    out["problems"] = problems
    print(json.dumps(out))
    sys.exit(1 if problems else 0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("gen-batch")
    s.add_argument("--n", type=int, required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--sample", default=os.path.join(os.path.dirname(__file__), "..", "samples", "pdf-invoice.json"))
    s.set_defaults(func=gen_batch)
    s = sub.add_parser("post")
    s.add_argument("--url", required=True)
    s.add_argument("--job", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--pid", type=int, default=0)
    s.add_argument("--interval", type=float, default=0.05)
    s.add_argument("--timeout", type=float, default=900)
    s.set_defaults(func=post)
    s = sub.add_parser("check-batch")
    s.add_argument("--zip", required=True)
    s.add_argument("--n", type=int, required=True)
    s.add_argument("--extract")
    s.add_argument("--pick", type=int, default=3)
    s.set_defaults(func=check_batch)
    s = sub.add_parser("gen-text")
    s.add_argument("--out", required=True)
    s.add_argument("--n", type=int, default=1000)
    s.add_argument("--seed", type=int, default=1)
    s.set_defaults(func=gen_text)
    s = sub.add_parser("files-job")
    s.add_argument("--dir", required=True)
    s.add_argument("--compression", default="auto")
    s.add_argument("--job", required=True)
    s.add_argument("--args", required=True)
    s.set_defaults(func=files_job)
    s = sub.add_parser("check-files")
    s.add_argument("--zip", required=True)
    s.add_argument("--dir", required=True)
    s.set_defaults(func=check_files)
    s = sub.add_parser("large-job")
    s.add_argument("--out", required=True)
    s.add_argument("--count", type=int, default=17)
    s.add_argument("--mode", choices=("flat", "nested"), default="flat")
    s.add_argument("--compression", default="default")
    s.set_defaults(func=large_job)
    s = sub.add_parser("check-large")
    s.add_argument("--zip", required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--size", type=int, required=True)
    s.add_argument("--mode", choices=("flat", "nested"), default="flat")
    s.add_argument("--inner", action="store_true")
    s.set_defaults(func=check_large)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
