#!/usr/bin/env python3
"""Async jobs under failure: API nodes and workers on loopback sharing one
PostgreSQL database and one S3 bucket; jobs submitted through the API nodes
in turn; one worker SIGKILLed mid-run and another stopped and started again.
Every job must end `succeeded` exactly once with a downloadable, valid
result; none lost or stuck. Prints a report and writes it to
target/fault-test/report.md; exits 1 on any failure.

Run by scripts/fault_test.sh, which starts the servers and sets the
environment (DOCSMITH_TEST_POSTGRES, DOCSMITH_TEST_S3, AWS_*)."""

import argparse
import collections
import concurrent.futures
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import zipfile
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "fault-test")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=None, headers=None, timeout=30):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, dict(res.headers), res.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def jobs(count):
    """`count` jobs of every format, each distinct (its own number)."""
    invoice = json.load(open(os.path.join(ROOT, "samples", "pdf-invoice.json")))
    sales = json.load(open(os.path.join(ROOT, "samples", "xlsx-sales-report.json")))
    out = []
    for i in range(count):
        kind = ["pdf", "pdf", "docx", "xlsx", "zip", "pdf", "docx", "xlsx", "pdf", "zip"][i % 10]
        if kind in ("pdf", "docx"):
            job = json.loads(json.dumps(invoice))
            job["format"] = kind
            job["data"]["invoice"]["number"] = f"FT-{i:05d}"
            job["filename"] = f"FT-{i:05d}.{kind}"
        elif kind == "xlsx":
            job = json.loads(json.dumps(sales))
            job["filename"] = f"sales-{i:05d}.xlsx"
        else:
            job = {
                "format": "zip",
                "filename": f"letters-{i:05d}.zip",
                "batch": {
                    "path": "letters/{{ name }}.pdf",
                    "job": {"format": "pdf", "template_source": "<document><p>Dear {{ name }},</p><p>order {{ order }}</p></document>"},
                    "items": [{"name": f"customer-{i}-{k}", "order": f"{i}/{k}"} for k in range(20)],
                },
            }
        out.append((kind, job))
    return out


MAGIC = {"pdf": b"%PDF-", "docx": b"PK\x03\x04", "xlsx": b"PK\x03\x04", "zip": b"PK\x03\x04"}


class Cluster:
    def __init__(self, binary, database, storage, api_nodes, workers, lease):
        self.binary = binary
        self.common = ["--database", database, "--storage", storage, "--lease", lease,
                       "--poll", "100ms", "--log-format", "json", "--data-dir", os.path.join(OUT, "data")]
        self.apis = []
        self.workers = {}
        self.metrics = {}
        self.logs = []
        for n in range(api_nodes):
            port = free_port()
            log = os.path.join(OUT, f"api-{n}.log")
            proc = subprocess.Popen(
                [binary, "serve", "--addr", f"127.0.0.1:{port}", "--async-workers", "0", "--workers", "2", *self.common],
                stdout=subprocess.DEVNULL, stderr=open(log, "w"))
            self.apis.append((f"http://127.0.0.1:{port}", proc))
            self.logs.append(log)
        for n in range(workers):
            self.start_worker(n)
        for base, _ in self.apis:
            for _ in range(100):
                try:
                    if request("GET", base + "/healthz", timeout=2)[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            else:
                raise SystemExit(f"fault test: {base} did not start")

    def start_worker(self, n, generation=0):
        log = os.path.join(OUT, f"worker-{n}.{generation}.log")
        port = free_port()
        proc = subprocess.Popen([self.binary, "worker", "--workers", "1", "--metrics-addr", f"127.0.0.1:{port}", *self.common],
                                stdout=subprocess.DEVNULL, stderr=open(log, "w"))
        self.workers[n] = proc
        self.metrics[n] = f"http://127.0.0.1:{port}/metrics"
        self.logs.append(log)

    def stop(self):
        for proc in [p for _, p in self.apis] + list(self.workers.values()):
            if proc.poll() is None:
                proc.terminate()
        for proc in [p for _, p in self.apis] + list(self.workers.values()):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "docsmith"))
    parser.add_argument("--timeout", type=float, default=900, help="seconds for all jobs to end")
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    admin = os.environ["DOCSMITH_TEST_POSTGRES"]
    database = admin.rsplit("/", 1)[0] + "/" + os.environ.get("FAULT_DATABASE", "docsmith_fault")
    storage = os.environ["DOCSMITH_TEST_S3"].rstrip("/") + f"/fault-{int(time.time())}"

    cluster = Cluster(args.binary, database, storage, api_nodes=2, workers=3, lease="3s")
    failures = []
    counted = 0
    try:
        work = jobs(args.jobs)
        started = time.time()
        ids = {}

        def submit(i):
            kind, job = work[i]
            base = cluster.apis[i % len(cluster.apis)][0]
            status, headers, body = request("POST", base + "/v1/jobs", json.dumps(job).encode(),
                                            {"content-type": "application/json", "idempotency-key": f"fault-{i}"})
            if status != 202:
                return i, None, f"submit {i}: {status} {body[:200]!r}"
            return i, json.loads(body)["id"], None

        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            for i, job_id, error in pool.map(submit, range(len(work))):
                if error:
                    failures.append(error)
                else:
                    ids[job_id] = i
        submitted = time.time() - started
        print(f"submitted {len(ids)} jobs through {len(cluster.apis)} API nodes in {submitted:.1f} s", flush=True)

        # Poll until every job has ended; meanwhile kill one worker and
        # restart another.
        pending = set(ids)
        states = {}
        killed = restarted = False
        events = []
        deadline = started + args.timeout
        base = cluster.apis[0][0]
        while pending and time.time() < deadline:
            def poll(job_id):
                status, _, body = request("GET", f"{base}/v1/jobs/{job_id}")
                return job_id, status, json.loads(body) if status == 200 else body
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                for job_id, status, found in pool.map(poll, sorted(pending)):
                    if status != 200:
                        failures.append(f"GET job {job_id}: {status}")
                        pending.discard(job_id)
                    elif found["state"] not in ("queued", "running"):
                        states[job_id] = found
                        pending.discard(job_id)
            done = len(ids) - len(pending)
            if not killed and done >= len(ids) * 0.2:
                cluster.workers[0].kill()
                killed = True
                events.append(f"{time.time() - started:.1f} s: SIGKILL worker 0 ({done} jobs done)")
                print(events[-1], flush=True)
            if killed and not restarted and done >= len(ids) * 0.5:
                cluster.workers[1].terminate()
                cluster.workers[1].wait(timeout=60)
                cluster.start_worker(1, generation=1)
                restarted = True
                events.append(f"{time.time() - started:.1f} s: worker 1 stopped (SIGTERM) and started again ({done} jobs done)")
                print(events[-1], flush=True)
            time.sleep(0.3)
        drained = time.time() - started
        for job_id in pending:
            failures.append(f"job {job_id} did not end within {args.timeout:.0f} s")

        # Every job succeeded, and its result downloads whole and is of its kind.
        outcomes = collections.Counter(s["state"] for s in states.values())
        retried = sum(1 for s in states.values() if s.get("attempts", 1) > 1)

        def check(job_id):
            i = ids[job_id]
            kind = work[i][0]
            found = states[job_id]
            if found["state"] != "succeeded":
                return f"job {job_id} ({kind}) ended {found['state']}: {found.get('problem')}"
            api = cluster.apis[i % len(cluster.apis)][0]
            status, headers, body = request("GET", f"{api}/v1/jobs/{job_id}/result", timeout=60)
            if status != 200:
                return f"result of {job_id}: {status}"
            if len(body) != found["size"] or not body.startswith(MAGIC[kind]):
                return f"result of {job_id} ({kind}): {len(body)} bytes, begins {body[:8]!r}"
            if kind == "pdf":
                # Every PDF ends its file; one in ten goes through qpdf --check.
                if not body.rstrip().endswith(b"%%EOF"):
                    return f"result of {job_id}: the PDF does not end with %%EOF"
                if i % 10 == 0:
                    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
                        f.write(body)
                        f.flush()
                        checked = subprocess.run(["qpdf", "--check", f.name], capture_output=True)
                    if checked.returncode != 0:
                        return f"result of {job_id}: qpdf --check: {checked.stdout[-200:]!r}"
            else:
                with zipfile.ZipFile(io.BytesIO(body)) as archive:
                    bad = archive.testzip()
                    names = archive.namelist()
                if bad is not None:
                    return f"result of {job_id} ({kind}): entry {bad} is damaged"
                if kind == "zip" and len([n for n in names if n.endswith(".pdf")]) != 20:
                    return f"result of {job_id}: {len(names)} entries, not 20 letters"
            return None

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            failures.extend(f for f in pool.map(check, sorted(states)) if f)

        # The live workers' /metrics count the jobs they ran.
        for n, url in sorted(cluster.metrics.items()):
            if cluster.workers[n].poll() is not None:
                continue
            status, _, text = request("GET", url)
            line = [l for l in text.decode().splitlines()
                    if l.startswith('docsmith_async_jobs_total{outcome="succeeded"}')]
            if status != 200 or not line:
                failures.append(f"worker {n} /metrics: {status}, no docsmith_async_jobs_total")
            else:
                counted += int(float(line[0].split()[-1]))
        if not 0 < counted <= len(ids):
            failures.append(f"the live workers' metrics count {counted} succeeded jobs")
    finally:
        cluster.stop()

    # Exactly once: the workers' logs record one end per job.
    ended = collections.Counter()
    for path in cluster.logs:
        for line in open(path, errors="replace"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("fields", {}).get("message") == "async job ended":
                job_id = entry.get("span", {}).get("job_id")
                ended[job_id] += 1
    twice = [j for j, n in ended.items() if n > 1]
    never = [j for j in ids if ended[j] == 0]
    if twice:
        failures.append(f"{len(twice)} jobs recorded as ended more than once: {twice[:5]}")
    if never:
        failures.append(f"{len(never)} jobs never recorded as ended: {never[:5]}")

    report = [
        "# Async jobs under failure",
        "",
        f"- {len(ids)} jobs (pdf, docx, xlsx, zip batches of 20) through 2 API nodes (`serve --async-workers 0`) "
        f"and 3 workers (`docsmith worker --workers 1`), PostgreSQL + S3 (moto) on loopback, lease 3 s",
        f"- submitted in {submitted:.1f} s; all ended after {drained:.1f} s (time to drain)",
        *[f"- {e}" for e in events],
        f"- outcomes: {dict(outcomes)}; {retried} jobs ran more than once (taken over after a worker stopped)",
        "- results: each downloaded through the API node it was submitted to, its size as the job says, "
        "PDFs ending with %%EOF (one in ten through `qpdf --check`), DOCX/XLSX/ZIP archives tested entry by entry",
        f"- ends recorded in the workers' logs: {sum(ended.values())} for {len(ended)} jobs; "
        f"the live workers' /metrics count {counted} (the killed worker's count died with it)",
        f"- failures: {len(failures)}",
        *[f"  - {f}" for f in failures[:20]],
    ]
    text = "\n".join(report) + "\n"
    open(os.path.join(OUT, "report.md"), "w").write(text)
    print(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
