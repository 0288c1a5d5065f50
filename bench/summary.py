#!/usr/bin/env python3
"""One table of docsmith against its peers, from the compare scripts' raw results.

    python bench/summary.py [--run-info bench/out/all_run.tsv] [--update-readme]
                            [--out bench/out/summary.md] [--plot docs/benchmarks.png | --no-plot]

bash bench/all.sh runs the compare scripts and then this (with --update-readme);
run it alone to redo the table from what is in bench/out/. It reads:

  pdf    bench/out/pdf_compare_raw.jsonl   (+ pdf_compare.md: date, checks)
  docx   bench/out/docx_compare_raw.jsonl  (+ docx_compare.md)
  xlsx   bench/out/xlsx_1m_cells.md        (the script writes no raw file)
  image  bench/out/image_compare.jsonl     (+ image_compare.md)
  zip    bench/out/zip_compare_raw.jsonl   (+ zip_compare.md)

and writes bench/out/summary.md: one table with a group of rows per job
(docsmith's median, each peer's median, peer / docsmith), the machine (CPU
model, cores, RAM, kernel, load average at start and end, date, commit,
docsmith and peer versions) and the exact command; docs/benchmarks.png (per
job time, docsmith vs peers, log scale; needs matplotlib from
bench/requirements.txt); with --update-readme, the text between README's
<!-- bench-summary:start --> and <!-- bench-summary:end --> markers (inserted
under "## Benchmarks" when missing; nothing else in README is touched).

The run record (--run-info, written by bench/all.sh) says when the run started
and ended, its load averages, its command and each script's exit code: a
result from before the run, or from a script that failed, is flagged in the
table. Without it, the current load and each report's own date are shown.
Exit: 0 = written; 1 = no results at all, or the plot or README update failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import pathlib
import platform
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass, field

from jsonl_rounds import read_objects

BENCH_DIR = pathlib.Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
START_MARK = "<!-- bench-summary:start -->"
END_MARK = "<!-- bench-summary:end -->"
SCRIPTS = {
    "pdf": "pdf_compare.sh",
    "docx": "docx_compare.sh",
    "xlsx": "xlsx_1m_cells.sh",
    "image": "image_compare.sh",
    "zip": "zip_compare.sh",
}
TITLES = {"pdf": "PDF", "docx": "DOCX", "xlsx": "XLSX", "image": "Images", "zip": "ZIP"}
med = statistics.median


# ---------------------------------------------------------------- data model


@dataclass
class Peer:
    label: str
    ms: float


@dataclass
class Job:
    source: str  # pdf, docx, xlsx, image, zip
    label: str
    timed: str  # what the numbers are
    ds_ms: float | None
    peers: list[Peer]
    flags: list[str] = field(default_factory=list)


@dataclass
class Source:
    name: str
    raw: pathlib.Path  # the file the numbers come from
    report: pathlib.Path  # the script's Markdown report
    jobs: list[Job] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # peer -> version
    notes: list[str] = field(default_factory=list)
    measured: str = ""  # the report's "- date:" line
    problems: list[str] = field(default_factory=list)


def read_jsonl(path: pathlib.Path) -> list[dict]:
    return list(read_objects(path))


def report_text(src: Source) -> str:
    try:
        return src.report.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def report_date(text: str) -> str:
    m = re.search(r"^- date: (.+)$", text, re.M)
    return m.group(1).strip() if m else ""


def nrounds(rows: list[dict]) -> int:
    return len({r.get("round") for r in rows})


def rounds_text(n: int | str) -> str:
    return f"{n} round" if str(n) == "1" else f"{n} rounds"


def per_round_median(rows: list[dict], tool: str) -> float | None:
    """Median over the rounds of the tool's per-round median (as the scripts do)."""
    vals = [float(r["median_ms"]) for r in rows if r.get("tool") == tool and "median_ms" in r]
    return med(vals) if vals else None


# ---------------------------------------------------------------- the sources


def load_pdf() -> Source:
    src = Source("pdf", OUT_DIR / "pdf_compare_raw.jsonl", OUT_DIR / "pdf_compare.md")
    rows = read_jsonl(src.raw)
    text = report_text(src)
    src.measured = report_date(text)
    if "PDF CHECK FAILED" in text:
        src.problems.append("a PDF failed its content check (see bench/out/pdf_compare.md)")
    labels = {
        "weasyprint": "WeasyPrint {v} (HTML+CSS)",
        "reportlab": "ReportLab {v} (platypus, stock QR widget)",
        "reportlab_segno": "ReportLab {v} (platypus, QR drawn from segno)",
    }
    peers = []
    for tool, fmt in labels.items():
        trs = [r for r in rows if r.get("tool") == tool]
        if not trs:
            continue
        version = str(trs[-1].get("version", ""))
        short = re.match(r"(?:WeasyPrint|ReportLab) ([\w.]+)", version)
        peers.append(Peer(fmt.format(v=short.group(1) if short else "").replace("  ", " "), per_round_median(rows, tool)))
        src.versions[version.split(" (")[0] or tool] = ""
    its = next((r.get("iterations") for r in rows if r.get("iterations")), None)
    timed = f"in-process, {rounds_text(nrounds(rows))}" + (f" × {its} it." if its else "")
    src.jobs.append(Job("pdf", "PDF invoice, 1 page (`samples/pdf-invoice.json`)", timed,
                        per_round_median(rows, "docsmith"), peers))
    return src


def load_docx() -> Source:
    src = Source("docx", OUT_DIR / "docx_compare_raw.jsonl", OUT_DIR / "docx_compare.md")
    rows = read_jsonl(src.raw)
    text = report_text(src)
    src.measured = report_date(text)
    if "DOCX CHECK FAILED" in text:
        src.problems.append("a DOCX failed its content check (see bench/out/docx_compare.md)")
    m = re.search(r"\((\d+) headings \+ paragraphs, one (\d+)-row", text)
    what = f"{int(m.group(1)):,} paragraphs + {int(m.group(2)):,}-row table" if m else "big document"
    peers = []
    prs = [r for r in rows if r.get("tool") == "python-docx"]
    if prs:
        v = prs[-1].get("version", "")
        peers.append(Peer(f"python-docx {v}".strip(), per_round_median(rows, "python-docx")))
        src.versions[f"python-docx {v}".strip()] = ""
        if prs[-1].get("lxml"):
            src.versions[f"lxml {prs[-1]['lxml']}"] = ""
    src.jobs.append(Job("docx", f"DOCX, {what}", f"in-process, {rounds_text(nrounds(rows))}",
                        per_round_median(rows, "docsmith"), peers))
    return src


def load_xlsx() -> Source:
    # xlsx_1m_cells.sh keeps no raw file: its report's table is the source.
    src = Source("xlsx", OUT_DIR / "xlsx_1m_cells.md", OUT_DIR / "xlsx_1m_cells.md")
    text = src.raw.read_text(encoding="utf-8", errors="replace")
    src.measured = report_date(text)
    if "OUTPUT CHECK FAILED" in text:
        src.problems.append("an XLSX failed its cell-by-cell check (see bench/out/xlsx_1m_cells.md)")
    m = re.search(r"^## XLSX, (\d+) rows x (\d+) columns \((\d+) cells\)", text, re.M)
    cells = int(m.group(3)) if m else 0
    if cells == 1_000_000:
        label = "XLSX, 1M cells (100,000 rows × 10 typed columns)"
    elif m:
        label = f"XLSX, {cells:,} cells ({int(m.group(1)):,} rows × {m.group(2)} columns)"
    else:
        label = "XLSX"
    row = re.compile(r"^\| (docsmith|XlsxWriter \(Python\)) \| ([\d.]+) \| ([\d.]+) \| (\d+) \|", re.M)
    found = {name: (float(wall) * 1000, float(rss)) for name, wall, rss, _ in row.findall(text)}
    ver = re.search(r"\((XlsxWriter [\w.]+), (Python [\w.]+)", text)
    if ver:
        src.versions[ver.group(1)] = ""
        src.versions[ver.group(2)] = ""
    peers = []
    if "XlsxWriter (Python)" in found:
        peers.append(Peer(f"{ver.group(1) if ver else 'XlsxWriter'} (constant_memory)", found["XlsxWriter (Python)"][0]))
    rounds = re.search(r"(\d+) alternating rounds", text)
    timed = "whole process, JSON parse included" + (f", {rounds_text(rounds.group(1))}" if rounds else "")
    ds = found.get("docsmith")
    src.jobs.append(Job("xlsx", label, timed, ds[0] if ds else None, peers))
    if ds and "XlsxWriter (Python)" in found:
        src.notes.append(f"XLSX peak RSS: docsmith {ds[1]:.0f} MB, XlsxWriter {found['XlsxWriter (Python)'][1]:.0f} MB.")
    return src


def load_image() -> Source:
    src = Source("image", OUT_DIR / "image_compare.jsonl", OUT_DIR / "image_compare.md")
    rows = read_jsonl(src.raw)
    src.measured = report_date(report_text(src))
    versions: dict = {}
    samples = []
    for r in rows:
        if isinstance(r.get("versions"), dict):
            for k, v in r["versions"].items():
                versions.setdefault(k, v)
        elif {"tool", "op", "file"} <= r.keys() and isinstance(r.get("ms"), list) and r["ms"]:
            samples.append(r)
    pil = versions.get("pillow") or {}
    vips = versions.get("pyvips") or {}
    quality = versions.get("quality") or {}
    width = versions.get("width") or next((r.get("width") for r in samples), "?")
    if pil:
        src.versions[f"Pillow {pil.get('Pillow', '?')}"] = ""
    if vips:
        src.versions[f"pyvips {vips.get('pyvips', '?')} (libvips {vips.get('libvips', '?')})"] = ""
    labels = {
        "pyvips": f"pyvips {vips.get('pyvips', '')} (thumbnail_buffer)".replace("  ", " "),
        "pillow": f"Pillow {pil.get('Pillow', '')} (open + resize LANCZOS)".replace("  ", " "),
    }
    op_names = {"jpeg": "JPEG", "webp": "WebP", "avif": "AVIF"}
    for op in ("jpeg", "webp", "avif"):
        ops = [s for s in samples if s["op"] == op]
        if not ops:
            continue
        per_file: dict[str, dict[str, list[float]]] = {}
        for s in ops:
            per_file.setdefault(s["tool"], {}).setdefault(s["file"], []).extend(float(x) for x in s["ms"])
        # Only the files every tool converted, so the sums cover the same photos.
        files = set.intersection(*(set(f) for f in per_file.values()))
        if not files:
            continue

        def total(tool: str) -> float | None:
            if tool not in per_file:
                return None
            return sum(med(per_file[tool][f]) for f in files)

        peers = []
        for t in ("pyvips", "pillow"):
            if t not in per_file:
                continue
            label = labels[t]
            if op == "avif":  # the encoder speed decides AVIF times
                setting = str((vips.get("avif_effort") if t == "pyvips" else pil.get("avif_speed")) or "?")
                num = re.search(r"\d+", setting)
                label = label[:-1] + (f", effort {num.group(0) if num else setting})" if t == "pyvips"
                                      else f", aom speed {num.group(0) if num else setting})")
            peers.append(Peer(label, total(t)))
        q = quality.get(op)
        label = f"Images: {len(files)} photos → {op_names[op]}{f' q{q}' if q else ''}, {width} px wide"
        its = max(len(s["ms"]) for s in ops)
        timed = f"in-process, {rounds_text(nrounds(ops))} × {its} it., per-photo medians summed"
        src.jobs.append(Job("image", label, timed, total("docsmith"), peers))
    src.notes.append(
        "Images: the time for all the photos, each photo's median over its iterations and rounds, summed "
        "(bytes in memory → decode → resize → encode → bytes). pyvips shrinks on load, Pillow decodes at full size; "
        "AVIF time is mostly the encoder's speed setting (the libraries' defaults, in the peers' labels).")
    return src


def load_zip() -> Source:
    src = Source("zip", OUT_DIR / "zip_compare_raw.jsonl", OUT_DIR / "zip_compare.md")
    rows = read_jsonl(src.raw)
    text = report_text(src)
    src.measured = report_date(text)
    zv = re.search(r"- Info-ZIP: (Zip [\w.]+)", text)
    zip_name = f"Info-ZIP {zv.group(1)}" if zv else "Info-ZIP zip"
    src.versions[zip_name] = ""

    def wall_ms(s: str, tool: str) -> float | None:
        vals = [float(r["wall_s"]) * 1000 for r in rows if r.get("set") == s and r.get("tool") == tool]
        return med(vals) if vals else None

    def peers(s: str, tools: list[tuple[str, str]]) -> list[Peer]:
        return [Peer(f"{zip_name} {lab}", w) for t, lab in tools if (w := wall_ms(s, t)) is not None]

    rounds = nrounds(rows)
    timed = f"whole process, {rounds_text(rounds)}"
    for s, what in (("pdf", "invoice PDFs"), ("text", "CSV/JSON/XML files")):
        srows = [r for r in rows if r.get("set") == s]
        if not srows:
            continue
        size = f"{srows[0]['files']:,} {what}, {srows[0]['in_bytes'] / 1e6:.1f} MB"
        if s == "pdf":
            src.jobs.append(Job("zip", f"ZIP, {size} → stored (docsmith `auto`)", timed,
                                wall_ms(s, "docsmith-auto"), peers(s, [("zip-store", "-0")])))
            src.jobs.append(Job("zip", f"ZIP, {size} → deflated (docsmith `deflate`)", timed,
                                wall_ms(s, "docsmith-deflate"), peers(s, [("zip-1", "-1"), ("zip-6", "-6 (default)")])))
        else:
            src.jobs.append(Job("zip", f"ZIP, {size} → deflated (docsmith `auto`)", timed,
                                wall_ms(s, "docsmith-auto"), peers(s, [("zip-1", "-1"), ("zip-6", "-6 (default)")])))
    src.notes.append(
        "ZIP: `docsmith render` of a zip job of `file` entries vs `zip -r`, archives on tmpfs; docsmith deflates at "
        "one fast level (between `-1` and `-6` in size); `auto` stores already-compressed files such as PDFs.")
    return src


LOADERS = {"pdf": load_pdf, "docx": load_docx, "xlsx": load_xlsx, "image": load_image, "zip": load_zip}


# ---------------------------------------------------------------- run record and machine


def read_run_info(path: pathlib.Path | None) -> dict:
    info: dict = {"scripts": {}}
    if not path or not path.is_file():
        return info
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if parts[0] == "run" and len(parts) >= 3:
            info[parts[1]] = parts[2]
        elif parts[0] == "script" and len(parts) >= 5:
            info["scripts"][parts[1]] = {"rc": int(parts[2]), "seconds": int(parts[3]), "command": parts[4]}
    return info


def sh(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=ROOT).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def ram() -> str:
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def fmt_time(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def newest_source(cutoff: float | None) -> tuple[float, str]:
    """The newest file the binaries are built from, ignoring changes after cutoff
    (the run's start: a file edited during the run was not what ran)."""
    best = (0.0, "")
    limit = cutoff if cutoff is not None else float("inf")
    # What the binaries are built from (templates are compiled in; READMEs are not).
    for top in ("src", "examples", "templates"):
        for p in (ROOT / top).rglob("*"):
            if p.is_file() and p.suffix != ".md":
                t = p.stat().st_mtime
                if best[0] < t <= limit:
                    best = (t, str(p.relative_to(ROOT)))
    for name in ("Cargo.toml", "Cargo.lock"):
        p = ROOT / name
        if p.is_file() and best[0] < p.stat().st_mtime <= limit:
            best = (p.stat().st_mtime, name)
    return best


def binaries(cutoff: float | None = None) -> list[dict]:
    src_t, src_name = newest_source(cutoff)
    out = []
    for name, env, default, used in (
        ("docsmith", "DOCSMITH_BIN", "target/release/docsmith", "XLSX, ZIP"),
        ("pdf_timing", "DOCSMITH_PDF_TIMING", "target/release/examples/pdf_timing", "PDF, DOCX"),
        ("image_timing", "DOCSMITH_IMAGE_TIMING", "target/release/examples/image_timing", "images"),
    ):
        p = pathlib.Path(os.environ.get(env) or ROOT / default)
        if not p.is_file():
            out.append({"name": name, "path": p, "used": used, "built": None, "stale": ""})
            continue
        t = p.stat().st_mtime
        stale = f"older than {src_name}, changed {fmt_time(src_t)}" if src_t > t + 1 else ""
        out.append({"name": name, "path": p, "used": used, "built": fmt_time(t), "stale": stale})
    return out


def run_start(run: dict) -> float | None:
    return float(run["started_epoch"]) if run.get("started_epoch") else None


def machine(run: dict) -> dict:
    commit = sh("git", "rev-parse", "--short", "HEAD") or "none (not a git checkout)"
    if sh("git", "status", "--porcelain", "--untracked-files=no"):
        commit += " (dirty tree)"
    if run.get("commit") and run["commit"] != commit:  # the run's, taken at its start
        commit = f"{run['commit']} (now {commit})"
    ds_bin = os.environ.get("DOCSMITH_BIN") or str(ROOT / "target/release/docsmith")
    version = sh(ds_bin, "--version") or "?"
    load_now = " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3]) if os.path.exists("/proc/loadavg") else "?"
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 0
    return {
        "cpu": cpu_model(),
        "cores": cores,
        "ram": ram(),
        "kernel": f"{platform.system()} {platform.release()}",
        "load_start": run.get("load_start"),
        "load_end": run.get("load_end") or load_now,
        "load_now": load_now,
        "date": run.get("started") or "",
        "now": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "commit": commit,
        "docsmith": version,
        "python": platform.python_version(),
    }


# ---------------------------------------------------------------- formatting


def fmt_ms(ms: float | None) -> str:
    if ms is None:
        return "–"
    if ms >= 1000:
        return f"{ms / 1000:.3g} s"
    return f"{ms:.3g} ms"


def fmt_ratio(peer: float | None, ds: float | None, md: bool = True) -> str:
    if peer is None or not ds:
        return "n/a"
    def times(v: float) -> str:  # 257×, 27.9×, 1.05×, 0.68×
        return f"{v:.0f}×" if v >= 100 else f"{v:.1f}×" if v >= 1.1 else f"{v:.2f}×"

    x = peer / ds
    if x >= 1:
        return f"**{times(x)}** faster" if md else f"docsmith {times(x)} faster"
    return f"{times(x)}: {times(1 / x)} slower" if md else f"docsmith {times(1 / x)} slower"


def flag_sources(sources: list[Source], run: dict) -> None:
    """Mark results that are not from this run, or from a script that failed."""
    start = float(run["started_epoch"]) if run.get("started_epoch") else None
    end = float(run["finished_epoch"]) if run.get("finished_epoch") else None
    for src in sources:
        st = run["scripts"].get(src.name)
        mtime = src.raw.stat().st_mtime
        when = src.measured or fmt_time(mtime)
        if start is not None and mtime < start - 1:
            if st is None:
                src.problems.append(f"not run this time: numbers from an earlier run ({when})")
            elif st["rc"] != 0:
                src.problems.append(f"`{SCRIPTS[src.name]}` FAILED (exit {st['rc']}, see bench/out/all_{src.name}.log): "
                                    f"numbers from an earlier run ({when})")
            else:
                src.problems.append(f"`{SCRIPTS[src.name]}` did not rewrite {src.raw.name}: "
                                    f"numbers from an earlier run ({when})")
        elif st is not None and st["rc"] != 0:
            src.problems.append(f"`{SCRIPTS[src.name]}` exited {st['rc']} (see bench/out/all_{src.name}.log)")
        elif end is not None and mtime > end + 1:
            src.problems.append(f"measured after this run ({when}), by the script alone")
        for job in src.jobs:
            if job.ds_ms is None:
                job.flags.append("no docsmith number")


def table(sources: list[Source]) -> tuple[str, list[str]]:
    lines = ["| job | timed | docsmith | peer | peer time | peer ÷ docsmith |",
             "|---|---|---:|---|---:|---|"]
    footnotes: list[str] = []
    for src in sources:
        mark = ""
        if src.problems:
            footnotes.append(f"{TITLES[src.name]}: " + "; ".join(src.problems))
            mark = f" ⚠{len(footnotes)}"
        for job in src.jobs:
            flags = (" (" + ", ".join(job.flags) + ")") if job.flags else ""
            first = True
            for p in job.peers or [Peer("–", None)]:
                if first:
                    lines.append(f"| {job.label}{mark}{flags} | {job.timed} | **{fmt_ms(job.ds_ms)}** | {p.label} | "
                                 f"{fmt_ms(p.ms)} | {fmt_ratio(p.ms, job.ds_ms)} |")
                    first = False
                else:
                    lines.append(f"| | | | {p.label} | {fmt_ms(p.ms)} | {fmt_ratio(p.ms, job.ds_ms)} |")
    return "\n".join(lines), footnotes


def versions_line(sources: list[Source], m: dict) -> str:
    peers = [v for s in sources for v in s.versions if not v.startswith("Python")]
    return ", ".join(dict.fromkeys(peers)) + f"; Python {m['python']} (bench/.venv)"


def machine_line(m: dict, run: dict) -> str:
    if m["load_start"]:
        when = f"load average {m['load_start']} at the start, {m['load_end']} at the end; run started {m['date']}"
    else:
        when = f"load average {m['load_now']} at {m['now']} (no run record: each script's own date is under Run)"
    return (f"{m['cpu']}, {m['cores']} cores, {m['ram']} RAM, {m['kernel']}; {when}; "
            f"commit {m['commit']}; {m['docsmith']}")


def duration(run: dict) -> str:
    if not run.get("seconds"):
        return ""
    s = int(run["seconds"])
    return f"{s // 60} min {s % 60:02d} s"


# ---------------------------------------------------------------- the plot


def plot(sources: list[Source], m: dict, path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    rows = []  # (label, ms, kind, ratio text, job label?)
    for src in sources:
        for job in src.jobs:
            warn = " ⚠" if src.problems else ""
            rows.append((job.label.replace("`", "") + warn, None, "title", ""))
            rows.append(("docsmith", job.ds_ms, "docsmith", ""))
            for p in job.peers:
                rows.append((p.label, p.ms, "peer", fmt_ratio(p.ms, job.ds_ms, md=False)))
    values = [r[1] for r in rows if r[1]]
    if not values:
        raise RuntimeError("nothing to plot")
    n = len(rows)
    fig, ax = plt.subplots(figsize=(12, 0.3 * n + 1.6), dpi=110)
    ys = list(range(n))[::-1]
    colors = {"docsmith": "#1f77b4", "peer": "#f28e2b"}
    for y, (label, ms, kind, ratio) in zip(ys, rows):
        if kind == "title" or ms is None:
            continue
        ax.barh(y, ms, height=0.72, color=colors[kind], zorder=2)
        text = fmt_ms(ms) + (f"  ({ratio})" if ratio else "")
        ax.text(ms * 1.12, y, text, va="center", fontsize=8.5,
                fontweight="bold" if kind == "docsmith" else "normal")
    ax.set_xscale("log")
    lo, hi = min(values), max(values)
    # Room on the right for the value and ratio written after each bar.
    ax.set_xlim(10 ** math.floor(math.log10(lo)) / 2, hi * 200)
    ax.set_yticks(ys)
    ax.set_yticklabels([r[0] for r in rows], fontsize=8.5)
    for tick, r in zip(ax.get_yticklabels(), rows):
        if r[2] == "title":
            tick.set_fontweight("bold")
            tick.set_fontsize(9.5)
        elif r[2] == "docsmith":
            tick.set_color(colors["docsmith"])
    ax.set_ylim(-0.7, n - 0.3)

    def tick(v: float, _pos: int) -> str:  # 1 ms, 10 ms, 100 ms, 1 s, 10 s; none past the data
        if v > hi * 10:
            return ""
        return f"{v / 1000:g} s" if v >= 1000 else f"{v:g} ms"

    ax.xaxis.set_major_formatter(FuncFormatter(tick))
    ax.grid(axis="x", which="major", color="#dddddd", zorder=0)
    ax.set_xlabel("time per job (log scale; shorter is faster)")
    when = "one run of bench/all.sh" if m["load_start"] else "the compare scripts' last runs"
    ax.set_title(f"docsmith vs peers: time per job (medians, {when})", fontsize=12, loc="left")
    fig.text(0.01, 0.005, f"{m['cpu']}, {m['cores']} cores, {m['ram']}; {m['date'] or m['now']}; commit {m['commit']}; "
             f"{m['docsmith']}; shared, noisy VM"
             + ("; ⚠ = flagged, see the notes under the table" if any(s.problems for s in sources) else ""),
             fontsize=7.5, color="#555555")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=colors["docsmith"], label="docsmith"), Patch(color=colors["peer"], label="peer")],
              loc="upper right", fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


# ---------------------------------------------------------------- output


def render(sources: list[Source], m: dict, run: dict, plot_rel: str | None, readme: bool) -> str:
    tbl, footnotes = table(sources)
    cmd = run.get("command") or "python bench/summary.py (results of the scripts' last runs)"
    took = duration(run)
    quick = run.get("quick") == "1"
    out = []
    if readme:
        out.append("<!-- Written by `bench/summary.py --update-readme` (run by `bash bench/all.sh`); "
                   "edits between the markers are overwritten. -->")
        out.append("")
        out.append(f"**All peer comparisons, one run** — `{cmd}`" + (f", {took} in all" if took else "")
                   + (" (**QUICK=1: fewer rounds and iterations**)" if quick else "") + ". Medians; "
                   "docsmith and each peer measured in the same script run, alternating; "
                   "peer ÷ docsmith > 1× means docsmith is that many times faster.")
    else:
        out.append("## docsmith vs peers: every comparison")
        out.append("")
        out.append(f"- command: `{cmd}`" + (f" ({took} wall time)" if took else "")
                   + (" — QUICK=1: fewer rounds and iterations" if quick else ""))
        out.append("- medians; docsmith and each peer measured in the same script run, alternating; "
                   "peer ÷ docsmith > 1× means docsmith is that many times faster")
    out.append("")
    out.append(tbl)
    out.append("")
    if footnotes:
        out.extend(f"⚠{i}: {f}  " for i, f in enumerate(footnotes, 1))
        out.append("")
    out.append(f"Machine: {machine_line(m, run)}. Peers: {versions_line(sources, m)}.")
    out.append("")
    stale = [b for b in binaries(run_start(run)) if b["stale"] or not b["built"]]
    notes = ["In-process rows time job → bytes in memory after a warm-up (process start and file I/O excluded); "
             "whole-process rows time the command line, start-up and files included."]
    for s in sources:
        notes.extend(s.notes)
    old = [b for b in stale if b["built"]]
    if old:
        newest = old[0]["stale"].removeprefix("older than ")
        notes.append("Binaries older than the sources at the run's start (newest: " + newest + "): "
                     + ", ".join(f"{b['name']} (built {b['built']}; {b['used']} rows)" for b in old)
                     + ". Their numbers may not include the latest changes; rebuild with "
                     "`cargo build --release --bins --example pdf_timing --example image_timing`.")
    for b in stale:
        if not b["built"]:
            notes.append(f"No {b['name']} binary at {b['path']}.")
    out.extend(f"- {n}" for n in notes)
    out.append("")
    if plot_rel:
        out.append(f"![Time per job, docsmith vs peers, log scale]({plot_rel})")
        out.append("")
    if readme:
        out.append("Below, each comparison in detail: what exactly is measured and checked, and numbers quoted "
                   "from the scripts' reports when they were written.")
        out.append("")
    if not readme:
        out.append("### Run")
        out.append("")
        scripts = run.get("scripts") or {}
        if scripts:
            out.append("| script | command | exit | wall time |")
            out.append("|---|---|---:|---:|")
            for name, st in scripts.items():
                out.append(f"| {name} | `{st['command']}` | {st['rc']} | {st['seconds']} s |")
            out.append("")
        out.append(f"- started: {run.get('started', '?')}, finished: {run.get('finished', '?')}")
        out.append(f"- CPU: {m['cpu']}; cores: {m['cores']}; RAM: {m['ram']}; kernel: {m['kernel']}")
        out.append(f"- load average (1/5/15 min): start {m['load_start'] or '?'}, end {m['load_end']}")
        out.append(f"- commit: {m['commit']}; {m['docsmith']}")
        for b in binaries(run_start(run)):
            out.append(f"- binary {b['name']} ({b['used']}): {b['path']}"
                       + (f", built {b['built']}" if b["built"] else " (missing)")
                       + (f", **{b['stale']}**" if b["stale"] else ""))
        out.append(f"- peers: {versions_line(sources, m)}")
        for s in sources:
            out.append(f"- {s.name}: numbers from {s.raw.relative_to(ROOT)}, report {s.report.relative_to(ROOT)}"
                       + (f" (measured {s.measured})" if s.measured else ""))
        out.append("- caveat: a shared, noisy 2-core VM; compare numbers from the same run only")
        out.append("")
    return "\n".join(out)


def update_readme(path: pathlib.Path, block: str) -> None:
    # Read just before writing: other people edit other parts of README.
    text = path.read_text(encoding="utf-8")
    new_block = f"{START_MARK}\n{block.strip()}\n{END_MARK}"
    head = re.search(r"^## Benchmarks[ \t]*\n", text, re.M)
    if not head:
        raise RuntimeError(f"{path}: no '## Benchmarks' section")
    nxt = re.search(r"^## ", text[head.end():], re.M)
    sec_end = head.end() + nxt.start() if nxt else len(text)
    s, e = text.find(START_MARK), text.find(END_MARK)
    if s == -1 and e == -1:
        new = text[:head.end()] + "\n" + new_block + "\n" + text[head.end():]
    elif s != -1 and e > s and head.end() <= s and e < sec_end:
        new = text[:s] + new_block + text[e + len(END_MARK):]
    else:
        raise RuntimeError(f"{path}: the bench-summary markers are not one pair inside '## Benchmarks'")
    if new != text:
        path.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run-info", type=pathlib.Path, default=OUT_DIR / "all_run.tsv",
                    help="bench/all.sh's run record (default: %(default)s)")
    ap.add_argument("--out", type=pathlib.Path, default=OUT_DIR / "summary.md")
    ap.add_argument("--plot", type=pathlib.Path, default=ROOT / "docs" / "benchmarks.png")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--update-readme", action="store_true")
    ap.add_argument("--readme", type=pathlib.Path, default=ROOT / "README.md")
    args = ap.parse_args(argv)

    run = read_run_info(args.run_info)
    sources: list[Source] = []
    for name, load in LOADERS.items():
        try:
            src = load()
        except FileNotFoundError as e:
            print(f"[summary] {name}: no results ({e.filename}); run bench/{SCRIPTS[name]}", file=sys.stderr)
            continue
        except Exception as e:  # a malformed file must not hide the others
            print(f"[summary] {name}: could not read the results: {e!r}", file=sys.stderr)
            continue
        if src.jobs:
            sources.append(src)
    if not sources:
        print("[summary] no results in bench/out/: run bash bench/all.sh", file=sys.stderr)
        return 1
    flag_sources(sources, run)
    m = machine(run)

    rc = 0
    plot_ok = False
    if not args.no_plot:
        try:
            plot(sources, m, args.plot)
            plot_ok = True
            print(f"[summary] plot: {args.plot}", file=sys.stderr)
        except Exception as e:
            print(f"[summary] plot FAILED: {e!r}", file=sys.stderr)
            rc = 1
    rel_out = os.path.relpath(args.plot, args.out.resolve().parent) if plot_ok else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = render(sources, m, run, rel_out, readme=False)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"[summary] written: {args.out}", file=sys.stderr)
    if args.update_readme:
        rel_readme = os.path.relpath(args.plot, args.readme.resolve().parent) if plot_ok or args.plot.is_file() else None
        try:
            update_readme(args.readme, render(sources, m, run, rel_readme, readme=True))
            print(f"[summary] README updated between {START_MARK} and {END_MARK}", file=sys.stderr)
        except Exception as e:
            print(f"[summary] README update FAILED: {e}", file=sys.stderr)
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main())
