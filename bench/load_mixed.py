#!/usr/bin/env python3
"""Helpers of bench/load_mixed.sh (the mixed-workload overload test).

Subcommands:

  image-body --dir DIR --out BODY [--field NAME=VALUE ...]
      Makes the upload images once (deterministic, Pillow: two photo-like
      JPEGs and one PNG, ~100-300 KB each) in DIR, then writes the multipart
      body of POST /v1/images (one `files` part per image plus the fields) to
      BODY and prints its Content-Type (with the boundary) on stdout.
  sample --pid PID --out TSV --phase-file F [--url BASE] [--interval 0.1]
         [--readyz-every 5] [--max-seconds 900]
      Samples the server every INTERVAL s until it exits, F holds "stop", or
      MAX_SECONDS pass: VmRSS, VmHWM, Threads and CPU ticks from /proc/PID,
      the number of distinct thread ids seen so far (/proc/PID/task: thread
      churn), the machine's busy/total CPU ticks (/proc/stat), the sampler's
      own CPU seconds, and every READYZ_EVERY samples GET BASE/readyz
      (queued, in_flight).
      Each line is tagged with the phase F names at that moment.
  summary --tsv TSV
      One line of key=value from a wrk record file (bench/load_mixed.lua):
      answered, ok, s503, ok_rps, answered_rps, other5xx.
  check --dir DIR [--zip-items N] [--images N]
      Checks the response bodies saved in DIR (invoice.pdf, xlsx.xlsx,
      image.zip, zip.zip): PDF header/trailer (and pdfinfo when installed),
      XLSX/ZIP archives with zipfile (CRC of every entry), the image ZIP's
      WebP entries decoded with Pillow when it is importable. Exit 1 on a
      failure.
  report --phase NAME=MIX_TSV[,HEALTH_TSV] ... --samples TSV [--queue-depth N]
         [--capacity RPS] [--client-cpu PHASE=SECONDS ...]
         [--health-p99-limit-ms 100] [--rss-growth-limit-pct 25]
      The Markdown tables of the report and its automatic findings (stdout);
      then one line "VERDICT key=value ..." on stderr (other5xx, body_bad,
      missing_retry_after, socket_errors, unmatched, health_non200,
      metrics_non200, health_p99_ms_overload, metrics_p99_ms_overload,
      health_probes, metrics_probes, rss_growth_pct, goodput_ratio).
      HEALTH_TSV holds the probes of the health-mode wrk: /healthz (type
      health) and /metrics (type metrics), reported in a table each; the
      p99 limit applies to both.

Standard library only, except image-body and the image decoding in check
(Pillow).
"""

import argparse
import http.client
import io
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import zipfile

TYPES = ["invoice", "xlsx", "image", "zip"]
# The probe types of the health-mode wrk: (record type, path, table heading).
PROBES = [
    ("health", "/healthz", "GET /healthz (open loop, a wrk of its own, apart from the mix)"),
    ("metrics", "/metrics", "GET /metrics (the same wrk as /healthz, alternating with it; good = 200, "
                            "Content-Type `text/plain; version=0.0.4`, body starting `# HELP` or `# TYPE`)"),
]


# ------------------------------------------------------------------ images
def make_images(directory):
    """Three deterministic photo-like images: smooth colour fields, shapes
    and fine noise, so that JPEG/PNG land near 100-300 KB."""
    from PIL import Image, ImageDraw, ImageFilter  # noqa: PLC0415

    os.makedirs(directory, exist_ok=True)
    specs = [
        ("01-harbour.jpg", (1280, 853), "JPEG", 1),
        ("02-meadow.jpg", (1024, 768), "JPEG", 2),
        ("03-chart.png", (560, 400), "PNG", 3),
    ]
    paths = []
    for name, (w, h), fmt, seed in specs:
        path = os.path.join(directory, name)
        paths.append(path)
        if os.path.exists(path):
            continue
        # A gradient between two colours, shapes, then noise for texture.
        top = (40 + 60 * seed % 200, 90 + 30 * seed % 150, 160 - 20 * seed % 120)
        bottom = (200 - 30 * seed % 150, 170 - 10 * seed % 100, 90 + 40 * seed % 150)
        grad = Image.linear_gradient("L").resize((w, h))
        im = Image.composite(Image.new("RGB", (w, h), top), Image.new("RGB", (w, h), bottom), grad)
        draw = ImageDraw.Draw(im)
        for i in range(24):
            x = (i * 97 * seed) % w
            y = (i * 53 + 31 * seed) % h
            r = 20 + (i * 37) % 120
            colour = ((i * 71 + 50 * seed) % 256, (i * 29 + 90) % 256, (i * 113 + 20 * seed) % 256)
            if i % 2:
                draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
            else:
                draw.rectangle((x, y, x + 2 * r, y + r), fill=colour)
        im = im.filter(ImageFilter.GaussianBlur(3))
        noise = Image.effect_noise((w, h), 24 if fmt == "JPEG" else 10).convert("RGB")
        im = Image.blend(im, noise, 0.12)
        if fmt == "JPEG":
            im.save(path, "JPEG", quality=88)
        else:
            im.save(path, "PNG", optimize=False)
    return paths


def image_body(args):
    paths = make_images(args.dir)
    boundary = "----docsmith-load-mixed-7f3a9c"
    out = io.BytesIO()
    for path in paths:
        name = os.path.basename(path)
        ctype = "image/png" if name.endswith(".png") else "image/jpeg"
        out.write(f"--{boundary}\r\n".encode())
        out.write(f'Content-Disposition: form-data; name="files"; filename="{name}"\r\n'.encode())
        out.write(f"Content-Type: {ctype}\r\n\r\n".encode())
        with open(path, "rb") as f:
            out.write(f.read())
        out.write(b"\r\n")
    for field in args.field:
        name, _, value = field.partition("=")
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    out.write(f"--{boundary}--\r\n".encode())
    with open(args.out, "wb") as f:
        f.write(out.getvalue())
    sizes = ", ".join(f"{os.path.basename(p)} {os.path.getsize(p) // 1024} KB" for p in paths)
    print(f"images: {sizes}; body {len(out.getvalue())} bytes", file=sys.stderr)
    print(f"multipart/form-data; boundary={boundary}")


# ------------------------------------------------------------------ sampler
def proc_status(pid):
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                values[key] = int(rest.split()[0])
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    values["cpu"] = int(fields[11]) + int(fields[12])  # utime + stime (fields 14, 15)
    return values


def machine_ticks():
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already in user/nice
    return total - idle, total


def readyz(base, timeout=2.0):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        t0 = time.monotonic()
        conn.request("GET", "/readyz")
        resp = conn.getresponse()
        body = json.loads(resp.read() or b"{}")
        ms = (time.monotonic() - t0) * 1000
        return str(body.get("queued", "")), str(body.get("in_flight", "")), f"{ms:.1f}"
    except (OSError, ValueError, http.client.HTTPException):
        return "err", "err", ""
    finally:
        conn.close()


def sample(args):
    start = time.monotonic()
    n = 0
    tids = set()
    with open(args.out, "w") as out:
        out.write("t_s\tphase\trss_kb\thwm_kb\tthreads\tcpu_ticks\tqueued\tin_flight\treadyz_ms"
                  "\tmachine_busy_ticks\tmachine_total_ticks\tsampler_s\ttids_seen\n")
        while time.monotonic() - start < args.max_seconds:
            try:
                with open(args.phase_file) as f:
                    phase = f.read().strip() or "-"
            except OSError:
                phase = "-"
            if phase == "stop":
                break
            try:
                st = proc_status(args.pid)
            except (OSError, IndexError, ValueError):
                break
            queued = in_flight = ready_ms = ""
            if args.url and n % args.readyz_every == 0:
                queued, in_flight, ready_ms = readyz(args.url)
            busy, total = machine_ticks()
            me = os.times()
            try:
                tids.update(os.listdir(f"/proc/{args.pid}/task"))
            except OSError:
                pass
            out.write(f"{time.monotonic() - start:.2f}\t{phase}\t{st['VmRSS']}\t{st['VmHWM']}\t"
                      f"{st['Threads']}\t{st['cpu']}\t{queued}\t{in_flight}\t{ready_ms}\t"
                      f"{busy}\t{total}\t{me.user + me.system:.2f}\t{len(tids)}\n")
            out.flush()
            n += 1
            next_t = start + n * args.interval
            time.sleep(max(0.0, next_t - time.monotonic()))


# ------------------------------------------------------------------ records
def read_records(path):
    """(records, meta): records are dicts of one wrk record file."""
    records, meta = [], {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            if line.startswith("# "):
                key, _, value = line[2:].partition("\t")
                meta[key] = value
                continue
            kind, status, lat, lag, retry, ok, size = line.split("\t")
            records.append({"type": kind, "status": int(status), "ms": float(lat), "lag": float(lag),
                            "retry": retry, "ok": ok, "bytes": int(size)})
    return records, meta


def pct(values, p):
    """Linear interpolation between the sorted values at (n-1)*p."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def duration(meta):
    return float(meta.get("duration_s", "nan"))


def summary(args):
    records, meta = read_records(args.tsv)
    d = duration(meta)
    ok = sum(1 for r in records if r["status"] == 200)
    s503 = sum(1 for r in records if r["status"] == 503)
    other5xx = sum(1 for r in records if r["status"] >= 500 and r["status"] != 503)
    print(f"answered={len(records)} ok={ok} s503={s503} other5xx={other5xx} "
          f"ok_rps={ok / d:.1f} answered_rps={len(records) / d:.1f} duration_s={d:.1f}")


# ------------------------------------------------------------------ checks
def check_pdf(data):
    if not data.startswith(b"%PDF-"):
        return f"does not start with %PDF- ({data[:8]!r})"
    if b"%%EOF" not in data[-64:]:
        return "no %%EOF in the last 64 bytes"
    return None


def check_dir(args):
    bad = 0
    lines = []

    def report(name, problem, detail):
        nonlocal bad
        if problem:
            bad += 1
            lines.append(f"FAIL {name}: {problem}")
        else:
            lines.append(f"ok   {name}: {detail}")

    def load(name):
        path = os.path.join(args.dir, name)
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    data = load("invoice.pdf")
    if data is None:
        report("invoice.pdf", "missing", "")
    else:
        problem = check_pdf(data)
        detail = f"{len(data)} bytes, %PDF- ... %%EOF"
        if not problem and shutil.which("pdfinfo"):
            res = subprocess.run(["pdfinfo", os.path.join(args.dir, "invoice.pdf")],
                                 capture_output=True, text=True, check=False)
            pages = [ln.split()[-1] for ln in res.stdout.splitlines() if ln.startswith("Pages:")]
            if res.returncode != 0 or not pages:
                problem = f"pdfinfo failed: {res.stderr.strip()[:200]}"
            else:
                detail += f", pdfinfo: {pages[0]} page(s)"
        report("invoice.pdf", problem, detail)

    for name, want in (("xlsx.xlsx", "xl/workbook.xml"), ("zip.zip", None), ("image.zip", None)):
        data = load(name)
        if data is None:
            report(name, "missing", "")
            continue
        try:
            z = zipfile.ZipFile(io.BytesIO(data))
            broken = z.testzip()
        except zipfile.BadZipFile as e:
            report(name, f"not a ZIP ({e})", "")
            continue
        if broken:
            report(name, f"CRC error in {broken}", "")
            continue
        names = z.namelist()
        problem = None
        detail = f"{len(data)} bytes, {len(names)} entries, CRCs ok"
        if want and want not in names:
            problem = f"no {want}; entries {names[:10]}"
        if name == "zip.zip":
            pdfs = [n for n in names if n.endswith(".pdf")]
            if len(pdfs) != args.zip_items:
                problem = f"{len(pdfs)} PDFs, expected {args.zip_items}: {names[:12]}"
            else:
                for n in pdfs:
                    p = check_pdf(z.read(n))
                    if p:
                        problem = f"{n}: {p}"
                        break
                detail += f", {len(pdfs)} PDFs each %PDF- ... %%EOF"
        if name == "image.zip":
            webps = [n for n in names if n.endswith(".webp")]
            if len(webps) != args.images or "manifest.json" not in names:
                problem = f"{len(webps)} .webp (expected {args.images}) / manifest: {names}"
            else:
                try:
                    from PIL import Image  # noqa: PLC0415
                    dims = []
                    for n in webps:
                        im = Image.open(io.BytesIO(z.read(n)))
                        im.load()
                        if im.format != "WEBP" or im.width != args.width:
                            problem = f"{n}: {im.format} {im.width}x{im.height}, expected WEBP width {args.width}"
                        dims.append(f"{im.width}x{im.height}")
                    detail += f", {len(webps)} WebP decoded by Pillow ({', '.join(dims)}) + manifest.json"
                except ImportError:
                    detail += f", {len(webps)} .webp + manifest.json (Pillow not available: not decoded)"
        report(name, problem, detail)
    print("\n".join(lines))
    sys.exit(1 if bad else 0)


# ------------------------------------------------------------------ report
def fmt(x, digits=1):
    if x != x:  # NaN
        return "–"
    return f"{x:.{digits}f}"


def statuses(records):
    counts = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


def read_samples(path):
    samples = []
    with open(path) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            samples.append(dict(zip(header, line.rstrip("\n").split("\t"))))
    return samples


def per_bucket(samples, t0, key, width=5):
    buckets = {}
    for s in samples:
        v = s[key]
        if v.isdigit():
            buckets.setdefault(int((float(s["t_s"]) - t0) // width), []).append(int(v))
    return [max(v) for _, v in sorted(buckets.items())]


def report(args):
    phases = []
    for spec in args.phase:
        name, _, files = spec.partition("=")
        mix_tsv, _, health_tsv = files.partition(",")
        mix = read_records(mix_tsv) if mix_tsv and os.path.exists(mix_tsv) else None
        health = read_records(health_tsv) if health_tsv and os.path.exists(health_tsv) else None
        phases.append((name, mix, health))
    samples = read_samples(args.samples)
    client_cpu = {}
    for spec in args.client_cpu:
        name, _, secs = spec.partition("=")
        client_cpu[name] = client_cpu.get(name, 0.0) + float(secs or 0)
    hz = os.sysconf("SC_CLK_TCK")

    verdict = {"other5xx": 0, "body_bad": 0, "missing_retry_after": 0, "socket_errors": 0,
               "unmatched": 0, "health_non200": 0, "metrics_non200": 0}
    findings = []
    out = []
    w = out.append
    ok_rate = {}

    # Per phase: the mix, by type.
    for name, mix, _health in phases:
        if not mix:
            continue
        records, meta = mix
        d = duration(meta)
        sent = int(meta.get("sent", "0"))
        rate = float(meta.get("rate", "0") or 0)
        loop = f"open loop, {rate:.0f} req/s scheduled" if rate > 0 else f"closed loop, {meta.get('connections', '?')} connections"
        w(f"\n#### {name}: {loop}, {d:.1f} s\n")
        w("| type | sent | answered | 200 | 503 | other | 5xx ≠ 503 | 200/s | 200 p50 ms | 200 p90 ms | 200 p99 ms | 200 max ms "
          "| 503 p50 ms | 503 p99 ms | 503 with Retry-After | 200 bodies ok | unanswered at end |")
        w("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for kind in TYPES + ["all"]:
            rs = [r for r in records if kind == "all" or r["type"] == kind]
            if not rs and kind != "all":
                continue
            st = statuses(rs)
            ok = [r["ms"] for r in rs if r["status"] == 200]
            r503 = [r for r in rs if r["status"] == 503]
            other = {s: n for s, n in st.items() if s not in (200, 503)}
            other5xx = sum(n for s, n in other.items() if s >= 500)
            with_retry = sum(1 for r in r503 if r["retry"] not in ("-", ""))
            bodies_ok = sum(1 for r in rs if r["status"] == 200 and r["ok"] == "1")
            if kind == "all":
                unans = sum(int(v) for k, v in meta.items() if k.startswith("unanswered_"))
                k_sent = sent
                ok_rate[name] = len(ok) / d
            else:
                unans = int(meta.get(f"unanswered_{kind}", "0"))
                k_sent = len(rs) + unans
                verdict["other5xx"] += other5xx
                verdict["body_bad"] += len(ok) - bodies_ok
                verdict["missing_retry_after"] += len(r503) - with_retry
                if other5xx:
                    findings.append(f"**FAIL** {name}, {kind}: {other5xx} responses 5xx other than 503 "
                                    f"({', '.join(f'{n}×{s}' for s, n in sorted(other.items()) if s >= 500)})")
                if len(r503) - with_retry:
                    findings.append(f"**FAIL** {name}, {kind}: {len(r503) - with_retry} of {len(r503)} 503s without Retry-After")
                if len(ok) - bodies_ok:
                    findings.append(f"**FAIL** {name}, {kind}: {len(ok) - bodies_ok} 200 bodies do not start as a {kind} should")
            other_txt = ", ".join(f"{n}×{s}" for s, n in sorted(other.items())) or "0"
            label = f"**{kind}**" if kind == "all" else kind
            w(f"| {label} | {k_sent} | {len(rs)} | {st.get(200, 0)} | {len(r503)} | {other_txt} | "
              f"{'**' + str(other5xx) + '**' if other5xx else 0} | {fmt(len(ok) / d)} | "
              f"{fmt(pct(ok, .5))} | {fmt(pct(ok, .9))} | {fmt(pct(ok, .99))} | {fmt(max(ok) if ok else float('nan'))} | "
              f"{fmt(pct([r['ms'] for r in r503], .5))} | {fmt(pct([r['ms'] for r in r503], .99))} | "
              f"{with_retry}/{len(r503)} | {bodies_ok}/{len(ok)} | {unans} |")
        errs = {k: int(meta.get(k, "0")) for k in ("connect_err", "read_err", "write_err", "timeouts")}
        n_sock = errs["connect_err"] + errs["read_err"] + errs["write_err"]
        verdict["socket_errors"] += n_sock
        if n_sock:
            findings.append(f"**FAIL** {name}: {n_sock} socket errors (connect {errs['connect_err']}, read {errs['read_err']}, write {errs['write_err']})")
        unmatched = int(meta.get("unmatched", "0"))
        verdict["unmatched"] += unmatched
        if unmatched:
            findings.append(f"**FAIL** {name}: {unmatched} responses without a known X-Request-Id (not from the "
                            "handlers: no status or latency recorded for them)")
        lags = [r["lag"] for r in records]
        late = sum(1 for x in lags if x > 10)
        w("")
        w(f"- answered {len(records)} of {sent} sent ({len(records) / d:.1f}/s); "
          f"unmatched responses {meta.get('unmatched', '0')}; wrk socket errors: connect {errs['connect_err']}, "
          f"read {errs['read_err']}, write {errs['write_err']}; wrk timeouts (> --timeout) {errs['timeouts']}")
        if rate > 0:
            w(f"- offered {sent / d:.1f} req/s; send lag behind the Poisson schedule p50 {fmt(pct(lags, .5))} ms, "
              f"p99 {fmt(pct(lags, .99))} ms, max {fmt(max(lags) if lags else float('nan'))} ms; {late} requests "
              f"({100 * late / max(1, len(lags)):.1f} %) left > 10 ms late (no free connection: the generator fell behind)")
            if late > 0.05 * max(1, len(lags)):
                findings.append(f"**NOTE** {name}: {100 * late / len(lags):.0f} % of the requests left > 10 ms late: "
                                "the generator ran out of connections (raise CONNECTIONS); the load was partly closed-loop")

    # The probes (/healthz and /metrics, alternated by the health-mode wrk),
    # per phase, one table per endpoint.
    probe_stats = {}
    for probe, path, heading in PROBES:
        present = any(health and (any(r["type"] == probe for r in health[0]) or f"unanswered_{probe}" in health[1])
                      for _name, _mix, health in phases)
        verdict[f"{probe}_probes"] = 0
        if not present:
            continue
        w(f"\n#### {heading}\n")
        w("| phase | probes | 200 | other | p50 ms | p90 ms | p99 ms | max ms | > 100 ms | > 1 s | unanswered at end | probe lag p99 ms |")
        w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        stats = probe_stats[probe] = {}
        for name, _mix, health in phases:
            if not health:
                continue
            records = [r for r in health[0] if r["type"] == probe]
            meta = health[1]
            lat = [r["ms"] for r in records]
            ok = sum(1 for r in records if r["status"] == 200 and r["ok"] == "1")
            unans = int(meta.get(f"unanswered_{probe}", "0"))
            verdict[f"{probe}_non200"] += len(records) - ok
            verdict[f"{probe}_probes"] += len(records)
            stats[name] = (pct(lat, .5), pct(lat, .99), max(lat) if lat else float("nan"))
            if len(records) - ok:
                findings.append(f"**FAIL** {name}: {len(records) - ok} {path} probes not 200 with a good body")
            w(f"| {name} | {len(records)} | {ok} | {len(records) - ok} | {fmt(pct(lat, .5), 2)} | {fmt(pct(lat, .9), 2)} | "
              f"{fmt(pct(lat, .99), 2)} | {fmt(max(lat) if lat else float('nan'), 2)} | {sum(1 for x in lat if x > 100)} | "
              f"{sum(1 for x in lat if x > 1000)} | {unans} | {fmt(pct([r['lag'] for r in records], .99), 1)} |")
        for name, (p50, p99, mx) in stats.items():
            if p99 > args.health_p99_limit_ms:
                findings.append(f"**SLOW** {path} during {name}: p99 {p99:.1f} ms (max {mx:.1f} ms) > {args.health_p99_limit_ms:g} ms")
    health_stats = probe_stats.get("health", {})
    verdict["health_p99_ms_overload"] = round(max([v[1] for k, v in health_stats.items() if k.startswith("overload")] or [0]), 2)
    metrics_stats = probe_stats.get("metrics", {})
    verdict["metrics_p99_ms_overload"] = round(max([v[1] for k, v in metrics_stats.items() if k.startswith("overload")] or [0]), 2)

    # Server: memory, threads, queue, per phase.
    w("\n#### Server process (every 100 ms from /proc/PID; queue and in-flight from GET /readyz every 0.5 s)\n")
    w("| phase | seconds | VmRSS first MB | VmRSS last MB | VmRSS peak MB | VmHWM at end MB | threads peak | queued peak | queued mean "
      "| in flight peak | threads started (seen every 100 ms) | server CPU (cores) | wrk + sampler CPU (cores) | other processes (cores) | 200s per server CPU s |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ncpu = os.cpu_count() or 1
    noisy = []
    order = []
    for s in samples:
        if s["phase"] not in order:
            order.append(s["phase"])
    for phase in order:
        ss = [s for s in samples if s["phase"] == phase]
        secs = float(ss[-1]["t_s"]) - float(ss[0]["t_s"])
        rss = [int(s["rss_kb"]) / 1024 for s in ss]
        q = [int(s["queued"]) for s in ss if s["queued"].isdigit()]
        fl = [int(s["in_flight"]) for s in ss if s["in_flight"].isdigit()]
        cpu = (int(ss[-1]["cpu_ticks"]) - int(ss[0]["cpu_ticks"])) / hz
        cores = cpu / secs if secs > 0 else float("nan")
        ccpu = client_cpu.get(phase, 0.0) + float(ss[-1]["sampler_s"]) - float(ss[0]["sampler_s"])
        ccores = ccpu / secs if secs > 0 else float("nan")
        d_total = int(ss[-1]["machine_total_ticks"]) - int(ss[0]["machine_total_ticks"])
        d_busy = int(ss[-1]["machine_busy_ticks"]) - int(ss[0]["machine_busy_ticks"])
        machine = ncpu * d_busy / d_total if d_total > 0 else float("nan")
        others = max(0.0, machine - cores - ccores)
        if secs >= 3 and others > 0.3:
            noisy.append(f"{phase} {others:.2f}")
        per_cpu = ok_rate.get(phase, float("nan")) * secs / cpu if cpu > 0 else float("nan")
        w(f"| {phase} | {secs:.1f} | {rss[0]:.1f} | {rss[-1]:.1f} | {max(rss):.1f} | {int(ss[-1]['hwm_kb']) / 1024:.1f} | "
          f"{max(int(s['threads']) for s in ss)} | {max(q) if q else '–'} | {fmt(sum(q) / len(q)) if q else '–'} | "
          f"{max(fl) if fl else '–'} | {int(ss[-1]['tids_seen']) - int(ss[0]['tids_seen'])} | {fmt(cores, 2)} | {fmt(ccores, 2)} | {fmt(others, 2)} | {fmt(per_cpu, 0)} |")
    if noisy:
        findings.append("**NOISE** other processes on this machine used CPU during the run (phase cores: "
                        + "; ".join(noisy) + "): the server had less than the whole machine; compare with care")
    over = [s for s in samples if s["phase"].startswith("overload")]
    if over:
        t0, t1 = float(over[0]["t_s"]), float(over[-1]["t_s"])
        first = [int(s["rss_kb"]) / 1024 for s in over if float(s["t_s"]) < t0 + 10]
        last = [int(s["rss_kb"]) / 1024 for s in over if float(s["t_s"]) > t1 - 10]
        m_first, m_last = sum(first) / len(first), sum(last) / len(last)
        growth = 100 * (m_last - m_first) / m_first
        verdict["rss_growth_pct"] = round(growth, 1)
        w("")
        w(f"- overload VmRSS: mean of the first 10 s {m_first:.1f} MB, of the last 10 s {m_last:.1f} MB ({growth:+.1f} %); "
          f"peak of the whole run {max(int(s['rss_kb']) for s in samples) / 1024:.1f} MB, VmHWM at the end {int(samples[-1]['hwm_kb']) / 1024:.1f} MB")
        w("- overload VmRSS per 5 s (max MB): " + " ".join(f"{v / 1024:.0f}" for v in per_bucket(over, t0, "rss_kb")))
        w("- overload threads per 5 s (max): " + " ".join(str(v) for v in per_bucket(over, t0, "threads")))
        qb = per_bucket(over, t0, "queued")
        if qb:
            w(f"- overload queued jobs per 5 s (max; queue depth {args.queue_depth}): " + " ".join(str(v) for v in qb))
        rz = [float(s["readyz_ms"]) for s in over if s["readyz_ms"]]
        errs = sum(1 for s in over if s["queued"] == "err")
        w(f"- GET /readyz of the sampler during the overload: p50 {fmt(pct(rz, .5), 1)} ms, max "
          f"{fmt(max(rz) if rz else float('nan'), 1)} ms, {errs} failed (2 s timeout)")
        if growth > args.rss_growth_limit_pct and m_last - m_first > 10:
            findings.append(f"**GROWTH** VmRSS grew {growth:+.0f} % during the overload ({m_first:.0f} → {m_last:.0f} MB, "
                            "mean of the first vs the last 10 s)")
        base = [int(s["rss_kb"]) / 1024 for s in samples if s["phase"].startswith("capacity")]
        after = [int(s["rss_kb"]) / 1024 for s in samples if s["phase"] == "after"]
        if base and after:
            w(f"- VmRSS at the end of the capacity phase {base[-1]:.1f} MB, after the overload and the drain {after[-1]:.1f} MB")
            if after[-1] > 1.5 * base[-1] and after[-1] - base[-1] > 20:
                flat = growth <= args.rss_growth_limit_pct
                findings.append(f"**RETAINED** VmRSS after the drain {after[-1]:.0f} MB vs {base[-1]:.0f} MB at the end of the "
                                "capacity phase: memory not given back to the OS"
                                + (f"; flat during the overload ({growth:+.0f} % first vs last 10 s), so retention "
                                   "(allocator) rather than a leak" if flat else ""))
        tmax = max(int(s["threads"]) for s in over)
        tbase = [int(s["threads"]) for s in samples if s["phase"] == "idle"]
        if tbase and tmax > 4 * max(tbase) and tmax > 64:
            findings.append(f"**NOTE** the server ran up to {tmax} threads during the overload (idle: {max(tbase)})")
    if args.capacity:
        for name, rate in ok_rate.items():
            if name.startswith("overload"):
                ratio = rate / args.capacity
                verdict["goodput_ratio"] = round(ratio, 2)
                if ratio < 0.8:
                    findings.append(f"**NOTE** goodput under overload: {rate:.0f} 200s/s, {100 * ratio:.0f} % of the "
                                    f"{args.capacity:.0f}/s capacity (the 503s are not free; wrk shares the 2 cores; see the CPU columns)")

    print("\n".join(out))
    print("\n#### Automatic findings\n")
    print("\n".join(f"- {f}" for f in findings) if findings else "- none: no 5xx other than 503, every 503 with Retry-After, "
          "every 200 body as expected, /healthz and /metrics within the limit, no memory growth")
    print("VERDICT " + " ".join(f"{k}={v}" for k, v in verdict.items()), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("image-body")
    p.add_argument("--dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--field", action="append", default=[])
    p.set_defaults(func=image_body)
    p = sub.add_parser("sample")
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--phase-file", required=True)
    p.add_argument("--url")
    p.add_argument("--interval", type=float, default=0.1)
    p.add_argument("--readyz-every", type=int, default=5)
    p.add_argument("--max-seconds", type=float, default=900)
    p.set_defaults(func=sample)
    p = sub.add_parser("summary")
    p.add_argument("--tsv", required=True)
    p.set_defaults(func=summary)
    p = sub.add_parser("check")
    p.add_argument("--dir", required=True)
    p.add_argument("--zip-items", type=int, default=5)
    p.add_argument("--images", type=int, default=3)
    p.add_argument("--width", type=int, default=400)
    p.set_defaults(func=check_dir)
    p = sub.add_parser("report")
    p.add_argument("--phase", action="append", default=[])
    p.add_argument("--samples", required=True)
    p.add_argument("--queue-depth", default="?")
    p.add_argument("--capacity", type=float, default=0.0)
    p.add_argument("--client-cpu", action="append", default=[])
    p.add_argument("--health-p99-limit-ms", type=float, default=100.0)
    p.add_argument("--rss-growth-limit-pct", type=float, default=25.0)
    p.set_defaults(func=report)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
