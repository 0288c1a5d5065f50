#!/usr/bin/env node
// Call docsmith from Node.js 18+ with its built-in fetch, FormData and Blob.
//
//   node render.mjs [OUT_DIR] [IMAGE ...]
//
// The server is $DOCSMITH_URL (default http://localhost:8080); $DOCSMITH_KEY,
// when set, is sent as `Authorization: Bearer KEY`. Writes the invoice PDF,
// the sales workbook and, given two or more images, a ZIP of them as WebP
// into OUT_DIR (default ./out), then shows how a rejected job reads.
import { createWriteStream } from "node:fs";
import { mkdir, readFile, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

const BASE_URL = (process.env.DOCSMITH_URL ?? "http://localhost:8080").replace(/\/$/, "");
const API_KEY = process.env.DOCSMITH_KEY;
const SAMPLES = new URL("../../", import.meta.url); // the repository's samples/

// An RFC 9457 application/problem+json answer.
class Problem extends Error {
  constructor(problem) {
    super(`${problem.status} ${problem.title}: ${problem.detail ?? ""}`);
    this.problem = problem;
  }
}

// POST to the service and stream the document into saveTo.
async function post(path, body, saveTo) {
  const headers = {};
  if (typeof body === "string") headers["Content-Type"] = "application/json";
  if (API_KEY) headers.Authorization = `Bearer ${API_KEY}`;
  const res = await fetch(BASE_URL + path, {
    method: "POST", headers, body, signal: AbortSignal.timeout(120_000),
  });
  if (!res.ok) {
    if (res.headers.get("content-type")?.startsWith("application/problem+json")) {
      throw new Problem(await res.json());
    }
    throw new Error(`${res.status} ${res.statusText}`);
  }
  await pipeline(Readable.fromWeb(res.body), createWriteStream(saveTo));
  console.log(`saved ${saveTo} (${(await stat(saveTo)).size} bytes)`);
}

// POST /v1/render with a JSON job.
const render = (job, saveTo) => post("/v1/render", JSON.stringify(job), saveTo);
const sample = async (name) => JSON.parse(await readFile(new URL(name, SAMPLES), "utf8"));

async function main() {
  const [outDir = "out", ...images] = process.argv.slice(2);
  await mkdir(outDir, { recursive: true });

  // 1. The built-in invoice template with the sample's data, as PDF.
  await render(await sample("pdf-invoice.json"), join(outDir, "invoice.pdf"));

  // 2. An Excel workbook.
  await render(await sample("xlsx-sales-report.json"), join(outDir, "sales-report.xlsx"));

  // 3. Photos resized to WebP; several files come back as one ZIP.
  if (images.length >= 2) {
    const form = new FormData();
    form.append("format", "webp");
    form.append("width", "800");
    for (const path of images) {
      form.append("files", new Blob([await readFile(path)]), basename(path));
    }
    await post("/v1/images", form, join(outDir, "photos.zip"));
  } else {
    console.log("no images given (two or more): skipping POST /v1/images");
  }

  // 4. A job the service rejects: 422 with every problem and its JSON pointer.
  const bad = { format: "xlsx", workbook: { sheets: [{ name: "S",
    columns: [{ header: "N", type: "number" }], rows: [["ten"]] }] } };
  try {
    await render(bad, join(outDir, "bad.xlsx"));
    throw new Error("the bad job was accepted");
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
    console.log(`rejected as expected: ${err.message}`);
    for (const { pointer, message } of err.problem.errors ?? []) {
      console.log(`  ${pointer}: ${message}`);
    }
  }
}

main().catch((err) => { // e.g. 401 without a key, 503 when busy
  console.error(`docsmith: ${err.message}`);
  process.exit(1);
});
