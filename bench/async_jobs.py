#!/usr/bin/env python3
"""Async jobs vs the synchronous endpoint, one machine, side by side.

Starts one `docsmith serve` on PostgreSQL + S3 (scripts/backends.sh's
servers, via DOCSMITH_TEST_POSTGRES / DOCSMITH_TEST_S3 / AWS_*) and, in
alternating rounds, renders N one-page invoices (each with its own number)
  - sync:  POST /v1/render, CONCURRENCY requests at a time, body read whole;
  - stored: the same, naming the invoice template stored with PUT
           /v1/templates/bench-invoice (looked up in PostgreSQL and
           compiled for every job) instead of the built-in one;
  - async: POST /v1/jobs for all N, poll until every job has ended, then
           GET each /result (the same documents, fetched from S3).
Reports jobs/s and the median per-job cost of each way, and the overhead of
async per job ((async time - sync time) / N). Run by bench/async_jobs.sh."""

import argparse
import concurrent.futures
import json
import os
import re
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "bench", "out")


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def moto_version():
    try:
        out = subprocess.run([os.path.join(ROOT, "target", "backends-venv", "bin", "python"), "-c",
                              "import moto; print(moto.__version__)"], capture_output=True, text=True)
        return out.stdout.strip() or "?"
    except OSError:
        return "?"


def s3s_fs_version():
    try:
        out = subprocess.run([os.path.join(ROOT, "target", "s3s-fs", "bin", "s3s-fs"), "--version"],
                             capture_output=True, text=True)
        return out.stdout.strip() or "s3s-fs ?"
    except OSError:
        return "s3s-fs ?"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "docsmith"))
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    os.makedirs(OUT, exist_ok=True)
    invoice = json.load(open(os.path.join(ROOT, "samples", "pdf-invoice.json")))
    admin = os.environ["DOCSMITH_TEST_POSTGRES"]
    database = admin.rsplit("/", 1)[0] + "/" + os.environ.get("BENCH_DATABASE", "docsmith_bench")
    # BENCH_STORAGE=DIR keeps results in a directory instead (to see what S3 costs).
    storage = os.environ.get("BENCH_STORAGE") or os.environ["DOCSMITH_TEST_S3"].rstrip("/") + f"/bench-{int(time.time())}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(OUT, "async_jobs_server.log"), "w")
    server = subprocess.Popen(
        [args.binary, "serve", "--addr", f"127.0.0.1:{port}", "--database", database, "--storage", storage,
         "--poll", "50ms", "--queue-depth", "256", "--log", "warn",
         "--data-dir", os.path.join(ROOT, "target", "bench-async-data")],
        stdout=subprocess.DEVNULL, stderr=log)
    try:
        for _ in range(200):
            try:
                if request("GET", base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.05)

        def body(i, tag):
            job = json.loads(json.dumps(invoice))
            job["data"]["invoice"]["number"] = f"B-{tag}-{i:05d}"
            return json.dumps(job).encode()

        source = open(os.path.join(ROOT, "templates", "invoice.xml")).read()
        upload = json.dumps({"source": source, "sample_data": invoice["data"]}).encode()
        status, out = request("PUT", base + "/v1/templates/bench-invoice", upload,
                              {"content-type": "application/json"})
        assert status in (200, 201), (status, out[:300])

        def stored_round(tag):
            return sync_round(tag, template="bench-invoice")

        def sync_round(tag, template=None):
            bodies = [body(i, tag) for i in range(args.jobs)]
            if template:
                bodies = [json.dumps(dict(json.loads(b), template=template)).encode() for b in bodies]
            started = time.perf_counter()

            def one(b):
                status, out = request("POST", base + "/v1/render", b, {"content-type": "application/json"})
                assert status == 200 and out.startswith(b"%PDF-"), status
                return len(out)

            with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
                sizes = list(pool.map(one, bodies))
            return time.perf_counter() - started, sum(sizes)

        def async_round(tag):
            bodies = [body(i, tag) for i in range(args.jobs)]
            started = time.perf_counter()

            def submit(b):
                status, out = request("POST", base + "/v1/jobs", b, {"content-type": "application/json"})
                assert status == 202, (status, out[:200])
                return json.loads(out)["id"]

            with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
                ids = list(pool.map(submit, bodies))
            pending = set(ids)
            while pending:
                def state(job_id):
                    status, out = request("GET", f"{base}/v1/jobs/{job_id}")
                    return job_id, json.loads(out)["state"]
                with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
                    for job_id, st in pool.map(state, sorted(pending)):
                        if st == "succeeded":
                            pending.discard(job_id)
                        elif st not in ("queued", "running"):
                            raise SystemExit(f"job {job_id} ended {st}")
                if pending:
                    time.sleep(0.05)

            def fetch(job_id):
                status, out = request("GET", f"{base}/v1/jobs/{job_id}/result")
                assert status == 200 and out.startswith(b"%PDF-"), status
                return len(out)

            with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
                sizes = list(pool.map(fetch, ids))
            return time.perf_counter() - started, sum(sizes)

        sync_round("warm")
        async_round("warm")
        stored_round("warm")
        results = {"sync": [], "stored": [], "async": []}
        for r in range(args.rounds):
            for way, run in (("sync", sync_round), ("stored", stored_round), ("async", async_round)):
                seconds, size = run(f"{way}{r}")
                results[way].append(seconds)
                print(f"round {r + 1}: {way} {args.jobs} invoices in {seconds:.2f} s ({args.jobs / seconds:.0f}/s)", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=60)

    sync_s = statistics.median(results["sync"])
    stored_s = statistics.median(results["stored"])
    async_s = statistics.median(results["async"])
    cores = os.cpu_count()
    pg = re.search(r"[0-9]+[.][0-9]+", subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout)
    if os.environ.get("BENCH_STORAGE"):
        results_in = f"results in {storage}"
    elif os.environ.get("S3_SERVER") == "s3s-fs":
        results_in = f"S3 ({s3s_fs_version()}) on loopback"
    else:
        results_in = f"S3 (moto {moto_version()}) on loopback"
    lines = [
        "# Async jobs vs /v1/render: 1-page invoices",
        "",
        f"One `docsmith serve` ({os.path.relpath(args.binary, ROOT)}, {cores} cores, default workers) on PostgreSQL "
        f"{pg.group(0) if pg else '?'} + {results_in}; "
        f"a Python client, {args.concurrency} requests at a time; {args.jobs} invoices per round, {args.rounds} rounds, medians.",
        "",
        "| way | time for all | jobs/s | per job |",
        "|---|---:|---:|---:|",
        f"| sync: POST /v1/render | {sync_s:.2f} s | {args.jobs / sync_s:.0f} | {sync_s / args.jobs * 1000:.2f} ms |",
        f"| sync, stored template: POST /v1/render | {stored_s:.2f} s | {args.jobs / stored_s:.0f} | {stored_s / args.jobs * 1000:.2f} ms |",
        f"| async: POST /v1/jobs, poll, GET /result | {async_s:.2f} s | {args.jobs / async_s:.0f} | {async_s / args.jobs * 1000:.2f} ms |",
        "",
        f"Overhead of a stored template per job: {(stored_s - sync_s) / args.jobs * 1000:.2f} ms "
        f"(the template looked up in PostgreSQL and compiled for the job).",
        "",
        f"Overhead of async per job: {(async_s - sync_s) / args.jobs * 1000:.2f} ms "
        f"(the job row in PostgreSQL, claim, lease, the result stored and read back, the client's polls and second request).",
    ]
    text = "\n".join(lines) + "\n"
    open(os.path.join(OUT, "async_jobs.md"), "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
